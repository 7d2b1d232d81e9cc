"""The worker for the payment workflow and its activities.

Standalone (two-terminal way; needs `temporal server start-dev` or TEMPORAL_ADDRESS):
    python -m demos.retries.worker
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.retries.activities import apply_coupon, charge_card
from demos.retries.workflows import PaymentWorkflow

TASK_QUEUE = "retries-demo"  # used by the standalone worker and starter; the scenario uses a fresh one


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[PaymentWorkflow], activities=[apply_coupon, charge_card])


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"worker polling task queue {TASK_QUEUE!r}; Ctrl-C to stop")
        await build_worker(client).run()


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
