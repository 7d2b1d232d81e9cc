"""Order workers, one per version of the Worker Deployment: "v1" (what was first deployed) and "v2"
(adds the fraud check, patched for runs that move to it).

Each worker declares its Worker Deployment Version (deployment name + build id) with
WorkerDeploymentConfig and opts into Worker Versioning. Both versions poll the same task queue for
the same workflow type; the server decides which version gets each task: a new run goes to the
deployment's Current Version, a PINNED run stays on the version it started on. Deploying v2 means
starting v2's workers beside v1's, then making v2 current (deployment.set_current, or
`temporal worker deployment set-current-version`); v1's workers keep running until its pinned runs
have finished (the version is "drained").

Standalone: `python -m demos.versioning.worker --code v1`, and in another terminal `--code v2`
(set TEMPORAL_ADDRESS to join a running server such as `temporal server start-dev`).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket

from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.versioning.activities import charge_payment, check_fraud, reserve_stock
from demos.versioning.model import DEPLOYMENT_NAME
from demos.versioning.workflows import OrderApproval
from demos.versioning.workflows_v1 import OrderApprovalV1

TASK_QUEUE = "order-approval"

# What each version registers. v1 predates the fraud check, so it has no such activity.
CODE_VERSIONS = {
    "v1": (OrderApprovalV1, [reserve_stock, charge_payment]),
    "v2": (OrderApproval, [reserve_stock, check_fraud, charge_payment]),
}


def make_worker(client: Client, task_queue: str = TASK_QUEUE, code: str = "v2", *, deployment: str = DEPLOYMENT_NAME) -> Worker:
    """A worker of version `code` (its build id) of the Worker Deployment `deployment`."""
    workflow_class, activities = CODE_VERSIONS[code]
    # The SDK's default identity (pid@host), tagged with the version: the Web UI lists workers by
    # identity. The history records the version itself (WorkflowTaskCompleted.deployment_version).
    identity = f"{os.getpid()}@{socket.gethostname()}/{code}"
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[workflow_class],
        activities=activities,
        identity=identity,
        # The workflows declare their versioning behavior (PINNED) themselves; with no default here
        # the SDK refuses a workflow that declares none, so none can be forgotten.
        deployment_config=WorkerDeploymentConfig(version=WorkerDeploymentVersion(deployment, code), use_worker_versioning=True),
    )


async def main(code: str, deployment: str) -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"order worker: deployment {deployment!r}, build id {code!r} ({CODE_VERSIONS[code][0].__name__}) on {TASK_QUEUE!r}; Ctrl+C to stop")
        await run_until_stopped(make_worker(client, code=code, deployment=deployment))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", choices=sorted(CODE_VERSIONS), default="v2", help="which version (build id) to run")
    parser.add_argument("--deployment", default=DEPLOYMENT_NAME, help=f"the Worker Deployment's name (default {DEPLOYMENT_NAME})")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # shows what the activities log
    args = parser.parse_args()
    raise SystemExit(run_standalone(lambda: main(args.code, args.deployment)))
