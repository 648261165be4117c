"""§4 verbs on the generated repository (tests/oai/conftest.py), with §3.3 dates, §3.5 flow control and §2.5
deleted records. Every response goes through the validating client: OAI-PMH.xsd plus the schemas of the
metadata, about and description containers.
"""
from __future__ import annotations

import gzip
import random
import re
import time
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from metadata.formats import standard_formats

FORMATS = standard_formats()
from tests.conftest import assert_valid_oai
from tests.oai.conftest import DOI_FORMATS, MODS_FORMATS, mods_document

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS, "dc": "http://purl.org/dc/elements/1.1/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "mods": "http://www.loc.gov/mods/v3", "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
      "rights": "http://www.openarchives.org/OAI/2.0/rights/"}
DATESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def harvest(client, verb: str, method: str = "GET", **args) -> list:
    """Every page of a list request, following resumption tokens; asserts no page is an error."""
    pages = [client.oai(method, verb=verb, **args)]
    while True:
        assert pages[-1].find("oai:error", NS) is None, pages[-1].find("oai:error", NS).text
        token = pages[-1].find(f"oai:{verb}/oai:resumptionToken", NS)
        if token is None or not token.text:
            return pages
        pages.append(client.oai(method, verb=verb, resumptionToken=token.text))


def headers(pages: list, verb: str) -> list:
    return [h for page in pages for h in page.iterfind(f"oai:{verb}//oai:header", NS)]


def identifiers(pages: list, verb: str) -> list[str]:
    return [h.findtext("oai:identifier", namespaces=NS) for h in headers(pages, verb)]


def items_of(page, verb: str) -> list:
    child = {"ListIdentifiers": "header", "ListRecords": "record", "ListSets": "set"}[verb]
    return page.findall(f"oai:{verb}/oai:{child}", NS)


def error_code(document) -> str:
    return document.find("oai:error", NS).get("code")


def after_second(stamp: str) -> None:
    """Sleep into the second after stamp: a harvest ends at the second before its start."""
    end = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) + timedelta(seconds=1)
    time.sleep(max(0.0, (end - datetime.now(timezone.utc)).total_seconds() + 0.05))


def assert_flow_control(pages: list, verb: str, total: int, changed: int = 0) -> None:
    """§3.5.1: completeListSize and cursor exact on every page; the last page's token is empty. Records
    changed during the harvest (changed) leave it: they belong to the next incremental harvest."""
    sent = 0
    for number, page in enumerate(pages):
        token = page.find(f"oai:{verb}/oai:resumptionToken", NS)
        last = number == len(pages) - 1
        if len(pages) == 1:
            assert token is None, "a complete list in one response needs no token"
        else:
            assert token is not None
            assert token.get("completeListSize") == str(total), f"page {number}"
            assert token.get("cursor") == str(sent), f"page {number}"
            if last:
                assert token.text is None and "expirationDate" not in token.attrib
            else:
                assert token.text and DATESTAMP.match(token.get("expirationDate"))
                response_date = page.findtext("oai:responseDate", namespaces=NS)
                assert token.get("expirationDate") > response_date
        sent += len(items_of(page, verb))
    assert sent == total - changed


# --- 4.2 Identify -----------------------------------------------------------------------------------------

def test_4_2_identify_has_every_element(repo, make_oai_app, client_for):
    app = make_oai_app(BASE_URL="https://public.example.org/harvest/oai", REPOSITORY_NAME="Generated articles",
                       ADMIN_EMAIL="one@example.org, two@example.org")
    client = client_for(app)
    identify = client.oai(verb="Identify").find("oai:Identify", NS)

    def text(name):
        return [e.text for e in identify.findall(f"oai:{name}", NS)]

    assert text("repositoryName") == ["Generated articles"]
    assert text("baseURL") == ["https://public.example.org/harvest/oai"], "the configured URL, not the request's host"
    assert text("protocolVersion") == ["2.0"]
    assert text("adminEmail") == ["one@example.org", "two@example.org"]
    assert text("deletedRecord") == ["persistent"]
    assert text("granularity") == ["YYYY-MM-DDThh:mm:ssZ"]
    assert sorted(text("compression")) == ["deflate", "gzip"]
    request = client.oai(verb="Identify").find("oai:request", NS)
    assert request.text == "https://public.example.org/harvest/oai"


def test_4_2_earliestDatestamp_is_the_true_earliest_including_tombstones(repo, oai):
    earliest = oai.oai(verb="Identify").findtext("oai:Identify/oai:earliestDatestamp", namespaces=NS)
    first = min(repo.entries.values(), key=lambda e: e.datestamp)
    assert earliest == first.datestamp == "2018-06-02T09:30:00Z"
    assert first.deleted, "the fixture makes the earliest datestamp a tombstone's"
    assert earliest < min(e.datestamp for e in repo.entries.values() if not e.deleted)


def test_4_2_oai_identifier_description_names_an_existing_sample(repo, oai):
    description = oai.oai(verb="Identify").find("oai:Identify/oai:description/id:oai-identifier", NS)
    assert description.findtext("id:scheme", namespaces=NS) == "oai"
    assert description.findtext("id:repositoryIdentifier", namespaces=NS) == "test.example.org"
    assert description.findtext("id:delimiter", namespaces=NS) == ":"
    sample = description.findtext("id:sampleIdentifier", namespaces=NS)
    assert sample in repo.entries
    record = oai.oai(verb="GetRecord", identifier=sample, metadataPrefix="oai_dc")
    assert record.find("oai:error", NS) is None


@pytest.mark.parametrize("encoding, decompress", [
    ("gzip", gzip.decompress),
    ("deflate", zlib.decompress),
], ids=["gzip", "deflate"])
@pytest.mark.parametrize("args", [
    {"verb": "Identify"},
    {"verb": "ListRecords", "metadataPrefix": "mods"},
    {"verb": "GetRecord", "identifier": "oai:nothing:here", "metadataPrefix": "oai_dc"},
], ids=["Identify", "ListRecords", "error"])
def test_3_1_3_compression_is_honoured(repo, oai, response_schema, encoding, decompress, args):
    plain = oai.flask.get("/oai", query_string=args)
    assert "Content-Encoding" not in plain.headers
    response = oai.flask.get("/oai", query_string=args, headers={"Accept-Encoding": f"{encoding}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers.get("Vary", "")
    body = decompress(response.data)
    assert_valid_oai(body, response_schema)
    moments = re.compile(rb"<responseDate>[^<]*</responseDate>|<resumptionToken[^>]*>[^<]*</resumptionToken>")
    assert moments.sub(b"", body) == moments.sub(b"", plain.data), "the same document, compressed"


def test_3_1_3_refused_encoding_is_not_used(repo, oai):
    response = oai.flask.get("/oai?verb=Identify", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"<?xml")


# --- 4.4 ListMetadataFormats --------------------------------------------------------------------------------

def formats_listed(client, **args) -> dict:
    document = client.oai(verb="ListMetadataFormats", **args)
    assert document.find("oai:error", NS) is None
    return {f.findtext("oai:metadataPrefix", namespaces=NS): (f.findtext("oai:schema", namespaces=NS),
                                                              f.findtext("oai:metadataNamespace", namespaces=NS))
            for f in document.iterfind("oai:ListMetadataFormats/oai:metadataFormat", NS)}


def test_4_4_repository_lists_every_format_with_schema_and_namespace(repo, oai):
    assert formats_listed(oai) == {
        "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
        "mods": ("http://www.loc.gov/standards/mods/v3/mods-3-8.xsd", "http://www.loc.gov/mods/v3"),
        "oai_openaire": ("https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd",
                         "http://namespace.openaire.eu/schema/oaire/"),
        "oai_datacite": ("http://schema.datacite.org/oai/oai-1.1/oai.xsd", "http://schema.datacite.org/oai/oai-1.1/"),
        "marcxml": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", "http://www.loc.gov/MARC21/slim"),
    }


@pytest.mark.parametrize("deleted", [False, True], ids=["live", "deleted"])
@pytest.mark.parametrize("kind, formats", [("mods", MODS_FORMATS), ("mods-with-doi", DOI_FORMATS),
                                           ("dc-only", ("oai_dc",))])
def test_4_4_item_lists_the_formats_it_can_be_disseminated_in(repo, oai, kind, formats, deleted):
    identifier = repo.first(deleted=deleted, formats=formats)
    listed = formats_listed(oai, identifier=identifier)
    assert sorted(listed) == sorted(formats)
    for prefix, (schema, namespace) in listed.items():
        assert (schema, namespace) == (FORMATS[prefix].schema_url, FORMATS[prefix].namespace)


# --- 4.6 ListSets ---------------------------------------------------------------------------------------------

def sets_listed(pages) -> list:
    return [s for page in pages for s in page.iterfind("oai:ListSets/oai:set", NS)]


@pytest.mark.parametrize("page_size", [100, 7, 1])
def test_4_6_sets_are_hierarchical_described_and_paged(repo, make_oai_app, client_for, page_size):
    client = client_for(make_oai_app(SETS_PAGE_SIZE=page_size))
    pages = harvest(client, "ListSets")
    sets = sets_listed(pages)
    specs = [s.findtext("oai:setSpec", namespaces=NS) for s in sets]
    assert len(specs) == len(set(specs)), "each set once"
    assert set(specs) == set(repo.set_names), "the sets are those of the records and the configuration"
    assert len(pages) == -(-len(specs) // page_size)
    assert_flow_control(pages, "ListSets", len(specs))
    for spec in specs:
        parts = spec.split(":")
        for depth in range(1, len(parts)):
            assert ":".join(parts[:depth]) in specs, f"§2.7.2: the parent of {spec} exists"
    for s in sets:
        name = s.findtext("oai:setName", namespaces=NS)
        assert name and name.strip()
        dc = s.find("oai:setDescription/oai_dc:dc", NS)
        assert dc is not None, "setDescription in oai_dc"
        assert dc.findtext("dc:description", namespaces=NS)
    configured = {s.findtext("oai:setSpec", namespaces=NS): s for s in sets}["collections:caribbean"]
    assert configured.findtext("oai:setName", namespaces=NS) == "The Caribbean"
    assert configured.findtext("oai:setDescription/oai_dc:dc/dc:description", namespaces=NS) == "Everything on Cuba."


def test_2_7_2_record_in_a_child_set_is_in_its_parent(repo, oai):
    for header in headers(harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc"), "ListIdentifiers"):
        specs = {e.text for e in header.iterfind("oai:setSpec", NS)}
        identifier = header.findtext("oai:identifier", namespaces=NS)
        assert specs == set(repo.entries[identifier].sets)
        for spec in specs:
            if ":" in spec:
                assert spec.rsplit(":", 1)[0] in specs, f"{identifier} is in {spec} but not its parent"


# --- 4.3 / 4.5 ListIdentifiers and ListRecords -------------------------------------------------------------

@pytest.mark.parametrize("verb, prefix", [("ListIdentifiers", "oai_dc"), ("ListRecords", "mods")])
def test_2_5_1_deleted_records_have_status_deleted_and_no_metadata(repo, oai, verb, prefix):
    pages = harvest(oai, verb, metadataPrefix=prefix)
    deleted = {i for i, e in repo.entries.items() if e.deleted and prefix in e.formats}
    assert deleted, "the fixture deletes records"
    for header in headers(pages, verb):
        identifier = header.findtext("oai:identifier", namespaces=NS)
        assert header.get("status") == ("deleted" if identifier in deleted else None)
        assert header.findtext("oai:datestamp", namespaces=NS) == repo.entries[identifier].datestamp
    if verb == "ListRecords":
        for record in (r for page in pages for r in items_of(page, verb)):
            gone = record.find("oai:header", NS).get("status") == "deleted"
            assert (record.find("oai:metadata", NS) is None) == gone
            assert record.find("oai:about", NS) is None or not gone


@pytest.mark.parametrize("verb, size, prefix, method", [
    ("ListIdentifiers", 1, "oai_dc", "GET"),
    ("ListIdentifiers", 7, "mods", "POST"),
    ("ListIdentifiers", 500, "oai_dc", "GET"),  # the default: one page
    ("ListRecords", 1, "mods", "GET"),
    ("ListRecords", 7, "oai_dc", "POST"),
    ("ListRecords", 100, "mods", "GET"),
], ids=lambda v: str(v))
def test_3_5_every_page_size_gives_every_record_exactly_once(repo, make_oai_app, client_for, verb, size, prefix,
                                                             method):
    key = "PAGE_SIZE" if verb == "ListRecords" else "IDENTIFIERS_PAGE_SIZE"
    client = client_for(make_oai_app(**{key: size}))
    pages = harvest(client, verb, method=method, metadataPrefix=prefix)
    expected = repo.expected(prefix)
    assert identifiers(pages, verb) == expected, "each record once, in datestamp order"
    assert [len(items_of(p, verb)) for p in pages[:-1]] == [size] * (len(pages) - 1)
    assert_flow_control(pages, verb, len(expected))


def test_3_5_last_page_has_empty_token_with_counts(repo, make_oai_app, client_for):
    client = client_for(make_oai_app(PAGE_SIZE=100))
    pages = harvest(client, "ListRecords", metadataPrefix="oai_dc")
    total = len(repo.expected("oai_dc"))
    token = pages[-1].find("oai:ListRecords/oai:resumptionToken", NS)
    assert len(pages) == -(-total // 100) > 1 and token is not None and token.text is None
    assert (token.get("completeListSize"), token.get("cursor")) == (str(total), str(100 * (len(pages) - 1)))
    assert len(items_of(pages[-1], "ListRecords")) == total - 100 * (len(pages) - 1)


def test_3_5_expirationDate_follows_token_lifetime(repo, make_oai_app, client_for):
    client = client_for(make_oai_app(PAGE_SIZE=10, TOKEN_LIFETIME=7200))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    token = client.oai(verb="ListRecords", metadataPrefix="oai_dc").find("oai:ListRecords/oai:resumptionToken", NS)
    expires = datetime.strptime(token.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before + timedelta(seconds=7200) <= expires <= before + timedelta(seconds=7202)


def test_3_5_until_is_fixed_at_the_harvest_start(fresh_repo, apps, client_for):
    """A record added or changed after page 1 is not in this harvest but is in the next incremental one;
    every record not changed during the harvest is delivered exactly once."""
    repo = fresh_repo
    app = apps(repo.url, PAGE_SIZE=50)
    client = client_for(app)
    pipeline, store = app.extensions["pipeline"], app.extensions["store"]
    first = client.oai(verb="ListRecords", metadataPrefix="oai_dc")
    started = first.findtext("oai:responseDate", namespaces=NS)
    page_one = identifiers([first], "ListRecords")
    expected = repo.expected("oai_dc")
    later = [i for i in expected if ":gen-" in i and not repo.entries[i].deleted][-1]
    assert later not in page_one
    added = pipeline.prepare(mods_document(9001, random.Random(1)), "new.xml")
    changed = pipeline.prepare(mods_document(int(later.rsplit("-", 1)[1]), random.Random(5), revision=2), "changed.xml")
    assert changed[0].identifier == later
    repo.put(added + changed)
    token = first.find("oai:ListRecords/oai:resumptionToken", NS).text
    rest = harvest(client, "ListRecords", resumptionToken=token)
    harvested = page_one + identifiers(rest, "ListRecords")
    assert len(harvested) == len(set(harvested)), "no duplicates"
    assert_flow_control([first] + rest, "ListRecords", len(expected), changed=1)
    assert added[0].identifier not in harvested, "until is fixed at the harvest's start"
    assert set(harvested) - {later} == set(expected) - {later}, "unchanged records exactly once"
    after_second(repo.entries[later].datestamp)
    incremental = identifiers(harvest(client, "ListRecords", metadataPrefix="oai_dc", from_=started), "ListRecords")
    assert {added[0].identifier, later} <= set(incremental)
    assert set(incremental) == set(repo.expected("oai_dc", from_=started))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_3_5_harvest_start_is_read_on_the_store_clock(fresh_repo, apps, client_for, monkeypatch):
    """App servers share one PostgreSQL whose clock stamps the records; an app server's own clock running
    ahead must not move `until` past records written during the harvest."""
    import provider.oai.verbs as verbs

    ahead = (datetime.now(timezone.utc) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setattr(verbs, "utc_now", lambda: ahead)
    repo, app = fresh_repo, apps(fresh_repo.url, IDENTIFIERS_PAGE_SIZE=100)
    client = client_for(app)
    first = client.oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    started = first.findtext("oai:responseDate", namespaces=NS)
    assert started < ahead
    added = app.extensions["pipeline"].prepare(mods_document(9002, random.Random(2)), "new.xml")
    repo.put(added)
    token = first.find("oai:ListIdentifiers/oai:resumptionToken", NS).text
    pages = [first] + harvest(client, "ListIdentifiers", resumptionToken=token)
    assert added[0].identifier not in identifiers(pages, "ListIdentifiers")
    assert_flow_control(pages, "ListIdentifiers", len(repo.expected("oai_dc")) - 1)
    after_second(repo.entries[added[0].identifier].datestamp)
    incremental = harvest(client, "ListIdentifiers", metadataPrefix="oai_dc", from_=started)
    assert added[0].identifier in identifiers(incremental, "ListIdentifiers")


def test_3_5_token_survives_restart_on_another_app_server(repo, make_oai_app, client_for):
    """Stateless tokens: a second app on the same store and SECRET_KEY continues the harvest."""
    one, two = client_for(make_oai_app(PAGE_SIZE=40)), client_for(make_oai_app(PAGE_SIZE=40))
    pages, client = [one.oai(verb="ListRecords", metadataPrefix="mods", set="type")], one
    while (token := pages[-1].find("oai:ListRecords/oai:resumptionToken", NS)) is not None and token.text:
        client = two if client is one else one
        pages.append(client.oai(verb="ListRecords", resumptionToken=token.text))
    assert len(pages) > 2
    assert identifiers(pages, "ListRecords") == repo.expected("mods", set_spec="type")
    assert_flow_control(pages, "ListRecords", len(repo.expected("mods", set_spec="type")))
    stranger = client_for(make_oai_app(PAGE_SIZE=40, SECRET_KEY="another-secret-key-987654321"))
    token = pages[0].find("oai:ListRecords/oai:resumptionToken", NS).text
    assert error_code(stranger.oai(verb="ListRecords", resumptionToken=token)) == "badResumptionToken"


# --- 3.3 / 2.7.1 selective harvesting -----------------------------------------------------------------------

def test_store_model_matches_the_store(repo):
    """The fixture's model (what the store acknowledged) is what the store holds; the tests below rely on it."""
    from metadata.store import ListQuery
    from metadata.store.base import iter_all

    for prefix in ("oai_dc", "mods"):
        stored = [(s.header.identifier, s.header.datestamp, s.header.deleted)
                  for s in iter_all(repo.store, ListQuery(prefix))]
        assert stored == [(i, repo.entries[i].datestamp, repo.entries[i].deleted) for i in repo.expected(prefix)]


def stamp(repo, k: int) -> str:
    """The k-th distinct datestamp in the repository: bounds that fall exactly on records."""
    return sorted({e.datestamp for e in repo.entries.values()})[k]


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
@pytest.mark.parametrize("window", [
    pytest.param(lambda repo: (stamp(repo, 10), stamp(repo, 40)), id="seconds-both"),
    pytest.param(lambda repo: (stamp(repo, 60), None), id="seconds-from"),
    pytest.param(lambda repo: (None, stamp(repo, 25)), id="seconds-until"),
    pytest.param(lambda repo: ("2021-03-04T00:00:00Z", "2021-03-04T23:59:59Z"), id="seconds-one-day"),
    pytest.param(lambda repo: ("2020-01-01", "2022-06-30"), id="days-both"),
    pytest.param(lambda repo: ("2021-03-04", "2021-03-04"), id="days-one-day"),
    pytest.param(lambda repo: ("2024-01-01", None), id="days-from"),
    pytest.param(lambda repo: (None, "2021-03-04"), id="days-until"),
])
def test_3_3_1_from_and_until_are_inclusive(repo, oai, verb, window):
    from_, until = window(repo)
    args = {k: v for k, v in (("from_", from_), ("until", until)) if v}
    pages = harvest(oai, verb, metadataPrefix="oai_dc", **args)
    full_from = from_ + "T00:00:00Z" if from_ and len(from_) == 10 else from_
    full_until = until + "T23:59:59Z" if until and len(until) == 10 else until
    expected = repo.expected("oai_dc", full_from, full_until)
    assert expected and len(expected) < len(repo.expected("oai_dc"))
    assert identifiers(pages, verb) == expected
    stamps = [h.findtext("oai:datestamp", namespaces=NS) for h in headers(pages, verb)]
    if full_from and len(from_) > 10:
        assert stamps[0] == from_, "the from bound is inclusive"
    if full_until and len(until) > 10:
        assert stamps[-1] == until, "the until bound is inclusive"


def test_3_3_1_day_granularity_covers_the_whole_utc_day(repo, oai):
    pages = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", from_="2021-03-04", until="2021-03-04")
    stamps = {h.findtext("oai:datestamp", namespaces=NS) for h in headers(pages, "ListIdentifiers")}
    assert {"2021-03-04T00:00:00Z", "2021-03-04T12:00:00Z", "2021-03-04T23:59:59Z"} <= stamps
    assert not {"2021-03-03T23:59:59Z", "2021-03-05T00:00:00Z"} & stamps


@pytest.mark.parametrize("set_spec", ["subject", "subject:cuba", "journal:global-public-health", "type:review",
                                      "year:2010", "featured", "collections", "collections:caribbean", "type:text"])
@pytest.mark.parametrize("dates", [{}, {"from_": "2020-06-01", "until": "2023-12-31"},
                                   {"from_": "2019-01-01T00:00:00Z"}], ids=["set-alone", "set-days", "set-from"])
def test_2_7_1_set_alone_and_with_dates(repo, oai, set_spec, dates):
    full = {k: (v + ("T00:00:00Z" if k == "from_" else "T23:59:59Z") if len(v) == 10 else v)
            for k, v in dates.items()}
    expected = repo.expected("oai_dc", full.get("from_"), full.get("until"), set_spec)
    document = oai.oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set=set_spec, **dates)
    if not expected:
        assert error_code(document) == "noRecordsMatch"
        return
    pages = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", set=set_spec, **dates)
    assert identifiers(pages, "ListIdentifiers") == expected
    for header in headers(pages, "ListIdentifiers"):
        assert set_spec in {e.text for e in header.iterfind("oai:setSpec", NS)}


def test_2_7_1_set_with_records_harvested_as_mods(repo, make_oai_app, client_for):
    client = client_for(make_oai_app(PAGE_SIZE=3))
    pages = harvest(client, "ListRecords", metadataPrefix="mods", set="subject:cuba", from_="2019-01-01")
    expected = repo.expected("mods", "2019-01-01T00:00:00Z", None, "subject:cuba")
    assert identifiers(pages, "ListRecords") == expected
    assert_flow_control(pages, "ListRecords", len(expected))


def test_3_3_datestamps_are_utc_with_Z_and_responseDate_is_now(repo, oai):
    before = utc_now()
    document = oai.oai(verb="ListRecords", metadataPrefix="oai_dc")
    after = utc_now()
    assert before <= document.findtext("oai:responseDate", namespaces=NS) <= after
    for header in headers([document], "ListRecords"):
        assert DATESTAMP.match(header.findtext("oai:datestamp", namespaces=NS))


# --- 4.1 GetRecord ----------------------------------------------------------------------------------------

def test_4_1_mods_and_oai_dc_of_one_record(repo, oai):
    identifier = repo.first(deleted=False)
    entry = repo.entries[identifier]
    mods = oai.oai(verb="GetRecord", identifier=identifier, metadataPrefix="mods").find("oai:GetRecord/oai:record", NS)
    dc = oai.oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc").find("oai:GetRecord/oai:record", NS)
    for record in (mods, dc):
        header = record.find("oai:header", NS)
        assert header.findtext("oai:identifier", namespaces=NS) == identifier
        assert header.findtext("oai:datestamp", namespaces=NS) == entry.datestamp
        assert tuple(e.text for e in header.iterfind("oai:setSpec", NS)) == entry.sets
        assert header.get("status") is None
    title = mods.findtext("oai:metadata/mods:mods/mods:titleInfo/mods:title", namespaces=NS)
    assert title and dc.findtext("oai:metadata/oai_dc:dc/dc:title", namespaces=NS) == title
    assert mods.find("oai:about", NS) is None, "no about container unless configured or harvested"


@pytest.mark.parametrize("prefix", ["mods", "oai_dc", "oai_openaire", "marcxml"])
def test_4_1_deleted_record_has_header_only(repo, oai, prefix):
    identifier = repo.first(deleted=True)
    document = oai.oai(verb="GetRecord", identifier=identifier, metadataPrefix=prefix)
    record = document.find("oai:GetRecord/oai:record", NS)
    assert record.find("oai:header", NS).get("status") == "deleted"
    assert record.findtext("oai:header/oai:datestamp", namespaces=NS) == repo.entries[identifier].datestamp
    assert [child.tag for child in record] == [f"{{{OAI_NS}}}header"]


@pytest.mark.parametrize("deleted", [False, True], ids=["live", "deleted"])
def test_4_1_dc_only_record_asked_as_mods_is_cannotDisseminateFormat(repo, oai, deleted):
    identifier = repo.first(deleted=deleted, formats=("oai_dc",))
    assert error_code(oai.oai(verb="GetRecord", identifier=identifier, metadataPrefix="mods")) == \
        "cannotDisseminateFormat"
    assert oai.oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc").find("oai:error", NS) is None


def test_4_1_a_record_without_a_doi_asked_as_oai_datacite_is_cannotDisseminateFormat(repo, oai):
    without, with_doi = repo.first(deleted=False), repo.first(deleted=False, formats=DOI_FORMATS)
    assert error_code(oai.oai(verb="GetRecord", identifier=without, metadataPrefix="oai_datacite")) == \
        "cannotDisseminateFormat"
    record = oai.oai(verb="GetRecord", identifier=with_doi, metadataPrefix="oai_datacite")
    assert record.find("oai:GetRecord/oai:record/oai:metadata", NS) is not None


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_3_5_a_harvest_of_a_format_lists_only_records_that_have_it_and_counts_only_them(repo, make_oai_app,
                                                                                       client_for, verb):
    client = client_for(make_oai_app(PAGE_SIZE=7, IDENTIFIERS_PAGE_SIZE=7))
    pages = harvest(client, verb, metadataPrefix="oai_datacite")
    expected = repo.expected("oai_datacite")
    assert 0 < len(expected) < len(repo.expected("mods"))
    kind = "oai:record/oai:header" if verb == "ListRecords" else "oai:header"
    assert [h.findtext("oai:identifier", namespaces=NS) for page in pages
            for h in page.iterfind(f"oai:{verb}/{kind}", NS)] == expected
    token = pages[0].find(f"oai:{verb}/oai:resumptionToken", NS)
    assert int(token.get("completeListSize")) == len(expected)


# --- 2.5 about containers -------------------------------------------------------------------------------

def test_2_5_rights_container_when_configured(repo, make_oai_app, client_for):
    url = "https://creativecommons.org/publicdomain/zero/1.0/"
    client = client_for(make_oai_app(RIGHTS_URL=url, PAGE_SIZE=100))
    pages = harvest(client, "ListRecords", metadataPrefix="mods")
    records = [r for page in pages for r in items_of(page, "ListRecords")]
    for record in records:
        deleted = record.find("oai:header", NS).get("status") == "deleted"
        refs = [e.get("ref") for e in record.iterfind("oai:about/rights:rights/rights:rightsReference", NS)]
        assert refs == ([] if deleted else [url])
    identifier = repo.first(deleted=False)
    single = client.oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert single.find("oai:GetRecord/oai:record/oai:about/rights:rights/rights:rightsReference", NS).get("ref") == url


PROVENANCE = (b'<provenance xmlns="http://www.openarchives.org/OAI/2.0/provenance"'
              b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="'
              b'http://www.openarchives.org/OAI/2.0/provenance http://www.openarchives.org/OAI/2.0/provenance.xsd">'
              b'<originDescription harvestDate="2024-02-02T14:10:02Z" altered="true">'
              b'<baseURL>http://origin.example.org/oai</baseURL><identifier>oai:origin.example.org:a1</identifier>'
              b'<datestamp>2023-01-01</datestamp><metadataNamespace>http://www.loc.gov/mods/v3</metadataNamespace>'
              b'</originDescription></provenance>')


def test_2_5_provenance_container_of_a_harvested_record(database_url, apps, client_for):
    """A record that came from another repository carries its provenance (provenance.xsd), then rights."""
    import dataclasses

    from tests.oai.conftest import Clock

    url = "https://creativecommons.org/licenses/by/4.0/"
    app = apps(database_url, RIGHTS_URL=url)
    record = app.extensions["pipeline"].prepare(mods_document(4, random.Random(4)), "harvested.xml")[0]
    with Clock().installed():
        app.extensions["store"].put([dataclasses.replace(record, about=PROVENANCE)])
    client = client_for(app)
    for document in (client.oai(verb="GetRecord", identifier=record.identifier, metadataPrefix="mods"),
                     client.oai(verb="ListRecords", metadataPrefix="oai_dc")):
        abouts = document.findall(".//oai:record/oai:about", NS)
        assert [a[0].tag for a in abouts] == ["{http://www.openarchives.org/OAI/2.0/provenance}provenance",
                                              f"{{{NS['rights']}}}rights"]
        assert abouts[0][0].findtext("{http://www.openarchives.org/OAI/2.0/provenance}originDescription/"
                                  "{http://www.openarchives.org/OAI/2.0/provenance}identifier") == \
            "oai:origin.example.org:a1"
