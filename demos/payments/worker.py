"""The real-time worker: polls `payment-tasks` for both workflows and the debit activity.

Standalone (two-terminal way; needs `temporal server start-dev` or TEMPORAL_ADDRESS):
    python -m demos.payments.worker
The settlement's activity runs on the batch queue: start `python -m demos.payments.batch_worker` too.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.payments.activities import debit_account
from demos.payments.workflows import PaymentWorkflow, SettlementWorkflow

TASK_QUEUE = "payment-tasks"
BATCH_TASK_QUEUE = "batch-reporting"


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[PaymentWorkflow, SettlementWorkflow], activities=[debit_account])


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"real-time worker polling task queue {TASK_QUEUE!r}; Ctrl-C to stop")
        await run_until_stopped(build_worker(client))


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
