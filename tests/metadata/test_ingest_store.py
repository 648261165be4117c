"""Ingest into each store (SQLite and PostgreSQL), seen through the protocol: datestamps change with content
only (§2.7.1), deletions leave persistent tombstones (§2.5.1), and the seed's sets follow the README's rules.

The store's clock is driven by hand (each store reads it in one place), so no test sleeps.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from metadata.ingest import ingest
from tests.conftest import StoreClock
from provider.app import SEED

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
SEED_FILE = SEED / "birn-muntaner-2018.mods.xml"
SEED_ID = "oai:test.example.org:birn-muntaner-2018"


class Clock(StoreClock):
    def pass_time(self) -> None:
        """Move on before a harvest: a list ends the second before it starts, on the store's clock."""
        self.now = "2024-04-01T00:00:00Z"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The one place each store reads its clock, pointed at a value the test sets."""
    return Clock("2024-03-01T09:00:00Z").install(monkeypatch)


def ingest_files(app, *paths: Path):
    report = ingest(app.extensions["pipeline"], app.extensions["store"], list(paths))
    assert not report.refused, report.refused
    return report


def header_of(client, identifier: str, prefix: str = "oai_dc"):
    record = client.oai(verb="GetRecord", identifier=identifier, metadataPrefix=prefix)
    return record.find("oai:GetRecord/oai:record", NS)


def test_2_7_1_reingest_unchanged_keeps_datestamp(app, client, clock):
    first = ingest_files(app, SEED_FILE)
    assert [(r.status, r.datestamp) for r in first.results] == [("created", "2024-03-01T09:00:00Z")]

    clock.now = "2024-03-02T10:30:00Z"
    again = ingest_files(app, SEED_FILE)

    assert [(r.status, r.datestamp) for r in again.results] == [("unchanged", "2024-03-01T09:00:00Z")]
    record = header_of(client, SEED_ID)
    assert record.findtext("oai:header/oai:datestamp", namespaces=NS) == "2024-03-01T09:00:00Z"
    clock.pass_time()
    listed = client.oai(verb="ListIdentifiers", metadataPrefix="mods", **{"from": "2024-03-02T00:00:00Z"})
    assert listed.find("oai:error", NS).get("code") == "noRecordsMatch"
    listed = client.oai(verb="ListIdentifiers", metadataPrefix="mods", **{"from": "2024-03-01T00:00:00Z"})
    assert listed.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == [SEED_ID]


def test_2_7_1_edited_record_gets_new_datestamp(app, client, clock, tmp_path):
    ingest_files(app, SEED_FILE)
    edited = tmp_path / "edited.xml"
    edited.write_bytes(SEED_FILE.read_bytes().replace(b"<title>Latin American social medicine across borders</title>",
                                                      b"<title>Latin American social medicine, revised</title>"))

    clock.now = "2024-03-02T10:30:00Z"
    report = ingest_files(app, edited)

    assert [(r.identifier, r.status, r.datestamp) for r in report.results] == [
        (SEED_ID, "updated", "2024-03-02T10:30:00Z")]
    record = header_of(client, SEED_ID)
    assert record.findtext("oai:header/oai:datestamp", namespaces=NS) == "2024-03-02T10:30:00Z"
    title = record.findtext("oai:metadata//dc:title", namespaces=NS)
    assert title.startswith("Latin American social medicine, revised")
    clock.pass_time()
    listed = client.oai(verb="ListIdentifiers", metadataPrefix="mods", **{"from": "2024-03-02T00:00:00Z"})
    assert listed.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == [SEED_ID]


def test_2_5_1_delete_leaves_tombstone_with_new_datestamp(app, client, clock):
    ingest_files(app, SEED_FILE)
    clock.now = "2024-03-05T08:00:00Z"

    tombstone = app.extensions["store"].delete(SEED_ID)

    assert (tombstone.identifier, tombstone.datestamp, tombstone.deleted) == (SEED_ID, "2024-03-05T08:00:00Z", True)
    assert app.extensions["store"].record_count() == 0
    for prefix in ("mods", "oai_dc"):
        record = header_of(client, SEED_ID, prefix)
        header = record.find("oai:header", NS)
        assert header.get("status") == "deleted"
        assert header.findtext("oai:datestamp", namespaces=NS) == "2024-03-05T08:00:00Z"
        assert record.find("oai:metadata", NS) is None
    formats = client.oai(verb="ListMetadataFormats", identifier=SEED_ID)
    assert sorted(formats.xpath("//oai:metadataPrefix/text()", namespaces=NS)) == ["marcxml", "mods", "oai_dc", "oai_openaire"]
    clock.pass_time()
    listed = client.oai(verb="ListRecords", metadataPrefix="mods")
    assert listed.xpath("//oai:record/oai:header/@status", namespaces=NS) == ["deleted"]


def test_2_5_1_reingest_after_delete_revives_record(app, client, clock):
    ingest_files(app, SEED_FILE)
    clock.now = "2024-03-05T08:00:00Z"
    app.extensions["store"].delete(SEED_ID)
    clock.now = "2024-03-06T08:00:00Z"

    report = ingest_files(app, SEED_FILE)

    assert [(r.status, r.datestamp) for r in report.results] == [("updated", "2024-03-06T08:00:00Z")]
    header = header_of(client, SEED_ID).find("oai:header", NS)
    assert header.get("status") is None


SEED_SETS = ["journal", "journal:global-public-health", "subject", "subject:cuba", "type", "type:article",
             "year", "year:2018"]


def test_2_7_2_seed_is_in_its_derived_sets_and_their_parents(app, client, clock):
    ingest_files(app, SEED_FILE)
    clock.pass_time()
    header = header_of(client, SEED_ID).find("oai:header", NS)
    specs = header.xpath("oai:setSpec/text()", namespaces=NS)
    assert set(SEED_SETS) <= set(specs)
    listed = client.oai(verb="ListSets")
    assert set(SEED_SETS) <= set(listed.xpath("//oai:setSpec/text()", namespaces=NS))
    for spec in SEED_SETS:
        members = client.oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
        assert members.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == [SEED_ID], spec


def test_2_7_2_seed_is_in_no_set_the_rules_do_not_give(seeded, client):
    """The topics and nothing else: one set per keyword and the ASJC area, one type, one journal, one year."""
    specs = header_of(client, SEED_ID).xpath("oai:header/oai:setSpec/text()", namespaces=NS)
    assert [s for s in specs if s.startswith(("type:", "journal:", "year:"))] == [
        "journal:global-public-health", "type:article", "year:2018"]
    topics = sorted(s for s in specs if s.startswith("subject:"))
    assert topics == ["subject:cuba", "subject:latin-american-social-medicine", "subject:medical-internationalism",
                      "subject:public-health-environmental-and-occupational-health",
                      "subject:south-south-health-cooperation", "subject:venezuela"]
