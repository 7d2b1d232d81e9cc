"""Scenario: a payment whose debit commits but whose answer is lost, retried without a second
charge; then a settlement batch on the batch queue whose worker process is SIGKILLed mid-batch, and
a new batch worker resumes from the last heartbeat."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.payments import ledger
from demos.payments.activities import SettlementReport
from demos.payments.processes import BatchWorkerProcesses, WorkerProcess
from demos.payments.starter import ACCOUNT, debit_request, new_ledger, pay, settlement_batch, start_settlement
from demos.payments.worker import build_worker
from demos.payments.workflows import PaymentWorkflow, SettlementWorkflow

TITLE = "Payments: an idempotent debit charged exactly once; a heartbeating settlement resumes after its worker is killed"
CLAIMS = ["Activities are retried: make them idempotent", "Heartbeats checkpoint long activities", "Separate task queues per workload"]
WORKFLOWS = [PaymentWorkflow, SettlementWorkflow]

ITEMS = 10
ITEM_SECONDS = 0.3
KILL_AFTER_ITEMS = 4


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    batch_queue = f"{task_queue}-batch"
    with tempfile.TemporaryDirectory(prefix="payments-demo-") as scratch:
        ledger_path = new_ledger(Path(scratch) / "ledger.sqlite")
        request = debit_request(ledger_path)
        before = ledger.balance(ledger_path, ACCOUNT)
        async with BatchWorkerProcesses.joining(client, batch_queue, Path(scratch)) as batch_workers:
            async with build_worker(client, task_queue):
                log(f"real-time worker on {task_queue}; batch worker processes on {batch_queue}")
                log(f"balance {before / 100:.2f}; paying {request.amount_cents / 100:.2f}, transaction {request.transaction_id}")
                first, (handle, receipt) = await asyncio.gather(
                    batch_workers.start(), pay(client, request, task_queue=task_queue)
                )
                attempts = ledger.rows(ledger_path, "debit_attempts")
                for row in attempts:
                    log(f"  debit attempt {row['attempt']}: {row['outcome']}, balance {row['balance_cents'] / 100:.2f}")
                after = ledger.balance(ledger_path, ACCOUNT)
                log(f"balance {after / 100:.2f}: charged once")

                batch = settlement_batch(ledger_path, ITEMS, ITEM_SECONDS)
                settlement = await start_settlement(client, batch, task_queue=task_queue, batch_task_queue=batch_queue)
                log(f"settling {ITEMS} items on batch worker pid {first.pid}")
                await _wait_for_items(ledger_path, KILL_AFTER_ITEMS, first)
                await asyncio.sleep(ITEM_SECONDS / 2)  # mid-item: the heartbeat for the items done has been sent
                killed_at = await first.kill()
                log(f"SIGKILL batch worker pid {first.pid} during item {KILL_AFTER_ITEMS + 1}")
                second = await batch_workers.start()
                log(f"batch worker pid {second.pid} running; the server retries the settlement once heartbeats stop")
                report: SettlementReport = await asyncio.wait_for(settlement.result(), timeout=60)
                log(f"settlement done by pid {report.worker_pid}, attempt {report.attempt}, resumed at item {report.resumed_from_item + 1}")
        debits = [d for d in ledger.rows(ledger_path, "debits") if d["transaction_id"] == request.transaction_id]
        work = ledger.rows(ledger_path, "settlement_work")
        settled = ledger.rows(ledger_path, "settlements")
    processed = [{"item": w["item"], "pid": w["pid"], "attempt": w["attempt"]} for w in work]
    items_seen = [p["item"] for p in processed]
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input={k: v for k, v in asdict(request).items() if k != "ledger_path"},
        result=asdict(receipt),
        extra={
            "task_queues": {"real_time": task_queue, "batch": batch_queue},
            "balance_before_cents": before,
            "balance_after_cents": after,
            "amount_cents": request.amount_cents,
            "debit_attempts": [{"attempt": a["attempt"], "outcome": a["outcome"], "balance_cents": a["balance_cents"]} for a in attempts],
            "debits_recorded": len(debits),
            "charged_once": len(debits) == 1 and after == before - request.amount_cents,
            "settlement": {
                "workflow_id": settlement.id,
                "items": ITEMS,
                "item_seconds": ITEM_SECONDS,
                "killed_pid": first.pid,
                "second_pid": second.pid,
                "killed_at_item": KILL_AFTER_ITEMS + 1,
                "resumed_from_item": report.resumed_from_item + 1,
                "final_attempt": report.attempt,
                "recovery_s": round(_first_work_after(work, second.pid) - killed_at, 3),
                "processed": processed,
                "items_by_first_worker": sum(1 for p in processed if p["pid"] == first.pid),
                "items_by_second_worker": sum(1 for p in processed if p["pid"] == second.pid),
                "redone_items": sorted({i for i in items_seen if items_seen.count(i) > 1}),
                "settled_once_each": len(settled) == ITEMS and len({s["transaction_id"] for s in settled}) == ITEMS,
            },
        },
        other_runs=[(settlement.id, settlement.result_run_id)],
        # The slide's picture is the settlement (what present mode runs live): its worker killed mid-batch.
        story_workflow_id=settlement.id,
        annotations=[
            {"kind": "activity_running", "at": min(w["at"] for w in work if w["pid"] == first.pid), "worker": first.pid, "step": "settle_batch"},
            {"kind": "worker_killed", "at": killed_at, "worker": first.pid},
            {"kind": "worker_started", "at": second.started_at, "worker": second.pid},
        ],
    )


async def _wait_for_items(ledger_path: str, items: int, worker: WorkerProcess, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while len(ledger.rows(ledger_path, "settlement_work")) < items:
        worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"the batch worker settled fewer than {items} items within {timeout_s:g}s")
        await asyncio.sleep(0.02)


def _first_work_after(work: list[dict], pid: int) -> float:
    return min(w["at"] for w in work if w["pid"] == pid)
