"""Run ingestion workers: `python -m demos.ingestion.worker --role docs|ml|all`.

Roles are the point of the demo: a `docs` process runs the workflows and the document activities,
an `ml` process runs only embedding and summarisation, and either kind can be started as many
times as the load needs (each extra process adds a CPU core's worth of Python).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.connect import connect_from_env_config
from demos.common.server import DemoError
from demos.ingestion.activities import DOCS_ACTIVITIES, ML_ACTIVITIES
from demos.ingestion.models import Queues
from demos.ingestion.workflows import WORKFLOWS

ROLES = ("docs", "ml", "all")
DEFAULT_TASK_QUEUE = "ingestion"
# Printed on stdout once the workers poll; measure_throughput waits for it before timing.
READY = "ingestion worker ready"

# Document activities mostly wait on files and databases, so more of them can overlap.
DOCS_CONCURRENCY = 8
# ML activities are CPU-bound Python: threads of one process share the GIL, so a few threads only
# overlap the worker's own network work; more throughput means more processes.
ML_CONCURRENCY = 4


@asynccontextmanager
async def running_workers(client: Client, task_queue: str, role: str) -> AsyncIterator[None]:
    """Workers for one role, polling until the block exits (then shut down gracefully)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    queues = Queues.for_base(task_queue)
    async with AsyncExitStack() as stack:

        async def start(kind: str, **options: object) -> None:
            # The identity names the worker kind, so a history shows which kind ran each activity.
            identity = f"{client.identity}/{kind}"
            await stack.enter_async_context(Worker(client, identity=identity, **options))  # type: ignore[arg-type]

        def executor(threads: int) -> ThreadPoolExecutor:
            return stack.enter_context(ThreadPoolExecutor(threads, thread_name_prefix=f"ingestion-{role}"))

        if role in ("docs", "all"):
            await start("workflows", task_queue=queues.workflows, workflows=WORKFLOWS)
            await start(
                "docs",
                task_queue=queues.docs,
                activities=DOCS_ACTIVITIES,
                activity_executor=executor(DOCS_CONCURRENCY),
                max_concurrent_activities=DOCS_CONCURRENCY,
            )
        if role in ("ml", "all"):
            await start(
                "ml",
                task_queue=queues.ml,
                activities=ML_ACTIVITIES,
                activity_executor=executor(ML_CONCURRENCY),
                max_concurrent_activities=ML_CONCURRENCY,
            )
        yield


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demos.ingestion.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--address", default=os.environ.get("TEMPORAL_ADDRESS") or "localhost:7233")
    parser.add_argument("--namespace", default=None, help="default: $TEMPORAL_NAMESPACE or 'default'")
    parser.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE, help="base name; activities use <name>-docs and <name>-ml")
    parser.add_argument("--role", choices=ROLES, default="all")
    args = parser.parse_args(argv)

    client = await connect_from_env_config(address=args.address, namespace=args.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_workers(client, args.task_queue, args.role):
        print(f"{READY}: role={args.role} task_queue={args.task_queue} address={args.address}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1)
