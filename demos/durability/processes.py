"""Worker OS processes the scenario can start and kill, and never leaves behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from temporalio.client import Client

from demos.common.connect import client_address
from demos.durability.worker import READY_LINE

REPO_ROOT = Path(__file__).resolve().parents[2]


class WorkerProcessError(Exception):
    """A worker process died on its own or never became ready: carries the end of its output."""


@dataclass
class WorkerProcess:
    process: asyncio.subprocess.Process
    output_path: Path  # stdout+stderr of the process, for diagnosis
    started_at: float  # epoch seconds

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def output_tail(self, lines: int = 15) -> str:
        text = self.output_path.read_text(encoding="utf-8", errors="replace") if self.output_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if not self.alive:
            raise WorkerProcessError(
                f"worker pid {self.pid} exited with code {self.process.returncode}:\n{self.output_tail()}"
            )

    async def kill(self) -> float:
        """SIGKILL: no shutdown hook, no goodbye to the server, in-flight work simply stops."""
        with contextlib.suppress(ProcessLookupError):  # already gone on its own
            self.process.send_signal(signal.SIGKILL)
        killed_at = time.time()
        await self.process.wait()
        return killed_at

    async def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM (graceful: the worker tells the server it is leaving), then SIGKILL if it hangs."""
        if not self.alive:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), grace_s)
        except asyncio.TimeoutError:
            await self.kill()


class WorkerProcesses:
    """`python -m demos.durability.worker` processes joined to the scenario's server and task queue.

    Used as `async with`: every process started is stopped on exit, whatever happened.
    """

    def __init__(self, *, address: str, namespace: str, task_queue: str, output_dir: Path) -> None:
        self._command = [
            sys.executable, "-m", "demos.durability.worker",
            "--address", address,
            "--namespace", namespace,
            "--task-queue", task_queue,
        ]  # fmt: skip
        self._output_dir = output_dir
        self._started: list[WorkerProcess] = []

    @classmethod
    def joining(cls, client: Client, task_queue: str, output_dir: Path) -> WorkerProcesses:
        """Workers on the same server and namespace as `client`."""
        return cls(address=client_address(client), namespace=client.namespace, task_queue=task_queue, output_dir=output_dir)

    async def __aenter__(self) -> WorkerProcesses:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await asyncio.gather(*(worker.stop() for worker in self._started))
        finally:
            # Cancelled while stopping (Ctrl-C, a test timeout): no time for grace, but no orphans either.
            for worker in self._started:
                if worker.alive:
                    with contextlib.suppress(ProcessLookupError):
                        worker.process.kill()

    async def start(self, ready_timeout_s: float = 20.0) -> WorkerProcess:
        """Start a worker and return once it reports it is polling."""
        output_path = self._output_dir / f"worker-{len(self._started) + 1}.log"
        with output_path.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *self._command,
                cwd=REPO_ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
            )
        worker = WorkerProcess(process, output_path, started_at=time.time())
        self._started.append(worker)
        deadline = time.monotonic() + ready_timeout_s
        while READY_LINE not in worker.output_tail():
            worker.check_alive()
            if time.monotonic() > deadline:
                raise WorkerProcessError(f"worker pid {worker.pid} not ready after {ready_timeout_s:g}s:\n{worker.output_tail()}")
            await asyncio.sleep(0.05)
        return worker
