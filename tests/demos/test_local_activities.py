"""The same step as a local and as a regular activity: the local one is faster per step and
leaves one marker event instead of an activity's and a workflow task's events."""

from __future__ import annotations

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from demos.common.capture import capture_demo
from demos.local_activities import scenario
from demos.local_activities.activities import iban_is_valid
from demos.local_activities.starter import measure
from demos.local_activities.worker import build_worker

pytestmark = pytest.mark.timeout(90)


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    return await capture_demo("local_activities", client)


async def test_local_activity_is_faster_per_step(capture):
    local, regular = capture["extra"]["local"], capture["extra"]["regular"]
    assert local["runs"] == regular["runs"] == scenario.RUNS
    # Medians over 25 steps: a regular activity costs server round trips, a local one does not.
    assert local["median_ms"] < regular["median_ms"]


async def test_local_activity_leaves_fewer_events(capture):
    local, regular = capture["extra"]["local"], capture["extra"]["regular"]
    assert local["events_per_step"] <= 1.5  # one MarkerRecorded per step
    assert regular["events_per_step"] >= 5  # scheduled/started/completed + a workflow task
    assert local["events"] < regular["events"]


async def test_one_history_shows_both_shapes(capture):
    kinds = [e["type"] for e in capture["events"]]
    markers = [e for e in capture["events"] if e["type"] == "MarkerRecorded"]
    assert len(markers) == 1
    assert kinds.count("ActivityTaskScheduled") == 1 and kinds.count("ActivityTaskCompleted") == 1
    assert kinds.index("MarkerRecorded") < kinds.index("ActivityTaskScheduled")


async def test_measure_on_a_fresh_queue(client, task_queue):
    async with build_worker(client, task_queue):
        local = await measure(client, "local", task_queue=task_queue, runs=5)
        regular = await measure(client, "regular", task_queue=task_queue, runs=5)
    assert local.events < regular.events and local.median_ms > 0


@pytest.mark.parametrize("iban, valid", [("GB82 WEST 1234 5698 7654 32", True), ("GB82 WEST 1234 5698 7654 33", False), ("DE89370400440532013000", True), ("XX", False)])
def test_iban_checksum(iban, valid):
    assert iban_is_valid(iban) is valid


async def test_captured_histories_replay_deterministically(capture):
    replayer = Replayer(workflows=scenario.WORKFLOWS)
    for workflow_id, history in [(capture["workflow_id"], capture["history"]), *capture["other_histories"].items()]:
        result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, history), raise_on_replay_failure=False)
        assert result.replay_failure is None
