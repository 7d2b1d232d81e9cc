"""One provisioning step: real work with a real side effect, an append to a JSONL log file.

The log is the witness: it is written by the worker processes themselves, outside Temporal, so it
shows what actually ran, in which process, how many times.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from temporalio import activity


@dataclass
class StepInput:
    side_effect_log: str  # path of the JSONL file every attempt appends to
    number: int
    name: str
    work_seconds: float


@dataclass
class StepOutcome:
    number: int
    name: str
    worker_pid: int
    attempt: int


@activity.defn
async def perform_step(step: StepInput) -> StepOutcome:
    """Record the start, work for `work_seconds` (heartbeating), record the completion.

    A step interrupted mid-flight (its worker killed) has a "started" line but no "completed"
    line, and runs again on another worker: activities are at-least-once, hence idempotent in real
    systems. A step that completed is recorded by Temporal and never runs again.
    """
    info = activity.info()
    _append(step.side_effect_log, "started", step, info.attempt)
    deadline = time.monotonic() + step.work_seconds
    while time.monotonic() < deadline:
        # The heartbeat is how the server notices a dead worker within heartbeat_timeout instead of
        # waiting for the whole start_to_close_timeout.
        activity.heartbeat()
        await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    _append(step.side_effect_log, "completed", step, info.attempt)
    return StepOutcome(step.number, step.name, os.getpid(), info.attempt)


def _append(log_path: str, event: str, step: StepInput, attempt: int) -> None:
    record = {"event": event, "step": step.number, "name": step.name, "attempt": attempt, "pid": os.getpid(), "at": time.time()}
    # One short write per record in append mode, so each line lands whole at the end of the file.
    # Blocking I/O in an async activity, but a microseconds-long append to a local file.
    with Path(log_path).open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def read_side_effects(log_path: str | Path) -> list[dict]:
    """The JSONL log as records. A torn last line (writer killed mid-write) is ignored."""
    records = []
    for line in Path(log_path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
