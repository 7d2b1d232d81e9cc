"""Two workflows on the real-time `payment-tasks` queue: a payment (one idempotent debit) and a
settlement run, whose long activity is sent to the batch queue, served by other worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from demos.payments.activities import DebitReceipt, DebitRequest, SettlementBatch, SettlementReport, debit_account, settle_batch

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_attempts=5)


@workflow.defn
class PaymentWorkflow:
    @workflow.run
    async def run(self, request: DebitRequest) -> DebitReceipt:
        return await workflow.execute_activity(
            debit_account, request, start_to_close_timeout=timedelta(seconds=10), retry_policy=RETRY
        )


@dataclass
class SettlementRequest:
    batch: SettlementBatch
    batch_task_queue: str  # where the batch workers poll ("batch-reporting" standalone)


@workflow.defn
class SettlementWorkflow:
    @workflow.run
    async def run(self, request: SettlementRequest) -> SettlementReport:
        return await workflow.execute_activity(
            settle_batch,
            request.batch,
            task_queue=request.batch_task_queue,
            start_to_close_timeout=timedelta(minutes=5),
            # No heartbeat for 2 s: the server declares the attempt dead and retries it elsewhere.
            heartbeat_timeout=timedelta(seconds=2),
            retry_policy=RETRY,
        )
