"""The storage interfaces the activities are written against. One backend class implements all of
them (the SQL backends keep them in one database), but an activity only relies on the part it uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from demos.ingestion.models import Chunk, ChunkVector, DocumentMetadata, SearchHit, StoreCounts


@dataclass(frozen=True)
class Edge:
    """A graph edge such as doc:<id> -has_chunk-> chunk:<id> or chunk:<id> -mentions-> term:retry."""

    src: str
    relation: str
    dst: str
    doc_id: str  # the document that produced it, so re-ingesting a changed file can remove it


class FileStore(Protocol):
    def put(self, data: bytes) -> tuple[str, str]:
        """Store bytes; return (sha256 hex, path). Storing the same bytes again changes nothing."""
        ...

    def get(self, path: str) -> bytes: ...


class ChunkStore(Protocol):
    def upsert_chunks(self, doc_id: str, chunks: list[Chunk]) -> None: ...


class VectorStore(Protocol):
    def upsert_vectors(self, embedder: str, vectors: list[ChunkVector]) -> None: ...

    def nearest(self, embedder: str, query: list[float], k: int) -> list[SearchHit]:
        """The k chunks most cosine-similar to query, among documents whose metadata is written
        (a document is searchable only once its ingestion completed)."""
        ...


class GraphStore(Protocol):
    def upsert_edges(self, edges: list[Edge]) -> None: ...


class MetadataStore(Protocol):
    def upsert_document(self, metadata: DocumentMetadata) -> None: ...

    def document_ids_at(self, source_path: str) -> list[str]: ...

    def delete_document(self, doc_id: str) -> None:
        """Remove a document with its chunks, vectors and edges (used for superseded versions)."""
        ...

    def counts(self) -> StoreCounts: ...


class DocumentStore(ChunkStore, VectorStore, GraphStore, MetadataStore, Protocol):
    name: str  # "sqlite" or "postgresql"
