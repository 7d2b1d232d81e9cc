"""Which rows of a story a layout shows: the selection, apart from any drawing.

The slide's picture (picture.py) and the phone's timeline (timeline.py) draw the same selected rows,
so the projected slide and the phone in the room can never tell different stories: when a run has
more rows than its slide holds, finished neighbours join ("a, b ✓"), the bookkeeping goes, then the
oldest plumbing, then the oldest rows after the start fold into "… N earlier steps" (the newest stay).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from deckbuild.story.fold import RANK_BOOKKEEPING, RANK_PLUMBING, Row, Story

PITCH = 46  # one row of the slide's picture, in slide pixels
HEAD = 52  # the picture's lane boxes at the top
JOINED_MAX = 44  # characters: two finished steps joined stay one short line


@dataclass(frozen=True)
class Box:
    width: int = 1168  # the demo panel of a 1280x720 slide
    height: int = 500


def capacity(box: Box) -> int:
    """How many rows the slide's picture holds in `box` (the phone's timeline shows the same)."""
    return max(3, (box.height - HEAD - 8) // PITCH)


def select(story: Story, box: Box) -> list[Row]:
    return fit_rows(list(story.rows), capacity(box))


def fit_rows(rows: list[Row], cap: int) -> list[Row]:
    """At most `cap` rows: join finished neighbours ("a, b ✓"), drop bookkeeping, then plumbing
    (oldest first), then fold the oldest rows after the start into one "… N earlier steps" row (the
    newest stay in view)."""
    rows = list(rows)
    while len(rows) > cap:
        joined = _join_one(rows)
        if joined is None:
            break
        rows = joined
    if len(rows) > cap:
        rows = [r for r in rows if r.rank < RANK_BOOKKEEPING]
    while len(rows) > cap:  # then the plumbing, oldest first (what is running now stays)
        plumbing = next((i for i, r in enumerate(rows) if i > 0 and r.rank >= RANK_PLUMBING and not r.live), None)
        if plumbing is None:
            break
        del rows[plumbing]
    if len(rows) > cap:
        keep = cap - 2
        hidden = rows[1: len(rows) - keep]
        elided = Row(hidden[0].id, hidden[0].t_ms, "elided", rows[0].dst, rows[0].dst, "earlier steps", RANK_PLUMBING, "dim",
                     count=len(hidden))
        rows = [rows[0], elided, *rows[len(rows) - keep:]]
    return rows


def _finished_step(row: Row) -> bool:
    """One step that simply finished: "allocate-storage ✓" (no count, no retry, nothing live)."""
    return row.kind == "call" and not row.live and row.state == "done" and row.count == 1 and row.attempt == 1


def _join_one(rows: list[Row]) -> list[Row] | None:
    for i in range(len(rows) - 1):
        a, b = rows[i], rows[i + 1]
        if a.src == b.src and a.dst == b.dst and _finished_step(a) and _finished_step(b):
            joined = replace(a, name=f"{a.name}, {b.name}", parallel=0, parallel_done=0)
            if len(joined.label) <= JOINED_MAX:
                return [*rows[:i], joined, *rows[i + 2:]]
    return None
