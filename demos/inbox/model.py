"""The inbox's data: what arrives, what a human (or the timer) decides, and the priority rule.

Everything here is plain, deterministic Python so the workflow can use it directly and the
starter can build the same messages. Dataclasses travel as JSON through Temporal's default
converter, so field types stay JSON-friendly (no timedelta/datetime objects on the wire).
"""

from __future__ import annotations

from dataclasses import dataclass

# What a human can do with an item. "escalate" is also what the deadline timer does.
APPROVE, REFINE, ESCALATE = "approve", "refine", "escalate"
ACTIONS = (APPROVE, REFINE, ESCALATE)

# Urgency and importance are both rated on this scale (1 = low, 3 = high).
MIN_RATING, MAX_RATING = 1, 3

# The `by` of a decision made by the deadline timer rather than a person.
TIMER = "timer"


@dataclass
class InboxParams:
    owner: str
    # How long an item may wait for a decision before the workflow escalates it on its own.
    # Seconds, not timedelta: it has to cross the wire as JSON.
    escalate_after_seconds: float
    escalate_to: str = "Chief of Staff"
    # A daily triage session ends when its owner closes it; a batch inbox can instead end as soon
    # as every item in it has been decided.
    close_when_all_decided: bool = False


@dataclass
class NewItem:
    """What the `add_item` signal carries. The sender chooses the id (like an email Message-ID),
    because a signal returns nothing and the caller needs the id to decide on the item later."""

    id: str
    title: str
    sender: str
    urgency: int
    importance: int


@dataclass
class InboxItem:
    id: str
    title: str
    sender: str
    urgency: int
    importance: int
    score: int
    received_at: str  # workflow.now() ISO when the signal was handled
    seq: int  # arrival order, 1-based


@dataclass
class DecisionRequest:
    """What the `submit_decision` signal and the `decide` update carry."""

    item_id: str
    action: str
    by: str
    note: str = ""


@dataclass
class Decision:
    """One line of the decision trail the workflow returns."""

    item_id: str
    item: str  # the item's title, so the trail reads on its own
    action: str
    by: str  # a person's name, or TIMER
    note: str
    at: str  # workflow.now() ISO: deterministic, and the same on every replay


def priority_score(urgency: int, importance: int) -> int:
    """Urgency x importance (each 1-3, so 1-9): the Eisenhower matrix as one number.

    Multiplying rather than adding means an item has to be both urgent and important to reach the
    top: urgent-but-trivial (3x1=3) ranks with important-but-not-urgent (1x3=3), and both rank
    below anything that is at least moderately both (2x2=4).
    """
    return urgency * importance


def in_priority_order(items: list[InboxItem]) -> list[InboxItem]:
    """Highest score first; on equal scores the item that has waited longest comes first
    (earlier received_at), and items received in the same instant keep their arrival order.

    ISO timestamps from workflow.now() all share one format and timezone, so they sort as strings.
    """
    return sorted(items, key=lambda item: (-item.score, item.received_at, item.seq))


def rating_problem(new: NewItem) -> str | None:
    """Why a new item cannot be accepted, or None if it can."""
    for name, value in (("urgency", new.urgency), ("importance", new.importance)):
        if not MIN_RATING <= value <= MAX_RATING:
            return f"{name} must be {MIN_RATING}-{MAX_RATING}, got {value}"
    if not new.id or not new.title:
        return "an item needs an id and a title"
    return None
