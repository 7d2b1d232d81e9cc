"""The poll's data and rules: what a device sends, what the workflow answers, what a vote must be.

Plain, deterministic Python, so the workflow's validator and the client side (the HTTP layer, the
simulated devices) apply the same rules. Dataclasses cross the wire as JSON (Temporal's default
converter), so every field is JSON-friendly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A device id is what the share mode gives each phone: opaque, URL-safe, bounded. Anything else is
# refused before it can become part of a history (or of an update id).
DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
ANSWER_KEYS = ("A", "B", "C", "D")
MIN_ANSWERS, MAX_ANSWERS = 2, len(ANSWER_KEYS)
DEFAULT_MAX_VOTERS = 1000
# Temporal counts the completed updates of a run (history.maxTotalUpdates, 2000 by default) and
# refuses more. One accepted vote is one update, the presenter's close another: stay well below.
MAX_VOTERS_LIMIT = 1900


@dataclass
class Answer:
    key: str  # "A".."D": what a phone sends
    text: str  # what it shows


@dataclass
class PollParams:
    question: str
    answers: list[Answer]
    max_voters: int = DEFAULT_MAX_VOTERS
    # After the presenter closes the poll it keeps answering for this long: a late phone gets the
    # validator's "the poll is closed" and the slide's tally query stays live. Then the workflow
    # completes with the result, which stays in its history (readable without any worker).
    results_open_s: float = 30.0


@dataclass
class Vote:
    device_id: str
    answer: str  # an Answer.key


@dataclass
class VoteAccepted:
    """What the `vote` update answers: the vote as counted, and its place in the count."""

    device_id: str
    answer: str
    seq: int  # 1 = the first vote counted; the tally's total reaches it once this vote shows


@dataclass
class AnswerCount:
    key: str
    text: str
    votes: int


@dataclass
class Tally:
    question: str
    answers: list[AnswerCount]
    total: int
    max_voters: int
    closed: bool
    closed_by: str = ""


@dataclass
class CloseRequest:
    by: str = "presenter"


@dataclass
class PollResult:
    tally: Tally
    # device id -> answer key, in the order the votes were counted: the audit of "exactly once".
    ballots: dict[str, str] = field(default_factory=dict)


def poll_params(question: str, texts: list[str], *, max_voters: int = DEFAULT_MAX_VOTERS, results_open_s: float = 30.0) -> PollParams:
    """PollParams with answers keyed A, B, C, ... in order (params_problem refuses more than four)."""
    answers = [Answer(chr(ord("A") + n), text) for n, text in enumerate(texts)]
    return PollParams(question, answers, max_voters=max_voters, results_open_s=results_open_s)


def params_problem(params: PollParams) -> str | None:
    """Why a poll cannot be opened with these parameters, or None."""
    if not params.question.strip():
        return "a poll needs a question"
    if not MIN_ANSWERS <= len(params.answers) <= MAX_ANSWERS:
        return f"a poll has {MIN_ANSWERS}-{MAX_ANSWERS} answers, got {len(params.answers)}"
    keys = [a.key for a in params.answers]
    if keys != list(ANSWER_KEYS[: len(keys)]):
        return f"answers are keyed {', '.join(ANSWER_KEYS[: len(keys)])} in order, got {', '.join(keys)}"
    if not 1 <= params.max_voters <= MAX_VOTERS_LIMIT:
        return f"max_voters must be 1-{MAX_VOTERS_LIMIT} (Temporal's limit of updates per run), got {params.max_voters}"
    if params.results_open_s < 0:
        return "results_open_s cannot be negative"
    return None


def device_id_problem(device_id: object) -> str | None:
    """Why this is not a device id the share mode could have issued, or None."""
    if not isinstance(device_id, str) or not device_id:
        return "a vote needs a device id"
    if not DEVICE_ID_PATTERN.fullmatch(device_id):
        return "malformed device id (expected 8-64 letters, digits, '-' or '_')"
    return None
