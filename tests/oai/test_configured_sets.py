"""§4.6 and §2.7.2 with sets an operator defines in configuration: announced from the app's start, with
their description, and holding the records their rule or list names (parents included)."""
import json

import pytest

from metadata.ingest import ingest
from provider.app import SEED
from tests.conftest import OAIClient, StoreClock, make_app

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
SEED_ID = "oai:test.example.org:birn-muntaner-2018"
SETS = [{"spec": "editors:picks", "name": "Editors' picks", "description": "Chosen by the editors.",
         "identifiers": [SEED_ID]},
        {"spec": "solidarity", "name": "Health solidarity", "rule": "subject:cuba"}]


@pytest.fixture
def configured(tmp_path, database_url, schema_dir, response_schema):
    app = make_app(tmp_path / "instance", database_url, schema_dir, SETS=json.dumps(SETS))
    yield app, OAIClient(app.test_client(), response_schema)
    app.extensions["store"].close()


def test_4_6_configured_sets_are_listed_from_start_with_their_description(configured):
    app, client = configured
    sets = {s.findtext("oai:setSpec", namespaces=NS): s for s in client.oai(verb="ListSets").iterfind(".//oai:set", NS)}
    assert {"editors:picks", "solidarity"} <= set(sets)
    picks = sets["editors:picks"]
    assert picks.findtext("oai:setName", namespaces=NS) == "Editors' picks"
    assert picks.findtext("oai:setDescription//dc:description", namespaces=NS) == "Chosen by the editors."


@pytest.mark.parametrize("spec", ["editors:picks", "editors", "solidarity"])
def test_2_7_2_a_configured_set_holds_its_records_and_its_parents_do_too(configured, spec):
    app, client = configured
    with pytest.MonkeyPatch.context() as patch:
        StoreClock("2024-01-15T09:30:00Z").install(patch)
        assert not ingest(app.extensions["pipeline"], app.extensions["store"], sorted(SEED.glob("*.xml"))).refused
    document = client.oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
    assert [h.findtext("oai:identifier", namespaces=NS) for h in document.iterfind(".//oai:header", NS)] == [SEED_ID]
