"""Pay for an order: try the customer's coupon, then charge the card.

The workflow holds no retry loop: the retry policy is declared on the activity call and the *server*
runs it (the timers between attempts live in Temporal, not in a worker's memory). The workflow's
own state (the order, the coupon decision) waits untouched while the charge is being retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from demos.retries.activities import ChargeReceipt, ChargeRequest, CouponRequest, apply_coupon, charge_card

# Waits of 1 s, 2 s, 4 s, ... between attempts, capped at 10 s, at most 6 attempts in all.
# (Measured on the dev server 1.32: it never retried sooner than ~1 s, so an initial interval of
# 0.5 s would give 1 s, 1 s, 2 s: a flat start instead of a clean doubling.)
RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=6,
)


@dataclass
class Order:
    order_id: str
    amount_cents: int
    coupon_code: str
    gateway_outage_attempts: int = 3  # how long the simulated payment-gateway outage lasts, in attempts


@dataclass
class CouponDecision:
    code: str
    percent_off: int
    rejected_because: str | None  # the non-retryable error, when the coupon was refused


@dataclass
class PaymentSummary:
    order_id: str
    coupon: CouponDecision
    charged_cents: int
    receipt: ChargeReceipt


@workflow.defn
class PaymentWorkflow:
    @workflow.run
    async def run(self, order: Order) -> PaymentSummary:
        coupon = await self._try_coupon(order)
        charged_cents = order.amount_cents * (100 - coupon.percent_off) // 100
        receipt = await workflow.execute_activity(
            charge_card,
            ChargeRequest(order.order_id, charged_cents, order.gateway_outage_attempts),
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RETRY_POLICY,
        )
        return PaymentSummary(order.order_id, coupon, charged_cents, receipt)

    async def _try_coupon(self, order: Order) -> CouponDecision:
        """A refused coupon is a business outcome, not a crash: charge full price and say why."""
        try:
            percent_off = await workflow.execute_activity(
                apply_coupon,
                CouponRequest(order.order_id, order.coupon_code),
                start_to_close_timeout=timedelta(seconds=5),
                retry_policy=RETRY_POLICY,  # the same generous policy: non_retryable overrides it
            )
        except ActivityError as err:
            reason = err.cause
            if not (isinstance(reason, ApplicationError) and reason.type in ("CouponExpired", "UnknownCoupon")):
                raise
            workflow.logger.info("coupon refused, charging full price: %s", reason.message)
            return CouponDecision(order.coupon_code, 0, reason.message)
        return CouponDecision(order.coupon_code, percent_off, None)
