"""Present mode: a loan application on stage. The credit check and the document check run side by
side; then the workflow waits for a loan officer: approve or decline from the slide (a signal), or
let the review deadline pass and watch the timer route it to manual review."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle

from demos.loan_approval.starter import application, decide, submit
from demos.loan_approval.worker import build_worker
from demos.loan_approval.workflows import Decision, LoanApprovalWorkflow

WORKERS = {"worker": lambda client, task_queue: build_worker(client, task_queue)}
REVIEW_TIMEOUT_S = 45.0  # on stage: time to decide by hand before the timer does it
OFFICER = "presenter"


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    return await submit(client, application("Ada", 250_000, review_timeout_s=REVIEW_TIMEOUT_S), task_queue=task_queue)


async def _approve(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await decide(handle, Decision(approved=True, officer=OFFICER, reason="approved on stage"))
    return {"message": "signal decide: approved"}


async def _decline(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await decide(handle, Decision(approved=False, officer=OFFICER, reason="declined on stage"))
    return {"message": "signal decide: declined"}


CONTROLS = {"approve": _approve, "decline": _decline}


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    stage = await handle.query(LoanApprovalWorkflow.stage)
    if stage == "awaiting-decision":
        return {"rows": [{"label": f"stage: {stage}", "actions": ["approve", "decline"], "args": {}}]}
    return {"lines": [f"stage: {stage}"]}


async def finish(client: Client, handle: WorkflowHandle, session: object) -> None:
    from demos.loan_approval.starter import wait_for_decision_stage

    if await wait_for_decision_stage(handle) == "awaiting-decision":
        await _approve(client, handle, {})
