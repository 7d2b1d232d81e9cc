"""Run the same step `runs` times in a row, as a local activity or as a regular activity.

Regular activity: the workflow asks the server to schedule it; the server puts it on the task
queue; a worker polls it, runs it and reports back; the server writes the result and schedules a
workflow task so the workflow can continue. Three events for the activity, three for the workflow
task, and several round trips to the server.
Local activity: the worker that runs the workflow runs the step itself, right away, and only
records its result as a marker event when it next talks to the server. Fewer events and round
trips; but no task queue (no other worker can take it) and retries are driven by the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from demos.local_activities.activities import IbanCheck, validate_iban

MODES = ("local", "regular")


@dataclass
class StepRuns:
    mode: str  # "local", "regular" or "both" (each once: the two shapes side by side in one history)
    runs: int
    iban: str = "GB82 WEST 1234 5698 7654 32"


@workflow.defn
class StepLatencyWorkflow:
    @workflow.run
    async def run(self, request: StepRuns) -> list[IbanCheck]:
        modes = MODES if request.mode == "both" else (request.mode,)
        checks = []
        for mode in modes:
            for _ in range(request.runs):
                checks.append(await self._step(mode, request.iban))
        return checks

    async def _step(self, mode: str, iban: str) -> IbanCheck:
        if mode == "local":
            return await workflow.execute_local_activity(validate_iban, iban, start_to_close_timeout=timedelta(seconds=5))
        return await workflow.execute_activity(validate_iban, iban, start_to_close_timeout=timedelta(seconds=5))
