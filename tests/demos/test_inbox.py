"""The inbox demo against real Temporal: the dev server for signals/updates/queries, the
time-skipping test server for a day-long escalation deadline."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from demos.inbox import scenario
from demos.inbox.activities import Notification, notify
from demos.inbox.model import DecisionRequest, InboxItem, InboxParams, NewItem, in_priority_order
from demos.inbox.starter import BUDGET, HIRE, ITEMS, OFFSITE, POSTMORTEM, poll_until
from demos.inbox.worker import make_worker
from demos.inbox.workflows import InboxWorkflow

# Each test takes seconds; a hung one (e.g. a workflow task failing forever) should fail fast.
pytestmark = pytest.mark.timeout(60)

AN_HOUR = 3600.0  # a deadline no dev-server test waits for


async def start_inbox(client: Client, task_queue: str, **params) -> WorkflowHandle:
    params.setdefault("escalate_after_seconds", AN_HOUR)
    return await client.start_workflow(
        InboxWorkflow.run, InboxParams(owner="CEO", **params), id=f"inbox-test-{uuid.uuid4()}", task_queue=task_queue
    )


async def add_items(handle: WorkflowHandle, items: list[NewItem]) -> list[InboxItem]:
    for item in items:
        await handle.signal(InboxWorkflow.add_item, item)
    return await poll_until(
        lambda: handle.query(InboxWorkflow.prioritized), lambda pending: len(pending) == len(items), "items"
    )


async def decision_events(handle: WorkflowHandle) -> list:
    """Update-related events in the workflow's history."""
    update_types = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    }
    history = await handle.fetch_history()
    return [event for event in history.events if event.event_type in update_types]


# --- the priority rule ----------------------------------------------------------------------


def _item(id: str, score: int, received_at: str, seq: int) -> InboxItem:
    return InboxItem(id=id, title=id, sender="x", urgency=1, importance=1, score=score, received_at=received_at, seq=seq)


def test_priority_is_score_then_age_then_arrival():
    older = _item("older", 6, "2025-01-01T09:00:00+00:00", seq=2)
    newer = _item("newer", 6, "2025-01-01T10:00:00+00:00", seq=1)
    top = _item("top", 9, "2025-01-01T11:00:00+00:00", seq=4)
    same_instant_second = _item("second", 2, "2025-01-01T08:00:00+00:00", seq=6)
    same_instant_first = _item("first", 2, "2025-01-01T08:00:00+00:00", seq=5)
    ordered = in_priority_order([same_instant_second, newer, older, same_instant_first, top])
    assert [i.id for i in ordered] == ["top", "older", "newer", "first", "second"]


# --- against the dev server -----------------------------------------------------------------


async def test_query_lists_pending_items_by_priority(client: Client, task_queue: str):
    async with make_worker(client, task_queue):
        handle = await start_inbox(client, task_queue)
        pending = await add_items(handle, ITEMS)  # sent lowest priority first
        # 3x3=9 first; POSTMORTEM (3x2) and HIRE (2x3) tie at 6 and the one that arrived first wins.
        assert [(i.id, i.score) for i in pending] == [(BUDGET.id, 9), (POSTMORTEM.id, 6), (HIRE.id, 6), (OFFSITE.id, 1)]
        assert [i.seq for i in pending] == [4, 2, 3, 1]

        # An item with out-of-range ratings is ignored, not a failed workflow.
        await handle.signal(InboxWorkflow.add_item, NewItem(id="bad", title="Bad", sender="x", urgency=7, importance=1))
        await handle.signal(InboxWorkflow.close_inbox)
        assert await handle.result() == []


async def test_decisions_by_signal_and_update_end_in_the_trail(client: Client, task_queue: str):
    async with make_worker(client, task_queue):
        handle = await start_inbox(client, task_queue)
        await add_items(handle, ITEMS)

        await handle.signal(InboxWorkflow.submit_decision, DecisionRequest(BUDGET.id, "approve", by="Ada"))
        refined = await handle.execute_update(
            InboxWorkflow.decide, DecisionRequest(HIRE.id, "refine", by="Ada", note="second reference")
        )
        assert (refined.item_id, refined.action, refined.by, refined.note) == (HIRE.id, "refine", "Ada", "second reference")
        escalated = await handle.execute_update(InboxWorkflow.decide, DecisionRequest(OFFSITE.id, "escalate", by="Ada"))
        assert escalated.action == "escalate"

        # The signal was handled before the update (same order as sent), so both are in the trail.
        remaining = await handle.query(InboxWorkflow.prioritized)
        assert [i.id for i in remaining] == [POSTMORTEM.id]

        await handle.signal(InboxWorkflow.close_inbox)
        trail = await handle.result()
        assert [(d.item_id, d.action, d.by) for d in trail] == [
            (BUDGET.id, "approve", "Ada"),
            (HIRE.id, "refine", "Ada"),
            (OFFSITE.id, "escalate", "Ada"),
        ]
        assert trail[0].item == BUDGET.title
        assert all(datetime.fromisoformat(d.at).tzinfo is not None for d in trail)

        # The escalation really notified someone: the notify activity's receipt is in the history.
        history = await handle.fetch_history()
        receipts = [
            e.activity_task_completed_event_attributes.result.payloads[0].data
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        ]
        assert len(receipts) == 1
        receipt = json.loads(receipts[0])
        assert receipt["recipient"] == "Chief of Staff" and OFFSITE.title in receipt["message"]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (DecisionRequest("no-such-item", "approve", by="Ada"), "unknown item 'no-such-item'"),
        (DecisionRequest(BUDGET.id, "delegate", by="Ada"), "unknown action 'delegate'"),
        (DecisionRequest(BUDGET.id, "refine", by="Ada", note="  "), "refine needs a note"),
        (DecisionRequest(HIRE.id, "approve", by="Ada"), "already decided (approve by Ada)"),
    ],
    ids=["unknown-item", "unknown-action", "refine-without-note", "already-decided"],
)
async def test_invalid_update_is_rejected_and_not_in_history(
    client: Client, task_queue: str, request_: DecisionRequest, message: str
):
    async with make_worker(client, task_queue):
        handle = await start_inbox(client, task_queue)
        await add_items(handle, [BUDGET, HIRE])
        accepted = await handle.execute_update(
            InboxWorkflow.decide, DecisionRequest(HIRE.id, "approve", by="Ada"), id="accepted-update"
        )
        assert accepted.action == "approve"

        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(InboxWorkflow.decide, request_, id="rejected-update")
        assert isinstance(rejected.value.cause, ApplicationError)
        assert message in str(rejected.value.cause)

        # The accepted update left its trace; the rejected one left none.
        events = await decision_events(handle)
        update_ids = {
            e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
            for e in events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        }
        assert update_ids == {"accepted-update"}
        assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED for e in events)
        assert b"rejected-update" not in (await handle.fetch_history()).to_json().encode()

        # The same bad decision by signal cannot be answered, so it is ignored: the workflow lives on.
        await handle.signal(InboxWorkflow.submit_decision, request_)
        assert [d.item_id for d in await handle.query(InboxWorkflow.trail)] == [HIRE.id]
        await handle.signal(InboxWorkflow.close_inbox)
        assert [d.item_id for d in await handle.result()] == [HIRE.id]


async def test_inbox_can_end_once_everything_is_decided(client: Client, task_queue: str):
    async with make_worker(client, task_queue):
        handle = await start_inbox(client, task_queue, close_when_all_decided=True)
        await add_items(handle, [BUDGET])
        await handle.signal(InboxWorkflow.submit_decision, DecisionRequest(BUDGET.id, "approve", by="Ada"))
        trail = await handle.result()  # no close_inbox needed
        assert [(d.item_id, d.action) for d in trail] == [(BUDGET.id, "approve")]


async def test_scenario_end_to_end(client: Client, task_queue: str):
    lines: list[str] = []
    result = await scenario.run(client, task_queue=task_queue, log=lines.append)

    json.dumps(result.__dict__)  # the deck build stores it as JSON
    assert [(d["item_id"], d["action"], d["by"]) for d in result.result] == [
        (BUDGET.id, "approve", "CEO"),
        (HIRE.id, "refine", "CEO"),
        (OFFSITE.id, "escalate", "CEO"),
        (POSTMORTEM.id, "escalate", "timer"),
    ]
    assert [i["id"] for i in result.extra["prioritized"]] == [BUDGET.id, POSTMORTEM.id, HIRE.id, OFFSITE.id]
    assert "refine needs a note" in result.extra["rejected_update"]
    assert result.extra["trail"] == result.result
    described = await client.get_workflow_handle(result.workflow_id, run_id=result.run_id).describe()
    assert described.workflow_type == "InboxWorkflow"
    assert any("rejected" in line for line in lines)


# --- a day-long deadline, on the time-skipping test server ----------------------------------


async def test_undecided_item_escalates_after_a_day(time_skipping_env: WorkflowEnvironment):
    client = time_skipping_env.client
    task_queue = f"tq-{uuid.uuid4()}"
    one_day = timedelta(days=1)
    async with make_worker(client, task_queue):
        handle = await start_inbox(
            client, task_queue, escalate_after_seconds=one_day.total_seconds(), close_when_all_decided=True
        )
        await handle.signal(InboxWorkflow.add_item, BUDGET)
        await handle.signal(InboxWorkflow.add_item, POSTMORTEM)
        await handle.signal(InboxWorkflow.submit_decision, DecisionRequest(BUDGET.id, "approve", by="Ada"))

        started = time.monotonic()
        trail = await handle.result()  # waiting on the result lets the test server skip time
        assert time.monotonic() - started < 10

    assert [(d.item_id, d.action, d.by) for d in trail] == [(BUDGET.id, "approve", "Ada"), (POSTMORTEM.id, "escalate", "timer")]
    waited = datetime.fromisoformat(trail[1].at) - datetime.fromisoformat(trail[0].at)
    assert one_day <= waited < one_day + timedelta(minutes=1)
    assert trail[1].note == "no decision within 1 day, 0:00:00"


# --- the activity on its own ----------------------------------------------------------------


async def test_notify_returns_a_receipt_of_what_it_sent():
    receipt = await ActivityEnvironment().run(
        notify, Notification(recipient="Chief of Staff", subject="Escalated: X", body="From CFO.")
    )
    assert receipt.recipient == "Chief of Staff"
    assert receipt.message == "To Chief of Staff: Escalated: X. From CFO."
    assert receipt.attempt == 1
    assert datetime.fromisoformat(receipt.sent_at).tzinfo is not None


async def test_notify_without_recipient_fails_without_retry():
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(notify, Notification(recipient=" ", subject="s", body="b"))
    assert failed.value.non_retryable
