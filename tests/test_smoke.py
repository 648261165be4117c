"""The seed article served over every verb on both stores, each response valid (a first end-to-end check)."""
import pytest

NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}
SEED_ID = "oai:test.example.org:birn-muntaner-2018"


@pytest.mark.parametrize("args", [
    {"verb": "Identify"},
    {"verb": "ListMetadataFormats"},
    {"verb": "ListSets"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
    {"verb": "ListRecords", "metadataPrefix": "mods"},
    {"verb": "GetRecord", "identifier": SEED_ID, "metadataPrefix": "oai_dc"},
], ids=lambda a: a["verb"])
def test_seed_is_served_by_every_verb(seeded, client, args):
    document = client.oai(**args)
    assert not document.findall("oai:error", NS)
