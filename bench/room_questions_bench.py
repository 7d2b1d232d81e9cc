"""Questions from the room under load (part of `make bench`): a real `build.py present --share` session,
300 simulated phones, each with its own cookie, room token and open stream (what a phone's page holds):

- every phone asks one question (first attempts spread over 15 s) and upvotes three others' (spread
  over 5-27 s), through share mode's HTTP routes, sending again what is told "waiting", all within
  30 s; each accepted ask and upvote checked against the workflow's audit: counted exactly once;
- from a phone's tap (its first attempt) to the moment the last of the 300 phones' streams shows it
  (the question appears; its count reaches the upvote's count), p50/p95, target p95 <= 1 s; and to
  the presenter view's stream, p95. The 300 streams are read by 3 processes of their own (as phones
  are devices of their own): this process, which sends the taps and times them, never waits behind
  parsing the room's messages. Their clocks are one (CLOCK_MONOTONIC);
- beside it, the same session's poll: 300 phones vote (bench/room_vote_bench.py's load) and a vote
  to the tally on the slide, p95.

Bounded: 300 devices, every wait has a timeout, the session stopped at the end (about 2 minutes).

    .venv/bin/python bench/room_questions_bench.py        # only this part, prints the rows
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
import uuid
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from poll_bench import percentile  # noqa: E402
from room_vote_bench import _one_room  # noqa: E402
from sse import SseReader  # noqa: E402

from tests.present_session import PresentProcess  # noqa: E402
from tests.room_phones import Device, HttpRoom  # noqa: E402

DEVICES = 300
ASK_SPREAD_S = 15.0
UPVOTE_WINDOW_S = (5.0, 27.0)
UPVOTES_EACH = 3
WITHIN_S = 30.0
P95_TARGET_S = 1.0
READERS = 3  # processes reading the phones' streams
READER_LIMIT_S = 240.0  # a reader stops by itself after this, whatever happens


class Screen:
    """One stream (a phone's or the presenter view's): when each question first showed each count."""

    def __init__(self, seen: dict | None = None) -> None:
        self.seen: dict[int, list[tuple[int, float]]] = seen or {}  # question id -> [(votes, monotonic when shown)]
        self.connected = asyncio.Event()

    def show(self, questions: list[dict]) -> None:
        now = time.monotonic()
        for q in questions:
            shown = self.seen.setdefault(q["id"], [])
            if not shown or shown[-1][0] != q["votes"]:
                shown.append((q["votes"], now))

    def when(self, question_id: int, votes: int) -> float | None:
        """When this screen first showed the question with at least `votes` (0: when it appeared)."""
        return next((t for v, t in self.seen.get(question_id, []) if v >= votes), None)


async def _watch(http: aiohttp.ClientSession, url: str, headers: dict, screen: Screen, event: str) -> None:
    async with http.get(url, headers=headers) as stream:
        screen.connected.set()
        reader = SseReader()
        async for raw in stream.content:
            message = reader.feed(raw)
            if message and message[0] == event:
                data = message[1]
                screen.show(data.get("changed", data.get("questions", [])))


async def _storm(present: PresentProcess) -> dict:
    from temporalio.client import Client

    from demos.questions.client import read_audit

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None, sock_read=120)) as http:
        room = HttpRoom(present.url, lambda: present.room_path, http)
        devices: list[Device] = [await room.device() for _ in range(DEVICES)]
        presenter = Screen()
        base = present.url.rstrip("/")
        readers = await _start_readers(f"{base}{room.room_path}/events", [d.cookie for d in devices])
        watchers = [asyncio.create_task(_watch(http, f"{base}/__present/events?token={present.token}",
                                               {"Cookie": f"present_key={present.presenter_key}"}, presenter, "questions"))]
        await asyncio.wait_for(presenter.connected.wait(), 60)
        await asyncio.sleep(1.0)
        tag = uuid.uuid4().hex[:6]
        rng = random.Random(22)
        cpu_before = _cpu(present)
        asked_ids: list[tuple[int, str]] = []  # (question id, asker) as the receipts come in
        began = time.monotonic()

        async def ask(n: int, device: Device):
            await asyncio.sleep(ASK_SPREAD_S * n / DEVICES)
            done = await room.ask_like_a_phone(device, f"Bench {tag}: question {n} from the room?", retry_every_s=0.5, give_up_after_s=60)
            if done.accepted:
                asked_ids.append((done.final.question_id, device.id))
            return done

        async def upvote(n: int, device: Device):
            out = []
            for at in sorted(rng.uniform(*UPVOTE_WINDOW_S) for _ in range(UPVOTES_EACH)):
                await asyncio.sleep(max(0.0, began + at - time.monotonic()))
                chosen = {q for q, _ in out}
                others = [q for q, asker in asked_ids if asker != device.id and q not in chosen]
                if not others:
                    continue
                target = rng.choice(others)
                out.append((target, await room.upvote_like_a_phone(device, target, f"{tag}-{n}-{len(out)}", retry_every_s=0.5, give_up_after_s=60)))
            return [done for _, done in out]

        asks = await asyncio.gather(*(ask(n, d) for n, d in enumerate(devices)), *(upvote(n, d) for n, d in enumerate(devices)))
        seconds = time.monotonic() - began
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in _cpu(present).items()}
        await asyncio.sleep(3.0)  # the last changes reach every stream
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        phones = await _stop_readers(readers)
    actions_ask = list(asks[:DEVICES])
    actions_up = [a for done in asks[DEVICES:] for a in done]
    client = await Client.connect(present.status()["temporal"]["address"])
    audit = await read_audit(client, present.status()["questions"]["workflow_id"], wait_s=20)
    return {"asks": actions_ask, "upvotes": actions_up, "audit": audit, "phones": phones, "presenter": presenter, "seconds": seconds, "cpu": cpu}


async def _start_readers(url: str, cookies: list[str]) -> list[tuple[asyncio.subprocess.Process, Path]]:
    """READERS processes, each reading its share of the phones' streams; returns once all are connected."""
    import tempfile

    readers = []
    for n in range(READERS):
        out = Path(tempfile.mkstemp(prefix="questions-reader-", suffix=".json")[1])
        process = await asyncio.create_subprocess_exec(sys.executable, __file__, "--read", url, str(out), stdin=asyncio.subprocess.PIPE,
                                                       stdout=asyncio.subprocess.PIPE)
        process.stdin.write(json.dumps(cookies[n::READERS]).encode() + b"\n")
        await process.stdin.drain()
        readers.append((process, out))
    for process, _ in readers:
        line = await asyncio.wait_for(process.stdout.readline(), 90)
        assert line.strip() == b"connected", line
    return readers


async def _stop_readers(readers: list[tuple[asyncio.subprocess.Process, Path]]) -> list[Screen]:
    screens = []
    for process, out in readers:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
        for seen in json.loads(out.read_text()):
            screens.append(Screen({int(q): [tuple(x) for x in shown] for q, shown in seen.items()}))
        out.unlink()
    return screens


async def _read_streams(url: str, out: Path) -> None:
    """A reader process: one stream per cookie (stdin), until SIGTERM (or READER_LIMIT_S); then
    every phone's record to `out`."""
    cookies = json.loads(sys.stdin.readline())
    screens = [Screen() for _ in cookies]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=None, sock_read=120)) as http:
        tasks = [asyncio.create_task(_watch(http, url, {"Cookie": c}, s, "questions")) for c, s in zip(cookies, screens)]
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in screens)), 60)
        print("connected", flush=True)
        try:
            await asyncio.wait_for(stop.wait(), READER_LIMIT_S)
        except asyncio.TimeoutError:
            pass
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    out.write_text(json.dumps([{str(q): shown for q, shown in s.seen.items()} for s in screens]))


def _cpu(present: PresentProcess) -> dict[str, float]:
    """CPU seconds so far of this bench process, the session's web process, the board's worker and
    the Temporal server: where a storm's time goes on a shared machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"bench": usage.ru_utime + usage.ru_stime}
    status = present.status()
    pids = {"web": present.proc.pid, "temporal": status["pids"]["temporal"],
            "worker": ((status["questions"] or {}).get("workers", {}).get("worker") or [{}])[0].get("pid")}
    tick = os.sysconf("SC_CLK_TCK")
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError, TypeError):
            pass
    return out


def _latencies(actions: list, screens: list[Screen], *, since_receipt: bool = False) -> tuple[list[float], int]:
    """Seconds from each accepted action's first attempt (or its receipt) to the last screen showing
    it; and how many actions some screen never showed."""
    out, unseen = [], 0
    for action in actions:
        if not action.accepted:
            continue
        receipt = action.final
        votes = receipt.votes if receipt.votes is not None else 0
        times = [s.when(receipt.question_id, votes) for s in screens]
        if any(t is None for t in times):
            unseen += 1
            continue
        out.append(max(times) - (action.settled_at if since_receipt else action.sent_at))
    return out, unseen


def _exactly_once(result: dict) -> dict:
    audit, asks, upvotes = result["audit"], result["asks"], result["upvotes"]
    accepted_asks = [a for a in asks if a.accepted]
    accepted_up = [u for u in upvotes if u.accepted]
    lost = sum(audit.askers.get(str(a.final.question_id)) != a.device_id for a in accepted_asks)
    lost += sum(u.device_id not in audit.voters.get(str(u.answer), []) for u in accepted_up)
    twice = sum(len(v) - len(set(v)) for v in audit.voters.values()) + (len(accepted_asks) - len({a.final.question_id for a in accepted_asks}))
    counted_votes = sum(len(v) for v in audit.voters.values() if v)
    return {"asks": len(accepted_asks), "upvotes": len(accepted_up), "refused": len(asks) + len(upvotes) - len(accepted_asks) - len(accepted_up),
            "lost": lost, "twice": twice, "extra": counted_votes - len(accepted_up)}


def run(base: Path) -> list[tuple[str, str, str, float | None, str]]:
    present = PresentProcess.on_copy(base / "room-questions", share=True).start()
    try:
        present.wait_until_ready()
        present.wait_for(lambda: (present.status()["questions"] or {}).get("state") == "open", 60, "the questions board to open")
        result = asyncio.run(_storm(present))
        votes = asyncio.run(_one_room(present, kill=False))  # the baseline: the room's votes, in the same session
    finally:
        present.stop()
    once = _exactly_once(result)
    actions = result["asks"] + result["upvotes"]
    to_phones, unseen = _latencies(actions, result["phones"])
    to_presenter, _ = _latencies(actions, [result["presenter"]])
    p50, p95 = percentile(to_phones, 50), percentile(to_phones, 95)
    receipts = [a.settled_at - a.sent_at for a in actions if a.accepted]
    fanout, _ = _latencies(actions, result["phones"], since_receipt=True)
    ok_once = once["lost"] == once["twice"] == once["extra"] == 0 and once["asks"] == DEVICES and result["seconds"] <= WITHIN_S
    return [
        (f"questions: {DEVICES} phones ask + upvote over HTTP in {result['seconds']:.1f} s", f"{once['asks']}+{once['upvotes']}",
         f"lost {once['lost']}, twice {once['twice']}", None, "yes" if ok_once else f"NO: {once}"),
        (f"questions: ask/upvote to all {DEVICES} phones p95 (vs vote->slide p95)", f"{p95 * 1000:.0f} ms", f"{votes['p95'] * 1000:.0f} ms", None,
         "p95<=1 s" if p95 <= P95_TARGET_S and unseen == 0 else f"NO: p95 {p95:.2f} s, {unseen} unseen"),
        ("questions: ask/upvote to all phones p50 / to presenter view p95", f"{p50 * 1000:.0f} ms", f"{percentile(to_presenter, 95) * 1000:.0f} ms", None, ""),
        ("questions: tap to its receipt p95 / receipt to all phones p95", f"{percentile(receipts, 95) * 1000:.0f} ms",
         f"{percentile(fanout, 95) * 1000:.0f} ms", None, ""),
        ("questions: CPU s in the storm: web / worker / Temporal / bench", "/".join(f"{result['cpu'].get(k, float('nan')):.1f}" for k in ("web", "worker")),
         "/".join(f"{result['cpu'].get(k, float('nan')):.1f}" for k in ("temporal", "bench")), None, ""),
    ]


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:2] == ["--read"]:  # a reader process (see _start_readers)
        asyncio.run(_read_streams(sys.argv[2], Path(sys.argv[3])))
        raise SystemExit(0)

    with tempfile.TemporaryDirectory(prefix="room-questions-bench-") as tmp:
        for row in run(Path(tmp)):
            print(f"{row[0]:70} {row[1]:>10} {row[2]:>24} {row[4]}")
