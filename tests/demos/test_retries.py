"""The retries demo: a flaky charge retried with growing backoff, a non-retryable coupon error
handled at attempt 1, and the activity unit-tested on its own."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from temporalio.client import WorkflowHistory
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer

from demos.retries import scenario
from demos.retries.activities import ChargeRequest, CouponRequest, apply_coupon, charge_card
from demos.retries.starter import pay
from demos.retries.worker import build_worker
from demos.retries.workflows import Order


@pytest.fixture(scope="module")
def capture(retries_capture):
    """One real run of the scenario (about 7 s of backoff, tests/demos/conftest.py) shared by the assertions below."""
    return retries_capture[0]


# ----- the scenario on a real dev server -------------------------------------------------------


async def test_charge_fails_three_times_then_succeeds(capture):
    attempts = capture["extra"]["charge_attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert [a["outcome"] for a in attempts] == ["gateway 503"] * 3 + ["charged"]
    assert capture["result"]["receipt"]["confirmation"].endswith("_4")


async def test_backoff_doubles_between_attempts(capture):
    backoffs = [a["backoff_s"] for a in capture["extra"]["charge_attempts"][1:]]
    policy = capture["extra"]["retry_policy"]
    expected = [policy["initial_interval_s"] * policy["backoff_coefficient"] ** n for n in range(3)]  # 1, 2, 4
    assert expected == [1.0, 2.0, 4.0]
    for measured, wanted in zip(backoffs, expected):
        # The server fires the retry timer on time; a loaded machine only adds delay, never removes it.
        assert wanted * 0.95 <= measured <= wanted + 1.5, (backoffs, expected)
    assert backoffs[0] < backoffs[1] < backoffs[2]


async def test_server_history_agrees_with_the_activity(capture):
    started = [e for e in capture["events"] if e["type"] == "ActivityTaskStarted"]
    # History records only the final attempt of a retried activity, with the attempt number.
    assert [e["detail"].split(",")[0] for e in started] == ["apply_coupon attempt 1", "charge_card attempt 4"]
    assert "gateway 503" in started[1]["detail"]  # its last failure is kept
    scheduled = [e["detail"] for e in capture["events"] if e["type"] == "ActivityTaskScheduled"]
    assert scheduled == ["apply_coupon", "charge_card"]  # retries are not new schedules


async def test_non_retryable_coupon_fails_at_attempt_1_and_workflow_handles_it(capture):
    failed = [e for e in capture["events"] if e["type"] == "ActivityTaskFailed"]
    assert len(failed) == 1 and failed[0]["detail"] == "apply_coupon: coupon SPRING24 has expired"
    result = capture["result"]
    assert result["coupon"] == {"code": "SPRING24", "percent_off": 0, "rejected_because": "coupon SPRING24 has expired"}
    assert result["charged_cents"] == capture["input"]["amount_cents"]  # full price, no crash
    assert capture["events"][-1]["type"] == "WorkflowExecutionCompleted"


async def test_captured_history_replays_deterministically(capture):
    history = WorkflowHistory.from_json(capture["workflow_id"], capture["history"])
    result = await Replayer(workflows=scenario.WORKFLOWS).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_valid_coupon_and_healthy_gateway_charge_once(client, task_queue):
    order = Order(order_id=f"order-{uuid.uuid4().hex[:8]}", amount_cents=5000, coupon_code="WELCOME10", gateway_outage_attempts=0)
    async with build_worker(client, task_queue):
        _, summary = await pay(client, order, task_queue=task_queue, log=lambda _: None)
    assert summary.coupon.percent_off == 10 and summary.coupon.rejected_because is None
    assert summary.charged_cents == 4500
    assert [a.attempt for a in summary.receipt.attempts] == [1]


# ----- activities in isolation (no server) -----------------------------------------------------


def _env_at_attempt(attempt: int, heartbeat_details: list | None = None) -> tuple[ActivityEnvironment, list]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=heartbeat_details or [])
    heartbeats: list = []
    env.on_heartbeat = lambda *details: heartbeats.append(details)
    return env, heartbeats


async def test_charge_raises_retryable_error_during_outage_and_checkpoints_the_attempt():
    env, heartbeats = _env_at_attempt(2, [[{"attempt": 1, "started_at": 1.0, "ended_at": 1.1, "outcome": "gateway 503"}]])
    with pytest.raises(ApplicationError) as err:
        await env.run(charge_card, ChargeRequest("o1", 1000, gateway_outage_attempts=3))
    assert err.value.type == "GatewayUnavailable" and not err.value.non_retryable
    (trail,) = heartbeats[-1]
    assert [(a.attempt, a.outcome) for a in trail] == [(1, "gateway 503"), (2, "gateway 503")]


async def test_charge_succeeds_after_outage_with_the_full_attempt_trail():
    earlier = [{"attempt": n, "started_at": float(n), "ended_at": float(n), "outcome": "gateway 503"} for n in (1, 2, 3)]
    env, _ = _env_at_attempt(4, [earlier])
    receipt = await env.run(charge_card, ChargeRequest("o1", 1000, gateway_outage_attempts=3))
    assert receipt.amount_cents == 1000
    assert [(a.attempt, a.outcome) for a in receipt.attempts] == [(1, "gateway 503"), (2, "gateway 503"), (3, "gateway 503"), (4, "charged")]


@pytest.mark.parametrize("code, error_type", [("SPRING24", "CouponExpired"), ("NOPE", "UnknownCoupon")])
async def test_bad_coupons_are_non_retryable(code, error_type):
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(apply_coupon, CouponRequest("o1", code))
    assert err.value.non_retryable and err.value.type == error_type


async def test_valid_coupon_gives_its_discount():
    assert await ActivityEnvironment().run(apply_coupon, CouponRequest("o1", "WELCOME10")) == 10
