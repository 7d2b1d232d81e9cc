"""A board as Markdown, for the follow-up blog post (`build.py questions --deck talk`, or the presenter
view's Export). The room's text is escaped so it reads exactly as typed: no heading, list, emphasis,
HTML or link syntax of anyone's making comes alive (a bare URL stays text a renderer may still link)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from demos.questions.model import ANSWERED, HIDDEN, OPEN, PENDING, Board, Question

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_LEADING = re.compile(r"^(\d+)([.)])")  # "1. " at the start would make a list


def inert(text: str) -> str:
    """Markdown that renders as this exact text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    text = _LEADING.sub(r"\1\\\2", text)
    return re.sub(r"^([-=])", r"\\\1", text)


def to_markdown(board: Board, *, title: str = "", generated_at: datetime | None = None) -> str:
    generated_at = generated_at or datetime.now(timezone.utc)
    questions = board.questions
    by_state = {state: [q for q in questions if q.state == state] for state in (ANSWERED, OPEN, PENDING, HIDDEN)}
    upvotes = sum(q.votes for q in questions if q.state != HIDDEN)
    times = [q.asked_at for q in questions if q.asked_at]
    when = ""
    if times:
        first, last = (datetime.fromtimestamp(t, timezone.utc) for t in (min(times), max(times)))
        when = f", asked {first:%Y-%m-%d %H:%M}–{last:%H:%M} UTC"
    shown = len(questions) - len(by_state[HIDDEN])
    lines = [f"# Questions from the room: {inert(title or board.deck)}", "",
             f"{shown} question{'s' * (shown != 1)} and {upvotes} upvote{'s' * (upvotes != 1)}{when}."
             + ("" if board.closed else " The board was still open when this was written."), ""]
    sections = [(ANSWERED, "Answered in the talk"), (OPEN, "Not answered yet"), (PENDING, "Waiting for approval when the talk ended")]
    for state, heading in sections:
        items = sorted(by_state[state], key=lambda q: (-q.votes, q.id))
        if not items:
            continue
        lines += [f"## {heading} ({len(items)})", ""]
        lines += [f"{n}. {_item(q)}" for n, q in enumerate(items, 1)]
        lines.append("")
    hidden = len(by_state[HIDDEN])
    if hidden:
        lines += [f"{hidden} question{'s were' if hidden != 1 else ' was'} hidden by the presenter and {'are' if hidden != 1 else 'is'} not listed.", ""]
    if not questions:
        lines += ["Nobody asked a question.", ""]
    lines.append(f"<!-- exported {generated_at:%Y-%m-%d %H:%M} UTC from board version {board.version} -->")
    return "\n".join(lines) + "\n"


def _item(q: Question) -> str:
    votes = f"{q.votes} upvote{'s' * (q.votes != 1)}"
    name = f" — *{inert(q.name)}*" if q.name else ""
    return f"{inert(q.text)}{name} ({votes})"
