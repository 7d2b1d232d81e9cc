"""The room decides: the audience's devices vote approve / decline on an application, one vote per
device, and the workflow decides when a quorum has voted or a deadline (a durable timer) passes.

Plain, deterministic Python shared by the workflow and the client side. A device id follows the
poll demo's rule (demos/poll/model.py, declared in inputs.txt so a change there re-captures this
demo): the share mode issues one kind of device id.
"""

from __future__ import annotations

from dataclasses import dataclass

from demos.poll.model import device_id_problem

APPROVE, DECLINE = "approve", "decline"
CHOICES = (APPROVE, DECLINE)
DEFAULT_DEADLINE_S = 30.0
DEFAULT_MAX_VOTERS = 1000


@dataclass
class RoomParams:
    quorum: int  # decide as soon as this many devices have voted
    deadline_s: float = DEFAULT_DEADLINE_S  # ... or when this has passed, with the votes so far
    max_voters: int = DEFAULT_MAX_VOTERS


@dataclass
class RoomVote:
    device_id: str
    choice: str  # APPROVE or DECLINE


@dataclass
class RoomTally:
    approve: int
    decline: int
    quorum: int
    deadline_s: float
    voting: bool  # votes are being counted
    decided_by: str = ""  # "quorum", "deadline", "presenter" (closed it) or "officer" (an officer's signal came first)


def room_params_problem(params: RoomParams) -> str | None:
    if not 1 <= params.quorum <= params.max_voters:
        return f"quorum must be 1-{params.max_voters}, got {params.quorum}"
    if not 0 < params.deadline_s <= 24 * 3600:
        return f"deadline_s must be more than 0 and at most a day, got {params.deadline_s:g}"
    return None


def room_vote_input_problem(vote: RoomVote) -> str | None:
    """What is wrong with the vote itself, whatever the workflow's state (checked before sending too)."""
    problem = device_id_problem(vote.device_id)
    if problem:
        return problem
    if vote.choice not in CHOICES:
        return f"unknown choice {str(vote.choice)[:12]!r} (expected {' or '.join(CHOICES)})"
    return None


def room_decision_reason(tally: RoomTally) -> str:
    counts = f"{tally.approve} approve, {tally.decline} decline"
    if tally.decided_by == "quorum":
        return f"quorum of {tally.quorum} reached: {counts}"
    if tally.decided_by == "presenter":
        return f"closed by the presenter: {counts}"
    return f"deadline of {tally.deadline_s:g}s passed: {counts}"
