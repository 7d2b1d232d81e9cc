"""Simulated phones: each votes once and, shown "waiting", sends the same vote again until it is
accepted or rejected, which is what an audience's phone does. The scenario, the tests and the
benchmark use them; `cast` is how a vote travels (straight to Temporal here, later over the share
mode's HTTP), so the same room can be pointed at either.

`python -m demos.poll.devices --address HOST:PORT --workflow-id ID --devices N` runs a room of N
phones as its own OS process, printing one JSON line per settled vote, so a test can SIGKILL the
process that sends the votes and start another: it holds no vote, Temporal does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from temporalio.client import Client

from demos.poll.votes import ACCEPTED, WAITING, VoteReceipt, cast_vote

Cast = Callable[[str, str], Awaitable[VoteReceipt]]  # (device id, answer) -> receipt


@dataclass
class PhoneVote:
    device_id: str
    answer: str
    sent_at: float  # time.monotonic() of the first attempt
    receipts: list[VoteReceipt] = field(default_factory=list)  # every attempt's answer, in order
    settled_at: float | None = None  # when the answer was accepted or rejected

    @property
    def final(self) -> VoteReceipt | None:
        return self.receipts[-1] if self.receipts else None

    @property
    def accepted(self) -> bool:
        return self.final is not None and self.final.status == ACCEPTED

    @property
    def waited(self) -> bool:
        return any(r.status == WAITING for r in self.receipts)

    def as_json(self) -> dict:
        final = self.final
        return {
            "device": self.device_id,
            "answer": self.answer,
            "status": final.status if final else "unsent",
            "seq": final.seq if final else None,
            "reason": final.reason if final else "",
            "attempts": len(self.receipts),
            "waited": self.waited,
        }


def temporal_cast(client: Client, workflow_id: str, *, wait_s: float = 3.0) -> Cast:
    """Votes sent straight to the poll workflow (no HTTP in between)."""

    async def cast(device_id: str, answer: str) -> VoteReceipt:
        return await cast_vote(client, workflow_id, device_id, answer, wait_s=wait_s)

    return cast


async def vote_like_a_phone(
    cast: Cast, device_id: str, answer: str, *, retry_every_s: float = 0.5, give_up_after_s: float = 60.0
) -> PhoneVote:
    """Vote; while the answer is "waiting", send the same vote again. Gives up (unsettled) after
    `give_up_after_s`, as a person would put the phone away."""
    vote = PhoneVote(device_id, answer, sent_at=time.monotonic())
    while True:
        receipt = await cast(device_id, answer)
        vote.receipts.append(receipt)
        if receipt.status != WAITING:
            vote.settled_at = time.monotonic()
            return vote
        if time.monotonic() - vote.sent_at > give_up_after_s:
            return vote
        await asyncio.sleep(retry_every_s)


async def room_votes(
    cast: Cast,
    ballots: list[tuple[str, str]],
    *,
    spread_s: float = 0.0,
    retry_every_s: float = 0.5,
    give_up_after_s: float = 60.0,
    on_settled: Callable[[PhoneVote], None] | None = None,
) -> list[PhoneVote]:
    """Every (device, answer) votes like a phone; the first attempts spread evenly over `spread_s`."""

    async def one(index: int, device_id: str, answer: str) -> PhoneVote:
        if spread_s:
            await asyncio.sleep(spread_s * index / max(1, len(ballots)))
        vote = await vote_like_a_phone(cast, device_id, answer, retry_every_s=retry_every_s, give_up_after_s=give_up_after_s)
        if on_settled is not None:
            on_settled(vote)
        return vote

    return list(await asyncio.gather(*(one(i, d, a) for i, (d, a) in enumerate(ballots))))


def device_ids(count: int, *, prefix: str = "phone") -> list[str]:
    return [f"{prefix}-{n:04d}" for n in range(1, count + 1)]


def scripted_ballots(devices: list[str], weights: dict[str, int], *, seed: int = 14) -> list[tuple[str, str]]:
    """Each device's answer, drawn with these weights from a seeded generator: the same room every run."""
    rng = random.Random(seed)
    keys, w = list(weights), list(weights.values())
    return [(device, rng.choices(keys, weights=w)[0]) for device in devices]


# --- a room as its own process -----------------------------------------------------------------


async def _main(args: argparse.Namespace) -> int:
    from demos.common.connect import LOCAL_DEV_SERVER_ADDRESS, connect_from_env_config

    client = await connect_from_env_config(address=args.address, namespace=args.namespace, default_address=LOCAL_DEV_SERVER_ADDRESS)
    ballots = scripted_ballots(device_ids(args.devices, prefix=args.prefix), {"A": 1, "B": 1, "C": 3, "D": 1}, seed=args.seed)

    def report(vote: PhoneVote) -> None:
        print(json.dumps(vote.as_json()), flush=True)

    votes = await room_votes(temporal_cast(client, args.workflow_id, wait_s=args.wait_s), ballots, spread_s=args.spread_s, on_settled=report)
    return 0 if all(v.settled_at is not None for v in votes) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.poll.devices", description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="host:port of the Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)")
    parser.add_argument("--namespace")
    parser.add_argument("--workflow-id", required=True)
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--prefix", default="phone")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--spread-s", type=float, default=3.0, help="the first votes spread over this many seconds")
    parser.add_argument("--wait-s", type=float, default=2.0)
    args = parser.parse_args(argv)
    from demos.common.process_exit import exit_without_teardown
    from demos.common.server import DemoError

    try:
        code = asyncio.run(_main(args))
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        code = 1
    exit_without_teardown(code)
    return code


if __name__ == "__main__":
    main()
