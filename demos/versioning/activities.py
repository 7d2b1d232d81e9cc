"""The order's side effects. They are the same for every version of the workflow: what changes
between versions is which of them the workflow calls, and in what order."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from demos.versioning.model import Order


@dataclass
class FraudVerdict:
    risk: str  # "low" or "review"
    reason: str


# Orders above this go to a human reviewer in a real shop; here the verdict is only recorded.
REVIEW_THRESHOLD_CENTS = 500_000


@activity.defn
async def reserve_stock(order: Order) -> str:
    activity.logger.info("reserving stock for %s", order.order_id)
    return f"stock reserved for {order.order_id}"


@activity.defn
async def check_fraud(order: Order) -> FraudVerdict:
    """The step v2 adds."""
    if order.amount_cents > REVIEW_THRESHOLD_CENTS:
        return FraudVerdict(risk="review", reason=f"amount above {REVIEW_THRESHOLD_CENTS / 100:.2f}")
    return FraudVerdict(risk="low", reason="amount within normal range")


@activity.defn
async def charge_payment(order: Order) -> str:
    activity.logger.info("charging %s for %s", order.customer, order.order_id)
    return f"charged {order.amount_cents / 100:.2f} to {order.customer}"
