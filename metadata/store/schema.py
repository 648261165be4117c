"""The store's tables in every version, and the steps that bring a database of one version to the next, run
in one transaction at start-up (create_schema). DDL is written once with a few words each dialect fills in.
"""
from __future__ import annotations

from typing import Protocol

from metadata.store.base import SCHEMA_VERSION, StoreError
from metadata.store.rows import INSERT_DISSEMINATION, dissemination_row, json_of, search_text


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

    def fetch(self, conn, statement: str, params) -> list:
        """Every row of a query (already in this database's placeholder style)."""

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
    header {blob} NOT NULL, hash text NOT NULL, metadata_start integer NOT NULL, metadata_end integer NOT NULL,
    record {blob} NOT NULL, CONSTRAINT disseminations_by_position PRIMARY KEY (prefix, datestamp, identifier)){without_rowid};
ALTER TABLE records ADD COLUMN created {text} NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN search text NOT NULL DEFAULT ''
"""
V2_CLEANUP = """
DROP TABLE disseminations;
ALTER TABLE records_v2 RENAME TO disseminations;
CREATE UNIQUE INDEX disseminations_by_identifier ON disseminations (identifier, prefix);
ALTER TABLE records DROP COLUMN header;
ALTER TABLE records DROP COLUMN about;
{summary_as_text}
"""

# Version 3: what a ResourceSync resource list says of each download, in key order, in a narrow index of
# its own: the list reads it alone, not the key's leaves, which hold whole <record>s.
SCHEMA_V3 = """
CREATE INDEX IF NOT EXISTS disseminations_listed ON disseminations (prefix, datestamp, identifier, hash,
    metadata_start, metadata_end)
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



def ddl(script: str, dialect: Dialect) -> list[str]:
    return [s.strip() for s in script.format(**dialect.types).split(";") if s.strip()]


def create_schema(dialect: Dialect) -> None:
    """Create the tables, or migrate them step by step to SCHEMA_VERSION in one transaction (the write
    lock keeps app servers starting together from racing); refuse a newer database."""
    with dialect.write() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"the database has schema version {version}, newer than this software's "
                             f"{SCHEMA_VERSION}: upgrade the software")
        if version == 0:  # a new database: version 1's tables, then every step below
            for statement in ddl(SCHEMA_V1, dialect):
                conn.execute(statement)
            version = 1
        if version == 1:
            _migrate_to_2(conn, dialect)
            version = 2
        if version == 2:
            for statement in ddl(SCHEMA_V3, dialect):
                conn.execute(statement)
        conn.execute(dialect.sql("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE"
                                 " SET value = excluded.value"), (str(SCHEMA_VERSION),))


def _migrate_to_2(conn, dialect: Dialect) -> None:
    """Version 1 kept a dissemination's metadata and the record's header and about apart, joined on
    every read; version 2 stores each <record> whole. Rows are copied a batch at a time through the same
    code that writes them, so a migrated record is byte for byte what a new put would store."""
    for statement in ddl(SCHEMA_V2, dialect):
        conn.execute(statement)
    conn.execute("UPDATE records SET created = datestamp")  # the first datestamp is not known: the oldest kept
    after = ("", "")
    while True:
        rows = conn.execute(dialect.sql(
            "SELECT d.prefix, d.identifier, d.datestamp, d.xml, r.header, r.about, r.deleted FROM disseminations d"
            " JOIN records r ON r.identifier = d.identifier WHERE (d.identifier, d.prefix) > (?, ?)"
            " ORDER BY d.identifier, d.prefix LIMIT 1000"), after).fetchall()
        if not rows:
            break
        after = (rows[-1][1], rows[-1][0])
        dialect.executemany(conn, INSERT_DISSEMINATION.replace("disseminations", "records_v2", 1), [
            dissemination_row(prefix, datestamp, identifier, bytes(head), None if deleted else bytes(xml), bytes(about))
            for prefix, identifier, datestamp, xml, head, about, deleted in rows])
    after_id = ""
    while True:  # a batch at a time, so a million records migrate in bounded memory
        rows = conn.execute(dialect.sql("SELECT identifier, summary FROM records WHERE identifier > ?"
                                        " ORDER BY identifier LIMIT 1000"), (after_id,)).fetchall()
        if not rows:
            break
        after_id = rows[-1][0]
        dialect.executemany(conn, "UPDATE records SET search = ? WHERE identifier = ?",
                            [(search_text(json_of(summary or "{}")), identifier) for identifier, summary in rows])
    for statement in ddl(V2_CLEANUP, dialect):
        conn.execute(statement)
