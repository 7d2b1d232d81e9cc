"""Poll worker processes the scenario, the tests and the benchmark can start and SIGKILL:
demos.durability.processes, reused, pointed at `python -m demos.poll.worker` (same ready line, same
no-orphans guarantee)."""

from __future__ import annotations

import sys
from pathlib import Path

from temporalio.client import Client

from demos.common.connect import client_address
from demos.durability.processes import WorkerProcess, WorkerProcesses, WorkerProcessError

__all__ = ["PollWorkerProcesses", "WorkerProcess", "WorkerProcessError"]


class PollWorkerProcesses(WorkerProcesses):
    def __init__(self, *, address: str, namespace: str, task_queue: str, output_dir: Path) -> None:
        super().__init__(address=address, namespace=namespace, task_queue=task_queue, output_dir=output_dir)
        self._command = [
            sys.executable, "-m", "demos.poll.worker",
            "--address", address, "--namespace", namespace, "--task-queue", task_queue,
        ]  # fmt: skip

    @classmethod
    def joining(cls, client: Client, task_queue: str, output_dir: Path) -> PollWorkerProcesses:
        return cls(address=client_address(client), namespace=client.namespace, task_queue=task_queue, output_dir=output_dir)
