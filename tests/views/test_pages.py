"""Pages for people (issue 6): the home page, record landing pages with Highwire and schema.org metadata,
content negotiation, error pages and escaping of untrusted record text. Every test runs on SQLite and
PostgreSQL."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from lxml import etree

from provider.app import SEED
from tests.conftest import make_app

LOCAL_ID = "birn-muntaner-2018"
IDENTIFIER = f"oai:test.example.org:{LOCAL_ID}"
TITLE = "Latin American social medicine across borders"
SUBTITLE = "South–South cooperation and the making of health solidarity"
SEED_MODS = (SEED / f"{LOCAL_ID}.mods.xml").read_bytes()
ATTACK = "<script>alert(1)</script>"


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: meta tags, JSON-LD blocks, visible text."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.json_ld: list[str] = []
        self.scripts: list[dict] = []
        self.text: list[str] = []
        self._in_script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.meta.append((attrs["name"], attrs.get("content", "")))
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = attrs.get("type")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script == "application/ld+json":
            self.json_ld.append(data)
        elif self._in_script is None:
            self.text.append(data)

    def values(self, name: str) -> list[str]:
        return [content for key, content in self.meta if key == name]

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def landing(client, local_id: str = LOCAL_ID, **kwargs):
    return client.get(f"/records/{local_id}", **kwargs)


def assert_hardened(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'none'" in policy


# --- home page ------------------------------------------------------------------------------------------------

def test_home_page_describes_the_repository(tmp_path, database_url, schema_dir):
    app = make_app(tmp_path / "instance", database_url, schema_dir, REPOSITORY_NAME="Test Social Medicine Archive",
                   REPOSITORY_DESCRIPTION="Articles on social medicine & health <solidarity>.")
    try:
        from metadata.ingest import ingest

        ingest(app.extensions["pipeline"], app.extensions["store"], [SEED / f"{LOCAL_ID}.mods.xml"])
        response = app.test_client().get("/")
    finally:
        app.extensions["store"].close()
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    assert "Test Social Medicine Archive" in page.visible
    assert "Articles on social medicine & health <solidarity>." in page.visible
    assert "&lt;solidarity&gt;" in html
    assert "1 record in 5 metadata formats" in page.visible
    assert "Metadata: mods, oai_dc, oai_openaire, oai_datacite, marcxml." in page.visible
    for prefix in ("mods", "oai_dc", "oai_openaire", "oai_datacite", "marcxml"):
        assert f'href="/download/{prefix}.xml.gz"' in html
    assert 'href="http://oai.example.org/oai?verb=Identify"' in html
    assert 'href="http://oai.example.org/oai?verb=ListRecords&amp;metadataPrefix=mods"' in html
    assert "GetRecord" in page.visible
    assert '<form class="search" action="/" method="get"' in html
    assert f'href="/records/{LOCAL_ID}"' in html, "recently updated records link to their landing pages"
    assert_hardened(response)


@pytest.mark.parametrize("query, found", [("birn", True), ("Latin American", True), ("MUNTANER", True),
                                          ("no such words", False)])
def test_home_page_searches_titles_and_authors(seeded, client, query, found):
    html = client.get("/", query_string={"q": query}).get_data(as_text=True)
    assert (f'href="/records/{LOCAL_ID}"' in html) is found
    assert f'value="{query}"' in html


def test_search_results_link_only_this_repositorys_identifiers(seeded, client):
    assert b"/records/" in client.get("/?q=birn").data


# --- landing page ---------------------------------------------------------------------------------------------

def test_landing_page_shows_the_article(seeded, client):
    response = landing(client)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    text = page.visible
    for expected in (TITLE, SUBTITLE, "Anne Emanuelle Birn", "Carles Muntaner", "Global Public Health",
                     "1–18", "2018-02-23", "considerable between-country solidarity", "Medical internationalism",
                     "Public Health, Environmental and Occupational Health", "Subject areas", "Keywords"):
        assert expected in text, expected
    assert_hardened(response)
    assert "Accept" in response.headers["Vary"]


def test_landing_page_links_every_format_and_getrecord(seeded, client):
    html = landing(client).get_data(as_text=True)
    for prefix in ("mods", "oai_dc"):
        assert f'href="http://oai.example.org/records/{LOCAL_ID}.{prefix}.xml"' in html
        assert (f'href="http://oai.example.org/oai?verb=GetRecord&amp;metadataPrefix={prefix}'
                f'&amp;identifier=oai%3Atest.example.org%3A{LOCAL_ID}"') in html


def test_highwire_meta_tags_carry_the_seed(seeded, client):
    page = Page(landing(client).get_data(as_text=True))
    assert page.values("citation_title") == [f"{TITLE}: {SUBTITLE}"]
    assert page.values("citation_author") == ["Birn, Anne Emanuelle", "Muntaner, Carles"]
    assert page.values("citation_journal_title") == ["Global Public Health"]
    assert page.values("citation_publication_date") == ["2018/02/23"]
    assert page.values("citation_firstpage") == ["1"]
    assert page.values("citation_lastpage") == ["18"]
    assert page.values("citation_language") == ["en"]
    assert {"Cuba", "Venezuela", "Medical internationalism"} <= set(page.values("citation_keywords"))


def test_json_ld_is_a_scholarly_article(seeded, client):
    page = Page(landing(client).get_data(as_text=True))
    assert len(page.json_ld) == 1
    article = json.loads(page.json_ld[0])
    assert article["@context"] == "https://schema.org"
    assert article["@type"] == "ScholarlyArticle"
    assert article["name"] == f"{TITLE}: {SUBTITLE}"
    assert [a["name"] for a in article["author"]] == ["Anne Emanuelle Birn", "Carles Muntaner"]
    assert article["author"][0]["familyName"] == "Birn"
    assert article["datePublished"] == "2018-02-23"
    assert article["isPartOf"] == {"@type": "Periodical", "name": "Global Public Health"}
    assert (article["pageStart"], article["pageEnd"]) == ("1", "18")
    assert "Cuba" in article["keywords"]
    assert {e["name"]: e["encodingFormat"] for e in article["encoding"]} == {
        "mods": "application/mods+xml", "oai_dc": "application/xml", "oai_openaire": "application/xml",
        "marcxml": "application/marcxml+xml"}  # no oai_datacite: the seed has no DOI


def test_a_dc_only_record_gets_a_landing_page(seeded, client):
    dc = b"""<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
      xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Only Dublin Core</dc:title>
      <dc:creator>Doe, Jane</dc:creator><dc:date>2020</dc:date><dc:identifier>dc-only-2</dc:identifier></oai_dc:dc>"""
    seeded.extensions["store"].put(seeded.extensions["pipeline"].prepare(dc, "test"))
    response = landing(client, "dc-only-2")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert "Only Dublin Core" in page.visible and "Jane Doe" in page.visible
    assert page.values("citation_author") == ["Doe, Jane"]
    assert page.values("citation_publication_date") == ["2020"]
    assert landing(client, "dc-only-2", headers={"Accept": "application/xml"}).mimetype == "application/xml"


# --- content negotiation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept, mimetype, root", [
    ("text/html", "text/html", None),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html", None),
    ("*/*", "text/html", None),
    ("application/mods+xml", "application/mods+xml", "{http://www.loc.gov/mods/v3}mods"),
    ("application/xml", "application/mods+xml", "{http://www.loc.gov/mods/v3}mods"),
    ("text/xml", "application/mods+xml", "{http://www.loc.gov/mods/v3}mods"),
], ids=["html", "browser", "any", "mods", "application-xml", "text-xml"])
def test_landing_page_negotiates_by_accept(seeded, client, accept, mimetype, root):
    response = landing(client, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]
    if root:
        assert etree.fromstring(response.data).tag == root
        assert "Content-Disposition" not in response.headers
        assert response.headers["ETag"]


def test_xml_for_a_dc_only_record_is_oai_dc(seeded, client):
    dc = b"""<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
      xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>DC</dc:title><dc:identifier>dc-3</dc:identifier></oai_dc:dc>"""
    seeded.extensions["store"].put(seeded.extensions["pipeline"].prepare(dc, "test"))
    response = landing(client, "dc-3", headers={"Accept": "text/xml"})
    assert etree.fromstring(response.data).tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert landing(client, "dc-3", headers={"Accept": "application/mods+xml"}).status_code == 404


def test_unacceptable_accept_is_406(seeded, client):
    assert landing(client, headers={"Accept": "application/json"}).status_code == 406


# --- errors ------------------------------------------------------------------------------------------------

def test_unknown_record_is_a_404_page(seeded, client):
    response = landing(client, "no-such-record")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "no-such-record" in Page(response.get_data(as_text=True)).visible
    assert_hardened(response)


def test_unknown_path_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"


@pytest.mark.parametrize("accept", ["text/html", "application/mods+xml"])
def test_deleted_record_is_410_gone(seeded, client, accept):
    seeded.extensions["store"].delete(IDENTIFIER)
    response = landing(client, headers={"Accept": accept})
    assert response.status_code == 410
    assert "withdrawn" in Page(response.get_data(as_text=True)).visible


# --- untrusted text ------------------------------------------------------------------------------------------

@pytest.fixture
def attack(seeded):
    """A schema-valid record whose title, author and abstract hold markup."""
    mods = SEED_MODS.replace(f"<title>{TITLE}</title>".encode(),
                             b"<title>&lt;script&gt;alert(1)&lt;/script&gt; \"quoted\" &amp; &lt;/script&gt;</title>")
    mods = mods.replace(b"<namePart type=\"family\">Birn</namePart>",
                        b"<namePart type=\"family\">&lt;img src=x onerror=alert(2)&gt;</namePart>")
    records = seeded.extensions["pipeline"].prepare(mods, "attack.xml", "xss-1")
    seeded.extensions["store"].put(records)
    return seeded


def test_record_text_is_escaped_in_html(attack, client):
    response = landing(client, "xss-1")
    html = response.get_data(as_text=True)
    assert ATTACK not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = Page(html)
    assert ATTACK in page.visible, "the text is shown, as text"
    assert [s.get("type") for s in page.scripts] == ["application/ld+json"], "no script but the data block"
    assert page.values("citation_title")[0].startswith(f'{ATTACK} "quoted" & </script>')


def test_json_ld_cannot_break_out_of_its_script_element(attack, client):
    html = landing(client, "xss-1").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block
    article = json.loads(block)
    assert article["name"].startswith(f'{ATTACK} "quoted" & </script>')
    assert article["author"][0]["familyName"] == "<img src=x onerror=alert(2)>"


def test_search_results_are_escaped(attack, client):
    html = client.get("/", query_string={"q": "alert"}).get_data(as_text=True)
    assert ATTACK not in html and "&lt;script&gt;alert(1)" in html
    html = client.get("/", query_string={"q": ATTACK}).get_data(as_text=True)
    assert ATTACK not in html
