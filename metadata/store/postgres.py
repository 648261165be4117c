"""PostgreSQL, the shared database of a fleet of stateless app servers: the dialect the one store
(metadata/store/sql.py) runs on.

Datestamps come from the database's clock, read by each writer after it takes one advisory lock, so
writers are serialized and datestamps follow commit order whichever app server writes. Text keys are
COLLATE "C" so datestamps and identifiers sort bytewise, as they do in SQLite, and keyset positions mean
the same on both.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Optional

from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from metadata.store.base import StoreError
from metadata.store.sql import SQLStore

WRITE_LOCK = 0x4F41492D504D48  # "OAI-PMH": the advisory lock every writing transaction holds
CLOCK = """to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


class PostgresDialect:
    name = "postgresql"
    types = {"text": 'text COLLATE "C"', "blob": "bytea", "json": "jsonb", "bool": "boolean", "false": "false",
             "empty_blob": "''", "without_rowid": "", "instr": "strpos",
             # version 1 kept summaries as jsonb; both databases now keep the text the store writes
             "summary_as_text": "ALTER TABLE records ALTER COLUMN summary DROP DEFAULT;"
                                "ALTER TABLE records ALTER COLUMN summary TYPE text USING summary::text;"
                                "ALTER TABLE records ALTER COLUMN summary SET DEFAULT '{}'"}

    def __init__(self, url: str, max_connections: int = 8):
        self.url = url
        self.max_connections = max_connections
        self._pool: Optional[ConnectionPool] = None
        self._lock = threading.Lock()

    def connection(self):
        """A pooled autocommit connection. The pool opens on first use, so a server that forks its workers
        after creating the store shares no socket between processes."""
        with self._lock:
            if self._pool is None:
                # check: each connection is tried as it is handed out, so one that a database restart or a
                # failover ended is replaced instead of failing the request that drew it.
                pool = ConnectionPool(self.url, min_size=1, max_size=self.max_connections, open=False,
                                      kwargs={"autocommit": True}, name="oai-store",
                                      check=ConnectionPool.check_connection)
                try:
                    pool.open(wait=True, timeout=10)
                except PoolTimeout:
                    pool.close()
                    where = {k: v for k, v in conninfo_to_dict(self.url).items() if k in ("host", "port", "dbname")}
                    raise StoreError(f"cannot connect to PostgreSQL {where}") from None
                self._pool = pool
            pool = self._pool
        return pool.connection()

    @contextmanager
    def write(self):
        with self.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield conn

    def now(self, conn) -> str:
        """The database's clock, so every app server agrees; clock_timestamp() rather than now(), which is
        the transaction's start, before the lock was granted."""
        return conn.execute(f"SELECT {CLOCK}").fetchone()[0]

    @staticmethod
    def sql(statement: str) -> str:
        return statement.replace("%", "%%").replace("?", "%s")

    @staticmethod
    def fetch(conn, statement: str, params) -> list:
        # binary results: a page's <record>s arrive as their bytes, not as hex text psycopg must decode
        # (half the worker's time for a ListRecords page of the bench corpus)
        return conn.execute(statement, params, binary=True).fetchall()

    @staticmethod
    def executemany(conn, statement: str, rows: list) -> None:
        if rows:
            conn.cursor().executemany(PostgresDialect.sql(statement), rows)

    @staticmethod
    def integrity(conn) -> list[str]:
        return []  # foreign keys and types are declared; the store's own checks follow

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def PostgresStore(url: str, max_connections: int = 8) -> SQLStore:
    return SQLStore(PostgresDialect(url, max_connections))
