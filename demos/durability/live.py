"""Present mode: five provisioning steps of a few seconds each, long enough for the presenter to
press "Kill worker" in the middle of one and "Start worker" a moment later. The side-effect log,
written by the worker processes themselves, shows each step completed exactly once."""

from __future__ import annotations

import uuid
from pathlib import Path

from temporalio.client import Client, WorkflowHandle

from demos.common.connect import REPO_ROOT
from demos.durability.activities import read_side_effects
from demos.durability.starter import side_effect_summary, start_provisioning
from demos.durability.worker import build_worker
from demos.durability.workflows import ProvisioningRequest

WORKERS = {"worker": build_worker}
KILL_AFTER_S = 7.0  # rehearsal: in the middle of step 3 (steps of 3 s)
KILLABLE_ROLE = "worker"
STEP_SECONDS = 3.0  # time to click "Kill worker" while a step is visibly running
LOG_DIR = REPO_ROOT / ".temporal" / "present-durability"
_side_effect_logs: dict[str, Path] = {}  # workflow id -> its log (start() and snapshot() run in one process)


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"side-effects-{uuid.uuid4().hex[:8]}.jsonl"
    request = ProvisioningRequest(customer="acme", side_effect_log=str(log), step_seconds=STEP_SECONDS)
    handle = await start_provisioning(client, request, task_queue=task_queue)
    _side_effect_logs[handle.id] = log
    return handle


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    """What the worker processes' own side-effect log says (the picture draws the history): how many
    steps completed, each once, and which step had to start again on the new process."""
    log_path = _side_effect_logs.get(handle.id)
    records = read_side_effects(log_path) if log_path and log_path.exists() else []
    steps = side_effect_summary(records)
    done = [s for s in steps if s["completed"]]
    line = f"side-effect log: {len(done)} of {len(steps)} steps completed, " + ("each once" if all(s["completed"] == 1 for s in done) else "ONE TWICE")
    again = [f"{s['name']} started ×{s['started']} (pid {', '.join(str(p) for p in s['started_by_pids'])})" for s in steps if s["started"] > 1]
    return {"lines": [line, *again]}
