"""Scenario: the talk's poll, voted by a room of simulated phones. Fourteen phones vote and are
counted; three bad votes are rejected by the validator (a second vote, an unknown answer, a
malformed device id) and never reach the history. Then the poll's worker process is SIGKILLed:
six more phones vote with no worker running and are shown "waiting"; a new worker process starts
and each of their votes is counted once. Every vote is sent again, as a restarted web process
would: the same updates, the same receipts, the tally unchanged. The presenter closes the poll; a
late vote is rejected."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import asdict
from pathlib import Path

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.common.server import DemoError
from demos.poll.devices import PhoneVote, device_ids, room_votes, scripted_ballots, temporal_cast
from demos.poll.model import PollResult
from demos.poll.processes import PollWorkerProcesses
from demos.poll.starter import CORRECT, ROOM_WEIGHTS, new_poll_id, talk_poll
from demos.poll.votes import ACCEPTED, cast_vote, close_poll, open_poll, read_tally
from demos.poll.workflows import PollWorkflow

TITLE = "A poll of the room: one vote per device by Update and validator, every vote counted once across a killed worker"
CLAIMS = [
    "The audience is the human in the loop: each vote is an Update, checked by its validator",
    "Survive a crash: votes sent while no worker runs wait, and are counted once when one is back",
]
WORKFLOWS = [PollWorkflow]

FIRST_WAVE = 14
SECOND_WAVE = 6  # vote while no worker is running
NO_WORKER_S = 1.5  # how long the room is left with no worker at all
WAIT_S = 1.0  # how long a phone waits for an answer before it shows "waiting" (and tries again)


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    devices = device_ids(FIRST_WAVE + SECOND_WAVE + 1)
    ballots = scripted_ballots(devices[: FIRST_WAVE + SECOND_WAVE], ROOM_WEIGHTS)
    late_device = devices[-1]
    with tempfile.TemporaryDirectory(prefix="poll-demo-") as scratch:
        async with PollWorkerProcesses.joining(client, task_queue, Path(scratch)) as workers:
            first = await workers.start()
            log(f"worker process #1 running: pid {first.pid}")
            params = talk_poll(results_open_s=1.0)
            handle = await open_poll(client, params, task_queue=task_queue, workflow_id=new_poll_id())
            cast = temporal_cast(client, handle.id, wait_s=WAIT_S)
            log(f"opened {handle.id}: {params.question!r}, answers {', '.join(a.key for a in params.answers)}, at most {params.max_voters} voters")

            wave1 = await room_votes(cast, ballots[:FIRST_WAVE])
            log(f"{len(wave1)} phones vote: {_summary(wave1)}")

            rejected = []
            for device, answer, what in [
                (ballots[2][0], _other_answer(ballots[2][1]), "votes a second time"),
                (devices[FIRST_WAVE], "E", "votes for an answer that does not exist"),
                ("not a device!", "C", "sends a malformed device id"),
            ]:
                receipt = await cast(device, answer)
                if receipt.status != "rejected":
                    raise DemoError(f"the poll did not reject a phone that {what}: {receipt}")
                rejected.append({"device": device, "answer": answer, "what": what, "reason": receipt.reason})
                log(f"{device} {what}: rejected by the validator: {receipt.reason}")

            killed_at = await first.kill()
            log(f"SIGKILL worker pid {first.pid}: no worker is running")
            wave2_task = asyncio.create_task(room_votes(cast, ballots[FIRST_WAVE:], retry_every_s=0.3))
            await asyncio.sleep(NO_WORKER_S)
            log(f"{SECOND_WAVE} phones vote meanwhile: each is shown \"waiting\" and sends its vote again")
            second = await workers.start()
            log(f"worker process #2 running: pid {second.pid}; the waiting votes reach it")
            wave2 = await asyncio.wait_for(wave2_task, timeout=60)
            if not all(v.waited for v in wave2):
                raise DemoError("a vote sent while no worker was running did not wait (the worker was not down?)")
            log(f"{len(wave2)} waiting votes: {_summary(wave2)}")

            counted = [v for v in wave1 + wave2 if v.accepted]
            again = await room_votes(cast, ballots)
            same = all(a.final.seq == v.final.seq for a, v in zip(again, wave1 + wave2))
            tally_after_resend = await read_tally(client, handle.id)
            log(f"all {len(again)} votes sent again, as a restarted web process would: "
                f"{'the same receipts' if same else 'DIFFERENT receipts'}, tally still {tally_after_resend.total if tally_after_resend else '?'}")

            closing = await close_poll(client, handle.id, wait_s=30)
            if closing.status != "closed":
                raise DemoError(f"the presenter could not close the poll: {closing.reason}")
            log(f"the presenter closes the poll: {closing.tally.total} votes, " + ", ".join(f"{a.key} {a.votes}" for a in closing.tally.answers))
            late = await cast_vote(client, handle.id, late_device, CORRECT, wait_s=10)
            log(f"{late_device} votes after the close: {late.status}: {late.reason}")
            result: PollResult = await asyncio.wait_for(handle.result(), timeout=30)
            log(f"the poll completed: its result ({result.tally.total} votes) stays in the history")

    expected = dict(ballots)
    counted_once = result.ballots == expected and result.tally.total == len(counted) == len(expected)
    if not counted_once or not same or late.status != "rejected":
        raise DemoError(f"the votes were not counted exactly once: tally {result.tally.total}, receipts {len(counted)}, expected {len(expected)}")
    history = await handle.fetch_history()
    accepted_updates = sum(1 for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes"))
    started = (await handle.describe()).start_time.timestamp()
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input=asdict(params),
        result=asdict(result),
        extra={
            "question": params.question,
            "correct": CORRECT,
            "tally": asdict(result.tally),
            "voters": len(counted),
            "rejected": rejected,
            "late_vote": {"device": late_device, "reason": late.reason},
            "waited": [
                {"device": v.device_id, "answer": v.answer, "attempts": len(v.receipts), "seq": v.final.seq, "waited_s": round(v.settled_at - v.sent_at, 2)}
                for v in wave2
            ],
            "worker_pids": [first.pid, second.pid],
            "killed_pid": first.pid,
            "kill_at_s": round(killed_at - started, 3),
            "restart_at_s": round(second.started_at - started, 3),
            "resent_same_receipts": same,
            "counted_once": counted_once,
            # One UpdateAccepted event per counted vote, plus the presenter's close: the rejected
            # votes, the re-sent ones and the late one left nothing in the history.
            "accepted_update_events": accepted_updates,
        },
    )


def _other_answer(answer: str) -> str:
    return "A" if answer != "A" else "B"


def _summary(votes: list[PhoneVote]) -> str:
    accepted = [v for v in votes if v.final and v.final.status == ACCEPTED]
    seqs = sorted(v.final.seq for v in accepted)
    span = f" (#{seqs[0]}-#{seqs[-1]})" if seqs else ""
    tries = sum(len(v.receipts) for v in votes)
    return f"{len(accepted)} counted{span}, {len(votes) - len(accepted)} not, in {tries} attempts"
