"""What present mode needs from a demo to run it live from its slide. The deck build never uses it,
so it is not part of a capture's source hash (see demos/common/source.py).

`demos/<name>/live.py` defines:
    WORKERS: dict[str, WorkerFactory]      role -> f(client, task_queue) -> async context manager that
                                           polls while inside; each role runs as its own OS process
    async def start(client, task_queue) -> WorkflowHandle      start one run, return at once
and may define:
    CONTROLS: dict[str, Control]           action -> async f(client, handle, args) -> dict (shown on the slide)
    async def snapshot(client, handle) -> dict                   state shown beside the events, e.g.
        {"rows": [{"label": str, "actions": [str], "args": {...}}], "lines": [str], "note_for": [str]}
    KILLABLE_ROLE: str                     the slide offers "Kill worker" / "Start worker" for it
    KILL_AFTER_S: float                    when `build.py rehearse` kills it (seconds into the run)
    SCALE_ROLE: str                        the slide offers "+1 worker" for it
    START_ROLES: tuple[str, ...]           the roles running when the session starts (default: all)
    DEPLOY: (old_role, new_role)           the slide offers "Deploy <new>", which calls
    async def deploy(client, task_queue, ensure_worker) -> dict      ensure_worker(role) starts that role's
                                           process unless one runs; returns {"message": ...} for the slide
    SIDE_PANEL: bool                       the snapshot's rows (a list to act on) sit beside the live picture
    async def finish(client, handle, session) -> None           how `build.py rehearse` drives a run to its end
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, AsyncContextManager, Awaitable, Callable

from temporalio.client import Client, WorkflowHandle

WorkerFactory = Callable[[Client, str], AsyncContextManager[Any]]
Control = Callable[[Client, WorkflowHandle, dict], Awaitable[dict]]
READY_LINE = "live worker ready"


class ControlRejected(Exception):
    """A control the workflow refused (an update's validator, a decided item): shown, not a crash.
    `request` names what was refused ("update decide") and `reason` says why, for the live picture."""

    def __init__(self, message: str, *, request: str = "", reason: str = ""):
        super().__init__(message)
        self.request = request
        self.reason = reason or message


def load_live(name: str) -> ModuleType | None:
    """demos.<name>.live, or None for a demo that has no live mode."""
    try:
        return importlib.import_module(f"demos.{name}.live")
    except ModuleNotFoundError as err:
        if err.name == f"demos.{name}.live":
            return None
        raise


def live_task_queue(name: str) -> str:
    return f"present-{name}"
