"""What every standalone `python -m demos.<name>.worker` shares: run until told to stop."""

from __future__ import annotations

import asyncio
import signal

from temporalio.worker import Worker


async def run_until_stopped(worker: Worker) -> None:
    """Run the worker until Ctrl+C or SIGTERM (what a container stop sends), then shut it down
    gracefully: it stops polling and lets in-flight activities finish. Its open workflows lose
    nothing; whichever worker polls next picks them up from their history."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        await stop.wait()
    print("worker stopped")
