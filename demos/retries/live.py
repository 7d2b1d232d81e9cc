"""Present mode: a payment whose gateway fails three times; the slide watches the server retry it."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle

from demos.retries.starter import demo_order
from demos.retries.worker import build_worker
from demos.retries.workflows import PaymentWorkflow

WORKERS = {"worker": build_worker}


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    order = demo_order()
    return await client.start_workflow(PaymentWorkflow.run, order, id=f"payment-{order.order_id}", task_queue=task_queue)


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    """Retries leave no event until an attempt finally succeeds or gives up: the pending activity
    (its attempt, last failure and the server's next retry) is what shows them happening."""
    description = await handle.describe()
    lines = []
    for pending in description.raw_description.pending_activities:
        line = f"{pending.activity_type.name}: attempt {pending.attempt}"
        if pending.HasField("last_failure"):
            line += f", last failure: {pending.last_failure.message}"
        if pending.HasField("next_attempt_schedule_time"):
            wait_s = (pending.next_attempt_schedule_time.ToDatetime() - pending.last_failed_time.ToDatetime()).total_seconds()
            line += f" · server retries after {wait_s:.1f} s"
        lines.append(line)
    return {"lines": lines or ["no activity is waiting for a retry"]}
