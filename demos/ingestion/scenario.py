"""The ingestion demo as the deck runs it: ingest the talk's own slides with a document worker and
an ML worker on separate task queues, answer a question from them, then time the same ingestion
with one and with two worker processes."""

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
from demos.ingestion.models import CorpusJob, Queues, StoreConfig, configured_pg_dsn
from demos.ingestion.stores import backend_name
from demos.ingestion.starter import DEFAULT_QUERY, ingest, search
from demos.ingestion.throughput import measure_throughput, ml_cpu_seconds
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


async def run(
    client: Client,
    *,
    task_queue: str,
    log: Log,
    corpus: Corpus | None = None,
    query: str = DEFAULT_QUERY,
    worker_counts: tuple[int, ...] = (1, 2),
    throughput_rounds: int = 3,
) -> ScenarioResult:
    corpus = corpus or default_corpus()
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="ingestion-") as data_dir:
        # A fresh store per run, so the counts on the slide are this corpus's and nothing older.
        store = StoreConfig.in_directory(data_dir, pg_dsn=configured_pg_dsn())
        async with running_workers(client, task_queue, "docs"), running_workers(client, task_queue, "ml"):
            log(f"ingesting {len(corpus.files())} files from {corpus.directory} ({corpus.pattern}) into {backend_name(store)}")
            ingest_id = f"ingestion-{run_id}"
            report = await ingest(client, corpus=corpus, store=store, task_queue=task_queue, workflow_id=ingest_id)
            log(f"ingested {report.documents} documents, {report.chunks} chunks, {report.edges} edges ({report.store})")
            search_id = f"ingestion-search-{run_id}"
            answer = await search(client, query=query, store=store, task_queue=task_queue, workflow_id=search_id)
            for hit in answer.hits:
                log(f"  {hit.score:.3f} {hit.source_path}#{hit.ordinal}")

    throughput = []
    for workers in worker_counts:
        log(f"timing the ingestion with {workers} worker process(es)")
        measured = await measure_throughput(
            client, task_queue=task_queue, corpus=corpus, workers=workers, rounds=throughput_rounds
        )
        log(f"  {measured['documents_per_second']} documents/s, {measured['chunks_per_second']} chunks/s")
        throughput.append(measured)

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
                "runs": throughput,
                "speedup": _speedup(throughput),
                "method": (
                    f"median of {throughput_rounds} ingestions of the corpus per run, each into a fresh "
                    "SQLite store; every worker process runs all roles (python -m demos.ingestion.worker "
                    "--role all); the dev server runs on the same machine"
                ),
                "cpu_count": os.cpu_count(),
                # The same ML work without Temporal, in one thread: the part of a run that is computation.
                "ml_work_in_process": ml_cpu_seconds(corpus),
            },
        },
        other_runs=[(search_id, search_run)],
    )


def _speedup(runs: list[dict]) -> float | None:
    """chunks/s of the run with the most processes over the run with the fewest."""
    if len(runs) < 2:
        return None
    fewest, most = min(runs, key=lambda r: r["worker_processes"]), max(runs, key=lambda r: r["worker_processes"])
    return round(most["chunks_per_second"] / fewest["chunks_per_second"], 2)


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:  # a corpus outside the repository (tests use a temporary one)
        return str(path)
