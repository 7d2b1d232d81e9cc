"""The poll on the real dev server: votes as updates with a validator (rejected ones never reach the
history), the tally by query, a SIGKILLed worker in the middle of the vote and a killed process
that sends the votes: every vote counted exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from demos.common.capture import capture_demo
from demos.common.connect import REPO_ROOT, client_address
from demos.common.live import ControlRejected
from demos.poll import live, scenario
from demos.poll.devices import device_ids, room_votes, scripted_ballots, temporal_cast
from demos.poll.model import poll_params
from demos.poll.processes import PollWorkerProcesses
from demos.poll.votes import PollParamsError, cast_vote, close_poll, open_poll, read_tally
from demos.poll.worker import build_worker
from demos.poll.workflows import PollWorkflow

pytestmark = pytest.mark.timeout(120)


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    """One run of the scenario (about 10 s, a worker process SIGKILLed in it) shared by the assertions below."""
    return await capture_demo("poll", client)


def _update_events(history) -> list[str]:
    return [e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
            for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]


async def _open(client, task_queue, **kw):
    params = poll_params("Which?", ["one", "two", "three"], **{"results_open_s": 0.0, **kw})
    return await open_poll(client, params, task_queue=task_queue, workflow_id=f"poll-{uuid.uuid4().hex[:8]}")


# --- the rules, with a worker in this process -------------------------------------------------


async def test_a_vote_counts_once_and_bad_votes_never_reach_the_history(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await _open(client, task_queue, max_voters=3)
        first = await cast_vote(client, handle.id, "phone-0001", "B")
        assert (first.status, first.seq) == ("accepted", 1)
        again = await cast_vote(client, handle.id, "phone-0001", "B")  # the same vote, sent again
        assert (again.status, again.seq, again.vote_id) == ("accepted", 1, first.vote_id)
        rejected = {
            "second vote": await cast_vote(client, handle.id, "phone-0001", "C"),
            "unknown answer": await cast_vote(client, handle.id, "phone-0002", "D"),
            "malformed device": await cast_vote(client, handle.id, "../../etc", "A"),
            "no device": await cast_vote(client, handle.id, "", "A"),
        }
        assert {what: (r.status, r.reason) for what, r in rejected.items()} == {
            "second vote": ("rejected", "this device already voted (B)"),
            "unknown answer": ("rejected", "unknown answer 'D' (expected one of A, B, C)"),
            "malformed device": ("rejected", "malformed device id (expected 8-64 letters, digits, '-' or '_')"),
            "no device": ("rejected", "a vote needs a device id"),
        }
        assert (await cast_vote(client, handle.id, "phone-0002", "A")).seq == 2
        assert (await cast_vote(client, handle.id, "phone-0003", "A")).seq == 3
        full = await cast_vote(client, handle.id, "phone-0004", "A")
        assert (full.status, full.reason) == ("rejected", "the poll is full (3 voters)")
        tally = await read_tally(client, handle.id)
        assert [(a.key, a.votes) for a in tally.answers] == [("A", 2), ("B", 1), ("C", 0)] and tally.total == 3
        closed = await close_poll(client, handle.id)
        assert closed.status == "closed" and closed.tally.closed and closed.tally.total == 3
        assert (await close_poll(client, handle.id)).tally.total == 3  # pressed twice: the same close
        await handle.result()
        late = await cast_vote(client, handle.id, "phone-0005", "A")
        assert (late.status, late.reason) == ("rejected", "the poll is closed")
        # Sent again after the poll completed, a counted vote still gets its receipt (not a second count).
        assert (await cast_vote(client, handle.id, "phone-0002", "A")).seq == 2
        history = await handle.fetch_history()
    assert len(_update_events(history)) == 3 + 1  # three votes and the close; nothing of the rest
    assert (await read_tally(client, handle.id)).total == 3  # completed, no worker: from the result


async def test_a_vote_after_the_close_is_rejected_by_the_validator(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await _open(client, task_queue, results_open_s=60.0)
        await cast_vote(client, handle.id, "phone-0001", "A")
        assert (await close_poll(client, handle.id)).status == "closed"
        late = await cast_vote(client, handle.id, "phone-0002", "A")
        assert (late.status, late.reason) == ("rejected", "the poll is closed")
        assert (await read_tally(client, handle.id)).closed
        assert len(_update_events(await handle.fetch_history())) == 2
        await handle.terminate("test over")


async def test_a_poll_that_cannot_be_opened_says_why(client, task_queue):
    with pytest.raises(PollParamsError, match="a poll has 2-4 answers, got 5"):
        await open_poll(client, poll_params("Q?", ["a", "b", "c", "d", "e"]), task_queue=task_queue, workflow_id="never-started")
    with pytest.raises(PollParamsError, match="max_voters must be 1-1900"):
        await open_poll(client, poll_params("Q?", ["a", "b"], max_voters=5000), task_queue=task_queue, workflow_id="never-started")


async def test_with_no_worker_a_vote_waits_and_is_counted_once_when_one_starts(client, task_queue):
    handle = await _open(client, task_queue)
    waiting = await cast_vote(client, handle.id, "phone-0001", "C", wait_s=1.0)
    assert waiting.status == "waiting" and "no worker" in waiting.reason
    assert await read_tally(client, handle.id, wait_s=1.0) is None  # nobody to answer the query
    async with build_worker(client, task_queue):
        counted = await cast_vote(client, handle.id, "phone-0001", "C", wait_s=10.0)
        assert (counted.status, counted.seq, counted.vote_id) == ("accepted", 1, waiting.vote_id)
        assert (await read_tally(client, handle.id)).total == 1
        await handle.terminate("test over")


async def test_live_controls_vote_close_and_show_the_tally(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await live.start(client, task_queue)
        done = await live.CONTROLS["vote"](client, handle, {"device": "phone-0001", "answer": "C"})
        assert done["message"] == "update vote accepted: C, vote #1"
        with pytest.raises(ControlRejected, match="already voted"):
            await live.CONTROLS["vote"](client, handle, {"device": "phone-0001", "answer": "A"})
        shown = await live.snapshot(client, handle)
        assert shown["tally"]["total"] == 1 and [a["votes"] for a in shown["tally"]["answers"]] == [0, 0, 1, 0]
        assert [row["actions"] for row in shown["rows"]] == [["vote"]] * 4 + [["close"]]
        assert (await live.CONTROLS["close"](client, handle, {}))["message"] == "update close: 1 votes"
        assert (await live.snapshot(client, handle))["rows"] == []
        await handle.terminate("test over")


# --- durability: a killed worker, a killed process sending the votes ---------------------------


async def test_worker_sigkilled_mid_vote_loses_nothing_and_counts_nothing_twice(client, task_queue, tmp_path):
    ballots = scripted_ballots(device_ids(30), {"A": 1, "B": 1, "C": 2})
    async with PollWorkerProcesses.joining(client, task_queue, tmp_path) as workers:
        first = await workers.start()
        handle = await _open(client, task_queue)
        voting = asyncio.create_task(room_votes(temporal_cast(client, handle.id, wait_s=1.0), ballots, spread_s=3.0, retry_every_s=0.3))
        await asyncio.sleep(1.0)  # the room is in the middle of voting
        await first.kill()
        await asyncio.sleep(0.5)
        second = await workers.start()
        votes = await asyncio.wait_for(voting, 90)
        ballots_counted = await handle.query(PollWorkflow.ballots)
        await close_poll(client, handle.id)
        result = await handle.result()
    assert all(v.accepted for v in votes), [v.as_json() for v in votes if not v.accepted]
    assert any(v.waited for v in votes)  # some votes were sent while no worker was running
    assert sorted(v.final.seq for v in votes) == list(range(1, 31))  # 30 receipts, 30 places
    assert ballots_counted == result.ballots == dict(ballots) and result.tally.total == 30
    # The workers that completed workflow tasks: the killed one, then the new one. (A task the
    # server gave up on can be recorded as started with no identity.)
    identities = {e.workflow_task_started_event_attributes.identity.split("@")[0]
                  for e in (await handle.fetch_history()).events if e.HasField("workflow_task_started_event_attributes")}
    assert identities - {""} == {str(first.pid), str(second.pid)}


async def test_a_killed_process_sending_the_votes_is_replaced_and_each_vote_counts_once(client, task_queue):
    """The web process holds no vote: kill the process casting them, start another casting the same
    ones, and the poll holds each device's vote once, with the receipts the first process got."""
    devices = 24
    ballots = dict(scripted_ballots(device_ids(devices), {"A": 1, "B": 1, "C": 3, "D": 1}))  # what demos.poll.devices sends
    argv = [sys.executable, "-m", "demos.poll.devices", "--address", client_address(client), "--namespace", client.namespace,
            "--devices", str(devices), "--spread-s", "2"]

    async def room(workflow_id: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(*argv, "--workflow-id", workflow_id, cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
                                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})

    async with build_worker(client, task_queue):
        handle = await open_poll(client, poll_params("Q?", ["a", "b", "c", "d"], results_open_s=0.0), task_queue=task_queue,
                                 workflow_id=f"poll-{uuid.uuid4().hex[:8]}")
        first = await room(handle.id)
        before_kill = []
        try:
            while len(before_kill) < 8:
                line = await asyncio.wait_for(first.stdout.readline(), 30)
                assert line, "the first room process ended early"
                before_kill.append(json.loads(line))
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        second = await room(handle.id)
        out, _ = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0
        after = [json.loads(line) for line in out.decode().splitlines()]
        tally = await read_tally(client, handle.id)
        counted = await handle.query(PollWorkflow.ballots)
        await handle.terminate("test over")
    assert {v["device"] for v in after} == set(ballots) and all(v["status"] == "accepted" for v in after)
    seq = {v["device"]: v["seq"] for v in after}
    assert all(seq[v["device"]] == v["seq"] for v in before_kill)  # the same receipts as before the kill
    assert sorted(seq.values()) == list(range(1, devices + 1))
    assert counted == ballots and tally.total == devices


# --- the captured run -------------------------------------------------------------------------


async def test_capture_counts_every_vote_once_across_the_kill(capture):
    extra = capture["extra"]
    assert extra["counted_once"] and extra["resent_same_receipts"]
    assert extra["voters"] == scenario.FIRST_WAVE + scenario.SECOND_WAVE == capture["result"]["tally"]["total"]
    assert sum(a["votes"] for a in extra["tally"]["answers"]) == extra["voters"]
    assert len(extra["waited"]) == scenario.SECOND_WAVE and all(w["attempts"] > 1 for w in extra["waited"])
    first, second = extra["worker_pids"]
    assert first != second and extra["killed_pid"] == first and extra["kill_at_s"] < extra["restart_at_s"]


async def test_capture_rejections_left_nothing_in_the_history(capture):
    reasons = [r["reason"] for r in capture["extra"]["rejected"]]
    assert reasons[0].startswith("this device already voted") and reasons[1].startswith("unknown answer 'E'")
    assert reasons[2].startswith("malformed device id")
    assert capture["extra"]["late_vote"]["reason"] == "the poll is closed"
    accepted = [e for e in capture["events"] if e["type"] == "WorkflowExecutionUpdateAccepted"]
    assert len(accepted) == capture["extra"]["accepted_update_events"] == capture["extra"]["voters"] + 1


async def test_captured_history_replays_deterministically(capture):
    history = WorkflowHistory.from_json(capture["workflow_id"], capture["history"])
    result = await Replayer(workflows=scenario.WORKFLOWS).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
