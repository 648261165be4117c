"""Shared fixtures: installed schemas, a database per test on each store, and an isolated environment.

Every test that takes `database_url` runs twice: on SQLite and on a real PostgreSQL server (a database
created for this test run and dropped after it, one schema per test inside it).
"""
from __future__ import annotations

import contextlib
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from schemas.catalog import install

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_SOURCE = os.environ.get("OAI_SCHEMA_SOURCE") or str(ROOT.parent / "shared" / "schemas")
PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No OAI_* variable of the developer's shell leaks into a test (the tests set their own)."""
    for name in list(os.environ):
        if name.startswith("OAI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OAI_SCHEMA_SOURCE", SCHEMA_SOURCE)


@pytest.fixture(scope="session")
def schema_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("schemas")
    install(SCHEMA_SOURCE, folder)
    return folder


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    psycopg = pytest.importorskip("psycopg")
    name = f"oai_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_SERVER}/{name}"
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _postgres_schema_url(database: str) -> tuple[str, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    import psycopg

    with psycopg.connect(database, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    return f"{database}?options={quote(f'-csearch_path={schema}')}", schema


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A database URL for an empty store, once per back end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oai.sqlite3'}"
        return
    database = request.getfixturevalue("postgres_database")
    url, schema = _postgres_schema_url(database)
    yield url
    import psycopg

    with psycopg.connect(database, autocommit=True) as db:
        db.execute(f'DROP SCHEMA "{schema}" CASCADE')


# --- the app and a client that checks every OAI-PMH response against the official schemas -------------

ENVELOPE_SCHEMAS = ["oai/OAI-PMH.xsd", "oai/oai-identifier.xsd", "oai/provenance.xsd", "oai/rights.xsd"]


class ResponseSchemas:
    """OAI-PMH.xsd compiled with the schemas its strict wildcards need, so metadata, about and description
    containers are validated against their own schemas along with the envelope. One compilation per metadata
    format: OpenAIRE's DataCite profile and DataCite's kernel share a namespace, so no single schema holds both.
    Quacks like an lxml XMLSchema (validate, error_log); picks the schema by the response's metadata."""

    def __init__(self, folder):
        from metadata.formats import standard_formats
        from schemas.catalog import load_combined

        self.by_namespace = {fmt.namespace: load_combined(folder, ENVELOPE_SCHEMAS + list(fmt.schema_paths))
                             for fmt in standard_formats().values()}
        self.default = load_combined(folder, ENVELOPE_SCHEMAS + ["oai/oai_dc.xsd", "loc/mods/mods-3-8.xsd"])
        self.error_log = None

    def validate(self, document) -> bool:
        from lxml import etree

        metadata = document.find(".//{http://www.openarchives.org/OAI/2.0/}metadata")
        namespace = etree.QName(metadata[0]).namespace if metadata is not None and len(metadata) else None
        schema = self.by_namespace.get(namespace, self.default)
        valid = schema.validate(document)
        self.error_log = schema.error_log
        return valid


@pytest.fixture(scope="session")
def response_schema(schema_dir):
    return ResponseSchemas(schema_dir)


def assert_valid_oai(body: bytes, response_schema) -> "etree._Element":
    from lxml import etree

    document = etree.fromstring(body)
    if not response_schema.validate(document):
        raise AssertionError(f"response not valid against OAI-PMH.xsd: {response_schema.error_log}\n{body[:2000]!r}")
    return document


class OAIClient:
    """Flask's test client; every /oai response is checked (status 200, content type, schema)."""

    def __init__(self, flask_client, response_schema):
        self.flask, self.schema = flask_client, response_schema

    def oai(self, method: str = "GET", **args):
        """The parsed, validated response to an OAI-PMH request (args with spec spellings; from_ → from)."""
        args = {("from" if k == "from_" else k): v for k, v in args.items()}
        if method == "GET":
            response = self.flask.get("/oai", query_string=args)
        else:
            response = self.flask.post("/oai", data=args)
        assert response.status_code == 200, response.data
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        return assert_valid_oai(response.data, self.schema)

    def __getattr__(self, name):
        return getattr(self.flask, name)


def make_app(instance, database_url, schema_dir, **config):
    """An app on its own instance folder, schemas installed, store empty (no seed unless asked)."""
    import shutil

    from provider import create_app

    instance.mkdir(parents=True, exist_ok=True)
    if not (instance / "schemas").exists():
        shutil.copytree(schema_dir, instance / "schemas")
    settings = {"INSTANCE": str(instance), "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key-0123456789",
                "BASE_URL": "http://oai.example.org/oai", "REPOSITORY_IDENTIFIER": "test.example.org",
                "DATACITE_SYMBOL": "EXAMPLE.REPO", "TESTING": True}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(tmp_path, database_url, schema_dir):
    application = make_app(tmp_path / "instance", database_url, schema_dir)
    yield application
    application.extensions["store"].close()


@pytest.fixture
def client(app, response_schema):
    return OAIClient(app.test_client(), response_schema)


class StoreClock:
    """Stands in for both stores' clocks (the one place each reads the time), so tests choose datestamps."""

    def __init__(self, now: str = "2020-01-01T00:00:00Z"):
        self.now = now

    def install(self, monkeypatch) -> "StoreClock":
        from metadata.store import sqlite as sqlite_store
        from metadata.store.postgres import PostgresDialect

        monkeypatch.setattr(sqlite_store, "utc_now", lambda: self.now)
        monkeypatch.setattr(PostgresDialect, "now", lambda dialect, conn: self.now)
        return self


@pytest.fixture
def seeded(app):
    """The app with the seed article ingested, stamped in the past so that a harvest (which lists what was
    stamped before the second it starts in) sees it at once."""
    from metadata.ingest import ingest
    from provider.app import SEED

    with pytest.MonkeyPatch.context() as patch:
        StoreClock("2024-01-15T09:30:00Z").install(patch)
        report = ingest(app.extensions["pipeline"], app.extensions["store"], sorted(SEED.glob("*.xml")))
    assert not report.refused
    return app


# --- a host that must never be reached ----------------------------------------------------------------

class Attacker:
    """A loopback host an external entity or DTD could point at; records every request it gets."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                body = b'<!ENTITY leak "pwned">'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def attacker():
    host = Attacker()
    yield host
    host.close()




# --- a WSGI app on a loopback port ---------------------------------------------------------------------

@contextlib.contextmanager
def serving(wsgi_app):
    """The app served by a real HTTP server on a free loopback port, for clients that need a URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
