"""Harvest-in: records from another repository's OAI-PMH responses are ingested record by record under
their source's identity, each with a provenance container (provenance.xsd), and every record read is
accounted for (README, "Harvest-in"). The responses are shaped like real ones: a DSpace repository's
handle identifiers, ISSNs and '-' in dc:identifier, compact datestamps, deleted records, a record saved twice.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from metadata.harvested import local_id, utc_datestamp_of
from metadata.ingest import ingest
from tests.conftest import OAIClient, StoreClock, make_app

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS, "p": "http://www.openarchives.org/OAI/2.0/provenance", "mods": "http://www.loc.gov/mods/v3",
      "dc": "http://purl.org/dc/elements/1.1/"}
SEED_ID = "oai:test.example.org:birn-muntaner-2018"
DSPACE = "https://repub.eur.nl/oai/request"


def dc_record(identifier: str, title: str, datestamp: str = "2021-03-11T10:00:00Z", deleted: bool = False) -> str:
    """A record as DSpace sends it: dc:identifier holds the journal's ISSN (shared by many articles), a '-'
    and the handle URL, none of them the record's identity."""
    if deleted:
        return (f'<record><header status="deleted"><identifier>{identifier}</identifier>'
                f"<datestamp>{datestamp}</datestamp></header></record>")
    return (f"<record><header><identifier>{identifier}</identifier><datestamp>{datestamp}</datestamp>"
            "<setSpec>com_1765_1</setSpec></header><metadata>"
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{title}</dc:title><dc:creator>Jansen, P.</dc:creator><dc:date>2004</dc:date>"
            "<dc:identifier>0921-0008</dc:identifier><dc:identifier>-</dc:identifier>"
            f"<dc:identifier>http://hdl.handle.net/{identifier[4:]}</dc:identifier><dc:type>Article</dc:type>"
            "</oai_dc:dc></metadata></record>")


def response(*records: str, base_url: str = DSPACE, response_date: str = "2024-05-02T08:00:00Z",
             verb: str = "ListRecords") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}"><responseDate>{response_date}'
            f'</responseDate><request verb="{verb}" metadataPrefix="oai_dc">{base_url}</request>'
            f"<{verb}>{''.join(records)}</{verb}></OAI-PMH>").encode()


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def run_ingest(app, *paths: Path, origin: str | None = None):
    report = ingest(app.extensions["pipeline"], app.extensions["store"], list(paths), batch_size=3, origin=origin)
    counted = sum(report.count(s) for s in ("created", "updated", "unchanged", "deleted", "skipped", "duplicate",
                                            "refused"))
    assert counted == report.read, report.summary()  # the counting rule: every record read, once
    return report


def provenance_of(client, identifier: str):
    document = client.oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    return document.find("oai:GetRecord/oai:record/oai:about/p:provenance/p:originDescription", NS)


# --- the identity rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source_identifier, base_url, expected", [
    ("oai:a.example.org:42", "https://a.example.org/oai", "a.example.org:42"),
    ("oai:A.Example.org:42", "", "a.example.org:42"),  # an oai-identifier names its repository itself
    ("hdl:1765/1070", DSPACE, "repub.eur.nl:hdl:1765/1070"),
    ("https://data.example.org/items/7", "http://data.example.org:8080/oai", "data.example.org:https://data.example.org/items/7"),
    ("urn:x:[1] 2", "https://a.example.org/oai", "a.example.org:urn:x:%5B1%5D%202"),
    ("id%20one", "https://a.example.org/oai", "a.example.org:id%2520one"),  # '%' itself: one-to-one
], ids=["oai", "oai-no-base-url", "handle", "url", "escaped", "percent"])
def test_local_id_comes_from_the_source_identifier(source_identifier, base_url, expected):
    assert local_id(source_identifier, base_url) == expected


def test_a_non_oai_identifier_without_a_base_url_has_no_identity():
    with pytest.raises(ValueError, match="--source"):
        local_id("hdl:1765/1070", "")


@pytest.mark.parametrize("text, expected", [
    ("2021-03-11", ("2021-03-11", None)),
    ("2021-03-11T10:00:00Z", ("2021-03-11T10:00:00Z", None)),
    ("20210311", ("2021-03-11", "datestamp '20210311' recorded as 2021-03-11")),
    ("2021-03-11 10:00:00", ("2021-03-11T10:00:00Z", "datestamp '2021-03-11 10:00:00' recorded as 2021-03-11T10:00:00Z")),
    ("2021-03-11T12:00:00.250+02:00", ("2021-03-11T10:00:00Z",
                                        "datestamp '2021-03-11T12:00:00.250+02:00' recorded as 2021-03-11T10:00:00Z")),
])
def test_3_3_1_source_datestamps_are_recorded_in_a_valid_form(text, expected):
    assert utc_datestamp_of(text) == expected


# --- ingesting real-shaped responses, on both stores -------------------------------------------------------

def test_records_with_handle_identifiers_and_shared_issns_all_arrive(app, client, tmp_path):
    """The loss that was seen: every record named its ISSN first in dc:identifier, and they overwrote one another."""
    handles = [f"hdl:1765/{n}" for n in (1070, 1071, 1072, 1073)]
    page1 = write(tmp_path / "in", "page1.xml", response(*(dc_record(h, f"Article {h}") for h in handles[:2])))
    page2 = write(tmp_path / "in", "page2.xml", response(
        *(dc_record(h, f"Article {h}") for h in handles[2:]), dc_record("hdl:1765/999", "", deleted=True)))

    report = run_ingest(app, page1, page2)

    assert (report.read, report.count("created"), report.count("skipped")) == (5, 4, 1)
    assert not report.needs_attention and "never held here" in report.skipped[0]
    for handle in handles:
        identifier = f"oai:test.example.org:repub.eur.nl:{handle}"
        origin = provenance_of(client, identifier)
        assert origin.findtext("p:identifier", namespaces=NS) == handle
        assert origin.findtext("p:baseURL", namespaces=NS) == DSPACE
        assert origin.findtext("p:datestamp", namespaces=NS) == "2021-03-11T10:00:00Z"
        assert origin.get("harvestDate") == "2024-05-02T08:00:00Z"
    assert app.extensions["store"].record_count() == 4


def test_two_sources_with_equal_local_parts_never_merge(app, client, tmp_path):
    a = write(tmp_path, "a.xml", response(dc_record("oai:a.example.org:42", "From A"), base_url="https://a.example.org/oai"))
    b = write(tmp_path, "b.xml", response(dc_record("oai:b.example.org:42", "From B"), base_url="https://b.example.org/oai"))
    report = run_ingest(app, a, b)
    assert report.count("created") == 2 and not report.needs_attention
    for source, title in (("a", "From A"), ("b", "From B")):
        document = client.oai(verb="GetRecord", identifier=f"oai:test.example.org:{source}.example.org:42",
                              metadataPrefix="oai_dc")
        assert document.findtext(".//dc:title", namespaces=NS) == title


def test_a_malformed_datestamp_is_rewritten_and_a_hopeless_one_refuses_its_record_alone(app, client, tmp_path):
    page = write(tmp_path, "page.xml", response(
        dc_record("hdl:1765/1", "Compact date", datestamp="20210311"),
        dc_record("hdl:1765/2", "No date", datestamp="last Tuesday"),
        dc_record("hdl:1765/3", "Fine")))
    report = run_ingest(app, page)
    assert (report.count("created"), report.count("refused")) == (2, 1)
    refusal = report.refused[0]
    assert "hdl:1765/2" in refusal.source and "'last Tuesday'" in refusal.message
    assert report.notes == [f"{page} (record hdl:1765/1, line 1): datestamp '20210311' recorded as 2021-03-11"]
    origin = provenance_of(client, "oai:test.example.org:repub.eur.nl:hdl:1765/1")
    assert origin.findtext("p:datestamp", namespaces=NS) == "2021-03-11"


def test_a_record_read_twice_in_one_run_is_reported_and_the_last_kept(app, client, tmp_path):
    """A GetRecord saved beside the ListRecords page that holds the same record (as seen in the DSpace sample),
    and a repeat inside one batch: each repeat is a duplicate naming both places; nothing is silent."""
    got = write(tmp_path / "in", "a-getrecord.xml", response(dc_record("hdl:1765/5", "Old title"), verb="GetRecord"))
    listed = write(tmp_path / "in", "b-list.xml", response(
        dc_record("hdl:1765/5", "New title"), dc_record("hdl:1765/6", "Six"), dc_record("hdl:1765/6", "Six again")))
    report = run_ingest(app, got, listed)
    assert (report.read, report.count("created"), report.count("duplicate")) == (4, 2, 2)
    assert report.needs_attention
    assert report.duplicates[0].startswith(f"oai:test.example.org:repub.eur.nl:hdl:1765/5: read in {got} (record")
    assert str(listed) in report.duplicates[0] and report.duplicates[0].endswith("the later one is kept")
    document = client.oai(verb="GetRecord", identifier="oai:test.example.org:repub.eur.nl:hdl:1765/6",
                          metadataPrefix="oai_dc")
    assert document.findtext(".//dc:title", namespaces=NS) == "Six again"
    document = client.oai(verb="GetRecord", identifier="oai:test.example.org:repub.eur.nl:hdl:1765/5",
                          metadataPrefix="oai_dc")
    assert document.findtext(".//dc:title", namespaces=NS) == "New title"


def test_two_mods_files_naming_one_record_identifier_are_a_duplicate(app, tmp_path):
    from tests.metadata.test_validate import mods

    first = write(tmp_path, "first.xml", mods("same-id", "First"))
    second = write(tmp_path, "second.xml", mods("same-id", "Second"))
    report = run_ingest(app, first, second)
    assert (report.count("created"), report.count("duplicate")) == (1, 1)
    assert report.duplicates == [f"oai:test.example.org:same-id: read in {first} and again in {second}; "
                                 "the later one is kept"]


def test_a_deletion_at_the_source_tombstones_the_harvested_record(app, client, tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        clock = StoreClock("2024-05-02T09:00:00Z").install(patch)
        run_ingest(app, write(tmp_path, "1.xml", response(dc_record("hdl:1765/8", "Eight"))))
        clock.now = "2024-05-03T09:00:00Z"
        report = run_ingest(app, write(tmp_path, "2.xml", response(
            dc_record("hdl:1765/8", "", deleted=True), response_date="2024-05-03T08:00:00Z")))
        assert [(r.status, r.datestamp) for r in report.results] == [("deleted", "2024-05-03T09:00:00Z")]
        again = run_ingest(app, tmp_path / "2.xml")
        assert [r.status for r in again.results] == ["unchanged"]
    header = client.oai(verb="GetRecord", identifier="oai:test.example.org:repub.eur.nl:hdl:1765/8",
                        metadataPrefix="oai_dc").find("oai:GetRecord/oai:record/oai:header", NS)
    assert header.get("status") == "deleted"


def test_2_7_1_harvested_again_unchanged_keeps_its_datestamp(app, tmp_path):
    """A later harvest of the same record brings a new responseDate (the provenance harvestDate): that is not
    a change of the record, so incremental harvesters of this repository are not sent it again."""
    with pytest.MonkeyPatch.context() as patch:
        clock = StoreClock("2024-05-02T09:00:00Z").install(patch)
        run_ingest(app, write(tmp_path, "1.xml", response(dc_record("hdl:1765/9", "Nine"))))
        clock.now = "2024-06-01T00:00:00Z"
        report = run_ingest(app, write(tmp_path, "2.xml", response(dc_record("hdl:1765/9", "Nine"),
                                                                   response_date="2024-06-01T00:00:00Z")))
    assert [(r.status, r.datestamp) for r in report.results] == [("unchanged", "2024-05-02T09:00:00Z")]


def test_a_single_saved_record_is_taken_like_a_one_record_list(app, client, tmp_path):
    record = dc_record("oai:a.example.org:7", "Saved alone").replace("<record>", f'<record xmlns="{OAI_NS}">', 1)
    path = write(tmp_path, "7.xml", record.encode())
    report = run_ingest(app, path)
    assert report.count("created") == 1
    origin = provenance_of(client, "oai:test.example.org:a.example.org:7")
    assert origin.findtext("p:identifier", namespaces=NS) == "oai:a.example.org:7"
    assert origin.findtext("p:baseURL", namespaces=NS) == ""  # the file does not say, and was not told


def test_a_single_saved_record_with_a_handle_needs_its_source(app, tmp_path):
    record = dc_record("hdl:1765/10", "Handle alone").replace("<record>", f'<record xmlns="{OAI_NS}">', 1)
    path = write(tmp_path, "10.xml", record.encode())
    report = run_ingest(app, path)
    assert report.count("refused") == 1 and "--source" in report.refused[0].message
    report = run_ingest(app, path, origin=DSPACE)
    assert report.count("created") == 1
    assert app.extensions["store"].header("oai:test.example.org:repub.eur.nl:hdl:1765/10") is not None


# --- provenance through a second repository of this project ------------------------------------------------

def _second_repository(tmp_path, schema_dir, response_schema):
    app = make_app(tmp_path / "second", f"sqlite:///{tmp_path / 'second.sqlite3'}", schema_dir,
                   REPOSITORY_IDENTIFIER="aggregator.example.net", BASE_URL="http://aggregator.example.net/oai")
    return app, OAIClient(app.test_client(), response_schema)


def test_2_5_a_harvested_record_keeps_its_provenance(seeded, client, tmp_path, schema_dir, response_schema):
    harvested = client.get("/oai", query_string={"verb": "GetRecord", "identifier": SEED_ID,
                                                 "metadataPrefix": "mods"}).data
    second, second_client = _second_repository(tmp_path, schema_dir, response_schema)
    records = second.extensions["pipeline"].prepare(harvested, "harvest.xml")
    assert [r.identifier for r in records] == ["oai:aggregator.example.net:test.example.org:birn-muntaner-2018"]
    second.extensions["store"].put(records)

    for prefix in ("mods", "oai_dc"):
        document = second_client.oai(verb="GetRecord", identifier=records[0].identifier, metadataPrefix=prefix)
        origin = document.find("oai:GetRecord/oai:record/oai:about/p:provenance/p:originDescription", NS)
        assert origin is not None, prefix
        assert origin.findtext("p:identifier", namespaces=NS) == SEED_ID
        assert origin.findtext("p:baseURL", namespaces=NS) == "http://oai.example.org/oai"
        assert origin.findtext("p:metadataNamespace", namespaces=NS) == "http://www.loc.gov/mods/v3"
        assert origin.get("harvestDate") and origin.findtext("p:datestamp", namespaces=NS)
    title = document.getroottree().xpath("string(//oai:metadata//*[local-name()='title'])", namespaces=NS)
    assert title.startswith("Latin American social medicine across borders")
    second.extensions["store"].close()


def test_2_5_deleted_records_of_a_harvested_list_are_deletions(seeded, client, tmp_path, schema_dir,
                                                               response_schema):
    with pytest.MonkeyPatch.context() as patch:
        StoreClock("2024-02-01T00:00:00Z").install(patch)
        seeded.extensions["store"].delete(SEED_ID)
    listed = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc",
                                              "from": "2000-01-01"}).data
    assert b'status="deleted"' in listed
    second, _ = _second_repository(tmp_path, schema_dir, response_schema)
    records = second.extensions["pipeline"].prepare(listed, "list.xml")
    assert [(r.identifier, r.deleted, r.formats) for r in records] == [
        ("oai:aggregator.example.net:test.example.org:birn-muntaner-2018", True, {})]
    second.extensions["store"].close()
