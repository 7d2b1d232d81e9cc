"""Order workers, one per code version: "v1" (what was first deployed) and "v2" (current, patched).

Both poll the same task queue for the same workflow type: deploying v2 means stopping the v1 worker
and starting a v2 one, while runs v1 started are still open.

Standalone: `python -m demos.versioning.worker --code v1`, Ctrl+C, then `--code v2`
(set TEMPORAL_ADDRESS to join a running server such as `temporal server start-dev`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.versioning.activities import charge_payment, check_fraud, reserve_stock
from demos.versioning.workflows import OrderApproval
from demos.versioning.workflows_v1 import OrderApprovalV1

TASK_QUEUE = "order-approval"

# What each deployed version registers. v1 predates the fraud check, so it has no such activity.
CODE_VERSIONS = {
    "v1": (OrderApprovalV1, [reserve_stock, charge_payment]),
    "v2": (OrderApproval, [reserve_stock, check_fraud, charge_payment]),
}


def make_worker(client: Client, task_queue: str = TASK_QUEUE, code: str = "v2") -> Worker:
    workflow_class, activities = CODE_VERSIONS[code]
    # The SDK's default identity (pid@host), tagged with the code version: every WorkflowTaskStarted
    # event records the identity, so a run's history shows which version's worker ran each step.
    identity = f"{os.getpid()}@{socket.gethostname()}/{code}"
    return Worker(client, task_queue=task_queue, workflows=[workflow_class], activities=activities, identity=identity)


async def main(code: str) -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"order worker running {code} code ({CODE_VERSIONS[code][0].__name__}) on {TASK_QUEUE!r}; Ctrl+C to stop")
        await run_until_stopped(make_worker(client, code=code))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", choices=sorted(CODE_VERSIONS), default="v2", help="which version to deploy")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # shows what the activities log
    asyncio.run(main(parser.parse_args().code))
