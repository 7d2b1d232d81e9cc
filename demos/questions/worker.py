"""The questions board's worker, runnable as its own OS process (so it can be SIGKILLed mid-storm).

Present mode starts it in share mode as `python -m demos.common.live_worker --demo questions --role
worker ...` (see live.py); standalone (two-terminal way): `python -m demos.questions.worker` joins
$TEMPORAL_ADDRESS or localhost:7233 and polls the "questions" task queue.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import LOCAL_DEV_SERVER_ADDRESS
from demos.questions.workflows import QuestionsWorkflow

TASK_QUEUE = "questions"
log = logging.getLogger(__name__)


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[QuestionsWorkflow],
        # A killed worker never answers its sticky queue: after this the server hands the board's
        # next task (the waiting asks and upvotes) to whichever worker polls the shared queue.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    )


async def nudge_open_boards(client: Client, task_queue: str) -> int:
    """Signal `nudge` to the open boards on this task queue, returning how many: the updates a
    SIGKILLed worker held wait on its own (sticky) queue, and a signal makes the server write an
    ordinary workflow task that reaches this worker with all of them (measured for the poll, whose
    worker does the same: demos/poll/worker.py explains it)."""
    query = f'WorkflowType = "QuestionsWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "{task_queue}"'
    boards = []
    try:
        boards = [b async for b in client.list_workflows(query, limit=20)]
    except RPCError as err:  # no visibility on this server: the boards recover on the server's own timeouts
        log.warning("could not list the open question boards to nudge: %s", err.message)
    results = await asyncio.gather(*(client.get_workflow_handle(b.id, run_id=b.run_id).signal(QuestionsWorkflow.nudge) for b in boards),
                                   return_exceptions=True)
    return sum(not isinstance(r, BaseException) for r in results)


@asynccontextmanager
async def running_worker(client: Client, task_queue: str = TASK_QUEUE) -> AsyncIterator[Worker]:
    """The board's worker, polling; once it polls, the open boards are nudged to come to it."""
    async with build_worker(client, task_queue) as worker:
        worker.nudged = await nudge_open_boards(client, task_queue)  # type: ignore[attr-defined]
        yield worker


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demos.questions.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="host:port of the Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)")
    parser.add_argument("--namespace", help="default: $TEMPORAL_NAMESPACE or 'default'")
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    args = parser.parse_args(argv)
    args.address = args.address or os.environ.get("TEMPORAL_ADDRESS") or LOCAL_DEV_SERVER_ADDRESS
    args.demo, args.role = "questions", "worker"  # what present mode runs: live.py's one role
    return args


if __name__ == "__main__":
    from demos.common.live_worker import serve  # polls until SIGTERM/SIGINT, as present mode's worker does

    arguments = parse_args()
    raise SystemExit(run_standalone(lambda: serve(arguments)))
