"""Open the talk's poll, let a room of simulated phones vote, close it, print the tally.

Standalone (two-terminal way, next to `python -m demos.poll.worker`):
    python -m demos.poll.starter
The phones vote over 20 s: stop the worker in its terminal meanwhile (Ctrl-C, or `kill -9 <pid>`)
and the phones show "waiting"; start it again and every waiting vote is counted, once.
"""

from __future__ import annotations

import uuid

from temporalio.client import Client

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.poll.devices import device_ids, room_votes, scripted_ballots, temporal_cast
from demos.poll.model import PollParams, Tally, poll_params
from demos.poll.votes import close_poll, open_poll, read_tally
from demos.poll.worker import TASK_QUEUE

QUESTION = "The worker is killed in the middle of step 3. What happens?"
ANSWERS = [
    "The workflow fails; someone must start it again",
    "It starts over from step 1",
    "A new worker picks it up at step 3",
    "It waits forever for the dead worker",
]
CORRECT = "C"  # what the durability demo that follows shows
ROOM_WEIGHTS = {"A": 2, "B": 4, "C": 12, "D": 2}  # how the simulated room tends to answer


def talk_poll(*, max_voters: int = 1000, results_open_s: float = 30.0) -> PollParams:
    return poll_params(QUESTION, ANSWERS, max_voters=max_voters, results_open_s=results_open_s)


def new_poll_id() -> str:
    return f"poll-{uuid.uuid4().hex[:8]}"


def format_tally(tally: Tally) -> list[str]:
    width = max(1, max(a.votes for a in tally.answers))
    lines = [tally.question]
    for a in tally.answers:
        lines.append(f"  {a.key}. {a.text:<48} {'#' * round(20 * a.votes / width):<20} {a.votes}")
    lines.append(f"  {tally.total} of at most {tally.max_voters} voters" + (f"; closed by {tally.closed_by}" if tally.closed else ""))
    return lines


async def main(client: Client | None = None) -> Tally | None:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    handle = await open_poll(client, talk_poll(results_open_s=5), task_queue=TASK_QUEUE, workflow_id=new_poll_id())
    print(f"opened poll {handle.id}: {QUESTION}")
    ballots = scripted_ballots(device_ids(20), ROOM_WEIGHTS)

    def show(vote) -> None:
        final = vote.final
        outcome = f"#{final.seq}" if final.seq else f"({final.reason})"
        tries = f" after {len(vote.receipts)} tries" if vote.waited else ""
        print(f"  {vote.device_id} -> {vote.answer}: {final.status} {outcome}{tries}")

    print("20 phones vote over 20 s; stop the worker meanwhile and watch them wait")
    await room_votes(temporal_cast(client, handle.id, wait_s=2.0), ballots, spread_s=20.0, on_settled=show)
    receipt = await close_poll(client, handle.id, wait_s=30.0)
    tally = receipt.tally or await read_tally(client, handle.id)
    if tally is not None:
        print("\n".join(format_tally(tally)))
    return tally


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
