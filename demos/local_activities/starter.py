"""Time the step both ways and compare the histories.

Standalone (two-terminal way, next to `python -m demos.local_activities.worker`; the worker must
run on this machine, since the timings come from its clock):
    python -m demos.local_activities.starter
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass

from temporalio.client import Client, WorkflowHandle

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.local_activities.activities import IbanCheck
from demos.local_activities.worker import TASK_QUEUE
from demos.local_activities.workflows import StepLatencyWorkflow, StepRuns

RUNS = 25


@dataclass
class Measurement:
    mode: str
    runs: int
    median_ms: float  # per step: from one execution's start to the next one's
    p90_ms: float
    events: int  # in the workflow's history
    events_per_step: float
    workflow_id: str
    run_id: str


async def run_steps(client: Client, request: StepRuns, *, task_queue: str) -> tuple[WorkflowHandle, list[IbanCheck]]:
    handle = await client.start_workflow(
        StepLatencyWorkflow.run, request, id=f"steps-{request.mode}-{uuid.uuid4().hex[:8]}", task_queue=task_queue,
        result_type=list[IbanCheck],
    )  # fmt: skip
    return handle, await handle.result()


def step_gaps_ms(checks: list[IbanCheck]) -> list[float]:
    """The time from one execution's start to the next one's: what one step costs the workflow,
    round trips included (the step's own work is microseconds)."""
    return [(b.started_at - a.started_at) * 1000 for a, b in zip(checks, checks[1:])]


async def measure(client: Client, mode: str, *, task_queue: str, runs: int = RUNS) -> Measurement:
    handle, checks = await run_steps(client, StepRuns(mode, runs), task_queue=task_queue)
    gaps = sorted(step_gaps_ms(checks))
    events = len((await handle.fetch_history()).events)
    baseline = 5  # started, one workflow task (scheduled, started, completed), completed
    return Measurement(
        mode, runs,
        median_ms=round(statistics.median(gaps), 2),
        p90_ms=round(gaps[int(0.9 * (len(gaps) - 1))], 2),
        events=events,
        events_per_step=round((events - baseline) / runs, 2),
        workflow_id=handle.id, run_id=handle.result_run_id,
    )  # fmt: skip


async def main(client: Client | None = None) -> list[Measurement]:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    results = [await measure(client, mode, task_queue=TASK_QUEUE) for mode in ("local", "regular")]
    for m in results:
        print(f"{m.mode:>8} activity: median {m.median_ms:.1f} ms per step over {m.runs} runs, {m.events} history events ({m.workflow_id})")
    return results


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
