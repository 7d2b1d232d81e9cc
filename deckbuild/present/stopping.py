"""Ctrl-C, accounted for: each stage of a session's shutdown is timed in `stop.log`, a stage that
takes long is said in the terminal as it happens, and if stopping is still not done after
STACKS_AFTER_S every thread's stack is written next to it (faulthandler: from its own C thread, so
it is written even when the interpreter is stuck joining a thread at exit).

A presenter who presses Ctrl-C wants the room's laptop back: when it takes long, they (and a CI log)
learn which helper was waited for, not only that something was."""

from __future__ import annotations

import asyncio
import faulthandler
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from deckbuild.aio import within

T = TypeVar("T")

SAY_AFTER_S = 3.0  # a stage longer than this is said in the terminal
STACKS_AFTER_S = 20.0

_stacks_file = None  # kept open until the process ends: faulthandler writes to its descriptor


class StopTimer:
    def __init__(self, log_dir: Path, out: Callable[[str], None], *, stacks: bool):
        """`stacks`: only the `build.py present` process arms the dump (one per process; a test running
        a session inside pytest keeps pytest's own)."""
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / "stop.log"
        self.stacks_path = log_dir / "stop-stacks.txt"
        self._out = out
        self._started = time.monotonic()
        with self.log_path.open("a") as log:  # a session restarted in the same folder adds its stop below
            log.write(f"--- stopping at {time.strftime('%H:%M:%S')}\n")
        self.stacks_path.unlink(missing_ok=True)
        if stacks:
            self._arm_stacks()

    def _arm_stacks(self) -> None:
        global _stacks_file
        if _stacks_file is not None:
            _stacks_file.close()
        _stacks_file = self.stacks_path.open("w")
        faulthandler.dump_traceback_later(STACKS_AFTER_S, repeat=False, file=_stacks_file)

    def _log(self, line: str) -> None:
        with self.log_path.open("a") as log:
            log.write(f"{time.monotonic() - self._started:7.2f} s  {line}\n")

    async def stage(self, name: str, work: Awaitable[T]) -> T:
        """Await one stage and return its result; its time goes to stop.log, and to the terminal when it is long."""
        begun = time.monotonic()
        self._log(f"{name}: begun")
        slow = asyncio.get_running_loop().call_later(SAY_AFTER_S, self._still, name)
        try:
            return await work
        finally:
            slow.cancel()
            took = time.monotonic() - begun
            self._log(f"{name}: done in {took:.2f} s")
            if took > SAY_AFTER_S:
                self._out(f"present: stopping: {name} took {took:.1f} s")

    def _still(self, name: str) -> None:
        self._out(f"present: stopping: still waiting for {name} ({SAY_AFTER_S:.0f} s so far)")

    def done(self) -> None:
        self._log(f"stopped in {time.monotonic() - self._started:.2f} s")


def read_report(log_dir: Path) -> str:
    """stop.log and stop-stacks.txt of a session (for a test whose present did not stop in time)."""
    parts = []
    for name in ("stop.log", "stop-stacks.txt"):
        path = log_dir / name
        if path.exists() and path.stat().st_size:
            parts.append(f"--- {name}\n{path.read_text(errors='replace')}")
    return "\n".join(parts)


async def cancel_and_wait(tasks, within_s: float) -> list[asyncio.Task]:
    """Cancel `tasks` and wait for them to end, cancelling again any that carried on (a cancellation
    lost inside a library, see deckbuild.aio.within); returns those still running after `within_s`."""
    pending = {task for task in tasks if not task.done()}
    deadline = time.monotonic() + within_s
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(0.5, left))
    return list(pending)


def task_names(tasks) -> str:
    return ", ".join(sorted(getattr(task.get_coro(), "__qualname__", task.get_name()) for task in tasks))


def run_bounded(main: Coroutine[Any, Any, int], out: Callable[[str], None], grace_s: float = 5.0) -> int:
    """asyncio.run, except that its last steps are bounded: what is left once the session has stopped
    everything (a task that will not end, a helper thread still blocked on a process that is gone)
    gets `grace_s`, is named in the terminal, and is left behind; the caller ends the process
    (build.py leaves with os._exit), so Ctrl-C always gives the laptop back. (asyncio.run waits for
    both without limit: its shutdown_default_executor joins every thread.)"""
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix=HELPER_THREADS)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            left = loop.run_until_complete(cancel_and_wait(asyncio.all_tasks(loop), grace_s))
            if left:
                out(f"present: stopping: left behind after {grace_s:.0f} s: {task_names(left)}")
            try:
                loop.run_until_complete(within(loop.shutdown_asyncgens(), grace_s))
            except TimeoutError:
                out(f"present: stopping: async generators still open after {grace_s:.0f} s; left behind")
            executor.shutdown(wait=False, cancel_futures=True)  # idle threads end; a busy one is waited for below
            busy = _busy_helper_threads(time.monotonic() + grace_s)
            if busy:
                out(f"present: stopping: helper threads still busy after {grace_s:.0f} s ({busy}); left behind")
        finally:
            asyncio.set_event_loop(None)
            loop.close()


HELPER_THREADS = "present-helper"


def _busy_helper_threads(deadline: float) -> int:
    """How many of the executor's threads are still running at `deadline` (0 as soon as none is)."""
    while True:
        busy = [t for t in threading.enumerate() if t.name.startswith(HELPER_THREADS) and t.is_alive()]
        if not busy or time.monotonic() >= deadline:
            return len(busy)
        time.sleep(0.05)
