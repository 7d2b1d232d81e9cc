"""Ingest a corpus, then ask it a question: `python -m demos.ingestion.starter`.

Needs workers on the same task queue (`python -m demos.ingestion.worker --role docs` and
`--role ml`, or one `--role all`) and a Temporal server (default localhost:7233).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from pathlib import Path

from temporalio.client import Client

from demos.common.connect import connect_from_env_config
from demos.ingestion.corpus import REPO_ROOT, Corpus, default_corpus
from demos.ingestion.models import (
    CorpusJob,
    CorpusReport,
    Queues,
    SearchAnswer,
    SearchJob,
    StoreConfig,
    configured_pg_dsn,
)
from demos.ingestion.workflows import IngestCorpusWorkflow, SearchCorpusWorkflow

DEFAULT_QUERY = "How does Temporal survive a crash?"
DEFAULT_TASK_QUEUE = "ingestion"
# Kept between runs (and git-ignored) so a second run shows the writes are idempotent.
DEFAULT_DATA_DIR = REPO_ROOT / ".cache" / "ingestion"


async def ingest(client: Client, *, corpus: Corpus, store: StoreConfig, task_queue: str, workflow_id: str) -> CorpusReport:
    job = CorpusJob(corpus_dir=str(corpus.directory), pattern=corpus.pattern, store=store, queues=Queues.for_base(task_queue))
    return await client.execute_workflow(IngestCorpusWorkflow.run, job, id=workflow_id, task_queue=task_queue)


async def search(client: Client, *, query: str, store: StoreConfig, task_queue: str, workflow_id: str, top_k: int = 3) -> SearchAnswer:
    job = SearchJob(query=query, store=store, queues=Queues.for_base(task_queue), top_k=top_k)
    return await client.execute_workflow(SearchCorpusWorkflow.run, job, id=workflow_id, task_queue=task_queue)


async def main(
    client: Client | None = None,
    *,
    corpus: Corpus | None = None,
    query: str = DEFAULT_QUERY,
    task_queue: str = DEFAULT_TASK_QUEUE,
    data_dir: Path = DEFAULT_DATA_DIR,
    pg_dsn: str | None = None,
) -> SearchAnswer:
    if client is None:
        client = await connect_from_env_config(address=os.environ.get("TEMPORAL_ADDRESS") or "localhost:7233")
    corpus = corpus or default_corpus()
    store = StoreConfig.in_directory(str(data_dir), pg_dsn=configured_pg_dsn(pg_dsn))
    run = uuid.uuid4().hex[:8]

    report = await ingest(client, corpus=corpus, store=store, task_queue=task_queue, workflow_id=f"ingestion-{run}")
    print(
        f"ingested {report.documents} documents from {corpus.directory}/{corpus.pattern}: {report.chunks} chunks, "
        f"{report.edges} graph edges ({report.store}: {report.stored.documents} documents, "
        f"{report.stored.chunks} chunks, {report.stored.vectors} vectors, {report.stored.edges} edges stored)"
    )
    answer = await search(client, query=query, store=store, task_queue=task_queue, workflow_id=f"ingestion-search-{run}")
    print(f"\n{query}")
    for hit in answer.hits:
        first_line = hit.text.strip().splitlines()[0] if hit.text.strip() else ""
        print(f"  {hit.score:.3f}  {hit.source_path} (chunk {hit.ordinal}): {first_line[:90]}")
    return answer


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m demos.ingestion.starter", description=__doc__.splitlines()[0])
    parser.add_argument("--query", default=DEFAULT_QUERY)
    parser.add_argument("--corpus", type=Path, help="folder to ingest (default: the demo's own corpus, demos/ingestion/corpus/)")
    parser.add_argument("--pattern", default="*.md", help="glob inside --corpus (default: %(default)s)")
    parser.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="SQLite file and blobs")
    parser.add_argument("--pg-dsn", help="PostgreSQL instead of SQLite (default: $INGESTION_PG_DSN)")
    args = parser.parse_args()
    asyncio.run(
        main(
            corpus=Corpus(args.corpus.resolve(), args.pattern) if args.corpus else None,
            query=args.query,
            task_queue=args.task_queue,
            data_dir=args.data_dir,
            pg_dsn=args.pg_dsn,
        )
    )
