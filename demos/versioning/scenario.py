"""The upgrade demo as a scenario (see demos/common/scenario.py): Worker Versioning, and the patch
that a run moving between versions still needs.

  1. v1's worker runs, as version v1 of a Worker Deployment of its own; v1 is made current
  2. order 1001 starts (PINNED, what the workflow declares) and order 1002 starts with an
     AUTO_UPGRADE override; both park, waiting for approval, on v1
  3. v2's worker starts beside v1's; v2 is made current: v1 is now "draining" (a pinned run is open)
  4. order 1003 starts: new runs go to the current version, v2 (with its fraud check)
  5. all three are approved: 1001 finishes on v1's worker (pinned); 1002 moves to v2 at its next
     workflow task, where v2's workflow.patched() keeps it on the v1 path; 1003 finishes on v2
  6. v1 is "drained" (no open run pinned to it): its worker may stop
  7. 1002's history (v1, then v2) is replayed against v2 without the patch (nondeterminism error)
     and against the patched v2 (clean)

Which version ran what is read back from the server: each history's WorkflowTaskCompleted events
and each run's describe() (deployment.run_versions), the deployment from DescribeWorkerDeployment.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, timezone

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.common.server import DemoError
from demos.versioning.deployment import deployment_summary, run_versions, set_current
from demos.versioning.model import FRAUD_CHECK_PATCH, Order
from demos.versioning.starter import approve, replay_report, start_order
from demos.versioning.worker import make_worker
from demos.versioning.workflows import OrderApproval

TITLE = "Safe upgrades: Worker Versioning pins a v1 run to v1 while v2 takes new runs; a patch lets a run move"
CLAIMS = [
    "Version workflows: Temporal supports safe upgrades",
    "Can stop workers, upgrade code, resume",
]
WORKFLOWS = [OrderApproval]

PINNED_ORDER = Order(order_id="order-1001", customer="Acme Corp", amount_cents=129_00)
AUTO_UPGRADE_ORDER = Order(order_id="order-1002", customer="Initech", amount_cents=89_00)
NEW_ORDER = Order(order_id="order-1003", customer="Globex", amount_cents=6_400_00)
APPROVER = "ops lead"


def deployment_name_for_run() -> str:
    """A Worker Deployment per run: the routing of one run (current version, drainage) never mixes
    with an earlier run's, and `temporal worker deployment describe --name <it>` shows this one."""
    return f"orders-{uuid.uuid4().hex[:6]}"


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    deployment = deployment_name_for_run()
    started: list = []
    try:
        return await _run(client, task_queue, deployment, started, log)
    except BaseException:
        # A run left open stays pinned to its version, which then never drains: end them.
        await _terminate_open(started)
        raise


async def _terminate_open(handles: list) -> None:
    for handle in handles:
        try:
            await handle.terminate("the versioning scenario stopped before this order finished")
        except Exception:  # noqa: BLE001 - already closed, or the server is gone: nothing to end
            pass


async def _run(client: Client, task_queue: str, deployment: str, started: list, log: Log) -> ScenarioResult:
    async with make_worker(client, task_queue, code="v1", deployment=deployment):
        await set_current(client, deployment, "v1")
        log(f"worker deployment {deployment}: v1's worker polling, v1 is current")
        pinned = await start_order(client, PINNED_ORDER, task_queue=task_queue)
        started.append(pinned)
        auto = await start_order(client, AUTO_UPGRADE_ORDER, task_queue=task_queue, auto_upgrade=True)
        started.append(auto)
        log(f"started {pinned.id} (PINNED) and {auto.id} (AUTO_UPGRADE override) on v1; both wait for approval")

        async with make_worker(client, task_queue, code="v2", deployment=deployment):
            await set_current(client, deployment, "v2")
            after_deploy = await deployment_summary(client, deployment)
            log(f"v2's worker polling, v2 is current; v1 is {after_deploy['versions']['v1']['status']} (v1's worker keeps running)")
            new = await start_order(client, NEW_ORDER, task_queue=task_queue)
            started.append(new)
            log(f"started {new.id}: new runs go to the current version")

            results = {}
            for name, handle in (("pinned", pinned), ("auto", auto), ("new", new)):
                results[name] = await approve(handle, APPROVER)
            versions = {name: await run_versions(handle) for name, handle in (("pinned", pinned), ("auto", auto), ("new", new))}
            for name, handle in (("pinned", pinned), ("auto", auto), ("new", new)):
                v = versions[name]
                log(f"approved {handle.id} ({v['behavior']}): started on {v['started_on']}, finished on {v['finished_on']}, "
                    f"{results[name].path} path")

            v1_after = (await deployment_summary(client, deployment))["versions"]["v1"]["status"]
            log(f"v1 is {v1_after}" + (": the server marks it drained at its next check, minutes after its last pinned run closed"
                                        if v1_after == "draining" else ""))
        final = await deployment_summary(client, deployment)
        log(f"`temporal worker deployment describe --name {deployment}`: current {final['current']}, "
            + ", ".join(f"{build} {v['status']}" for build, v in final["versions"].items()))

    replay = await replay_report(auto, data_converter=client.data_converter)
    log(f"replay {auto.id} (v1, then v2) against v2 without the patch: {replay['unpatched']}")
    log(f"replay {auto.id} against patched v2: {'OK' if replay['patched'] is None else replay['patched']}")

    # The deck quotes these outcomes; if Temporal ever behaved differently, fail loudly instead.
    expected = {"pinned": ("v1", "v1", "v1"), "auto": ("v1", "v2", "v1"), "new": ("v2", "v2", "v2")}
    seen = {name: (versions[name]["started_on"], versions[name]["finished_on"], results[name].path) for name in expected}
    if seen != expected:
        raise DemoError(f"expected (started on, finished on, path) {expected}, got {seen}")
    if replay["unpatched"] is None or replay["patched"] is not None:
        raise DemoError(f"unexpected replay outcome: {replay}")

    # The slide's timeline, in seconds into order 1001's run: v2 became current, then the approval came.
    pinned_events = (await pinned.fetch_history()).events
    pinned_started = pinned_events[0].event_time.ToDatetime()
    v2_current_at_s = (datetime.fromisoformat(after_deploy["current_since"].removesuffix("Z")) - pinned_started).total_seconds()
    signaled = next(e for e in pinned_events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    approved_at_s = (signaled.event_time.ToDatetime() - pinned_started).total_seconds()

    def run_facts(handle, order: Order, name: str) -> dict:
        return {"workflow_id": handle.id, "run_id": handle.result_run_id, "input": asdict(order), "result": asdict(results[name]), "versions": versions[name]}

    return ScenarioResult(
        workflow_id=pinned.id,
        run_id=pinned.result_run_id or "",
        input=asdict(PINNED_ORDER),
        result=asdict(results["pinned"]),
        extra={
            "deployment": deployment,
            "patch_id": FRAUD_CHECK_PATCH,
            "v2_current_at_s": round(v2_current_at_s, 1),
            "pinned_approved_at_s": round(approved_at_s, 1),
            "v1_status_after_deploy": after_deploy["versions"]["v1"]["status"],
            "v1_status_at_end": v1_after,
            "deployment_at_end": final,
            "pinned_run": run_facts(pinned, PINNED_ORDER, "pinned"),
            "auto_run": run_facts(auto, AUTO_UPGRADE_ORDER, "auto"),
            "new_run": run_facts(new, NEW_ORDER, "new"),
            "unpatched_replay_error": replay["unpatched"],
            "patched_replay_error": replay["patched"],
        },
        other_runs=[(auto.id, auto.result_run_id or ""), (new.id, new.result_run_id or "")],
        # The story picture: where v2 became current while this order waited (no event of its own says so).
        annotations=[{"kind": "note", "at": pinned_started.replace(tzinfo=timezone.utc).timestamp() + v2_current_at_s,
                      "text": "v2 deployed: now the current version"}],
    )
