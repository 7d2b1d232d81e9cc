"""The demo workers of a present session: each role of each demo is its own OS process
(`python -m demos.common.live_worker`), so "kill the worker" on stage is a real SIGKILL.

One owner: it starts them once Temporal answers, restarts one that dies on its own, leaves dead one
the presenter killed, and stops all of them at the end."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from deckbuild.present import proctree

READY_TIMEOUT_S = 30.0


@dataclass
class WorkerProc:
    demo: str
    role: str
    proc: subprocess.Popen
    log_path: Path
    ready: bool = False
    killed_on_purpose: bool = False

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class WorkerPool:
    def __init__(self, root: Path, log_dir: Path, on_change: Callable[[str], None], *, env: dict[str, str]):
        self._root = root
        self._log_dir = log_dir
        self._on_change = on_change  # called with the demo's name when its workers change
        self._env = env
        self._procs: list[WorkerProc] = []
        self._counter = 0
        self.address = ""
        self.namespace = "default"

    def start(self, demo: str, role: str, task_queue: str) -> WorkerProc:
        # A new process of the role: the one the presenter killed is history, and a crash of this one
        # must be healed again (a demo with a killed-on-purpose record is left alone by the keeper).
        self._procs = [w for w in self._procs if w.alive or not (w.demo == demo and w.role == role)]
        self._counter += 1
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"worker-{demo}-{role}-{self._counter}.log"
        argv = [sys.executable, "-m", "demos.common.live_worker", "--demo", demo, "--role", role,
                "--address", self.address, "--namespace", self.namespace, "--task-queue", task_queue]
        proc = proctree.spawn(argv, log_path=log_path, cwd=self._root, env={**self._env, "PYTHONUNBUFFERED": "1"})
        worker = WorkerProc(demo, role, proc, log_path)
        self._procs.append(worker)
        self._on_change(demo)
        return worker

    async def wait_ready(self, worker: WorkerProc, timeout_s: float = READY_TIMEOUT_S) -> None:
        from demos.common.live import READY_LINE

        deadline = time.monotonic() + timeout_s
        while not worker.ready:
            text = worker.log_path.read_text(errors="replace") if worker.log_path.exists() else ""
            if READY_LINE in text:
                worker.ready = True
                self._on_change(worker.demo)
                return
            if not worker.alive or time.monotonic() > deadline:
                tail = " / ".join(text.strip().splitlines()[-3:])
                raise RuntimeError(f"{worker.demo}/{worker.role} worker did not start: {tail or 'no output'}")
            await asyncio.sleep(0.05)

    def processes(self, demo: str, role: str | None = None, *, alive_only: bool = True) -> list[WorkerProc]:
        return [w for w in self._procs if w.demo == demo and (role is None or w.role == role) and (w.alive or not alive_only)]

    def kill(self, demo: str, role: str) -> list[int]:
        """SIGKILL every live process of the role: no shutdown, no goodbye to the server."""
        killed = []
        for worker in self.processes(demo, role):
            worker.killed_on_purpose = True
            proctree.kill_tree(worker.proc)
            killed.append(worker.proc.pid)
        self._on_change(demo)
        return killed

    def stop_role(self, demo: str, role: str) -> None:
        for worker in self.processes(demo, role):
            worker.killed_on_purpose = True
            proctree.stop_tree(worker.proc, grace_s=5)
        self._on_change(demo)

    def crashed(self) -> list[WorkerProc]:
        """Processes that died without the presenter asking (to be restarted), forgotten once returned."""
        dead = [w for w in self._procs if not w.alive and not w.killed_on_purpose]
        self._procs = [w for w in self._procs if w.alive or w.killed_on_purpose]
        return dead

    def killed_demos(self) -> set[str]:
        """Demos with a worker the presenter killed (or swapped): left as they are until told otherwise."""
        return {w.demo for w in self._procs if w.killed_on_purpose}

    def status(self, demo: str) -> dict[str, list[dict]]:
        roles: dict[str, list[dict]] = {}
        for worker in self._procs:
            if worker.demo == demo and worker.alive:
                roles.setdefault(worker.role, []).append({"pid": worker.proc.pid, "ready": worker.ready})
        return roles

    def all_pids(self) -> list[int]:
        return [w.proc.pid for w in self._procs if w.alive]

    def stop_all(self) -> None:
        for worker in self._procs:
            if worker.alive:
                try:
                    worker.proc.terminate()  # all at once: graceful shutdowns overlap
                except ProcessLookupError:
                    pass
        for worker in self._procs:
            if worker.alive or proctree.descendants(worker.proc.pid):
                proctree.stop_tree(worker.proc, grace_s=5)
        self._procs = []

