"""Migrations in place: a database made by the previous release (schema version 1) opens, migrates, and
serves the same records with the same datestamps, sets and bytes; a resumption token issued before the
upgrade continues after it, so a harvest under way during an upgrade finishes. On both databases.

The version-1 tables below are the released DDL (metadata/store/*.py at the last release), and the rows
are written the way that release wrote them.
"""
from __future__ import annotations

import json
import sqlite3


from metadata.record import Header, header_xml
from metadata.store import ListQuery, open_store
from metadata.store.base import SCHEMA_VERSION
from tests.conftest import OAIClient, make_app

V1 = {"sqlite": """
CREATE TABLE records (identifier TEXT PRIMARY KEY, datestamp TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    set_specs TEXT NOT NULL DEFAULT '', header BLOB NOT NULL, content_hash TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '{}', about BLOB NOT NULL DEFAULT x'');
CREATE INDEX records_by_datestamp ON records (datestamp, identifier);
CREATE TABLE disseminations (prefix TEXT NOT NULL, identifier TEXT NOT NULL REFERENCES records (identifier)
    ON DELETE CASCADE, datestamp TEXT NOT NULL, xml BLOB, PRIMARY KEY (identifier, prefix));
CREATE INDEX disseminations_by_datestamp ON disseminations (prefix, datestamp, identifier);
CREATE TABLE memberships (set_spec TEXT NOT NULL, identifier TEXT NOT NULL REFERENCES records (identifier)
    ON DELETE CASCADE, datestamp TEXT NOT NULL, PRIMARY KEY (identifier, set_spec)) WITHOUT ROWID;
CREATE INDEX memberships_by_datestamp ON memberships (set_spec, datestamp, identifier);
CREATE TABLE sets (spec TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
""", "postgresql": """
CREATE TABLE records (identifier text COLLATE "C" PRIMARY KEY, datestamp text COLLATE "C" NOT NULL,
    deleted boolean NOT NULL DEFAULT false, set_specs text NOT NULL DEFAULT '', header bytea NOT NULL,
    content_hash text NOT NULL, summary jsonb NOT NULL DEFAULT '{}', about bytea NOT NULL DEFAULT '');
CREATE INDEX records_by_datestamp ON records (datestamp, identifier);
CREATE TABLE disseminations (prefix text COLLATE "C" NOT NULL,
    identifier text COLLATE "C" NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp text COLLATE "C" NOT NULL, xml bytea, PRIMARY KEY (identifier, prefix));
CREATE INDEX disseminations_by_datestamp ON disseminations (prefix, datestamp, identifier);
CREATE TABLE memberships (set_spec text COLLATE "C" NOT NULL,
    identifier text COLLATE "C" NOT NULL REFERENCES records (identifier) ON DELETE CASCADE,
    datestamp text COLLATE "C" NOT NULL, PRIMARY KEY (identifier, set_spec));
CREATE INDEX memberships_by_datestamp ON memberships (set_spec, datestamp, identifier);
CREATE TABLE sets (spec text COLLATE "C" PRIMARY KEY, name text NOT NULL, description text NOT NULL DEFAULT '');
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)
"""}

DC = b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>%s</dc:title></oai_dc:dc>'
PROVENANCE = (b'<provenance xmlns="http://www.openarchives.org/OAI/2.0/provenance"><originDescription'
              b' harvestDate="2023-01-01" altered="true"><baseURL>http://a.example.org/oai</baseURL><identifier>'
              b'oai:a.example.org:1</identifier><datestamp>2022-12-01</datestamp><metadataNamespace>'
              b'http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></originDescription></provenance>')
ROWS = [  # identifier, datestamp, sets, formats (None: a tombstone), about, title
    ("oai:test.example.org:one", "2023-05-01T10:00:00Z", ("a", "a:b"), {"oai_dc": DC % b"One"}, b"", "María uno"),
    ("oai:test.example.org:two", "2023-05-02T10:00:00Z", (), {"oai_dc": DC % b"Two"}, PROVENANCE, "Two"),
    ("oai:test.example.org:three", "2023-05-03T10:00:00Z", ("a",), None, b"", ""),
    ("oai:test.example.org:four", "2023-05-04T10:00:00Z", (), {"oai_dc": DC % b"Four"}, b"", "Four"),
]


def build_version_1(database_url: str) -> None:
    """The tables and rows the previous release wrote."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    statements = [s for s in V1[backend].split(";") if s.strip()]
    inserts = []
    for identifier, datestamp, sets, formats, about, title in ROWS:
        head = header_xml(Header(identifier, datestamp, sets, formats is None))
        summary = json.dumps({"title": title, "creators": [], "date": ""} if formats else {})
        inserts.append(("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (identifier, datestamp, formats is None, " ".join(sets), head, "h" if formats else "",
                         summary, about)))
        for prefix in (formats or {"oai_dc": None}):
            inserts.append(("INSERT INTO disseminations VALUES (?, ?, ?, ?)",
                            (prefix, identifier, datestamp, (formats or {}).get(prefix))))
        inserts += [("INSERT INTO memberships VALUES (?, ?, ?)", (spec, identifier, datestamp)) for spec in sets]
    inserts += [("INSERT INTO sets VALUES (?, ?, ?)", (spec, spec.upper(), "")) for spec in ("a", "a:b")]
    inserts.append(("INSERT INTO meta VALUES ('schema_version', '1')", ()))
    if backend == "sqlite":
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            for statement in statements:
                db.execute(statement)
            for statement, params in inserts:
                db.execute(statement, params)
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        for statement in statements:
            db.execute(statement)
        for statement, params in inserts:
            db.execute(statement.replace("?", "%s"), params)


def test_a_version_1_database_migrates_and_serves_the_same_records(database_url):
    build_version_1(database_url)
    store = open_store(database_url)
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION == 3
    listed = [(s.header.identifier, s.header.datestamp, s.header.set_specs, s.header.deleted, s.metadata, s.about)
              for s in store.list_records(ListQuery("oai_dc"), None, 10, True)]
    assert listed == [(i, d, sets, formats is None, None if formats is None else formats["oai_dc"], about)
                      for i, d, sets, formats, about, _ in ROWS]
    assert [s.header.identifier for s in store.list_records(ListQuery("oai_dc", set_spec="a"), None, 10, True)] == [
        "oai:test.example.org:one", "oai:test.example.org:three"]
    assert store.created("oai:test.example.org:two") == "2023-05-02T10:00:00Z"
    assert [h.identifier for h, _ in store.summaries("maria")] == ["oai:test.example.org:one"]
    assert store.check_integrity() == []
    store.create_schema()  # again: nothing to do
    store.close()


def test_a_harvest_under_way_during_the_upgrade_finishes(database_url, tmp_path, schema_dir, response_schema):
    """The token carries the arguments and the keyset position; the position means the same after the
    upgrade, so the next page is the rest of the list."""
    from itsdangerous import URLSafeTimedSerializer

    build_version_1(database_url)
    # issued by the release before: its token form (itsdangerous), this instance's secret
    token = URLSafeTimedSerializer("test-secret-key-0123456789", salt="oai-pmh resumption token").dumps(
        ["ListRecords", "oai_dc", None, None, "2023-12-31T00:00:00Z",
         ["2023-05-02T10:00:00Z", "oai:test.example.org:two"], 2, 4])

    app = make_app(tmp_path / "instance", database_url, schema_dir)  # opening the store migrates it
    client = OAIClient(app.test_client(), response_schema)
    page = client.oai(verb="ListRecords", resumptionToken=token)
    ns = {"oai": "http://www.openarchives.org/OAI/2.0/"}
    assert page.xpath("//oai:header/oai:identifier/text()", namespaces=ns) == [
        "oai:test.example.org:three", "oai:test.example.org:four"]
    assert page.find(".//oai:resumptionToken", ns).get("cursor") == "2"
    app.extensions["store"].close()


def test_a_version_2_database_gains_the_resource_list_index_and_keeps_its_rows(database_url):
    """Version 2 (the previous release) is version 3 without disseminations_listed: opening adds it."""
    from metadata.store.base import RESOURCES

    build_version_1(database_url)
    store = open_store(database_url)
    store.create_schema()
    before = store.entries(RESOURCES, None, None, 100)
    with store.dialect.write() as conn:  # what the previous release left: no listing index, version 2
        conn.execute("DROP INDEX disseminations_listed")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.close()

    store = open_store(database_url)
    assert store.schema_version() == 2
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION == 3
    assert store.entries(RESOURCES, None, None, 100) == before and before
    with store.dialect.write() as conn:
        conn.execute("DROP INDEX disseminations_listed")  # it exists again
    assert store.check_integrity() == []
    store.close()
