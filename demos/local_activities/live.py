"""Present mode: the same IBAN check once as a local activity and once as a regular activity, in one
run, so the live history shows the difference: a marker for the local one, scheduled/started/
completed events (and a trip through the task queue) for the regular one."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from demos.local_activities.worker import build_worker
from demos.local_activities.workflows import StepLatencyWorkflow, StepRuns

WORKERS = {"worker": lambda client, task_queue: build_worker(client, task_queue)}


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(StepLatencyWorkflow.run, StepRuns(mode="both", runs=1), id=f"steps-both-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
