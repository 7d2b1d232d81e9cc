"""The human side of the inbox: senders drop items in, the CEO checks the priority list and decides.

One session, step by step:
  1. start the inbox (escalation deadline: a few seconds, so the demo can watch the timer fire)
  2. four senders each signal an item, lowest priority first
  3. query the prioritized list
  4. approve the top item by signal; refine one by update; send an update the validator rejects;
     escalate the trivial one by signal
  5. decide nothing on the outage postmortem: its deadline timer escalates it
  6. close the inbox; the result is the decision trail

Standalone: `python -m demos.inbox.starter` with a worker (`python -m demos.inbox.worker`) on the
same server, TEMPORAL_ADDRESS pointing at it.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import asdict
from typing import Awaitable, Callable, TypeVar

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from demos.common.connect import connected_client
from demos.common.scenario import Log, ScenarioResult
from demos.common.server import DemoError
from demos.inbox.model import APPROVE, ESCALATE, REFINE, TIMER, DecisionRequest, InboxParams, NewItem
from demos.inbox.worker import TASK_QUEUE
from demos.inbox.workflows import InboxWorkflow

# Long enough for the scripted decisions to land first, short enough to watch the timer fire.
DEMO_DEADLINE_SECONDS = 5.0
CEO = "CEO"

OFFSITE = NewItem(id="offsite", title="Offsite venue options", sender="Executive Assistant", urgency=1, importance=1)
POSTMORTEM = NewItem(id="postmortem", title="Customer outage postmortem", sender="CTO", urgency=3, importance=2)
HIRE = NewItem(id="vp-sales", title="VP Sales: final candidate", sender="Head of People", urgency=2, importance=3)
BUDGET = NewItem(id="q3-budget", title="Sign off Q3 budget", sender="CFO", urgency=3, importance=3)
# Sent lowest priority first, so the query visibly reorders them. POSTMORTEM and HIRE tie on
# score (6): POSTMORTEM arrived first, so it ranks first.
ITEMS = [OFFSITE, POSTMORTEM, HIRE, BUDGET]

T = TypeVar("T")


async def run_session(
    client: Client, *, task_queue: str, log: Log, escalate_after_seconds: float = DEMO_DEADLINE_SECONDS
) -> ScenarioResult:
    params = InboxParams(owner=CEO, escalate_after_seconds=escalate_after_seconds)
    handle = await client.start_workflow(
        InboxWorkflow.run, params, id=f"ceo-inbox-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    log(f"started inbox {handle.id}: undecided items escalate after {escalate_after_seconds:g}s")

    for item in ITEMS:
        await handle.signal(InboxWorkflow.add_item, item)
        log(f"signal add_item: {item.title!r} from {item.sender} (urgency {item.urgency}, importance {item.importance})")

    # A signal returns once the server has it, before the workflow has handled it: wait until the
    # workflow's own view has all items before showing the list.
    snapshot = await poll_until(
        lambda: handle.query(InboxWorkflow.prioritized), lambda items: len(items) == len(ITEMS), "all items in the inbox"
    )
    log("query prioritized (urgency x importance, oldest first on ties):")
    for rank, item in enumerate(snapshot, start=1):
        log(f"  {rank}. [{item.score}] {item.title} ({item.sender})")

    await handle.signal(InboxWorkflow.submit_decision, DecisionRequest(BUDGET.id, APPROVE, by=CEO))
    log(f"signal submit_decision: {CEO} approves {BUDGET.title!r}")

    refined = await handle.execute_update(
        InboxWorkflow.decide, DecisionRequest(HIRE.id, REFINE, by=CEO, note="Get a second reference first")
    )
    log(f"update decide: {refined.by} refines {refined.item!r} ({refined.note}), recorded at {refined.at}")

    rejected_message = await _rejected_update(handle, DecisionRequest(POSTMORTEM.id, REFINE, by=CEO))
    rejected_at = time.time()
    log(f"update decide (refine without a note) rejected by the validator: {rejected_message}")

    await handle.signal(
        InboxWorkflow.submit_decision, DecisionRequest(OFFSITE.id, ESCALATE, by=CEO, note="Chief of Staff picks")
    )
    log(f"signal submit_decision: {CEO} escalates {OFFSITE.title!r}")

    log(f"nobody decides {POSTMORTEM.title!r}: waiting for its {escalate_after_seconds:g}s timer")
    await poll_until(
        lambda: handle.query(InboxWorkflow.trail),
        lambda trail: any(d.item_id == POSTMORTEM.id for d in trail),
        "the deadline timer to escalate the postmortem",
        timeout=escalate_after_seconds + 15,
    )

    await handle.signal(InboxWorkflow.close_inbox)
    try:
        trail = await asyncio.wait_for(handle.result(), timeout=30)
    except asyncio.TimeoutError:
        raise DemoError(f"{handle.id} did not finish within 30s of close_inbox") from None
    log("signal close_inbox: decision trail")
    for decision in trail:
        note = f": {decision.note}" if decision.note else ""
        log(f"  {decision.at}  {decision.action:<8} {decision.item:<28} by {decision.by}{note}")

    decided_by_timer = [d.item_id for d in trail if d.by == TIMER]
    if decided_by_timer != [POSTMORTEM.id]:
        # The scripted decisions must land before the deadline; on a badly overloaded machine they
        # may not, and a deck showing the wrong story is worse than a failed build.
        raise DemoError(f"expected only {POSTMORTEM.id!r} to be escalated by the timer, got {decided_by_timer}")

    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id or "",
        input={"params": asdict(params), "items": [asdict(item) for item in ITEMS]},
        result=[asdict(decision) for decision in trail],
        extra={
            "prioritized": [asdict(item) for item in snapshot],
            "rejected_update": rejected_message,
            "trail": [asdict(decision) for decision in trail],
        },
        # A rejected update never reaches the history; the story picture shows it from here.
        annotations=[{"kind": "rejected", "at": rejected_at, "name": "update decide", "reason": re.sub(r"^\w+Error: ", "", rejected_message)}],
    )


async def _rejected_update(handle: WorkflowHandle, request: DecisionRequest) -> str:
    """Send an update the validator must reject; return the rejection message."""
    try:
        await handle.execute_update(InboxWorkflow.decide, request)
    except WorkflowUpdateFailedError as err:
        return str(err.cause)  # the validator's exception, as an ApplicationError
    raise DemoError(f"the inbox accepted an invalid decision: {request}")


async def poll_until(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], what: str, timeout: float = 10.0) -> T:
    """Query until `done` holds: queries are cheap, read-only status checks (nothing is written to
    history), which is what a dashboard or a person refreshing a page does."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.2)


async def main(client: Client | None = None) -> ScenarioResult:
    if client is not None:
        return await run_session(client, task_queue=TASK_QUEUE, log=print)
    # The two-terminal way: join the server the worker uses ($TEMPORAL_ADDRESS or localhost:7233,
    # i.e. `temporal server start-dev`); a private embedded server here would have no worker.
    async with connected_client(embedded_fallback=False, log=print) as connected:
        return await run_session(connected, task_queue=TASK_QUEUE, log=print)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except DemoError as err:
        raise SystemExit(f"error: {err}")
