"""The write API: PUT, DELETE and batch POST of records behind bearer tokens kept only as hashes.

Every write route is tried without a token (401 with WWW-Authenticate), with a wrong one (403) and with a
good one; a test walks app.url_map so a write route added later cannot slip through unguarded.
"""
from __future__ import annotations

import json
import logging

import pytest
from werkzeug.routing.converters import NumberConverter

from provider.api_tokens import TOKEN_FILE, token_hash
from provider.cli import cli
from provider.settings import ConfigError
from provider.views.api import READ_FORMS, UNSAFE_METHODS
from tests.conftest import make_app
from tests.reliability.conftest import AUTH, NS, TOKEN, collection, mods, next_second

WRONG = {"Authorization": "Bearer oaip_not-a-token-of-this-repository"}
CLIENT = {"REMOTE_ADDR": "203.0.113.7"}
WRITES = [
    ("PUT", "/api/records/pushed-1", mods("pushed-1")),
    ("DELETE", "/api/records/pushed-1", b""),
    ("POST", "/api/records", collection(mods("pushed-1"), mods("pushed-2"))),
]
WRITE_IDS = [f"{method} {path}" for method, path, _ in WRITES]


def _request(api, method, path, body=b"", headers=None):
    return api.open(path, method=method, data=body, headers=headers or {}, content_type="application/xml",
                    environ_base=CLIENT)


def _identifier(local_id):
    return f"oai:test.example.org:{local_id}"


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_write_without_a_token_is_401_with_www_authenticate(api, api_app, method, path, body, caplog):
    with caplog.at_level(logging.WARNING):
        response = _request(api, method, path, body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="oai-provider"'
    assert response.json["error"]
    assert api_app.extensions["store"].header(_identifier("pushed-1")) is None
    assert any("refused" in r.getMessage() and "203.0.113.7" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("authorization", ["Basic cHVzaGVyOnNlY3JldA==", "Bearer", "Bearer   ", TOKEN],
                         ids=["basic", "bearer-without-token", "bearer-blank", "token-without-scheme"])
def test_write_with_a_malformed_authorization_is_401(api, authorization):
    response = _request(api, "PUT", "/api/records/pushed-1", mods("pushed-1"), {"Authorization": authorization})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_write_with_a_wrong_token_is_403_and_logged(api, api_app, method, path, body, caplog):
    with caplog.at_level(logging.WARNING):
        response = _request(api, method, path, body, WRONG)
    assert response.status_code == 403
    assert api_app.extensions["store"].header(_identifier("pushed-1")) is None
    refused = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("203.0.113.7" in m and "403" in m for m in refused)
    assert not any(TOKEN in m or "not-a-token" in m for m in refused), "tokens are never logged"


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_write_with_the_good_token_succeeds(api, api_app, method, path, body):
    if method == "DELETE":
        assert _request(api, "PUT", path, mods("pushed-1"), AUTH).status_code == 201
    response = _request(api, method, path, body, AUTH)
    assert response.status_code in (201, 204)
    header = api_app.extensions["store"].header(_identifier("pushed-1"))
    assert header is not None and header.deleted == (method == "DELETE")


def _sample_url(adapter, rule):
    values = {name: 1 if isinstance(rule._converters.get(name), NumberConverter) else "x"
              for name in rule.arguments}
    return adapter.build(rule.endpoint, values, force_external=False)


def test_every_route_accepting_a_write_refuses_without_a_token(api, api_app):
    adapter = api_app.url_map.bind("localhost")
    checked = set()
    for rule in api_app.url_map.iter_rules():
        if rule.endpoint in READ_FORMS:
            continue
        for method in sorted(rule.methods & UNSAFE_METHODS):
            url = _sample_url(adapter, rule)
            assert _request(api, method, url, b"<x/>").status_code == 401, f"{method} {rule.rule}"
            assert _request(api, method, url, b"<x/>", WRONG).status_code == 403, f"{method} {rule.rule}"
            checked.add((method, rule.rule))
    assert {("PUT", "/api/records/<path:local_id>"), ("DELETE", "/api/records/<path:local_id>"),
            ("POST", "/api/records")} <= checked


def test_a_write_route_added_later_is_guarded_too(tmp_path, schema_dir):
    app = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}", schema_dir,
                   API_TOKENS={"pusher": token_hash(TOKEN)})
    app.add_url_rule("/someday/<name>", "someday", lambda name: "written", methods=["GET", "POST", "PATCH"])
    client = app.test_client()
    assert client.get("/someday/x").status_code == 200
    assert client.post("/someday/x").status_code == 401
    assert client.patch("/someday/x", headers=WRONG).status_code == 403
    assert client.post("/someday/x", headers=AUTH).status_code == 200


def test_reads_stay_public_including_the_oai_post_form(seeded, response_schema):
    from tests.conftest import OAIClient

    client = OAIClient(seeded.test_client(), response_schema)
    assert client.oai(verb="Identify") is not None
    next_second()
    document = client.oai("POST", verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert document.findall("oai:ListIdentifiers/oai:header", NS)


def test_put_creates_then_is_unchanged_then_updates(api, api_app):
    store = api_app.extensions["store"]
    first = _request(api, "PUT", "/api/records/art-1", mods("art-1", "First title"), AUTH)
    assert first.status_code == 201
    assert first.json == {"identifier": _identifier("art-1"), "datestamp": store.header(_identifier("art-1")).datestamp,
                          "status": "created"}
    again = _request(api, "PUT", "/api/records/art-1", mods("art-1", "First title"), AUTH)
    assert (again.status_code, again.json["status"], again.json["datestamp"]) == (200, "unchanged", first.json["datestamp"])
    changed = _request(api, "PUT", "/api/records/art-1", mods("art-1", "Second title"), AUTH)
    assert (changed.status_code, changed.json["status"]) == (200, "updated")
    document = api.oai(verb="GetRecord", identifier=_identifier("art-1"), metadataPrefix="oai_dc")
    assert document.findtext(".//dc:title", namespaces=NS) == "Second title"


def test_put_stores_under_the_local_id_of_the_url(api, api_app):
    response = _request(api, "PUT", "/api/records/from-url", mods("from-body"), AUTH)
    assert response.json["identifier"] == _identifier("from-url")
    assert api_app.extensions["store"].header(_identifier("from-body")) is None


def test_put_of_a_collection_is_400(api, api_app):
    response = _request(api, "PUT", "/api/records/one", collection(mods("one"), mods("two")), AUTH)
    assert response.status_code == 400
    assert "POST /api/records" in response.json["messages"][0]
    assert api_app.extensions["store"].record_count() == 0


def test_invalid_record_is_400_with_the_validation_message(api, api_app, caplog):
    body = mods("bad-1").replace(b"<typeOfResource>", b"<typeOfResource usage='sometimes'>")
    with caplog.at_level(logging.WARNING):
        response = _request(api, "PUT", "/api/records/bad-1", body, AUTH)
    assert response.status_code == 400
    assert response.json["error"] == "invalid record"
    assert "not valid against loc/mods/mods-3-8.xsd" in response.json["messages"][0]
    assert "usage" in response.json["messages"][0]
    assert api_app.extensions["store"].header(_identifier("bad-1")) is None
    assert any("203.0.113.7" in r.getMessage() and "400" in r.getMessage() for r in caplog.records)


def test_put_with_an_illegal_local_id_is_400(api):
    response = _request(api, "PUT", "/api/records/has space", mods(None), AUTH)
    assert response.status_code == 400
    assert "not valid in an oai-identifier" in response.json["messages"][0]


def test_delete_is_204_with_identifier_and_datestamp_headers(api, api_app):
    _request(api, "PUT", "/api/records/gone", mods("gone"), AUTH)
    response = _request(api, "DELETE", "/api/records/gone", headers=AUTH)
    assert response.status_code == 204 and response.data == b""
    header = api_app.extensions["store"].header(_identifier("gone"))
    assert header.deleted
    assert (response.headers["OAI-Identifier"], response.headers["OAI-Datestamp"]) == (header.identifier, header.datestamp)
    assert _request(api, "DELETE", "/api/records/gone", headers=AUTH).headers["OAI-Datestamp"] == header.datestamp
    document = api.oai(verb="GetRecord", identifier=_identifier("gone"), metadataPrefix="mods")
    assert document.find("oai:GetRecord/oai:record/oai:header", NS).get("status") == "deleted"


def test_delete_of_an_unknown_record_is_404(api):
    response = _request(api, "DELETE", "/api/records/never-was", headers=AUTH)
    assert response.status_code == 404
    assert response.json["messages"] == [_identifier("never-was")]


def test_batch_is_stored_whole_and_reports_each_record(api, api_app):
    response = _request(api, "POST", "/api/records", collection(*(mods(f"b-{i}") for i in range(5))), AUTH)
    assert response.status_code == 201
    assert [r["identifier"] for r in response.json["records"]] == [_identifier(f"b-{i}") for i in range(5)]
    assert {r["status"] for r in response.json["records"]} == {"created"}
    again = _request(api, "POST", "/api/records", collection(*(mods(f"b-{i}") for i in range(5))), AUTH)
    assert again.status_code == 200 and {r["status"] for r in again.json["records"]} == {"unchanged"}
    assert api_app.extensions["store"].record_count() == 5


@pytest.mark.parametrize("records,message", [
    ([mods("ok-1"), mods("ok-2").replace(b"<genre>", b"<genre unknownAttribute='1'>"), mods("ok-3")], "not valid"),
    ([mods("ok-1"), mods(None), mods("ok-3")], "record 2 of the batch has no local id"),
    ([mods("ok-1"), mods("ok-1", "Other title")], "appears more than once"),
], ids=["one-invalid", "one-without-local-id", "duplicate-local-id"])
def test_a_batch_with_one_bad_record_stores_nothing(api, api_app, records, message):
    response = _request(api, "POST", "/api/records", collection(*records), AUTH)
    assert response.status_code == 400
    assert message in response.json["messages"][0]
    assert api_app.extensions["store"].record_count() == 0


def test_a_batch_record_may_be_called_records(api):
    response = _request(api, "POST", "/api/records", collection(mods("records"), mods("other")), AUTH)
    assert response.status_code == 201


def test_body_over_max_content_length_is_413_and_stores_nothing(tmp_path, database_url, schema_dir):
    app = make_app(tmp_path / "instance", database_url, schema_dir, MAX_CONTENT_LENGTH=4096,
                   API_TOKENS={"pusher": token_hash(TOKEN)})
    client = app.test_client()
    big = mods("big", "x" * 5000)
    response = client.put("/api/records/big", data=big, headers=AUTH, content_type="application/xml")
    assert response.status_code == 413
    assert response.json["error"]
    assert app.extensions["store"].header(_identifier("big")) is None
    assert client.post("/oai", data={"verb": "Identify", "x": "y" * 5000}).status_code == 413
    app.extensions["store"].close()


def test_tokens_create_prints_the_token_once_and_keeps_only_its_hash(api_app, api):
    runner = api_app.test_cli_runner()
    created = runner.invoke(cli, ["tokens", "create", "harvest-pusher"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("oaip_") and len(token) > 40
    stored = (api_app.instance_path + "/" + TOKEN_FILE)
    text = open(stored).read()
    assert token not in text
    assert json.loads(text) == {"harvest-pusher": token_hash(token)}
    headers = {"Authorization": f"Bearer {token}"}
    assert _request(api, "PUT", "/api/records/by-cli-token", mods("by-cli-token"), headers).status_code == 201
    listed = runner.invoke(cli, ["tokens", "list"])
    assert "harvest-pusher" in listed.output and "pusher" in listed.output and token not in listed.output
    assert runner.invoke(cli, ["tokens", "create", "harvest-pusher"]).exit_code == 1
    assert runner.invoke(cli, ["tokens", "create", "pusher"]).exit_code == 1, "configured names are taken"
    assert runner.invoke(cli, ["tokens", "revoke", "harvest-pusher"]).exit_code == 0
    assert _request(api, "PUT", "/api/records/by-cli-token", mods("by-cli-token"), headers).status_code == 403
    assert _request(api, "PUT", "/api/records/by-cli-token", mods("by-cli-token"), AUTH).status_code == 200


def test_an_unreadable_token_file_refuses_its_tokens_and_keeps_configured_ones(api_app, api):
    runner = api_app.test_cli_runner()
    token = runner.invoke(cli, ["tokens", "create", "from-file"]).stdout.strip()
    with open(api_app.instance_path + "/" + TOKEN_FILE, "a") as out:
        out.write("{broken")
    response = _request(api, "PUT", "/api/records/x", mods("x"), {"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert _request(api, "PUT", "/api/records/x", mods("x"), AUTH).status_code == 201


@pytest.mark.parametrize("value", ['{"a": "not-a-hash"}', '["abc"]', '{"": "' + "0" * 64 + '"}'])
def test_api_tokens_setting_accepts_only_hashes(tmp_path, schema_dir, value):
    with pytest.raises(ConfigError, match="OAI_API_TOKENS"):
        make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}", schema_dir, API_TOKENS=value)


def test_a_harvested_deletion_posted_is_400_and_deletes_nothing(api, api_app):
    from tests.metadata.test_harvest_in import dc_record, response

    assert _request(api, "PUT", "/api/records/kept", mods("kept"), AUTH).status_code == 201
    body = response(dc_record("oai:test.example.org:kept", "", deleted=True))
    reply = _request(api, "POST", "/api/records", body, AUTH)
    assert reply.status_code == 400 and "send DELETE" in reply.json["messages"][0]
    assert not api_app.extensions["store"].header(_identifier("kept")).deleted
