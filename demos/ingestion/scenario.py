"""The ingestion demo as the deck runs it: ingest the demo's own corpus with a document worker and
ML workers on separate task queues, answer a question from it, then time the same ingestion with
1, 2 and 4 ML worker processes, the model calls shaped like remote ones (simulated latency, slots
per worker: model_calls.py)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from pathlib import Path

from temporalio.client import Client

from demos.common.scenario import Log, ScenarioResult
from demos.ingestion import embedder, summarizer
from demos.ingestion.corpus import REPO_ROOT, Corpus, default_corpus
from demos.ingestion.model_calls import DEFAULT_SHAPE, ModelCallShape
from demos.ingestion.models import CorpusJob, Queues, StoreConfig, configured_pg_dsn
from demos.ingestion.stores import backend_name
from demos.ingestion.starter import DEFAULT_QUERY, ingest, search
from demos.ingestion.throughput import measure_scaling, ml_work, speedups
from demos.ingestion.worker import running_workers
from demos.ingestion.workflows import WORKFLOWS as INGESTION_WORKFLOWS

TITLE = "Document ingestion: upload → chunk → embed → store → metadata, on specialised workers"
CLAIMS = [
    "Document ingestion pipeline: Upload → chunk → embed → store → metadata",
    "LLM summarization, embedding, graph writing, file storage as activities",
    "Workers can be specialized (e.g., LLM calls vs doc processing)",
    "Activities scale horizontally (CPU/LLM heavy work separated)",
    "Performance in My System",
]
WORKFLOWS = INGESTION_WORKFLOWS
# The ingestion the demo slide shows runs its ML worker in this process with more slots than the
# measured shape (the slide is about the pipeline and its answer, and this keeps the demo quick);
# the measurement starts its own processes with the shape as given.
SCENARIO_ML_SLOTS = 8


async def run(
    client: Client,
    *,
    task_queue: str,
    log: Log,
    corpus: Corpus | None = None,
    query: str = DEFAULT_QUERY,
    ml_worker_counts: tuple[int, ...] = (1, 2, 4),
    throughput_rounds: int = 3,
    shape: ModelCallShape = DEFAULT_SHAPE,
) -> ScenarioResult:
    corpus = corpus or default_corpus()
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="ingestion-") as data_dir:
        # A fresh store per run, so the counts on the slide are this corpus's and nothing older.
        store = StoreConfig.in_directory(data_dir, pg_dsn=configured_pg_dsn())
        scenario_shape = dataclasses.replace(shape, slots=max(shape.slots, SCENARIO_ML_SLOTS))
        async with running_workers(client, task_queue, "docs"), running_workers(client, task_queue, "ml", scenario_shape):
            log(f"ingesting {len(corpus.files())} files from {_display_path(corpus.directory)} ({corpus.pattern}) into {backend_name(store)}")
            ingest_id = f"ingestion-{run_id}"
            report = await ingest(client, corpus=corpus, store=store, task_queue=task_queue, workflow_id=ingest_id)
            log(f"ingested {report.documents} documents, {report.chunks} chunks, {report.edges} edges ({report.store})")
            search_id = f"ingestion-search-{run_id}"
            answer = await search(client, query=query, store=store, task_queue=task_queue, workflow_id=search_id)
            for hit in answer.hits:
                log(f"  {hit.score:.3f} {hit.source_path}#{hit.ordinal}")

    load_before = _load_average()
    counts = ", ".join(map(str, ml_worker_counts))
    log(f"timing the ingestion with {counts} ML worker processes ({shape.describe()}), {throughput_rounds} rounds each")
    runs = await measure_scaling(
        client, task_queue=task_queue, corpus=corpus, ml_workers=ml_worker_counts, rounds=throughput_rounds, shape=shape
    )
    for measured in runs:
        log(f"  {measured['ml_worker_processes']} ML worker process(es): {measured['documents_per_second']} documents/s (rounds {measured['round_seconds']} s)")

    ingest_handle = client.get_workflow_handle(ingest_id)
    search_handle = client.get_workflow_handle(search_id)
    ingest_run = (await ingest_handle.describe()).run_id
    search_run = (await search_handle.describe()).run_id
    job = CorpusJob(str(corpus.directory), corpus.pattern, store, Queues.for_base(task_queue))
    return ScenarioResult(
        workflow_id=ingest_id,
        run_id=ingest_run,
        # The input as the slide shows it: the corpus relative to the repository and the store by
        # kind, not the machine-specific temporary paths (nor a DSN's credentials).
        input={
            **dataclasses.asdict(job),
            "corpus_dir": _display_path(corpus.directory),
            "store": {"backend": report.store},
        },
        result=dataclasses.asdict(answer),
        extra={
            "query": query,
            "counts": {"documents": report.documents, "chunks": report.chunks, "edges": report.edges},
            "stored": dataclasses.asdict(report.stored),
            "documents": [
                {"source_path": r.source_path, "title": r.title, "chunks": r.chunks, "summary": r.summary}
                for r in report.reports
            ],
            "store": report.store,
            "embedder": {"name": embedder.NAME, "description": embedder.DESCRIPTION},
            "summarizer": {"name": summarizer.NAME, "description": summarizer.DESCRIPTION},
            "task_queues": dataclasses.asdict(Queues.for_base(task_queue)),
            "throughput": {
                "runs": runs,
                # documents/s over the 1-ML-worker run's, keyed by the number of ML worker processes
                "speedup": speedups(runs),
                "setup": {
                    "cpu_count": os.cpu_count(),
                    "documents": report.documents,
                    "chunks": report.chunks,
                    "rounds": throughput_rounds,
                    "latency_ms": shape.latency_ms,
                    "slots_per_worker": shape.slots,
                    "docs_worker_processes": 1,
                    "store": "sqlite",
                    # The machine's 1-minute load average before and after: how busy it was besides.
                    "load_average": [load_before, _load_average()],
                },
                "method": (
                    f"median of {throughput_rounds} ingestions of the whole corpus per ML worker count, rounds "
                    "interleaved across the counts, each into a fresh SQLite store; one document worker process "
                    "(python -m demos.ingestion.worker --role docs) and N ML worker processes (--role ml) per "
                    f"count; every model call waits a simulated {shape.latency_ms} ms (the remote round trip) "
                    f"and an ML worker runs at most {shape.slots} at once (max_concurrent_activities); the dev "
                    "server runs on the same machine"
                ),
                # The model calls' local computation without Temporal or latency: what the stand-ins cost.
                "ml_work": ml_work(corpus),
            },
        },
        other_runs=[(search_id, search_run)],
    )


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:  # not available on this platform
        return None


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:  # a corpus outside the repository (tests use a temporary one)
        return str(path)
