"""The session's long-lived helper processes (the two warm marp-clis, the Mermaid renderer with its
Chromium), each with one owner that keeps it alive for the whole talk.

A child that dies (the OOM killer, a crash, a stray `kill -9`) is reaped at once by the session's
watch loop and started again, with a short backoff; a request that finds it dead is retried on the
new one, so the save that found it dead still shows. A child that keeps dying (three times in 30 s)
is reported once with its last output lines and left down for a while: the session keeps serving
the last good deck and says why on the overlay."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable, Generic, TypeVar

from deckbuild.errors import BuildError, ExitCode

T = TypeVar("T")
R = TypeVar("R")

DEATHS_ALLOWED = 3  # in WINDOW_S; one more and the child is left down for WINDOW_S
WINDOW_S = 30.0
BACKOFF_S = (0.0, 0.5, 2.0)  # before the 1st, 2nd, 3rd restart within the window


class ChildDown(BuildError):
    def __init__(self, message: str):
        super().__init__(message, ExitCode.TOOL_FAILED)


class Child(Generic[T]):
    """Owner of one helper process. `call(fn)` runs fn(the live instance), restarting a dead one
    first and retrying once if it died during the call; `check()` (the watch loop) reaps and
    restarts a dead one without waiting for the next request."""

    def __init__(self, name: str, start: Callable[[], T], *, alive: Callable[[T], bool], close: Callable[[T], None],
                 pids: Callable[[T], list[int]], tail: Callable[[T], str], report: Callable[[str], None]):
        self.name = name
        self._start_fn, self._alive, self._close, self._pids, self._tail, self._report = start, alive, close, pids, tail, report
        self._lock = threading.RLock()
        self._instance: T | None = None
        self._deaths: deque[float] = deque()
        self._down_until = 0.0
        self._closed = False
        self.restarts = 0
        self.state = "stopped"  # stopped | up | down

    @property
    def pids(self) -> list[int]:
        instance = self._instance
        return self._pids(instance) if instance is not None else []

    def get(self) -> T:
        with self._lock:
            if self._closed:
                raise ChildDown(f"{self.name} is stopped (the session is shutting down)")
            if self._instance is not None and not self._alive(self._instance):
                self._died()
            if self._instance is None:
                self._start()
            assert self._instance is not None
            return self._instance

    def call(self, fn: Callable[[T], R]) -> R:
        instance = self.get()
        try:
            return fn(instance)
        except BuildError:
            if self._alive(instance):
                raise  # the tool's own answer (a broken slide): not a death
            with self._lock:
                if self._instance is instance:
                    self._died()
            return fn(self.get())  # the request that found it dead, on the new one

    def check(self) -> None:
        """Reap a dead child now (no zombie waits for the next edit) and start it again."""
        with self._lock:
            if self._closed or self._instance is None or self._alive(self._instance):
                return
            self._died()
            try:
                self._start()
            except BuildError:
                pass  # reported by _start/_died; the next request tries again once allowed

    def retry_due(self) -> bool:
        """Left down after a crash loop, and its time out is over: the watch loop starts it again."""
        return self.state == "down" and self._instance is None and time.monotonic() >= self._down_until and not self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            instance, self._instance = self._instance, None
            self.state = "stopped"
        if instance is not None:
            self._close(instance)

    # --- inside the lock ---------------------------------------------------------------------------
    def _died(self) -> None:
        instance, self._instance = self._instance, None
        assert instance is not None
        pids = self._pids(instance)
        tail = self._tail(instance)
        self._close(instance)  # reaps it, and stops what it had started (a renderer's Chromium)
        now = time.monotonic()
        self._deaths.append(now)
        while self._deaths and now - self._deaths[0] > WINDOW_S:
            self._deaths.popleft()
        if len(self._deaths) > DEATHS_ALLOWED:
            self._down_until = now + WINDOW_S
            self.state = "down"
            lines = " / ".join(line for line in tail.strip().splitlines()[-3:] if line.strip()) or "no output"
            self._report(f"{self.name} keeps dying ({len(self._deaths)} times in {WINDOW_S:.0f} s); left down for {WINDOW_S:.0f} s. Last output: {lines}")
        else:
            self._report(f"{self.name} (pid {', '.join(map(str, pids)) or '?'}) died; starting it again")

    def _start(self) -> None:
        now = time.monotonic()
        if self.state == "down" and now < self._down_until:
            raise ChildDown(f"{self.name} keeps dying; it is left down for {self._down_until - now:.0f} s more (see the terminal)")
        recent = sum(1 for t in self._deaths if now - t <= WINDOW_S)
        restarting = recent > 0
        if restarting:
            time.sleep(BACKOFF_S[min(recent, len(BACKOFF_S)) - 1])
        self._instance = self._start_fn()
        self.state = "up"
        if restarting:
            self.restarts += 1
            self._report(f"{self.name} is back (pid {', '.join(map(str, self._pids(self._instance)))})")


class MarpChild:
    """A warm marp process behind its owner: LiveDeck calls it as it would the process itself."""

    def __init__(self, child: Child[Any]):
        self.child = child

    def deck(self, *args: Any, **kwargs: Any) -> dict:
        return self.child.call(lambda marp: marp.deck(*args, **kwargs))

    def convert(self, *args: Any) -> float:
        return self.child.call(lambda marp: marp.convert(*args))

    @property
    def pid(self) -> int | None:
        pids = self.child.pids
        return pids[0] if pids else None


class RendererChild:
    """The Mermaid renderer behind its owner: the diagrams stage calls render() as usual."""

    def __init__(self, child: Child[Any]):
        self.child = child

    def render(self, sources: Any, config: Any = None) -> list:
        return self.child.call(lambda renderer: renderer.render(sources, config))

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(self.child.pids)
