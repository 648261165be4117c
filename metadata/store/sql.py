"""The one store: records, disseminations, memberships, tombstones, migrations, keyset paging, counting and
search, written once over a small dialect per database (metadata/store/sqlite.py, postgres.py).

Write once, copy on read: each dissemination row holds its whole <record> as the response sends it (header,
metadata, about containers; the closing tag is left to the reader, who may add a configured about container
first), keyed and clustered by (prefix, datestamp, identifier), so a page is one index range whose rows are
the bytes to send. Datestamps are strings 'YYYY-MM-DDThh:mm:ssZ', which sort like the instants they name.
SQL is written with '?' placeholders; the dialect turns them into its own.
"""
from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence

from metadata.record import XML_DECLARATION, Header, Record, Stored, header_xml
from metadata.store import schema
from metadata.store.base import (CHANGES, PAGES, RESOURCES, Entry, ListQuery, PutResult, SetInfo,
                                 content_hash)
from metadata.store.rows import (INSERT_DISSEMINATION, Page, dissemination_row, folded, header_of, json_of,
                                 search_text, stored_of)
from metadata.store.schema import INTEGRITY, Dialect

NO_LIMIT = 2 ** 62

# What entries() lists: FROM and WHERE, the keyset's columns, and the columns of an Entry (a download's hash and
# length from the narrow columns stored before the record, which is never read here).
DOWNLOAD = f"k.hash, k.metadata_end - k.metadata_start + {len(XML_DECLARATION)}"
ENTRIES = {
    RESOURCES: (" FROM disseminations k WHERE k.metadata_end > 0", ("k.prefix", "k.datestamp", "k.identifier"),
                f"k.datestamp, k.identifier, k.prefix, '', {DOWNLOAD}"),
    CHANGES: (" FROM records r JOIN disseminations k ON k.identifier = r.identifier WHERE 1 = 1",
              ("r.datestamp", "r.identifier", "k.prefix"),
              "r.datestamp, r.identifier, k.prefix, r.created, CASE WHEN k.metadata_end > 0 THEN k.hash END,"
              f" CASE WHEN k.metadata_end > 0 THEN k.metadata_end - k.metadata_start + {len(XML_DECLARATION)} END"),
    PAGES: (" FROM records r WHERE NOT r.deleted", ("r.datestamp", "r.identifier"),
            "r.datestamp, r.identifier, '', r.created, NULL, NULL"),
}


class SQLStore:
    def __init__(self, dialect: Dialect):
        self.dialect = dialect

    # --- plumbing ---------------------------------------------------------------------------------------
    def _all(self, statement: str, params: Sequence = ()) -> list:
        with self.dialect.connection() as conn:
            return self.dialect.fetch(conn, self.dialect.sql(statement), params)

    def _one(self, statement: str, params: Sequence = ()):
        rows = self._all(statement, params)
        return rows[0] if rows else None

    # --- schema -------------------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create the tables, or migrate them to the current version (metadata/store/schema.py)."""
        schema.create_schema(self.dialect)

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
                rows += [dissemination_row(prefix, now, record.identifier, head, metadata, record.about)
                         for prefix, metadata in record.formats.items()]
            self.dialect.executemany(conn, INSERT_DISSEMINATION, rows)
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
                return header_of(identifier, row[2], True, row[1])
            now = self.dialect.now(conn)
            tombstone = header_of(identifier, now, True, row[1])
            head = header_xml(tombstone)
            prefixes = [r[0] for r in conn.execute(sql("SELECT prefix FROM disseminations WHERE identifier = ?"),
                                                   (identifier,)).fetchall()]
            conn.execute(sql("UPDATE records SET deleted = ?, datestamp = ?, content_hash = '', summary = '{}',"
                             " search = '' WHERE identifier = ?"), (True, now, identifier))
            conn.execute(sql("DELETE FROM disseminations WHERE identifier = ?"), (identifier,))
            self.dialect.executemany(conn, INSERT_DISSEMINATION,
                                     [dissemination_row(p, now, identifier, head, None, b"") for p in prefixes])
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
        return header_of(*row) if row else None

    def get(self, identifier: str, prefix: str) -> Optional[Stored]:
        row = self._one(
            "SELECT r.identifier, r.datestamp, r.deleted, r.set_specs, d.header, d.record, d.metadata_start,"
            " d.metadata_end FROM disseminations d JOIN records r ON r.identifier = d.identifier"
            " WHERE d.identifier = ? AND d.prefix = ?", (identifier, prefix))
        return stored_of(header_of(*row[:4]), bytes(row[4]), bytes(row[5]), row[6], row[7]) if row else None

    def formats_of(self, identifier: str) -> Optional[list[str]]:
        rows = self._all("SELECT prefix FROM disseminations WHERE identifier = ? ORDER BY prefix", (identifier,))
        return [r[0] for r in rows] if rows else None

    def format_hashes(self, identifier: str) -> dict[str, str]:
        """The sha256 of each format's download (the declaration and the metadata; '' for a tombstone's)."""
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
            rows = self.dialect.fetch(conn, statement, params)
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
            return [Stored(header_of(*row[:4]), bytes(row[4]), None) for row in rows]
        return [stored_of(header_of(*row[:4]), bytes(row[4]), bytes(row[5]), row[6], row[7]) for row in rows]

    def _counting(self, query: ListQuery) -> tuple[str, list]:
        """completeListSize from an index range alone."""
        where, _, params = self._where(query, None)
        return self.dialect.sql(f"SELECT count(*){where}"), params

    def count(self, query: ListQuery) -> int:
        statement, params = self._counting(query)
        with self.dialect.connection() as conn:
            return self.dialect.fetch(conn, statement, params)[0][0]

    @staticmethod
    def _entries_where(kind: str, after: Optional[tuple], through: Optional[tuple], from_: Optional[str],
                       until: Optional[str]) -> tuple[str, str, list]:
        """FROM and WHERE of a listing of entries, and its keyset. A position compares as a row value; when the
        keyset's last column is in another table, its first two are compared apart too, so the range over
        records_by_datestamp starts right at the position."""
        sql, keys, _ = ENTRIES[kind]
        params: list = []
        datestamp = next(k for k in keys if k.endswith(".datestamp"))
        for bound, value in ((">=", from_), ("<=", until)):
            if value is not None:
                sql += f" AND {datestamp} {bound} ?"
                params.append(value)
        for bound, position in ((">", after), ("<=", through)):
            if position is not None:
                if kind == CHANGES:
                    sql += f" AND ({keys[0]}, {keys[1]}) {bound[0]}= (?, ?)"
                    params.extend(position[:2])
                sql += f" AND ({', '.join(keys)}) {bound} ({', '.join('?' * len(keys))})"
                params.extend(position)
        return sql, ", ".join(keys), params

    def entries(self, kind: str, after: Optional[tuple], through: Optional[tuple], limit: int,
                from_: Optional[str] = None, until: Optional[str] = None) -> list[Entry]:
        """Up to limit entries of kind after the position and up to through (positions in the kind's keyset),
        datestamps within the inclusive bounds: what ResourceSync lists and sitemaps say of each."""
        where, keys, params = self._entries_where(kind, after, through, from_, until)
        rows = self._all(f"SELECT {ENTRIES[kind][2]}{where} ORDER BY {keys} LIMIT ?", [*params, limit])
        return list(map(Entry._make, rows))  # blobs come as bytes from both drivers

    def splits(self, kind: str, every: int, from_: Optional[str] = None, until: Optional[str] = None) -> list[tuple]:
        """Where to cut a listing into documents of at most every entries: the position of each every-th
        entry but the last, numbered in one pass over the keyset's index."""
        where, keys, params = self._entries_where(kind, None, None, from_, until)
        names = [f"c{i}" for i in range(len(ENTRIES[kind][1]))]
        columns = ", ".join(f"{key} AS {name}" for key, name in zip(ENTRIES[kind][1], names))
        rows = self._all(f"SELECT {', '.join(names)} FROM (SELECT {columns}, row_number() OVER (ORDER BY {keys})"
                         f" AS n{where}) numbered WHERE n % ? = 0 ORDER BY n", [*params, every])
        positions = [tuple(row) for row in rows]
        if positions and not self.entries(kind, positions[-1], None, 1, from_, until):
            positions.pop()
        return positions

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
        return [(header_of(*row[:4]), json_of(row[4])) for row in rows]

    def summary(self, identifier: str) -> Optional[dict]:
        row = self._one("SELECT summary FROM records WHERE identifier = ? AND NOT deleted", (identifier,))
        return json_of(row[0]) if row else None

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


