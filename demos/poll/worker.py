"""The poll's worker, runnable as its own OS process (so the demo can SIGKILL it mid-vote).

The scenario starts it as
    python -m demos.poll.worker --address HOST:PORT --namespace NS --task-queue TQ
TLS and API-key settings still come from the environment (TEMPORAL_TLS_*, TEMPORAL_API_KEY, profile).
Standalone (two-terminal way): `python -m demos.poll.worker` joins $TEMPORAL_ADDRESS or
localhost:7233 and polls the "poll" task queue.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import LOCAL_DEV_SERVER_ADDRESS, connect_from_env_config
from demos.durability.worker import READY_LINE  # the line demos.durability.processes waits for
from demos.poll.workflows import PollWorkflow

TASK_QUEUE = "poll"


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PollWorkflow],
        # A killed worker never answers its sticky queue: after this the server hands the poll's
        # next task (the waiting votes) to whichever worker polls the shared queue (default 10 s).
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    )


async def serve(address: str | None, namespace: str | None, task_queue: str) -> None:
    """Poll until SIGTERM/SIGINT (graceful shutdown). SIGKILL, of course, gives no such chance."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = await connect_from_env_config(address=address, namespace=namespace, default_address=LOCAL_DEV_SERVER_ADDRESS)
    async with build_worker(client, task_queue):
        print(f"{READY_LINE}: pid {os.getpid()} polling task queue {task_queue!r}", flush=True)
        await stop.wait()
    print(f"poll worker pid {os.getpid()} stopped", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demos.poll.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="host:port of the Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)")
    parser.add_argument("--namespace", help="default: $TEMPORAL_NAMESPACE or 'default'")
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    raise SystemExit(run_standalone(lambda: serve(args.address, args.namespace, args.task_queue)))
