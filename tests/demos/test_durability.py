"""The durability demo for real: a worker OS process is SIGKILLed mid-workflow, a new one finishes it."""

from __future__ import annotations

import os

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from demos.common.capture import capture_demo
from demos.durability import scenario
from demos.durability.processes import WorkerProcesses, WorkerProcessError
from demos.durability.workflows import STEPS


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    """One run of the crash scenario (about 11 s) shared by the assertions below."""
    return await capture_demo("durability", client)


def _records(capture, event: str) -> list[dict]:
    """Straight from the side-effect log the worker processes wrote, not from any summary."""
    return [r for r in capture["extra"]["side_effects"] if r["event"] == event]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_workflow_completes_all_steps(capture):
    assert capture["events"][-1]["type"] == "WorkflowExecutionCompleted"
    assert [s["name"] for s in capture["result"]["steps"]] == STEPS


async def test_every_step_completed_exactly_once(capture):
    completed = [r["step"] for r in _records(capture, "completed")]
    assert sorted(completed) == [1, 2, 3, 4, 5]
    assert capture["extra"]["every_step_completed_once"] is True


async def test_two_worker_processes_split_the_work_at_the_kill(capture):
    first, second = capture["extra"]["worker_pids"]
    assert first != second and capture["extra"]["killed_pid"] == first
    completed_by = {r["step"]: r["pid"] for r in _records(capture, "completed")}
    assert completed_by == {1: first, 2: first, 3: second, 4: second, 5: second}
    assert not _pid_alive(first) and not _pid_alive(second)  # killed, and stopped: no orphans


async def test_only_the_interrupted_step_ran_again(capture):
    first, second = capture["extra"]["worker_pids"]
    starts = [(r["step"], r["pid"], r["attempt"]) for r in _records(capture, "started")]
    assert starts == [(1, first, 1), (2, first, 1), (3, first, 1), (3, second, 2), (4, second, 1), (5, second, 1)]
    assert capture["extra"]["rerun_steps"] == [scenario.KILL_DURING_STEP]


async def test_timeline_has_the_kill_then_a_gap_then_the_restart(capture):
    extra = capture["extra"]
    first, second = extra["worker_pids"]
    assert extra["kill_at_s"] < extra["restart_at_s"]
    assert extra["gap_s"] >= scenario.RESTART_GAP_S
    assert all(r["at_s"] < extra["kill_at_s"] for r in extra["side_effects"] if r["pid"] == first)
    assert all(r["at_s"] > extra["restart_at_s"] for r in extra["side_effects"] if r["pid"] == second)


async def test_history_shows_the_timeout_and_the_retry_on_the_new_worker(capture):
    first, second = capture["extra"]["worker_pids"]
    started = [e["detail"] for e in capture["events"] if e["type"] == "ActivityTaskStarted"]
    assert len(started) == len(STEPS)  # one recorded start per step: the final attempt
    assert started[2].startswith(f"perform_step attempt 2, worker {second}@")
    assert "activity Heartbeat timeout" in started[2]
    identities = {e["detail"].split("worker ")[1].split("@")[0] for e in capture["events"] if "worker " in e["detail"]}
    assert identities == {str(first), str(second)}


async def test_captured_history_replays_deterministically(capture):
    history = WorkflowHistory.from_json(capture["workflow_id"], capture["history"])
    result = await Replayer(workflows=scenario.WORKFLOWS).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_a_worker_that_cannot_connect_is_reported_with_its_output(task_queue, tmp_path):
    async with WorkerProcesses(address="127.0.0.1:1", namespace="default", task_queue=task_queue, output_dir=tmp_path) as workers:
        with pytest.raises(WorkerProcessError, match="cannot connect to the Temporal server at 127.0.0.1:1") as err:
            await workers.start()
    assert "exited with code 1" in str(err.value)
