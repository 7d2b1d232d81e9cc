"""The room votes through share mode (part of `make bench`): the poll_bench load, sent the way phones
send it: each simulated device opens the audience page (its cookie and room token), then POSTs its
vote to /r/<room>/vote/poll of a real `build.py present --share` session; a "waiting" answer is sent
again, as the phones do. Beside poll_bench's figures straight through the Temporal client:

- 300 devices within 10 s: every vote counted exactly once (the devices' accepted receipts against
  the workflow's ballots), and from a vote to the tally on the slide (the presenter's stream: what the
  slide shows), p50/p95;
- the same with the poll's worker SIGKILLed 3 s in (the slide's Kill worker) and started 1 s later.

Bounded: 300 devices per run, every wait with a timeout, the session stopped at the end.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from poll_bench import DEVICES, KILL_AT_S, RESTART_AFTER_S, SPREAD_S, exactly_once, percentile, vote_storm, vote_to_tally_s  # noqa: E402

from demos.poll.devices import scripted_ballots  # noqa: E402
from demos.poll.votes import VoteReceipt  # noqa: E402
from sse import SseReader  # noqa: E402
from tests.present_session import PresentProcess  # noqa: E402


class Room:
    """The presenter's side (follow the poll slide, Run live, kill/start its worker) and the stream
    the slide reads its tally from."""

    def __init__(self, present: PresentProcess, http: aiohttp.ClientSession):
        self.present, self.http = present, http
        self.total: int | None = None
        self.run: dict = {}
        self._headers = {"Cookie": f"present_key={present.presenter_key}", "X-Present-Token": present.token,
                         "Origin": present.url.rstrip("/"), "Content-Type": "application/json"}

    async def post(self, path: str, body: dict | None = None) -> dict:
        async with self.http.post(f"{self.present.url}{path}", data=json.dumps(body or {}), headers=self._headers) as r:
            assert r.status == 200, (path, r.status, await r.text())
            return await r.json()

    async def follow(self) -> None:
        """The presenter's stream: the poll's tally as the slide gets it."""
        url = f"{self.present.url}__present/events?token={self.present.token}"
        async with self.http.get(url, headers={"Cookie": self._headers["Cookie"]}) as stream:
            reader = SseReader()
            async for raw in stream.content:
                message = reader.feed(raw)
                if message and message[0] == "demo":
                    data = message[1]
                    if data.get("name") == "poll" and data.get("run"):
                        self.run = data["run"]
                        tally = (data["run"].get("snapshot") or {}).get("tally")
                        if tally and data["run"].get("workflow_id") == self.workflow_id:
                            self.total = tally["total"]

    workflow_id = ""


async def _devices(present: PresentProcess, http: aiohttp.ClientSession, count: int) -> dict[str, tuple[str, str]]:
    """Device id -> (cookie, room token), each from its own visit of the audience page."""
    out = {}
    for _ in range(count):
        async with http.get(f"{present.url.rstrip('/')}{present.room_path}", headers={"Cookie": ""}) as r:
            page = await r.text()
            device = r.cookies["present_device"].value
        out[device] = (f"present_device={device}", re.search(r'name="present-room-token" content="([^"]+)"', page).group(1))
    return out


def _http_cast(present: PresentProcess, http: aiohttp.ClientSession, devices: dict[str, tuple[str, str]]):
    async def cast(device_id: str, answer: str) -> VoteReceipt:
        cookie, token = devices[device_id]
        async with http.post(f"{present.url.rstrip('/')}{present.room_path}/vote/poll", data=json.dumps({"answer": answer}),
                             headers={"Cookie": cookie, "X-Room-Token": token, "Origin": present.url.rstrip("/"), "Content-Type": "application/json"}) as r:
            body = await r.json()
        status = body.get("status")
        if status not in ("accepted", "rejected", "waiting"):
            status = "waiting"  # a 429 or an error: the phone tries again
        return VoteReceipt(status=status, vote_id="", device_id=device_id, answer=answer, seq=body.get("seq"), reason=body.get("reason", ""))

    return cast


async def _one_room(present: PresentProcess, *, kill: bool) -> dict:
    from temporalio.client import Client

    from demos.poll.workflows import PollWorkflow

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=None, sock_read=90)) as http:
        room = Room(present, http)
        devices = await _devices(present, http, DEVICES)
        number = present.slide_of_demo("poll")
        await room.post("__present/follow", {"slide": number, "fragment": 0, "count": 30, "demos": ["poll"]})
        started = await room.post("__present/demo/poll/run")
        room.workflow_id = started["workflow_id"]
        follower = asyncio.create_task(room.follow())
        while not ((room.run.get("snapshot") or {}).get("ballot") or {}).get("open") or room.run.get("workflow_id") != room.workflow_id:
            await asyncio.sleep(0.1)
        killer = None
        if kill:
            async def kill_and_restart() -> None:
                await asyncio.sleep(KILL_AT_S)
                await room.post("__present/demo/poll/worker/kill")
                await asyncio.sleep(RESTART_AFTER_S)
                await room.post("__present/demo/poll/worker/start")
            killer = asyncio.create_task(kill_and_restart())

        async def read_total() -> int | None:
            return room.total

        ballots = scripted_ballots(list(devices), {"A": 1, "B": 1, "C": 2, "D": 1}, seed=500 + kill)
        storm = await vote_storm(_http_cast(present, http, devices), read_total, ballots, spread_s=SPREAD_S)
        if killer is not None:
            await killer
        client = await Client.connect(present.status()["temporal"]["address"])
        handle = client.get_workflow_handle(room.workflow_id)
        counted = await handle.query(PollWorkflow.ballots)
        total = len(counted)
        await room.post("__present/demo/poll/control/close")
        follower.cancel()
    latencies = vote_to_tally_s(storm)
    return {**exactly_once(storm, counted, dict(ballots), total), "total": total, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "waited": sum(v.waited for v in storm.votes), "seconds": storm.seconds}


def run(base: Path) -> list[tuple[str, str, str, float | None, str]]:
    present = PresentProcess.on_copy(base / "room-votes", share=True).start()
    try:
        present.wait_until_ready()
        calm = asyncio.run(_one_room(present, kill=False))
        killed = asyncio.run(_one_room(present, kill=True))
    finally:
        present.stop()

    def once(r: dict) -> str:
        return "yes" if r["lost"] == 0 and r["duplicates"] == 0 and r["accepted"] == DEVICES == r["total"] else "NO"

    return [
        (f"room: {DEVICES} phones vote over HTTP in {calm['seconds']:.1f} s, each counted once", f"{calm['accepted']}/{DEVICES}",
         f"lost {calm['lost']}", None, once(calm) if once(calm) == "yes" else "NO: not exactly once"),
        ("room: vote to the tally on the slide, p50 / p95", f"{calm['p50'] * 1000:.0f} ms", f"{calm['p95'] * 1000:.0f} ms", None,
         "p95<=1 s" if calm["p95"] <= 1.0 else "NO: p95>1 s"),
        (f"room: the poll's worker SIGKILLed mid-vote ({killed['waited']} votes waited)", f"{killed['accepted']}/{DEVICES}",
         f"lost {killed['lost']}, twice {killed['duplicates']}", None, once(killed) if once(killed) == "yes" else "NO: not exactly once"),
    ]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="room-vote-bench-") as tmp:
        for row in run(Path(tmp)):
            print(f"{row[0]:70} {row[1]:>10} {row[2]:>24} {row[4]}")
