"""The OAI-PMH stylesheet (issue 6): every /oai XML response points to oai2.xsl, served by the app, and the XSLT
renders each verb's response, errors and the next page link as HTML (here with lxml). Browsers no longer need
it: they get the same view built on the server (test_oai_html.py), which must show what the stylesheet shows.
The instruction stays in the XML, so harvesters keep today's bytes and a client that asks for XML still gets a
readable view where XSLT works. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from provider.app import SEED
from tests.conftest import make_app
from tests.views.conftest import settle

LOCAL_ID = "birn-muntaner-2018"
IDENTIFIER = f"oai:test.example.org:{LOCAL_ID}"
TITLE = "Latin American social medicine across borders"
SEED_MODS = (SEED / f"{LOCAL_ID}.mods.xml").read_bytes()
XSLT = Path(__file__).resolve().parents[2] / "provider" / "views" / "static" / "oai2.xsl"


@pytest.mark.parametrize("args", [
    {"verb": "Identify"}, {"verb": "ListSets"}, {"verb": "GetRecord", "metadataPrefix": "mods", "identifier": IDENTIFIER},
    {"verb": "Nonsense"}, {"verb": "ListRecords", "metadataPrefix": "marc"},
], ids=lambda a: "-".join(a.values())[:40])
def test_every_oai_response_points_to_the_stylesheet_it_can_fetch(seeded, client, args):
    document = client.oai(**args)  # the client validates every response against OAI-PMH.xsd
    pi = document.getroottree().getroot().getprevious()
    assert isinstance(pi, etree._ProcessingInstruction) and pi.target == "xml-stylesheet"
    href = pi.get("href")
    assert pi.get("type") == "text/xsl"
    response = client.get("/" + href)  # relative to /oai
    assert response.status_code == 200
    assert response.mimetype == "application/xslt+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def transform(body: bytes) -> str:
    html = etree.XSLT(etree.parse(str(XSLT)))(etree.fromstring(body))
    return str(html)


def test_xslt_renders_list_records_with_title_and_authors(listed, client):
    for prefix in ("oai_dc", "mods"):
        response = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": prefix})
        html = transform(response.data)
        assert TITLE in html
        assert "Birn, Anne Emanuelle" in html and "Muntaner, Carles" in html
        assert f'href="records/{LOCAL_ID}"' in html
        assert "Global Public Health" in html


@pytest.mark.parametrize("args, expected", [
    ({"verb": "Identify"}, ["Repository name", "test.example.org", "oai:test.example.org:"]),
    ({"verb": "ListMetadataFormats"}, ["mods", "http://www.loc.gov/mods/v3", "oai_dc"]),
    ({"verb": "ListSets"}, ["<table>"]),
    ({"verb": "ListIdentifiers", "metadataPrefix": "mods"}, [IDENTIFIER, "GetRecord"]),
    ({"verb": "GetRecord", "metadataPrefix": "mods", "identifier": IDENTIFIER}, [TITLE, "Muntaner, Carles"]),
    ({"verb": "Nonsense"}, ["badVerb"]),
    ({"verb": "ListRecords", "metadataPrefix": "marc"}, ["cannotDisseminateFormat"]),
], ids=lambda v: v.get("verb") if isinstance(v, dict) else None)
def test_xslt_and_the_server_page_render_every_verb_and_errors(seeded, client, args, expected):
    if args["verb"].startswith("List"):
        settle(seeded)
    by_xslt = transform(client.get("/oai", query_string=args).data)
    by_server = client.get("/oai", query_string=args, headers=BROWSER).get_data(as_text=True)
    for html in (by_xslt, by_server):
        for text in expected:
            assert text in html, text


def test_xslt_links_the_next_page_by_resumption_token(tmp_path, database_url, schema_dir):
    app = make_app(tmp_path / "instance", database_url, schema_dir, PAGE_SIZE=1)
    try:
        for local in ("a-1", "a-2"):
            app.extensions["store"].put(app.extensions["pipeline"].prepare(SEED_MODS, "t", local))
        settle(app)
        body = app.test_client().get("/oai?verb=ListRecords&metadataPrefix=oai_dc").data
    finally:
        app.extensions["store"].close()
    token = etree.fromstring(body).findtext("{http://www.openarchives.org/OAI/2.0/}ListRecords/"
                                            "{http://www.openarchives.org/OAI/2.0/}resumptionToken")
    assert token
    html = transform(body)
    assert f'href="?verb=ListRecords&amp;resumptionToken={token}"' in html
    assert "1–1 of 2" in html
