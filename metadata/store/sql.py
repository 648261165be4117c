"""The one store: records, disseminations, memberships, tombstones, migrations, keyset paging, counting and
search, written once over a small dialect per database (metadata/store/sqlite.py, postgres.py).

Write once, copy on read: each dissemination row holds its whole <record> as the response sends it (header,
metadata, about containers; the closing tag is left to the reader, who may add a configured about container
first), keyed and clustered by (prefix, datestamp, identifier), so a page is one index range whose rows are
the bytes to send. Datestamps are strings 'YYYY-MM-DDThh:mm:ssZ', which sort like the instants they name.
SQL is written with '?' placeholders; the dialect turns them into its own.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Iterable, NamedTuple, Optional, Protocol, Sequence

from metadata.record import Header, Record, Stored, header_xml
from metadata.store.base import SCHEMA_VERSION, ListQuery, PutResult, SetInfo, StoreError, content_hash

NO_LIMIT = 2 ** 62


class Page(NamedTuple):
    rows: list[bytes]  # <record>s without their closing tag, or <header>s
    last: Optional[tuple[str, str]]  # the keyset position of the last row
    more: bool  # whether records follow
METADATA_OPEN, METADATA_CLOSE = b"<metadata>", b"</metadata>"


class Dialect(Protocol):
    """What differs between databases, and nothing else."""

    name: str
    types: dict  # DDL words: blob, text (a bytewise-sorted key), json, bool, without_rowid, instr

    def connection(self):
        """A context manager giving a connection in autocommit mode."""

    def write(self):
        """A context manager giving a connection inside a transaction that holds the store's write lock."""

    def now(self, conn) -> str:
        """The store's clock, read inside a write (so datestamps follow commit order)."""

    def sql(self, statement: str) -> str:
        """The statement with '?' placeholders in this database's style."""

    def executemany(self, conn, statement: str, rows: list) -> None: ...

    def integrity(self, conn) -> list[str]:
        """Problems the database's own consistency checks find."""

    def close(self) -> None: ...


# --- the schema, and the steps that bring each version to the next ------------------------------------

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS records (identifier {text} PRIMARY KEY, datestamp {text} NOT NULL,
    deleted {bool} NOT NULL DEFAULT {false}, set_specs text NOT NULL DEFAULT '', header {blob} NOT NULL,
    content_hash text NOT NULL, summary {json} NOT NULL DEFAULT '{{}}', about {blob} NOT NULL DEFAULT {empty_blob});
CREATE INDEX IF NOT EXISTS records_by_datestamp ON records (datestamp, identifier);
CREATE TABLE IF NOT EXISTS disseminations (prefix {text} NOT NULL,
    identifier {text} NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp {text} NOT NULL, xml {blob}, PRIMARY KEY (identifier, prefix));
CREATE INDEX IF NOT EXISTS disseminations_by_datestamp ON disseminations (prefix, datestamp, identifier);
CREATE TABLE IF NOT EXISTS memberships (set_spec {text} NOT NULL,
    identifier {text} NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp {text} NOT NULL, PRIMARY KEY (identifier, set_spec)){without_rowid};
CREATE INDEX IF NOT EXISTS memberships_by_datestamp ON memberships (set_spec, datestamp, identifier);
CREATE TABLE IF NOT EXISTS sets (spec {text} PRIMARY KEY, name text NOT NULL, description text NOT NULL DEFAULT '')
"""

# Version 2: the dissemination row is the <record> to send, clustered by (prefix, datestamp, identifier);
# records keep their first datestamp (created) and a folded text to search; each format its content hash.
SCHEMA_V2 = """
CREATE TABLE records_v2 (prefix {text} NOT NULL, datestamp {text} NOT NULL, identifier {text} NOT NULL,
    header {blob} NOT NULL, record {blob} NOT NULL, metadata_start integer NOT NULL, metadata_end integer NOT NULL,
    hash text NOT NULL, CONSTRAINT disseminations_by_position PRIMARY KEY (prefix, datestamp, identifier)){without_rowid};
ALTER TABLE records ADD COLUMN created {text} NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN search text NOT NULL DEFAULT ''
"""
V2_CLEANUP = """
DROP TABLE disseminations;
ALTER TABLE records_v2 RENAME TO disseminations;
CREATE INDEX disseminations_by_identifier ON disseminations (identifier, prefix);
ALTER TABLE records DROP COLUMN header;
ALTER TABLE records DROP COLUMN about;
{summary_as_text}
"""

# What a sound store never contains; each query names the offending rows.
INTEGRITY = [
    "SELECT 'dissemination without a record: ' || d.prefix || ' ' || d.identifier FROM disseminations d"
    " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.identifier = d.identifier)",
    "SELECT 'membership without a record: ' || m.set_spec || ' ' || m.identifier FROM memberships m"
    " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.identifier = m.identifier)",
    "SELECT 'dissemination datestamp or deletion differs from its record: ' || d.prefix || ' ' || d.identifier"
    " FROM disseminations d JOIN records r ON r.identifier = d.identifier"
    " WHERE d.datestamp <> r.datestamp OR (r.deleted AND d.metadata_end > 0) OR (NOT r.deleted AND d.metadata_end = 0)",
    "SELECT 'membership datestamp differs from its record: ' || m.set_spec || ' ' || m.identifier"
    " FROM memberships m JOIN records r ON r.identifier = m.identifier WHERE m.datestamp <> r.datestamp",
    "SELECT 'membership not among the record''s sets: ' || m.set_spec || ' ' || m.identifier"
    " FROM memberships m JOIN records r ON r.identifier = m.identifier"
    " WHERE {instr}(' ' || r.set_specs || ' ', ' ' || m.set_spec || ' ') = 0",
]


def folded(text: str) -> str:
    """Text as search compares it on every database: case-folded, accents removed ('María' -> 'maria')."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(summary: dict) -> str:
    return folded(" ".join([summary.get("title") or "", *(summary.get("creators") or [])]))


def record_bytes(header: bytes, metadata: Optional[bytes], about: bytes) -> tuple[bytes, int, int]:
    """A <record> as a response sends it, without its closing tag, and where its metadata lies in it (0, 0
    for a tombstone, which is a header alone, §2.5.1)."""
    if metadata is None:
        return b"<record>" + header, 0, 0
    start = len(b"<record>") + len(header) + len(METADATA_OPEN)
    about_part = b"<about>" + about + b"</about>" if about else b""
    return b"<record>" + header + METADATA_OPEN + metadata + METADATA_CLOSE + about_part, start, start + len(metadata)


def _stored(header: Header, head: bytes, record: Optional[bytes], start: int = 0, end: int = 0) -> Stored:
    if record is None:  # a header-only listing
        return Stored(header, head, None, b"", None)
    if not end:
        return Stored(header, head, None, b"", record)
    about = record[end + len(METADATA_CLOSE):]
    return Stored(header, head, record[start:end], about[len(b"<about>"):-len(b"</about>")] if about else b"",
                  record)


def _header(identifier: str, datestamp: str, deleted, set_specs: str) -> Header:
    return Header(identifier, datestamp, tuple(set_specs.split()) if set_specs else (), bool(deleted))


class SQLStore:
    def __init__(self, dialect: Dialect):
        self.dialect = dialect

    # --- plumbing ---------------------------------------------------------------------------------------
    def _all(self, statement: str, params: Sequence = ()) -> list:
        with self.dialect.connection() as conn:
            return conn.execute(self.dialect.sql(statement), params).fetchall()

    def _one(self, statement: str, params: Sequence = ()):
        rows = self._all(statement, params)
        return rows[0] if rows else None

    def _ddl(self, script: str) -> list[str]:
        return [s.strip() for s in script.format(**self.dialect.types).split(";") if s.strip()]

    # --- schema -------------------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create the tables, or migrate them step by step to SCHEMA_VERSION in one transaction (the write
        lock keeps app servers starting together from racing); refuse a newer database."""
        with self.dialect.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"the database has schema version {version}, newer than this software's "
                                 f"{SCHEMA_VERSION}: upgrade the software")
            if version == 0:  # a new database: the current schema at once
                version = self._create_current(conn)
            if version == 1:
                self._migrate_to_2(conn)
            conn.execute(self.dialect.sql("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE"
                                          " SET value = excluded.value"), (str(SCHEMA_VERSION),))

    def _create_current(self, conn) -> int:
        for statement in self._ddl(SCHEMA_V1):
            conn.execute(statement)
        self._migrate_to_2(conn)
        return SCHEMA_VERSION

    def _migrate_to_2(self, conn) -> None:
        """Version 1 kept a dissemination's metadata and the record's header and about apart, joined on
        every read; version 2 stores each <record> whole. Rows are copied a batch at a time through the same
        code that writes them, so a migrated record is byte for byte what a new put would store."""
        for statement in self._ddl(SCHEMA_V2):
            conn.execute(statement)
        conn.execute("UPDATE records SET created = datestamp")  # the first datestamp is not known: the oldest kept
        after = ("", "")
        while True:
            rows = conn.execute(self.dialect.sql(
                "SELECT d.prefix, d.identifier, d.datestamp, d.xml, r.header, r.about, r.deleted FROM disseminations d"
                " JOIN records r ON r.identifier = d.identifier WHERE (d.identifier, d.prefix) > (?, ?)"
                " ORDER BY d.identifier, d.prefix LIMIT 1000"), after).fetchall()
            if not rows:
                break
            after = (rows[-1][1], rows[-1][0])
            self.dialect.executemany(conn, "INSERT INTO records_v2 VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                (prefix, datestamp, identifier, bytes(head), *record_bytes(bytes(head), None if deleted else
                                                                            bytes(xml), bytes(about)),
                 "" if deleted else hashlib.sha256(bytes(xml)).hexdigest())
                for prefix, identifier, datestamp, xml, head, about, deleted in rows])
        for summary_row in conn.execute("SELECT identifier, summary FROM records").fetchall():
            summary = summary_row[1] if isinstance(summary_row[1], dict) else json.loads(summary_row[1] or "{}")
            conn.execute(self.dialect.sql("UPDATE records SET search = ? WHERE identifier = ?"),
                         (search_text(summary), summary_row[0]))
        for statement in self._ddl(V2_CLEANUP):
            conn.execute(statement)

    def schema_version(self) -> Optional[int]:
        try:
            row = self._one("SELECT value FROM meta WHERE key = 'schema_version'")
        except Exception:  # no meta table: never created
            return None
        return int(row[0]) if row else None

    # --- writes -------------------------------------------------------------------------------------------
    def now(self) -> str:
        """A harvest's start: read under the write lock, so a write in flight commits first and every later
        change gets a datestamp at least this one."""
        with self.dialect.write() as conn:
            return self.dialect.now(conn)

    def put(self, records: Sequence[Record]) -> list[PutResult]:
        """Upsert a batch in one transaction, a fixed number of statements whatever its size. A repeated
        identifier is stored once, as its last occurrence, with one result in its first occurrence's place."""
        records = list({r.identifier: r for r in records}.values())
        if not records:
            return []
        sql = self.dialect.sql
        with self.dialect.write() as conn:
            now = self.dialect.now(conn)
            existing = self._existing(conn, [r.identifier for r in records])
            results, changed, names, refreshed = [], [], {}, []
            for record in records:
                names.update(record.set_names)
                digest = content_hash(record)
                old = existing.get(record.identifier)
                summary = json.dumps(record.summary, ensure_ascii=False, sort_keys=True)
                if old and old[1] == digest and not old[2]:
                    results.append(PutResult(record.identifier, old[0], "unchanged"))
                    refreshed.append((summary, search_text(record.summary), record.identifier))
                    continue
                changed.append((record, digest, summary, old[3] if old else now))
                results.append(PutResult(record.identifier, now, "updated" if old else "created"))
            # Facts read by newer code reach unchanged records without a new datestamp: pages are not harvested.
            self.dialect.executemany(conn, "UPDATE records SET summary = ?, search = ? WHERE identifier = ?", refreshed)
            replaced = [(r.identifier,) for r, *_ in changed if r.identifier in existing]
            self.dialect.executemany(conn, "DELETE FROM disseminations WHERE identifier = ?", replaced)
            self.dialect.executemany(conn, "DELETE FROM memberships WHERE identifier = ?", replaced)
            self.dialect.executemany(
                conn, "INSERT INTO records (identifier, created, datestamp, deleted, set_specs, content_hash,"
                " summary, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (identifier) DO UPDATE SET"
                " datestamp = excluded.datestamp, deleted = excluded.deleted, set_specs = excluded.set_specs,"
                " content_hash = excluded.content_hash, summary = excluded.summary, search = excluded.search",
                [(r.identifier, created, now, False, " ".join(r.set_specs), digest, summary, search_text(r.summary))
                 for r, digest, summary, created in changed])
            rows = []
            for record, *_ in changed:
                head = header_xml(Header(record.identifier, now, record.set_specs))
                for prefix, metadata in record.formats.items():
                    rows.append((prefix, now, record.identifier, head, *record_bytes(head, metadata, record.about),
                                 hashlib.sha256(metadata).hexdigest()))
            self.dialect.executemany(conn, "INSERT INTO disseminations VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.dialect.executemany(conn, "INSERT INTO memberships VALUES (?, ?, ?)",
                                     [(s, r.identifier, now) for r, *_ in changed for s in r.set_specs])
            self.dialect.executemany(conn, "INSERT INTO sets (spec, name) VALUES (?, ?) ON CONFLICT (spec) DO NOTHING",
                                     list(names.items()))
        return results

    def _existing(self, conn, identifiers: list[str]) -> dict[str, tuple]:
        found = {}
        for start in range(0, len(identifiers), 500):
            chunk = identifiers[start:start + 500]
            rows = conn.execute(self.dialect.sql(
                "SELECT identifier, datestamp, content_hash, deleted, created FROM records WHERE identifier IN"
                f" ({','.join('?' * len(chunk))})"), chunk)
            found.update((row[0], row[1:]) for row in rows)
        return found

    def delete(self, identifier: str) -> Optional[Header]:
        sql = self.dialect.sql
        with self.dialect.write() as conn:
            row = conn.execute(sql("SELECT deleted, set_specs, datestamp FROM records WHERE identifier = ?"),
                               (identifier,)).fetchone()
            if row is None:
                return None
            if row[0]:
                return _header(identifier, row[2], True, row[1])
            now = self.dialect.now(conn)
            tombstone = _header(identifier, now, True, row[1])
            head = header_xml(tombstone)
            prefixes = [r[0] for r in conn.execute(sql("SELECT prefix FROM disseminations WHERE identifier = ?"),
                                                   (identifier,)).fetchall()]
            conn.execute(sql("UPDATE records SET deleted = ?, datestamp = ?, content_hash = '', summary = '{}',"
                             " search = '' WHERE identifier = ?"), (True, now, identifier))
            conn.execute(sql("DELETE FROM disseminations WHERE identifier = ?"), (identifier,))
            self.dialect.executemany(conn, "INSERT INTO disseminations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                     [(p, now, identifier, head, *record_bytes(head, None, b""), "") for p in prefixes])
            conn.execute(sql("UPDATE memberships SET datestamp = ? WHERE identifier = ?"), (now, identifier))
        return tombstone

    def put_sets(self, sets: Iterable[SetInfo]) -> None:
        with self.dialect.write() as conn:
            self.dialect.executemany(conn, "INSERT INTO sets VALUES (?, ?, ?) ON CONFLICT (spec) DO UPDATE SET"
                                     " name = excluded.name, description = excluded.description",
                                     [(s.spec, s.name, s.description) for s in sets])

    # --- reads --------------------------------------------------------------------------------------------
    def header(self, identifier: str) -> Optional[Header]:
        row = self._one("SELECT identifier, datestamp, deleted, set_specs FROM records WHERE identifier = ?",
                        (identifier,))
        return _header(*row) if row else None

    def get(self, identifier: str, prefix: str) -> Optional[Stored]:
        row = self._one(
            "SELECT r.identifier, r.datestamp, r.deleted, r.set_specs, d.header, d.record, d.metadata_start,"
            " d.metadata_end FROM disseminations d JOIN records r ON r.identifier = d.identifier"
            " WHERE d.identifier = ? AND d.prefix = ?", (identifier, prefix))
        return _stored(_header(*row[:4]), bytes(row[4]), bytes(row[5]), row[6], row[7]) if row else None

    def formats_of(self, identifier: str) -> Optional[list[str]]:
        rows = self._all("SELECT prefix FROM disseminations WHERE identifier = ? ORDER BY prefix", (identifier,))
        return [r[0] for r in rows] if rows else None

    def format_hashes(self, identifier: str) -> dict[str, str]:
        """The content hash of each format the record is disseminated in ('' for a tombstone's)."""
        return dict(self._all("SELECT prefix, hash FROM disseminations WHERE identifier = ?", (identifier,)))

    def created(self, identifier: str) -> Optional[str]:
        row = self._one("SELECT created FROM records WHERE identifier = ?", (identifier,))
        return row[0] if row else None

    def earliest_datestamp(self) -> Optional[str]:
        return self._one("SELECT min(datestamp) FROM records")[0]

    def sample_identifier(self) -> Optional[str]:
        """A live record's identifier when there is one (Identify's sampleIdentifier), else any."""
        statement = "SELECT identifier FROM records {} ORDER BY datestamp, identifier LIMIT 1"
        row = self._one(statement.format("WHERE NOT deleted")) or self._one(statement.format(""))
        return row[0] if row else None

    @staticmethod
    def _where(query: ListQuery, after: Optional[tuple[str, str]], join: str = "") -> tuple[str, str, list]:
        """FROM and WHERE of a listing, and its order: the dissemination key's range, through the membership
        index for a set; the position is a row value, so the range starts right at it."""
        params: list = []
        if query.set_spec is None:
            sql, key = f" FROM disseminations k{join} WHERE k.prefix = ?", "k"
            params.append(query.prefix)
        else:
            sql, key = (" FROM memberships m JOIN disseminations k ON k.prefix = ? AND k.datestamp = m.datestamp"
                        f" AND k.identifier = m.identifier{join} WHERE m.set_spec = ?"), "m"
            params += [query.prefix, query.set_spec]
        if query.from_ is not None:
            sql += f" AND {key}.datestamp >= ?"
            params.append(query.from_)
        if query.until is not None:
            sql += f" AND {key}.datestamp <= ?"
            params.append(query.until)
        if after is not None:
            sql += f" AND ({key}.datestamp, {key}.identifier) > (?, ?)"
            params.extend(after)
        return sql, f" ORDER BY {key}.datestamp, {key}.identifier", params

    def _listing(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
                 with_metadata: bool) -> tuple[str, list]:
        where, order, params = self._where(query, after)
        columns = "k.datestamp, k.identifier, " + ("k.record" if with_metadata else "k.header")
        return self.dialect.sql(f"SELECT {columns}{where}{order} LIMIT ?"), [*params, limit]

    def page(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
             with_metadata: bool) -> Page:
        """Up to limit records after the keyset position as the bytes to send: each row's <record> (without
        its closing tag) or its <header>. Nothing per record but the row the driver hands over."""
        statement, params = self._listing(query, after, limit + 1, with_metadata)
        with self.dialect.connection() as conn:
            rows = conn.execute(statement, params).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([row[2] for row in rows], (rows[-1][0], rows[-1][1]) if rows else None, more)

    def list_records(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
                     with_metadata: bool) -> list[Stored]:
        """Up to limit records strictly after the keyset position, in (datestamp, identifier) order, as Stored
        (the exports and rederive need headers and metadata apart; a harvest page takes page())."""
        where, order, params = self._where(query, after, " JOIN records r ON r.identifier = k.identifier")
        columns = "r.identifier, r.datestamp, r.deleted, r.set_specs, k.header" + (
            ", k.record, k.metadata_start, k.metadata_end" if with_metadata else "")
        rows = self._all(f"SELECT {columns}{where}{order} LIMIT ?", [*params, limit])
        if not with_metadata:
            return [Stored(_header(*row[:4]), bytes(row[4]), None) for row in rows]
        return [_stored(_header(*row[:4]), bytes(row[4]), bytes(row[5]), row[6], row[7]) for row in rows]

    def _counting(self, query: ListQuery) -> tuple[str, list]:
        """completeListSize from an index range alone."""
        where, _, params = self._where(query, None)
        return self.dialect.sql(f"SELECT count(*){where}"), params

    def count(self, query: ListQuery) -> int:
        statement, params = self._counting(query)
        with self.dialect.connection() as conn:
            return conn.execute(statement, params).fetchone()[0]

    def sets(self, after: Optional[str] = None, limit: Optional[int] = None) -> list[SetInfo]:
        rows = self._all("SELECT spec, name, description FROM sets WHERE spec > ? ORDER BY spec LIMIT ?",
                         (after or "", NO_LIMIT if limit is None else limit))
        return [SetInfo(*row) for row in rows]

    def set_count(self) -> int:
        return self._one("SELECT count(*) FROM sets")[0]

    def summaries(self, search: str = "", limit: int = 20) -> list[tuple[Header, dict]]:
        """Live records whose title or creators contain search, case and accents aside ('maria' finds 'María')."""
        pattern = "%" + folded(search).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._all("SELECT identifier, datestamp, deleted, set_specs, summary FROM records WHERE NOT deleted"
                         " AND search LIKE ? ESCAPE '\\' ORDER BY datestamp DESC, identifier LIMIT ?", (pattern, limit))
        return [(_header(*row[:4]), _json(row[4])) for row in rows]

    def summary(self, identifier: str) -> Optional[dict]:
        row = self._one("SELECT summary FROM records WHERE identifier = ? AND NOT deleted", (identifier,))
        return _json(row[0]) if row else None

    def record_count(self) -> int:
        return self._one("SELECT count(*) FROM records WHERE NOT deleted")[0]

    def check_integrity(self) -> list[str]:
        with self.dialect.connection() as conn:
            problems = self.dialect.integrity(conn)
            for statement in INTEGRITY:
                problems += [row[0] for row in conn.execute(statement.format(**self.dialect.types) + " LIMIT 100")]
        return problems

    def close(self) -> None:
        self.dialect.close()


def _json(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)
