"""The payment order's activities: a coupon check that can fail for good, and a card charge whose
gateway is down for the first few attempts.

Failures are deterministic (by attempt number and coupon code), never random, so the demo and its
tests show the same story every time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from temporalio import activity
from temporalio.exceptions import ApplicationError

# The coupon book: percent off per valid code, and codes that exist but can never be redeemed again.
VALID_COUPONS = {"WELCOME10": 10}
EXPIRED_COUPONS = {"SPRING24"}


@dataclass
class CouponRequest:
    order_id: str
    code: str


@dataclass
class ChargeRequest:
    order_id: str
    amount_cents: int
    # How many attempts in a row the payment gateway answers 503 before it recovers (the simulated outage).
    gateway_outage_attempts: int


@dataclass
class ChargeAttempt:
    attempt: int
    started_at: float  # epoch seconds, worker clock
    ended_at: float
    outcome: str  # "gateway 503" or "charged"


@dataclass
class ChargeReceipt:
    confirmation: str
    amount_cents: int
    attempts: list[ChargeAttempt] = field(default_factory=list)


@activity.defn
async def apply_coupon(request: CouponRequest) -> int:
    """Percent off for a coupon code.

    An expired or unknown code will not become valid by asking again, so the error is marked
    non-retryable: Temporal fails the activity at attempt 1 whatever the retry policy says.
    """
    if request.code in EXPIRED_COUPONS:
        raise ApplicationError(f"coupon {request.code} has expired", type="CouponExpired", non_retryable=True)
    if request.code not in VALID_COUPONS:
        raise ApplicationError(f"coupon {request.code} does not exist", type="UnknownCoupon", non_retryable=True)
    return VALID_COUPONS[request.code]


@activity.defn
async def charge_card(request: ChargeRequest) -> ChargeReceipt:
    """Charge the card; the gateway answers 503 for the first `gateway_outage_attempts` attempts.

    A 503 is transient, so it is raised as an ordinary (retryable) error and the server schedules the
    next attempt after the retry policy's backoff. Each attempt checkpoints its record with a
    heartbeat: heartbeat details survive into the next attempt (activity.info().heartbeat_details),
    so the successful attempt can return the full attempt trail, nothing about the failures is lost.
    """
    info = activity.info()
    # Heartbeat details arrive as plain JSON (the SDK has no type hint for them): rebuild the records.
    earlier = [ChargeAttempt(**record) for record in info.heartbeat_details[0]] if info.heartbeat_details else []
    started_at = time.time()
    gateway_down = info.attempt <= request.gateway_outage_attempts
    this_attempt = ChargeAttempt(
        attempt=info.attempt,
        started_at=started_at,
        ended_at=time.time(),
        outcome="gateway 503" if gateway_down else "charged",
    )
    trail = [*earlier, this_attempt]
    if gateway_down:
        activity.heartbeat(trail)
        raise ApplicationError(
            f"gateway 503 Service Unavailable (attempt {info.attempt})", type="GatewayUnavailable"
        )
    return ChargeReceipt(
        confirmation=f"ch_{request.order_id}_{info.attempt}",
        amount_cents=request.amount_cents,
        attempts=trail,
    )
