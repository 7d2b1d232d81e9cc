"""The pipeline's side effects and heavy lifting, as Temporal activities.

Two kinds, for two task queues (and so two kinds of worker):
- DOCS_ACTIVITIES: file storage, chunking, graph and metadata writes, search: I/O against the stores.
- ModelCalls: embedding and summarisation, shaped like calls to a remote model API (a simulated
  latency per call, a few calls at a time per worker): no database access, scales by adding processes.

All are plain `def` functions: the worker runs them in a thread pool, so CPU work never blocks the
worker's event loop. Every write is idempotent (see stores/sql.py) because any attempt may be retried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from temporalio import activity
from temporalio.exceptions import ApplicationError

from demos.ingestion import embedder, summarizer
from demos.ingestion.chunking import chunk_markdown
from demos.ingestion.model_calls import ModelCallShape
from demos.ingestion.models import (
    Chunk,
    ChunkedDocument,
    ChunkVector,
    DocumentMetadata,
    EmbeddedBatch,
    QueryVector,
    SearchHit,
    StoreConfig,
    StoreCounts,
    StoredFile,
    Summary,
)
from demos.ingestion.stores import BlobFolder, Edge, open_store
from demos.ingestion.text import key_terms, title_of

TERMS_PER_CHUNK = 3


@dataclass
class ListCorpusInput:
    corpus_dir: str
    pattern: str


@dataclass
class StoreFileInput:
    corpus_dir: str
    source_path: str
    store: StoreConfig


@dataclass
class ChunkInput:
    file: StoredFile
    store: StoreConfig
    max_words: int


@dataclass
class EmbedInput:
    chunks: list[Chunk]


@dataclass
class SummarizeInput:
    text: str


@dataclass
class StoreVectorsInput:
    store: StoreConfig
    batch: EmbeddedBatch


@dataclass
class WriteGraphInput:
    store: StoreConfig
    doc_id: str
    chunks: list[Chunk]


@dataclass
class WriteMetadataInput:
    store: StoreConfig
    metadata: DocumentMetadata


@dataclass
class SearchStoreInput:
    store: StoreConfig
    query: QueryVector
    top_k: int


# --- document processing (the -docs task queue) ---------------------------------------------------


@activity.defn
def list_corpus(job: ListCorpusInput) -> list[str]:
    """The corpus's files matching the pattern, relative to the corpus folder, sorted."""
    root = Path(job.corpus_dir)
    if not root.is_dir():
        # Retrying cannot make a missing folder appear: fail the workflow with a clear message.
        raise ApplicationError(f"corpus folder {root} does not exist", non_retryable=True)
    return sorted(p.relative_to(root).as_posix() for p in root.glob(job.pattern) if p.is_file())


@activity.defn
def store_file(job: StoreFileInput) -> StoredFile:
    """Upload: copy the file into the content-addressed blob folder."""
    path = Path(job.corpus_dir) / PurePosixPath(job.source_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ApplicationError(f"{path} disappeared before it was ingested", non_retryable=True)
    content_sha256, blob_path = BlobFolder(job.store.blob_dir).put(data)
    doc_id = hashlib.sha256(f"{job.source_path}\0{content_sha256}".encode()).hexdigest()
    return StoredFile(doc_id, job.source_path, content_sha256, blob_path, len(data))


@activity.defn
def chunk_document(job: ChunkInput) -> ChunkedDocument:
    markdown = BlobFolder(job.store.blob_dir).get(job.file.blob_path).decode("utf-8", errors="replace")
    chunks = [
        Chunk(chunk_id=_chunk_id(job.file.doc_id, ordinal, text), ordinal=ordinal, text=text)
        for ordinal, text in enumerate(chunk_markdown(markdown, job.max_words))
    ]
    with open_store(job.store) as store:
        store.upsert_chunks(job.file.doc_id, chunks)
    title = title_of(markdown, fallback=PurePosixPath(job.file.source_path).stem)
    return ChunkedDocument(doc_id=job.file.doc_id, title=title, chunks=chunks)


@activity.defn
def store_vectors(job: StoreVectorsInput) -> int:
    with open_store(job.store) as store:
        store.upsert_vectors(job.batch.embedder, job.batch.vectors)
    return len(job.batch.vectors)


@activity.defn
def write_graph(job: WriteGraphInput) -> int:
    """Edges document -> chunk and chunk -> its key terms; returns how many edges the document has."""
    edges = []
    for chunk in job.chunks:
        edges.append(Edge(f"doc:{job.doc_id}", "has_chunk", f"chunk:{chunk.chunk_id}", job.doc_id))
        edges += [
            Edge(f"chunk:{chunk.chunk_id}", "mentions", f"term:{term}", job.doc_id)
            for term in key_terms(chunk.text, TERMS_PER_CHUNK)
        ]
    with open_store(job.store) as store:
        store.upsert_edges(edges)
    return len(edges)


@activity.defn
def write_metadata(job: WriteMetadataInput) -> list[str]:
    """The last step: the document becomes searchable, and earlier versions of the same file
    (other content at the same path) are removed. Returns the removed versions' ids."""
    with open_store(job.store) as store:
        store.upsert_document(job.metadata)
        superseded = [d for d in store.document_ids_at(job.metadata.source_path) if d != job.metadata.doc_id]
        for doc_id in superseded:
            store.delete_document(doc_id)
    return superseded


@activity.defn
def count_store(store_config: StoreConfig) -> StoreCounts:
    with open_store(store_config) as store:
        return store.counts()


@activity.defn
def search_store(job: SearchStoreInput) -> list[SearchHit]:
    with open_store(job.store) as store:
        return store.nearest(job.query.embedder, job.query.vector, job.top_k)


# --- ML work (the -ml task queue) -------------------------------------------------------------------


class ModelCalls:
    """Embedding and summarising, shaped like calls to a remote model (see model_calls.py): each
    call waits the shape's simulated latency, then computes the real (local) result.

    A class so that the shape is passed to the worker explicitly; the activity names stay the
    plain function names the histories record."""

    def __init__(self, shape: ModelCallShape) -> None:
        self.shape = shape

    @activity.defn(name="embed_chunks")
    def embed_chunks(self, job: EmbedInput) -> EmbeddedBatch:
        self.shape.wait_for_remote()
        return EmbeddedBatch(
            embedder=embedder.NAME,
            vectors=[ChunkVector(chunk_id=c.chunk_id, vector=embedder.embed(c.text)) for c in job.chunks],
        )

    @activity.defn(name="embed_query")
    def embed_query(self, query: str) -> QueryVector:
        self.shape.wait_for_remote()
        return QueryVector(embedder=embedder.NAME, vector=embedder.embed(query))

    @activity.defn(name="summarize_document")
    def summarize_document(self, job: SummarizeInput) -> Summary:
        self.shape.wait_for_remote()
        return Summary(summarizer=summarizer.NAME, text=summarizer.summarize(job.text))

    def activities(self) -> list:
        return [self.embed_chunks, self.embed_query, self.summarize_document]


DOCS_ACTIVITIES = [list_corpus, store_file, chunk_document, store_vectors, write_graph, write_metadata, count_store, search_store]


def _chunk_id(doc_id: str, ordinal: int, text: str) -> str:
    return hashlib.sha256(f"{doc_id}\0{ordinal}\0{text}".encode()).hexdigest()[:32]
