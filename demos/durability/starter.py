"""Start the provisioning workflow, follow its side-effect log live, and check it afterwards.

Standalone (two-terminal way, next to `python -m demos.durability.worker`):
    python -m demos.durability.starter
Steps then take 3 s each: enough time to `kill -9` the worker and start another one by hand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

from temporalio.client import Client, WorkflowHandle

from demos.common.cli import run_standalone
from demos.common.connect import REPO_ROOT, connected_client
from demos.durability.activities import read_side_effects
from demos.durability.worker import TASK_QUEUE
from demos.durability.workflows import STEPS, ProvisioningReport, ProvisioningRequest, ProvisioningWorkflow


async def start_provisioning(client: Client, request: ProvisioningRequest, *, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(
        ProvisioningWorkflow.run,
        request,
        id=f"provision-{request.customer}-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        result_type=ProvisioningReport,
    )


@asynccontextmanager
async def following_side_effects(path: Path, log: Callable[[str], None], poll_s: float = 0.1) -> AsyncIterator[None]:
    """While inside, log every record the workers append, as they append it; on exit, the rest."""
    stop = asyncio.Event()

    async def follow() -> None:
        shown = 0
        while True:
            finished = stop.is_set()  # read before the file, so the final pass sees every record
            records = read_side_effects(path) if path.exists() else []
            for r in records[shown:]:
                log(f"  [pid {r['pid']}] step {r['step']} {r['name']} {r['event']} (attempt {r['attempt']})")
            shown = len(records)
            if finished:
                return
            try:
                await asyncio.wait_for(stop.wait(), poll_s)
            except asyncio.TimeoutError:
                pass

    follower = asyncio.create_task(follow())
    try:
        yield
    finally:
        stop.set()
        await follower


def side_effect_summary(records: list[dict]) -> list[dict]:
    """Per step: how often it started and completed, and which process(es) did what.

    completed == 1 for every step is the exactly-once claim for completed work; a step with more
    starts than completions was interrupted mid-flight and retried (at-least-once execution).
    """
    started = Counter(r["step"] for r in records if r["event"] == "started")
    completed = Counter(r["step"] for r in records if r["event"] == "completed")
    return [
        {
            "number": number,
            "name": name,
            "started": started[number],
            "completed": completed[number],
            "started_by_pids": [r["pid"] for r in records if r["step"] == number and r["event"] == "started"],
            "completed_by_pid": next((r["pid"] for r in records if r["step"] == number and r["event"] == "completed"), None),
        }
        for number, name in enumerate(STEPS, start=1)
    ]


async def main(client: Client | None = None) -> ProvisioningReport:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    # Under the repo's .temporal/ (not /tmp) so it is easy to find; the worker must see the same path.
    side_effect_log = REPO_ROOT / ".temporal" / "durability" / f"side-effects-{uuid.uuid4().hex[:8]}.jsonl"
    side_effect_log.parent.mkdir(parents=True, exist_ok=True)
    request = ProvisioningRequest(customer="acme", side_effect_log=str(side_effect_log), step_seconds=3.0)
    handle = await start_provisioning(client, request, task_queue=TASK_QUEUE)
    print(f"started {handle.id} on task queue {TASK_QUEUE!r}; side effects -> {side_effect_log}")
    print("kill -9 the worker while a step runs, then start a new one: the workflow carries on")
    async with following_side_effects(side_effect_log, print):
        report = await handle.result()
    for step in side_effect_summary(read_side_effects(side_effect_log)):
        print(f"step {step['number']} {step['name']}: started {step['started']}x, completed {step['completed']}x")
    return report


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
