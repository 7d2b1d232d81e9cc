"""The client side of a poll: the functions a web process (the share mode's HTTP layer), the demo's
simulated devices and the benchmark call. They hold no vote: every vote lives in Temporal.

    open_poll(client, params, task_queue=...)         -> WorkflowHandle
    cast_vote(client, workflow_id, device, answer, wait_s=...)  -> VoteReceipt
        accepted  the vote is counted; receipt.seq is its place in the count
        rejected  the validator (or the server) refused it; receipt.reason says why, for the phone
        waiting   not counted yet: no worker is running to validate it, it is queued behind the
                  10 votes per poll this process sends at a time (Temporal keeps no more waiting:
                  history.maxInFlightUpdates), or the server asked for it again. The phone shows
                  "waiting" and sends the same vote again (same device, same answer: the same
                  update id) until it is accepted or rejected. It is one update however often it is sent, so it is
                  counted once; one already admitted is counted as soon as a worker is back.
    close_poll(client, workflow_id, wait_s=...)       -> CloseReceipt (closed, with the final tally / waiting / rejected)
    read_tally(client, workflow_id)                   -> Tally | None (None: no worker to answer yet)

The update id of a vote is derived from (poll, device, answer), so a web process restarted in the
middle of a poll sends a phone's retry with the very same id it used before: nothing to remember.
A different answer from the same device is a different update, which the validator rejects.

The one thing a process keeps is its update calls still waiting for an outcome (see _Calls): the
next try of a waiting vote waits on the same call instead of cancelling it and sending another,
and at most 10 calls per poll are sent at a time. Lost with the process, they cost nothing: the
vote is admitted in Temporal or it is not, and the phone's next try finds out which.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable, Literal

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from demos.poll.model import CloseRequest, PollParams, PollResult, Tally, Vote, VoteAccepted, params_problem
from demos.poll.workflows import PollWorkflow

ACCEPTED, REJECTED, WAITING = "accepted", "rejected", "waiting"
CLOSED_REASON = "the poll is closed"
DEFAULT_WAIT_S = 3.0
WORKFLOW_TASK_TIMEOUT = timedelta(seconds=4)


@dataclass(frozen=True)
class VoteReceipt:
    status: Literal["accepted", "rejected", "waiting"]
    vote_id: str  # the update id: send the same vote again and it is this update again
    device_id: str
    answer: str
    seq: int | None = None  # accepted: this vote's place in the count (1 = first)
    reason: str = ""  # rejected: why (for the phone); waiting: what it waits for


@dataclass(frozen=True)
class CloseReceipt:
    status: Literal["closed", "rejected", "waiting"]
    tally: Tally | None = None
    reason: str = ""


class PollParamsError(ValueError):
    """Parameters no poll can be opened with (no question, 5 answers, ...)."""


def vote_id(workflow_id: str, device_id: str, answer: str) -> str:
    """The update id of this device's vote for this answer in this poll: the same every time."""
    digest = hashlib.sha256(f"{workflow_id}\0{device_id}\0{answer}".encode()).hexdigest()[:32]
    return f"vote-{digest}"


async def open_poll(client: Client, params: PollParams, *, task_queue: str, workflow_id: str) -> WorkflowHandle:
    problem = params_problem(params)
    if problem:
        raise PollParamsError(problem)
    return await client.start_workflow(
        PollWorkflow.run,
        params,
        id=workflow_id,
        task_queue=task_queue,
        result_type=PollResult,
        # A worker killed while it holds the poll's task never answers: after this the server gives
        # the task (and the votes in it) to the next worker. The default is 10 s.
        task_timeout=WORKFLOW_TASK_TIMEOUT,
    )


async def cast_vote(
    client: Client, workflow_id: str, device_id: str, answer: str, *, wait_s: float = DEFAULT_WAIT_S, update_id: str | None = None
) -> VoteReceipt:
    """One vote, with an outcome the phone can show within about `wait_s` (see the module doc)."""
    device_id, answer = str(device_id), str(answer)
    update_id = update_id or vote_id(workflow_id, device_id, answer)
    handle = client.get_workflow_handle(workflow_id)

    def receipt(status: str, **kw) -> VoteReceipt:
        return VoteReceipt(status, update_id, device_id, answer, **kw)  # type: ignore[arg-type]

    outcome = await _within(
        client,
        wait_s,
        (workflow_id, update_id),
        lambda: handle.execute_update(PollWorkflow.vote, Vote(device_id, answer), id=update_id, result_type=VoteAccepted),
    )
    if isinstance(outcome, _Waiting):
        return receipt(WAITING, reason=outcome.reason)
    if isinstance(outcome, BaseException):
        return receipt(REJECTED, reason=_rejection_reason(outcome))
    return receipt(ACCEPTED, seq=outcome.seq)


async def close_poll(client: Client, workflow_id: str, *, by: str = "presenter", wait_s: float = DEFAULT_WAIT_S) -> CloseReceipt:
    handle = client.get_workflow_handle(workflow_id)
    # One close per poll: a repeated press is the same update, answered with the same tally.
    outcome = await _within(
        client, wait_s, (workflow_id, "close"), lambda: handle.execute_update(PollWorkflow.close, CloseRequest(by), id="close", result_type=Tally)
    )
    if isinstance(outcome, _Waiting):
        return CloseReceipt("waiting", reason=outcome.reason)
    if isinstance(outcome, BaseException):
        return CloseReceipt("rejected", reason=_rejection_reason(outcome))
    return CloseReceipt("closed", tally=outcome)


async def read_tally(client: Client, workflow_id: str, *, wait_s: float = 2.0) -> Tally | None:
    """The live tally (a query: needs a worker), or the final one of a completed poll (its result,
    read from the history: needs none). None when neither can be had within `wait_s`."""
    handle = client.get_workflow_handle(workflow_id, result_type=PollResult)
    try:
        return await asyncio.wait_for(handle.query(PollWorkflow.tally), wait_s)
    except (asyncio.TimeoutError, RPCError, WorkflowQueryFailedError):  # no worker, or one restarting
        pass
    try:
        if (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED:
            result: PollResult = await handle.result()
            return result.tally
    except RPCError:
        pass
    return None


# --- internals ---------------------------------------------------------------------------------


NO_WORKER = "no worker has counted it yet (none running?): send it again"
BUSY = "Temporal holds as many waiting votes for this poll as it keeps at once: send it again"
IN_FLIGHT_PER_POLL = 10  # Temporal's history.maxInFlightUpdates default
CALL_LIMIT_S = 60.0  # how long one update call may wait for its outcome; the next attempt starts another
NUDGE_AFTER_S = 3.0  # a vote waiting this long nudges its poll (see _Calls.nudge) ...
NUDGE_EVERY_S = 5.0  # ... at most this often per poll and process


@dataclass(frozen=True)
class _Waiting:
    reason: str


class _Calls:
    """This process's update calls still waiting for an outcome, one per (poll, update id).

    A call that is still waiting is left running (up to CALL_LIMIT_S) and the next attempt of the
    same vote waits on it again, rather than cancelling it and sending a new one: cancelled and
    re-sent updates, again and again, kept the server from handing them to a worker at all while
    the poll's task was slow or its worker gone (measured on the dev server). Only the waiting is
    kept here; the vote is admitted in Temporal or not, so a restarted process loses nothing.
    """

    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], tuple[asyncio.Future, float]] = {}
        self.nudged_at: dict[str, float] = {}
        self.lanes: dict[str, asyncio.Semaphore] = {}

    def call(self, key: tuple[str, str], start: Callable[[], Awaitable[object]]) -> tuple[asyncio.Future, float]:
        if key not in self.pending:
            lane = self.lanes.setdefault(key[0], asyncio.Semaphore(IN_FLIGHT_PER_POLL))

            async def in_lane() -> object:
                # At most as many calls per poll as Temporal keeps in flight: the rest wait here,
                # in order, instead of being refused (RESOURCE_EXHAUSTED) and retried with backoff.
                async with lane:
                    return await start()

            task = asyncio.ensure_future(asyncio.wait_for(in_lane(), CALL_LIMIT_S))
            self.pending[key] = (task, time.monotonic())
            task.add_done_callback(lambda done: self._forget(key, done))
        return self.pending[key]

    def _forget(self, key: tuple[str, str], done: asyncio.Future) -> None:
        if self.pending.get(key, (None,))[0] is done:
            del self.pending[key]
        if not done.cancelled():
            done.exception()  # retrieved: an outcome nobody waits for any more is not an error to log

    async def nudge(self, client: Client, workflow_id: str) -> None:
        """Signal the poll `nudge` (rate-limited). A vote waiting for seconds while workers run
        usually waits on a workflow task the server keeps in memory only, sent to the queue of a
        worker that died; a signal makes the server write an ordinary workflow task, which goes to
        a live worker with every waiting vote. See demos/poll/worker.py."""
        now = time.monotonic()
        if now - self.nudged_at.get(workflow_id, -NUDGE_EVERY_S) < NUDGE_EVERY_S:
            return
        self.nudged_at[workflow_id] = now
        try:
            await client.get_workflow_handle(workflow_id).signal(PollWorkflow.nudge)
        except RPCError:
            pass  # completed, or the server is away: the vote's own outcome will say


_CALLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Calls] = weakref.WeakKeyDictionary()


async def _within(client: Client, wait_s: float, key: tuple[str, str], start: Callable[[], Awaitable[object]]) -> object:
    """The outcome of an update call within `wait_s`: its result, the exception it raised, or _Waiting."""
    calls = _CALLS.setdefault(asyncio.get_running_loop(), _Calls())
    task, started = calls.call(key, start)
    done, _ = await asyncio.wait({task}, timeout=wait_s)
    if not done:
        if time.monotonic() - started >= NUDGE_AFTER_S:
            await calls.nudge(client, key[0])
        return _Waiting(NO_WORKER)
    error = task.exception()
    if error is None:
        return task.result()
    if isinstance(error, (asyncio.TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError)):
        return _Waiting(NO_WORKER)
    if isinstance(error, RPCError) and error.status == RPCStatusCode.RESOURCE_EXHAUSTED:
        return _Waiting(BUSY)  # more than Temporal's in-flight updates per workflow (10 by default)
    if isinstance(error, RPCError) and error.status == RPCStatusCode.UNAVAILABLE:
        # "workflow update was aborted": the server dropped the waiting update (its worker was
        # lost, its workflow reloaded) and asks for it again. Nothing was counted.
        return _Waiting(f"Temporal asked for the vote again ({error.message})")
    if isinstance(error, (WorkflowUpdateFailedError, RPCError)):
        return error
    raise error


def _rejection_reason(error: BaseException) -> str:
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        return cause.message if isinstance(cause, ApplicationError) else str(cause or error)
    if isinstance(error, RPCError):
        if error.status == RPCStatusCode.NOT_FOUND:
            # The workflow has completed (its results window is over) or never existed.
            return CLOSED_REASON if "completed" in error.message.lower() else "there is no such poll"
        if error.status == RPCStatusCode.FAILED_PRECONDITION and "total updates" in error.message:
            return "the poll is full"
        return f"Temporal refused the vote: {error.message}"
    return str(error)
