"""Scenario: a five-step workflow runs on worker process #1, which is SIGKILLed in the middle of
step 3. For a while no worker exists at all. Worker process #2 starts, replays the history and
finishes the workflow. The side-effect log shows what ran where, and how many times.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.durability.activities import read_side_effects
from demos.durability.processes import WorkerProcess, WorkerProcesses
from demos.durability.starter import following_side_effects, side_effect_summary, start_provisioning
from demos.durability.workflows import STEPS, ProvisioningRequest, ProvisioningWorkflow

TITLE = "Kill the worker mid-workflow (SIGKILL): a new worker process finishes it, completed steps never rerun"
CLAIMS = ["Survive restarts or crashes; can stop workers, upgrade code, resume"]
WORKFLOWS = [ProvisioningWorkflow]

KILL_DURING_STEP = 3
RESTART_GAP_S = 2.0  # how long no worker at all exists
STEP_SECONDS = 0.8


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    with tempfile.TemporaryDirectory(prefix="durability-demo-") as scratch:
        side_effect_log = Path(scratch) / "side-effects.jsonl"
        request = ProvisioningRequest(customer="acme", side_effect_log=str(side_effect_log), step_seconds=STEP_SECONDS)
        async with WorkerProcesses.joining(client, task_queue, Path(scratch)) as workers:
            first = await workers.start()
            log(f"worker process #1 running: pid {first.pid}")
            handle = await start_provisioning(client, request, task_queue=task_queue)
            log(f"started ProvisioningWorkflow {handle.id}: {len(STEPS)} steps of {STEP_SECONDS:g}s")
            async with following_side_effects(side_effect_log, log):
                # Kill as soon as the step has visibly begun: the whole step is still ahead, so even a
                # slow machine cannot let it finish first.
                await _wait_until_step_starts(side_effect_log, KILL_DURING_STEP, first)
                killed_at = await first.kill()
                log(f"SIGKILL worker pid {first.pid} in the middle of step {KILL_DURING_STEP} ({STEPS[KILL_DURING_STEP - 1]})")
                log(f"no worker running for {RESTART_GAP_S:g}s; the workflow's state is safe in the server's history")
                await asyncio.sleep(RESTART_GAP_S)
                second = await workers.start()
                log(f"worker process #2 running: pid {second.pid}; it replays the history and resumes")
                report = await asyncio.wait_for(handle.result(), timeout=60)
            log(f"workflow completed: {len(report.steps)} steps, last ones by pid {report.steps[-1].worker_pid}")
        records = read_side_effects(side_effect_log)

    workflow_started_at = (await handle.describe()).start_time.timestamp()

    def since_start(epoch: float) -> float:
        return round(epoch - workflow_started_at, 3)

    steps = side_effect_summary(records)
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input=asdict(request),
        result=asdict(report),
        extra={
            "worker_pids": [first.pid, second.pid],
            "killed_pid": first.pid,
            "killed_during_step": KILL_DURING_STEP,
            "kill_at_s": since_start(killed_at),
            "restart_at_s": since_start(second.started_at),
            "gap_s": round(second.started_at - killed_at, 3),
            "steps": steps,
            "every_step_completed_once": all(step["completed"] == 1 for step in steps),
            "rerun_steps": [step["number"] for step in steps if step["started"] > 1],
            "side_effects": [record | {"at_s": since_start(record["at"])} for record in records],
        },
        # What the history cannot say: which process ran an attempt that never finished, the kill,
        # and the new process (the live picture learns the same from describe() and the session).
        annotations=[
            *({"kind": "activity_running", "at": r["at"], "worker": r["pid"], "step": r["name"], "attempt": r["attempt"]} for r in records if r["event"] == "started"),
            {"kind": "worker_killed", "at": killed_at, "worker": first.pid},
            {"kind": "worker_started", "at": second.started_at, "worker": second.pid},
        ],
    )


async def _wait_until_step_starts(side_effect_log: Path, step: int, worker: WorkerProcess, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not _has_started(side_effect_log, step):
        worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"step {step} did not start within {timeout_s:g}s")
        await asyncio.sleep(0.05)


def _has_started(side_effect_log: Path, step: int) -> bool:
    records = read_side_effects(side_effect_log) if side_effect_log.exists() else []
    return any(r["event"] == "started" and r["step"] == step for r in records)
