"""Several app servers, one database (issue 4): two gunicorn servers on two loopback ports share one store
and one secret key; records pushed through the first are served by the second, and a harvest started on one
continues on the other with the same resumption tokens (§3.5: tokens are stateless)."""
import hashlib
import json
import urllib.request

from tests.reliability.conftest import (AUTH, NS, TOKEN, fetch, gunicorn, harvest, mods, next_second,
                                        prepare_instance)

LOCAL_IDS = [f"fleet-{n:02d}" for n in range(11)]


def _push(oai_url: str, method: str, local_id: str, body: bytes = b"") -> int:
    request = urllib.request.Request(oai_url.removesuffix("/oai") + f"/api/records/{local_id}", data=body or None,
                                     method=method, headers={**AUTH, "Content-Type": "application/xml"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_records_written_through_one_server_are_harvested_across_both(tmp_path, database_url, schema_dir,
                                                                      response_schema):
    instance = prepare_instance(tmp_path / "instance", schema_dir)
    tokens = json.dumps({"fleet": hashlib.sha256(TOKEN.encode()).hexdigest()})
    with gunicorn(instance, database_url, count=2, PAGE_SIZE=3, API_TOKENS=tokens) as (first, second):
        for local_id in LOCAL_IDS:
            assert _push(first, "PUT", local_id, mods(local_id, f"Title of {local_id}")) == 201
        assert _push(first, "DELETE", LOCAL_IDS[0]) == 204
        next_second()

        result = harvest([second, first], response_schema)  # page 1 from the second, then alternating
        identifiers = [item.identifier for item in result.items]
        assert sorted(identifiers) == [f"oai:test.example.org:{i}" for i in LOCAL_IDS]
        assert len(set(identifiers)) == len(identifiers), "no record twice"
        assert result.pages == 4, "11 records in pages of 3, each page from the other server"
        deleted = {item.identifier for item in result.items if item.deleted}
        assert deleted == {f"oai:test.example.org:{LOCAL_IDS[0]}"}

        record = fetch(second, {"verb": "GetRecord", "identifier": f"oai:test.example.org:{LOCAL_IDS[5]}",
                                "metadataPrefix": "mods"}, response_schema)
        title = record.findtext(".//{http://www.loc.gov/mods/v3}title")
        assert title == f"Title of {LOCAL_IDS[5]}"
        assert record.find("oai:GetRecord/oai:record/oai:header", NS).get("status") is None
