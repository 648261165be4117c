"""SQLite, the embedded default for one machine (stdlib sqlite3, WAL): the dialect the one store
(metadata/store/sql.py) runs on.

Each thread gets its own connection. Writers take the database's write lock (BEGIN IMMEDIATE) before they
read the clock, so datestamps are assigned in commit order and a harvester's keyset never jumps a change.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from metadata.record import utc_datestamp
from metadata.store.base import StoreError
from metadata.store.sql import SQLStore


# 32 KiB pages hold a whole <record> row (up to about 8 kB) in the key's leaf, so a page of a harvest is
# read from contiguous leaves with no overflow chains: 14% smaller, writes 20% and list pages 2x cheaper in
# CPU than SQLite's default 4 KiB, measured on the bench corpus (README, Store).
PAGE_SIZE = 32768


def utc_now() -> str:
    """The one reading of the clock in this store (tests replace it to choose datestamps)."""
    return utc_datestamp()


def _use_wal(db: sqlite3.Connection, attempts: int = 300) -> None:
    """Switch to WAL once; servers starting together all find it set already. Changing the journal mode does
    not wait on the busy handler, so a first-time switch racing another opener is retried here."""
    for _ in range(attempts):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.1)
    raise sqlite3.OperationalError("database is locked (could not switch to WAL)")


class SQLiteDialect:
    name = "sqlite"
    types = {"text": "TEXT", "blob": "BLOB", "json": "TEXT", "bool": "INTEGER", "false": "0", "empty_blob": "x''",
             "without_rowid": " WITHOUT ROWID", "instr": "instr", "summary_as_text": ""}

    def __init__(self, path: str):
        self.path = str(Path(path))
        self._local = threading.local()
        try:
            self._db()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new database's; an existing one keeps its own
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def connection(self):
        yield self._db()

    @contextmanager
    def write(self):
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def now(self, conn) -> str:
        return utc_now()

    @staticmethod
    def sql(statement: str) -> str:
        return statement

    @staticmethod
    def fetch(conn, statement: str, params) -> list:
        return conn.execute(statement, params).fetchall()

    @staticmethod
    def executemany(conn, statement: str, rows: list) -> None:
        if rows:
            conn.executemany(statement, rows)

    @staticmethod
    def integrity(conn) -> list[str]:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        return problems + [f"foreign key: {r}" for r in conn.execute("PRAGMA foreign_key_check")]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def SQLiteStore(path: str) -> SQLStore:
    return SQLStore(SQLiteDialect(path))
