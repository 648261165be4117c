"""Rederive: a crosswalk added or changed after records were stored reaches them. A record whose disseminated
bytes change gets a new datestamp (§2.7.1: incremental harvesters get it); an unchanged one keeps its own;
a harvested record keeps its provenance. The old state is made for real: records stored by a pipeline that
knew fewer formats, as an instance of an earlier release holds them."""
from __future__ import annotations

import pytest

from metadata.formats import standard_formats
from metadata.pipeline import Pipeline
from metadata.rederive import rederive
from tests.conftest import StoreClock
from tests.metadata.test_harvest_in import NS, response
from tests.metadata.test_validate import mods

OAI_NS = NS["oai"]


def older_pipeline(app) -> Pipeline:
    """The app's pipeline as an earlier release had it: MODS only, no derived format."""
    current = app.extensions["pipeline"]
    return Pipeline(current.validator, current.repository_identifier, current.configured_sets,
                    {"mods": standard_formats()["mods"]}, current.site)


def harvested_mods(identifier: str, title: str) -> bytes:
    body = mods("ignored", title).decode().split("?>", 1)[1]
    return response(f"<record><header><identifier>{identifier}</identifier><datestamp>2021-03-11</datestamp>"
                    f"</header><metadata>{body}</metadata></record>", base_url="https://a.example.org/oai")


@pytest.fixture
def clock(monkeypatch):
    return StoreClock("2024-01-01T00:00:00Z").install(monkeypatch)


def test_a_format_added_later_reaches_stored_records_with_new_datestamps(app, client, clock):
    store = app.extensions["store"]
    store.put(older_pipeline(app).prepare(mods("old-1", "Old one"), "old-1.xml"))
    store.put(app.extensions["pipeline"].prepare(mods("new-1", "New one"), "new-1.xml"))
    assert store.formats_of("oai:test.example.org:old-1") == ["mods"]

    clock.now = "2024-02-01T00:00:00Z"
    report = rederive(app.extensions["pipeline"], store)

    assert sorted((r.identifier, r.status, r.datestamp) for r in report.results) == [
        ("oai:test.example.org:new-1", "unchanged", "2024-01-01T00:00:00Z"),
        ("oai:test.example.org:old-1", "updated", "2024-02-01T00:00:00Z")]
    assert report.read == 2 and not report.needs_attention
    assert store.formats_of("oai:test.example.org:old-1") == sorted(store.formats_of("oai:test.example.org:new-1"))
    clock.now = "2024-03-01T00:00:00Z"
    listed = client.oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2024-02-01T00:00:00Z"})
    assert listed.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == ["oai:test.example.org:old-1"]


def test_rederive_keeps_a_harvested_records_provenance_and_datestamp(app, client, clock):
    store, pipeline = app.extensions["store"], app.extensions["pipeline"]
    records = pipeline.prepare(harvested_mods("oai:a.example.org:7", "Harvested"), "page.xml")
    store.put(records)
    before = client.oai(verb="GetRecord", identifier=records[0].identifier, metadataPrefix="oai_dc")

    clock.now = "2024-02-01T00:00:00Z"
    report = rederive(pipeline, store)

    assert [(r.status, r.datestamp) for r in report.results] == [("unchanged", "2024-01-01T00:00:00Z")]
    after = client.oai(verb="GetRecord", identifier=records[0].identifier, metadataPrefix="oai_dc")
    about = "oai:GetRecord/oai:record/oai:about"
    assert after.find(about, NS) is not None
    from lxml import etree
    assert etree.tostring(after.find(about, NS)) == etree.tostring(before.find(about, NS))


def test_rederive_of_one_format_keeps_the_others_as_stored(app, clock):
    store, pipeline = app.extensions["store"], app.extensions["pipeline"]
    store.put(older_pipeline(app).prepare(mods("old-2", "Old two"), "old-2.xml"))
    report = rederive(pipeline, store, prefixes=["oai_dc"])
    assert [r.status for r in report.results] == ["updated"]
    assert "oai_dc" in store.formats_of("oai:test.example.org:old-2")


def test_deleted_records_are_left_as_tombstones(app, clock):
    store = app.extensions["store"]
    store.put(older_pipeline(app).prepare(mods("gone", "Gone"), "gone.xml"))
    store.delete("oai:test.example.org:gone")
    report = rederive(app.extensions["pipeline"], store)
    assert report.read == 0 and store.header("oai:test.example.org:gone").deleted


def test_init_on_an_older_instance_says_formats_are_missing_and_how_to_fill_them(tmp_path):
    from tests.provider.test_cli import run

    instance = tmp_path / "instance"
    assert run(instance, "init").exit_code == 0
    from provider.app import create_app

    app = create_app({"INSTANCE": str(instance)})
    store = app.extensions["store"]
    store.put(older_pipeline(app).prepare(mods("old-3", "Old three"), "old-3.xml"))
    store.close()
    result = run(instance, "init")
    assert result.exit_code == 0
    assert "1 of 2 records have no oai_dc yet" in result.stderr
    assert "run: oai-provider rederive" in result.stderr
    fixed = run(instance, "rederive")
    assert fixed.exit_code == 0 and "2 read: 0 created, 1 updated, 1 unchanged" in fixed.stdout
    assert "rederive" not in run(instance, "init").stderr
