"""Where ingested data lives: blobs in a content-addressed folder; chunks, vectors, graph edges and
metadata in SQLite (default, one file) or PostgreSQL (when a DSN is configured)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from demos.ingestion.models import StoreConfig
from demos.ingestion.stores.blobs import BlobFolder
from demos.ingestion.stores.protocols import DocumentStore, Edge, FileStore

__all__ = ["BlobFolder", "DocumentStore", "Edge", "FileStore", "backend_name", "open_store"]


def backend_name(config: StoreConfig) -> str:
    return "postgresql" if config.pg_dsn else "sqlite"


@contextmanager
def open_store(config: StoreConfig) -> Iterator[DocumentStore]:
    """A store with an open connection, closed on exit. Each write method is its own transaction."""
    if config.pg_dsn:
        # Imported here so workers of SQLite deployments never load the PostgreSQL driver.
        from demos.ingestion.stores.postgres import PostgresStore

        with PostgresStore.connect(config.pg_dsn) as store:
            yield store
    else:
        from demos.ingestion.stores.sqlite import SqliteStore

        with SqliteStore.connect(config.sqlite_path) as store:
            yield store
