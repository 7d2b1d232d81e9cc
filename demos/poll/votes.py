"""The client side of a poll: the functions a web process (the share mode's HTTP layer), the demo's
simulated devices and the benchmark call. They hold no vote: every vote lives in Temporal.

    open_poll(client, params, task_queue=...)         -> WorkflowHandle
    cast_vote(client, workflow_id, device, answer, wait_s=...)  -> VoteReceipt
        accepted  the vote is counted; receipt.seq is its place in the count
        rejected  the validator (or the server) refused it; receipt.reason says why, for the phone
        waiting   not counted yet: no worker is running to validate it, or Temporal holds as many
                  votes for this poll as it keeps waiting at once (history.maxInFlightUpdates, 10
                  by default) and refused this one for now. The phone shows "waiting" and sends
                  the same vote again (same device, same answer: the same update id) until it is
                  accepted or rejected. It is one update however often it is sent, so it is
                  counted once; one already admitted is counted as soon as a worker is back.
    close_poll(client, workflow_id, wait_s=...)       -> CloseReceipt (closed, with the final tally / waiting / rejected)
    read_tally(client, workflow_id)                   -> Tally | None (None: no worker to answer yet)

The update id of a vote is derived from (poll, device, answer), so a web process restarted in the
middle of a poll sends a phone's retry with the very same id it used before: nothing to remember.
A different answer from the same device is a different update, which the validator rejects.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

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

    outcome = await _within(wait_s, handle.execute_update(PollWorkflow.vote, Vote(device_id, answer), id=update_id, result_type=VoteAccepted))
    if isinstance(outcome, _Waiting):
        return receipt(WAITING, reason=outcome.reason)
    if isinstance(outcome, BaseException):
        return receipt(REJECTED, reason=_rejection_reason(outcome))
    return receipt(ACCEPTED, seq=outcome.seq)


async def close_poll(client: Client, workflow_id: str, *, by: str = "presenter", wait_s: float = DEFAULT_WAIT_S) -> CloseReceipt:
    handle = client.get_workflow_handle(workflow_id)
    # One close per poll: a repeated press is the same update, answered with the same tally.
    outcome = await _within(wait_s, handle.execute_update(PollWorkflow.close, CloseRequest(by), id="close", result_type=Tally))
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
        description = await asyncio.wait_for(handle.describe(), wait_s)
        if description.status == WorkflowExecutionStatus.COMPLETED:
            result: PollResult = await handle.result()
            return result.tally
        return await asyncio.wait_for(handle.query(PollWorkflow.tally), wait_s)
    except (asyncio.TimeoutError, RPCError, WorkflowQueryFailedError):  # no worker, or one restarting
        return None


# --- internals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Waiting:
    reason: str


NO_WORKER = "no worker has counted it yet (none running?): send it again"
BUSY = "Temporal holds as many waiting votes for this poll as it keeps at once: send it again"


async def _within(wait_s: float, call) -> object:
    """Run an update call for at most `wait_s`: its result, the exception it raised, or _Waiting.

    Giving up waiting does not withdraw the update: once admitted the server keeps it and hands it
    to the next worker. Cancelling the client's call only stops this caller from waiting for it.
    """
    task = asyncio.ensure_future(call)
    done, _ = await asyncio.wait({task}, timeout=wait_s)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WorkflowUpdateRPCTimeoutOrCancelledError):
            await task
        return _Waiting(NO_WORKER)
    error = task.exception()
    if error is None:
        return task.result()
    if isinstance(error, RPCError) and error.status == RPCStatusCode.RESOURCE_EXHAUSTED:
        return _Waiting(BUSY)  # more than Temporal's in-flight updates per workflow (10 by default)
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
