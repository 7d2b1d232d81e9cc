"""Present mode: an order starts on the v1 worker and waits for approval; the presenter deploys the
v2 worker (v1's process stops, v2's starts) while that run is open, then approves it: the open run
finishes on the v1 path, because v2's code is patched with workflow.patched."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from demos.versioning.model import Order
from demos.versioning.workflows import OrderApproval
from demos.versioning.worker import make_worker

WORKERS = {
    "v1": lambda client, task_queue: make_worker(client, task_queue, code="v1"),
    "v2": lambda client, task_queue: make_worker(client, task_queue, code="v2"),
}
START_ROLES = ("v1",)  # what runs when the session starts; "Deploy v2" swaps it
DEPLOY = ("v1", "v2")
APPROVER = "ops lead"


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    order = Order(order_id=f"order-{uuid.uuid4().hex[:6]}", customer="Acme Corp", amount_cents=129_00)
    return await client.start_workflow(OrderApproval.run, order, id=order.order_id, task_queue=task_queue)


async def _approve(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await handle.signal(OrderApproval.approve, APPROVER)
    return {"message": f"signal approve by {APPROVER}"}


CONTROLS = {"approve": _approve}


async def finish(client: Client, handle: WorkflowHandle, session: object) -> None:
    await _approve(client, handle, {})
