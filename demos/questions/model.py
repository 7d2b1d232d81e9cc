"""The room's questions: what a phone sends, what the workflow keeps and answers, and the rules.

Plain, deterministic Python, so the workflow's validators and the web process (which refuses the
obvious before it costs an update) apply the same rules. Dataclasses cross the wire as JSON.

Kept per question: its text and optional name as the asker typed them (normalized: whitespace
collapsed, no control or bidi characters), the asking device and the upvoting devices (as indexes
into the board's device table: a device id is a phone's credential and never leaves the workflow
except through `audit`, which only the tests and benchmarks call).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from demos.poll.model import device_id_problem

__all__ = ["device_id_problem"]  # re-exported: a device id here is the poll's, issued by share mode

MAX_TEXT = 280  # characters (code points) of a question, after normalization
MAX_NAME = 40
MAX_RAW = 2000  # anything longer is refused before it is even normalized
MAX_QUESTIONS = 500  # per board (a talk's room asks tens)
MAX_PER_DEVICE = 5  # questions one device may ask in a session
ASK_GAP_S = 20.0  # seconds between two questions from one device: a device flooding is told to wait
MAX_UPVOTES_PER_DEVICE = 100
IDLE_CLOSE_S = 12 * 3600.0  # a board nobody used for this long closes itself (the talk is over)
# Temporal keeps at most 2000 completed updates per run (history.maxTotalUpdates): the board carries
# itself into a new run (continue-as-new) well before that, and when the server suggests it.
CONTINUE_AFTER_UPDATES = 1000

PENDING, OPEN, ANSWERED, HIDDEN = "pending", "open", "answered", "hidden"
VISIBLE = (OPEN, ANSWERED)  # what the room sees
ACTIONS = ("approve", "hide", "pin", "unpin", "answer", "reopen")

# Bidi controls and invisible formatting that could reorder or hide text on someone else's screen.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


@dataclass
class QuestionRecord:
    id: int
    text: str
    name: str
    asker: int  # index into BoardState.devices
    voters: list[int] = field(default_factory=list)
    presses: list[str] = field(default_factory=list)  # beside voters: the phone's press that counted (a retry of it is the same upvote)
    state: str = OPEN
    asked_at: float = 0.0  # epoch seconds (workflow time)
    answered_at: float = 0.0
    changed: int = 0  # the board's version at this question's last change (a reader asks only for what changed)


@dataclass
class BoardState:
    deck: str
    moderation: bool = False
    questions: list[QuestionRecord] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    pinned: int = 0  # question id, 0 = none
    next_id: int = 1
    version: int = 0  # +1 for every accepted change: the web process diffs boards by it
    started_at: float = 0.0
    last_activity: float = 0.0
    closed_by: str = ""
    runs: int = 1  # how many runs the board has lived in (continue-as-new)


@dataclass
class BoardParams:
    deck: str
    moderation: bool = False
    idle_close_s: float = IDLE_CLOSE_S
    continue_after_updates: int = CONTINUE_AFTER_UPDATES
    carried: BoardState | None = None  # continue-as-new: the board so far
    ask_gap_s: float = ASK_GAP_S
    max_per_device: int = MAX_PER_DEVICE


# --- messages in ---------------------------------------------------------------------------------


@dataclass
class Ask:
    device_id: str
    text: str
    name: str = ""


@dataclass
class Upvote:
    device_id: str
    question_id: int
    attempt: str = ""  # the phone's press: sent again while "waiting", it is the same upvote (also in the board's next run)


@dataclass
class Moderate:
    action: str  # one of ACTIONS
    question_id: int
    by: str = "presenter"


@dataclass
class Configure:
    moderation: bool


@dataclass
class CloseBoard:
    by: str = "presenter"


# --- answers ---------------------------------------------------------------------------------------


@dataclass
class Asked:
    question_id: int
    state: str  # pending (moderation on) or open
    again: bool = False  # the same question from the same device: the one already on the board


@dataclass
class Upvoted:
    question_id: int
    votes: int  # the question's count with this upvote in it


@dataclass
class Moderated:
    question_id: int
    state: str
    pinned: int


@dataclass
class Question:
    """A question as a screen shows it: no device in it."""

    id: int
    text: str
    name: str
    votes: int
    state: str
    asked_at: float = 0.0
    answered_at: float = 0.0


@dataclass
class Board:
    deck: str
    version: int
    moderation: bool
    pinned: int
    questions: list[Question]  # in display order (see display_order); with `since`, only those changed after it
    pending: int = 0  # how many wait for the presenter's approval (the room sees the number only)
    hidden: int = 0
    closed: bool = False
    since: int = 0  # 0: every question; else the questions changed after this version (the web process's reads)
    opened_at: float = 0.0  # when the board opened: a new board (a new talk) under the same workflow id differs


@dataclass
class Mine:
    asked: list[Question]
    voted: list[int]


@dataclass
class Audit:
    """Who asked and who upvoted what: the proof that nothing was counted twice (tests, benchmarks)."""

    askers: dict[str, str]  # question id -> device id
    voters: dict[str, list[str]]  # question id -> device ids, in counting order


def board_id(deck: str) -> str:
    """One board per talk: the deck's, found again by a restarted `make present`."""
    return f"questions-{deck}"


# --- rules -----------------------------------------------------------------------------------------


def normalize(text: object) -> str:
    """Whitespace collapsed to single spaces, trimmed, NFC (so "é" typed two ways is one text)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def text_problem(raw: object, *, what: str, limit: int, required: bool) -> str | None:
    """Why this cannot be a question's text (or a name), or None. Checked on the raw input, so a
    control character is refused rather than silently dropped."""
    if not isinstance(raw, str):
        return f"the {what} must be text"
    if len(raw) > MAX_RAW:
        return f"the {what} is too long ({len(raw)} characters; at most {limit})"
    for ch in raw:
        if ch in "\t\n\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or _BIDI.match(ch):
            return f"the {what} contains a control character (U+{ord(ch):04X}): plain text only"
    text = normalize(raw)
    if required and not text:
        return f"the {what} is empty"
    if len(text) > limit:
        return f"the {what} is too long ({len(text)} characters; at most {limit})"
    return None


def same_text(a: str, b: str) -> bool:
    return normalize(a).casefold() == normalize(b).casefold()


def public(record: QuestionRecord) -> Question:
    return Question(record.id, record.text, record.name, len(record.voters), record.state, record.asked_at, record.answered_at)


def display_order(questions: list[Question], pinned: int = 0) -> list[Question]:
    """The pinned one first, then pending (the presenter's to decide), then open by votes (ties:
    the earlier first), then answered, then hidden."""
    rank = {PENDING: 1, OPEN: 2, ANSWERED: 3, HIDDEN: 4}
    return sorted(questions, key=lambda q: (0 if q.id == pinned else rank.get(q.state, 5), -q.votes if q.state == OPEN else 0, q.id))
