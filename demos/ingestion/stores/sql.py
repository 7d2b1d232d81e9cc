"""What the SQLite and PostgreSQL stores share: the tables and the idempotent writes.

Every write is an upsert keyed by a content hash (document, chunk) or by the row's natural key
(vector: chunk + embedder; edge: src + relation + dst), because Temporal may run an activity again
after a worker crash or timeout, and a retried write must leave the same rows as a single one.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

from demos.ingestion.models import Chunk, ChunkVector, DocumentMetadata, StoreCounts
from demos.ingestion.stores.protocols import Edge


def schema(vector_type: str) -> list[str]:
    return [
        """CREATE TABLE IF NOT EXISTS ingest_documents (
            doc_id TEXT PRIMARY KEY,
            source_path TEXT NOT NULL,
            title TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            blob_path TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            chunk_count INTEGER NOT NULL,
            summary TEXT NOT NULL,
            embedder TEXT NOT NULL,
            summarizer TEXT NOT NULL,
            ingested_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS ingest_documents_source ON ingest_documents (source_path)",
        """CREATE TABLE IF NOT EXISTS ingest_chunks (
            chunk_id TEXT PRIMARY KEY,
            doc_id TEXT NOT NULL,
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS ingest_chunks_doc ON ingest_chunks (doc_id)",
        f"""CREATE TABLE IF NOT EXISTS ingest_vectors (
            chunk_id TEXT NOT NULL,
            embedder TEXT NOT NULL,
            vector {vector_type} NOT NULL,
            PRIMARY KEY (chunk_id, embedder))""",
        """CREATE TABLE IF NOT EXISTS ingest_edges (
            src TEXT NOT NULL,
            relation TEXT NOT NULL,
            dst TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            PRIMARY KEY (src, relation, dst))""",
        "CREATE INDEX IF NOT EXISTS ingest_edges_doc ON ingest_edges (doc_id)",
    ]


class SqlStore:
    """Statements are written with `?` placeholders; a dialect with another style overrides `sql`."""

    name = "sql"

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    # --- dialect hooks -------------------------------------------------------------------------
    def sql(self, statement: str) -> str:
        return statement

    def write(self) -> AbstractContextManager[Any]:
        """A write transaction."""
        raise NotImplementedError

    def encode_vector(self, vector: list[float]) -> Any:
        raise NotImplementedError

    # --- helpers --------------------------------------------------------------------------------
    def _execute(self, statement: str, params: tuple = ()) -> list[tuple]:
        cursor = self.connection.cursor()
        cursor.execute(self.sql(statement), params)
        rows = cursor.fetchall() if cursor.description else []
        cursor.close()
        return rows

    def _execute_many(self, statement: str, rows: list[tuple]) -> None:
        if rows:
            cursor = self.connection.cursor()
            cursor.executemany(self.sql(statement), rows)
            cursor.close()

    # --- ChunkStore -----------------------------------------------------------------------------
    def upsert_chunks(self, doc_id: str, chunks: list[Chunk]) -> None:
        with self.write():
            self._execute_many(
                """INSERT INTO ingest_chunks (chunk_id, doc_id, ordinal, text) VALUES (?, ?, ?, ?)
                   ON CONFLICT (chunk_id) DO NOTHING""",
                [(c.chunk_id, doc_id, c.ordinal, c.text) for c in chunks],
            )

    # --- VectorStore ----------------------------------------------------------------------------
    def upsert_vectors(self, embedder: str, vectors: list[ChunkVector]) -> None:
        with self.write():
            self._execute_many(
                """INSERT INTO ingest_vectors (chunk_id, embedder, vector) VALUES (?, ?, ?)
                   ON CONFLICT (chunk_id, embedder) DO UPDATE SET vector = excluded.vector""",
                [(v.chunk_id, embedder, self.encode_vector(v.vector)) for v in vectors],
            )

    # --- GraphStore -----------------------------------------------------------------------------
    def upsert_edges(self, edges: list[Edge]) -> None:
        with self.write():
            self._execute_many(
                """INSERT INTO ingest_edges (src, relation, dst, doc_id) VALUES (?, ?, ?, ?)
                   ON CONFLICT (src, relation, dst) DO NOTHING""",
                [(e.src, e.relation, e.dst, e.doc_id) for e in edges],
            )

    # --- MetadataStore --------------------------------------------------------------------------
    def upsert_document(self, m: DocumentMetadata) -> None:
        ingested_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.write():
            self._execute(
                """INSERT INTO ingest_documents (doc_id, source_path, title, content_sha256, blob_path,
                       size_bytes, chunk_count, summary, embedder, summarizer, ingested_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (doc_id) DO UPDATE SET title = excluded.title,
                       blob_path = excluded.blob_path, chunk_count = excluded.chunk_count,
                       summary = excluded.summary, embedder = excluded.embedder,
                       summarizer = excluded.summarizer, ingested_at = excluded.ingested_at""",
                (m.doc_id, m.source_path, m.title, m.content_sha256, m.blob_path, m.size_bytes,
                 m.chunk_count, m.summary, m.embedder, m.summarizer, ingested_at),
            )

    def document_ids_at(self, source_path: str) -> list[str]:
        rows = self._execute("SELECT doc_id FROM ingest_documents WHERE source_path = ? ORDER BY doc_id", (source_path,))
        return [row[0] for row in rows]

    def delete_document(self, doc_id: str) -> None:
        with self.write():
            self._execute("DELETE FROM ingest_edges WHERE doc_id = ?", (doc_id,))
            self._execute(
                "DELETE FROM ingest_vectors WHERE chunk_id IN (SELECT chunk_id FROM ingest_chunks WHERE doc_id = ?)",
                (doc_id,),
            )
            self._execute("DELETE FROM ingest_chunks WHERE doc_id = ?", (doc_id,))
            self._execute("DELETE FROM ingest_documents WHERE doc_id = ?", (doc_id,))

    def counts(self) -> StoreCounts:
        def count(table: str) -> int:
            return int(self._execute(f"SELECT count(*) FROM {table}")[0][0])

        return StoreCounts(
            documents=count("ingest_documents"),
            chunks=count("ingest_chunks"),
            vectors=count("ingest_vectors"),
            edges=count("ingest_edges"),
        )
