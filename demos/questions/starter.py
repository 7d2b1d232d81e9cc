"""Open a question board, let a room of simulated phones ask and upvote, moderate it, close it and
print it as Markdown (what `build.py questions` writes after a talk).

Standalone (two-terminal way, next to `python -m demos.questions.worker`):
    python -m demos.questions.starter
Stop the worker while the phones ask (Ctrl-C, or `kill -9 <pid>`): they show "waiting" and send
the same question again; start it again and each is asked once.
"""

from __future__ import annotations

import random
import uuid

from temporalio.client import Client

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.poll.devices import device_ids, vote_like_a_phone
from demos.questions.client import ACCEPTED, ask, close_board, final_board, moderate, open_board, upvote
from demos.questions.markdown import to_markdown
from demos.questions.model import Board
from demos.questions.worker import TASK_QUEUE

ROOM = [
    ("What happens to a running workflow when I deploy new code?", "Priya"),
    ("How do you test workflows that sleep for days?", ""),
    ("Is Temporal a replacement for Kafka?", "Jonas"),
    ("How big can a workflow's history get before it hurts?", ""),
    ("Can activities call other services that are not idempotent?", "Mei"),
    ("<script>alert('hi')</script> is this shown as text?", "<b>bold</b>"),  # text, shown inert everywhere
]
REFUSED = [
    ("\x1b[31mred text from a terminal", "a control character"),
    ("x" * 281, "too long"),
    ("", "empty"),
]


async def main(client: Client | None = None) -> Board | None:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    handle = await open_board(client, "demo", task_queue=TASK_QUEUE, workflow_id=f"questions-demo-{uuid.uuid4().hex[:8]}", idle_close_s=600)
    print(f"opened board {handle.id}")
    phones = device_ids(24, prefix="room")
    ids = []
    for device, (text, name) in zip(phones, ROOM):
        done = await vote_like_a_phone(lambda d, t, n=name: ask(client, handle.id, d, t, n, wait_s=2.0), device, text, give_up_after_s=120)
        print(f"  {device} asks {text[:60]!r}: {done.final.status} #{done.final.question_id}" + (f" after {len(done.receipts)} tries" if done.waited else ""))
        ids.append(done.final.question_id)
    for text, why in REFUSED:
        receipt = await ask(client, handle.id, phones[-1], text)
        print(f"  refused ({why}): {receipt.status}: {receipt.reason}")
    again = await ask(client, handle.id, phones[0], "And one more, straight away?")
    print(f"  {phones[0]} asks again at once: {again.status}: {again.reason}")
    rng = random.Random(22)
    upvotes = 0
    for device in phones[len(ROOM):]:
        for question in rng.sample(ids, 2):
            receipt = await upvote(client, handle.id, device, question, attempt=uuid.uuid4().hex[:8])
            upvotes += receipt.status == ACCEPTED
    await upvote(client, handle.id, phones[-1], ids[0], attempt="first-press")  # counted, unless it was among its two
    second = await upvote(client, handle.id, phones[-1], ids[0], attempt="second-press")
    print(f"  {upvotes} upvotes counted; {phones[-1]} upvotes #{ids[0]} a second time: {second.status}: {second.reason}")
    print(f"  presenter hides #{ids[2]}: {(await moderate(client, handle.id, 'hide', ids[2])).state}")
    board = await final_board(client, handle.id)
    top = next(q for q in board.questions if q.state == "open")
    print(f"  presenter pins #{top.id} ({top.votes} upvotes): pinned {(await moderate(client, handle.id, 'pin', top.id)).pinned}")
    print(f"  presenter answers #{top.id}: {(await moderate(client, handle.id, 'answer', top.id)).state}")
    await close_board(client, handle.id, wait_s=30.0)
    board = await handle.result()
    print()
    print(to_markdown(board, title="the demo room"))
    return board


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
