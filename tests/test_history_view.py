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
