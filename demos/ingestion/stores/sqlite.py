"""The embedded store: one SQLite file. Vectors are packed float64 BLOBs; search loads the vectors
and ranks them in Python (fine for thousands of chunks, which is what one SQLite file is for)."""

from __future__ import annotations

import sqlite3
from array import array
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from demos.ingestion.embedder import cosine
from demos.ingestion.models import SearchHit
from demos.ingestion.stores.sql import SqlStore, schema

# Several activity threads and worker processes write the same file; a writer waits this long for
# another one's transaction instead of failing at once with "database is locked".
BUSY_TIMEOUT_SECONDS = 30


class SqliteStore(SqlStore):
    name = "sqlite"

    @classmethod
    @contextmanager
    def connect(cls, path: str) -> Iterator[SqliteStore]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; `write` opens them explicitly.
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            # WAL lets searches read while an ingestion writes.
            connection.execute("PRAGMA journal_mode=WAL")
            store = cls(connection)
            # Creating the schema takes the write lock, and most connections find it there already.
            # One transaction creates it all, so its last index existing means the whole schema does.
            if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'ingest_edges_doc'").fetchone():
                with store.write():
                    for statement in schema("BLOB"):
                        connection.execute(statement)
            yield store
        finally:
            connection.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so the busy timeout applies; a deferred
        # transaction that upgrades from read to write can fail with SQLITE_BUSY without waiting.
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def encode_vector(self, vector: list[float]) -> bytes:
        return array("d", vector).tobytes()

    def nearest(self, embedder: str, query: list[float], k: int) -> list[SearchHit]:
        rows = self._execute(
            """SELECT v.vector, d.source_path, d.title, c.ordinal, c.text
               FROM ingest_vectors v
               JOIN ingest_chunks c ON c.chunk_id = v.chunk_id
               JOIN ingest_documents d ON d.doc_id = c.doc_id
               WHERE v.embedder = ?""",
            (embedder,),
        )
        hits = [
            SearchHit(score=cosine(query, _decode(blob)), source_path=path, title=title, ordinal=ordinal, text=text)
            for blob, path, title, ordinal, text in rows
        ]
        hits.sort(key=lambda h: (-h.score, h.source_path, h.ordinal))
        return hits[:k]


def _decode(blob: bytes) -> list[float]:
    vector = array("d")
    vector.frombytes(blob)
    return vector.tolist()
