"""The bank's ledger: a SQLite file shared by every worker process (the payment worker in the
scenario's process, the batch workers in their own). It is the witness of what really happened:
balances, debits keyed by transaction id, every attempt, and every settlement item processed."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, balance_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS debits (transaction_id TEXT PRIMARY KEY, account TEXT NOT NULL, amount_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS debit_attempts (transaction_id TEXT, attempt INTEGER, outcome TEXT, balance_cents INTEGER, at REAL);
CREATE TABLE IF NOT EXISTS settlements (transaction_id TEXT PRIMARY KEY, batch_id TEXT, pid INTEGER, attempt INTEGER);
CREATE TABLE IF NOT EXISTS settlement_work (item INTEGER, transaction_id TEXT, pid INTEGER, attempt INTEGER, at REAL);
"""


@contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """One transaction: committed on success, rolled back on error. IMMEDIATE takes the write lock
    up front, so two processes cannot both read "not debited yet" and both debit."""
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def create(path: str | Path, balances: dict[str, int]) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        db.executemany("INSERT OR REPLACE INTO accounts VALUES (?, ?)", balances.items())
        db.commit()
    finally:
        db.close()


def balance(path: str | Path, account: str) -> int:
    with connect(path) as db:
        return db.execute("SELECT balance_cents FROM accounts WHERE account = ?", (account,)).fetchone()[0]


def rows(path: str | Path, table: str) -> list[dict]:
    assert table in ("debits", "debit_attempts", "settlements", "settlement_work")
    with connect(path) as db:
        return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
