"""A database restart costs a harvest nothing (PostgreSQL, a fleet's store). A restart, a failover or
maintenance ends every server connection; each pooled connection an app worker holds is then dead, and the
next request that drew one used to fail with 503. The pool now checks a connection as it hands it out."""
from __future__ import annotations

import pytest

from tests.conftest import OAIClient, make_app

NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def end_every_connection_but_mine(database_url: str) -> int:
    """What a restart does to the app's connections: pg_terminate_backend on each, from another session."""
    import psycopg

    base = database_url.split("?", 1)[0]
    with psycopg.connect(base, autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
    return len(rows)


@pytest.fixture
def pg_app(tmp_path, schema_dir, postgres_database):
    from tests.conftest import _postgres_schema_url

    url, _ = _postgres_schema_url(postgres_database)
    app = make_app(tmp_path / "instance", url, schema_dir, PAGE_SIZE=1)
    pipeline, store = app.extensions["pipeline"], app.extensions["store"]
    from tests.metadata.test_validate import mods
    from tests.conftest import StoreClock

    with pytest.MonkeyPatch.context() as patch:
        StoreClock("2024-01-01T00:00:00Z").install(patch)
        for n in range(3):
            store.put(pipeline.prepare(mods(f"r-{n}", f"Record {n}"), f"r-{n}.xml"))
    yield app, url
    store.close()


def test_a_database_restart_between_two_pages_gives_no_error(pg_app, response_schema):
    app, url = pg_app
    client = OAIClient(app.test_client(), response_schema)
    first = client.oai(verb="ListRecords", metadataPrefix="oai_dc")
    token = first.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
    assert token
    assert end_every_connection_but_mine(url) >= 1
    second = client.flask.get("/oai", query_string={"verb": "ListRecords", "resumptionToken": token})
    assert second.status_code == 200, (second.status_code, second.headers.get("Retry-After"))
    assert b"<record>" in second.data
