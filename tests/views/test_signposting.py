"""FAIR Signposting (https://signposting.org/FAIR/): level 1, typed links in the Link headers of a record's
landing page and of its per-record downloads, on GET and HEAD; level 2, the same links in a linkset document
per record, in application/linkset and application/linkset+json (RFC 9264). Read through the `signposting`
library against a live server, as a FAIR assessment tool would. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import signposting
from signposting import LinkRel

from metadata.formats import standard_formats
from tests.conftest import make_app, serving

FORMATS = standard_formats()
SEED_ID = "birn-muntaner-2018"  # no DOI, no ORCID, no licence
RICH_ID = "garcia-lopez-2021"  # a DOI, two ORCIDs, CC BY 4.0
RICH_MODS = (Path(__file__).parents[1] / "metadata" / "records" / f"{RICH_ID}.mods.xml").read_bytes()
RICH_DOI = "https://doi.org/10.1080/17441692.2021.1234567"
RICH_ORCIDS = {"https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0001-5109-3700"}
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
TYPES = {"https://schema.org/ScholarlyArticle", "https://schema.org/AboutPage"}


def put(app, data: bytes) -> None:
    app.extensions["store"].put(app.extensions["pipeline"].prepare(data, "test"))


def identifier(local_id: str) -> str:
    return f"oai:test.example.org:{local_id}"


@pytest.fixture
def live(tmp_path, database_url, schema_dir):
    """The seed and the rich record on a live server whose links name the port it answers on."""
    from metadata.ingest import ingest
    from provider.app import SEED

    app = make_app(tmp_path / "instance", database_url, schema_dir, BASE_URL="")
    ingest(app.extensions["pipeline"], app.extensions["store"], sorted(SEED.glob("*.xml")))
    put(app, RICH_MODS)
    with serving(app) as url:
        yield app, url
    app.extensions["store"].close()


def keys(found) -> set[tuple]:
    """What a signpost says, whoever said it: relation, target, media type and profiles."""
    return {(str(s.rel), str(s.target), s.type and str(s.type), s.profiles) for s in found}


def get_links(url: str, **headers: str) -> signposting.Signposting:
    """The signposts of a GET response (the library's own discovery uses HEAD)."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        return signposting.find_signposting_http_link(response.headers.get_all("Link") or [], response.geturl())


# --- level 1: the landing page -----------------------------------------------------------------------------

def test_level1_landing_page_without_doi_is_cited_as_itself(live):
    app, url = live
    page = f"{url}/records/{SEED_ID}"
    found = signposting.find_signposting_http(page)
    assert found.citeAs.target == page
    assert {str(t.target) for t in found.types} == TYPES
    assert not found.authors and found.license is None


def test_level1_landing_page_cites_the_doi_names_orcid_authors_and_the_licence(live):
    app, url = live
    found = signposting.find_signposting_http(f"{url}/records/{RICH_ID}")
    assert found.citeAs.target == RICH_DOI
    assert {str(a.target) for a in found.authors} == RICH_ORCIDS
    assert found.license.target == CC_BY
    assert {str(t.target) for t in found.types} == TYPES


@pytest.mark.parametrize("local_id", [SEED_ID, RICH_ID])
def test_level1_describedby_each_format_with_its_media_type_and_namespace_as_profile(live, local_id):
    app, url = live
    found = signposting.find_signposting_http(f"{url}/records/{local_id}")
    prefixes = app.extensions["store"].formats_of(identifier(local_id))
    assert {(str(s.target), str(s.type), s.profiles) for s in found.describedBy} == {
        (f"{url}/records/{local_id}.{p}.xml", FORMATS[p].media_type, frozenset({FORMATS[p].namespace}))
        for p in prefixes}


@pytest.mark.parametrize("local_id", [SEED_ID, RICH_ID])
def test_level1_signposts_are_the_same_on_GET_and_HEAD(live, local_id):
    app, url = live
    page = f"{url}/records/{local_id}"
    head = signposting.find_signposting_http(page)
    get = get_links(page)
    assert keys(get) == keys(head) and len(head) >= 9  # cite-as, 2 types, 2 linksets, a describedby per format


def test_level1_every_representation_of_the_landing_page_is_signposted(live):
    """The landing URL also answers MODS and XML by Accept (Vary: Accept); the links stay those of the page."""
    app, url = live
    page = f"{url}/records/{RICH_ID}"
    assert keys(get_links(page, Accept="application/mods+xml")) == keys(signposting.find_signposting_http(page))


# --- level 1: the downloads, metadata resources -----------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_level1_each_download_describes_its_landing_page_and_is_the_advertised_type(live, method):
    app, url = live
    page = f"{url}/records/{RICH_ID}"
    described_by = signposting.find_signposting_http(page).describedBy
    assert len(described_by) == len(FORMATS)
    for metadata in described_by:
        request = urllib.request.Request(str(metadata.target), method=method)
        with urllib.request.urlopen(request) as response:
            assert response.headers.get_content_type() == metadata.type
            found = signposting.find_signposting_http_link(response.headers.get_all("Link"), response.geturl())
        assert {(str(s.target), str(s.type)) for s in found.describes} == {(page, "text/html")}
        assert found.citeAs is None  # the DOI names the article, not this file
        assert {str(s.type) for s in found.linksets} == {"application/linkset", "application/linkset+json"}


# --- level 2: linksets ---------------------------------------------------------------------------------------

def test_level2_landing_page_points_to_its_linkset_in_both_media_types(live):
    app, url = live
    found = signposting.find_signposting_http(f"{url}/records/{SEED_ID}")
    assert {(str(s.target), str(s.type)) for s in found.linksets} == {
        (f"{url}/linkset/{SEED_ID}", "application/linkset"),
        (f"{url}/linkset.json/{SEED_ID}", "application/linkset+json")}


@pytest.mark.parametrize("local_id", [SEED_ID, RICH_ID])
@pytest.mark.parametrize("media_type", ["application/linkset", "application/linkset+json"])
def test_level2_each_linkset_holds_the_links_of_the_landing_page_and_of_every_download(live, local_id, media_type):
    app, url = live
    page = f"{url}/records/{local_id}"
    headers = signposting.find_signposting_http(page)
    target = next(s.target for s in headers.linksets if s.type == media_type)
    linkset = signposting.find_signposting_linkset(target, media_type)
    in_headers = {k for k in keys(headers) if k[0] != LinkRel.linkset}
    assert keys(linkset.for_context(page)) == in_headers
    downloads = {str(s.target) for s in headers.describedBy}
    assert linkset.other_contexts - {page} == downloads
    for download in downloads:
        assert keys(linkset.for_context(download)) == {("describes", page, "text/html", frozenset())}


def test_level2_linkset_json_is_rfc9264_json(live):
    """RFC 9264 §4.2: a top-level "linkset" array of context objects, each with an anchor and arrays of
    target objects under relation types."""
    app, url = live
    with urllib.request.urlopen(f"{url}/linkset.json/{RICH_ID}") as response:
        assert response.headers["Content-Type"] == "application/linkset+json"
        document = json.load(response)
    landing = document["linkset"][0]
    assert landing["anchor"] == f"{url}/records/{RICH_ID}"
    assert landing["cite-as"] == [{"href": RICH_DOI}]
    assert all(isinstance(targets, list) and all("href" in t for t in targets)
               for context in document["linkset"] for rel, targets in context.items() if rel != "anchor")


def test_level2_linkset_text_names_each_link_anchor(live):
    """RFC 9264 §4.1: the Link header format, one link per line; every link says whose it is."""
    app, url = live
    with urllib.request.urlopen(f"{url}/linkset/{RICH_ID}") as response:
        assert response.headers["Content-Type"] == "application/linkset"
        lines = response.read().decode().splitlines()
    assert len(lines) > 10 and all(line.startswith("<") and 'anchor="' in line for line in lines)


def test_level2_linkset_is_conditional(live):
    app, url = live
    with urllib.request.urlopen(f"{url}/linkset.json/{RICH_ID}") as response:
        etag = response.headers["ETag"]
    request = urllib.request.Request(f"{url}/linkset.json/{RICH_ID}", headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request)
    assert answer.value.code == 304


# --- no signposts where there is no record ------------------------------------------------------------------

@pytest.mark.parametrize("path", [f"/records/{RICH_ID}", f"/records/{RICH_ID}.mods.xml",
                                  f"/linkset/{RICH_ID}", f"/linkset.json/{RICH_ID}"])
def test_a_withdrawn_record_is_410_without_signposts(live, path):
    app, url = live
    app.extensions["store"].delete(identifier(RICH_ID))
    with pytest.warns(UserWarning, match="410 Gone"):
        found = signposting.find_signposting_http(url + path, warn_empty=False)
    assert not found
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(url + path)
    assert answer.value.code == 410 and answer.value.headers.get_all("Link") is None


@pytest.mark.parametrize("path", ["/linkset/no-such-record", "/linkset.json/no-such-record"])
def test_a_linkset_of_no_record_is_404(live, path):
    app, url = live
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(url + path)
    assert answer.value.code == 404 and answer.value.headers.get_all("Link") is None


# --- links are absolute URLs of ours, and record text cannot forge one -------------------------------------

def test_links_use_the_configured_base_url(seeded):
    """OAI_BASE_URL wins here as everywhere (provider/views/urls.py)."""
    response = seeded.test_client().head(f"/records/{SEED_ID}", base_url="http://127.0.0.1:9")
    found = signposting.find_signposting_http_link(response.headers.getlist("Link"))
    assert found.citeAs.target == f"http://oai.example.org/records/{SEED_ID}"
    assert {str(s.target) for s in found.linksets} == {f"http://oai.example.org/linkset/{SEED_ID}",
                                                       f"http://oai.example.org/linkset.json/{SEED_ID}"}


def test_a_catalogued_licence_url_cannot_add_links(seeded):
    """Record text is untrusted: a licence URL holding '>', quotes and commas is percent-encoded, so the
    header still parses into one licence link and no second cite-as."""
    forged = CC_BY + '>; rel="cite-as", <https://evil.example/'
    put(seeded, RICH_MODS.replace(CC_BY.encode(), escape(forged, {"\"": "&quot;"}).encode()))
    response = seeded.test_client().get(f"/records/{RICH_ID}")
    found = signposting.find_signposting_http_link(response.headers.getlist("Link"))
    assert found.citeAs.target == RICH_DOI
    assert len([s for s in found if s.rel == LinkRel.cite_as]) == 1
    assert found.license.target == CC_BY + "%3E;%20rel=%22cite-as%22,%20%3Chttps://evil.example/"


def test_a_licence_that_is_not_a_web_url_gives_no_license_link(seeded):
    put(seeded, RICH_MODS.replace(CC_BY.encode(), b"javascript:alert(1)"))
    response = seeded.test_client().get(f"/records/{RICH_ID}")
    assert signposting.find_signposting_http_link(response.headers.getlist("Link")).license is None
