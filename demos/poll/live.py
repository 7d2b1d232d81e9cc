"""Present mode: the talk's poll, live. "Run live" opens it; every vote (from the slide now, from the
audience's phones once the share mode sends them here) is an Update checked by the validator; "Kill
worker" leaves the votes waiting, "Start worker" gets them counted; "close" ends the vote and the
tally stays on the slide.

Controls (args as the HTTP layer will send them):
    vote   {"device": "<device id>", "answer": "A".."D"}   -> accepted (#n) / rejected (reason) / waiting
    close  {}                                              -> the final tally, or waiting for a worker
snapshot() returns the tally: "lines" for the slide as it is today, and "tally" (question, answers
with counts, total, closed) for a chart.
"""

from __future__ import annotations

from dataclasses import asdict

from temporalio.client import Client, WorkflowHandle

from demos.common.live import ControlRejected
from demos.poll.devices import device_ids, room_votes, scripted_ballots, temporal_cast
from demos.poll.starter import ROOM_WEIGHTS, new_poll_id, talk_poll
from demos.poll.votes import ACCEPTED, REJECTED, close_poll, open_poll, read_tally
from demos.poll.worker import running_worker

WORKERS = {"worker": lambda client, task_queue: running_worker(client, task_queue)}
KILLABLE_ROLE = "worker"
KILL_AFTER_S = 1.0  # rehearsal: kill the worker while the room is voting
RESULTS_OPEN_S = 15.0  # after the close: late phones still get "the poll is closed" from the validator
# Present mode waits for a control's answer: a vote shows "waiting" after this rather than hang.
CONTROL_WAIT_S = 2.0
PRESENTER_DEVICE = "presenter-slide"  # the slide's own buttons vote as this one device


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    return await open_poll(client, talk_poll(results_open_s=RESULTS_OPEN_S), task_queue=task_queue, workflow_id=new_poll_id())


async def _vote(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    receipt = await temporal_cast(client, handle.id, wait_s=CONTROL_WAIT_S)(str(args.get("device", "")), str(args.get("answer", "")))
    if receipt.status == REJECTED:
        raise ControlRejected(f"update vote rejected by its validator: {receipt.reason}", request="update vote", reason=receipt.reason)
    if receipt.status == ACCEPTED:
        return {"message": f"update vote accepted: {receipt.answer}, vote #{receipt.seq}", "receipt": asdict(receipt)}
    return {"message": f"vote waiting: {receipt.reason}", "receipt": asdict(receipt)}


async def _close(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    receipt = await close_poll(client, handle.id, wait_s=CONTROL_WAIT_S)
    if receipt.status == "rejected":
        raise ControlRejected(receipt.reason)
    if receipt.status == "waiting":
        return {"message": f"close waiting: {receipt.reason}"}
    return {"message": f"update close: {receipt.tally.total} votes", "tally": asdict(receipt.tally)}


CONTROLS = {"vote": _vote, "close": _close}


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    tally = await read_tally(client, handle.id)
    if tally is None:
        # No worker to answer the query: present mode keeps the last tally it showed.
        raise RuntimeError("no worker is running to answer the tally query")
    rows = []
    if not tally.closed:
        rows = [{"label": f"{a.key}. {a.text}: {a.votes}", "actions": ["vote"], "args": {"device": PRESENTER_DEVICE, "answer": a.key}} for a in tally.answers]
        rows.append({"label": f"{tally.total} votes", "actions": ["close"], "args": {}, "bar": True})  # in the slide's bar: the chart fills the slide
    lines = [f"{a.key}. {a.text}: {a.votes}" for a in tally.answers] if tally.closed else []
    lines.append(f"{tally.total} of at most {tally.max_voters} voters" + (f", closed by {tally.closed_by}" if tally.closed else ""))
    # What the audience's phones vote on (share mode): the answers, while the poll is open.
    ballot = {"control": "vote", "question": tally.question, "answers": [{"key": a.key, "text": a.text} for a in tally.answers], "open": not tally.closed}
    return {"rows": rows, "lines": lines, "tally": asdict(tally), "ballot": ballot}


async def finish(client: Client, handle: WorkflowHandle, session: object) -> None:
    """Rehearsal: a room of twelve phones votes (the worker was killed and restarted meanwhile), one
    votes twice (rejected), then the presenter closes the poll."""
    ballots = scripted_ballots(device_ids(12, prefix="rehearsal"), ROOM_WEIGHTS)
    cast = temporal_cast(client, handle.id, wait_s=CONTROL_WAIT_S)
    votes = await room_votes(cast, ballots, spread_s=2.0)
    if not all(v.accepted for v in votes):
        raise RuntimeError(f"not every rehearsal vote was counted: {[v.as_json() for v in votes if not v.accepted]}")
    first_device, first_answer = ballots[0]
    second = await cast(first_device, "A" if first_answer != "A" else "B")
    if second.status != REJECTED:
        raise RuntimeError(f"a second vote from one device was not rejected: {second}")
    for _ in range(30):
        if (await close_poll(client, handle.id, wait_s=CONTROL_WAIT_S)).status == "closed":
            return
    raise RuntimeError("the poll could not be closed (no worker?)")
