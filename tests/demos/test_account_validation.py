"""The first workflow: three activities in order against the real dev server, the suspended and
the wrong-credentials paths, and the record update's idempotency."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer

from demos.account_validation import scenario
from demos.account_validation.activities import RecordUpdate, demo_directory
from demos.account_validation.starter import validate
from demos.account_validation.worker import build_worker
from demos.account_validation.workflows import ValidationRequest
from demos.common.capture import capture_demo, root_failure_message

pytestmark = pytest.mark.timeout(60)


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    """One real run of the scenario, shared by the assertions below."""
    return await capture_demo("account_validation", client)


async def test_three_steps_run_in_order_each_an_activity(capture):
    kinds = [(e["type"], e["detail"]) for e in capture["events"] if e["type"].startswith("Activity")]
    names = ["check_credentials", "verify_account_status", "update_record"]
    expected = []
    for name in names:  # each step is scheduled only after the previous one completed
        expected += [("ActivityTaskScheduled", name), ("ActivityTaskStarted", None), ("ActivityTaskCompleted", None)]
    assert [k for k, _ in kinds] == [k for k, _ in expected]
    assert [d for k, d in kinds if k == "ActivityTaskScheduled"] == names
    assert capture["events"][-1]["type"] == "WorkflowExecutionCompleted"


async def test_the_record_is_updated_once(capture):
    assert capture["result"]["valid"] is True and capture["result"]["account_id"] == "acct-1001"
    assert (capture["extra"]["record_version_before"], capture["extra"]["record_version_after"]) == (1, 2)


async def test_suspended_account_stops_before_the_update(client, task_queue):
    directory = demo_directory()
    async with build_worker(client, task_queue, directory):
        handle, result = await validate(client, ValidationRequest("bob", "tok-bob-demo"), task_queue=task_queue)
    assert (result.valid, result.reason) == (False, "account is suspended")
    history = await handle.fetch_history()
    scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    assert scheduled == ["check_credentials", "verify_account_status"]
    assert directory.accounts["acct-1002"].record_version == 1


async def test_wrong_credentials_fail_the_workflow_at_attempt_1(client, task_queue):
    async with build_worker(client, task_queue):
        with pytest.raises(WorkflowFailureError) as err:
            await validate(client, ValidationRequest("ada", "not-the-token"), task_queue=task_queue)
    assert root_failure_message(err.value) == "InvalidCredentials: invalid credentials for 'ada'"


async def test_a_repeated_update_changes_the_record_once():
    directory = demo_directory()
    env = ActivityEnvironment()
    update = RecordUpdate("acct-1001", validation_id=f"validate-{uuid.uuid4()}")
    first = await env.run(directory.update_record, update)
    again = await env.run(directory.update_record, update)  # a retry after a lost answer
    assert first.record_version == again.record_version == 2


async def test_captured_history_replays_deterministically(capture):
    replayer = Replayer(workflows=scenario.WORKFLOWS)
    for workflow_id, history in [(capture["workflow_id"], capture["history"]), *capture["other_histories"].items()]:
        result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, history), raise_on_replay_failure=False)
        assert result.replay_failure is None
