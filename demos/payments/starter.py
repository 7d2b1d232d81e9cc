"""Make a payment (the debit's first answer is lost, the retry must not charge again), then run a
settlement batch on the batch queue.

Standalone (two-terminal way, next to `python -m demos.payments.worker` and
`python -m demos.payments.batch_worker`):
    python -m demos.payments.starter
Settling takes 1 s per item here: kill -9 the batch worker mid-batch and start another one; the
new attempt resumes from the last heartbeat. The ledger goes to .temporal/payments/ in the repo.
"""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from demos.common.cli import run_standalone
from demos.common.connect import REPO_ROOT, connected_client
from demos.payments import ledger
from demos.payments.activities import DebitReceipt, DebitRequest, SettlementBatch, SettlementReport
from demos.payments.worker import BATCH_TASK_QUEUE, TASK_QUEUE
from demos.payments.workflows import PaymentWorkflow, SettlementRequest, SettlementWorkflow

ACCOUNT = "acct-ada"
OPENING_BALANCE_CENTS = 10_000


def new_ledger(path) -> str:
    ledger.create(path, {ACCOUNT: OPENING_BALANCE_CENTS})
    return str(path)


def debit_request(ledger_path: str, amount_cents: int = 2_500) -> DebitRequest:
    return DebitRequest(ledger_path, transaction_id=f"txn-{uuid.uuid4().hex[:10]}", account=ACCOUNT, amount_cents=amount_cents)


async def pay(client: Client, request: DebitRequest, *, task_queue: str) -> tuple[WorkflowHandle, DebitReceipt]:
    handle = await client.start_workflow(
        PaymentWorkflow.run, request, id=f"payment-{request.transaction_id}", task_queue=task_queue, result_type=DebitReceipt
    )
    return handle, await handle.result()


def settlement_batch(ledger_path: str, items: int, item_seconds: float) -> SettlementBatch:
    batch_id = f"batch-{uuid.uuid4().hex[:8]}"
    return SettlementBatch(ledger_path, batch_id, [f"{batch_id}-txn-{n:02d}" for n in range(1, items + 1)], item_seconds)


async def start_settlement(client: Client, batch: SettlementBatch, *, task_queue: str, batch_task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(
        SettlementWorkflow.run,
        SettlementRequest(batch, batch_task_queue),
        id=f"settlement-{batch.batch_id}",
        task_queue=task_queue,
        result_type=SettlementReport,
    )


async def main(client: Client | None = None) -> SettlementReport:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    folder = REPO_ROOT / ".temporal" / "payments"
    folder.mkdir(parents=True, exist_ok=True)
    ledger_path = new_ledger(folder / f"ledger-{uuid.uuid4().hex[:8]}.sqlite")
    request = debit_request(ledger_path)
    print(f"balance {ledger.balance(ledger_path, ACCOUNT) / 100:.2f}; paying {request.amount_cents / 100:.2f} ({request.transaction_id})")
    handle, receipt = await pay(client, request, task_queue=TASK_QUEUE)
    for row in ledger.rows(ledger_path, "debit_attempts"):
        print(f"  attempt {row['attempt']}: {row['outcome']}, balance {row['balance_cents'] / 100:.2f}")
    print(f"balance {ledger.balance(ledger_path, ACCOUNT) / 100:.2f}: charged once ({handle.id})")
    batch = settlement_batch(ledger_path, items=12, item_seconds=1.0)
    settlement = await start_settlement(client, batch, task_queue=TASK_QUEUE, batch_task_queue=BATCH_TASK_QUEUE)
    print(f"settling {len(batch.transaction_ids)} items on {BATCH_TASK_QUEUE!r} ({settlement.id}); kill -9 the batch worker and start another")
    report: SettlementReport = await settlement.result()
    print(f"settled {report.items} items; the last attempt ({report.attempt}) resumed at item {report.resumed_from_item + 1}")
    return report


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
