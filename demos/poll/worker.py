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
import logging
import os
import signal
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import LOCAL_DEV_SERVER_ADDRESS, connect_from_env_config
from demos.durability.worker import READY_LINE  # the line demos.durability.processes waits for
from demos.poll.workflows import PollWorkflow

TASK_QUEUE = "poll"
MAX_NUDGED = 100  # open polls a starting worker nudges (a talk has one or two)
log = logging.getLogger(__name__)


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PollWorkflow],
        # A killed worker never answers its sticky queue: after this the server hands the poll's
        # next task (the waiting votes) to whichever worker polls the shared queue (default 10 s).
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    )


async def nudge_open_polls(client: Client, task_queue: str) -> int:
    """Signal `nudge` to every open poll on this task queue; returns how many.

    Why: a worker SIGKILLed while it held a poll's workflow task leaves that task, and the votes
    waiting with it, on the dead worker's own (sticky) queue. Votes are updates, and an update
    sent to a workflow with no other work pending rides a task the server keeps in memory only
    (a "speculative" workflow task); measured here on the dev server, while votes keep arriving
    those kept going to the dead worker's queue for 10 to 40 s. A signal makes the server write an
    ordinary workflow task, which leaves a queue nobody polls after the sticky timeout (2 s
    below) and reaches this worker with every waiting vote. One history event per restart.
    """
    query = f'WorkflowType = "PollWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "{task_queue}"'
    nudged = 0
    try:
        async for execution in client.list_workflows(query, limit=MAX_NUDGED):
            try:
                await client.get_workflow_handle(execution.id, run_id=execution.run_id).signal(PollWorkflow.nudge)
                nudged += 1
            except RPCError as err:  # completed meanwhile: nothing to nudge
                log.info("poll %s not nudged: %s", execution.id, err.message)
    except RPCError as err:  # no visibility on this server: the polls recover on the server's own timeouts
        log.warning("could not list the open polls to nudge: %s", err.message)
    return nudged


@asynccontextmanager
async def running_worker(client: Client, task_queue: str = TASK_QUEUE) -> AsyncIterator[Worker]:
    """The poll worker, polling; once it polls, the open polls are nudged to come to it."""
    async with build_worker(client, task_queue) as worker:
        worker.nudged = await nudge_open_polls(client, task_queue)  # type: ignore[attr-defined]
        yield worker


async def serve(address: str | None, namespace: str | None, task_queue: str) -> None:
    """Poll until SIGTERM/SIGINT (graceful shutdown). SIGKILL, of course, gives no such chance."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = await connect_from_env_config(address=address, namespace=namespace, default_address=LOCAL_DEV_SERVER_ADDRESS)
    async with running_worker(client, task_queue) as worker:
        print(f"{READY_LINE}: pid {os.getpid()} polling task queue {task_queue!r}; nudged {worker.nudged} open poll(s)", flush=True)
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
