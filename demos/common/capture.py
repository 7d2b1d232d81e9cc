"""Run a demo's scenario against a real server and capture what happened as one JSON-able artifact.

The deck shows captures, never hand-written output: the artifact holds the scenario's result, the
main workflow's full event history (replayable), a compact event table for slides, the versions
that produced it and a hash of the demo's source, so a stale capture can be detected.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import time
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from types import ModuleType
from typing import Any, Callable

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from demos.common.scenario import ScenarioResult
from demos.common.server import DemoError, temporal_cli_version
from demos.common.source import DEMOS_DIR, demo_source_hash  # re-exported: part of this module's API

__all__ = ["CAPTURE_SCHEMA", "DemoFailed", "capture_demo", "demo_source_hash", "load_scenario", "root_failure_message"]

CAPTURE_SCHEMA = 1


class DemoFailed(Exception):
    """A scenario did not get to the end. Names the demo, the step it was at and Temporal's reason."""

    def __init__(self, demo: str, step: str, message: str) -> None:
        super().__init__(f"demo {demo!r} failed at step {step!r}: {message}")
        self.demo = demo
        self.step = step
        self.message = message


async def capture_demo(name: str, client: Client, *, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run demos.<name>.scenario on a fresh task queue and return its capture artifact (see module doc)."""
    scenario = load_scenario(name)
    lines: list[str] = []

    def record(line: str) -> None:
        lines.append(line)
        if log is not None:
            log(line)

    task_queue = f"{name}-{uuid.uuid4()}"
    started_at = datetime.now(timezone.utc)
    began = time.monotonic()
    try:
        result: ScenarioResult = await scenario.run(client, task_queue=task_queue, log=record)
    except (DemoFailed, DemoError):
        raise
    except Exception as err:
        step = lines[-1] if lines else "start"
        raise DemoFailed(name, step, root_failure_message(err)) from err
    duration_s = time.monotonic() - began

    history = await client.get_workflow_handle(result.workflow_id, run_id=result.run_id).fetch_history()
    other_histories = {}
    for other_id, other_run_id in result.other_runs:
        other = await client.get_workflow_handle(other_id, run_id=other_run_id).fetch_history()
        other_histories[other_id] = other.to_json_dict()
    events = history.events

    capture = {
        "schema": CAPTURE_SCHEMA,
        "demo": name,
        "title": scenario.TITLE,
        "claims": list(scenario.CLAIMS),
        "command": f"python -m demos.{name}",
        "source_path": f"demos/{name}/",
        "source_hash": demo_source_hash(name),
        "versions": await versions(client),
        "captured_at": started_at.isoformat(timespec="seconds"),
        "namespace": client.namespace,
        "workflow_id": result.workflow_id,
        "run_id": result.run_id,
        "workflow_type": events[0].workflow_execution_started_event_attributes.workflow_type.name,
        "input": result.input,
        "result": result.result,
        "duration_s": round(duration_s, 3),
        "workflow_duration_s": round(_seconds_between(events[0], events[-1]), 3),
        "events": compact_events(events),
        "history": history.to_json_dict(),
        "other_histories": other_histories,
        "log": lines,
        "extra": result.extra,
        "annotations": list(result.annotations),
        "story_workflow_id": result.story_workflow_id,
    }
    # Fail here, naming the demo, rather than later in the deck build when the JSON is written.
    try:
        json.dumps(capture)
    except TypeError as err:
        raise DemoFailed(name, "capture", f"the scenario returned data that is not JSON-serialisable: {err}") from err
    return capture


def load_scenario(name: str) -> ModuleType:
    module_name = f"demos.{name}.scenario"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        # Only "this demo does not exist" is the user's mistake; a missing import inside it is a bug.
        if err.name in (f"demos.{name}", module_name):
            raise DemoError(f"there is no demo named {name!r} (expected {DEMOS_DIR / name / 'scenario.py'})") from err
        raise


async def versions(client: Client) -> dict[str, str | None]:
    """The SDK in this venv, the `temporal` CLI and the server actually answering (which may be remote)."""
    info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    return {
        "temporalio": importlib.metadata.version("temporalio"),
        "cli": _cli_version(),
        "server": info.server_version or None,
    }


@lru_cache(maxsize=1)
def _cli_version() -> str | None:
    try:
        return temporal_cli_version()["cli"]
    except (DemoError, OSError, subprocess.CalledProcessError, IndexError):
        return None  # a remote server needs no local CLI


def root_failure_message(err: BaseException) -> str:
    """The innermost reason in a cause chain.

    WorkflowFailureError("Workflow execution failed") -> ActivityError("Activity task failed")
    -> ApplicationError("card declined"): the last one is what a person needs to read.
    """
    root = err
    seen = {id(err)}
    while root.__cause__ is not None and id(root.__cause__) not in seen:
        seen.add(id(root.__cause__))
        root = root.__cause__
    if isinstance(root, ApplicationError):
        return f"{root.type}: {root.message}" if root.type else root.message
    message = str(root) or type(root).__name__
    # Temporal's own errors already read as sentences; anything else keeps its class name for context.
    return message if type(root).__module__.startswith("temporalio") else f"{type(root).__name__}: {message}"


# ----- compact event table ---------------------------------------------------------------------


def event_type_name(event: HistoryEvent) -> str:
    """EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> ActivityTaskScheduled."""
    raw = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    return "".join(word.capitalize() for word in raw.split("_"))


def compact_events(events: list[HistoryEvent]) -> list[dict[str, Any]]:
    """One short row per event: id, type, ms since the first event, and a human detail string."""
    if not events:
        return []
    # Started/Completed/Failed events only point at their Scheduled event; remember its activity type.
    activity_types: dict[int, str] = {}
    rows = []
    for event in events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            activity_types[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        rows.append(
            {
                "id": event.event_id,
                "type": event_type_name(event),
                "t_ms": round(_seconds_between(events[0], event) * 1000),
                "detail": event_detail(event, activity_types),
            }
        )
    return rows


def event_detail(event: HistoryEvent, activity_types: dict[int, str]) -> str:
    kind = event.WhichOneof("attributes")
    if kind is None:
        return ""
    attrs = getattr(event, kind)
    describe = _DETAILS.get(kind)
    return describe(attrs, activity_types) if describe else ""


def _activity(attrs: Any, activity_types: dict[int, str]) -> str:
    return activity_types.get(attrs.scheduled_event_id, "activity")


def _scheduled(attrs: Any, _: dict[int, str]) -> str:
    name = attrs.activity_type.name
    # The SDK numbers activities 1, 2, ...; a chosen id (a step name) is worth showing.
    return name if attrs.activity_id.isdigit() else f"{name} [{attrs.activity_id}]"


def _activity_started(attrs: Any, types: dict[int, str]) -> str:
    text = f"{_activity(attrs, types)} attempt {attrs.attempt}, worker {attrs.identity}"
    if attrs.HasField("last_failure"):
        text += f" (last failure: {_failure_message(attrs.last_failure)})"
    return text


def _workflow_started(attrs: Any, _: dict[int, str]) -> str:
    return f"{attrs.workflow_type.name} on {attrs.task_queue.name}"


def _duration(value: Any) -> str:
    return f"{value.ToTimedelta().total_seconds():g}s"


def _failure_message(failure: Failure) -> str:
    """Failures nest (ActivityFailure -> ApplicationFailure): report the innermost message."""
    while failure.HasField("cause"):
        failure = failure.cause
    return failure.message


def _timeout_name(value: int) -> str:
    return TimeoutType.Name(value).removeprefix("TIMEOUT_TYPE_").replace("_", "-").lower()


_DETAILS: dict[str, Callable[[Any, dict[int, str]], str]] = {
    "workflow_execution_started_event_attributes": _workflow_started,
    "workflow_execution_completed_event_attributes": lambda a, t: "completed",
    "workflow_execution_failed_event_attributes": lambda a, t: _failure_message(a.failure),
    "workflow_execution_timed_out_event_attributes": lambda a, t: "timed out",
    "workflow_execution_canceled_event_attributes": lambda a, t: "canceled",
    "workflow_execution_terminated_event_attributes": lambda a, t: a.reason,
    "workflow_execution_continued_as_new_event_attributes": lambda a, t: f"new run {a.new_execution_run_id}",
    "workflow_task_started_event_attributes": lambda a, t: f"worker {a.identity}",
    "workflow_task_timed_out_event_attributes": lambda a, t: f"{_timeout_name(a.timeout_type)} timeout",
    "workflow_task_failed_event_attributes": lambda a, t: _failure_message(a.failure),
    "activity_task_scheduled_event_attributes": _scheduled,
    "activity_task_started_event_attributes": _activity_started,
    "activity_task_completed_event_attributes": lambda a, t: f"{_activity(a, t)} by {a.identity}",
    "activity_task_failed_event_attributes": lambda a, t: f"{_activity(a, t)}: {_failure_message(a.failure)}",
    "activity_task_timed_out_event_attributes": lambda a, t: f"{_activity(a, t)}: {_failure_message(a.failure)}",
    "activity_task_canceled_event_attributes": lambda a, t: f"{_activity(a, t)} canceled",
    "timer_started_event_attributes": lambda a, t: f"timer {a.timer_id}: {_duration(a.start_to_fire_timeout)}",
    "timer_fired_event_attributes": lambda a, t: f"timer {a.timer_id} fired",
    "timer_canceled_event_attributes": lambda a, t: f"timer {a.timer_id} canceled",
    "workflow_execution_signaled_event_attributes": lambda a, t: f"signal {a.signal_name}",
    "workflow_execution_update_accepted_event_attributes": lambda a, t: f"update {a.accepted_request.input.name}",
    "workflow_execution_update_completed_event_attributes": lambda a, t: f"update {a.meta.update_id} completed",
    "marker_recorded_event_attributes": lambda a, t: a.marker_name,
    "start_child_workflow_execution_initiated_event_attributes": lambda a, t: f"{a.workflow_type.name} ({a.workflow_id})",
    "child_workflow_execution_started_event_attributes": lambda a, t: a.workflow_execution.workflow_id,
    "child_workflow_execution_completed_event_attributes": lambda a, t: a.workflow_execution.workflow_id,
    "child_workflow_execution_failed_event_attributes": lambda a, t: _failure_message(a.failure),
    "signal_external_workflow_execution_initiated_event_attributes": lambda a, t: f"signal {a.signal_name}",
    "upsert_workflow_search_attributes_event_attributes": lambda a, t: ", ".join(a.search_attributes.indexed_fields),
}


def _seconds_between(first: HistoryEvent, later: HistoryEvent) -> float:
    return (later.event_time.ToDatetime() - first.event_time.ToDatetime()).total_seconds()
