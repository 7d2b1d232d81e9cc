"""The worker for the loan approval workflow and its activities.

Standalone (two-terminal way; needs `temporal server start-dev` or TEMPORAL_ADDRESS):
    python -m demos.loan_approval.worker
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.loan_approval.activities import credit_check, route_to_manual_review, verify_documents
from demos.loan_approval.workflows import LoanApprovalWorkflow

TASK_QUEUE = "loan-approval"


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[LoanApprovalWorkflow],
        activities=[credit_check, verify_documents, route_to_manual_review],
    )


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"worker polling task queue {TASK_QUEUE!r}; Ctrl-C to stop")
        await run_until_stopped(build_worker(client))


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
