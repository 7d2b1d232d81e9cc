"""The picture of one live run: the server's events folded as they arrive (deckbuild.story, the
code that draws the captured slides), plus what no event holds yet: describe()'s pending
activities (a retry's countdown, the worker running a step), the session's own acts (a worker
killed, a rejected update) and what the workflow waits for (the demo's snapshot).

The pages receive the whole picture when the story changes, in both layouts from one selection of
one fold: the SVG the slide shows and the timeline a phone held upright shows (deckbuild.story.views),
so the projector and the room never tell different stories. A countdown only ticks, in the page, so a
second going by sends nothing."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from google.protobuf.json_format import MessageToDict

from deckbuild.story import Box, StoryFold, views

TICKS = re.compile(r' data-left-ms="-?\d+"|>[^<]*</tspan>')


class LiveStory:
    def __init__(self, name: str, palette: dict[str, str], box: Box):
        self.name = name
        self.fold = StoryFold()
        self._palette = palette
        self.box = box
        self.svg = ""
        self.timeline = ""
        self._signature = ""
        self.version = 0
        self.newest_event_ms: float | None = None  # server time of the newest event folded (epoch ms)
        self.events = 0

    # --- what comes in ------------------------------------------------------------------------------
    def event(self, event) -> None:
        """A HistoryEvent (protobuf), as fetch_history_events yields it."""
        self.fold.add_event(MessageToDict(event))
        self.events += 1
        self.newest_event_ms = event.event_time.ToMilliseconds()

    def annotate(self, kind: str, **data) -> None:
        self.fold.annotate({"kind": kind, "at": time.time(), **data})

    def pending(self, raw_description) -> None:
        """describe()'s raw DescribeWorkflowExecutionResponse: its pending activities."""
        from temporalio.api.enums.v1 import PendingActivityState

        pending = []
        for p in raw_description.pending_activities:
            started = p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            pending.append({
                "activity_id": p.activity_id,
                "state": "started" if started else "scheduled",
                "attempt": p.attempt,
                "worker": p.last_worker_identity if started else "",
                "last_failure": _innermost(p.last_failure) if p.HasField("last_failure") else "",
                "next_attempt_at": p.next_attempt_schedule_time.ToMilliseconds() / 1000 if p.HasField("next_attempt_schedule_time") else None,
            })
        self.fold.set_pending(pending)

    def waiting(self, snapshot: dict | None) -> None:
        """The actions the demo's snapshot offers right now are what the workflow waits for."""
        actions: list[str] = []
        for row in (snapshot or {}).get("rows") or []:
            actions += [a for a in row.get("actions", []) if a not in actions]
        self.fold.set_waiting(actions)

    # --- what goes out --------------------------------------------------------------------------------
    def render(self) -> bool:
        """Draw the story now; True when it changed (other than a countdown's seconds)."""
        story = self.fold.story(now=datetime.now(timezone.utc))
        drawn = views(story, self._palette, box=self.box, name=self.name)
        signature = TICKS.sub("", drawn.svg)
        self.svg, self.timeline = drawn.svg, drawn.timeline
        if signature == self._signature:
            return False
        self._signature = signature
        self.version += 1
        return True

    def message(self) -> dict:
        return {"svg": self.svg, "timeline": self.timeline, "version": self.version, "event_ms": self.newest_event_ms, "events": self.events}


def _innermost(failure) -> str:
    while failure.HasField("cause"):
        failure = failure.cause
    return failure.message
