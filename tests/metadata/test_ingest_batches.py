"""Ingest prepares documents a batch at a time, stage by stage, and optionally in worker processes.

Neither may change what is stored or refused: a batch gives, document by document, what preparing each
document alone gives (its records and the refusal of each record that fails), and an ingest with worker
processes stores and reports exactly what an ingest in one process does.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from metadata import files as files_module
from metadata.files import read_in_chunks, xml_files
from metadata.ingest import ingest
from metadata.pipeline import Document
from metadata.store import ListQuery, open_store
from metadata.validate import InvalidRecord
from provider.app import SEED
from tests.conftest import make_app
from tests.metadata.test_validate import mods, oai_dc

MODS_NS = "http://www.loc.gov/mods/v3"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"


def collection(*members: bytes) -> bytes:
    """A modsCollection of the given mods documents (their XML declarations dropped)."""
    inner = b"".join(m.split(b"?>", 1)[1] for m in members)
    return f'<modsCollection xmlns="{MODS_NS}">'.encode() + inner + b"</modsCollection>"


def harvested(*metadata: bytes, start: int = 0) -> bytes:
    """A ListRecords response from another repository holding one record per metadata document."""
    records = "".join(
        f"<record><header><identifier>oai:elsewhere.org:h-{i}</identifier><datestamp>2020-01-01</datestamp>"
        f"</header><metadata>{m.decode().split('?>', 1)[-1]}</metadata></record>"
        for i, m in enumerate(metadata, start))
    return (f'<OAI-PMH xmlns="{OAI_NS}"><responseDate>2024-01-01T00:00:00Z</responseDate>'
            f'<request verb="ListRecords">https://elsewhere.org/oai</request>'
            f"<ListRecords>{records}</ListRecords></OAI-PMH>").encode()


BAD_TITLE = b"<titleInfo><title>x</title><unknown/></titleInfo>"  # not valid MODS

DOCUMENTS = [
    ("valid.xml", mods("valid-1")),
    ("malformed.xml", b"<mods xmlns='http://www.loc.gov/mods/v3'><titleInfo>"),
    ("invalid.xml", mods("invalid-1", body="  <unknownElement/>\n")),
    ("dc.xml", oai_dc("dc-1")),
    ("collection.xml", collection(mods("c-1"), mods("c-2"), mods("c-3"))),
    ("bad-local-id.xml", mods("has space")),
    ("collection-bad-id.xml", collection(mods("c-4"), mods("bad id"), mods("worse id"))),
    ("harvest.xml", harvested(mods("h-a"), oai_dc("h-b"))),
    ("harvest-bad.xml", harvested(mods("h-c"), mods("h-d", body="  <unknownElement/>\n"), oai_dc("h-e"), start=2)),
    ("empty.xml", b"   \n"),
    ("valid-2.xml", mods("valid-2")),
]


@pytest.fixture
def pipeline(tmp_path, schema_dir):
    app = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir)
    yield app.extensions["pipeline"]
    app.extensions["store"].close()


def comparable(outcome):
    return ([(r.identifier, r.formats, r.set_specs, r.summary, r.stable_about) for r in outcome.records],
            [str(r) for r in outcome.refused])


def test_a_batch_gives_what_each_document_alone_gives(pipeline):
    documents = [Document(data, source) for source, data in DOCUMENTS]
    batch = pipeline.prepare_all(documents)
    assert [comparable(o) for o in batch] == [comparable(pipeline.prepare_all([d])[0]) for d in documents]
    refused = [(source, len(outcome.refused)) for (source, _), outcome in zip(DOCUMENTS, batch) if outcome.refused]
    assert refused == [("malformed.xml", 1), ("invalid.xml", 1), ("bad-local-id.xml", 1),
                       ("collection-bad-id.xml", 2), ("harvest-bad.xml", 1), ("empty.xml", 1)]
    assert [len(o.records) for o in batch] == [1, 0, 0, 1, 3, 0, 1, 2, 2, 0, 1]
    assert [o.read for o in batch] == [1, 1, 1, 1, 3, 1, 3, 2, 3, 1, 1]


def test_each_record_of_a_collection_is_taken_or_refused_on_its_own(pipeline):
    """Records 2 and 3 of the collection both fail: each is refused, naming its position; record 1 is taken.
    prepare() (the write API's all-or-nothing path) raises the first refusal."""
    data = collection(mods("c-4"), mods("bad id"), mods("worse id"))
    outcome = pipeline.prepare_all([Document(data, "c.xml")])[0]
    assert [r.identifier for r in outcome.records] == ["oai:test.example.org:c-4"]
    assert [(r.source, "'bad id'" in r.message) for r in outcome.refused] == [
        ("c.xml (record 2)", True), ("c.xml (record 3)", False)]
    with pytest.raises(InvalidRecord, match="'bad id'"):
        pipeline.prepare(data, "c.xml")


def test_a_schema_invalid_collection_member_is_refused_alone(pipeline):
    data = collection(mods("c-5"), mods("c-6", body="  <unknownElement/>\n"), mods("c-7"))
    outcome = pipeline.prepare_all([Document(data, "c.xml")])[0]
    assert [r.identifier.rsplit(":", 1)[1] for r in outcome.records] == ["c-5", "c-7"]
    assert len(outcome.refused) == 1 and outcome.refused[0].source == "c.xml (record 2)"
    assert "unknownElement" in outcome.refused[0].message


def test_refusals_survive_pickling_whole():
    refusal = InvalidRecord("a.xml", "not valid", 7)
    copy = pickle.loads(pickle.dumps(refusal))
    assert (copy.source, copy.message, copy.line, str(copy)) == ("a.xml", "not valid", 7, "a.xml:7: not valid")


def test_batches_hold_at_most_their_count_and_bytes(tmp_path, monkeypatch):
    for i in range(10):
        (tmp_path / f"{i}.xml").write_bytes(b"x" * 100)
    (tmp_path / "5b.xml").write_bytes(b"x" * 1000)  # sorts after 5.xml
    monkeypatch.setattr(files_module, "BATCH_BYTES", 450)
    chunks = list(read_in_chunks(sorted(xml_files([tmp_path])), 4))
    sizes = [[len(item.data) for item in chunk] for chunk in chunks]
    assert sizes == [[100] * 4, [100, 100], [1000], [100] * 4]


def test_an_unreadable_file_is_refused_in_its_place(tmp_path, pipeline):
    (tmp_path / "a.xml").write_bytes(mods("a"))
    (tmp_path / "b.xml").mkdir()  # open() fails on a folder
    (tmp_path / "c.xml").write_bytes(mods("c"))
    store = open_store(f"sqlite:///{tmp_path / 'unreadable.sqlite3'}")
    store.create_schema()
    report = ingest(pipeline, store, [tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"])
    assert [r.source for r in report.refused] == [str(tmp_path / "b.xml")]
    assert "cannot read" in report.refused[0].message and report.count("created") == 2
    store.close()


def stored(store) -> list:
    """Each format of each record, by identifier (datestamps, and so listing order, depend on the clock)."""
    return sorted((s.header.identifier, prefix, s.header.set_specs, s.metadata)
                  for prefix in ("mods", "oai_dc") for s in store.list_records(ListQuery(prefix), None, 10_000, True))


def test_worker_processes_store_and_refuse_what_one_process_does(tmp_path, schema_dir):
    folder = tmp_path / "files"
    folder.mkdir()
    for source, data in DOCUMENTS * 3:  # repeats: created, then unchanged
        (folder / source).write_bytes(data)
    for i in range(40):
        (folder / f"more-{i:02d}.xml").write_bytes(mods(f"more-{i}", f"Record {i}"))
    files = list(xml_files([folder, SEED])) * 2
    reports = {}
    for workers in (1, 2):
        app = make_app(tmp_path / f"instance-{workers}", f"sqlite:///{tmp_path / f'{workers}.sqlite3'}", schema_dir)
        store = app.extensions["store"]
        report = ingest(app.extensions["pipeline"], store, files, batch_size=7, workers=workers)
        reports[workers] = ([(r.identifier, r.status) for r in report.results], [str(r) for r in report.refused],
                            report.duplicates, report.read, stored(store))
        store.close()
    assert reports[2] == reports[1]
    results, refused, duplicates, read, _ = reports[1]
    assert len(refused) == 2 * 7 and {status for _, status in results} == {"created"}
    assert len(duplicates) == len(results)  # every file is read twice: each record once more
    assert read == len(results) + len(duplicates) + len(refused)
