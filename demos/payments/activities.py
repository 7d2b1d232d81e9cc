"""The payment activities.

debit_account: idempotent by transaction id. Activities run at least once: an attempt can do its
work and still fail (here: the connection drops after the ledger committed the debit), and the
retry must not charge again. The ledger records debits under the transaction id, so the second
attempt finds the debit and returns it instead of debiting twice.

settle_batch: a long activity that heartbeats its progress (the index of the next item). When its
worker dies, the server notices the missing heartbeats, retries the activity on another worker, and
the new attempt starts from the last heartbeat's details instead of from the beginning.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError

from demos.payments import ledger


@dataclass
class DebitRequest:
    ledger_path: str
    transaction_id: str  # the idempotency key
    account: str
    amount_cents: int
    lose_response_attempts: int = 1  # attempts whose answer is lost after the debit committed


@dataclass
class DebitReceipt:
    transaction_id: str
    outcome: str  # "debited" or "already debited"
    balance_cents: int
    attempt: int


@dataclass
class SettlementBatch:
    ledger_path: str
    batch_id: str
    transaction_ids: list[str]
    item_seconds: float  # how long settling one item takes


@dataclass
class SettlementReport:
    batch_id: str
    items: int
    resumed_from_item: int  # 0: from the start; k: the heartbeat said items before k were done
    attempt: int
    worker_pid: int


@activity.defn
async def debit_account(request: DebitRequest) -> DebitReceipt:
    attempt = activity.info().attempt
    with ledger.connect(request.ledger_path) as db:
        done = db.execute("SELECT 1 FROM debits WHERE transaction_id = ?", (request.transaction_id,)).fetchone()
        if done:
            outcome = "already debited"
        else:
            (balance,) = db.execute("SELECT balance_cents FROM accounts WHERE account = ?", (request.account,)).fetchone()
            if balance < request.amount_cents:
                raise ApplicationError(f"insufficient funds in {request.account}", type="InsufficientFunds", non_retryable=True)
            db.execute("UPDATE accounts SET balance_cents = balance_cents - ? WHERE account = ?", (request.amount_cents, request.account))
            db.execute("INSERT INTO debits VALUES (?, ?, ?)", (request.transaction_id, request.account, request.amount_cents))
            outcome = "debited"
        (balance,) = db.execute("SELECT balance_cents FROM accounts WHERE account = ?", (request.account,)).fetchone()
        db.execute("INSERT INTO debit_attempts VALUES (?, ?, ?, ?, ?)", (request.transaction_id, attempt, outcome, balance, time.time()))
    if attempt <= request.lose_response_attempts:
        # The ledger committed; the answer never reaches us. Temporal retries the activity.
        raise ApplicationError("connection reset after the ledger committed the debit", type="ResponseLost")
    return DebitReceipt(request.transaction_id, outcome, balance, attempt)


@activity.defn
async def settle_batch(batch: SettlementBatch) -> SettlementReport:
    info = activity.info()
    start = int(info.heartbeat_details[0]) if info.heartbeat_details else 0
    for item in range(start, len(batch.transaction_ids)):
        await asyncio.sleep(batch.item_seconds)  # the work: talking to the clearing house
        txn = batch.transaction_ids[item]
        with ledger.connect(batch.ledger_path) as db:
            # Settling is idempotent too: an item redone after a crash is not settled twice.
            db.execute("INSERT OR IGNORE INTO settlements VALUES (?, ?, ?, ?)", (txn, batch.batch_id, os.getpid(), info.attempt))
            db.execute("INSERT INTO settlement_work VALUES (?, ?, ?, ?, ?)", (item + 1, txn, os.getpid(), info.attempt, time.time()))
        activity.heartbeat(item + 1)  # progress: the next item to settle
    return SettlementReport(batch.batch_id, len(batch.transaction_ids), start, info.attempt, os.getpid())
