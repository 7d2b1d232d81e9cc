"""Present mode: a settlement batch on the batch queue, heartbeating after every item. "Kill worker"
SIGKILLs the batch worker process mid-batch; "Start worker" starts a new one, which resumes from the
last heartbeat. Real-time payments have their own queue and worker, untouched by the batch."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle

from demos.common.connect import REPO_ROOT
from demos.payments import ledger
from demos.payments.batch_worker import build_batch_worker
from demos.payments.starter import new_ledger, settlement_batch, start_settlement
from demos.payments.worker import build_worker

WORKERS = {
    "realtime": lambda client, task_queue: build_worker(client, task_queue),
    "batch": lambda client, task_queue: build_batch_worker(client, f"{task_queue}-batch"),
}
KILL_AFTER_S = 6.5  # rehearsal: in the middle of the batch (items of 1.5 s)
KILLABLE_ROLE = "batch"
ITEMS = 10
ITEM_SECONDS = 1.5  # time to press "Kill worker" in the middle of the batch
LEDGER_DIR = REPO_ROOT / ".temporal" / "present-payments"
_ledgers: dict[str, str] = {}  # workflow id -> its ledger (start() and snapshot() run in one process)


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    LEDGER_DIR.mkdir(parents=True, exist_ok=True)
    batch = settlement_batch("", ITEMS, ITEM_SECONDS)
    path = new_ledger(LEDGER_DIR / f"{batch.batch_id}.sqlite")
    batch = settlement_batch(path, ITEMS, ITEM_SECONDS)
    handle = await start_settlement(client, batch, task_queue=task_queue, batch_task_queue=f"{task_queue}-batch")
    _ledgers[handle.id] = path
    return handle


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    """What the ledger holds: each item settled once, and by which worker process, however many
    times the batch was restarted (the work table shows what was redone)."""
    path = _ledgers.get(handle.id)
    if not path:
        return {"lines": []}
    settled = ledger.rows(path, "settlements")
    work = ledger.rows(path, "settlement_work")
    by_pid: dict[int, int] = {}
    for row in settled:
        by_pid[row["pid"]] = by_pid.get(row["pid"], 0) + 1
    lines = [f"items settled: {len(settled)} of {ITEMS} (each once)"]
    lines += [f"worker pid {pid}: {count} items" for pid, count in by_pid.items()]
    redone = len(work) - len(settled)
    if redone > 0:
        lines.append(f"work redone after a restart: {redone} item(s), from the last heartbeat on")
    return {"lines": lines}
