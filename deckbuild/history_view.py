"""What a captured Temporal event history looks like on a slide's table: its key events, in words.
(The story picture of a run, the demo slides' diagram, is deckbuild/story.)

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


def web_ui_url(ui_base: str, namespace: str, workflow_id: str, run_id: str) -> str:
    """The Web UI page of one run: the one place that builds it (slides and live demos alike)."""
    return f"{ui_base.rstrip('/')}/namespaces/{quote(namespace)}/workflows/{quote(workflow_id, safe='')}/{quote(run_id)}/history"


def event_rows(history: dict, limit: int = 8) -> list[list[str]]:
    """Rows for a slide table: [+ms, what happened]."""
    return [["" if s.kind == "…" else f"{s.t_ms:,}", s.text] for s in key_events(history, limit)]


def template_helpers() -> dict[str, Any]:
    """What slide templates may call to show a captured run."""
    return {"key_events": key_events, "event_rows": event_rows, "web_ui_url": web_ui_url}
