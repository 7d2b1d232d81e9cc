"""The client side of the questions board: the functions the share mode's web process, the simulated
phones, the export and the benchmark call. They hold no question: every question and upvote lives
in Temporal.

    open_board(client, deck, task_queue=...)              -> WorkflowHandle (the open board of that
                                                             talk, or a new one: one per workflow id)
    ask(client, workflow_id, device, text, name)          -> Receipt
    upvote(client, workflow_id, device, question_id)      -> Receipt
    moderate(client, workflow_id, action, question_id)    -> Receipt
        accepted  done; the receipt says the question's id, state or votes
        rejected  the validator (or the server) refused it; receipt.reason says why, for the phone
        waiting   not done yet: no worker is running to validate it, or it waits behind the 10
                  updates per workflow this process sends at a time. The phone sends the same thing
                  again (the same update id) until it is accepted or rejected: done once.
    read_board(client, workflow_id, include_all=False)    -> Board | None (None: no worker answers)
    read_mine(client, workflow_id, device)                -> Mine | None
    final_board(client, workflow_id)                      -> Board | None: the live one, else the
                                                             result of a closed board (no worker needed)

An ask's update id is derived from (board, device, text) and an upvote's from (board, device,
question, the phone's press), so a web process restarted in the middle of the talk sends a phone's retry with the very
same id it used before. The update calls are made the way the poll's votes are (demos/poll/votes.py:
at most 10 in flight per workflow and process, a call still waiting is waited on again rather than
sent twice, a long wait nudges the workflow): that machinery is reused, not copied.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from demos.poll.votes import BUSY, NO_WORKER, _Waiting, _within  # the poll's update-call discipline (see the module doc)
from demos.questions.model import (
    Ask,
    Asked,
    Audit,
    Board,
    BoardParams,
    CloseBoard,
    Configure,
    Mine,
    Moderate,
    Moderated,
    Upvote,
    Upvoted,
    board_id,
    normalize,
)
from demos.questions.workflows import CLOSED, QuestionsWorkflow

ACCEPTED, REJECTED, WAITING = "accepted", "rejected", "waiting"
DEFAULT_WAIT_S = 3.0
WORKFLOW_TASK_TIMEOUT = timedelta(seconds=4)  # a killed worker's task goes to the next one after this
_WAITING_FOR = {  # the poll's words for a waiting update, said of a question
    NO_WORKER: "no worker has taken it yet (none running?): send it again",
    BUSY: "Temporal holds as many waiting updates for this board as it keeps at once: send it again",
}


class BoardUnreadable(RuntimeError):
    """An open board whose query nobody answered (no worker running)."""


@dataclass(frozen=True)
class Receipt:
    status: Literal["accepted", "rejected", "waiting"]
    update_id: str  # send the same thing again and it is this update again
    question_id: int | None = None
    state: str = ""  # ask / moderate: the question's state now
    votes: int | None = None  # upvote: the question's count with this upvote in it
    pinned: int | None = None  # moderate: the pinned question now (0: none)
    again: bool = False  # ask: the same question this device had asked already
    reason: str = ""  # rejected: why (for the phone); waiting: what it waits for

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", False) or k == "status"}


def ask_id(workflow_id: str, device_id: str, text: str) -> str:
    return "ask-" + _digest(workflow_id, device_id, normalize(text).casefold())


def upvote_id(workflow_id: str, device_id: str, question_id: int, attempt: str = "") -> str:
    """One press of the upvote button: a phone sends the same `attempt` again while it is told
    "waiting" (the same update: counted once), and a new one for a new press, which the validator
    then refuses ("you already upvoted this question") instead of answering the first press again."""
    return "upvote-" + _digest(workflow_id, device_id, str(question_id), attempt)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


async def open_board(client: Client, deck: str, *, task_queue: str, moderation: bool = False, workflow_id: str | None = None,
                     **rules: float) -> WorkflowHandle:
    """The talk's open board, started if there is none: the same call from a restarted web process
    finds the board it left (USE_EXISTING), and one closed after the last talk gives way to a new one.
    `rules`: BoardParams' idle_close_s, continue_after_updates, ask_gap_s, max_per_device."""
    return await client.start_workflow(
        QuestionsWorkflow.run,
        BoardParams(deck, moderation, **rules),
        id=workflow_id or board_id(deck),
        task_queue=task_queue,
        result_type=Board,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        task_timeout=WORKFLOW_TASK_TIMEOUT,
    )


async def ask(client: Client, workflow_id: str, device_id: str, text: str, name: str = "", *, wait_s: float = DEFAULT_WAIT_S) -> Receipt:
    update_id = ask_id(workflow_id, str(device_id), str(text))
    outcome = await _call(client, workflow_id, update_id, wait_s,
                          lambda h: h.execute_update(QuestionsWorkflow.ask, Ask(str(device_id), text, name), id=update_id, result_type=Asked))
    if isinstance(outcome, Receipt):
        return outcome
    return Receipt(ACCEPTED, update_id, outcome.question_id, state=outcome.state, again=outcome.again)


async def upvote(client: Client, workflow_id: str, device_id: str, question_id: int, *, attempt: str = "", wait_s: float = DEFAULT_WAIT_S) -> Receipt:
    update_id = upvote_id(workflow_id, str(device_id), question_id, attempt)
    outcome = await _call(client, workflow_id, update_id, wait_s,
                          lambda h: h.execute_update(QuestionsWorkflow.upvote, Upvote(str(device_id), question_id, attempt), id=update_id, result_type=Upvoted))
    if isinstance(outcome, Receipt):
        return outcome
    return Receipt(ACCEPTED, update_id, outcome.question_id, votes=outcome.votes)


async def moderate(client: Client, workflow_id: str, action: str, question_id: int, *, by: str = "presenter", wait_s: float = DEFAULT_WAIT_S) -> Receipt:
    # Each press is its own update (hide, approve, hide again are three): a repeated press is
    # refused by the validator ("already hidden"), so it changes nothing twice.
    update_id = f"moderate-{action}-{question_id}-{uuid.uuid4().hex[:12]}"
    outcome = await _call(client, workflow_id, update_id, wait_s,
                          lambda h: h.execute_update(QuestionsWorkflow.moderate, Moderate(action, question_id, by), id=update_id, result_type=Moderated))
    if isinstance(outcome, Receipt):
        return outcome
    return Receipt(ACCEPTED, update_id, outcome.question_id, state=outcome.state, pinned=outcome.pinned)


async def configure(client: Client, workflow_id: str, *, moderation: bool, wait_s: float = DEFAULT_WAIT_S) -> Receipt:
    update_id = f"configure-{uuid.uuid4().hex[:12]}"
    outcome = await _call(client, workflow_id, update_id, wait_s,
                          lambda h: h.execute_update(QuestionsWorkflow.configure, Configure(moderation), id=update_id, result_type=bool))
    return outcome if isinstance(outcome, Receipt) else Receipt(ACCEPTED, update_id, state="moderated" if outcome else "open")


async def close_board(client: Client, workflow_id: str, *, by: str = "presenter", wait_s: float = DEFAULT_WAIT_S) -> Receipt:
    outcome = await _call(client, workflow_id, "close", wait_s,
                          lambda h: h.execute_update(QuestionsWorkflow.close, CloseBoard(by), id="close", result_type=Board))
    return outcome if isinstance(outcome, Receipt) else Receipt(ACCEPTED, "close", state="closed")


async def read_board(client: Client, workflow_id: str, *, include_all: bool = False, since: int = 0, wait_s: float = 2.0) -> Board | None:
    """The live board (a query: a worker answers it), or None when none answers within `wait_s`.
    `since` (with include_all): only the questions changed after that version (Board.since says if so)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can lose the caller's cancellation
        # (present mode's board loop reads through here and must end on Ctrl-C; see deckbuild/aio.py).
        async with asyncio.timeout(wait_s):
            return await handle.query(QuestionsWorkflow.board, args=[include_all, since], result_type=Board)
    except (asyncio.TimeoutError, RPCError, WorkflowQueryFailedError):  # no worker, or one restarting
        return None


async def read_mine(client: Client, workflow_id: str, device_id: str, *, wait_s: float = 2.0) -> Mine | None:
    try:
        async with asyncio.timeout(wait_s):
            return await client.get_workflow_handle(workflow_id).query(QuestionsWorkflow.mine, device_id, result_type=Mine)
    except (asyncio.TimeoutError, RPCError, WorkflowQueryFailedError):
        return None


async def read_audit(client: Client, workflow_id: str, *, wait_s: float = 5.0) -> Audit:
    return await asyncio.wait_for(client.get_workflow_handle(workflow_id).query(QuestionsWorkflow.audit, result_type=Audit), wait_s)


async def final_board(client: Client, workflow_id: str, *, wait_s: float = 5.0) -> Board | None:
    """Every question of the board (pending and hidden ones included): a closed board's result from
    its history (no worker needed), an open one's by query (BoardUnreadable when no worker answers).
    None: there is no such board."""
    handle = client.get_workflow_handle(workflow_id, result_type=Board)
    try:
        status = (await handle.describe()).status
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    board = await read_board(client, workflow_id, include_all=True, wait_s=wait_s)
    if board is None:
        raise BoardUnreadable(f"the board {workflow_id!r} is open but no worker answered its query within {wait_s:.0f} s")
    return board


# --- internals -----------------------------------------------------------------------------------


async def _call(client: Client, workflow_id: str, update_id: str, wait_s: float, send) -> object:
    """The update's result, or a Receipt saying it was rejected or waits."""
    handle = client.get_workflow_handle(workflow_id)  # no run id: the board's current run
    outcome = await _within(client, wait_s, (workflow_id, update_id), lambda: send(handle))
    if isinstance(outcome, _Waiting):
        return Receipt(WAITING, update_id, reason=_WAITING_FOR.get(outcome.reason, "Temporal asked for it again: send it again"))
    if isinstance(outcome, BaseException):
        if await _moved_on(client, workflow_id, outcome):
            return Receipt(WAITING, update_id, reason="the board moved to a new run: send it again")
        return Receipt(REJECTED, update_id, reason=_rejection_reason(outcome))
    return outcome


async def _moved_on(client: Client, workflow_id: str, error: BaseException) -> bool:
    """An update that met the end of a run which continued as new: the board is still open, in its
    next run, and the same update sent again goes there."""
    if not (isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND):
        return False
    try:
        return (await client.get_workflow_handle(workflow_id).describe()).status == WorkflowExecutionStatus.RUNNING
    except RPCError:
        return False


def _rejection_reason(error: BaseException) -> str:
    cause = getattr(error, "cause", None)
    if isinstance(cause, ApplicationError):  # the validator's own words
        return cause.message
    if isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND:
        return CLOSED if "completed" in error.message.lower() else "there is no question board for this talk"
    return f"Temporal refused it: {getattr(error, 'message', None) or error}"
