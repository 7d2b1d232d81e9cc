"""The upgrade demo as a scenario (see demos/common/scenario.py):

  1. a v1 worker runs; an order starts and parks, waiting for approval
  2. the v1 worker stops; the order is still open (nothing runs it, nothing is lost)
  3. a v2 worker (patched code) starts; a second order starts on it
  4. both are approved: the old run finishes on the v1 path, the new one on the v2 path
  5. the old run's history is replayed against v2 without the patch (nondeterminism error)
     and against the patched v2 (clean)
"""

from __future__ import annotations

from dataclasses import asdict

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.common.server import DemoError
from demos.versioning.model import FRAUD_CHECK_PATCH, Order
from demos.versioning.starter import approve, replay_report, start_order
from demos.versioning.worker import make_worker
from demos.versioning.workflows import OrderApproval

TITLE = "Safe upgrades: a v1 run survives a v2 deploy; replay catches the unsafe version"
CLAIMS = [
    "Version workflows: Temporal supports safe upgrades",
    "Can stop workers, upgrade code, resume",
]
WORKFLOWS = [OrderApproval]

OLD_ORDER = Order(order_id="order-1001", customer="Acme Corp", amount_cents=129_00)
NEW_ORDER = Order(order_id="order-1002", customer="Globex", amount_cents=6_400_00)
APPROVER = "ops lead"


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    async with make_worker(client, task_queue, code="v1"):
        old = await start_order(client, OLD_ORDER, task_queue=task_queue)
        log(f"v1 worker: started {old.id}, now waiting for approval")
    status_between = (await old.describe()).status
    log(f"v1 worker stopped; {old.id} is {status_between.name if status_between else '?'} with no worker at all")

    async with make_worker(client, task_queue, code="v2"):
        log(f"v2 worker deployed (fraud check guarded by workflow.patched({FRAUD_CHECK_PATCH!r}))")
        new = await start_order(client, NEW_ORDER, task_queue=task_queue)
        log(f"v2 worker: started {new.id}, now waiting for approval")
        old_result = await approve(old, APPROVER)
        log(f"approved {old.id}: finished on the {old_result.path} path, steps {old_result.steps}")
        new_result = await approve(new, APPROVER)
        log(f"approved {new.id}: finished on the {new_result.path} path, steps {new_result.steps}")

    replay = await replay_report(old, data_converter=client.data_converter)
    log(f"replay {old.id} against v2 without the patch: {replay['unpatched']}")
    log(f"replay {old.id} against patched v2: {'OK' if replay['patched'] is None else replay['patched']}")

    # The deck quotes these outcomes; if Temporal ever behaved differently, fail loudly instead.
    if (old_result.path, new_result.path) != ("v1", "v2"):
        raise DemoError(f"expected paths v1/v2, got {old_result.path}/{new_result.path}")
    if replay["unpatched"] is None or replay["patched"] is not None:
        raise DemoError(f"unexpected replay outcome: {replay}")

    return ScenarioResult(
        workflow_id=old.id,
        run_id=old.result_run_id or "",
        input=asdict(OLD_ORDER),
        result=asdict(old_result),
        extra={
            "patch_id": FRAUD_CHECK_PATCH,
            "old_run_status_between_workers": status_between.name if status_between else None,
            "old_run": {"workflow_id": old.id, "result": asdict(old_result)},
            "new_run": {
                "workflow_id": new.id,
                "run_id": new.result_run_id,
                "input": asdict(NEW_ORDER),
                "result": asdict(new_result),
            },
            "unpatched_replay_error": replay["unpatched"],
            "patched_replay_error": replay["patched"],
        },
        other_runs=[(new.id, new.result_run_id or "")],
    )
