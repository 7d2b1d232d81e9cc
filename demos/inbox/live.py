"""Present mode: the CEO's inbox on stage. Four items arrive; the presenter approves, refines (an
update, checked by its validator: a refine without a note is rejected and never reaches the history)
or escalates each from the slide; the prioritized list and the decision trail come from queries."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from demos.common.live import ControlRejected
from demos.inbox.model import APPROVE, ESCALATE, REFINE, DecisionRequest, InboxParams
from demos.inbox.starter import CEO, ITEMS
from demos.inbox.worker import make_worker
from demos.inbox.workflows import InboxWorkflow

WORKERS = {"worker": lambda client, task_queue: make_worker(client, task_queue)}
ESCALATE_AFTER_SECONDS = 90.0  # on stage: time to decide by hand before the timer does it
SIDE_PANEL = True  # the items and their buttons sit beside the live picture


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    params = InboxParams(owner=CEO, escalate_after_seconds=ESCALATE_AFTER_SECONDS, close_when_all_decided=True)
    handle = await client.start_workflow(InboxWorkflow.run, params, id=f"ceo-inbox-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    for item in ITEMS:
        await handle.signal(InboxWorkflow.add_item, item)
    return handle


async def _approve(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    item_id = str(args.get("item_id", ""))
    await handle.signal(InboxWorkflow.submit_decision, DecisionRequest(item_id=item_id, action=APPROVE, by=CEO))
    return {"message": f"signal submit_decision: approve {item_id}"}


async def _escalate(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    item_id = str(args.get("item_id", ""))
    await handle.signal(InboxWorkflow.submit_decision, DecisionRequest(item_id=item_id, action=ESCALATE, by=CEO))
    return {"message": f"signal submit_decision: escalate {item_id}"}


async def _refine(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    request = DecisionRequest(item_id=str(args.get("item_id", "")), action=REFINE, by=CEO, note=str(args.get("note", "")))
    try:
        decision = await handle.execute_update(InboxWorkflow.decide, request)
    except WorkflowUpdateFailedError as err:
        reason = err.cause.message if err.cause is not None and hasattr(err.cause, "message") else str(err)
        raise ControlRejected(f"update decide rejected by its validator: {reason}", request="update decide", reason=reason) from None
    return {"message": f"update decide accepted: refine {decision.item_id} ({decision.note})"}


CONTROLS = {APPROVE: _approve, REFINE: _refine, ESCALATE: _escalate}


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    pending = await handle.query(InboxWorkflow.prioritized)
    trail = await handle.query(InboxWorkflow.trail)
    return {
        "rows": [{"label": f"{item.score} · {item.title}", "actions": [APPROVE, REFINE, ESCALATE], "args": {"item_id": item.id}} for item in pending],
        "lines": [f"{d.action} · {d.item} · by {d.by}" + (f" ({d.note})" if d.note else "") for d in trail],
        "note_for": [REFINE],
    }


async def finish(client: Client, handle: WorkflowHandle, session: object) -> None:
    """Rehearsal: decide every item the way the talk does (one rejected refine included)."""
    try:
        await _refine(client, handle, {"item_id": ITEMS[0].id, "note": ""})
    except ControlRejected:
        pass  # expected: the validator's rejection is part of the show
    for item, action in zip(ITEMS, (REFINE, APPROVE, APPROVE, ESCALATE)):
        await CONTROLS[action](client, handle, {"item_id": item.id, "note": "shorter list, please"})
