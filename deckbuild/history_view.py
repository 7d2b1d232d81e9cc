"""What a captured Temporal event history looks like on a slide: key events and a sequence diagram.

Works on the standard exported history JSON (`WorkflowHistory.to_json_dict()`, the same shape the
Web UI and `temporal workflow show --output json` use), so it knows nothing of any one demo.
Workflow-task bookkeeping events are left out: they are Temporal's, not the workflow's, story.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from deckbuild.palette import FONT_FALLBACK

NOISE = {
    "WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted", "ActivityTaskStarted",
    "ChildWorkflowExecutionStarted", "WorkflowExecutionUpdateCompleted", "WorkflowExecutionUpdateAdmitted",
}


@dataclass(frozen=True)
class Step:
    event_id: int
    t_ms: int  # since the workflow started
    kind: str  # the event type, e.g. "ActivityTaskCompleted"
    actor: str  # who acted: Client, Human, Workflow, Activity, Timer
    target: str
    label: str  # short, human, plain text (the diagram shows this)
    detail: str = ""  # payload preview, worker identity, ... (the table adds this)
    short: str = ""  # the label in fewer words, for the diagram (the step an activity id names, ...)

    @property
    def text(self) -> str:
        return f"{self.label}: {self.detail}" if self.detail else self.label


def event_kind(event_type: str) -> str:
    """'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' or 'ActivityTaskScheduled' -> 'ActivityTaskScheduled'."""
    if event_type.startswith("EVENT_TYPE_"):
        return "".join(part.capitalize() for part in event_type.removeprefix("EVENT_TYPE_").split("_"))
    return event_type


def _time(event: dict) -> datetime:
    stamp = event["eventTime"]
    # Nanosecond precision does not fit datetime: keep microseconds.
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", stamp).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp)


def _attrs(event: dict) -> dict:
    return next((v for k, v in event.items() if k.endswith("Attributes")), {})


def payload_text(payloads: dict | None, limit: int = 48) -> str:
    """A short rendering of a JSON payload (the default converter's encoding)."""
    items = (payloads or {}).get("payloads") or []
    shown = []
    for item in items:
        try:
            value = json.loads(base64.b64decode(item.get("data", "")).decode())
            shown.append(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")) if not isinstance(value, str) else value)
        except (ValueError, UnicodeDecodeError):
            shown.append("…binary…")
    return shorten(", ".join(shown), limit)


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure(attrs: dict) -> str:
    failure = attrs.get("failure") or attrs.get("lastFailure") or {}
    while failure.get("cause"):  # the root cause carries the application's own message
        failure = failure["cause"]
    return shorten(failure.get("message", "failed"), 60)


def steps(history: dict) -> list[Step]:
    events = history.get("events") or []
    if not events:
        return []
    start = _time(events[0])
    activity_names: dict[str, str] = {}
    attempts: dict[str, int] = {}
    timers: dict[str, str] = {}
    out: list[Step] = []
    for event in events:
        kind = event_kind(event["eventType"])
        attrs = _attrs(event)
        t_ms = int((_time(event) - start).total_seconds() * 1000)
        eid = int(event["eventId"])

        def add(actor: str, target: str, label: str, detail: str = "", short: str = "") -> None:
            out.append(Step(eid, t_ms, kind, actor, target, label, detail, short))

        worker = f"worker {attrs['identity']}" if attrs.get("identity") else ""
        if kind == "WorkflowExecutionStarted":
            add("Client", "Workflow", f"start {attrs.get('workflowType', {}).get('name', '')}", payload_text(attrs.get("input"), 48))
        elif kind == "ActivityTaskScheduled":
            name = attrs.get("activityType", {}).get("name", "activity")
            chosen_id = attrs.get("activityId", "")
            if chosen_id and not chosen_id.isdigit():  # the SDK numbers activities; a chosen id names the step
                name = f"{name} {chosen_id}"
            activity_names[event["eventId"]] = name
            add("Workflow", "Activity", name, short=name.split()[-1])
        elif kind == "ActivityTaskStarted":
            attempts[attrs.get("scheduledEventId", "")] = int(attrs.get("attempt", 1))
            if int(attrs.get("attempt", 1)) > 1:  # earlier attempts failed; the server retried them
                name = activity_names.get(attrs.get("scheduledEventId", ""), "activity").split()[-1]  # the step, short
                add("Activity", "Activity", f"{name}: attempt {attrs['attempt']}", f"after: {_failure(attrs)}; {worker}".strip("; "))
        elif kind in ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut", "ActivityTaskCanceled"):
            sched = attrs.get("scheduledEventId", "")
            name = activity_names.get(sched, "activity")
            attempt = attempts.get(sched, 1)
            suffix = f" (attempt {attempt})" if attempt > 1 else ""
            outcome = "done" if kind == "ActivityTaskCompleted" else kind.removeprefix("ActivityTask").lower()
            detail = "; ".join(filter(None, [worker, payload_text(attrs.get("result"), 40)])) if kind == "ActivityTaskCompleted" else _failure(attrs)
            add("Activity", "Workflow", f"{name} {outcome}{suffix}", detail, short=f"{name.split()[-1]} {outcome}{suffix}")
        elif kind == "TimerStarted":
            timers[attrs.get("timerId", "")] = attrs.get("startToFireTimeout", "")
            add("Workflow", "Timer", f"durable timer {attrs.get('startToFireTimeout', '')}")
        elif kind == "TimerFired":
            add("Timer", "Workflow", f"timer fired ({timers.get(attrs.get('timerId', ''), '')})")
        elif kind == "TimerCanceled":
            add("Workflow", "Timer", f"timer canceled ({timers.get(attrs.get('timerId', ''), '')})")
        elif kind == "WorkflowExecutionSignaled":
            add("Human", "Workflow", f"signal {attrs.get('signalName', '')}", payload_text(attrs.get("input"), 44))
        elif kind == "WorkflowExecutionUpdateAccepted":
            request = attrs.get("acceptedRequest", {}).get("input", {})
            add("Human", "Workflow", f"update {request.get('name', '')}", payload_text(request.get("args"), 44))
        elif kind == "WorkflowTaskTimedOut":
            add("Workflow", "Workflow", "workflow task timed out", "its worker is gone; the task goes to another worker")
        elif kind == "WorkflowTaskFailed":
            add("Workflow", "Workflow", "workflow task failed", _failure(attrs))
        elif kind == "MarkerRecorded":
            add("Workflow", "Workflow", f"marker {attrs.get('markerName', '')}", payload_text((attrs.get("details") or {}).get("patch-data"), 40))
        elif kind == "StartChildWorkflowExecutionInitiated":
            child = attrs.get("workflowType", {}).get("name", "")
            add("Workflow", "Child", f"start child {child}", attrs.get("workflowId", ""), short=f"start {child}")
        elif kind == "ChildWorkflowExecutionCompleted":
            child = attrs.get("workflowType", {}).get("name", "")
            add("Child", "Workflow", f"child {child} done", payload_text(attrs.get("result"), 40), short=f"{child} done")
        elif kind == "WorkflowExecutionCompleted":
            add("Workflow", "Client", "completed", payload_text(attrs.get("result"), 48))
        elif kind in ("WorkflowExecutionFailed", "WorkflowExecutionTimedOut", "WorkflowExecutionTerminated", "WorkflowExecutionCanceled"):
            add("Workflow", "Client", kind.removeprefix("WorkflowExecution").lower(), _failure(attrs))
        elif kind not in NOISE:
            add("Workflow", "Workflow", kind)
    return out


def key_events(history: dict, limit: int = 8) -> list[Step]:
    """At most `limit` rows: the first ones, then the last (the outcome), with a gap row between."""
    all_steps = steps(history)
    if len(all_steps) <= limit:
        return all_steps
    head = all_steps[: limit - 2]
    tail = all_steps[-1]
    hidden = len(all_steps) - len(head) - 1
    gap = Step(head[-1].event_id, head[-1].t_ms, "…", "", "", f"… {hidden} more …")
    return [*head, gap, tail]


PARTICIPANTS = {
    "Client": "Client",
    "Human": "Human",
    "Workflow": "Workflow",
    "Activity": "Activities",
    "Timer": "Timer",
    "Child": "Child workflows",
}


def mermaid_label(text: str, limit: int = 44) -> str:
    """Plain text that cannot break Mermaid's sequence syntax (`;` ends a statement, `#` starts an
    entity, `<`/`>` and braces are markup) and stays short enough to read on a slide."""
    text = re.sub(r"[;#<>{}\[\]`|\"]", " ", text)
    text = text.replace("-->>", "→").replace("->>", "→").replace("--", "–")
    return shorten(text, limit) or " "


# How much of the story an event carries, for a diagram that must stay readable from the back row
# (every label >= 18 px on the slide): when a history has more messages than fit, the highest
# rank goes first. 0: how the run began and ended; 1: what the demo is about (retries, failures,
# people, a timer firing, a crash); 2: the plumbing between them; 3: bookkeeping.
STORY_RANK = {
    "WorkflowExecutionStarted": 0, "WorkflowExecutionCompleted": 0, "WorkflowExecutionFailed": 0,
    "WorkflowExecutionTimedOut": 0, "WorkflowExecutionTerminated": 0, "WorkflowExecutionCanceled": 0,
    "ActivityTaskStarted": 1, "ActivityTaskFailed": 1, "ActivityTaskTimedOut": 1, "ActivityTaskCanceled": 1,
    "WorkflowTaskTimedOut": 1, "WorkflowTaskFailed": 1, "WorkflowExecutionSignaled": 1,
    "WorkflowExecutionUpdateAccepted": 1, "TimerFired": 1, "MarkerRecorded": 1,
    "TimerCanceled": 3,
}
PLUMBING = 2  # every other kind: activities scheduled and done, timers and children started


def _story_messages(story: list[Step]) -> list[tuple[Step, int]]:
    """Steps as diagram messages, with a count: a schedule answered at once by its completion is one
    round trip; consecutive round trips to the same activities share one arrow when their names fit;
    a message repeating an earlier one (same sender, receiver and words, numbers aside) adds to its
    count instead of taking a line. A summary of the story in the order it began, not a trace: the
    facts table and the Web UI have every event."""
    trips: list[Step] = []
    for step in story:
        previous = trips[-1] if trips else None
        if previous and previous.kind == "ActivityTaskScheduled" and step.kind == "ActivityTaskCompleted" and (step.short or step.label) == f"{previous.label} done":
            trips[-1] = Step(previous.event_id, previous.t_ms, "RoundTrip", "Workflow", "Activity", f"{previous.label} ✓")
            continue
        trips.append(step if not step.short else Step(step.event_id, step.t_ms, step.kind, step.actor, step.target, step.short))
    joined: list[Step] = []
    for step in trips:
        previous = joined[-1] if joined else None
        if previous and previous.kind == step.kind == "RoundTrip":
            both = f"{previous.label[:-2]}, {step.label}"
            if len(both) <= 40:
                joined[-1] = Step(previous.event_id, previous.t_ms, "RoundTrip", "Workflow", "Activity", both)
                continue
        joined.append(step)
    merged: list[tuple[Step, int]] = []
    index: dict[tuple[str, str, str], int] = {}
    for step in joined:
        key = (step.actor, step.target, re.sub(r"\d+", "N", step.label))
        if key in index:
            at = index[key]
            merged[at] = (merged[at][0], merged[at][1] + 1)
        else:
            index[key] = len(merged)
            merged.append((step, 1))
    return merged


def story(history: dict, max_messages: int = 8) -> list[tuple[Step, int]]:
    """The messages of a history's sequence diagram: all of them when they fit, else without the
    bookkeeping, then without the plumbing; a history still too long keeps its beginning and end."""
    all_steps = steps(history)
    for keep_below in (4, 3, 2):
        merged = _story_messages([s for s in all_steps if STORY_RANK.get(s.kind, PLUMBING) < keep_below])
        if len(merged) <= max_messages:
            return merged
    hidden = len(merged) - max_messages + 1
    return merged[: max_messages - 2] + [(Step(0, 0, "…", "Workflow", "Workflow", f"… {hidden} more …"), 1)] + merged[-1:]


# Mermaid draws sequence labels at 16 px (its top-level fontSize wins over the per-label sizes),
# which ends up near 12 px once a wide diagram is scaled to a slide: large type in the diagram
# itself keeps labels >= 18 px at the size the slide shows it. Mermaid sizes note boxes by
# measuring the text in its own default font, narrower than the theme's: measuring in the theme's
# font stack (palette.FONT_FALLBACK, the one midnight-blue declares) keeps every note inside its box.
# Captured text cannot reach this directive: mermaid_label removes braces.
SEQUENCE_CONFIG = {
    "fontSize": 26,
    "fontFamily": FONT_FALLBACK.replace('"', ""),
    "themeVariables": {"fontSize": "26px"},
    "sequence": {"width": 140, "height": 60, "boxMargin": 8, "noteMargin": 10, "messageMargin": 26},
}
SEQUENCE_INIT = "%%{init: " + json.dumps(SEQUENCE_CONFIG) + "}%%"


def sequence_diagram(history: dict, max_messages: int = 8) -> str:
    """A Mermaid sequence diagram of what happened, from the real history: the events that tell
    the story (`story`), in type large enough to read from the back of the room."""
    messages = story(history, max_messages)
    used = [name for name in PARTICIPANTS if any(name in (s.actor, s.target) for s, _ in messages)]
    lines = ["sequenceDiagram", SEQUENCE_INIT]
    lines += [f"    participant {name} as {PARTICIPANTS[name]}" for name in used]
    for step, count in messages:
        label = mermaid_label(step.label + (f" ×{count}" if count > 1 else ""))
        arrow = "-->>" if step.actor in ("Activity", "Timer", "Child") or step.target == "Client" else "->>"
        if step.actor == step.target:
            lines.append(f"    Note over {step.actor}: {label}")
        else:
            lines.append(f"    {step.actor}{arrow}{step.target}: {label}")
    return "\n".join(lines) + "\n"


def web_ui_url(ui_base: str, namespace: str, workflow_id: str, run_id: str) -> str:
    return f"{ui_base.rstrip('/')}/namespaces/{quote(namespace)}/workflows/{quote(workflow_id, safe='')}/{quote(run_id)}/history"


def event_rows(history: dict, limit: int = 8) -> list[list[str]]:
    """Rows for a slide table: [+ms, what happened]."""
    return [["" if s.kind == "…" else f"{s.t_ms:,}", s.text] for s in key_events(history, limit)]


def template_helpers() -> dict[str, Any]:
    """What slide templates may call to show a captured run."""
    return {"key_events": key_events, "event_rows": event_rows, "sequence_diagram": sequence_diagram, "web_ui_url": web_ui_url}
