"""The ingestion and search workflows.

IngestCorpusWorkflow fans out one IngestDocumentWorkflow child per file; each child runs
upload -> chunk -> (embed batches | summarise | write graph, in parallel) -> store vectors ->
metadata, sending each activity to the task queue of the worker kind that should run it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from demos.ingestion import activities
    from demos.ingestion.activities import (
        ChunkInput,
        EmbedInput,
        ListCorpusInput,
        ModelCalls,
        SearchStoreInput,
        StoreFileInput,
        StoreVectorsInput,
        SummarizeInput,
        WriteGraphInput,
        WriteMetadataInput,
    )
    from demos.ingestion.embedder import NAME as EMBEDDER_NAME
    from demos.ingestion.models import (
        Chunk,
        CorpusJob,
        CorpusReport,
        DocumentJob,
        DocumentMetadata,
        DocumentReport,
        SearchAnswer,
        SearchJob,
    )
    from demos.ingestion.stores import backend_name
    from demos.ingestion.summarizer import NAME as SUMMARIZER_NAME

# Retries back off quickly: these steps are local and short; a failure is a crash or a lock timeout.
RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5))


# Every step takes well under a second (a model call's simulated latency included). A task the
# server handed to a worker that never got it (it happens on an overloaded machine) is retried only
# when start-to-close expires, so it is short: a lost task costs seconds, not a minute. Retrying a
# slow but live attempt is harmless: every activity is idempotent.
DOCS_TIMEOUT = timedelta(seconds=10)
ML_TIMEOUT = timedelta(seconds=5)  # a model call waits its simulated latency, then computes for ms


def _on(task_queue: str, timeout: timedelta = DOCS_TIMEOUT) -> dict[str, Any]:
    """Activity options for one task queue."""
    return {"task_queue": task_queue, "start_to_close_timeout": timeout, "retry_policy": RETRY}


@workflow.defn
class IngestDocumentWorkflow:
    @workflow.run
    async def run(self, job: DocumentJob) -> DocumentReport:
        docs, ml = _on(job.queues.docs), _on(job.queues.ml, ML_TIMEOUT)

        stored = await workflow.execute_activity(
            activities.store_file, StoreFileInput(job.corpus_dir, job.source_path, job.store), **docs
        )
        chunked = await workflow.execute_activity(
            activities.chunk_document, ChunkInput(stored, job.store, job.max_words_per_chunk), **docs
        )
        chunks = chunked.chunks
        size = job.embed_batch_size
        batches = [chunks[i : i + size] for i in range(0, len(chunks), size)]

        async def embed_and_store(batch: list[Chunk]) -> str:
            embedded = await workflow.execute_activity_method(ModelCalls.embed_chunks, EmbedInput(batch), **ml)
            await workflow.execute_activity(activities.store_vectors, StoreVectorsInput(job.store, embedded), **docs)
            return embedded.embedder

        # Everything that only needs the chunks runs at once: each embedding batch (then its
        # storage) and the summary on ML workers, the graph on a document worker.
        summary, edges, *embedders = await asyncio.gather(
            workflow.execute_activity_method(
                ModelCalls.summarize_document, SummarizeInput("\n\n".join(c.text for c in chunks)), **ml
            ),
            workflow.execute_activity(activities.write_graph, WriteGraphInput(job.store, stored.doc_id, chunks), **docs),
            *(embed_and_store(b) for b in batches),
        )

        metadata = DocumentMetadata(
            doc_id=stored.doc_id,
            source_path=stored.source_path,
            title=chunked.title,
            content_sha256=stored.content_sha256,
            blob_path=stored.blob_path,
            size_bytes=stored.size_bytes,
            chunk_count=len(chunks),
            summary=summary.text,
            embedder=embedders[0] if embedders else EMBEDDER_NAME,
            summarizer=summary.summarizer,
        )
        await workflow.execute_activity(activities.write_metadata, WriteMetadataInput(job.store, metadata), **docs)
        return DocumentReport(
            doc_id=stored.doc_id,
            source_path=stored.source_path,
            title=chunked.title,
            chunks=len(chunks),
            edges=edges,
            summary=summary.text,
        )


@workflow.defn
class IngestCorpusWorkflow:
    @workflow.run
    async def run(self, job: CorpusJob) -> CorpusReport:
        docs = _on(job.queues.docs)
        paths = await workflow.execute_activity(
            activities.list_corpus, ListCorpusInput(job.corpus_dir, job.pattern), **docs
        )
        parent_id = workflow.info().workflow_id
        reports = await asyncio.gather(
            *(
                workflow.execute_child_workflow(
                    IngestDocumentWorkflow.run,
                    DocumentJob(
                        corpus_dir=job.corpus_dir,
                        source_path=path,
                        store=job.store,
                        queues=job.queues,
                        max_words_per_chunk=job.max_words_per_chunk,
                        embed_batch_size=job.embed_batch_size,
                    ),
                    id=f"{parent_id}/{path}",
                )
                for path in paths
            )
        )
        stored = await workflow.execute_activity(activities.count_store, job.store, **docs)
        return CorpusReport(
            documents=len(reports),
            chunks=sum(r.chunks for r in reports),
            edges=sum(r.edges for r in reports),
            embedder=EMBEDDER_NAME,
            summarizer=SUMMARIZER_NAME,
            store=backend_name(job.store),
            stored=stored,
            reports=list(reports),
        )


@workflow.defn
class SearchCorpusWorkflow:
    """Answer a question from the ingested chunks: embed it (ML worker), rank by cosine (store)."""

    @workflow.run
    async def run(self, job: SearchJob) -> SearchAnswer:
        query = await workflow.execute_activity_method(ModelCalls.embed_query, job.query, **_on(job.queues.ml, ML_TIMEOUT))
        hits = await workflow.execute_activity(
            activities.search_store, SearchStoreInput(job.store, query, job.top_k), **_on(job.queues.docs)
        )
        return SearchAnswer(query=job.query, embedder=query.embedder, hits=hits)


WORKFLOWS = [IngestCorpusWorkflow, IngestDocumentWorkflow, SearchCorpusWorkflow]
__all__ = ["WORKFLOWS", "IngestCorpusWorkflow", "IngestDocumentWorkflow", "SearchCorpusWorkflow"]
