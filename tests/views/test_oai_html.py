"""/oai for people and for harvesters: a client that prefers HTML the way a browser does gets the response as a
page built on the server; every other client gets exactly the protocol's XML. Both answers say Vary: Accept.
(Chromium marks pages it renders with XSLT; test_browser.py shows the page in Chromium without that mark.)"""
from __future__ import annotations

import gzip
import re
import zlib
from html import unescape

import pytest
from lxml import etree

from provider.app import SEED
from provider.oai.verbs import respond
from provider.views import oai
from provider.views.safety import CONTENT_SECURITY_POLICY
from tests.conftest import StoreClock, assert_valid_oai, make_app
from tests.views.conftest import settle

LOCAL_ID = "birn-muntaner-2018"
IDENTIFIER = f"oai:test.example.org:{LOCAL_ID}"
TITLE = "Latin American social medicine across borders"
SEED_MODS = (SEED / f"{LOCAL_ID}.mods.xml").read_bytes()
NOW = "2030-01-01T00:00:00Z"
CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
            "application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JAVA_DEFAULT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"  # java.net.HttpURLConnection's own
BROWSER = {"Accept": CHROMIUM}
PAGE_TYPE = "text/html; charset=utf-8"

# Accept headers of harvesters and tools: all of them get the XML.
NOT_BROWSERS = {
    "no Accept": None, "any": "*/*", "text/xml": "text/xml", "application/xml": "application/xml",
    "java HttpURLConnection default": JAVA_DEFAULT, "html alone, XML never weighed": "text/html",
    "html or anything, a tie": "text/html, */*", "html and xml, a tie": "text/html, application/xml",
    "xml first": "application/xml, text/html;q=0.9", "xml over a browser-like list": "text/xml, " + FIREFOX,
}


@pytest.fixture
def sqlite_app(tmp_path, schema_dir):
    application = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir)
    yield application
    application.extensions["store"].close()


@pytest.mark.parametrize("accept, html", [(CHROMIUM, True), (FIREFOX, True), ("text/html, text/xml;q=0.5", True),
                                          ("text/html, application/xhtml+xml, application/xml;q=0", True)]
                         + [(value, False) for value in NOT_BROWSERS.values()],
                         ids=["chromium", "firefox", "html over xml", "no xml at all"] + list(NOT_BROWSERS))
def test_only_a_client_preferring_html_to_xml_gets_the_page(sqlite_app, accept, html):
    headers = {"Accept": accept} if accept is not None else {}
    with sqlite_app.test_request_context("/oai?verb=Identify", headers=headers):
        assert oai.wants_html() is html


@pytest.fixture
def frozen(listed, monkeypatch):
    """The seeded app with the protocol's clock stopped, so two answers to one request can be compared byte for
    byte."""
    monkeypatch.setattr("provider.oai.verbs.utc_now", lambda: NOW)
    monkeypatch.setattr(listed.extensions["repository"], "harvest_start", lambda: NOW)
    return listed


REQUESTS = [{"verb": "Identify"}, {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
            {"verb": "GetRecord", "metadataPrefix": "mods", "identifier": IDENTIFIER}, {"verb": "Nonsense"}]


@pytest.mark.parametrize("args", REQUESTS, ids=lambda a: a["verb"])
def test_harvesters_get_the_protocols_xml_byte_for_byte(frozen, args, response_schema):
    """Whatever a harvester sends, the body is what the protocol layer writes (today's XML, stylesheet
    instruction included), compressed or not."""
    client = frozen.test_client()
    with frozen.test_request_context():
        expected = b"".join(respond({k: [v] for k, v in args.items()}, frozen.extensions["repository"],
                                    frozen.extensions["oai_stylesheet"]))
    assert expected.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet ")
    assert_valid_oai(expected, response_schema)
    for name, accept in NOT_BROWSERS.items():
        for encoding, decode in (("identity", bytes), ("gzip", gzip.decompress), ("deflate", zlib.decompress)):
            headers = {"Accept-Encoding": encoding} | ({"Accept": accept} if accept is not None else {})
            response = client.get("/oai", query_string=args, headers=headers)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "text/xml; charset=utf-8", name
            assert decode(response.data) == expected, (name, encoding)
            assert {"Accept", "Accept-Encoding"} <= set(response.vary), name


def visible(html: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def page(client, method: str = "GET", **args):
    response = (client.post("/oai", data=args, headers=BROWSER) if method == "POST"
                else client.get("/oai", query_string=args, headers=BROWSER))
    assert response.headers["Content-Type"] == PAGE_TYPE
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert {"Accept", "Accept-Encoding"} <= set(response.vary)
    html = response.get_data(as_text=True)
    assert "<script" not in html
    return response, html


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_browser_gets_the_records_as_a_page(listed, method):
    response, html = page(listed.test_client(), method, verb="ListRecords", metadataPrefix="mods")
    assert response.status_code == 200
    text = visible(html)
    for expected in (TITLE, "Birn, Anne Emanuelle", "Muntaner, Carles", "Global Public Health, pp. 1–18",
                     IDENTIFIER, "The metadata as XML",
                     "curl 'http://oai.example.org/oai?verb=ListRecords&metadataPrefix=mods'"):
        assert expected in text, expected
    assert html.count('<article class="oai-record">') == 1
    assert f'href="/records/{LOCAL_ID}"' in html and f'href="/records/{LOCAL_ID}.mods.xml"' in html
    assert f'href="/oai?verb=GetRecord&amp;metadataPrefix=mods&amp;identifier={IDENTIFIER}"' in html
    assert "&lt;namePart type=&#34;family&#34;&gt;Birn&lt;/namePart&gt;" in html, "the record's XML, escaped"


def test_the_page_is_compressed_like_the_xml(listed):
    response = listed.test_client().get("/oai?verb=Identify", headers={**BROWSER, "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Repository name" in visible(gzip.decompress(response.data).decode())


def _repository_of_two(tmp_path, database_url, schema_dir, titles=("First", "Second")):
    app = make_app(tmp_path / "instance", database_url, schema_dir, PAGE_SIZE=1)
    for local, title in zip(("a-1", "a-2"), titles):
        body = SEED_MODS.replace(TITLE.encode(), title.encode())
        app.extensions["store"].put(app.extensions["pipeline"].prepare(body, "test", local))
    settle(app)
    return app


def test_3_5_the_next_page_link_follows_the_resumption_token(tmp_path, database_url, schema_dir):
    app = _repository_of_two(tmp_path, database_url, schema_dir)
    try:
        client = app.test_client()
        _, first = page(client, verb="ListRecords", metadataPrefix="mods")
        assert "1–1 of 2" in visible(first)
        link = re.search(r'<a rel="next" href="([^"]+)">Next page', first).group(1)
        token = re.fullmatch(r"/oai\?verb=ListRecords&amp;resumptionToken=([\w.-]+)", link).group(1)
        _, second = page(client, verb="ListRecords", resumptionToken=token)
        xml = etree.fromstring(client.get("/oai", query_string={"verb": "ListRecords", "resumptionToken": token}).data)
        expected = xml.findtext(".//{http://www.openarchives.org/OAI/2.0/}identifier")
        text = visible(second)
        assert expected in text and expected not in visible(first), "the page the token's XML lists"
        assert "2–2 of 2" in text and "End of the list" in text and "Next page" not in text
        assert "metadataPrefix=mods&amp;identifier=" in second, "links keep the format the token carries"
    finally:
        app.extensions["store"].close()


HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_record_text_is_escaped_and_only_web_addresses_are_links(tmp_path, schema_dir):
    app = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir)
    escaped = HOSTILE_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = SEED_MODS.replace(TITLE.encode(), escaped.encode()).replace(
        b"</relatedItem>", b"</relatedItem><location><url>javascript:alert(2)</url></location>"
                           b"<location><url>https://doi.example/10.1/x</url></location>")
    try:
        app.extensions["store"].put(app.extensions["pipeline"].prepare(body, "test", "hostile"))
        settle(app)
        _, html = page(app.test_client(), verb="GetRecord", metadataPrefix="mods",
                       identifier="oai:test.example.org:hostile")
    finally:
        app.extensions["store"].close()
    assert "<img" not in html and "javascript:alert(2)" in visible(html)
    assert "&lt;script&gt;alert(" in html, "the title is shown, as text"
    assert 'href="javascript:' not in html
    assert '<a class="url" href="https://doi.example/10.1/x">' in html


def test_a_deleted_record_is_shown_as_deleted(listed):
    with pytest.MonkeyPatch.context() as patch:  # deleted in the past, so a harvest lists it at once
        StoreClock("2024-02-01T00:00:00Z").install(patch)
        listed.extensions["store"].delete(IDENTIFIER)
    _, html = page(listed.test_client(), verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert "oai-record oai-deleted" in html and "Deleted" in visible(html)
    assert f'href="/records/{LOCAL_ID}"' not in html, "no landing page for a withdrawn record"


def test_3_6_an_oai_error_is_a_page_too(listed):
    response, html = page(listed.test_client(), verb="ListRecords", metadataPrefix="marc")
    assert response.status_code == 200, "as its XML (§3.6)"
    assert "cannotDisseminateFormat" in visible(html) and "<title>OAI-PMH error</title>" in html
