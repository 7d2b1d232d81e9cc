"""Provision a customer in five sequential steps. Nothing here knows about crashes: surviving them
is the platform's job. Each completed step is an event in the workflow's history; a new worker
replays that history to rebuild the workflow's state, then carries on from the first unfinished step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from demos.durability.activities import StepInput, StepOutcome, perform_step

STEPS = ["create-account", "allocate-storage", "configure-dns", "issue-certificate", "send-welcome-email"]


@dataclass
class ProvisioningRequest:
    customer: str
    side_effect_log: str  # where the activities record what they did (see activities.py)
    step_seconds: float = 0.8


@dataclass
class ProvisioningReport:
    customer: str
    steps: list[StepOutcome] = field(default_factory=list)


@workflow.defn
class ProvisioningWorkflow:
    @workflow.run
    async def run(self, request: ProvisioningRequest) -> ProvisioningReport:
        report = ProvisioningReport(request.customer)
        for number, name in enumerate(STEPS, start=1):
            outcome = await workflow.execute_activity(
                perform_step,
                StepInput(request.side_effect_log, number, name, request.step_seconds),
                activity_id=name,  # readable in the history and the Web UI
                start_to_close_timeout=timedelta(seconds=10),
                # A killed worker stops heartbeating: after 2 s the server times the attempt out and
                # schedules a retry for whichever worker polls next.
                heartbeat_timeout=timedelta(seconds=2),
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5),
            )
            report.steps.append(outcome)
        return report
