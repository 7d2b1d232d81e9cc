"""Child processes that can always be stopped, with everything they started.

Every long-lived child is started in its own session (so a terminal's Ctrl-C reaches only us, and we
decide the order of shutdown) with PR_SET_PDEATHSIG (so it dies with us even if we are SIGKILLed).
Stopping walks /proc for the child's descendants first: Chromium started by Puppeteer runs in a
process group of its own, so killing one group is not enough."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Sequence

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the subreaper of everything it starts: a grandchild whose parent dies (the
    Chromium of a SIGKILLed Node renderer) is reparented to us instead of to PID 1, which in a
    container may be a process that never reaps, so it can be waited for here (reap, sweep_adopted)
    and no zombie is left behind. False where Linux's prctl is not available."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1) == 0
    except OSError:
        return False


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the owner's own shutdown still stops the tree


def spawn(argv: Sequence[str], *, log_path: Path | None = None, **kwargs) -> subprocess.Popen:
    """Popen in a new session that dies with its parent; output to `log_path` (or discarded)."""
    out = log_path.open("ab") if log_path else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            list(argv), stdin=kwargs.pop("stdin", subprocess.DEVNULL), stdout=kwargs.pop("stdout", out),
            stderr=kwargs.pop("stderr", subprocess.STDOUT), start_new_session=True, preexec_fn=_die_with_parent, **kwargs,
        )
    finally:
        if log_path:
            out.close()


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children first-level first), read from /proc."""
    return _below(_process_table(), pid)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, only not yet reaped


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_tree(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    """SIGTERM the process and all its descendants, wait up to `grace_s`, then SIGKILL what is left."""
    pids = [proc.pid, *descendants(proc.pid)]
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        proc.poll()
        if not any(alive(p) for p in pids):
            break
        time.sleep(0.05)
    _signal_all([p for p in pids if alive(p)], signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL at once, no grace: what "kill the worker" on stage means."""
    pids = [proc.pid, *descendants(proc.pid)]
    _signal_all(pids, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def tree_of(pids: list[int]) -> list[int]:
    """The processes and all their descendants, now (before stopping them reparents the tail)."""
    return [q for p in pids for q in (p, *descendants(p))]


def reap(pids: list[int], grace_s: float = 3.0) -> None:
    """Whatever of `pids` outlived its owner's own shutdown (a browser's crash handler, which runs in a
    session of its own): SIGTERM, a moment, then SIGKILL."""
    left = [p for p in pids if alive(p)]
    _signal_all(left, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(alive(p) for p in left) and time.monotonic() < deadline:
        time.sleep(0.05)
    _signal_all([p for p in left if alive(p)], signal.SIGKILL)
    _wait_adopted(pids, time.monotonic() + grace_s)


def _wait_adopted(pids: list[int], deadline: float) -> None:
    """waitpid each of `pids` that became our child (see adopt_orphans); others are not ours to wait."""
    pending = list(pids)
    while pending:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child (PID 1 adopted it) or already waited for
                done = pid
            if done:
                pending.remove(pid)
        if not pending or time.monotonic() > deadline:
            return
        time.sleep(0.02)


class AdoptedSweeper:
    """Waits for the orphans this process adopted, and only for them: never for a Popen of ours (whose
    owner waits for it), so no exit status is stolen. A zombie child of ours was adopted if
    - a sweep saw it below one of our children (Chromium, once its Node was killed), or
    - its session is neither its own nor ours: a child we start keeps our session or gets its own, so it
      was started inside someone else's (Chromium's crash handler, which double-forks at once and is
      never seen below anything)."""

    def __init__(self) -> None:
        self._seen_below: set[int] = set()

    def sweep(self) -> list[int]:
        """Wait for the adopted zombies; remember who is below our children now. Returns the reaped."""
        me, my_session = os.getpid(), os.getsid(0)
        table = _process_table()
        reaped = []
        for pid, ppid, state, session in table:
            adopted = pid in self._seen_below or session not in (pid, my_session)
            if ppid == me and state == "Z" and adopted:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                    reaped.append(pid)
        below = set(_below(table, me)) - {pid for pid, ppid, _, _ in table if ppid == me}
        # Remembered while they exist: an orphan is adopted at one sweep and may die at a later one.
        self._seen_below = (self._seen_below | below) & {row[0] for row in table} - set(reaped)
        return reaped


def _process_table() -> list[tuple[int, int, str, int]]:
    """(pid, ppid, state, session) of every process, from /proc."""
    rows = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')', so split after the last ')'.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            rows.append((int(entry.name), int(fields[1]), fields[0], int(fields[3])))
    return rows


def _below(table: list[tuple[int, int, str, int]], pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, ppid, _, _ in table:
        children.setdefault(ppid, []).append(child)
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found
