"""PostgreSQL back end of the Store protocol: the shared database of a fleet of stateless app servers.

Same tables and behaviour as the SQLite store. Datestamps come from the database's clock, read by each
writer after it takes one advisory lock, so writers are serialized and datestamps follow commit order
whichever app server writes. Text keys are COLLATE "C" so datestamps and identifiers sort bytewise, as
they do in SQLite, and keyset positions mean the same on both stores.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterable, Optional, Sequence

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from metadata.record import Header, Record, Stored, header_xml
from metadata.store.base import (SCHEMA_VERSION, ListQuery, PutResult, SetInfo, StoreError, content_hash,
                                 summary_json)

WRITE_LOCK = 0x4F41492D504D48  # "OAI-PMH": the advisory lock every writing transaction holds
CLOCK = """to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""

# The statements that bring the schema from the previous version to the key's; a new version adds a key.
MIGRATIONS: dict[int, list[str]] = {1: """
CREATE TABLE IF NOT EXISTS records (identifier text COLLATE "C" PRIMARY KEY, datestamp text COLLATE "C" NOT NULL,
    deleted boolean NOT NULL DEFAULT false, set_specs text NOT NULL DEFAULT '', header bytea NOT NULL,
    content_hash text NOT NULL, summary jsonb NOT NULL DEFAULT '{}', about bytea NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS records_by_datestamp ON records (datestamp, identifier);
CREATE TABLE IF NOT EXISTS disseminations (prefix text COLLATE "C" NOT NULL,
    identifier text COLLATE "C" NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp text COLLATE "C" NOT NULL, xml bytea, PRIMARY KEY (identifier, prefix));
CREATE INDEX IF NOT EXISTS disseminations_by_datestamp ON disseminations (prefix, datestamp, identifier);
CREATE TABLE IF NOT EXISTS memberships (set_spec text COLLATE "C" NOT NULL,
    identifier text COLLATE "C" NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp text COLLATE "C" NOT NULL, PRIMARY KEY (identifier, set_spec));
CREATE INDEX IF NOT EXISTS memberships_by_datestamp ON memberships (set_spec, datestamp, identifier);
CREATE TABLE IF NOT EXISTS sets (spec text COLLATE "C" PRIMARY KEY, name text NOT NULL,
    description text NOT NULL DEFAULT '')""".split(";")}

# What a sound store never contains: each query names the offending rows.
INTEGRITY = [
    "SELECT 'dissemination without a record: ' || d.prefix || ' ' || d.identifier FROM disseminations d"
    " WHERE NOT EXISTS (SELECT FROM records r WHERE r.identifier = d.identifier)",
    "SELECT 'membership without a record: ' || m.set_spec || ' ' || m.identifier FROM memberships m"
    " WHERE NOT EXISTS (SELECT FROM records r WHERE r.identifier = m.identifier)",
    "SELECT 'dissemination datestamp or deletion differs from its record: ' || d.prefix || ' ' || d.identifier"
    " FROM disseminations d JOIN records r USING (identifier)"
    " WHERE d.datestamp <> r.datestamp OR r.deleted <> (d.xml IS NULL)",
    "SELECT 'membership datestamp differs from its record: ' || m.set_spec || ' ' || m.identifier"
    " FROM memberships m JOIN records r USING (identifier) WHERE m.datestamp <> r.datestamp",
    "SELECT 'membership not among the record''s sets: ' || m.set_spec || ' ' || m.identifier"
    " FROM memberships m JOIN records r USING (identifier)"
    " WHERE NOT m.set_spec = ANY (string_to_array(r.set_specs, ' '))",
]


def _header(identifier: str, datestamp: str, deleted: bool, set_specs: str) -> Header:
    return Header(identifier, datestamp, tuple(set_specs.split()) if set_specs else (), bool(deleted))


class PostgresStore:
    def __init__(self, url: str, max_connections: int = 8):
        self.url = url
        self.max_connections = max_connections
        self._pool: Optional[ConnectionPool] = None
        self._lock = threading.Lock()

    def _connection(self):
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
    def _write(self):
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield conn

    def _now(self, conn: psycopg.Connection) -> str:
        """The one reading of the clock. The database's clock, so every app server agrees; clock_timestamp()
        rather than now(), which is the transaction's start, before the lock was granted."""
        return conn.execute(f"SELECT {CLOCK}").fetchone()[0]

    def now(self) -> str:
        """A harvest's start: waits for writers in flight, so every change committed later gets a datestamp
        at least this one and an incremental harvest from it misses nothing."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WRITE_LOCK,))
            return self._now(conn)

    def create_schema(self) -> None:
        with self._write() as conn:  # the lock also keeps app servers starting together from racing
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"the database has schema version {version}, newer than this software's"
                                 f" {SCHEMA_VERSION}: upgrade the software")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    conn.execute(statement)
            conn.execute("INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) DO UPDATE"
                         " SET value = excluded.value", (str(SCHEMA_VERSION),))

    def schema_version(self) -> Optional[int]:
        if self._one("SELECT to_regclass('meta')")[0] is None:
            return None
        row = self._one("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else None

    def put(self, records: Sequence[Record]) -> list[PutResult]:
        """One transaction and a fixed number of round trips per batch (executemany pipelines the rows)."""
        results, changed, names, refreshed = [], {}, {}, []
        if not records:
            return results
        with self._write() as conn:
            now = self._now(conn)
            known = {i: (d, h, dl) for i, d, h, dl in conn.execute(
                "SELECT identifier, datestamp, content_hash, deleted FROM records WHERE identifier = ANY (%s)",
                ([r.identifier for r in records],))}
            for record in records:
                names.update(record.set_names)
                digest = content_hash(record)
                row = known.get(record.identifier)
                if row and row[1] == digest and not row[2]:
                    results.append(PutResult(record.identifier, row[0], "unchanged"))
                    refreshed.append((summary_json(record), record.identifier))
                    continue
                known[record.identifier] = (now, digest, False)
                changed[record.identifier] = (record, digest)
                results.append(PutResult(record.identifier, now, "updated" if row else "created"))
            cur = conn.cursor()
            if refreshed:  # facts read by newer code reach unchanged records without a new datestamp
                cur.executemany("UPDATE records SET summary = %s::jsonb WHERE identifier = %s"
                                " AND summary IS DISTINCT FROM %s::jsonb", [(j, i, j) for j, i in refreshed])
            if changed:
                cur.executemany(
                    "INSERT INTO records (identifier, datestamp, deleted, set_specs, header, content_hash, summary,"
                    " about) VALUES (%s, %s, false, %s, %s, %s, %s::jsonb, %s) ON CONFLICT (identifier) DO UPDATE"
                    " SET datestamp = excluded.datestamp, deleted = false, set_specs = excluded.set_specs,"
                    " header = excluded.header, content_hash = excluded.content_hash, summary = excluded.summary,"
                    " about = excluded.about",
                    [(i, now, " ".join(r.set_specs), header_xml(Header(i, now, r.set_specs)), h, summary_json(r),
                      r.about) for i, (r, h) in changed.items()])
                cur.execute("DELETE FROM disseminations WHERE identifier = ANY (%s)", (list(changed),))
                cur.execute("DELETE FROM memberships WHERE identifier = ANY (%s)", (list(changed),))
                cur.executemany("INSERT INTO disseminations VALUES (%s, %s, %s, %s)",
                                [(p, i, now, xml) for i, (r, _) in changed.items() for p, xml in r.formats.items()])
                cur.executemany("INSERT INTO memberships VALUES (%s, %s, %s)",
                                [(s, i, now) for i, (r, _) in changed.items() for s in r.set_specs])
            if names:
                cur.executemany("INSERT INTO sets (spec, name) VALUES (%s, %s) ON CONFLICT (spec) DO NOTHING",
                                list(names.items()))
        return results

    def delete(self, identifier: str) -> Optional[Header]:
        with self._write() as conn:
            row = conn.execute("SELECT deleted, set_specs, datestamp FROM records WHERE identifier = %s",
                               (identifier,)).fetchone()
            if row is None:
                return None
            if row[0]:
                return _header(identifier, row[2], True, row[1])
            now = self._now(conn)
            tombstone = _header(identifier, now, True, row[1])
            conn.execute("UPDATE records SET deleted = true, datestamp = %s, header = %s, content_hash = '',"
                         " summary = '{}', about = '' WHERE identifier = %s",
                         (now, header_xml(tombstone), identifier))
            conn.execute("UPDATE disseminations SET xml = NULL, datestamp = %s WHERE identifier = %s",
                         (now, identifier))
            conn.execute("UPDATE memberships SET datestamp = %s WHERE identifier = %s", (now, identifier))
        return tombstone

    def _all(self, sql: str, params: Sequence = ()) -> list:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence = ()):
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def header(self, identifier: str) -> Optional[Header]:
        row = self._one("SELECT identifier, datestamp, deleted, set_specs FROM records WHERE identifier = %s",
                        (identifier,))
        return _header(*row) if row else None

    def get(self, identifier: str, prefix: str) -> Optional[Stored]:
        row = self._one(
            "SELECT r.identifier, r.datestamp, r.deleted, r.set_specs, r.header, d.xml, r.about"
            " FROM disseminations d JOIN records r ON r.identifier = d.identifier"
            " WHERE d.prefix = %s AND d.identifier = %s",
            (prefix, identifier))
        return Stored(_header(*row[:4]), *row[4:]) if row else None

    def formats_of(self, identifier: str) -> Optional[list[str]]:
        rows = self._all("SELECT prefix FROM disseminations WHERE identifier = %s ORDER BY prefix", (identifier,))
        return [r[0] for r in rows] if rows else None

    def earliest_datestamp(self) -> Optional[str]:
        return self._one("SELECT min(datestamp) FROM records")[0]

    def sample_identifier(self) -> Optional[str]:
        """A live record's identifier when there is one (Identify's sampleIdentifier), else any."""
        sql = "SELECT identifier FROM records {} ORDER BY datestamp, identifier LIMIT 1"
        row = self._one(sql.format("WHERE NOT deleted")) or self._one(sql.format(""))
        return row[0] if row else None

    @staticmethod
    def _where(query: ListQuery, after: Optional[tuple[str, str]], params: list, records: bool = True) -> str:
        """FROM and WHERE of a listing on keyset table k: the membership index for a set, the dissemination
        index otherwise; the position is a row value, so the index range starts right at it."""
        join = " JOIN records r ON r.identifier = k.identifier" if records else ""
        params.append(query.prefix)
        if query.set_spec is None:
            sql = f" FROM disseminations k{join} WHERE k.prefix = %s"
        else:
            sql = (" FROM memberships k JOIN disseminations d ON d.prefix = %s AND d.identifier = k.identifier"
                   f"{join} WHERE k.set_spec = %s")
            params.append(query.set_spec)
        if query.from_ is not None:
            sql += " AND k.datestamp >= %s"
            params.append(query.from_)
        if query.until is not None:
            sql += " AND k.datestamp <= %s"
            params.append(query.until)
        if after is not None:
            sql += " AND (k.datestamp, k.identifier) > (%s, %s)"
            params.extend(after)
        return sql

    def _listing(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
                 with_metadata: bool) -> tuple[str, list]:
        params: list = []
        where = self._where(query, after, params)
        xml = "k.xml" if query.set_spec is None else "d.xml"
        columns = "k.identifier, k.datestamp, r.deleted, r.set_specs, r.header, " + (
            f"{xml}, r.about" if with_metadata else "NULL::bytea, ''::bytea")
        return f"SELECT {columns}{where} ORDER BY k.datestamp, k.identifier LIMIT %s", [*params, limit]

    def _counting(self, query: ListQuery) -> tuple[str, list]:
        """completeListSize from index ranges alone: records hold nothing a count needs."""
        params: list = []
        return f"SELECT count(*){self._where(query, None, params, records=False)}", params

    def list_records(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
                     with_metadata: bool) -> list[Stored]:
        rows = self._all(*self._listing(query, after, limit, with_metadata))
        return [Stored(_header(i, d, dl, s), h, x, a) for i, d, dl, s, h, x, a in rows]

    def count(self, query: ListQuery) -> int:
        return self._one(*self._counting(query))[0]

    def sets(self, after: Optional[str] = None, limit: Optional[int] = None) -> list[SetInfo]:
        rows = self._all("SELECT spec, name, description FROM sets WHERE spec > %s ORDER BY spec LIMIT %s",
                         (after or "", limit))
        return [SetInfo(*row) for row in rows]

    def set_count(self) -> int:
        return self._one("SELECT count(*) FROM sets")[0]

    def put_sets(self, sets: Iterable[SetInfo]) -> None:
        rows = [(s.spec, s.name, s.description) for s in sets]
        with self._connection() as conn, conn.transaction():
            conn.cursor().executemany(
                "INSERT INTO sets VALUES (%s, %s, %s) ON CONFLICT (spec) DO UPDATE SET"
                " name = excluded.name, description = excluded.description", rows)

    def summaries(self, search: str = "", limit: int = 20) -> list[tuple[Header, dict]]:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._all(
            "SELECT identifier, datestamp, deleted, set_specs, summary FROM records WHERE NOT deleted"
            " AND (coalesce(summary->>'title', '') || ' ' || coalesce(summary->>'creators', '')) ILIKE %s"
            " ORDER BY datestamp DESC, identifier LIMIT %s", (pattern, limit))
        return [(_header(*row[:4]), row[4]) for row in rows]

    def summary(self, identifier: str) -> Optional[dict]:
        row = self._one("SELECT summary FROM records WHERE identifier = %s AND NOT deleted", (identifier,))
        return row[0] if row else None

    def record_count(self) -> int:
        return self._one("SELECT count(*) FROM records WHERE NOT deleted")[0]

    def check_integrity(self) -> list[str]:
        """The invariants writers keep (foreign keys guard the first two unless someone disables them)."""
        with self._connection() as conn:
            return [row[0] for sql in INTEGRITY for row in conn.execute(sql + " LIMIT 100")]

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
