"""The story picture of a demo run: one fold of the event history (fold.py), the rows a layout shows
(select.py), drawn as SVG at the slide's scale (picture.py) or as a vertical timeline for a phone
held upright (timeline.py), and told in words (words.py). The built deck draws a capture with it;
present mode draws the live run with the same code, event by event, for the projector and the
phones at once: one fold, one selection, two layouts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from deckbuild.story.fold import Row, Story, StoryFold, _parse_time
from deckbuild.story import timeline as _timeline
from deckbuild.story.picture import render
from deckbuild.story.select import Box, select
from deckbuild.story.words import describe

__all__ = ["Box", "Story", "StoryFold", "Views", "capture_story", "merged", "picture", "story_picture", "story_views", "views"]

CAPTION_BOX = Box(1168, 500)  # a demo panel with a caption under the picture
FULL_BOX = Box(1168, 580)


def merged(events: Iterable[dict], annotations: Iterable[dict]) -> Iterator[tuple[str, dict]]:
    """History events in their order, with each annotation placed where a live session would have
    seen it: before the first event written after it. (An event's time is not always when it was
    written: an activity's started event is written when the activity closes, with its start time.)"""
    pending = sorted(annotations, key=lambda a: _parse_time(a["at"]))
    written = None
    for event in events:
        at = _parse_time(event["eventTime"])
        written = at if written is None or at > written else written
        while pending and _parse_time(pending[0]["at"]) <= written:
            yield "annotation", pending.pop(0)
        yield "event", event
    for note in pending:
        yield "annotation", note


def feed(fold: StoryFold, item: tuple[str, dict]) -> None:
    kind, data = item
    if kind == "event":
        fold.add_event(data)
    else:
        fold.annotate(data)


def capture_history(capture: dict[str, Any]) -> dict[str, Any]:
    """The history the story picture draws: the main run's, or the one the scenario named."""
    other = capture.get("story_workflow_id")
    return capture["other_histories"][other] if other else capture["history"]


def capture_story(capture: dict[str, Any]) -> Story:
    fold = StoryFold()
    for item in merged(capture_history(capture).get("events") or [], capture.get("annotations") or []):
        feed(fold, item)
    return fold.story()


def picture(story: Story, palette: dict[str, str], *, box: Box = CAPTION_BOX, name: str = "demo") -> str:
    return views(story, palette, box=box, name=name).svg


@dataclass(frozen=True)
class Views:
    """One story, selected once, in both layouts and in words: they cannot disagree."""

    svg: str  # the slide's picture
    timeline: str  # the phone's timeline (HTML)
    words: str  # the alt text both carry
    rows: tuple[Row, ...]  # what both draw


def views(story: Story, palette: dict[str, str], *, box: Box = CAPTION_BOX, name: str = "demo", svg: bool = True) -> Views:
    """`svg=False`: the timeline alone (a phone's page needs no picture of a slide it reflows)."""
    rows = select(story, box)
    words = describe(story, rows)
    drawn = render(story, palette, box=box, name=name, words=words, rows=rows) if svg else ""
    return Views(drawn, _timeline.render(story, rows, palette, name=name, words=words), words, tuple(rows))


def story_picture(capture: dict[str, Any], palette: dict[str, str], *, caption: bool = True) -> str:
    """The captured run of a demo as its slide shows it (inline SVG)."""
    return picture(capture_story(capture), palette, box=CAPTION_BOX if caption else FULL_BOX, name=capture.get("demo", "demo"))


def story_views(capture: dict[str, Any], palette: dict[str, str], *, caption: bool = True, svg: bool = True) -> Views:
    """The captured run in both layouts (the phone's page shows its timeline where the slide has the picture)."""
    return views(capture_story(capture), palette, box=CAPTION_BOX if caption else FULL_BOX, name=capture.get("demo", "demo"), svg=svg)
