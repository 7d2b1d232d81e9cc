"""Submit a loan application, wait for the checks, and (optionally) decide as a loan officer; the
client side of the room's decision (open_to_room, cast_room_vote).

Standalone (two-terminal way, next to `python -m demos.loan_approval.worker`):
    python -m demos.loan_approval.starter              # submits, waits for your decision
    temporal workflow signal --workflow-id <id> --name decide \
        --input '{"approved": true, "officer": "you", "reason": "looks good"}'
Nobody decides within the review deadline (60 s standalone): the application goes to manual review.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Awaitable, Callable, Literal, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.loan_approval.activities import Application
from demos.loan_approval.room import DEFAULT_DEADLINE_S, RoomParams, RoomVote, room_params_problem, room_vote_input_problem
from demos.loan_approval.worker import TASK_QUEUE
from demos.loan_approval.workflows import Decision, LoanApprovalWorkflow, LoanOutcome

T = TypeVar("T")


def application(applicant: str, amount: int, *, review_timeout_s: float) -> Application:
    return Application(
        application_id=f"loan-{applicant.lower()}-{uuid.uuid4().hex[:6]}",
        applicant=applicant,
        amount=amount,
        documents=["id", "payslip", "bank-statement"],
        review_timeout_s=review_timeout_s,
    )


async def submit(client: Client, app: Application, *, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(LoanApprovalWorkflow.run, app, id=app.application_id, task_queue=task_queue, result_type=LoanOutcome)


async def poll_until(read: Callable[[], Awaitable[T]], done: Callable[[T], bool], what: str, timeout_s: float = 30) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = await read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting for {what} after {timeout_s:g}s (last: {value!r})")
        await asyncio.sleep(0.1)


async def wait_for_decision_stage(handle: WorkflowHandle) -> str:
    """Until both checks are done and the workflow waits for a human (or has already finished)."""
    return await poll_until(lambda: handle.query(LoanApprovalWorkflow.stage), lambda s: s != "checking", "the checks")


async def main(client: Client | None = None) -> LoanOutcome:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    app = application("Ada", 250_000, review_timeout_s=60)
    handle = await submit(client, app, task_queue=TASK_QUEUE)
    print(f"submitted {handle.id}; checks running in parallel")
    stage = await wait_for_decision_stage(handle)
    if stage == "awaiting-decision":
        print("checks passed; decide within 60 s, e.g.:")
        print(f"  temporal workflow signal --workflow-id {handle.id} --name decide "
              "--input '{\"approved\": true, \"officer\": \"you\", \"reason\": \"looks good\"}'")
    outcome: LoanOutcome = await handle.result()
    print(f"{handle.id}: {outcome.status}" + (f" by {outcome.decision.officer}" if outcome.decision else ""))
    return outcome


async def decide(handle: WorkflowHandle, decision: Decision) -> None:
    await handle.signal(LoanApprovalWorkflow.decide, decision)


# --- the room decides: what the share mode's HTTP layer calls ----------------------------------


@dataclass(frozen=True)
class RoomVoteReceipt:
    status: Literal["recorded", "rejected"]
    device_id: str
    choice: str
    reason: str = ""  # rejected: why, for the phone


async def open_to_room(handle: WorkflowHandle, *, quorum: int, deadline_s: float = DEFAULT_DEADLINE_S) -> RoomParams:
    """Hand the decision to the room: it decides when `quorum` devices have voted, or after `deadline_s`."""
    params = RoomParams(quorum=quorum, deadline_s=deadline_s)
    problem = room_params_problem(params)
    if problem:
        raise ValueError(problem)
    await handle.signal(LoanApprovalWorkflow.open_to_room, params)
    return params


async def close_room(handle: WorkflowHandle) -> None:
    """End the room's vote now: the votes so far decide (none at all: manual review)."""
    await handle.signal(LoanApprovalWorkflow.close_room)


async def cast_room_vote(client: Client, workflow_id: str, device_id: str, choice: str) -> RoomVoteReceipt:
    """One device's approve / decline, as a signal: recorded in the workflow's history as soon as
    the server has it, worker or not. A malformed vote is refused here, before it can reach the
    history; the workflow counts the first vote of each device and ignores the rest."""
    vote = RoomVote(str(device_id), str(choice))
    problem = room_vote_input_problem(vote)
    if problem:
        return RoomVoteReceipt("rejected", vote.device_id, vote.choice, problem)
    try:
        await client.get_workflow_handle(workflow_id).signal(LoanApprovalWorkflow.room_vote, vote)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:  # the workflow has completed: decided
            return RoomVoteReceipt("rejected", vote.device_id, vote.choice, "the decision is made")
        raise
    return RoomVoteReceipt("recorded", vote.device_id, vote.choice)


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
