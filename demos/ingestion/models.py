"""What travels between the ingestion workflows and their activities.

Dataclasses cross the wire as JSON through Temporal's default converter, so fields stay
JSON-friendly (str, int, float, lists; no Path or datetime objects).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# The PostgreSQL store is used when this is set (or when StoreConfig.pg_dsn is given).
PG_DSN_ENV = "INGESTION_PG_DSN"


@dataclass
class StoreConfig:
    """Where an ingestion keeps its data. Part of the workflow input, so every activity (on any
    worker) opens the same stores and the history records which ones were used."""

    sqlite_path: str  # chunks, vectors, graph edges, metadata (unless pg_dsn is set)
    blob_dir: str  # content-addressed copies of the uploaded files
    pg_dsn: str | None = None  # PostgreSQL instead of SQLite for everything but the blobs

    @classmethod
    def in_directory(cls, data_dir: str, pg_dsn: str | None = None) -> StoreConfig:
        """The default layout under one folder."""
        return cls(
            sqlite_path=os.path.join(data_dir, "ingestion.sqlite3"),
            blob_dir=os.path.join(data_dir, "blobs"),
            pg_dsn=pg_dsn,
        )


def configured_pg_dsn(explicit: str | None = None) -> str | None:
    """The PostgreSQL DSN to use: the explicit one, else $INGESTION_PG_DSN, else none (SQLite).

    Read by the client that starts the workflow, never by workers: the DSN is part of the input,
    so every worker uses the same store whatever its own environment says.
    """
    return explicit or os.environ.get(PG_DSN_ENV) or None


@dataclass
class Queues:
    """The three task queues of one deployment: workflows, document processing, ML work."""

    workflows: str
    docs: str
    ml: str

    @classmethod
    def for_base(cls, task_queue: str) -> Queues:
        return cls(workflows=task_queue, docs=f"{task_queue}-docs", ml=f"{task_queue}-ml")


@dataclass
class CorpusJob:
    corpus_dir: str
    pattern: str  # glob relative to corpus_dir, e.g. "**/*.md"
    store: StoreConfig
    queues: Queues
    max_words_per_chunk: int = 120
    embed_batch_size: int = 8  # chunks per embedding activity: the unit of ML fan-out


@dataclass
class DocumentJob:
    corpus_dir: str
    source_path: str  # relative to corpus_dir, POSIX separators
    store: StoreConfig
    queues: Queues
    max_words_per_chunk: int
    embed_batch_size: int


@dataclass
class StoredFile:
    doc_id: str  # sha256 of (source path, content): same file at the same path = same document
    source_path: str
    content_sha256: str
    blob_path: str
    size_bytes: int


@dataclass
class Chunk:
    chunk_id: str  # sha256 of (doc_id, ordinal, text)
    ordinal: int
    text: str


@dataclass
class ChunkedDocument:
    doc_id: str
    title: str
    chunks: list[Chunk]


@dataclass
class ChunkVector:
    chunk_id: str
    vector: list[float]


@dataclass
class EmbeddedBatch:
    embedder: str  # the embedder's short name, stored with every vector
    vectors: list[ChunkVector]


@dataclass
class QueryVector:
    embedder: str
    vector: list[float]


@dataclass
class Summary:
    summarizer: str
    text: str


@dataclass
class DocumentMetadata:
    doc_id: str
    source_path: str
    title: str
    content_sha256: str
    blob_path: str
    size_bytes: int
    chunk_count: int
    summary: str
    embedder: str
    summarizer: str


@dataclass
class StoreCounts:
    documents: int
    chunks: int
    vectors: int
    edges: int


@dataclass
class DocumentReport:
    doc_id: str
    source_path: str
    title: str
    chunks: int
    edges: int
    summary: str


@dataclass
class CorpusReport:
    documents: int
    chunks: int
    edges: int
    embedder: str
    summarizer: str
    store: str  # which store backend held the data
    stored: StoreCounts  # row counts in the store after this run (re-runs must not grow them)
    reports: list[DocumentReport] = field(default_factory=list)


@dataclass
class SearchJob:
    query: str
    store: StoreConfig
    queues: Queues
    top_k: int = 3


@dataclass
class SearchHit:
    score: float  # cosine similarity between query and chunk vectors
    source_path: str
    title: str
    ordinal: int
    text: str


@dataclass
class SearchAnswer:
    query: str
    embedder: str
    hits: list[SearchHit]
