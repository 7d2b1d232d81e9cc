"""Present mode: a payment whose gateway fails three times; the slide watches the server retry it.
No snapshot: the live picture shows each attempt, its failure and the countdown to the next one
(the server's pending-activity state, which describe() gives while no event shows it yet)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle

from demos.retries.starter import demo_order
from demos.retries.worker import build_worker
from demos.retries.workflows import PaymentWorkflow

WORKERS = {"worker": build_worker}


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    order = demo_order()
    return await client.start_workflow(PaymentWorkflow.run, order, id=f"payment-{order.order_id}", task_queue=task_queue)
