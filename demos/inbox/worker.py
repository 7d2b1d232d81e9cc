"""The inbox worker: runs InboxWorkflow and the notify activity on TASK_QUEUE.

Standalone: `python -m demos.inbox.worker` (set TEMPORAL_ADDRESS to join a running server, e.g.
`temporal server start-dev`; unset, it starts an embedded dev server of its own).
"""

from __future__ import annotations

import asyncio
import logging

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.inbox.activities import notify
from demos.inbox.workflows import InboxWorkflow

TASK_QUEUE = "ceo-inbox"


def make_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[InboxWorkflow], activities=[notify])


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        print(f"inbox worker polling task queue {TASK_QUEUE!r}; Ctrl+C to stop")
        await run_until_stopped(make_worker(client))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # shows what the activities log
    asyncio.run(main())
