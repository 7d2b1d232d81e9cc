"""Start a payment workflow and narrate its retries as the server records them.

Standalone (two-terminal way, next to `python -m demos.retries.worker`):
    python -m demos.retries.starter
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Callable

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.retries.worker import TASK_QUEUE
from demos.retries.workflows import Order, PaymentSummary, PaymentWorkflow


def demo_order() -> Order:
    """An expired coupon (refused for good) and a gateway that answers 503 three times."""
    return Order(order_id=f"order-{uuid.uuid4().hex[:8]}", amount_cents=4999, coupon_code="SPRING24")


async def pay(
    client: Client, order: Order, *, task_queue: str, log: Callable[[str], None] = print
) -> tuple[WorkflowHandle, PaymentSummary]:
    handle = await client.start_workflow(
        PaymentWorkflow.run, order, id=f"payment-{order.order_id}", task_queue=task_queue
    )
    log(f"started PaymentWorkflow {handle.id}: {order.amount_cents / 100:.2f} with coupon {order.coupon_code}")
    narrator = asyncio.create_task(narrate_retries(handle, log))
    try:
        summary = await handle.result()
    finally:
        narrator.cancel()
        # Narration is commentary: if a describe() call failed, the workflow's result still stands.
        with contextlib.suppress(asyncio.CancelledError, RPCError):
            await narrator
    return handle, summary


async def narrate_retries(handle: WorkflowHandle, log: Callable[[str], None], poll_s: float = 0.2) -> None:
    """Log each failed attempt once, with the wait the server chose before the next one.

    The retry state lives in the server (pending activity: attempt, last failure, current retry
    interval), which is what this reads: no worker keeps a retry loop.
    """
    reported: set[tuple[str, int]] = set()
    while True:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            key = (pending.activity_id, pending.attempt)
            if pending.attempt < 2 or not pending.HasField("last_failure") or key in reported:
                continue
            reported.add(key)
            # The server's interval carries a loaded machine's microseconds (4.00018s): the audience
            # reads the backoff, to a tenth of a second.
            wait_s = round(pending.current_retry_interval.ToTimedelta().total_seconds(), 1)
            log(
                f"  {pending.activity_type.name} attempt {pending.attempt - 1} failed: {pending.last_failure.message}"
                f" -> server retries in {wait_s:g}s (attempt {pending.attempt} of {pending.maximum_attempts})"
            )
        await asyncio.sleep(poll_s)


async def main(client: Client | None = None) -> PaymentSummary:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    _, summary = await pay(client, demo_order(), task_queue=TASK_QUEUE)
    coupon = summary.coupon
    print(f"coupon {coupon.code}: " + (f"refused ({coupon.rejected_because})" if coupon.rejected_because else f"{coupon.percent_off}% off"))
    print(f"charged {summary.charged_cents / 100:.2f}, confirmation {summary.receipt.confirmation}")
    for attempt in summary.receipt.attempts:
        print(f"  attempt {attempt.attempt}: {attempt.outcome}")
    return summary


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
