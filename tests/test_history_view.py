"""From a real exported Temporal history to what a slide's table shows: its key events."""

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


def test_web_ui_link_quotes_ids():
    url = history_view.web_ui_url("http://127.0.0.1:8233/", "default", "order 1/2", "run-1")
    assert url == "http://127.0.0.1:8233/namespaces/default/workflows/order%201%2F2/run-1/history"
