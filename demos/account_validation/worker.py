"""The worker: runs AccountValidationWorkflow and the three step activities.

Standalone (two-terminal way; needs `temporal server start-dev` or TEMPORAL_ADDRESS):
    python -m demos.account_validation.worker
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from demos.account_validation.activities import AccountDirectory, demo_directory
from demos.account_validation.workflows import AccountValidationWorkflow
from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped

TASK_QUEUE = "account-validation"  # the standalone worker and starter; the scenario uses a fresh one


def build_worker(client: Client, task_queue: str = TASK_QUEUE, directory: AccountDirectory | None = None) -> Worker:
    directory = directory or demo_directory()
    return Worker(client, task_queue=task_queue, workflows=[AccountValidationWorkflow], activities=directory.activities())


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"worker polling task queue {TASK_QUEUE!r}; Ctrl-C to stop")
        await run_until_stopped(build_worker(client))


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
