"""The worker: runs StepLatencyWorkflow and validate_iban (the same function serves both as a local
and as a regular activity).

Standalone (two-terminal way; needs `temporal server start-dev` or TEMPORAL_ADDRESS):
    python -m demos.local_activities.worker
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.local_activities.activities import validate_iban
from demos.local_activities.workflows import StepLatencyWorkflow

TASK_QUEUE = "local-activities"


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[StepLatencyWorkflow], activities=[validate_iban])


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"worker polling task queue {TASK_QUEUE!r}; Ctrl-C to stop")
        await run_until_stopped(build_worker(client))


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
