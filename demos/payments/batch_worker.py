"""The batch worker: polls the batch queue for the settlement activity only. It runs as its own OS
process (so the scenario can kill it); real-time payments never wait behind batch work.

The scenario starts it as
    python -m demos.payments.batch_worker --address HOST:PORT --namespace NS --task-queue TQ
Standalone: `python -m demos.payments.batch_worker` joins $TEMPORAL_ADDRESS or localhost:7233 and
polls "batch-reporting".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import timedelta

from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import LOCAL_DEV_SERVER_ADDRESS, connect_from_env_config
from demos.durability.worker import READY_LINE  # the line demos.durability.processes waits for
from demos.payments.activities import settle_batch
from demos.payments.worker import BATCH_TASK_QUEUE


def build_batch_worker(client, task_queue: str = BATCH_TASK_QUEUE) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        activities=[settle_batch],
        # The SDK batches heartbeats (by default up to 80% of the heartbeat timeout). Sending them
        # within 0.1 s keeps the server's copy of the progress fresh, so a resumed attempt redoes
        # at most the item that was in flight.
        max_heartbeat_throttle_interval=timedelta(milliseconds=100),
        default_heartbeat_throttle_interval=timedelta(milliseconds=100),
    )


async def serve(address: str | None, namespace: str | None, task_queue: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = await connect_from_env_config(address=address, namespace=namespace, default_address=LOCAL_DEV_SERVER_ADDRESS)
    async with build_batch_worker(client, task_queue):
        print(f"{READY_LINE}: pid {os.getpid()} polling task queue {task_queue!r}", flush=True)
        await stop.wait()
    print(f"batch worker pid {os.getpid()} stopped", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demos.payments.batch_worker", description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="host:port of the Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)")
    parser.add_argument("--namespace", help="default: $TEMPORAL_NAMESPACE or 'default'")
    parser.add_argument("--task-queue", default=BATCH_TASK_QUEUE)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    raise SystemExit(run_standalone(lambda: serve(args.address, args.namespace, args.task_queue)))
