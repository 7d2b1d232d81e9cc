"""Run ingestion workers: `python -m demos.ingestion.worker --role docs|ml|all`.

Roles are the point of the demo: a `docs` process runs the workflows and the document activities,
an `ml` process runs only embedding and summarisation, and either kind can be started as many
times as the load needs. An ML process runs at most `--ml-slots` model calls at once, each with a
simulated remote latency of `--ml-latency-ms` (see model_calls.py): every extra ML process adds
that many slots.
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
from demos.ingestion.activities import DOCS_ACTIVITIES, ModelCalls
from demos.ingestion.model_calls import DEFAULT_SHAPE, ModelCallShape
from demos.ingestion.models import Queues
from demos.ingestion.workflows import WORKFLOWS

ROLES = ("docs", "ml", "all")
DEFAULT_TASK_QUEUE = "ingestion"
# Printed on stdout once the workers poll; measure_throughput waits for it before timing.
READY = "ingestion worker ready"

# Document activities mostly wait on files and databases, so more of them can overlap.
DOCS_CONCURRENCY = 8


@asynccontextmanager
async def running_workers(
    client: Client, task_queue: str, role: str, shape: ModelCallShape = DEFAULT_SHAPE
) -> AsyncIterator[None]:
    """Workers for one role, polling until the block exits (then shut down gracefully).

    The ML worker takes at most `shape.slots` activities at a time: the per-worker cap a model
    provider imposes. Further tasks wait in the task queue for a free slot here or on another
    ML worker, which is what makes ML capacity grow with the number of ML processes."""
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
                activities=ModelCalls(shape).activities(),
                activity_executor=executor(shape.slots),
                max_concurrent_activities=shape.slots,
            )
        yield


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demos.ingestion.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--address", default=os.environ.get("TEMPORAL_ADDRESS") or "localhost:7233")
    parser.add_argument("--namespace", default=None, help="default: $TEMPORAL_NAMESPACE or 'default'")
    parser.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE, help="base name; activities use <name>-docs and <name>-ml")
    parser.add_argument("--role", choices=ROLES, default="all")
    parser.add_argument("--ml-latency-ms", type=int, default=DEFAULT_SHAPE.latency_ms, help="simulated remote latency per model call (default: %(default)s)")
    parser.add_argument("--ml-slots", type=int, default=DEFAULT_SHAPE.slots, help="model calls one ML worker runs at once (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.ml_latency_ms < 0 or args.ml_slots < 1:
        parser.error("--ml-latency-ms must be >= 0 and --ml-slots >= 1")
    shape = ModelCallShape(latency_ms=args.ml_latency_ms, slots=args.ml_slots)

    client = await connect_from_env_config(address=args.address, namespace=args.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_workers(client, args.task_queue, args.role, shape):
        print(f"{READY}: role={args.role} task_queue={args.task_queue} address={args.address} ({shape.describe()})", flush=True)
        await stop.wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1)
