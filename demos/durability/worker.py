"""The worker for the provisioning workflow, runnable as its own OS process (so it can be killed).

The scenario starts it as
    python -m demos.durability.worker --address HOST:PORT --namespace NS --task-queue TQ
TLS and API-key settings still come from the environment (TEMPORAL_TLS_*, TEMPORAL_API_KEY, profile).
Standalone (two-terminal way): `python -m demos.durability.worker` connects to $TEMPORAL_ADDRESS or
localhost:7233 and polls the "durability-demo" task queue.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import connect_from_env_config, connected_client
from demos.durability.activities import perform_step
from demos.durability.workflows import ProvisioningWorkflow

TASK_QUEUE = "durability-demo"
READY_LINE = "worker ready"  # printed once polling starts; the scenario waits for it


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ProvisioningWorkflow],
        activities=[perform_step],
        # Workers cache running workflows and the server routes their next task to the same worker
        # (a "sticky" queue). A killed worker never answers, so the server falls back to the shared
        # queue after this timeout (default 10 s); 2 s keeps the demo's recovery visible but short.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    )


@asynccontextmanager
async def _client(address: str | None, namespace: str | None) -> AsyncIterator[Client]:
    if address:
        yield await connect_from_env_config(address=address, namespace=namespace)
    else:
        async with connected_client(embedded_fallback=False, log=print) as client:
            yield client


async def serve(address: str | None, namespace: str | None, task_queue: str) -> None:
    """Poll until SIGTERM/SIGINT (graceful shutdown). SIGKILL, of course, gives no such chance."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with _client(address, namespace) as client:
        async with build_worker(client, task_queue):
            print(f"{READY_LINE}: pid {os.getpid()} polling task queue {task_queue!r}", flush=True)
            await stop.wait()
    print(f"worker pid {os.getpid()} stopped", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demos.durability.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="host:port of the Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)")
    parser.add_argument("--namespace", help="default: $TEMPORAL_NAMESPACE or 'default'")
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    raise SystemExit(run_standalone(lambda: serve(args.address, args.namespace, args.task_queue)))
