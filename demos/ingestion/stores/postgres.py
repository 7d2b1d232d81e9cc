"""The PostgreSQL store. Vectors are float8[] (no pgvector extension needed) and similarity is
computed in SQL, so only the top k rows leave the database."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import psycopg

from demos.ingestion.models import SearchHit
from demos.ingestion.stores.sql import SqlStore, schema

# Any fixed number: the advisory lock that serialises schema creation across workers (concurrent
# CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog).
SCHEMA_LOCK_KEY = 7_233_001

_schema_ready: set[str] = set()  # DSNs whose schema this process already ensured
_schema_guard = threading.Lock()

COSINE_SQL = """
    SELECT COALESCE(sum(a * b) / NULLIF(sqrt(sum(a * a)) * sqrt(sum(b * b)), 0), 0)
    FROM unnest(v.vector, %s::float8[]) AS t(a, b)
"""


class PostgresStore(SqlStore):
    name = "postgresql"

    @classmethod
    @contextmanager
    def connect(cls, dsn: str) -> Iterator[PostgresStore]:
        # autocommit: reads need no transaction; `write` opens one explicitly.
        with psycopg.connect(dsn, autocommit=True) as connection:
            store = cls(connection)
            store._ensure_schema(dsn)
            yield store

    def _ensure_schema(self, dsn: str) -> None:
        with _schema_guard:
            if dsn in _schema_ready:
                return
            with self.write():
                self._execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK_KEY,))
                for statement in schema("float8[]"):
                    self._execute(statement)
            _schema_ready.add(dsn)

    def sql(self, statement: str) -> str:
        # psycopg uses %s placeholders; none of the shared statements contains a literal '?' or '%'.
        return statement.replace("?", "%s")

    def write(self):
        return self.connection.transaction()

    def encode_vector(self, vector: list[float]) -> list[float]:
        return vector  # psycopg adapts a list of floats to float8[]

    def nearest(self, embedder: str, query: list[float], k: int) -> list[SearchHit]:
        cursor = self.connection.execute(
            f"""SELECT ({COSINE_SQL}) AS score, d.source_path, d.title, c.ordinal, c.text
                FROM ingest_vectors v
                JOIN ingest_chunks c ON c.chunk_id = v.chunk_id
                JOIN ingest_documents d ON d.doc_id = c.doc_id
                WHERE v.embedder = %s
                ORDER BY score DESC, d.source_path, c.ordinal
                LIMIT %s""",
            (query, embedder, k),
        )
        return [
            SearchHit(score=float(score), source_path=path, title=title, ordinal=ordinal, text=text)
            for score, path, title, ordinal, text in cursor.fetchall()
        ]
