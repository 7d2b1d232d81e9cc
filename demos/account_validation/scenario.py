"""Scenario: validate ada's account (three activities in order), then bob's, which is suspended
(the workflow stops after the status check: no record update)."""

from __future__ import annotations

from dataclasses import asdict

from temporalio.client import Client

from demos.account_validation.activities import demo_directory
from demos.account_validation.starter import validate
from demos.account_validation.worker import build_worker
from demos.account_validation.workflows import AccountValidationWorkflow, ValidationRequest
from demos.common.scenario import Log, ScenarioResult

TITLE = "The first workflow: check credentials, verify the account, update the record; each step an activity"
CLAIMS = ["A workflow orchestrates; activities do the work; the history records every step"]
WORKFLOWS = [AccountValidationWorkflow]


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    directory = demo_directory()
    before = directory.accounts["acct-1001"].record_version
    async with build_worker(client, task_queue, directory):
        log(f"worker running on task queue {task_queue}")
        request = ValidationRequest("ada", "tok-ada-demo")
        handle, result = await validate(client, request, task_queue=task_queue)
        log(f"{handle.id}: valid={result.valid} ({result.reason}), record version {before} -> {result.record_version}")
        suspended, refused = await validate(client, ValidationRequest("bob", "tok-bob-demo"), task_queue=task_queue)
        log(f"{suspended.id}: valid={refused.valid} ({refused.reason}), record not updated")
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input=asdict(request),  # a demo token; real secrets in inputs are what the pii_codec demo is about
        result=asdict(result),
        extra={
            "record_version_before": before,
            "record_version_after": result.record_version,
            "suspended": asdict(refused),
        },
        other_runs=[(suspended.id, suspended.result_run_id)],
    )
