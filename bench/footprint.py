"""Database size of a bench corpus, by table and by index, read from the database's own accounting; it
never writes. SQLite: the dbstat virtual table (pages per b-tree), else page counts for the whole file.
PostgreSQL: pg_table_size (heap, TOAST, free space and visibility maps) and pg_relation_size per index."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import NamedTuple


class Part(NamedTuple):
    name: str  # table or index ('(free pages)' and '(whole file)' for SQLite's leftovers)
    table: str  # the table it belongs to
    kind: str  # table, index, or primary key (a WITHOUT ROWID table is its primary key's b-tree)
    bytes: int


def sqlite_parts(path: str) -> list[Part]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        objects = {name: (table, kind, sql or "") for kind, name, table, sql in db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'index')")}
        page_size, pages, free = (db.execute(f"PRAGMA {p}").fetchone()[0]
                                  for p in ("page_size", "page_count", "freelist_count"))
        try:
            sizes = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:  # SQLite built without dbstat: the whole file only
            return [Part("(whole file)", "", "file", page_size * pages)]
    parts = [Part(name, *_sqlite_kind(name, *objects.get(name, (name, "table", ""))), size) for name, size in sizes]
    return parts + [Part("(free pages)", "", "free", free * page_size)]


def _sqlite_kind(name: str, table: str, kind: str, sql: str) -> tuple[str, str]:
    if name.startswith("sqlite_autoindex_"):
        return table, "index (primary key)"
    if "WITHOUT ROWID" in sql.upper():
        return table, "table (b-tree of its primary key)"
    return table, kind


def postgresql_parts(url: str) -> list[Part]:
    import psycopg

    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT c.relname, coalesce(t.relname, c.relname), c.relkind, CASE c.relkind WHEN 'i' THEN"
            " pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_index i ON i.indexrelid = c.oid"
            " LEFT JOIN pg_class t ON t.oid = i.indrelid WHERE n.nspname = current_schema()"
            " AND c.relkind IN ('r', 'i')").fetchall()
    return [Part(name, table, "index" if kind == "i" else "table", size) for name, table, kind, size in rows]


def parts(store: str, database_url: str) -> list[Part]:
    """Every table and index of the database with its bytes, largest first."""
    found = (sqlite_parts(database_url.removeprefix("sqlite:///")) if store == "sqlite"
             else postgresql_parts(database_url))
    return sorted(found, key=lambda p: -p.bytes)


def formats(store: str, database_url: str) -> list[tuple[str, int, int, int, int]]:
    """Per format, the dissemination rows and the bytes of their header, <record> and metadata columns (the
    <record> holds its header again, and the metadata): what the rows carry before page overhead."""
    length = "length" if store == "sqlite" else "octet_length"
    statement = (f"SELECT prefix, count(*), sum({length}(header)), sum({length}(record)),"
                 " sum(metadata_end - metadata_start) FROM disseminations GROUP BY prefix ORDER BY prefix")
    if store == "sqlite":
        with closing(sqlite3.connect(f"file:{database_url.removeprefix('sqlite:///')}?mode=ro", uri=True)) as db:
            return db.execute(statement).fetchall()
    import psycopg

    with psycopg.connect(database_url) as db:
        return [(row[0], *map(int, row[1:])) for row in db.execute(statement)]
