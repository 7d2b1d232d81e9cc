"""Loan approval on the real dev server (parallel checks, decisions by signal, the audit trail) and
on the time-skipping test server (a 7-day review deadline passes in moments)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from demos.common.capture import capture_demo
from demos.loan_approval import scenario
from demos.loan_approval.room import DEFAULT_DEADLINE_S
from demos.loan_approval.starter import application, cast_room_vote, decide, open_to_room, poll_until, submit, wait_for_decision_stage
from demos.loan_approval.worker import build_worker
from demos.loan_approval.workflows import Decision, LoanApprovalWorkflow, LoanOutcome

pytestmark = pytest.mark.timeout(90)
SEVEN_DAYS_S = 7 * 24 * 3600


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    return await capture_demo("loan_approval", client)


async def test_both_checks_are_scheduled_together_and_run_in_parallel(capture):
    events = capture["events"]
    scheduled = [i for i, e in enumerate(events) if e["type"] == "ActivityTaskScheduled"]
    assert [events[i]["detail"] for i in scheduled] == ["credit_check", "verify_documents"]
    assert scheduled[1] == scheduled[0] + 1  # one workflow task scheduled both
    assert events[scheduled[0] - 1]["type"] == "WorkflowTaskCompleted"
    # Each check takes 0.6 s; running in parallel they overlap for most of it.
    assert capture["extra"]["checks_overlap_s"] > 0.3


async def test_officer_approves_by_signal_and_the_history_is_the_audit_trail(capture):
    assert capture["result"]["status"] == "approved"
    assert capture["result"]["decision"]["officer"] == scenario.OFFICER_DECISION.officer
    trail = [step["what"] for step in capture["extra"]["audit_trail"]]
    assert trail[0] == "application submitted"
    assert sorted(trail[1:3]) == ["credit_check done", "verify_documents done"]
    assert trail[3] == f"signal decide: approve by {scenario.OFFICER_DECISION.officer}"
    assert trail[-1] == "decision recorded, workflow completed"
    assert "TimerCanceled" in [e["type"] for e in capture["events"]]  # the decision beat the deadline


async def test_no_decision_in_time_goes_to_manual_review(capture):
    case = capture["extra"]["timeout_case"]
    assert case["status"] == "manual-review" and case["review_ticket"] == f"review-{case['application_id']}"
    history = capture["other_histories"][case["application_id"]]
    kinds = [e["eventType"] for e in history["events"]]
    assert "EVENT_TYPE_TIMER_FIRED" in kinds and "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" not in kinds


def _signals(history: dict) -> list[str]:
    return [e["workflowExecutionSignaledEventAttributes"]["signalName"] for e in history["events"] if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"]


async def test_the_room_decides_at_its_quorum_counting_each_device_once(capture):
    case = capture["extra"]["room_cases"][0]
    assert case["status"] == "approved" and case["decision"]["officer"] == "the room (4 approve, 1 decline)"
    assert case["room"] == {"approve": 4, "decline": 1, "quorum": 5, "deadline_s": 30.0, "voting": False, "decided_by": "quorum"}
    statuses = [(v["device_id"], v["status"]) for v in case["votes"]]
    assert statuses.count(("room-0001", "recorded")) == 2  # voted twice: both in the history, counted once
    assert ("not a device!", "rejected") in statuses  # refused before sending: not in the history
    history = capture["other_histories"][case["application_id"]]
    assert _signals(history) == ["open_to_room"] + ["room_vote"] * 6
    kinds = [e["eventType"] for e in history["events"]]
    assert "EVENT_TYPE_TIMER_FIRED" not in kinds and kinds.count("EVENT_TYPE_TIMER_CANCELED") == 2  # review and room deadlines
    trail = [step["what"] for step in case["audit_trail"]]
    assert "signal open_to_room: quorum 5, deadline 30s" in trail and "signal room_vote: decline from room-0001" in trail


async def test_the_room_decides_at_its_deadline_with_the_votes_so_far(capture):
    case = capture["extra"]["room_cases"][1]
    assert case["status"] == "rejected" and case["room"]["decided_by"] == "deadline"
    assert (case["room"]["approve"], case["room"]["decline"]) == (1, 2)
    assert case["decision"]["reason"] == f"deadline of {scenario.SHORT_ROOM_DEADLINE_S:g}s passed: 1 approve, 2 decline"
    assert "the room's deadline passed" in [step["what"] for step in case["audit_trail"]]


async def test_room_votes_sent_with_no_worker_running_are_all_counted(client, task_queue):
    """A signal is accepted by the server with no worker at all: the room votes while the worker
    is down, and the worker that comes back counts every device once."""
    async with build_worker(client, task_queue):
        handle = await submit(client, application("Amy", 90_000, review_timeout_s=60), task_queue=task_queue)
        assert await wait_for_decision_stage(handle) == "awaiting-decision"
    with pytest.raises(ValueError, match="quorum must be 1-1000, got 0"):
        await open_to_room(handle, quorum=0)
    await open_to_room(handle, quorum=3)  # no worker from here on
    receipts = [await cast_room_vote(client, handle.id, device, choice)
                for device, choice in [("room-0001", "decline"), ("room-0001", "approve"), ("room-0002", "approve"), ("room-0003", "decline")]]
    assert [r.status for r in receipts] == ["recorded"] * 4
    async with build_worker(client, task_queue):
        outcome: LoanOutcome = await handle.result()
        assert await handle.query(LoanApprovalWorkflow.room_vote_of, "room-0001") == "decline"  # the first vote stands
    assert outcome.status == "rejected" and (outcome.room.approve, outcome.room.decline, outcome.room.decided_by) == (1, 2, "quorum")
    late = await cast_room_vote(client, handle.id, "room-0004", "approve")
    assert (late.status, late.reason) == ("rejected", "the decision is made")


async def test_a_silent_room_goes_to_manual_review_after_its_30_s_deadline(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with build_worker(client, task_queue):
        handle = await submit(client, application("Ada", 250_000, review_timeout_s=SEVEN_DAYS_S), task_queue=task_queue)
        await wait_for_decision_stage(handle)
        await open_to_room(handle, quorum=10)
        outcome: LoanOutcome = await handle.result()
    assert outcome.status == "manual-review" and outcome.room.decided_by == "deadline"
    timers = [e.timer_started_event_attributes for e in (await handle.fetch_history()).events if e.HasField("timer_started_event_attributes")]
    assert [t.start_to_fire_timeout.ToTimedelta() for t in timers] == [timedelta(days=7), timedelta(seconds=DEFAULT_DEADLINE_S)]


async def test_officer_rejects(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await submit(client, application("Ann", 90_000, review_timeout_s=60), task_queue=task_queue)
        assert await wait_for_decision_stage(handle) == "awaiting-decision"
        await decide(handle, Decision(approved=False, officer="officer Lin", reason="debt ratio"))
        await decide(handle, Decision(approved=True, officer="officer Max", reason="too late"))  # ignored
        outcome: LoanOutcome = await handle.result()
    assert outcome.status == "rejected" and outcome.decision.officer == "officer Lin"


async def test_failed_checks_decline_without_waiting_for_anyone(client, task_queue):
    app = application("Ann", 90_000, review_timeout_s=60)
    app.documents = ["id"]
    async with build_worker(client, task_queue):
        outcome: LoanOutcome = await (await submit(client, app, task_queue=task_queue)).result()
    assert outcome.status == "declined-by-checks"
    assert [c.detail for c in outcome.checks if not c.passed] == ["missing payslip, bank-statement"]


async def test_seven_day_review_deadline_routes_to_manual_review(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    began = time.monotonic()
    async with build_worker(client, task_queue):
        handle = await submit(client, application("Ada", 250_000, review_timeout_s=SEVEN_DAYS_S), task_queue=task_queue)
        outcome: LoanOutcome = await handle.result()
    assert outcome.status == "manual-review"
    timers = [e.timer_started_event_attributes for e in (await handle.fetch_history()).events if e.HasField("timer_started_event_attributes")]
    assert [t.start_to_fire_timeout.ToTimedelta() for t in timers] == [timedelta(days=7)]
    assert time.monotonic() - began < 60  # a week, skipped


async def test_a_decision_on_day_three_beats_the_seven_day_deadline(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with build_worker(client, task_queue):
        handle = await submit(client, application("Ada", 250_000, review_timeout_s=SEVEN_DAYS_S), task_queue=task_queue)
        await wait_for_decision_stage(handle)
        await time_skipping_env.sleep(timedelta(days=3))
        await decide(handle, Decision(approved=True, officer="officer Grace", reason="ok"))
        outcome: LoanOutcome = await handle.result()
    assert outcome.status == "approved"


async def test_captured_histories_replay_deterministically(capture):
    replayer = Replayer(workflows=scenario.WORKFLOWS)
    for workflow_id, history in [(capture["workflow_id"], capture["history"]), *capture["other_histories"].items()]:
        result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, history), raise_on_replay_failure=False)
        assert result.replay_failure is None


async def test_live_controls_open_the_room_take_votes_and_close_it(client, task_queue):
    from demos.common.live import ControlRejected
    from demos.loan_approval import live

    async with build_worker(client, task_queue):
        handle = await live.start(client, task_queue)
        assert await wait_for_decision_stage(handle) == "awaiting-decision"
        assert (await live.snapshot(client, handle))["rows"][0]["actions"] == ["approve", "decline", "room"]
        await live.CONTROLS["room"](client, handle, {"quorum": 10})
        for device in ("room-0001", "room-0002"):
            await live.CONTROLS["vote"](client, handle, {"device": device, "answer": "approve"})
        with pytest.raises(ControlRejected, match="unknown choice 'maybe'"):
            await live.CONTROLS["vote"](client, handle, {"device": "room-0003", "answer": "maybe"})
        shown = await poll_until(lambda: live.snapshot(client, handle), lambda s: s.get("room", {}).get("approve") == 2, "two room votes")
        assert shown["rows"][0]["actions"] == ["approve", "decline", "close"]
        await live.CONTROLS["close"](client, handle, {})
        outcome: LoanOutcome = await handle.result()
    assert outcome.status == "approved" and outcome.room.decided_by == "presenter"
    assert outcome.decision.reason == "closed by the presenter: 2 approve, 0 decline"
