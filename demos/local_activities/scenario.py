"""Scenario: the same IBAN check run 25 times as a local activity and 25 times as a regular
activity (median time per step, history size), plus one workflow doing it once each way, whose
history shows the two shapes side by side."""

from __future__ import annotations

from dataclasses import asdict

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.local_activities.starter import RUNS, measure, run_steps
from demos.local_activities.worker import build_worker
from demos.local_activities.workflows import StepLatencyWorkflow, StepRuns

TITLE = "The same step as a local activity and as a regular activity: latency and event history"
CLAIMS = ["Local activities: lower latency, fewer events; regular activities: task queues, isolation, server-side retries"]
WORKFLOWS = [StepLatencyWorkflow]


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    async with build_worker(client, task_queue):
        log(f"worker running on task queue {task_queue}")
        # A warm-up run each way, so neither mode pays for first-use costs (connections, caches).
        for mode in ("local", "regular"):
            await run_steps(client, StepRuns(mode, 3), task_queue=task_queue)
        measured = {}
        for mode in ("local", "regular"):
            m = await measure(client, mode, task_queue=task_queue, runs=RUNS)
            measured[mode] = m
            log(f"{mode} activity: median {m.median_ms:.1f} ms per step over {m.runs} runs; {m.events} history events")
        request = StepRuns("both", 1)
        handle, checks = await run_steps(client, request, task_queue=task_queue)
        log(f"{handle.id}: the step once as a local activity, once as a regular one")
    local, regular = measured["local"], measured["regular"]
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input=asdict(request),
        result=[asdict(c) | {"started_at": None} for c in checks],  # perf_counter values mean nothing elsewhere
        extra={
            "runs": RUNS,
            "local": asdict(local),
            "regular": asdict(regular),
            "speedup": round(regular.median_ms / local.median_ms, 1) if local.median_ms else None,
        },
        other_runs=[(local.workflow_id, local.run_id), (regular.workflow_id, regular.run_id)],
    )
