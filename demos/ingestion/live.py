"""Present mode: the ingestion pipeline on its own corpus, with a document worker and one ML worker
process whose model calls have the shape of remote ones (simulated latency, one slot per worker).
"+1 worker" starts another ML process while the run goes on: the documents/s on the slide rises,
because the waiting embedding calls now have more slots."""

from __future__ import annotations

import time
import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from demos.common.connect import REPO_ROOT
from demos.ingestion.corpus import default_corpus
from demos.ingestion.models import CorpusJob, Queues, StoreConfig
from demos.ingestion.worker import running_workers
from demos.ingestion.workflows import IngestCorpusWorkflow

WORKERS = {
    "docs": lambda client, task_queue: running_workers(client, task_queue, "docs"),
    "ml": lambda client, task_queue: running_workers(client, task_queue, "ml"),
}
SCALE_ROLE = "ml"
DATA_DIR = REPO_ROOT / ".temporal" / "present-ingestion"


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    corpus = default_corpus()
    run = uuid.uuid4().hex[:8]
    store = StoreConfig.in_directory(str(DATA_DIR / run))  # a fresh store: every document is new work
    job = CorpusJob(corpus_dir=str(corpus.directory), pattern=corpus.pattern, store=store, queues=Queues.for_base(task_queue))
    return await client.start_workflow(IngestCorpusWorkflow.run, job, id=f"ingestion-{run}", task_queue=task_queue)


async def snapshot(client: Client, handle: WorkflowHandle) -> dict:
    """Documents done so far and the rate over the last few seconds, from the parent's history."""
    done: list[float] = []
    started = None
    async for event in handle.fetch_history_events():
        at = event.event_time.ToDatetime().timestamp()
        started = started or at
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            done.append(at)
    total = len(default_corpus().files())
    now = time.time()
    recent = [t for t in done if now - t <= 6.0]
    lines = [f"documents ingested: {len(done)} of {total}"]
    if done and started:
        lines.append(f"overall: {len(done) / max(done[-1] - started, 0.1):.1f} documents/s; last 6 s: {len(recent) / 6.0:.1f}/s")
    return {"lines": lines}
