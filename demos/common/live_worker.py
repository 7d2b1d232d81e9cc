"""`python -m demos.common.live_worker --demo NAME --role ROLE ...`: one worker process of a demo's live
mode (see demos/common/live.py). Present mode starts these, kills them on stage, and stops them."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from demos.common.connect import connect_from_env_config
from demos.common.live import READY_LINE, load_live
from demos.common.process_exit import exit_without_teardown
from demos.common.server import DemoError


async def serve(args: argparse.Namespace) -> None:
    live = load_live(args.demo)
    if live is None or args.role not in live.WORKERS:
        raise DemoError(f"demo {args.demo!r} has no live worker role {args.role!r}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = await connect_from_env_config(address=args.address, namespace=args.namespace)
    async with live.WORKERS[args.role](client, args.task_queue):
        print(f"{READY_LINE}: {args.demo}/{args.role} pid {os.getpid()} on {args.task_queue!r}", flush=True)
        await stop.wait()
    print(f"worker pid {os.getpid()} stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demos.common.live_worker", description=__doc__.splitlines()[0])
    parser.add_argument("--demo", required=True)
    parser.add_argument("--role", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
        code = 0
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    exit_without_teardown(code)


if __name__ == "__main__":
    main()
