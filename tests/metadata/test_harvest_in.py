"""Harvest-in: an OAI-PMH response from another repository is ingested record by record, and each record
carries a provenance container (provenance.xsd) in its <about> part when this repository serves it."""
import pytest

from tests.conftest import OAIClient, StoreClock, make_app

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "p": "http://www.openarchives.org/OAI/2.0/provenance",
      "mods": "http://www.loc.gov/mods/v3"}
SEED_ID = "oai:test.example.org:birn-muntaner-2018"


def _second_repository(tmp_path, schema_dir, response_schema):
    app = make_app(tmp_path / "second", f"sqlite:///{tmp_path / 'second.sqlite3'}", schema_dir,
                   REPOSITORY_IDENTIFIER="aggregator.example.net", BASE_URL="http://aggregator.example.net/oai")
    return app, OAIClient(app.test_client(), response_schema)


def test_2_5_a_harvested_record_keeps_its_provenance(seeded, client, tmp_path, schema_dir, response_schema):
    harvested = client.get("/oai", query_string={"verb": "GetRecord", "identifier": SEED_ID,
                                                 "metadataPrefix": "mods"}).data
    second, second_client = _second_repository(tmp_path, schema_dir, response_schema)
    records = second.extensions["pipeline"].prepare(harvested, "harvest.xml")
    assert [r.identifier for r in records] == ["oai:aggregator.example.net:birn-muntaner-2018"]
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


def test_2_5_deleted_records_of_a_harvested_list_are_not_ingested(seeded, client, tmp_path, schema_dir,
                                                                   response_schema):
    with pytest.MonkeyPatch.context() as patch:
        StoreClock("2024-02-01T00:00:00Z").install(patch)
        seeded.extensions["store"].delete(SEED_ID)
    listed = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc",
                                              "from": "2000-01-01"}).data
    assert b'status="deleted"' in listed
    second, _ = _second_repository(tmp_path, schema_dir, response_schema)
    assert second.extensions["pipeline"].prepare(listed, "list.xml") == []
    second.extensions["store"].close()
