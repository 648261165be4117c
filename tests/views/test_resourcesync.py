"""ResourceSync 1.1 (ANSI/NISO Z39.99-2017) and sitemaps for indexers, through the resync library (a real
ResourceSync client) against a live server, on SQLite and PostgreSQL. Section numbers are the ResourceSync
specification's. Every document a test fetches is checked against sitemap.xsd or siteindex.xsd with
resourcesync.xsd."""
from __future__ import annotations

import hashlib
import logging
import re
import time
import tracemalloc
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree
from resync import CapabilityList, ChangeList, ResourceList, SourceDescription
from resync.client import Client
from resync.resource_list_builder import ResourceListBuilder
from resync.sitemap import Sitemap

from metadata.record import Record
from provider.app import SEED
from provider.views import resourcesync, sitemaps
from schemas.catalog import load_combined
from tests.conftest import StoreClock, make_app, serving

SEED_MODS = (SEED / "birn-muntaner-2018.mods.xml").read_bytes()
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
T0, T1 = "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RS = "{http://www.openarchives.org/rs/terms/}"


@pytest.fixture(scope="module")
def schemas(schema_dir):
    extension = "resourcesync/1.1/resourcesync.xsd"
    return {"urlset": load_combined(schema_dir, ["sitemaps/0.9/sitemap.xsd", extension]),
            "sitemapindex": load_combined(schema_dir, ["sitemaps/0.9/siteindex.xsd", extension])}


class Site:
    """The app served on a loopback port (no OAI_BASE_URL: URLs are where it answers), and a reader that
    validates every sitemap document it fetches."""

    def __init__(self, app, url: str, schemas: dict):
        self.app, self.url, self.schemas = app, url, schemas
        self.store = app.extensions["store"]
        self.formats = list(app.extensions["formats"])

    def put(self, local_id: str, data: bytes = SEED_MODS, at: str | None = T0) -> None:
        """Stamped at `at`; with None, on the store's own clock, and after its second is over (a list
        names what was stamped before the second it is asked for in)."""
        records = self.app.extensions["pipeline"].prepare(data, "test", local_id)
        if at is None:
            [result] = self.store.put(records)
            moment = datetime.strptime(result.datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            time.sleep(max(0.0, moment.timestamp() + 1 - time.time()))
            return
        with pytest.MonkeyPatch.context() as patch:
            StoreClock(at).install(patch)
            self.store.put(records)

    def delete(self, local_id: str, at: str = T1) -> None:
        with pytest.MonkeyPatch.context() as patch:
            StoreClock(at).install(patch)
            assert self.store.delete(self.identifier(local_id))

    def identifier(self, local_id: str) -> str:
        return f"oai:test.example.org:{local_id}"

    def download(self, local_id: str, prefix: str) -> str:
        return f"{self.url}/records/{quote(local_id, safe=sitemaps_safe)}.{prefix}.xml"

    def downloads(self, *local_ids: str) -> set[str]:
        """Every download of these records: each format it has."""
        return {self.download(local, p) for local in local_ids for p in self.store.formats_of(self.identifier(local))}

    def get(self, url: str) -> bytes:
        with urllib.request.urlopen(url) as response:
            return response.read()

    def document(self, path_or_url: str) -> etree._Element:
        """A sitemap document, parsed and checked against its schemas."""
        body = self.get(path_or_url if path_or_url.startswith("http") else self.url + path_or_url)
        root = etree.fromstring(body)
        schema = self.schemas[etree.QName(root).localname]
        assert schema.validate(root), f"{path_or_url}: {schema.error_log}\n{body[:1500]!r}"
        return root

    def documents(self, path: str) -> list[etree._Element]:
        """A list document, and each part when it is an index (each part checked too)."""
        root = self.document(path)
        if root.tag != f"{SM}sitemapindex":
            return [root]
        return [root] + [self.document(loc.text) for loc in root.iter(f"{SM}loc")]


sitemaps_safe = "!$&'()*+,/:;=@"  # werkzeug's path converter


@pytest.fixture
def site(tmp_path, database_url, schema_dir, schemas, monkeypatch):
    monkeypatch.chdir(tmp_path)  # resync's client keeps its state file in the working directory
    app = make_app(tmp_path / "instance", database_url, schema_dir, BASE_URL="")
    with serving(app) as url:
        yield Site(app, url, schemas)
    app.extensions["store"].close()


def uris(container) -> set[str]:
    return {resource.uri for resource in container}


# --- §8, §9: discovery ------------------------------------------------------------------------------------

def test_8_source_description_at_the_well_known_uri_names_the_one_capability_list(site):
    root = site.document("/.well-known/resourcesync")
    assert root.find(f"{RS}ln").attrib == {"rel": "describedby", "href": site.url + "/"}
    description = SourceDescription()
    description.read(uri=site.url + "/.well-known/resourcesync")
    assert description.capability == "description"
    assert [r.uri for r in description] == [site.url + "/resourcesync/capabilitylist.xml"]
    assert [r.capability for r in description] == ["capabilitylist"]


def test_9_capability_list_advertises_a_resource_list_and_a_change_list_and_links_up(site):
    root = site.document("/resourcesync/capabilitylist.xml")
    assert root.find(f"{RS}ln").attrib == {"rel": "up", "href": site.url + "/.well-known/resourcesync"}
    capabilities = CapabilityList()
    capabilities.read(uri=site.url + "/resourcesync/capabilitylist.xml")
    assert capabilities.capability_info("resourcelist").uri == site.url + "/resourcesync/resourcelist.xml"
    assert capabilities.capability_info("changelist").uri == site.url + "/resourcesync/changelist.xml"


# --- §10: the resource list -------------------------------------------------------------------------------

def test_10_1_resource_list_holds_exactly_the_live_records_downloads(site):
    for local in ("a", "b", "c"):
        site.put(local)
    site.delete("b")
    [root] = site.documents("/resourcesync/resourcelist.xml")
    listed = ResourceList()
    listed.read(uri=site.url + "/resourcesync/resourcelist.xml")
    assert uris(listed) == site.downloads("a", "c") and len(listed) == len(site.downloads("a", "c"))
    assert {r.lastmod for r in listed} == {T0}
    md = root.find(f"{RS}md")
    assert md.get("capability") == "resourcelist" and md.get("at") > T1
    assert root.find(f"{RS}ln").attrib == {"rel": "up", "href": site.url + "/resourcesync/capabilitylist.xml"}


def test_10_1_hash_and_length_are_those_of_the_bytes_each_download_sends(site):
    site.put("a")
    listed = ResourceList()
    listed.read(uri=site.url + "/resourcesync/resourcelist.xml")
    assert len(listed) == len(site.store.formats_of(site.identifier("a")))
    for resource in listed:
        body = site.get(resource.uri)
        assert body.startswith(DECLARATION)
        assert resource.sha256 == hashlib.sha256(body).hexdigest() and resource.length == len(body)


def test_10_1_a_destination_synced_by_resync_is_in_sync_with_the_resource_list(site, tmp_path):
    """resync's baseline: discovery from /.well-known/resourcesync, every download fetched; then its audit
    (lastmod, length and sha-256 of the files on disk) finds nothing to do."""
    for local in ("a", "c"):
        site.put(local)
    destination = tmp_path / "copy"
    client = Client(hashes=["sha-256"])
    client.set_mappings([site.url, str(destination)])
    client.baseline_or_audit()
    listed = ResourceList()
    listed.read(uri=site.url + "/resourcesync/resourcelist.xml")
    on_disk = ResourceListBuilder(set_hashes=["sha-256"], mapper=client.mapper).from_disk()
    same, updated, deleted, created = on_disk.compare(listed)
    assert [len(same), len(updated), len(deleted), len(created)] == [len(listed), 0, 0, 0]
    assert {r.sha256 for r in on_disk} == {r.sha256 for r in listed}


def test_10_1_rs_md_types_are_media_types_the_resourcesync_schema_admits(site):
    """resourcesync.xsd's contentType is [\\w-]+/[\\w-]+: application/mods+xml fails it, so +xml types are
    given as application/xml, the type they specialize."""
    site.put("a")
    [root] = site.documents("/resourcesync/resourcelist.xml")
    types = {url.findtext(f"{SM}loc").rsplit(".", 2)[1]: url.find(f"{RS}md").get("type")
             for url in root.iter(f"{SM}url")}
    media = {p: fmt.media_type for p, fmt in site.app.extensions["formats"].items()}
    assert media["mods"] == "application/mods+xml" and types["mods"] == "application/xml"
    assert all(re.fullmatch(r"[\w-]+/[\w-]+", t) for t in types.values())
    assert all(types[p] == (media[p] if "+" not in media[p] else "application/xml") for p in types)


def test_10_1_an_unusual_local_id_is_listed_at_the_url_its_download_answers(site):
    local = "R&D/a:b;(2024)?%41"
    site.put(local)
    listed = ResourceList()
    listed.read(uri=site.url + "/resourcesync/resourcelist.xml")
    assert uris(listed) == site.downloads(local)
    for resource in listed:
        assert hashlib.sha256(site.get(resource.uri)).hexdigest() == resource.sha256


def test_10_2_past_the_limit_the_resource_list_is_an_index_of_parts_resync_reads_whole(site, monkeypatch):
    for local in ("a", "b", "c"):
        site.put(local)
    everything = ResourceList()
    everything.read(uri=site.url + "/resourcesync/resourcelist.xml")
    monkeypatch.setattr(sitemaps, "URLS_PER_DOCUMENT", 4)
    index, *parts = site.documents("/resourcesync/resourcelist.xml")
    total = len(everything)
    assert index.tag == f"{SM}sitemapindex" and len(parts) == -(-total // 4)
    assert [len(part.findall(f"{SM}url")) for part in parts] == [4] * (total // 4) + ([total % 4] if total % 4 else [])
    at = index.find(f"{RS}md").get("at")
    for part in parts:
        assert part.find(f"{RS}md").attrib == {"capability": "resourcelist", "at": at}
        links = {ln.get("rel"): ln.get("href") for ln in part.iter(f"{RS}ln")}
        assert links == {"up": site.url + "/resourcesync/capabilitylist.xml",
                         "index": site.url + "/resourcesync/resourcelist.xml"}
    split = ResourceList()
    split.read(uri=site.url + "/resourcesync/resourcelist.xml")
    assert uris(split) == uris(everything) and len(split) == total


def test_10_2_a_change_while_the_parts_are_read_moves_a_record_out_of_the_list_not_into_it_twice(site, monkeypatch):
    """The parts keep the index's `at`: a record updated after it is in no part (resync would refuse a list
    naming it twice), and the change list from `at` has it."""
    for local in ("a", "b", "c"):
        site.put(local)
    monkeypatch.setattr(sitemaps, "URLS_PER_DOCUMENT", 4)
    index = site.document("/resourcesync/resourcelist.xml")
    at = index.find(f"{RS}md").get("at")
    parts = [loc.text for loc in index.iter(f"{SM}loc")]
    first = site.document(parts[0])
    moved = first.findtext(f"{SM}url/{SM}loc").rsplit("/", 1)[1].split(".")[0]
    site.put(moved, SEED_MODS.replace(b"across borders", b"across borders, revised"), at=None)
    listed = [loc.text for part in parts for loc in site.document(part).iter(f"{SM}loc")]
    assert len(listed) == len(set(listed))
    assert not set(listed) & site.downloads(moved)
    monkeypatch.setattr(sitemaps, "URLS_PER_DOCUMENT", 50_000)
    changes = ChangeList()
    changes.read(uri=f"{site.url}/resourcesync/changelist.xml?from={at}")
    assert uris(changes) == site.downloads(moved)


def test_10_2_a_part_named_with_a_position_of_the_wrong_length_is_400(site):
    with pytest.raises(urllib.error.HTTPError) as refused:
        site.get(site.url + "/resourcesync/resourcelist.xml?at=2024-01-01T00:00:00Z&after=mods")
    assert refused.value.code == 400


# --- §12: change lists ------------------------------------------------------------------------------------

def test_12_1_after_an_update_and_a_deletion_the_change_list_names_exactly_those(site, tmp_path):
    for local in ("a", "b", "c"):
        site.put(local)
    destination = tmp_path / "copy"
    client = Client(hashes=["sha-256"])
    client.set_mappings([site.url, str(destination)])
    client.baseline_or_audit()
    deleted_files = site.downloads("b")
    site.put("a", SEED_MODS.replace(b"across borders", b"across borders, revised"), at=T1)
    site.delete("b", at=T1)

    [root] = site.documents(f"/resourcesync/changelist.xml?from={T1}")
    assert root.find(f"{RS}md").get("from") == T1 and root.find(f"{RS}md").get("until") > T1
    changes = ChangeList()
    changes.read(uri=f"{site.url}/resourcesync/changelist.xml?from={T1}")
    assert {(r.uri, r.change) for r in changes} == (
        {(u, "updated") for u in site.downloads("a")} | {(u, "deleted") for u in deleted_files})
    assert {r.datetime for r in changes} == {T1}

    client.incremental(allow_deletion=True, change_list_uri=f"{site.url}/resourcesync/changelist.xml?from={T1}",
                       from_datetime=T1)
    listed = ResourceList()
    listed.read(uri=site.url + "/resourcesync/resourcelist.xml")
    on_disk = ResourceListBuilder(set_hashes=["sha-256"], mapper=client.mapper).from_disk()
    assert uris(on_disk) == uris(listed) == site.downloads("a", "c")
    assert {r.uri: r.sha256 for r in on_disk} == {r.uri: r.sha256 for r in listed}


def test_12_1_a_record_with_its_first_datestamp_is_created_a_later_one_updated_a_tombstone_deleted(site):
    site.put("kept")
    site.put("changed")
    site.put("gone")
    site.put("changed", SEED_MODS.replace(b"across borders", b"across borders, revised"), at=T1)
    site.delete("gone", at=T1)
    site.put("new", at=T1)
    changes = ChangeList()
    changes.read(uri=site.url + "/resourcesync/changelist.xml")
    by_record = {(r.uri.rsplit("/", 1)[1].split(".")[0], r.change) for r in changes}
    assert by_record == {("kept", "created"), ("changed", "updated"), ("gone", "deleted"), ("new", "created")}
    times = [r.datetime for r in changes]
    assert times == sorted(times), "in the order the changes happened"
    [root] = site.documents("/resourcesync/changelist.xml")
    assert root.find(f"{RS}md").get("from") == T0


def test_12_1_no_change_since_from_is_an_empty_change_list(site):
    site.put("a")
    changes = ChangeList()
    changes.read(uri=f"{site.url}/resourcesync/changelist.xml?from={T1}")
    assert len(changes) == 0 and changes.md["md_from"] == T1


def test_12_2_past_the_limit_the_change_list_is_an_index_whose_parts_cover_their_own_time(site, monkeypatch):
    for local, at in (("a", T0), ("b", T0), ("c", T1)):
        site.put(local, at=at)
    site.delete("b", at="2024-03-01T00:00:00Z")
    everything = ChangeList()
    everything.read(uri=site.url + "/resourcesync/changelist.xml")
    monkeypatch.setattr(sitemaps, "URLS_PER_DOCUMENT", 3)
    index, *parts = site.documents("/resourcesync/changelist.xml")
    assert index.tag == f"{SM}sitemapindex" and len(parts) == -(-len(everything) // 3)
    spans = [(p.find(f"{RS}md").get("from"), p.find(f"{RS}md").get("until")) for p in parts]
    for part, (start, end) in zip(parts, spans):
        times = [url.find(f"{RS}md").get("datetime") for url in part.iter(f"{SM}url")]
        assert start <= min(times) and max(times) <= end
    # resync's ChangeList reads no index (it takes each <sitemap> for a change): its Sitemap reader does
    listed = Sitemap().parse_xml(fh=urllib.request.urlopen(site.url + "/resourcesync/changelist.xml"))
    assert listed.md["capability"] == "changelist"
    split = []
    for part in listed:
        changes = ChangeList()
        changes.read(uri=part.uri)
        split += [(r.uri, r.change) for r in changes]
    assert split == [(r.uri, r.change) for r in everything]


# --- sitemaps for indexers --------------------------------------------------------------------------------

def test_sitemap_is_an_index_over_every_live_landing_page_with_its_datestamp(site, monkeypatch):
    for local in ("a", "b", "c", "d"):
        site.put(local)
    site.put("e", at=T1)
    site.delete("b")
    monkeypatch.setattr(sitemaps, "URLS_PER_DOCUMENT", 3)
    index, *parts = site.documents("/sitemap.xml")
    assert index.tag == f"{SM}sitemapindex" and [len(p.findall(f"{SM}url")) for p in parts] == [3, 1]
    pages = {url.findtext(f"{SM}loc"): url.findtext(f"{SM}lastmod") for p in parts for url in p.iter(f"{SM}url")}
    assert pages == {**{f"{site.url}/records/{x}": T0 for x in "acd"}, f"{site.url}/records/e": T1}
    assert [s.findtext(f"{SM}lastmod") for s in index.iter(f"{SM}sitemap")] == [T0, None]
    for page in pages:
        assert site.get(page)  # each answers


def test_robots_txt_names_the_sitemap(site):
    body = site.get(site.url + "/robots.txt").decode()
    assert f"Sitemap: {site.url}/sitemap.xml" in body.splitlines()
    assert "User-agent: *" in body and "Disallow: /" not in body


def test_an_empty_repository_has_no_sitemap(site):
    with pytest.raises(urllib.error.HTTPError) as missing:
        site.get(site.url + "/sitemap.xml")
    assert missing.value.code == 404


# --- memory --------------------------------------------------------------------------------------------------

def _streamed_peak(app, path: str) -> tuple[int, int]:
    """Bytes sent and the peak of Python allocations while the response streams."""
    client = app.test_client()
    tracemalloc.start()
    try:
        response = client.get(path)
        sent = sum(len(chunk) for chunk in response.response)
        return sent, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path", ["/resourcesync/resourcelist.xml", "/resourcesync/changelist.xml",
                                  "/sitemaps/pages.xml"])
def test_streaming_a_list_takes_the_same_memory_for_four_times_the_records(tmp_path, database_url, schema_dir,
                                                                          monkeypatch, path):
    monkeypatch.setattr(sitemaps, "PAGE", 25)
    monkeypatch.setattr(sitemaps, "FLUSH_BYTES", 8 * 1024)  # both sizes stream several chunks
    app = make_app(tmp_path / "instance", database_url, schema_dir)
    store = app.extensions["store"]
    metadata = b"<mods xmlns='http://www.loc.gov/mods/v3'>" + b"<note>x</note>" * 200 + b"</mods>"

    def grow(to: int) -> None:
        with pytest.MonkeyPatch.context() as patch:
            StoreClock(T0).install(patch)
            for start in range(store.record_count(), to, 250):
                store.put([Record(f"oai:test.example.org:r{i:05d}", {"mods": metadata, "oai_dc": metadata})
                           for i in range(start, min(to, start + 250))])
    grow(300)
    _streamed_peak(app, path)  # first use: compiled patterns, imports
    small = _streamed_peak(app, path)
    grow(1200)
    large = _streamed_peak(app, path)
    assert large[0] > 3.5 * small[0], "four times the records, four times the bytes"
    assert large[1] < small[1] * 1.25 + 16 * 1024, (small, large)
    store.close()
