"""The upgrade demo against the real dev server: a v1 run survives a worker swap to patched v2 code,
and replaying its history shows the unpatched change would have broken it."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from demos.versioning import scenario, starter
from demos.versioning.activities import REVIEW_THRESHOLD_CENTS, check_fraud
from demos.versioning.model import FRAUD_CHECK_PATCH, Order
from demos.versioning.replay import replay_failure
from demos.versioning.starter import approve, start_order
from demos.versioning.worker import make_worker
from demos.versioning.workflows import OrderApproval
from demos.versioning.workflows_unpatched import OrderApprovalUnpatched
from demos.versioning.workflows_v1 import OrderApprovalV1

# Each test takes seconds; a hung one (e.g. a workflow task failing forever) should fail fast.
pytestmark = pytest.mark.timeout(60)

SMALL = Order(order_id="order-small", customer="Acme", amount_cents=50_00)


def activity_types(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def worker_versions(history: WorkflowHistory) -> list[str]:
    """The code version of the worker that ran each workflow task (make_worker tags its identity)."""
    return [
        e.workflow_task_started_event_attributes.identity.rsplit("/", 1)[-1]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    ]


def has_patch_marker(history: WorkflowHistory) -> bool:
    # workflow.patched() records its id in a marker; search the event's JSON rather than decode it.
    return any(
        e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and FRAUD_CHECK_PATCH in str(e.marker_recorded_event_attributes)
        for e in history.events
    )


async def test_open_v1_run_finishes_on_v1_path_after_v2_deploy(client: Client, task_queue: str):
    async with make_worker(client, task_queue, code="v1"):
        old = await start_order(client, SMALL, task_queue=task_queue)
    # No worker at all now: the run is simply parked on the server.
    assert (await old.describe()).status.name == "RUNNING"

    async with make_worker(client, task_queue, code="v2"):
        new = await start_order(client, SMALL, task_queue=task_queue)
        old_result = await approve(old, "Ada")
        new_result = await approve(new, "Grace")

    assert (old_result.path, old_result.approved_by) == ("v1", "Ada")
    assert old_result.steps == ["stock reserved for order-small", "charged 50.00 to Acme"]
    assert (new_result.path, new_result.approved_by) == ("v2", "Grace")
    assert new_result.steps[1] == "fraud check: low (amount within normal range)"

    # The v2 worker finished the old run without ever adding the new step to its history...
    old_history = await old.fetch_history()
    assert worker_versions(old_history) == ["v1", "v1", "v2", "v2"]
    assert activity_types(old_history) == ["reserve_stock", "charge_payment"]
    assert not has_patch_marker(old_history)
    # ...while the new run took the new step and carries the patch marker.
    new_history = await new.fetch_history()
    assert activity_types(new_history) == ["reserve_stock", "check_fraud", "charge_payment"]
    assert has_patch_marker(new_history)


@pytest.fixture(scope="module")
async def v1_history(client: Client) -> WorkflowHistory:
    """The history of an order that v1 code ran from start to finish."""
    task_queue = f"tq-{uuid.uuid4()}"
    async with make_worker(client, task_queue, code="v1"):
        handle = await start_order(client, SMALL, task_queue=task_queue)
        assert (await approve(handle, "Ada")).path == "v1"
    return await handle.fetch_history()


async def test_v1_history_replays_on_its_own_code(v1_history: WorkflowHistory):
    assert await replay_failure(v1_history, OrderApprovalV1) is None


async def test_unpatched_change_breaks_replay_of_v1_history(v1_history: WorkflowHistory):
    error = await replay_failure(v1_history, OrderApprovalUnpatched)
    assert isinstance(error, NondeterminismError)
    assert re.search(r"charge_payment.*check_fraud", str(error))
    # The same check as a worker-free CI step would run it: the Replayer raises.
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[OrderApprovalUnpatched]).replay_workflow(v1_history)


async def test_patched_change_replays_v1_history_cleanly(v1_history: WorkflowHistory):
    assert await replay_failure(v1_history, OrderApproval) is None


async def test_scenario_end_to_end(client: Client, task_queue: str):
    lines: list[str] = []
    result = await scenario.run(client, task_queue=task_queue, log=lines.append)

    json.dumps(result.__dict__)  # the deck build stores it as JSON
    assert result.result["path"] == "v1"
    assert result.extra["old_run_status_between_workers"] == "RUNNING"
    assert result.extra["new_run"]["result"]["path"] == "v2"
    assert "fraud check: review" in result.extra["new_run"]["result"]["steps"][1]
    error = result.extra["unpatched_replay_error"]
    assert error.startswith("NondeterminismError: ") and "check_fraud" in error and "Failure {" not in error
    assert result.extra["patched_replay_error"] is None
    assert result.other_runs == [(result.extra["new_run"]["workflow_id"], result.extra["new_run"]["run_id"])]
    described = await client.get_workflow_handle(result.workflow_id, run_id=result.run_id).describe()
    assert (described.workflow_type, described.status.name) == ("OrderApproval", "COMPLETED")


async def test_starter_commands(client: Client, task_queue: str, capsys: pytest.CaptureFixture[str]):
    async with make_worker(client, task_queue, code="v2"):
        await starter.main(client, ["--task-queue", task_queue, "start", "--amount", "12.5"])
        workflow_id = re.search(r"started (\S+):", capsys.readouterr().out).group(1)
        await starter.main(client, ["approve", workflow_id])
        assert f"{workflow_id} finished on the v2 path" in capsys.readouterr().out
    await starter.main(client, ["replay", workflow_id])
    out = capsys.readouterr().out
    assert "replay against patched v2: OK" in out
    # Dropping the patched() call again is no fix either: a run that recorded the marker now
    # needs code that still knows the patch (workflow.deprecate_patch is the way to retire it).
    assert "replay against unpatched v2: NondeterminismError" in out and "patch marker" in out


async def test_fraud_check_flags_large_orders():
    env = ActivityEnvironment()
    large = await env.run(check_fraud, Order("o", "c", REVIEW_THRESHOLD_CENTS + 1))
    normal = await env.run(check_fraud, Order("o", "c", REVIEW_THRESHOLD_CENTS))
    assert (large.risk, normal.risk) == ("review", "low")
