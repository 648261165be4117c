"""Flow control and the last line of defence: rate limit (§3.1.2.2), argument limits, error answers, headers."""
from __future__ import annotations

import gzip
import logging

import pytest

from provider.views.limits import TokenBucket
from provider.views.safety import RETRY_AFTER_SECONDS
from tests.conftest import OAIClient, make_app
from tests.reliability.conftest import NS


@pytest.fixture
def sqlite_app(tmp_path, schema_dir):
    def build(**config):
        return make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}", schema_dir, **config)
    return build


def test_token_bucket_allows_a_burst_then_the_rate():
    now = [100.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") == pytest.approx(0.5)
    assert bucket.take("b") == 0, "clients have their own buckets"
    now[0] += 0.5
    assert bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(0.5)
    now[0] += 60
    assert [bucket.take("a") for _ in range(4)][:3] == [0, 0, 0], "a bucket never holds more than burst"


def test_token_bucket_forgets_idle_clients_to_stay_bounded():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=1, clock=lambda: now[0], max_clients=100)
    for i in range(100):
        bucket.take(f"10.0.0.{i}")
    now[0] += 1
    bucket.take("10.0.1.1")
    assert len(bucket._buckets) == 1


def test_3_1_2_2_over_the_rate_is_503_with_retry_after(sqlite_app):
    app = sqlite_app(RATE_LIMIT=0.5, RATE_BURST=3)
    client = app.test_client()
    one = {"REMOTE_ADDR": "198.51.100.1"}
    statuses = [client.get("/oai?verb=Identify", environ_base=one).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get("/oai?verb=Identify", environ_base=one)
    assert refused.status_code == 503
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert client.get("/oai?verb=Identify", environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200


def test_over_the_rate_is_answered_in_the_language_of_each_area(sqlite_app):
    """The refusal goes through the one error path (provider/views/safety.py): on /oai compressed when asked
    and Vary-ed like every /oai answer, JSON under /api, an HTML page elsewhere; Retry-After on each."""
    client = sqlite_app(RATE_LIMIT=0.01, RATE_BURST=1).test_client()
    one = {"REMOTE_ADDR": "198.51.100.9"}
    assert client.get("/oai?verb=Identify", environ_base=one).status_code == 200
    oai = client.get("/oai?verb=Identify", environ_base=one, headers={"Accept-Encoding": "gzip"})
    assert oai.status_code == 503 and oai.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in oai.headers["Vary"] and int(oai.headers["Retry-After"]) >= 1
    assert b"retry" in gzip.decompress(oai.data).lower()
    api = client.get("/api/records", environ_base=one)
    assert api.status_code == 503 and api.is_json and api.get_json()["error"] == "Service Unavailable"
    assert api.headers["Retry-After"]
    page = client.get("/", environ_base=one)
    assert page.status_code == 503 and page.mimetype == "text/html" and page.headers["Retry-After"]
    assert "Content-Security-Policy" in page.headers


def test_x_forwarded_for_names_the_client_only_behind_trusted_proxies(sqlite_app):
    def refused_after_burst(app, forwarded_for):
        client = app.test_client()
        return [client.get("/oai?verb=Identify", headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code for address in forwarded_for]

    spoofing = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    assert refused_after_burst(sqlite_app(RATE_LIMIT=0.1, RATE_BURST=2), spoofing) == [200, 200, 503], \
        "without a trusted proxy the header is ignored, so it cannot dodge the limit"
    proxied = sqlite_app(RATE_LIMIT=0.1, RATE_BURST=2, TRUSTED_PROXIES=1)
    assert refused_after_burst(proxied, spoofing) == [200, 200, 200]
    assert refused_after_burst(proxied, ["192.0.2.1"] * 2) == [200, 503]


def test_rate_limit_is_off_by_default(sqlite_app):
    client = sqlite_app().test_client()
    assert {client.get("/oai?verb=Identify").status_code for _ in range(100)} == {200}


@pytest.mark.parametrize("value", ["-1", "fast", "inf"])
def test_rate_limit_setting_is_checked(sqlite_app, value):
    from provider.settings import ConfigError

    with pytest.raises(ConfigError, match="OAI_RATE_LIMIT"):
        sqlite_app(RATE_LIMIT=value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_3_6_arguments_over_the_length_limit_are_badArgument(sqlite_app, response_schema, method):
    client = OAIClient(sqlite_app(MAX_ARGUMENTS_LENGTH=100).test_client(), response_schema)
    document = client.oai(method, verb="ListRecords", resumptionToken="t" * 100)
    assert [e.get("code") for e in document.findall("oai:error", NS)] == ["badArgument"]
    assert "t" * 100 not in document.findtext("oai:error", namespaces=NS)
    under = client.oai(method, verb="ListRecords", resumptionToken="t" * 70)
    assert [e.get("code") for e in under.findall("oai:error", NS)] == ["badResumptionToken"], "the verb decides"


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\ufffe", "\uffff"])
def test_3_6_a_character_xml_forbids_is_badArgument(sqlite_app, response_schema, character):
    client = OAIClient(sqlite_app().test_client(), response_schema)
    for args in ({"verb": "ListRecords", "resumptionToken": f"a{character}b"},
                 {"verb": "GetRecord", "identifier": f"oai:x{character}", "metadataPrefix": "oai_dc"},
                 {"verb": "Identify", f"n{character}": "v"}):
        document = client.oai(**args)
        assert {e.get("code") for e in document.findall("oai:error", NS)} == {"badArgument"}


def test_an_unexpected_error_on_oai_is_503_with_retry_after_and_no_internals(sqlite_app, monkeypatch, caplog):
    app = sqlite_app()

    def broken(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(app.extensions["store"], "page", broken)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/oai?verb=ListRecords&metadataPrefix=oai_dc")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"hunter2" not in response.data and b"Traceback" not in response.data
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and logged[0].exc_info and "hunter2" in str(logged[0].exc_info[1])


def test_an_unexpected_error_elsewhere_is_a_generic_500(sqlite_app, monkeypatch):
    from provider.api_tokens import token_hash
    from tests.reliability.conftest import AUTH, TOKEN, mods

    app = sqlite_app(API_TOKENS={"pusher": token_hash(TOKEN)})

    def broken(*args, **kwargs):
        raise RuntimeError("/var/lib/secret/path")

    monkeypatch.setattr(app.extensions["store"], "put", broken)
    response = app.test_client().put("/api/records/a", data=mods("a"), headers=AUTH)
    assert response.status_code == 500
    assert response.json == {"error": "internal error", "messages": []}
    assert b"secret" not in response.data


def test_http_errors_keep_their_status(sqlite_app):
    client = sqlite_app().test_client()
    assert client.get("/no/such/page").status_code == 404
    assert client.put("/oai").status_code in (401, 405)


def test_html_responses_carry_security_headers(sqlite_app):
    client = sqlite_app().test_client()
    pages = [client.get("/no/such/page")]
    pages += [client.get(rule.rule) for rule in client.application.url_map.iter_rules()
              if not rule.arguments and "GET" in rule.methods and rule.endpoint != "static"]
    html = [page for page in pages if page.mimetype == "text/html"]
    assert html
    for page in html:
        assert "default-src" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_xml_responses_are_nosniff(sqlite_app):
    response = sqlite_app().test_client().get("/oai?verb=Identify")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_visitor_state_is_kept(sqlite_app):
    """No session: a forged session cookie is never read, and no response sets a cookie on any page."""
    from flask import session

    app = sqlite_app()
    with app.test_request_context("/oai?verb=Identify", headers={"Cookie": "session=forged.value.here"}):
        app.preprocess_request()
        assert app.session_interface.is_null_session(session) and dict(session) == {}
    client = app.test_client()
    client.set_cookie("session", "forged.value.here")
    for path in ("/", "/oai?verb=Identify", "/oai?verb=ListRecords&metadataPrefix=oai_dc"):
        response = client.get(path)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, path
