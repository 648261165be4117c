"""XML downloads (issue 6): one record as its stored, validated bytes with HTTP caching validators, and the whole
repository as one gzip-compressed document, valid against its schema, streamed, and identical to the export
command's file. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import gzip
from pathlib import Path
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from metadata.formats import standard_formats
from metadata.validate import Validator

FORMATS = standard_formats()
from provider.app import SEED
from provider.cli import cli
from provider.views import export
from schemas.catalog import load_combined, load_schema

LOCAL_ID = "birn-muntaner-2018"
IDENTIFIER = f"oai:test.example.org:{LOCAL_ID}"
SEED_MODS = (SEED / f"{LOCAL_ID}.mods.xml").read_bytes()
MODS_NS = "http://www.loc.gov/mods/v3"
DC_ONLY = b"""<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A Dublin Core only record</dc:title>
  <dc:creator>Doe, Jane</dc:creator><dc:identifier>dc-only-1</dc:identifier></oai_dc:dc>"""


def put(app, data: bytes, local_id: str | None = None) -> None:
    records = app.extensions["pipeline"].prepare(data, "test", local_id)
    app.extensions["store"].put(records)


def download(client, prefix: str = "mods", local_id: str = LOCAL_ID, **kwargs):
    return client.get(f"/records/{local_id}.{prefix}.xml", **kwargs)


# --- one record -------------------------------------------------------------------------------------------

RICH_ID = "garcia-lopez-2021"
RICH_MODS = (Path(__file__).parents[1] / "metadata" / "records" / f"{RICH_ID}.mods.xml").read_bytes()


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_record_download_is_the_stored_bytes_with_a_declaration(seeded, client, prefix, schema_dir):
    put(seeded, RICH_MODS)  # it has a DOI, so every format
    response = download(client, prefix, RICH_ID)
    assert response.status_code == 200
    stored = seeded.extensions["store"].get(f"oai:test.example.org:{RICH_ID}", prefix)
    assert response.data == b'<?xml version="1.0" encoding="UTF-8"?>\n' + stored.metadata
    assert response.mimetype == FORMATS[prefix].media_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="{RICH_ID}.{prefix}.xml"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    Validator(schema_dir).check(FORMATS[prefix].validation, etree.fromstring(response.data), "download")


def test_a_format_the_record_does_not_have_is_404(seeded, client):
    assert download(client, "oai_datacite").status_code == 404  # the seed has no DOI


def test_mods_is_application_mods_xml_and_oai_dc_application_xml(seeded, client):
    assert download(client, "mods").mimetype == "application/mods+xml"
    assert download(client, "oai_dc").mimetype == "application/xml"


def test_validators_come_from_the_record(seeded, client):
    response = download(client)
    datestamp = seeded.extensions["store"].header(IDENTIFIER).datestamp
    assert response.headers["ETag"].startswith('"') and response.headers["ETag"].endswith('"')
    assert response.last_modified == datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert download(client, "oai_dc").headers["ETag"] != response.headers["ETag"], "the prefix is part of the tag"


def test_if_none_match_answers_304(seeded, client):
    etag = download(client).headers["ETag"]
    response = download(client, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert download(client, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_if_modified_since_answers_304_unless_the_record_is_newer(seeded, client):
    last_modified = download(client).headers["Last-Modified"]
    assert download(client, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(download(client).last_modified - timedelta(days=1), usegmt=True)
    assert download(client, headers={"If-Modified-Since": earlier}).status_code == 200


def test_etag_changes_when_the_record_changes(seeded, client):
    before = download(client).headers["ETag"]
    changed = SEED_MODS.replace(b"<topic>Cuba</topic>", b"<topic>Cuba (updated)</topic>")
    put(seeded, changed)  # within the same second, too: the tag covers the bytes, not only the datestamp
    assert download(client, headers={"If-None-Match": before}).status_code == 200


def test_head_sends_the_headers_without_a_body(seeded, client):
    get, head = download(client), client.head(f"/records/{LOCAL_ID}.mods.xml")
    assert head.status_code == 200
    assert head.data == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Content-Disposition", "Content-Length"):
        assert head.headers[name] == get.headers[name]


@pytest.mark.parametrize("path", [f"/records/{LOCAL_ID}.marc.xml", "/records/no-such-record.mods.xml",
                                  "/records/no-such-record.oai_dc.xml", "/download/marc.xml.gz"],
                         ids=["unknown prefix", "unknown record mods", "unknown record oai_dc", "unknown bulk"])
def test_unknown_is_404(seeded, client, path):
    assert client.get(path).status_code == 404


def test_a_dc_only_record_has_no_mods_download(seeded, client):
    put(seeded, DC_ONLY)
    assert download(client, "oai_dc", "dc-only-1").status_code == 200
    assert download(client, "mods", "dc-only-1").status_code == 404


def test_deleted_record_is_410_gone(seeded, client):
    had = seeded.extensions["store"].formats_of(IDENTIFIER)
    seeded.extensions["store"].delete(IDENTIFIER)
    for prefix in had:
        response = download(client, prefix)
        assert response.status_code == 410
        assert b"withdrawn" in response.data


# --- the whole repository -----------------------------------------------------------------------------------

def bulk(client, prefix: str) -> bytes:
    response = client.get(f"/download/{prefix}.xml.gz")
    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{prefix}.xml.gz"'
    assert response.is_streamed
    return gzip.decompress(response.data)


@pytest.fixture
def repository(seeded):
    """The seed, two copies of it under other local ids, a DC-only record and a tombstone."""
    for local in ("copy-1", "copy-2", "gone-1"):
        put(seeded, SEED_MODS, local)
    put(seeded, DC_ONLY)
    put(seeded, RICH_MODS)
    seeded.extensions["store"].delete("oai:test.example.org:gone-1")
    return seeded


def test_bulk_mods_is_a_valid_mods_collection_of_every_live_record(repository, client, schema_dir):
    document = etree.fromstring(bulk(client, "mods"))
    assert document.tag == f"{{{MODS_NS}}}modsCollection"
    schema = load_schema(schema_dir, "loc/mods/mods-3-8.xsd")
    assert schema.validate(document), schema.error_log
    ids = sorted(e.text for e in document.iterfind(f"{{{MODS_NS}}}mods/{{{MODS_NS}}}recordInfo/{{{MODS_NS}}}recordIdentifier"))
    assert len(ids) == 4, "the seed, its two copies and the rich record; not the tombstone, not the DC-only record"


def test_bulk_oai_dc_is_a_valid_static_repository(repository, client, schema_dir):
    data = bulk(client, "oai_dc")
    schema = load_combined(schema_dir, ["oai/static-repository.xsd", "oai/oai_dc.xsd"])
    document = etree.fromstring(data)
    assert schema.validate(document), schema.error_log
    ns = {"oai": "http://www.openarchives.org/OAI/2.0/", "sr": export.STATIC_NS}
    identifiers = document.xpath("sr:ListRecords[@metadataPrefix='oai_dc']/oai:record/oai:header/oai:identifier/text()",
                                 namespaces=ns)
    assert sorted(identifiers) == sorted(f"oai:test.example.org:{i}" for i in
                                         (LOCAL_ID, "copy-1", "copy-2", "dc-only-1", RICH_ID))
    assert document.xpath("sr:Identify/oai:granularity/text()", namespaces=ns) == ["YYYY-MM-DD"]


def test_bulk_head_does_not_build_the_document(repository, client, monkeypatch):
    monkeypatch.setattr(export, "iter_all", lambda *a, **k: pytest.fail("HEAD must not read the records"))
    response = client.head("/download/mods.xml.gz")
    assert response.status_code == 200 and response.data == b""


def test_bulk_streams_keyset_pages_without_reading_ahead(repository, monkeypatch):
    """Constant memory: the writer pulls one store page at a time and yields before it reads the next."""
    calls = []
    store = repository.extensions["store"]
    real = store.list_records

    def counting(query, after, limit, with_metadata):
        calls.append((after, limit))
        return real(query, after, limit, with_metadata)

    real_iter_all = export.iter_all
    monkeypatch.setattr(store, "list_records", counting)
    monkeypatch.setattr(export, "iter_all", lambda s, q: real_iter_all(s, q, page=1))
    monkeypatch.setattr(export, "FLUSH_BYTES", 1)
    chunks = export.document(repository.extensions["repository"], "mods")
    first = next(chunks)
    assert len(calls) == 1 and b"<mods " in first, "the first record is sent before the second page is read"
    rest = b"".join(chunks)
    assert rest.endswith(b"</modsCollection>")
    assert len(calls) == 6, "five one-record pages (the tombstone included) and the empty one that ends them"
    assert [limit for _, limit in calls] == [1] * 6


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_export_command_writes_what_the_route_sends(repository, client, tmp_path, prefix):
    runner = repository.test_cli_runner()
    plain, compressed = tmp_path / f"{prefix}.xml", tmp_path / f"{prefix}.xml.gz"
    result = runner.invoke(cli, ["export", "--format", prefix, str(plain)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["export", "--format", prefix, "--gzip", str(compressed)])
    assert result.exit_code == 0, result.output
    sent = bulk(client, prefix)
    assert plain.read_bytes() == sent
    assert gzip.decompress(compressed.read_bytes()) == sent


def test_export_refuses_an_unknown_format(repository, tmp_path):
    result = repository.test_cli_runner().invoke(cli, ["export", "--format", "marc", str(tmp_path / "x.xml")])
    assert result.exit_code == 1
    assert "no metadata format marc" in result.output
    assert not (tmp_path / "x.xml").exists()
