"""Scenario: an order whose coupon has expired (non-retryable) and whose card charge hits a payment
gateway outage for three attempts (retried by the server with exponential backoff)."""

from __future__ import annotations

from dataclasses import asdict

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.retries.starter import demo_order, pay
from demos.retries.worker import build_worker
from demos.retries.workflows import RETRY_POLICY, PaymentWorkflow

TITLE = "Retries with exponential backoff, errors that must not be retried, and no lost state"
CLAIMS = ["Retries, backoff, no lost state"]
WORKFLOWS = [PaymentWorkflow]


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    order = demo_order()
    async with build_worker(client, task_queue):
        log(f"worker running on task queue {task_queue}")
        handle, summary = await pay(client, order, task_queue=task_queue, log=log)
    log(f"coupon {summary.coupon.code}: refused at attempt 1, not retried ({summary.coupon.rejected_because})")
    log(f"card charged {summary.charged_cents / 100:.2f} after {len(summary.receipt.attempts)} attempts")
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input=asdict(order),
        result=asdict(summary),
        extra={
            "retry_policy": {
                "initial_interval_s": RETRY_POLICY.initial_interval.total_seconds(),
                "backoff_coefficient": RETRY_POLICY.backoff_coefficient,
                "maximum_interval_s": RETRY_POLICY.maximum_interval.total_seconds(),
                "maximum_attempts": RETRY_POLICY.maximum_attempts,
            },
            "charge_attempts": attempt_timeline([asdict(a) for a in summary.receipt.attempts]),
            "coupon": asdict(summary.coupon),
        },
    )


def attempt_timeline(attempts: list[dict]) -> list[dict]:
    """Each attempt with its offset from the first one and the backoff the server waited before it."""
    first = attempts[0]["started_at"]
    timeline = []
    for previous, attempt in zip([None, *attempts], attempts):
        timeline.append(
            {
                "attempt": attempt["attempt"],
                "outcome": attempt["outcome"],
                "at_s": round(attempt["started_at"] - first, 3),
                "backoff_s": None if previous is None else round(attempt["started_at"] - previous["ended_at"], 3),
            }
        )
    return timeline
