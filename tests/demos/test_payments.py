"""Payments for real: the debit's answer is lost and the retry charges nothing more; a batch worker
OS process is SIGKILLed mid-settlement and a new one resumes from the last heartbeat."""

from __future__ import annotations

import dataclasses
import os

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer

from demos.common.capture import capture_demo
from demos.payments import ledger, scenario
from demos.payments.activities import DebitRequest, SettlementBatch, debit_account, settle_batch
from demos.payments.starter import ACCOUNT, OPENING_BALANCE_CENTS, new_ledger

pytestmark = pytest.mark.timeout(120)


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    """One run of the scenario (about 10 s), shared by the assertions below."""
    return await capture_demo("payments", client)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_account_is_charged_exactly_once(capture):
    extra = capture["extra"]
    assert extra["balance_before_cents"] == OPENING_BALANCE_CENTS
    assert extra["balance_after_cents"] == OPENING_BALANCE_CENTS - extra["amount_cents"]
    assert extra["debits_recorded"] == 1 and extra["charged_once"] is True
    assert [(a["attempt"], a["outcome"]) for a in extra["debit_attempts"]] == [(1, "debited"), (2, "already debited")]
    assert capture["result"]["outcome"] == "already debited" and capture["result"]["attempt"] == 2


async def test_history_shows_the_retry_after_the_lost_answer(capture):
    started = [e["detail"] for e in capture["events"] if e["type"] == "ActivityTaskStarted"]
    assert len(started) == 1 and started[0].startswith("debit_account attempt 2")
    assert "connection reset after the ledger committed the debit" in started[0]


async def test_settlement_resumes_from_the_last_heartbeat_on_a_new_process(capture):
    s = capture["extra"]["settlement"]
    first, second = s["killed_pid"], s["second_pid"]
    assert first != second and not _pid_alive(first) and not _pid_alive(second)
    assert s["final_attempt"] == 2
    by_first = [p["item"] for p in s["processed"] if p["pid"] == first]
    by_second = [p["item"] for p in s["processed"] if p["pid"] == second]
    assert by_first == list(range(1, len(by_first) + 1)) and len(by_first) >= scenario.KILL_AFTER_ITEMS
    # The new attempt starts where the last heartbeat said, not at item 1; at most the item in
    # flight when the heartbeat was sent is done again.
    assert 1 < s["resumed_from_item"] <= len(by_first) + 1
    assert by_second == list(range(s["resumed_from_item"], scenario.ITEMS + 1))
    # Redone: exactly the items finished after the last heartbeat the server received (usually none).
    assert s["redone_items"] == list(range(s["resumed_from_item"], len(by_first) + 1))
    assert s["settled_once_each"] is True


async def test_settlement_activity_runs_on_the_batch_queue(capture):
    queues = capture["extra"]["task_queues"]
    assert queues["batch"] != queues["real_time"]
    history = capture["other_histories"][capture["extra"]["settlement"]["workflow_id"]]
    scheduled = [e["activityTaskScheduledEventAttributes"] for e in history["events"] if "activityTaskScheduledEventAttributes" in e]
    assert [a["taskQueue"]["name"] for a in scheduled] == [queues["batch"]]
    started = [e["activityTaskStartedEventAttributes"] for e in history["events"] if "activityTaskStartedEventAttributes" in e]
    assert started[0]["attempt"] == 2 and "Heartbeat timeout" in started[0]["lastFailure"]["message"]


async def test_captured_histories_replay_deterministically(capture):
    replayer = Replayer(workflows=scenario.WORKFLOWS)
    for workflow_id, history in [(capture["workflow_id"], capture["history"]), *capture["other_histories"].items()]:
        result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, history), raise_on_replay_failure=False)
        assert result.replay_failure is None


# ----- the activities on their own ------------------------------------------------------------


def _env(attempt: int = 1, heartbeat_details: list | None = None) -> tuple[ActivityEnvironment, list]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=heartbeat_details or [])
    beats: list = []
    env.on_heartbeat = lambda *details: beats.append(details[0])
    return env, beats


async def test_a_second_debit_with_the_same_transaction_id_charges_nothing(tmp_path):
    path = new_ledger(tmp_path / "ledger.sqlite")
    request = DebitRequest(path, "txn-1", ACCOUNT, 1_000, lose_response_attempts=0)
    first = await _env(1)[0].run(debit_account, request)
    again = await _env(2)[0].run(debit_account, request)
    assert (first.outcome, again.outcome) == ("debited", "already debited")
    assert ledger.balance(path, ACCOUNT) == OPENING_BALANCE_CENTS - 1_000


async def test_insufficient_funds_is_not_retried(tmp_path):
    path = new_ledger(tmp_path / "ledger.sqlite")
    with pytest.raises(ApplicationError) as err:
        await _env()[0].run(debit_account, DebitRequest(path, "txn-2", ACCOUNT, OPENING_BALANCE_CENTS + 1))
    assert err.value.non_retryable and err.value.type == "InsufficientFunds"
    assert ledger.balance(path, ACCOUNT) == OPENING_BALANCE_CENTS


async def test_settle_batch_starts_at_the_heartbeat_and_heartbeats_each_item(tmp_path):
    path = new_ledger(tmp_path / "ledger.sqlite")
    batch = SettlementBatch(path, "b1", [f"t{n}" for n in range(1, 6)], item_seconds=0.0)
    env, beats = _env(attempt=2, heartbeat_details=[3])
    report = await env.run(settle_batch, batch)
    assert report.resumed_from_item == 3 and beats == [4, 5]
    assert [w["item"] for w in ledger.rows(path, "settlement_work")] == [4, 5]
