"""Interop: real harvesters (pyoai's Client, Sickle, oaipmh-scythe) against the provider on a loopback port.

The generated repository (a few hundred records, tombstones, nested sets, datestamps across years and
several in one second) is harvested in full and selectively; every harvester, at page sizes 1, 7 and 100,
must get exactly the records the store holds for the request, each once, with no error. pyoai sends POST,
Sickle and scythe GET.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from lxml import etree

HARVESTERS = ["pyoai", "sickle", "scythe"]


class _Evaluator:
    def __init__(self, *args, **kwargs):
        self.evaluate = etree.XPathEvaluator(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self.evaluate(*args, **kwargs)


class _EtreeForPyOAI:
    """lxml.etree as pyoai 2.5.0 (the newest release) expects it: lxml 6 removed XPathEvaluator.evaluate, the
    alias pyoai calls; everything else is lxml's own."""

    XPathEvaluator = _Evaluator

    def __getattr__(self, name):
        return getattr(etree, name)


@pytest.fixture(autouse=True)
def pyoai_on_lxml6(monkeypatch):
    if not hasattr(etree.XPathElementEvaluator, "evaluate"):
        import oaipmh.client
        import oaipmh.metadata

        monkeypatch.setattr(oaipmh.client, "etree", _EtreeForPyOAI())
        monkeypatch.setattr(oaipmh.metadata, "etree", _EtreeForPyOAI())


def moment(stamp: str) -> datetime:
    # pyoai formats naive datetimes as UTC datestamps.
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")


class PyOAI:
    """pyoai's Client with an oai_dc reader registered; dates as datetimes, second granularity."""

    def __init__(self, url: str):
        from oaipmh.client import Client
        from oaipmh.metadata import MetadataRegistry, oai_dc_reader

        registry = MetadataRegistry()
        registry.registerReader("oai_dc", oai_dc_reader)
        self.client = Client(url, registry)

    @staticmethod
    def _args(from_, until, set_spec):
        args = {"from_": from_ and moment(from_), "until": until and moment(until)}
        if set_spec:
            args["set"] = set_spec
        return {k: v for k, v in args.items() if v is not None}

    def records(self, from_=None, until=None, set_spec=None):
        rows = []
        listing = self.client.listRecords(metadataPrefix="oai_dc", **self._args(from_, until, set_spec))
        for header, metadata, _ in listing:
            assert (metadata is None) == header.isDeleted()
            if metadata is not None:
                assert metadata.getField("title"), header.identifier()
            rows.append((header.identifier(), header.isDeleted()))
        return rows

    def identifiers(self, from_=None, until=None, set_spec=None):
        return [(h.identifier(), h.isDeleted())
                for h in self.client.listIdentifiers(metadataPrefix="oai_dc", **self._args(from_, until, set_spec))]

    def sets(self):
        return [spec for spec, name, _ in self.client.listSets()]

    def get(self, identifier):
        header, metadata, _ = self.client.getRecord(identifier=identifier, metadataPrefix="oai_dc")
        return header.identifier(), header.isDeleted()

    def identify(self):
        identify = self.client.identify()
        return identify.repositoryName(), identify.baseURL(), identify.granularity()


class SickleHarvester:
    def __init__(self, url: str):
        from sickle import Sickle

        self.sickle = Sickle(url, max_retries=0)

    @staticmethod
    def _args(from_, until, set_spec):
        return {k: v for k, v in (("from", from_), ("until", until), ("set", set_spec)) if v}

    def records(self, from_=None, until=None, set_spec=None):
        rows = []
        for record in self.sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False,
                                              **self._args(from_, until, set_spec)):
            if not record.deleted:
                assert record.metadata.get("title"), record.header.identifier
            rows.append((record.header.identifier, record.deleted))
        return rows

    def identifiers(self, from_=None, until=None, set_spec=None):
        return [(h.identifier, h.deleted) for h in self.sickle.ListIdentifiers(
            metadataPrefix="oai_dc", ignore_deleted=False, **self._args(from_, until, set_spec))]

    def sets(self):
        return [s.setSpec for s in self.sickle.ListSets()]

    def get(self, identifier):
        record = self.sickle.GetRecord(identifier=identifier, metadataPrefix="oai_dc")
        return record.header.identifier, record.deleted

    def identify(self):
        identify = self.sickle.Identify()
        return identify.repositoryName, identify.baseURL, identify.granularity


class Scythe:
    def __init__(self, url: str):
        scythe = pytest.importorskip("oaipmh_scythe")
        self.scythe = scythe.Scythe(url)

    def records(self, from_=None, until=None, set_spec=None):
        rows = []
        for record in self.scythe.list_records(from_=from_, until=until, set_=set_spec, metadata_prefix="oai_dc",
                                               ignore_deleted=False):
            if not record.deleted:
                assert record.metadata.get("title"), record.header.identifier
            rows.append((record.header.identifier, record.deleted))
        return rows

    def identifiers(self, from_=None, until=None, set_spec=None):
        return [(h.identifier, h.deleted) for h in self.scythe.list_identifiers(
            from_=from_, until=until, set_=set_spec, metadata_prefix="oai_dc", ignore_deleted=False)]

    def sets(self):
        return [s.setSpec for s in self.scythe.list_sets()]

    def get(self, identifier):
        record = self.scythe.get_record(identifier=identifier, metadata_prefix="oai_dc")
        return record.header.identifier, record.deleted

    def identify(self):
        identify = self.scythe.identify()
        return identify.repositoryName, identify.baseURL, identify.granularity


ADAPTERS = {"pyoai": PyOAI, "sickle": SickleHarvester, "scythe": Scythe}


def expected_rows(repo, from_=None, until=None, set_spec=None):
    return [(i, repo.entries[i].deleted) for i in repo.expected("oai_dc", from_, until, set_spec)]


@pytest.mark.parametrize("size", [1, 7, 100])
@pytest.mark.parametrize("name", HARVESTERS)
def test_interop_full_harvest_gives_every_record_once(repo, live_server, name, size):
    url = live_server(PAGE_SIZE=size, IDENTIFIERS_PAGE_SIZE=size, SETS_PAGE_SIZE=size)
    harvester = ADAPTERS[name](url)
    expected = expected_rows(repo)
    assert len(expected) > 300 and any(deleted for _, deleted in expected)
    records = harvester.records()
    assert records == expected, "every record once, in datestamp order, tombstones flagged"
    assert harvester.identifiers() == expected
    assert sorted(harvester.sets()) == sorted(repo.set_names)


def full(stamp: str, end: bool) -> str:
    return stamp if len(stamp) > 10 else stamp + ("T23:59:59Z" if end else "T00:00:00Z")


SELECTIVE = [
    pytest.param({"from_": "2020-03-01T00:00:00Z", "until": "2022-09-30T12:00:00Z"}, id="from-until-seconds"),
    pytest.param({"from_": "2021-03-04T00:00:00Z", "until": "2021-03-04T23:59:59Z"}, id="one-day-seconds"),
    pytest.param({"from_": "2024-06-01T00:00:00Z"}, id="from-seconds"),
    pytest.param({"until": "2020-12-31T23:59:59Z"}, id="until-seconds"),
    pytest.param({"from_": "2021-03-04", "until": "2021-03-04"}, id="one-day-days"),
    pytest.param({"from_": "2019-06-01", "until": "2023-06-01"}, id="from-until-days"),
    pytest.param({"set_spec": "subject:cuba"}, id="set-child"),
    pytest.param({"set_spec": "journal"}, id="set-parent"),
    pytest.param({"set_spec": "collections:caribbean"}, id="set-configured"),
    pytest.param({"set_spec": "type:article", "from_": "2022-01-01T00:00:00Z", "until": "2025-12-31T23:59:59Z"},
                 id="set-and-dates"),
]


def _day_dates(selection) -> bool:
    return any(len(v) == 10 for k, v in selection.values[0].items() if k != "set_spec")


# pyoai sends dates at the granularity Identify announced (seconds here), so it is not asked for days.
@pytest.mark.parametrize("name, selection", [
    pytest.param(name, selection.values[0], id=f"{name}-{selection.id}")
    for name in HARVESTERS for selection in SELECTIVE if not (name == "pyoai" and _day_dates(selection))])
def test_interop_selective_harvest_equals_the_store(repo, live_server, name, selection):
    url = live_server(PAGE_SIZE=7, IDENTIFIERS_PAGE_SIZE=7)
    harvester = ADAPTERS[name](url)
    bounds = {k: full(v, k == "until") if k != "set_spec" else v for k, v in selection.items()}
    expected = expected_rows(repo, **bounds)
    assert 0 < len(expected) < len(repo.entries)
    assert harvester.records(**selection) == expected
    assert harvester.identifiers(**selection) == expected


@pytest.mark.parametrize("name", HARVESTERS)
def test_interop_identify_and_getrecord(repo, live_server, name):
    url = live_server()
    harvester = ADAPTERS[name](url)
    assert harvester.identify() == ("OAI-PMH metadata provider", url, "YYYY-MM-DDThh:mm:ssZ")
    for deleted in (False, True):
        identifier = repo.first(deleted=deleted)
        assert harvester.get(identifier) == (identifier, deleted)


def test_interop_every_marcxml_record_loads_in_pymarc(repo, live_server):
    """A library catalogue's view: Sickle harvests marcxml over HTTP, and pymarc reads every record it gets,
    with the title the record has in MODS."""
    import io

    import pymarc
    from sickle import Sickle

    url = live_server(PAGE_SIZE=7)
    loaded = {}
    for record in Sickle(url).ListRecords(metadataPrefix="marcxml", ignore_deleted=True):
        marc = record.xml.find("{http://www.openarchives.org/OAI/2.0/}metadata")[0]
        parsed = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(marc)), strict=True)
        assert len(parsed) == 1, record.header.identifier
        loaded[record.header.identifier] = parsed[0]
    live = [i for i in repo.expected("marcxml") if not repo.entries[i].deleted]
    assert sorted(loaded) == sorted(live) and len(live) > 100
    for identifier, marc in loaded.items():
        assert marc.leader[6:8] in ("aa", "am") and len(marc["008"].data) == 40
        assert marc["001"].data == identifier and marc["245"]["a"]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_3_1_3_a_list_page_is_sent_whole_with_its_length_not_in_chunks(repo, live_server, encoding):
    """A page is held whole before its status goes out: one Content-Length, no chunked framing (which costs
    the server a copy of every chunk), and a fault while it is built is an error answer, not a cut stream."""
    import http.client
    import urllib.parse

    url = urllib.parse.urlsplit(live_server(PAGE_SIZE=5))
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", url.path + "?verb=ListRecords&metadataPrefix=oai_dc",
                       headers={"Accept-Encoding": encoding})
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200 and response.getheader("Transfer-Encoding") is None
    assert int(response.getheader("Content-Length")) == len(body)
    assert (response.getheader("Content-Encoding") or "identity") == encoding
    connection.close()
