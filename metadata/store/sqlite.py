"""SQLite back end of the Store protocol: the embedded default for one machine (stdlib sqlite3, WAL).

Each thread gets its own connection. Writers take the database's write lock (BEGIN IMMEDIATE) before they
read the clock, so datestamps are assigned in commit order and a harvester's keyset never jumps a change.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Optional, Sequence

from metadata.record import Header, Record, Stored, header_xml, utc_datestamp
from metadata.store.base import (SCHEMA_VERSION, ListQuery, PutResult, SetInfo, StoreError, content_hash,
                                 summary_json)

# Each schema version and the statements that bring the previous one to it.
MIGRATIONS: dict[int, str] = {1: """
CREATE TABLE IF NOT EXISTS records (
    identifier   TEXT PRIMARY KEY,
    datestamp    TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    set_specs    TEXT NOT NULL DEFAULT '',
    header       BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '{}',
    about        BLOB NOT NULL DEFAULT x''
);
CREATE INDEX IF NOT EXISTS records_by_datestamp ON records (datestamp, identifier);
CREATE TABLE IF NOT EXISTS disseminations (
    prefix     TEXT NOT NULL,
    identifier TEXT NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp  TEXT NOT NULL,
    xml        BLOB,
    PRIMARY KEY (identifier, prefix)
);
CREATE INDEX IF NOT EXISTS disseminations_by_datestamp ON disseminations (prefix, datestamp, identifier);
CREATE TABLE IF NOT EXISTS memberships (
    set_spec   TEXT NOT NULL,
    identifier TEXT NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp  TEXT NOT NULL,
    PRIMARY KEY (identifier, set_spec)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_by_datestamp ON memberships (set_spec, datestamp, identifier);
CREATE TABLE IF NOT EXISTS sets (spec TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '');
"""}

# What a sound store never contains; each query names the offending rows.
INTEGRITY = [
    "SELECT 'dissemination without a record: ' || d.prefix || ' ' || d.identifier FROM disseminations d"
    " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.identifier = d.identifier)",
    "SELECT 'membership without a record: ' || m.set_spec || ' ' || m.identifier FROM memberships m"
    " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.identifier = m.identifier)",
    "SELECT 'dissemination datestamp or deletion differs from its record: ' || d.prefix || ' ' || d.identifier"
    " FROM disseminations d JOIN records r USING (identifier)"
    " WHERE d.datestamp <> r.datestamp OR r.deleted <> (d.xml IS NULL)",
    "SELECT 'membership datestamp differs from its record: ' || m.set_spec || ' ' || m.identifier"
    " FROM memberships m JOIN records r USING (identifier) WHERE m.datestamp <> r.datestamp",
    "SELECT 'membership not among the record''s sets: ' || m.set_spec || ' ' || m.identifier"
    " FROM memberships m JOIN records r USING (identifier)"
    " WHERE instr(' ' || r.set_specs || ' ', ' ' || m.set_spec || ' ') = 0",
]


def utc_now() -> str:
    """The one reading of the clock in this store (tests replace it to choose datestamps)."""
    return utc_datestamp()


def _header(identifier: str, datestamp: str, deleted: int, set_specs: str) -> Header:
    return Header(identifier, datestamp, tuple(set_specs.split()) if set_specs else (), bool(deleted))


class SQLiteStore:
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
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def _write(self):
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def create_schema(self) -> None:
        """Create the tables or migrate them step by step to SCHEMA_VERSION; refuse a newer database."""
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} has schema version {version}; this code knows {SCHEMA_VERSION}")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE"
                       " SET value = excluded.value", (str(SCHEMA_VERSION),))

    def now(self) -> str:
        """A harvest's start: read under the write lock, so a write in flight commits first and every
        later change gets a datestamp at least this one."""
        with self._write():
            return utc_now()

    def schema_version(self) -> Optional[int]:
        try:
            row = self._db().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return None
        return int(row[0]) if row else None

    def put(self, records: Sequence[Record]) -> list[PutResult]:
        """Upsert a batch in one transaction with one statement per table, not per record."""
        records = list({r.identifier: r for r in records}.values())  # the last of a repeated identifier wins
        with self._write() as db:
            now = utc_now()
            existing = self._existing(db, [r.identifier for r in records])
            results, changed, names, refreshed = [], [], {}, []
            for record in records:
                names.update(record.set_names)
                digest = content_hash(record)
                old = existing.get(record.identifier)
                if old and old[1] == digest and not old[2]:
                    results.append(PutResult(record.identifier, old[0], "unchanged"))
                    refreshed.append((summary_json(record), record.identifier))
                    continue
                changed.append((record, digest))
                results.append(PutResult(record.identifier, now, "updated" if old else "created"))
            # Facts read by newer code reach unchanged records without a new datestamp: pages are not harvested.
            db.executemany("UPDATE records SET summary = ?1 WHERE identifier = ?2 AND summary <> ?1", refreshed)
            replaced = [(r.identifier,) for r, _ in changed if r.identifier in existing]
            db.executemany("DELETE FROM disseminations WHERE identifier = ?", replaced)
            db.executemany("DELETE FROM memberships WHERE identifier = ?", replaced)
            db.executemany(
                "INSERT INTO records (identifier, datestamp, deleted, set_specs, header, content_hash, summary, about)"
                " VALUES (?, ?, 0, ?, ?, ?, ?, ?) ON CONFLICT (identifier) DO UPDATE SET"
                " datestamp = excluded.datestamp, deleted = 0, set_specs = excluded.set_specs,"
                " header = excluded.header, content_hash = excluded.content_hash,"
                " summary = excluded.summary, about = excluded.about",
                [(r.identifier, now, " ".join(r.set_specs), header_xml(Header(r.identifier, now, r.set_specs)),
                  digest, summary_json(r), r.about) for r, digest in changed])
            db.executemany("INSERT INTO disseminations VALUES (?, ?, ?, ?)",
                           [(p, r.identifier, now, xml) for r, _ in changed for p, xml in r.formats.items()])
            db.executemany("INSERT INTO memberships VALUES (?, ?, ?)",
                           [(s, r.identifier, now) for r, _ in changed for s in r.set_specs])
            db.executemany("INSERT INTO sets (spec, name) VALUES (?, ?) ON CONFLICT (spec) DO NOTHING",
                           names.items())
        return results

    @staticmethod
    def _existing(db: sqlite3.Connection, identifiers: list[str]) -> dict[str, tuple]:
        found = {}
        for start in range(0, len(identifiers), 500):
            chunk = identifiers[start:start + 500]
            rows = db.execute("SELECT identifier, datestamp, content_hash, deleted FROM records WHERE identifier"
                              f" IN ({','.join('?' * len(chunk))})", chunk)
            found.update((row[0], row[1:]) for row in rows)
        return found

    def delete(self, identifier: str) -> Optional[Header]:
        with self._write() as db:
            row = db.execute("SELECT deleted, set_specs, datestamp FROM records WHERE identifier = ?",
                             (identifier,)).fetchone()
            if row is None:
                return None
            if row[0]:
                return _header(identifier, row[2], 1, row[1])
            now = utc_now()
            tombstone = _header(identifier, now, 1, row[1])
            db.execute("UPDATE records SET deleted = 1, datestamp = ?, header = ?, content_hash = '',"
                       " summary = '{}', about = x'' WHERE identifier = ?", (now, header_xml(tombstone), identifier))
            db.execute("UPDATE disseminations SET xml = NULL, datestamp = ? WHERE identifier = ?", (now, identifier))
            db.execute("UPDATE memberships SET datestamp = ? WHERE identifier = ?", (now, identifier))
        return tombstone

    def header(self, identifier: str) -> Optional[Header]:
        row = self._db().execute("SELECT identifier, datestamp, deleted, set_specs FROM records"
                                 " WHERE identifier = ?", (identifier,)).fetchone()
        return _header(*row) if row else None

    def get(self, identifier: str, prefix: str) -> Optional[Stored]:
        row = self._db().execute(
            "SELECT r.identifier, r.datestamp, r.deleted, r.set_specs, r.header, d.xml, r.about"
            " FROM disseminations d JOIN records r ON r.identifier = d.identifier"
            " WHERE d.prefix = ? AND d.identifier = ?", (prefix, identifier)).fetchone()
        return Stored(_header(*row[:4]), *row[4:]) if row else None

    def formats_of(self, identifier: str) -> Optional[list[str]]:
        rows = self._db().execute("SELECT prefix FROM disseminations WHERE identifier = ? ORDER BY prefix",
                                  (identifier,)).fetchall()
        return [r[0] for r in rows] if rows else None

    def earliest_datestamp(self) -> Optional[str]:
        return self._db().execute("SELECT min(datestamp) FROM records").fetchone()[0]

    def sample_identifier(self) -> Optional[str]:
        """A live record's identifier when there is one (Identify's sampleIdentifier), else any."""
        sql = "SELECT identifier FROM records {} ORDER BY datestamp, identifier LIMIT 1"
        row = self._db().execute(sql.format("WHERE deleted = 0")).fetchone() or \
            self._db().execute(sql.format("")).fetchone()
        return row[0] if row else None

    def _where(self, query: ListQuery, after: Optional[tuple[str, str]]) -> tuple[str, list]:
        """FROM and WHERE for a listing, driven by the membership index when a set is asked for."""
        params: list = [query.prefix]
        if query.set_spec is not None:
            sql = (" FROM memberships k JOIN disseminations d ON d.prefix = ? AND d.identifier = k.identifier"
                   " JOIN records r ON r.identifier = k.identifier WHERE k.set_spec = ?")
            params.append(query.set_spec)
        else:
            sql = " FROM disseminations k JOIN records r ON r.identifier = k.identifier WHERE k.prefix = ?"
        if query.from_ is not None:
            sql += " AND k.datestamp >= ?"
            params.append(query.from_)
        if query.until is not None:
            sql += " AND k.datestamp <= ?"
            params.append(query.until)
        if after is not None:
            sql += " AND (k.datestamp, k.identifier) > (?, ?)"
            params.extend(after)
        return sql, params

    def list_records(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
                     with_metadata: bool) -> list[Stored]:
        where, params = self._where(query, after)
        xml = "d.xml" if query.set_spec is not None else "k.xml"
        columns = "k.identifier, k.datestamp, r.deleted, r.set_specs, r.header, " + (
            f"{xml}, r.about" if with_metadata else "NULL, x''")
        rows = self._db().execute(
            f"SELECT {columns}{where} ORDER BY k.datestamp, k.identifier LIMIT ?", (*params, limit))
        return [Stored(_header(i, d, dl, s), h, x, a) for i, d, dl, s, h, x, a in rows]

    def count(self, query: ListQuery) -> int:
        where, params = self._where(query, None)
        if query.set_spec is None:
            where = where.replace(" JOIN records r ON r.identifier = k.identifier", "")
        return self._db().execute(f"SELECT count(*){where}", params).fetchone()[0]

    def sets(self, after: Optional[str] = None, limit: Optional[int] = None) -> list[SetInfo]:
        rows = self._db().execute(
            "SELECT spec, name, description FROM sets WHERE spec > ? ORDER BY spec LIMIT ?",
            (after or "", -1 if limit is None else limit))
        return [SetInfo(*row) for row in rows]

    def set_count(self) -> int:
        return self._db().execute("SELECT count(*) FROM sets").fetchone()[0]

    def put_sets(self, sets: Iterable[SetInfo]) -> None:
        with self._write() as db:
            db.executemany("INSERT INTO sets VALUES (?, ?, ?) ON CONFLICT (spec) DO UPDATE SET"
                           " name = excluded.name, description = excluded.description",
                           [(s.spec, s.name, s.description) for s in sets])

    def summaries(self, search: str = "", limit: int = 20) -> list[tuple[Header, dict]]:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db().execute(
            "SELECT identifier, datestamp, deleted, set_specs, summary FROM records WHERE deleted = 0"
            " AND (json_extract(summary, '$.title') LIKE ?1 ESCAPE '\\'"
            " OR json_extract(summary, '$.creators') LIKE ?1 ESCAPE '\\')"
            " ORDER BY datestamp DESC, identifier LIMIT ?2", (pattern, limit))
        return [(_header(*row[:4]), json.loads(row[4])) for row in rows]

    def summary(self, identifier: str) -> Optional[dict]:
        row = self._db().execute("SELECT summary FROM records WHERE identifier = ? AND deleted = 0",
                                 (identifier,)).fetchone()
        return json.loads(row[0]) if row else None

    def record_count(self) -> int:
        return self._db().execute("SELECT count(*) FROM records WHERE deleted = 0").fetchone()[0]

    def check_integrity(self) -> list[str]:
        db = self._db()
        problems = [r[0] for r in db.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key: {r}" for r in db.execute("PRAGMA foreign_key_check")]
        return problems + [row[0] for sql in INTEGRITY for row in db.execute(sql + " LIMIT 100")]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
