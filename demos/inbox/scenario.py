"""The inbox demo as a scenario (see demos/common/scenario.py): a worker plus one scripted session."""

from __future__ import annotations

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.inbox.starter import run_session
from demos.inbox.worker import make_worker
from demos.inbox.workflows import InboxWorkflow

TITLE = "CEO's prioritized inbox: humans decide by signal and update, a durable timer escalates the rest"
CLAIMS = [
    "CEO's prioritized inbox",
    "Signals from humans (approve, refine, escalate) mid-workflow",
    "Use signals/queries for human-in-the-loop steps and status checks",
]
WORKFLOWS = [InboxWorkflow]


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    async with make_worker(client, task_queue):
        return await run_session(client, task_queue=task_queue, log=log)
