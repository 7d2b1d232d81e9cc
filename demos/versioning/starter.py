"""Client side of the upgrade demo: start orders, approve them, show their versions, replay them.

Two-terminal use (TEMPORAL_ADDRESS pointing at e.g. `temporal server start-dev`), with
`python -m demos.versioning.worker --code v1` and later `--code v2` in other terminals
(the README walks through it, with the `temporal worker deployment` commands in between):

    python -m demos.versioning.starter start                 # prints the workflow id, waits at approval
    python -m demos.versioning.starter start --auto-upgrade  # the same, with an AUTO_UPGRADE override
    python -m demos.versioning.starter approve <id>          # prints the result, including its "path"
    python -m demos.versioning.starter versions <id>         # which version it started and finished on
    python -m demos.versioning.starter replay <id>           # replays the run against patched and unpatched v2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
import uuid
from dataclasses import asdict

from temporalio.client import Client, WorkflowHandle
from temporalio.common import AutoUpgradeVersioningOverride

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.server import DemoError
from demos.versioning.deployment import run_versions
from demos.versioning.model import AWAITING_APPROVAL, Order, OrderResult
from demos.versioning.replay import replay_failure
from demos.versioning.worker import TASK_QUEUE
from demos.versioning.workflows import OrderApproval
from demos.versioning.workflows_unpatched import OrderApprovalUnpatched


async def start_order(
    client: Client, order: Order, *, task_queue: str = TASK_QUEUE, auto_upgrade: bool = False, timeout: float = 15.0
) -> WorkflowHandle:
    """Start an order and return once it is parked waiting for approval (its mid-flight state).

    auto_upgrade: start it with an AUTO_UPGRADE versioning override. The workflow declares PINNED;
    the override, recorded on this one run, wins: the run moves to the Current Version at its next
    workflow task instead of staying on the version it started on."""
    handle = await client.start_workflow(
        OrderApproval.run,
        order,
        id=f"{order.order_id}-{uuid.uuid4().hex[:6]}",
        task_queue=task_queue,
        versioning_override=AutoUpgradeVersioningOverride() if auto_upgrade else None,
    )
    deadline = time.monotonic() + timeout
    # The status query is answered by whichever worker runs the workflow (the v1 one included:
    # the query's name is part of the workflow type, shared by all versions).
    while (status := await handle.query(OrderApproval.status)) != AWAITING_APPROVAL:
        if time.monotonic() > deadline:
            raise DemoError(f"{handle.id} did not reach {AWAITING_APPROVAL!r} within {timeout:g}s (status: {status})")
        await asyncio.sleep(0.1)
    return handle


async def approve(handle: WorkflowHandle, approver: str, *, timeout: float = 30.0) -> OrderResult:
    await handle.signal(OrderApproval.approve, approver)
    try:
        return await asyncio.wait_for(handle.result(), timeout)
    except asyncio.TimeoutError:
        # Incompatible code does not fail the run: its workflow task fails and is retried until
        # a fixed worker is deployed. To a caller that looks like a run that never finishes.
        raise DemoError(
            f"{handle.id} did not finish within {timeout:g}s of its approval; "
            "a worker log full of 'Nondeterminism error' would mean its code no longer fits the run's history"
        ) from None


async def replay_report(handle: WorkflowHandle, *, data_converter=None) -> dict[str, str | None]:
    """Replay the run's history against the current (patched) and the unpatched v2 code.
    Values are the replay error messages, None meaning the code replays the history cleanly."""
    history = await handle.fetch_history()
    return {
        name: _message(await replay_failure(history, workflow_class, data_converter=data_converter))
        for name, workflow_class in (("patched", OrderApproval), ("unpatched", OrderApprovalUnpatched))
    }


def _message(error: Exception | None) -> str | None:
    """`NondeterminismError: <core's message>`. The SDK wraps the core's message in a debug dump
    (`Workflow activation completion failed: Failure { failure: Some(Failure { message: "..." ...`);
    the quoted message is the part a person needs."""
    if error is None:
        return None
    core_message = re.search(r'message: "((?:[^"\\]|\\.)*)"', str(error))
    return f"{type(error).__name__}: {core_message.group(1) if core_message else error}"


async def main(client: Client | None = None, argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if client is not None:
        await _run_command(client, args)
        return
    if not os.environ.get("TEMPORAL_ADDRESS"):
        # An embedded server started here would have no worker (and none of the earlier runs).
        raise DemoError(
            "the starter talks to a server with a worker on it: set TEMPORAL_ADDRESS (e.g. localhost:7233 for "
            "`temporal server start-dev`) and run `python -m demos.versioning.worker`, or run `python -m demos.versioning`"
        )
    async with connected_client(embedded_fallback=False, log=print) as connected:
        await _run_command(connected, args)


async def _run_command(client: Client, args: argparse.Namespace) -> None:
    if args.command == "start":
        order = Order(order_id=f"order-{uuid.uuid4().hex[:4]}", customer=args.customer, amount_cents=round(args.amount * 100))
        handle = await start_order(client, order, task_queue=args.task_queue, auto_upgrade=args.auto_upgrade)
        versions = await run_versions(handle)
        print(f"started {handle.id} on {versions['started_on']} ({versions['behavior']}): {AWAITING_APPROVAL}")
        print(f"approve it with: python -m demos.versioning.starter approve {handle.id}")
    elif args.command == "approve":
        result = await approve(client.get_workflow_handle_for(OrderApproval.run, args.workflow_id), args.by)
        print(f"{args.workflow_id} finished on the {result.path} path: {asdict(result)}")
    elif args.command == "versions":
        versions = await run_versions(client.get_workflow_handle(args.workflow_id))
        print(f"{args.workflow_id}: {versions['behavior']}, started on {versions['started_on']}, "
              f"last workflow task on {versions['finished_on']} (describe: {versions['describe_version']})")
    else:
        report = await replay_report(client.get_workflow_handle(args.workflow_id), data_converter=client.data_converter)
        for name, error in report.items():
            print(f"replay against {name} v2: {'OK' if error is None else error}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demos.versioning.starter", description="start, approve, replay orders")
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start an order; it waits for approval")
    start.add_argument("--customer", default="Acme Corp")
    start.add_argument("--amount", type=float, default=129.0, help="order total in currency units")
    start.add_argument("--auto-upgrade", action="store_true", help="override the workflow's PINNED behavior for this run")
    approve_cmd = commands.add_parser("approve", help="approve an order and print its result")
    approve_cmd.add_argument("workflow_id")
    approve_cmd.add_argument("--by", default="ops lead")
    versions = commands.add_parser("versions", help="which Worker Deployment Version an order started and finished on")
    versions.add_argument("workflow_id")
    replay = commands.add_parser("replay", help="replay a finished order against patched and unpatched v2 code")
    replay.add_argument("workflow_id")
    return parser


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))  # errors as one line; no SDK teardown crash at exit
