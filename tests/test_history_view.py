"""From a real exported Temporal history to what a slide shows: key events and a sequence diagram."""

from __future__ import annotations

import json
from pathlib import Path

from deckbuild import history_view

# Recorded from a real dev server: an activity that failed twice then succeeded, a signal, a timer.
HISTORY = json.loads((Path(__file__).parent / "data/history_retry_signal_timer.json").read_text())


def test_steps_tell_the_story_without_workflow_task_bookkeeping():
    steps = history_view.steps(HISTORY)
    assert [s.kind for s in steps] == [
        "WorkflowExecutionStarted", "ActivityTaskScheduled", "WorkflowExecutionSignaled", "ActivityTaskStarted",
        "ActivityTaskCompleted", "TimerStarted", "TimerFired", "WorkflowExecutionCompleted",
    ]
    by_kind = {s.kind: s for s in steps}
    assert by_kind["ActivityTaskStarted"].label == "flaky: attempt 3"
    assert "after: boom 2" in by_kind["ActivityTaskStarted"].detail  # the server kept the last failure
    assert by_kind["ActivityTaskCompleted"].label == "flaky done (attempt 3)"
    assert by_kind["WorkflowExecutionSignaled"].text == "signal approve: ada <b>"
    assert by_kind["TimerStarted"].label == "durable timer 0.300s"
    assert steps[0].t_ms == 0 and steps[-1].t_ms > steps[1].t_ms


def test_key_events_keep_the_start_and_the_outcome():
    rows = history_view.key_events(HISTORY, limit=5)
    assert len(rows) == 5
    assert rows[0].kind == "WorkflowExecutionStarted" and rows[-1].kind == "WorkflowExecutionCompleted"
    assert rows[-2].label == "… 4 more …"


def test_sequence_diagram_is_valid_shape_and_sanitised():
    diagram = history_view.sequence_diagram(HISTORY)
    lines = diagram.splitlines()
    assert lines[0] == "sequenceDiagram"
    assert "    Human->>Workflow: signal approve" in lines
    assert "    Note over Activity: flaky: attempt 3" in lines
    assert "    Workflow->>Timer: durable timer 0.300s" in lines
    assert lines[-1] == "    Workflow-->>Client: completed"


def test_mermaid_labels_cannot_break_the_diagram():
    hostile = 'x; participant Evil as <script>"#9829;{}`|'
    label = history_view.mermaid_label(hostile)
    assert not set(label) & set(';#<>{}[]`|"')
    assert history_view.mermaid_label("a" * 100).endswith("…") and len(history_view.mermaid_label("a" * 100)) == 44


def test_repeated_messages_collapse_with_a_count():
    events = HISTORY["events"]
    start, signal = events[0], next(e for e in events if e["eventType"].endswith("SIGNALED"))
    history = {"events": [start, signal, {**signal, "eventId": "90"}, {**signal, "eventId": "91"}]}
    assert "    Human->>Workflow: signal approve ×3" in history_view.sequence_diagram(history).splitlines()


def test_web_ui_link_quotes_ids():
    url = history_view.web_ui_url("http://127.0.0.1:8233/", "default", "order 1/2", "run-1")
    assert url == "http://127.0.0.1:8233/namespaces/default/workflows/order%201%2F2/run-1/history"


CAPTURES = sorted((Path(__file__).parent.parent / "demos/captures").glob("*.json"))


def _messages(diagram: str) -> list[str]:
    return [line.strip() for line in diagram.splitlines()[1:] if line.startswith("    ") and not line.strip().startswith("participant")]


def test_every_captured_diagram_is_short_enough_to_read_on_a_slide():
    """At most 8 messages, 5 participants and 44 characters a label, in 26 px type: what keeps
    the labels >= 18 px on the slide (tests/test_legibility.py measures the result)."""
    assert CAPTURES
    for path in CAPTURES:
        diagram = history_view.sequence_diagram(json.loads(path.read_text())["history"])
        lines = diagram.splitlines()
        assert lines[1] == history_view.SEQUENCE_INIT and '"fontSize": 26' in lines[1], path.name
        assert len(_messages(diagram)) <= 8, (path.name, diagram)
        assert sum(line.strip().startswith("participant") for line in lines) <= 5, (path.name, diagram)
        assert all(len(m.split(": ", 1)[1]) <= 44 for m in _messages(diagram)), (path.name, diagram)


def test_the_story_counts_repeats_and_leaves_out_bookkeeping():
    inbox = json.loads((Path(__file__).parent.parent / "demos/captures/inbox.json").read_text())["history"]
    messages = _messages(history_view.sequence_diagram(inbox))
    assert messages[0] == "Client->>Workflow: start InboxWorkflow" and messages[-1] == "Workflow-->>Client: completed"
    # Four add_item signals, not in a row (timers start between them), are one arrow with a count.
    assert "Human->>Workflow: signal add_item ×4" in messages
    assert "Human->>Workflow: update decide" in messages and "Timer-->>Workflow: timer fired (5s)" in messages
    assert not any("canceled" in m for m in messages)  # bookkeeping goes first when it does not fit


def test_round_trips_share_an_arrow_named_by_the_step():
    durability = json.loads((Path(__file__).parent.parent / "demos/captures/durability.json").read_text())["history"]
    messages = _messages(history_view.sequence_diagram(durability))
    assert messages[1] == "Workflow->>Activity: create-account, allocate-storage ✓"
    assert "Note over Activity: configure-dns: attempt 2" in messages
    assert "Activity-->>Workflow: configure-dns done (attempt 2)" in messages  # the id names the step, not perform_step
    assert "Note over Workflow: workflow task timed out" in messages


def test_a_story_too_long_for_a_slide_keeps_its_beginning_and_end():
    events = HISTORY["events"]
    start = events[0]
    signal = next(e for e in events if e["eventType"].endswith("SIGNALED"))
    end = next(e for e in events if e["eventType"].endswith("EXECUTION_COMPLETED"))
    names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"]
    signals = [{**signal, "eventId": str(100 + i), "workflowExecutionSignaledEventAttributes": {**signal["workflowExecutionSignaledEventAttributes"], "signalName": n}} for i, n in enumerate(names)]
    messages = _messages(history_view.sequence_diagram({"events": [start, *signals, end]}))
    assert len(messages) == 8
    assert messages[0] == "Client->>Workflow: start W" and messages[-1] == "Workflow-->>Client: completed"
    assert messages[-2] == "Note over Workflow: … 7 more …"
