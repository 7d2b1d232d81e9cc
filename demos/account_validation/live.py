"""Present mode: the first workflow, run live: three activities, one after the other, in the history."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from demos.account_validation.worker import build_worker
from demos.account_validation.workflows import AccountValidationWorkflow, ValidationRequest

WORKERS = {"worker": lambda client, task_queue: build_worker(client, task_queue)}


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    request = ValidationRequest("ada", "tok-ada-demo")
    return await client.start_workflow(AccountValidationWorkflow.run, request, id=f"validate-ada-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
