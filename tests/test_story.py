"""The story picture (deckbuild/story): one fold of a run's history, drawn for the captured slide and,
event by event, for the live run in present mode."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from google.protobuf.json_format import ParseDict
from temporalio.api.history.v1 import HistoryEvent

from deckbuild.palette import read_palette
from deckbuild.present.live_story import LiveStory
from deckbuild.story import CAPTION_BOX, capture_history, capture_story, merged, story_picture
from deckbuild.story.fold import StoryFold
from deckbuild.story.picture import HEAD, PITCH, capacity, fit_rows
from deckbuild.story.textwidth import text_width

ROOT = Path(__file__).parent.parent
HISTORY = json.loads((Path(__file__).parent / "data/history_retry_signal_timer.json").read_text())
PALETTE = read_palette((ROOT / "theme/midnight-blue.css").read_text())
CAPTURES = sorted((ROOT / "demos/captures").glob("*.json"))
SVG = "{http://www.w3.org/2000/svg}"


def capture(name: str) -> dict:
    return json.loads((ROOT / f"demos/captures/{name}.json").read_text())


def fold(events: list[dict], notes: list[dict] = ()) -> StoryFold:
    f = StoryFold()
    for kind, data in merged(events, notes):
        f.add_event(data) if kind == "event" else f.annotate(data)
    return f


def labels(story) -> list[str]:
    return [row.label for row in story.rows]


def test_a_history_folds_into_the_rows_a_slide_shows():
    story = fold(HISTORY["events"]).story()
    assert labels(story) == ["start W", "flaky", "signal approve", "flaky failed ×2: boom 2", "flaky ✓ (attempt 3)",
                             "durable timer 0.300s fired", "completed"]
    assert [r.kind for r in story.rows] == ["call", "call", "human", "fail", "return", "return", "return"]
    assert story.status == "completed" and story.rows[0].t_ms == 0 and story.rows[-1].t_ms == story.duration_ms


def test_repeated_messages_are_one_row_with_a_count_and_a_long_story_keeps_its_start_and_newest():
    events = HISTORY["events"]
    start = events[0]
    signal = next(e for e in events if e["eventType"].endswith("SIGNALED"))
    end = next(e for e in events if e["eventType"].endswith("EXECUTION_COMPLETED"))
    repeated = [start, signal, {**signal, "eventId": "90"}, {**signal, "eventId": "91"}]
    assert labels(fold(repeated).story()) == ["start W", "signal approve ×3"]

    names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"]
    attrs = signal["workflowExecutionSignaledEventAttributes"]
    many = [{**signal, "eventId": str(100 + i), "workflowExecutionSignaledEventAttributes": {**attrs, "signalName": n}} for i, n in enumerate(names)]
    rows = fit_rows(list(fold([start, *many, end]).story().rows), 8)
    assert len(rows) == 8
    assert rows[0].label == "start W" and rows[-1].label == "completed" and rows[-2].label == "signal lima"
    assert rows[1].kind == "elided" and rows[1].label == "… 7 earlier steps"


def test_the_durability_capture_shows_the_kill_the_gap_and_both_workers():
    c = capture("durability")
    story = capture_story(c)
    first, second = c["extra"]["worker_pids"]
    lanes = {lane.label: lane for lane in story.lanes}
    assert f"worker {first}" in lanes and f"worker {second}" in lanes
    assert lanes[f"worker {first}"].ends_at is not None and lanes[f"worker {second}"].starts_at is not None
    killed = next(r for r in story.rows if "worker killed" in r.label)
    assert killed.label == f"{c['extra']['side_effects'][4]['name']} ✕ worker killed" and killed.dst == lanes[f"worker {first}"].key
    gap = next(r for r in story.rows if r.kind == "gap")
    assert gap.label == f"no worker for {c['extra']['gap_s']:.1f} s · nothing lost"
    steps = [s["name"] for s in c["extra"]["steps"]]
    done = [r.label for r in story.rows if "✓" in r.label]
    for step in steps:  # every step completed, exactly once
        assert sum(step in label for label in done) == 1, (step, done)


def test_a_rejected_update_is_a_rejection_not_an_arrow_into_the_workflow():
    story = capture_story(capture("inbox"))
    rejected = [r for r in story.rows if r.kind == "rejected"]
    assert len(rejected) == 1 and rejected[0].label.startswith("decide ✕ refine needs a note")
    assert rejected[0].tone == "bad"


def test_retries_fold_into_one_failure_row_then_the_success():
    story = capture_story(capture("retries"))
    assert any(r.kind == "fail" and r.label.startswith("charge_card failed ×3: gateway 503") for r in story.rows)
    assert any(r.label == "charge_card ✓ (attempt 4)" for r in story.rows)
    assert any(r.label.startswith("apply_coupon ✕ coupon") for r in story.rows)


def test_twelve_children_are_one_row_with_their_progress():
    events = capture("ingestion")["history"]["events"]
    f = StoryFold()
    progress = []
    for e in events:
        f.add_event(e)
        progress += [r.label for r in f.story().rows if "IngestDocumentWorkflow" in r.label]
    assert "IngestDocumentWorkflow ×12 · 0/12 done" in progress and "IngestDocumentWorkflow ×12 · 7/12 done" in progress
    assert progress[-1] == "IngestDocumentWorkflow ×12 ✓"


def test_live_state_the_history_cannot_show_yet():
    """A retry waiting on the server (describe's pending activity), a running timer, no worker at all,
    and people the workflow waits for, each with its live countdown or count-up."""
    events = [e for e in HISTORY["events"] if int(e["eventId"]) <= 5]  # started, the activity scheduled
    f = fold(events)
    scheduled = next(e for e in events if "activityTaskScheduledEventAttributes" in e)
    now = datetime.now(timezone.utc)
    f.set_pending([{"activity_id": scheduled["activityTaskScheduledEventAttributes"]["activityId"], "state": "scheduled", "attempt": 3,
                    "last_failure": "boom 2", "next_attempt_at": (now + timedelta(seconds=2)).timestamp()}])
    f.annotate({"kind": "worker_killed", "at": now.timestamp(), "worker": "4242@host"})
    f.set_waiting(["approve", "decline"])
    rows = f.story(now=now).rows
    retry = next(r for r in rows if r.kind == "fail")
    assert retry.label == "flaky failed ×2: boom 2" and retry.live == "countdown" and 1900 <= retry.live_ms <= 2000
    assert retry.live_text == "attempt 3 in {}"
    assert rows[-2].kind == "gap" and rows[-2].live == "countup"
    assert rows[-1].label == "waiting for approve / decline"
    svg = story_picture({"demo": "x", "history": {"events": events}}, PALETTE)  # a capture never shows live state
    assert "data-left-ms" not in svg


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_each_captured_picture_fits_its_slide_and_is_well_formed(path: Path):
    c = json.loads(path.read_text())
    svg = story_picture(c, PALETTE)
    root = ET.fromstring(svg)  # well-formed XML: the escaping held
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert width == CAPTION_BOX.width and height <= CAPTION_BOX.height
    assert height == HEAD + PITCH * len(root.findall(f"{SVG}g[@class]")) - PITCH * len(root.findall(f"{SVG}g[@class='story-lane']")) + 8
    for text in root.iter(f"{SVG}text"):
        size = float(text.get("font-size"))
        assert size >= 18
        words = "".join(text.itertext())
        x, w = float(text.get("x")), text_width(words, size)
        if text.get("text-anchor") == "middle":  # nothing reaches past the picture's edges
            assert x - w / 2 >= -1 and x + w / 2 <= width + 1, (path.stem, words)
    assert len(root.findall(f"{SVG}g[@data-t]")) >= 3
    alt = root.get("aria-label")
    assert alt.startswith("The client starts ") and len(alt) > 60 and "Mermaid" not in alt


@pytest.mark.parametrize("name", ["durability", "inbox", "retries", "ingestion", "payments"])
def test_the_live_picture_ends_as_the_captured_one(name: str):
    """The same history through present mode's path (protobuf events one at a time, as
    fetch_history_events yields them, and the annotations as the session makes them) draws the
    same picture as the build draws from the capture."""
    c = capture(name)
    live = LiveStory(name, PALETTE, CAPTION_BOX)
    for kind, data in merged(capture_history(c)["events"], c.get("annotations") or []):
        if kind == "event":
            live.event(ParseDict(data, HistoryEvent()))
        else:
            live.fold.annotate(data)
    live.render()
    assert live.svg == story_picture(c, PALETTE)


def test_capacity_leaves_room_for_the_caption():
    assert capacity(CAPTION_BOX) == 9


# --- one fold, two layouts: the slide's picture and the phone's timeline ---------------------------
def test_rows_are_structured_and_their_words_come_from_the_structure():
    story = capture_story(capture("durability"))
    killed = next(r for r in story.rows if r.state == "killed")
    assert (killed.name, killed.kind, killed.count) == (killed.label.split(" ✕")[0], "call", 1)
    again = next(r for r in story.rows if r.name == killed.name and r.state == "done")
    assert again.attempt == 2 and again.label == f"{killed.name} ✓ (attempt 2)"
    children = next(r for r in capture_story(capture("ingestion")).rows if r.name == "IngestDocumentWorkflow")
    assert (children.count, children.done, children.items, children.state) == (12, 12, True, "done")
    retry = next(r for r in capture_story(capture("retries")).rows if r.kind == "fail")
    assert (retry.name, retry.count) == ("charge_card", 3) and retry.failure.startswith("gateway 503")
    signals = next(r for r in capture_story(capture("inbox")).rows if r.name == "signal add_item")
    assert signals.count == 4 and not signals.items and signals.label == "signal add_item ×4"


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_the_phone_timeline_tells_the_same_story_as_the_picture(path: Path):
    """The same selected rows in both layouts: the timeline's rows say the picture's labels in full
    (the picture may cut a long one with "…"), in the same order, and both carry the same words."""
    from deckbuild.story import story_views
    from deckbuild.story.timeline import words_of

    c = json.loads(path.read_text())
    drawn = story_views(c, PALETTE)
    assert drawn.svg == story_picture(c, PALETTE)
    phone = words_of(drawn.timeline)
    assert phone == [r.label for r in drawn.rows]
    root = ET.fromstring(drawn.svg)
    # each row's own label is the last text of its group (a lane that starts there draws its box first)
    picture_rows = [" ".join("".join(g.findall(f"{SVG}text")[-1].itertext()).split()) for g in root.findall(f"{SVG}g[@data-row]")]
    assert len(picture_rows) == len(phone)
    for drawn_text, full in zip(picture_rows, phone):
        assert drawn_text == full or (drawn_text.endswith("…") and full.startswith(drawn_text[:-1].rstrip(" ,·"))), (drawn_text, full)
    assert root.get("aria-label") in drawn.timeline.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    ET.fromstring(drawn.timeline)  # well-formed: every captured text escaped
