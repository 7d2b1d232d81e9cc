"""Worker Versioning, the operator's side: make a version current, read a Worker Deployment, and
read which version ran each run (from its history and from describe()).

temporalio 1.35 has no high-level client API for Worker Deployments, so this calls the
WorkflowService RPCs the `temporal worker deployment ...` commands call:

    set_current(client, "orders", "v2")   ==  temporal worker deployment set-current-version \\
                                                 --deployment-name orders --build-id v2
    deployment_summary(client, "orders")  ==  temporal worker deployment describe --name orders

Where a run's version is recorded (what the slide and present mode read):
  - history: every WorkflowTaskCompleted event carries `deployment_version` (deployment_name,
    build_id) and `versioning_behavior` (what the worker declared: PINNED or AUTO_UPGRADE) of the
    worker that completed that task. The first one says where the run started, the last where it
    finished.
  - describe(): `workflow_execution_info.versioning_info` holds the run's current
    `deployment_version`, the declared `behavior`, and `versioning_override` when the run was
    started (or later updated) with one; an override wins over the declared behavior.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio.api.enums.v1 import VersioningBehavior, WorkerDeploymentVersionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkerDeploymentRequest, SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError

from demos.common.server import DemoError

IDENTITY = "demos.versioning"


def _enum_name(enum: Any, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix)


async def describe_deployment(client: Client, deployment: str):
    """The DescribeWorkerDeployment response; RPCError NOT_FOUND before the first worker polled."""
    return await client.workflow_service.describe_worker_deployment(
        DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
    )


async def set_current(client: Client, deployment: str, build_id: str, *, timeout: float = 60.0, settle_s: float = 10.0) -> None:
    """Make `build_id` the deployment's Current Version: new runs (and auto-upgrade runs, at their
    next workflow task) go to its workers. Pinned runs stay where they are.

    The server refuses a version none of whose workers has polled yet (the version does not exist,
    or "has no pollers"): a worker that just started is registered a moment later, so this retries
    until `timeout`. Then it waits up to `settle_s` for the server to report the new routing in
    place on every task-queue partition. Not longer: Server 1.32 can go on reporting "in progress"
    after it logged the propagation complete (seen when its deployment workflow continued-as-new at
    that moment), and the routing was in place all along; the scenario checks where runs land."""
    deadline = time.monotonic() + timeout
    problem = "no answer"
    settle_by = None
    while True:
        try:
            described = await describe_deployment(client, deployment)
            if _current_build_id(described) != build_id:
                await client.workflow_service.set_worker_deployment_current_version(
                    SetWorkerDeploymentCurrentVersionRequest(
                        namespace=client.namespace,
                        deployment_name=deployment,
                        build_id=build_id,
                        conflict_token=described.conflict_token,
                        identity=IDENTITY,
                    )
                )
            else:
                settle_by = settle_by or time.monotonic() + settle_s
                if _routing_settled(described) or time.monotonic() > settle_by:
                    return
        except RPCError as err:  # not registered yet, no pollers yet, a concurrent change (conflict token)
            problem = err.message
        if settle_by is not None and time.monotonic() > settle_by:
            return
        if settle_by is None and time.monotonic() > deadline:
            raise DemoError(f"could not make {deployment}.{build_id} the current version within {timeout:g}s: {problem}")
        await asyncio.sleep(0.2)


def _current_build_id(described) -> str | None:
    routing = described.worker_deployment_info.routing_config
    return routing.current_deployment_version.build_id if routing.HasField("current_deployment_version") else None


def _routing_settled(described) -> bool:
    from temporalio.api.enums.v1 import RoutingConfigUpdateState

    state = described.worker_deployment_info.routing_config_update_state
    return state in (RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED, RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_UNSPECIFIED)


async def deployment_summary(client: Client, deployment: str) -> dict[str, Any]:
    """What `temporal worker deployment describe` shows, as plain data:
    {"name", "current": build id or None, "current_since": ISO time, "ramping": build id or None, "ramp_percentage",
     "versions": {build_id: {"status": "current" | "ramping" | "draining" | "drained" | "inactive"}}}."""
    described = await describe_deployment(client, deployment)
    info = described.worker_deployment_info
    routing = info.routing_config
    versions = {}
    for summary in sorted(info.version_summaries, key=lambda s: s.deployment_version.build_id):
        status = _enum_name(WorkerDeploymentVersionStatus, summary.status, "WORKER_DEPLOYMENT_VERSION_STATUS_").lower()
        versions[summary.deployment_version.build_id] = {"status": status}
    changed = routing.current_version_changed_time
    return {
        "name": info.name,
        "current": _current_build_id(described),
        "current_since": changed.ToDatetime().isoformat() + "Z" if changed.seconds else None,
        "ramping": routing.ramping_deployment_version.build_id if routing.HasField("ramping_deployment_version") else None,
        "ramp_percentage": round(routing.ramping_version_percentage, 1),
        "versions": versions,
    }


def task_versions(history: WorkflowHistory) -> list[dict[str, Any]]:
    """One entry per completed workflow task, from the history: which worker deployment version
    completed it and the versioning behavior that worker declared for the run."""
    out = []
    for event in history.events:
        if event.HasField("workflow_task_completed_event_attributes"):
            attrs = event.workflow_task_completed_event_attributes
            out.append({
                "event_id": event.event_id,
                "build_id": attrs.deployment_version.build_id or None,
                "deployment": attrs.deployment_version.deployment_name or None,
                "behavior": _behavior_name(attrs.versioning_behavior),
            })
    return out


def _behavior_name(value: int) -> str | None:
    if value == VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED:
        return None
    return _enum_name(VersioningBehavior, value, "VERSIONING_BEHAVIOR_")


async def run_versions(handle: WorkflowHandle) -> dict[str, Any]:
    """Which version a run started and finished on (its history), and what describe() says now:
    {"started_on", "finished_on", "moved_at_event", "behavior" (effective), "declared_behavior",
     "override", "describe_version"}."""
    tasks = task_versions(await handle.fetch_history())
    info = (await handle.describe()).raw_description.workflow_execution_info.versioning_info
    override = _behavior_name(info.versioning_override.behavior) if info.HasField("versioning_override") else None
    declared = _behavior_name(info.behavior)
    moved = next((t["event_id"] for t in tasks[1:] if t["build_id"] != tasks[0]["build_id"]), None)
    return {
        "started_on": tasks[0]["build_id"] if tasks else None,
        "finished_on": tasks[-1]["build_id"] if tasks else None,
        "moved_at_event": moved,
        "behavior": override or declared,
        "declared_behavior": declared,
        "override": override,
        "describe_version": info.deployment_version.build_id or None,
    }
