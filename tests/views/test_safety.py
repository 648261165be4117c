"""One place for errors and security headers (provider/views/safety.py): JSON under /api, OAI-PMH XML on /oai
(through the endpoint's response path: compressed when asked, Vary-ed, a page for a browser), an HTML page
elsewhere; and one Content-Security-Policy on every HTML response, whoever built it."""
from __future__ import annotations

import gzip
import logging
import zlib

import pytest

from provider.api_tokens import token_hash
from provider.views.safety import CONTENT_SECURITY_POLICY, RETRY_AFTER_SECONDS
from tests.conftest import assert_valid_oai, make_app
from tests.reliability.conftest import AUTH, NS, TOKEN

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
DECODE = {"gzip": gzip.decompress, "deflate": zlib.decompress}


@pytest.fixture
def app(tmp_path, schema_dir):
    """SQLite only: these are rules of the web layer, not of a store. A small argument and body limit."""
    application = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir,
                           API_TOKENS={"pusher": token_hash(TOKEN)}, MAX_ARGUMENTS_LENGTH=100,
                           MAX_CONTENT_LENGTH=2000)
    yield application
    application.extensions["store"].close()


def oai_errors(response, response_schema, encoding: str | None = None) -> list[str]:
    """The §3.6 codes of an /oai answer that must be a valid OAI-PMH document, Vary-ed like every /oai answer."""
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert {"Accept", "Accept-Encoding"} <= set(response.vary)
    assert response.headers.get("Content-Encoding") == encoding
    body = DECODE[encoding](response.data) if encoding else response.data
    return [e.get("code") for e in assert_valid_oai(body, response_schema).findall("oai:error", NS)]


# --- /api: JSON ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, headers", [("GET", {}), ("PUT", AUTH), ("DELETE", AUTH)],
                         ids=["GET", "PUT", "DELETE"])
def test_an_unknown_api_route_is_a_json_404(app, method, headers):
    response = app.test_client().open("/api/nothing", method=method, headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Not Found" and response.json["messages"]


def test_a_wrong_method_under_api_is_a_json_405_that_says_what_is_allowed(app):
    response = app.test_client().get("/api/records/a")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert {"PUT", "DELETE"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_an_unexpected_error_under_api_is_a_json_500_without_internals(app, monkeypatch):
    monkeypatch.setattr(app.extensions["store"], "put", lambda *a, **k: 1 / 0)
    from tests.reliability.conftest import mods

    response = app.test_client().put("/api/records/a", data=mods("a"), headers=AUTH)
    assert response.status_code == 500 and response.json == {"error": "internal error", "messages": []}


# --- /oai: OAI-PMH XML, the endpoint's way ------------------------------------------------------------------

@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_3_6_arguments_over_the_limit_are_badArgument_compressed_and_varied(app, response_schema, method, encoding):
    args = {"verb": "ListRecords", "resumptionToken": "t" * 100}
    headers = {"Accept-Encoding": encoding} if encoding else {}
    client = app.test_client()
    response = (client.post("/oai", data=args, headers=headers) if method == "POST"
                else client.get("/oai", query_string=args, headers=headers))
    assert response.status_code == 200
    assert oai_errors(response, response_schema, encoding) == ["badArgument"]


def test_arguments_over_the_limit_are_a_page_for_a_browser(app):
    response = app.test_client().get("/oai", query_string={"verb": "Identify", "x": "y" * 100}, headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "badArgument" in response.get_data(as_text=True)


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_a_method_oai_does_not_take_is_405_with_an_oai_pmh_body(app, response_schema, encoding):
    headers = {**AUTH, **({"Accept-Encoding": encoding} if encoding else {})}
    response = app.test_client().put("/oai?verb=Identify", headers=headers)
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert oai_errors(response, response_schema, encoding) == ["badArgument"]


def test_a_body_over_the_limit_on_oai_is_413_with_an_oai_pmh_body(app, response_schema):
    response = app.test_client().post("/oai", data={"verb": "Identify", "x": "y" * 3000},
                                      headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 413
    assert oai_errors(response, response_schema, "gzip") == ["badArgument"]


def test_3_1_2_2_an_unexpected_error_on_oai_is_503_retry_after_compressed_and_varied(app, monkeypatch, caplog):
    monkeypatch.setattr(app.extensions["store"], "page", lambda *a, **k: 1 / 0)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/oai?verb=ListRecords&metadataPrefix=oai_dc",
                                         headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["Content-Encoding"] == "gzip" and {"Accept", "Accept-Encoding"} <= set(response.vary)
    assert b"ZeroDivision" not in gzip.decompress(response.data)
    assert any(r.exc_info for r in caplog.records)


# --- pages: HTML, and the one policy -----------------------------------------------------------------------

def test_an_unexpected_error_on_a_page_is_an_html_500_without_internals(app, monkeypatch):
    monkeypatch.setattr(app.extensions["store"], "record_count", lambda *a, **k: 1 / 0)
    response = app.test_client().get("/")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "Internal Server Error" in response.get_data(as_text=True)
    assert b"ZeroDivision" not in response.data


def test_every_html_response_carries_the_one_policy(seeded, monkeypatch):
    """Pages, the /oai page, error pages of every kind: the same header, byte for byte."""
    client = seeded.test_client()
    local_id = "birn-muntaner-2018"
    responses = {
        "home": client.get("/"), "search": client.get("/?q=birn"), "landing": client.get(f"/records/{local_id}"),
        "oai page": client.get("/oai?verb=Identify", headers=BROWSER),
        "oai error page": client.get("/oai?verb=Nonsense", headers=BROWSER),
        "404": client.get("/no/such/page"), "404 record": client.get("/records/nothing"),
        "405": client.post("/records/" + local_id, headers=AUTH),
        "oai 405 in a browser": client.put("/oai", headers={**AUTH, **BROWSER}),
    }
    monkeypatch.setattr(seeded.extensions["store"], "record_count", lambda *a, **k: 1 / 0)
    responses["500"] = client.get("/")
    for name, response in responses.items():
        assert response.mimetype == "text/html", name
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
    assert {r.status_code for r in responses.values()} >= {200, 404, 405, 500}
