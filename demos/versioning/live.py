"""Present mode: Worker Versioning on stage.

Run live starts an order on v1, the Current Version of the live Worker Deployment, and it waits for
approval. "Deploy v2" is a real deployment (`deploy` below): v2's worker process starts beside
v1's and v2 becomes current, while the open order stays PINNED to v1, whose worker keeps running
until its runs have drained. Approve: the order finishes on v1. A Run live after the deploy starts
on v2.

Each run's version is on the server, where the slide reads it (snapshot): every
WorkflowTaskCompleted event's `deployment_version.build_id` (and `versioning_behavior`), and
describe()'s `workflow_execution_info.versioning_info` (see deployment.py).
"""

from __future__ import annotations

import uuid
from typing import Awaitable, Callable

from temporalio.client import Client, WorkflowHandle

from demos.versioning.deployment import deployment_summary, run_versions, set_current
from demos.versioning.model import AWAITING_APPROVAL, Order
from demos.versioning.workflows import OrderApproval
from demos.versioning.worker import make_worker

# One deployment for the stage (the live task queue is fixed too): present.sqlite keeps it, and its
# versions, across sessions.
LIVE_DEPLOYMENT = "orders-live"
WORKERS = {
    "v1": lambda client, task_queue: make_worker(client, task_queue, code="v1", deployment=LIVE_DEPLOYMENT),
    "v2": lambda client, task_queue: make_worker(client, task_queue, code="v2", deployment=LIVE_DEPLOYMENT),
}
START_ROLES = ("v1",)  # what runs when the session starts; "Deploy v2" adds v2 beside it
DEPLOY = ("v1", "v2")  # the slide's "Deploy v2" button: `deploy` below does it
APPROVER = "ops lead"


class _Stage:
    """What this session has done. Until v2 is deployed in it, the story starts from v1: a session
    that begins (or restarts) puts v1 back as current, whatever an earlier session left."""

    deployed = False


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    if not _Stage.deployed:
        await set_current(client, LIVE_DEPLOYMENT, "v1")
    order = Order(order_id=f"order-{uuid.uuid4().hex[:6]}", customer="Acme Corp", amount_cents=129_00)
    return await client.start_workflow(OrderApproval.run, order, id=order.order_id, task_queue=task_queue)


async def deploy(client: Client, task_queue: str, ensure_worker: Callable[[str], Awaitable[object]]) -> dict:
    """Deploy v2: its worker starts (ensure_worker starts the role's process unless one runs), then
    v2 becomes the Current Version. v1's worker is left running: runs pinned to v1 finish there."""
    await ensure_worker("v2")
    await set_current(client, LIVE_DEPLOYMENT, "v2")
    _Stage.deployed = True
    summary = await deployment_summary(client, LIVE_DEPLOYMENT)
    v1 = summary["versions"].get("v1", {}).get("status", "?")
    return {"message": f"v2 deployed and current: new orders start on v2; v1 is {v1}, its worker keeps running for the runs pinned to it"}


async def _approve(client: Client, handle: WorkflowHandle, args: dict) -> dict:
    await handle.signal(OrderApproval.approve, APPROVER)
    return {"message": f"signal approve by {APPROVER}"}


CONTROLS = {"approve": _approve}


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    """The order's state with its Approve button, its version (history + describe) and the
    deployment's, beside the events."""
    try:
        status = await handle.query(OrderApproval.status)
    except Exception:  # noqa: BLE001 - finished (no worker keeps it), or its worker is restarting
        status = "done" if (await handle.describe()).status.name == "COMPLETED" else "?"
    versions = await run_versions(handle)
    summary = await deployment_summary(client, LIVE_DEPLOYMENT)
    if not versions["started_on"]:
        where = "no worker has run it yet"
    elif status == "done":
        where = f"started on {versions['started_on']}, finished on {versions['finished_on']}"
    else:
        where = f"started on {versions['started_on']}, last step on {versions['finished_on']}"
    lines = [
        f"this order: {versions['behavior'] or 'unversioned'}, {where}",
        f"deployment {summary['name']}: " + ", ".join(f"{build} {v['status']}" for build, v in summary["versions"].items()),
    ]
    rows = [{"label": f"{handle.id}: {status}", "actions": ["approve"] if status == AWAITING_APPROVAL else [], "args": {}}]
    return {"rows": rows, "lines": lines, "versions": versions, "deployment": summary}


async def finish(client: Client, handle: WorkflowHandle, session: object) -> None:
    await _approve(client, handle, {})
