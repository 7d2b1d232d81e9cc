"""Present mode: a loan application on stage. The credit check and the document check run side by
side; then the workflow waits for a loan officer: approve or decline from the slide (a signal), or
let the review deadline pass and watch the timer route it to manual review. Or the presenter opens
the decision to the room ("room"): every device votes approve / decline (a signal each, counted
once per device) and the workflow decides at the quorum, when the room's 30 s timer fires, or when
the presenter closes the vote ("close").

Controls (args as the HTTP layer will send them):
    approve, decline  {}                                            the loan officer's signal
    room              {"quorum": n, "deadline_s": s} (both optional) open the decision to the room
    vote              {"device": "<device id>", "answer": "approve" | "decline"}
    close             {}                                            end the room's vote: the votes so far decide
snapshot() returns the stage and, once the room votes, "room": its tally (approve, decline,
quorum, deadline_s, voting, decided_by).
"""

from __future__ import annotations

from dataclasses import asdict

from temporalio.client import Client, WorkflowHandle

from demos.common.live import ControlRejected
from demos.loan_approval.room import DEFAULT_DEADLINE_S
from demos.loan_approval.starter import application, cast_room_vote, close_room, decide, open_to_room, submit
from demos.loan_approval.worker import build_worker
from demos.loan_approval.workflows import Decision, LoanApprovalWorkflow

WORKERS = {"worker": lambda client, task_queue: build_worker(client, task_queue)}
REVIEW_TIMEOUT_S = 45.0  # on stage: time to decide by hand before the timer does it
OFFICER = "presenter"
ROOM_QUORUM = 5  # the share mode will pass the number of devices in the room instead


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    return await submit(client, application("Ada", 250_000, review_timeout_s=REVIEW_TIMEOUT_S), task_queue=task_queue)


async def _approve(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await decide(handle, Decision(approved=True, officer=OFFICER, reason="approved on stage"))
    return {"message": "signal decide: approved"}


async def _decline(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await decide(handle, Decision(approved=False, officer=OFFICER, reason="declined on stage"))
    return {"message": "signal decide: declined"}


async def _room(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    try:
        params = await open_to_room(handle, quorum=int(args.get("quorum", ROOM_QUORUM)), deadline_s=float(args.get("deadline_s", DEFAULT_DEADLINE_S)))
    except ValueError as err:
        raise ControlRejected(str(err)) from None
    return {"message": f"signal open_to_room: the room decides at {params.quorum} votes or after {params.deadline_s:g} s"}


async def _vote(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    receipt = await cast_room_vote(client, handle.id, str(args.get("device", "")), str(args.get("answer", "")))
    if receipt.status == "rejected":
        raise ControlRejected(receipt.reason, request="signal room_vote", reason=receipt.reason)
    return {"message": f"signal room_vote: {receipt.choice} from {receipt.device_id}", "receipt": asdict(receipt)}


async def _close(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await close_room(handle)
    return {"message": "signal close_room: the votes so far decide"}


CONTROLS = {"approve": _approve, "decline": _decline, "room": _room, "vote": _vote, "close": _close}


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    status = await handle.query(LoanApprovalWorkflow.status)
    stage, room = status.stage, status.room
    data: dict = {"room": asdict(room)} if room else {}
    if stage == "awaiting-decision":
        return data | {"rows": [{"label": f"stage: {stage}", "actions": ["approve", "decline", "room"], "args": {}}]}
    lines = [f"stage: {stage}"]
    if room:
        lines.append(f"the room: {room.approve} approve · {room.decline} decline (quorum {room.quorum}, deadline {room.deadline_s:g} s)"
                     + (f", decided by {room.decided_by}" if room.decided_by else ""))
    if stage == "room-voting":  # the audience's phones vote (share mode): a Signal each, one per device
        data["ballot"] = {"control": "vote", "question": "Approve this loan application?", "open": True,
                          "answers": [{"key": "approve", "text": "Approve"}, {"key": "decline", "text": "Decline"}]}
        return data | {"rows": [{"label": "the room votes; the officer can still decide", "actions": ["approve", "decline", "close"], "args": {}}], "lines": lines}
    return data | {"lines": lines}


async def finish(client: Client, handle: WorkflowHandle, session: object) -> None:
    """Rehearsal: the room decides (the newer path on stage; the tests cover the officer's)."""
    from demos.loan_approval.starter import wait_for_decision_stage

    if await wait_for_decision_stage(handle) == "awaiting-decision":
        await _room(client, handle, {"quorum": 3})
        for n, answer in enumerate(["approve", "decline", "approve"], start=1):
            await _vote(client, handle, {"device": f"rehearsal-{n:04d}", "answer": answer})
