"""`python build.py rehearse`: every demo once, live, the way present mode runs it (the same Temporal
server owner, worker processes and live modules), so the presenter knows the show works before
walking on stage. Prints one line per demo with its time and outcome; exit 5 if any failed."""

from __future__ import annotations

import asyncio
import sys
import time

from deckbuild import demos
from deckbuild.config import Config
from deckbuild.errors import ExitCode
from deckbuild.present.session import PresentSession
from deckbuild.aio import within

RUN_TIMEOUT_S = 120.0


async def _wait_up(session: PresentSession, timeout_s: float = 40.0) -> str | None:
    deadline = time.monotonic() + timeout_s
    while session.temporal.state.state != "up":
        if time.monotonic() > deadline:
            return session.temporal.state.reason or "Temporal did not come up"
        await asyncio.sleep(0.1)
    return None


async def _rehearse_one(session: PresentSession, name: str) -> tuple[str, float, str]:
    started = time.monotonic()
    live = session.live.module(name)
    try:
        await session.live.run(name)
        run = session.live.runs[name]
        killable = getattr(live, "KILLABLE_ROLE", None)
        if killable:  # the durability act: kill the worker mid-step, start a new one
            await asyncio.sleep(getattr(live, "KILL_AFTER_S", 5.0))  # the demo says when its work is mid-flight
            await session.live.worker(name, "kill")
            await asyncio.sleep(1.0)
            await session.live.worker(name, "start")
        deploy = getattr(live, "DEPLOY", None)
        if deploy:
            await session.live.worker(name, "deploy")
        finish = getattr(live, "finish", None)
        if finish:
            await finish(session.temporal.client, run.handle, session)
        await within(run.handle.result(), RUN_TIMEOUT_S)
        await _until(lambda: run.status != "running", 10)
        first = f", first event streamed {run.first_event_ms:.0f} ms after the start" if run.first_event_ms is not None else ""
        return name, time.monotonic() - started, f"ok: {run.status}, {run.story.events if run.story else 0} events{first}"
    except Exception as err:  # noqa: BLE001 - reported per demo; the rehearsal goes on
        from demos.common.capture import root_failure_message

        return name, time.monotonic() - started, f"FAILED: {root_failure_message(err)}"


async def _until(condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout_s:g} s")
        await asyncio.sleep(0.1)


async def _rehearse(cfg: Config, names: list[str] | None) -> int:
    session = PresentSession(cfg, "talk", port=0, out=lambda line: print(line, flush=True), demo_names=demos.demo_names(cfg))
    available = [n for n in session.demo_names() if session.live.module(n) is not None]
    names = names or available
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"error: no live demo named {', '.join(unknown)} (live demos: {', '.join(available)})", file=sys.stderr)
        return int(ExitCode.SOURCE)
    watcher = asyncio.create_task(session.temporal.run())
    try:
        problem = await _wait_up(session)
        if problem:
            print(f"error: Temporal is not reachable: {problem}", file=sys.stderr)
            return int(ExitCode.MISSING_TOOL)
        print(f"rehearsal against {session.temporal.state.address} (namespace {session.temporal.state.namespace})")
        await asyncio.gather(*(session.ensure_workers(n) for n in names))
        results = await asyncio.gather(*(_rehearse_one(session, n) for n in names))
    finally:
        await session.live.stop()
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        session.workers.stop_all()
        session.temporal.stop()
    width = max(len(n) for n in names)
    for name, seconds, outcome in results:
        print(f"  {name:<{width}}  {seconds:6.1f} s  {outcome}")
    failed = [r for r in results if r[2].startswith("FAILED")]
    print(f"rehearsal: {len(results) - len(failed)} of {len(results)} demos ran live")
    return int(ExitCode.DEMO_FAILED) if failed else 0


def rehearse(cfg: Config, names: list[str] | None = None) -> int:
    return asyncio.run(_rehearse(cfg, names))
