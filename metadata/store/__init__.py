"""Storage of records: the Store protocol and its back ends, chosen by URL."""
from __future__ import annotations

from metadata.store.base import ListQuery, PutResult, SetInfo, Store, StoreError
from metadata.store.sql import SQLStore


def open_store(url: str) -> Store:
    """Open the store a database URL names: sqlite:///path or postgresql://..."""
    if url.startswith("sqlite:///"):
        from metadata.store.sqlite import SQLiteDialect

        return SQLStore(SQLiteDialect(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        from metadata.store.postgres import PostgresDialect

        return SQLStore(PostgresDialect(url))
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


__all__ = ["ListQuery", "PutResult", "SetInfo", "Store", "StoreError", "open_store"]
