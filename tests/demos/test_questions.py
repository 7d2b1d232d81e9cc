"""The room's questions on the real dev server: ask, upvote and moderate as updates with validators
(a refused one never reaches the history), the board by query, the phone's retries counted once,
a SIGKILLed worker in the middle of a storm that also crosses continue-as-new: nothing lost, nothing
twice. And the Markdown export, with hostile text made inert."""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Replayer

from demos.common.connect import client_address
from demos.durability.processes import WorkerProcesses
from demos.poll.devices import device_ids, vote_like_a_phone
from demos.questions.client import ask, close_board, configure, final_board, moderate, open_board, read_audit, read_board, read_mine, upvote
from demos.questions.markdown import inert, to_markdown
from demos.questions.model import Board, Question
from demos.questions.worker import build_worker
from demos.questions.workflows import QuestionsWorkflow

pytestmark = pytest.mark.timeout(180)
A, B, C, D = "device-aaaa1111", "device-bbbb2222", "device-cccc3333", "device-dddd4444"


async def _board(client, task_queue, **rules):
    return await open_board(client, "test", task_queue=task_queue, workflow_id=f"questions-{uuid.uuid4().hex[:8]}", **{"ask_gap_s": 0.0, **rules})


def _accepted_updates(history) -> list[str]:
    return [e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
            for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]


async def test_ask_upvote_and_every_refusal_with_its_reason(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await _board(client, task_queue, max_per_device=2)
        first = await ask(client, handle.id, A, "  What is a   workflow?\n", "Ana")
        assert (first.status, first.question_id, first.state, first.again) == ("accepted", 1, "open", False)
        again = await ask(client, handle.id, A, "what is a workflow?")  # the same question, sent again: the one on the board
        assert (again.status, again.question_id) == ("accepted", 1)
        refused = {
            "twin": await ask(client, handle.id, B, "WHAT is a workflow?"),
            "control": await ask(client, handle.id, B, "ring\x07the bell"),
            "bidi": await ask(client, handle.id, B, "reversed \u202etxet"),
            "long": await ask(client, handle.id, B, "x" * 281),
            "empty": await ask(client, handle.id, B, " \n "),
            "long name": await ask(client, handle.id, B, "fine question", "n" * 41),
            "bad device": await ask(client, handle.id, "../etc", "fine question"),
        }
        assert {what: r.reason for what, r in refused.items()} == {
            "twin": "this question was already asked (#1): upvote it instead",
            "control": "the question contains a control character (U+0007): plain text only",
            "bidi": "the question contains a control character (U+202E): plain text only",
            "long": "the question is too long (281 characters; at most 280)",
            "empty": "the question is empty",
            "long name": "the name is too long (41 characters; at most 40)",
            "bad device": "malformed device id (expected 8-64 letters, digits, '-' or '_')",
        }
        assert all(r.status == "rejected" for r in refused.values())
        html = await ask(client, handle.id, B, "<script>alert(1)</script> and **bold** [link](http://x)")
        assert html.status == "accepted"  # text: shown as text everywhere (the browser tests check it inert)
        assert (await ask(client, handle.id, A, "a second one")).status == "accepted"
        flood = await ask(client, handle.id, A, "a third one")
        assert (flood.status, flood.reason) == ("rejected", "this device has asked 2 questions, the most one device may ask")
        # Upvotes: once per device; the same press sent again is the same update; a new press is refused.
        up = await upvote(client, handle.id, B, 1, attempt="press-1")
        assert (up.status, up.votes) == ("accepted", 1)
        assert (await upvote(client, handle.id, B, 1, attempt="press-1")).votes == 1
        second = await upvote(client, handle.id, B, 1, attempt="press-2")
        assert (second.status, second.reason) == ("rejected", "you already upvoted this question")
        own = await upvote(client, handle.id, A, 1, attempt="x")
        assert (own.status, own.reason) == ("rejected", "this is your own question")
        assert (await upvote(client, handle.id, C, 99, attempt="x")).reason == "there is no question #99"
        board = await read_board(client, handle.id)
        assert [(q.id, q.votes) for q in board.questions] == [(1, 1), (2, 0), (3, 0)] and board.version == 4
        mine = await read_mine(client, handle.id, A)
        assert [q.id for q in mine.asked] == [1, 3] and mine.voted == []
        assert (await read_mine(client, handle.id, B)).voted == [1]
        history = await handle.fetch_history()
        await handle.terminate("test over")
    # In the history: the three questions and one upvote. The repeat of the first question had its
    # update id (the same device and text), the second send of press-1 too; every refusal: nothing.
    assert len(_accepted_updates(history)) == 4


async def test_moderation_hides_from_the_room_and_answered_or_hidden_refuse_upvotes(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await _board(client, task_queue, moderation=True)
        asked = await ask(client, handle.id, A, "Why durable timers?")
        assert asked.state == "pending"
        assert (await upvote(client, handle.id, B, 1)).reason == "this question waits for the presenter's approval"
        room = await read_board(client, handle.id)
        assert room.questions == [] and room.pending == 1  # the room sees only that one waits
        assert [q.state for q in (await read_mine(client, handle.id, A)).asked] == ["pending"]  # the asker sees theirs
        assert (await moderate(client, handle.id, "approve", 1)).state == "open"
        assert (await moderate(client, handle.id, "approve", 1)).reason == "#1 is already open"
        assert (await upvote(client, handle.id, B, 1)).status == "accepted"
        pinned = await moderate(client, handle.id, "pin", 1)
        assert (pinned.state, pinned.pinned) == ("open", 1) and (await read_board(client, handle.id)).pinned == 1
        answered = await moderate(client, handle.id, "answer", 1)
        assert (answered.state, answered.pinned) == ("answered", 0)  # answered: off the projector too
        assert (await upvote(client, handle.id, C, 1)).reason == "this question was already answered"
        assert (await moderate(client, handle.id, "reopen", 1)).state == "open"
        assert (await moderate(client, handle.id, "hide", 1)).state == "hidden"
        assert (await upvote(client, handle.id, C, 1)).reason == "this question was hidden by the presenter"
        assert (await read_board(client, handle.id)).questions == []
        everything = await read_board(client, handle.id, include_all=True)
        assert [(q.id, q.state, q.votes) for q in everything.questions] == [(1, "hidden", 1)] and everything.hidden == 1
        assert (await moderate(client, handle.id, "dance", 1)).reason.startswith("unknown action 'dance'")
        assert (await configure(client, handle.id, moderation=False)).status == "accepted"
        assert (await configure(client, handle.id, moderation=False)).reason == "moderation is already off"
        assert (await ask(client, handle.id, B, "Now without moderation?")).state == "open"
        closed = await close_board(client, handle.id)
        assert closed.status == "accepted"
        late = await ask(client, handle.id, C, "too late?")
        assert (late.status, late.reason) == ("rejected", "questions are closed: the talk is over")
        await handle.result()
    final = await final_board(client, handle.id)  # completed: read from the history, no worker running
    assert final.closed and [q.text for q in final.questions] == ["Now without moderation?", "Why durable timers?"]


async def test_with_no_worker_an_ask_waits_and_is_asked_once_when_one_starts(client, task_queue):
    handle = await _board(client, task_queue)
    waiting = await ask(client, handle.id, A, "Anyone there?", wait_s=1.0)
    assert waiting.status == "waiting" and "no worker" in waiting.reason
    async with build_worker(client, task_queue):
        asked = await ask(client, handle.id, A, "Anyone there?", wait_s=10.0)
        assert (asked.status, asked.question_id, asked.update_id) == ("accepted", 1, waiting.update_id)
        assert [q.text for q in (await read_board(client, handle.id)).questions] == ["Anyone there?"]
        await handle.terminate("test over")


async def test_worker_sigkilled_mid_storm_across_continue_as_new_loses_nothing_and_counts_nothing_twice(client, task_queue, tmp_path):
    """40 phones ask and upvote while the board's worker process is SIGKILLed and replaced, and the
    board continues as new every 30 updates: every accepted question is on the board once, every
    accepted upvote counted once, and the refused ones (own question, repeats) nowhere."""
    phones = device_ids(40, prefix="storm")
    rng = random.Random(7)
    workers = WorkerProcesses.joining(client, task_queue, tmp_path)
    workers._command = [sys.executable, "-m", "demos.questions.worker", "--address", client_address(client), "--namespace", client.namespace,
                        "--task-queue", task_queue]
    async with workers:
        first = await workers.start()
        handle = await _board(client, task_queue, continue_after_updates=30)

        async def phone_asks(n: int, device: str):
            await asyncio.sleep(n * 0.05)  # 40 questions within 2 s
            text = f"Question {n}: what about case {rng.randrange(10**6)}?"
            return await vote_like_a_phone(lambda d, t: ask(client, handle.id, d, t, wait_s=1.0), device, text, retry_every_s=0.3, give_up_after_s=90)

        async def phone_upvotes(device: str) -> list:
            done = []
            for target in rng.sample(range(1, 41), 4):
                attempt = uuid.uuid4().hex[:8]  # one press, sent again as it is while it waits
                done.append(await vote_like_a_phone(lambda d, q, a=attempt: upvote(client, handle.id, d, q, attempt=a, wait_s=1.0), device, target,
                                                    retry_every_s=0.3, give_up_after_s=90))
            return done

        asking = asyncio.gather(*(phone_asks(n, d) for n, d in enumerate(phones)))
        await asyncio.sleep(1.0)  # in the middle of the questions
        await first.kill()
        await asyncio.sleep(0.5)
        await workers.start()
        asks = await asyncio.wait_for(asking, 120)
        upvotes = [a for done in await asyncio.wait_for(asyncio.gather(*(phone_upvotes(d) for d in phones)), 120) for a in done]
        results = asks + upvotes
        audit = await read_audit(client, handle.id)
        board = await read_board(client, handle.id)
        runs = [w async for w in client.list_workflows(f'WorkflowId = "{handle.id}"')]
        await handle.terminate("test over")
    assert all(a.settled_at is not None for a in results), [(a.device_id, a.answer, a.receipts) for a in results if a.settled_at is None]
    assert any(a.waited for a in asks)  # some were sent while no worker ran
    assert all(a.accepted for a in asks) and len({a.final.question_id for a in asks}) == 40
    assert {str(a.final.question_id): a.device_id for a in asks} == audit.askers  # each question once, from its phone
    counted = [(a.device_id, a.answer) for a in upvotes if a.accepted]
    refused = [a for a in upvotes if not a.accepted]
    own = {(device, int(q)) for q, device in audit.askers.items()}
    assert all(a.final.reason == "this is your own question" and (a.device_id, a.answer) in own for a in refused), \
        [(a.device_id, a.answer, a.receipts) for a in refused if a.final.reason != "this is your own question"]
    voters = [(device, int(q)) for q, devices in audit.voters.items() for device in devices]
    assert sorted(voters) == sorted(counted) and len(set(voters)) == len(voters)  # each accepted upvote once, none twice
    assert sum(q.votes for q in board.questions) == len(counted) == 160 - len(refused)
    assert len(runs) > 1 and sum(r.status == WorkflowExecutionStatus.CONTINUED_AS_NEW for r in runs) == len(runs) - 1


async def test_an_idle_board_closes_itself_and_keeps_its_questions(time_skipping_env):
    client = time_skipping_env.client
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(client, task_queue):
        handle = await open_board(client, "idle", task_queue=task_queue, workflow_id=f"questions-{uuid.uuid4().hex[:8]}", idle_close_s=3600)
        assert (await ask(client, handle.id, A, "Will this survive the night?")).status == "accepted"
        await time_skipping_env.sleep(timedelta(hours=2))
        board = await handle.result()
    assert board.closed and [q.text for q in board.questions] == ["Will this survive the night?"]


async def test_a_boards_history_replays_deterministically(client, task_queue):
    async with build_worker(client, task_queue):
        handle = await _board(client, task_queue, moderation=True)
        await ask(client, handle.id, A, "Replay me?")
        await moderate(client, handle.id, "approve", 1)
        await upvote(client, handle.id, B, 1)
        await moderate(client, handle.id, "answer", 1)
        await close_board(client, handle.id)
        await handle.result()
        history = await handle.fetch_history()
    await Replayer(workflows=[QuestionsWorkflow]).replay_workflow(history)


def test_markdown_export_reads_as_typed_and_nothing_comes_alive():
    hostile = "<script>alert(1)</script> # not a heading *not bold* [not](a link) `code` | pipe"
    board = Board("talk", 9, False, 0, [Question(1, hostile, "<b>Eve</b>", 3, "answered", 1e9, 1e9), Question(2, "1. not a list", "", 1, "open", 1e9),
                                       Question(3, "hidden one", "", 0, "hidden", 1e9)], closed=True)
    text = to_markdown(board, title="talk")
    assert "<script>" not in text and "<b>" not in text and "hidden one" not in text
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\# not a heading \\*not bold\\* \\[not\\]\\(a link\\) \\`code\\` \\| pipe" in text
    assert "1. 1\\. not a list (1 upvote)" in text and "1 question was hidden by the presenter" in text
    assert inert("- item") == "\\- item" and inert("&amp;") == "&amp;amp;"
