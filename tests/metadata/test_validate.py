"""Ingest refuses what is not a well-formed, safe, schema-valid MODS or oai_dc record, and stores nothing of it.

Each refusal goes through `metadata.ingest.ingest` on a repository that already holds the seed article, and
checks that the store is exactly as it was. Parsing must never read a local file or reach the network: the
file cases point at a FIFO that reports any open, the network cases at a loopback server that counts requests.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from metadata.files import xml_files
from metadata.ingest import ingest
from metadata.store import ListQuery
from provider.app import SEED
from tests.conftest import OAIClient, make_app

MODS_NS = "http://www.loc.gov/mods/v3"
NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def mods(local_id: str, title: str = "A title", body: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<mods xmlns="{MODS_NS}" version="3.8">\n'
            f"  <titleInfo><title>{title}</title></titleInfo>\n{body}"
            f"  <recordInfo><recordIdentifier>{local_id}</recordIdentifier></recordInfo>\n</mods>\n").encode()


def oai_dc(local_id: str, title: str = "A Dublin Core record") -> bytes:
    return ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"  <dc:title>{title}</dc:title>\n  <dc:creator>Doe, Jane</dc:creator>\n"
            "  <dc:type>Text</dc:type>\n  <dc:date>2019-05-01</dc:date>\n"
            f"  <dc:identifier>{local_id}</dc:identifier>\n</oai_dc:dc>\n").encode()


def with_doctype(subset: str, title: str = "x") -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE mods {subset}>\n<mods xmlns="{MODS_NS}">'
            f"<titleInfo><title>{title}</title></titleInfo></mods>\n").encode()


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return with_doctype(f"[{entities}]", "&lol9;")


def quadratic_blowup() -> bytes:
    return with_doctype(f'[<!ENTITY a "{"a" * 100_000}">]', "&a;" * 20_000)


# --- repository, snapshots and tripwires -------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path, schema_dir):
    """An app on SQLite holding the seed article."""
    app = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir)
    report = ingest(app.extensions["pipeline"], app.extensions["store"], sorted(SEED.glob("*.xml")))
    assert [r.status for r in report.results] == ["created"] and not report.refused
    yield app
    app.extensions["store"].close()


def snapshot(store) -> tuple:
    """Everything a harvester could see: live count, every header and metadata in each format, the sets."""
    listed = tuple(
        (s.header, s.metadata)
        for prefix in ("mods", "oai_dc")
        for s in store.list_records(ListQuery(prefix), None, 10_000, with_metadata=True))
    return store.record_count(), listed, tuple(store.sets())


def ingest_one(app, path: Path):
    return ingest(app.extensions["pipeline"], app.extensions["store"], [path])


@pytest.fixture
def tripwire_file(tmp_path):
    """A FIFO that records whether anything opened it; a parser that opens it reads an empty file."""
    path = tmp_path / "secret.fifo"
    os.mkfifo(path)
    opened, done = [], threading.Event()

    def watch():
        while not done.is_set():
            try:  # succeeds only while a reader has the FIFO open; closing it gives the reader end of file
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                opened.append(True)
            except OSError:
                time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    yield path, opened
    done.set()
    watcher.join()


@pytest.fixture
def tripwire_server(attacker):
    """A loopback HTTP server that counts the requests it gets."""
    return attacker.url, attacker.hits


def assert_refused_unchanged(app, path: Path, *fragments: str):
    """Ingest refuses path with a message naming it (and each fragment) and stores nothing."""
    before = snapshot(app.extensions["store"])
    report = ingest_one(app, path)
    assert report.results == []
    assert [r.source for r in report.refused] == [str(path)]
    message = str(report.refused[0])
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    assert snapshot(app.extensions["store"]) == before
    return report.refused[0]


# --- refusals of what is not XML, or not ours --------------------------------------------------------------

NOT_WELL_FORMED = [
    pytest.param(mods("m", body="  <titleInfo>\n").replace(b"</mods>", b"</mod>"), 6, "tag", id="malformed-xml"),
    pytest.param(b"", None, "empty", id="empty-file"),
    pytest.param(b" \n\t\n", None, "empty", id="whitespace-only-file"),
    pytest.param(mods("m", title="caf\u00e9 BAD").replace(b"BAD", b"\xff\xfe"), 3, "encoding", id="invalid-utf-8"),
    pytest.param(mods("m", title="bell \x07 here"), 3, "char", id="control-character-xml-1.0-forbids"),
    pytest.param(mods("m", title="bell &#7; here"), 3, "char", id="character-reference-xml-1.0-forbids"),
    pytest.param(b"<?xml version='1.0'?>\n<mods xmlns='http://www.loc.gov/mods/v3'>\n", 3, "end of data",
                 id="truncated"),
]


@pytest.mark.parametrize("data, line, what", NOT_WELL_FORMED)
def test_not_well_formed_xml_is_refused_naming_file_and_line(repo, tmp_path, data, line, what):
    path = tmp_path / "in.xml"
    path.write_bytes(data)
    refusal = assert_refused_unchanged(repo, path, what)
    assert refusal.line == line
    if line:
        assert str(refusal).startswith(f"{path}:{line}: ")


WRONG_ROOT = [
    pytest.param(mods("m").replace(MODS_NS.encode(), b"http://www.loc.gov/mods/v2"), id="mods-in-another-namespace"),
    pytest.param(mods("m").replace(f' xmlns="{MODS_NS}"'.encode(), b""), id="mods-in-no-namespace"),
    pytest.param(oai_dc("d").replace(b"http://www.openarchives.org/OAI/2.0/oai_dc/", b"urn:not-oai-dc"),
                 id="dc-in-another-namespace"),
    pytest.param(b'<metadata xmlns="http://www.openarchives.org/OAI/2.0/"><x/></metadata>', id="oai-metadata"),
]


@pytest.mark.parametrize("data", WRONG_ROOT)
def test_root_outside_mods_and_oai_dc_namespaces_is_refused(repo, tmp_path, data):
    path = tmp_path / "in.xml"
    path.write_bytes(data)
    assert_refused_unchanged(repo, path, "not an input this repository reads", "MODS", "oai_dc")


# --- refusals of schema-invalid records --------------------------------------------------------------------

SCHEMA_INVALID = [
    pytest.param(mods("m", body="  <colour>red</colour>\n"), "mods-3-8.xsd", 4, "colour", id="mods-unknown-element"),
    pytest.param(mods("m", body='  <originInfo><dateIssued keyDate="perhaps">2020</dateIssued></originInfo>\n'),
                 "mods-3-8.xsd", 4, "perhaps", id="mods-value-outside-enumeration"),
    pytest.param(mods("m", body='  <name type="alien"><namePart>X</namePart></name>\n'), "mods-3-8.xsd", 4,
                 "alien", id="mods-bad-attribute-value"),
    pytest.param(oai_dc("d").replace(b"<dc:type>", b"<dc:colour>red</dc:colour>\n  <dc:type>"), "oai_dc.xsd", 4,
                 "colour", id="oai-dc-unknown-element"),
]


@pytest.mark.parametrize("data, schema, line, what", SCHEMA_INVALID)
def test_schema_invalid_record_is_refused_naming_file_line_and_fault(repo, tmp_path, data, schema, line, what):
    path = tmp_path / "in.xml"
    path.write_bytes(data)
    refusal = assert_refused_unchanged(repo, path, schema, f"line {line}", what)
    assert refusal.line == line


def test_invalid_record_in_mods_collection_is_refused_alone(repo, tmp_path):
    """Each record of a collection is accounted for on its own: the invalid one is refused, naming its
    position, and nothing of it is stored; the valid one is stored."""
    collection = (f'<modsCollection xmlns="{MODS_NS}">'
                  + mods("c1").decode().split("\n", 1)[1].replace(f' xmlns="{MODS_NS}"', "")
                  + mods("c2", body="<colour/>").decode().split("\n", 1)[1].replace(f' xmlns="{MODS_NS}"', "")
                  + "</modsCollection>")
    path = tmp_path / "collection.xml"
    path.write_text(collection)
    report = ingest_one(repo, path)
    assert [r.identifier for r in report.results] == ["oai:test.example.org:c1"]
    assert [r.source for r in report.refused] == [f"{path} (record 2)"] and "colour" in report.refused[0].message
    assert repo.extensions["store"].header("oai:test.example.org:c2") is None


# --- refusals of entities and DTDs: nothing is read, fetched or expanded -----------------------------------

def test_xxe_file_entity_is_refused_without_reading_the_file(repo, tmp_path, tripwire_file):
    fifo, opened = tripwire_file
    path = tmp_path / "xxe.xml"
    path.write_bytes(with_doctype(f'[<!ENTITY x SYSTEM "{fifo.as_uri()}">]', "&x;"))
    assert_refused_unchanged(repo, path, "DOCTYPE")
    assert not opened, "the parser opened the entity's file"


def test_xxe_etc_passwd_is_refused_and_never_disclosed(repo, tmp_path):
    path = tmp_path / "xxe.xml"
    path.write_bytes(with_doctype('[<!ENTITY x SYSTEM "file:///etc/passwd">]', "&x;"))
    refusal = assert_refused_unchanged(repo, path, "DOCTYPE")
    assert "root:" not in str(refusal)


@pytest.mark.parametrize("subset", [
    pytest.param('SYSTEM "{uri}"', id="external-dtd"),
    pytest.param('[<!ENTITY % p SYSTEM "{uri}"> %p;]', id="parameter-entity"),
])
def test_external_dtd_on_disk_is_refused_without_reading_it(repo, tmp_path, tripwire_file, subset):
    fifo, opened = tripwire_file
    path = tmp_path / "dtd.xml"
    path.write_bytes(with_doctype(subset.format(uri=fifo.as_uri())))
    assert_refused_unchanged(repo, path)
    assert not opened, "the parser opened the external DTD"


@pytest.mark.parametrize("subset, title", [
    pytest.param('[<!ENTITY x SYSTEM "{base}/entity">]', "&x;", id="network-entity"),
    pytest.param('SYSTEM "{base}/external.dtd"', "x", id="network-external-dtd"),
    pytest.param('[<!ENTITY % p SYSTEM "{base}/parameter.dtd"> %p;]', "x", id="network-parameter-entity"),
])
def test_network_entity_or_dtd_is_refused_without_fetching(repo, tmp_path, tripwire_server, subset, title):
    base, requests = tripwire_server
    path = tmp_path / "net.xml"
    path.write_bytes(with_doctype(subset.format(base=base), title))
    refusal = assert_refused_unchanged(repo, path)
    assert requests == []
    assert "fetched" not in str(refusal)


@pytest.mark.parametrize("data", [
    pytest.param(billion_laughs(), id="billion-laughs"),
    pytest.param(quadratic_blowup(), id="quadratic-blowup"),
    pytest.param(with_doctype('[<!ENTITY small "harmless">]', "&small;"), id="internal-entity"),
])
def test_entity_expansion_is_refused_not_expanded(repo, tmp_path, data):
    path = tmp_path / "bomb.xml"
    path.write_bytes(data)
    started = time.monotonic()
    refusal = assert_refused_unchanged(repo, path)
    assert time.monotonic() - started < 5
    assert "entity" in str(refusal).lower() or "doctype" in str(refusal).lower()
    assert "lollol" not in str(refusal) and "harmless" not in str(refusal)


# --- what is accepted --------------------------------------------------------------------------------------

def test_folder_of_mixed_files_stores_valid_ones_and_reports_every_bad_one(repo, tmp_path):
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    good = {folder / "a-good.xml": mods("good-a"), folder / "sub" / "c-good.xml": mods("good-c"),
            folder / "d-dc.xml": oai_dc("good-dc")}
    bad = {folder / "b-malformed.xml": b"<mods", folder / "e-empty.xml": b"",
           folder / "sub" / "f-invalid.xml": mods("bad-f", body="<colour/>"),
           folder / "sub" / "g-xxe.xml": with_doctype('[<!ENTITY x SYSTEM "file:///etc/passwd">]', "&x;"),
           folder / "h-wrong-root.xml": b"<html/>"}
    for path, data in {**good, **bad}.items():
        path.write_bytes(data)
    (folder / "notes.txt").write_text("not a record, not an .xml file")
    store = repo.extensions["store"]
    before = store.record_count()

    report = ingest(repo.extensions["pipeline"], store, xml_files([folder]))

    assert sorted(r.identifier for r in report.results) == [
        "oai:test.example.org:good-a", "oai:test.example.org:good-c", "oai:test.example.org:good-dc"]
    assert {r.status for r in report.results} == {"created"}
    assert sorted(r.source for r in report.refused) == sorted(str(p) for p in bad)
    assert store.record_count() == before + 3
    assert store.header("oai:test.example.org:bad-f") is None


def test_dc_only_record_is_accepted_and_disseminated_only_as_oai_dc(repo, tmp_path, response_schema):
    path = tmp_path / "dc.xml"
    path.write_bytes(oai_dc("dc-only-1"))
    report = ingest_one(repo, path)
    assert not report.refused
    identifier = "oai:test.example.org:dc-only-1"
    assert [(r.identifier, r.status) for r in report.results] == [(identifier, "created")]
    assert repo.extensions["store"].formats_of(identifier) == ["oai_dc"]

    client = OAIClient(repo.test_client(), response_schema)
    formats = client.oai(verb="ListMetadataFormats", identifier=identifier)
    assert formats.xpath("//oai:metadataPrefix/text()", namespaces=NS) == ["oai_dc"]
    record = client.oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert record.xpath("//oai:metadata//*[local-name()='title']/text()", namespaces=NS) == ["A Dublin Core record"]
    refused = client.oai(verb="GetRecord", identifier=identifier, metadataPrefix="mods")
    assert refused.xpath("oai:error/@code", namespaces=NS) == ["cannotDisseminateFormat"]
    listed = repo.extensions["store"].list_records(ListQuery("mods"), None, 100, with_metadata=False)
    assert [s.header.identifier for s in listed] == ["oai:test.example.org:birn-muntaner-2018"]


def test_mods_collection_yields_one_record_per_mods(repo, tmp_path):
    inner = "".join(mods(f"coll-{n}", f"Title {n}").decode().split("\n", 1)[1].replace(f' xmlns="{MODS_NS}"', "")
                    for n in (1, 2, 3))
    path = tmp_path / "collection.xml"
    path.write_text(f'<?xml version="1.0"?>\n<modsCollection xmlns="{MODS_NS}">{inner}</modsCollection>')
    store = repo.extensions["store"]
    before = store.record_count()

    report = ingest_one(repo, path)

    assert not report.refused
    identifiers = [f"oai:test.example.org:coll-{n}" for n in (1, 2, 3)]
    assert [r.identifier for r in report.results] == identifiers
    assert store.record_count() == before + 3
    for n, identifier in enumerate(identifiers, 1):
        assert store.formats_of(identifier) == ["marcxml", "mods", "oai_dc", "oai_openaire"]
        assert f"Title {n}".encode() in store.get(identifier, "oai_dc").metadata
