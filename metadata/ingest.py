"""The write path: bytes in, validated records of every format out, stored one transaction per batch.

All the expensive work (parsing, crosswalks, schema validation, serialization) happens here once, so the
read side only copies bytes.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import sys
from collections import deque
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Sequence, Union

from lxml import etree

from metadata.formats import FORMATS, MASTER, MetadataFormat, format_of
from metadata.namespaces import DC_NS, MODS_NS, OAI_NS
from metadata.provenance import SCHEMA_PATH as PROVENANCE_SCHEMA
from metadata.provenance import provenance
from metadata.record import Record
from metadata.sets import ConfiguredSet, facets_of_dc, facets_of_mods, memberships
from metadata.store.base import PutResult, Store
from metadata.validate import InvalidRecord, Validator, parse

LOCAL_ID = re.compile(r"[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+\Z")  # oai-identifier.xsd, local part
MODS_COLLECTION = f"{{{MODS_NS}}}modsCollection"
OAI_PMH = f"{{{OAI_NS}}}OAI-PMH"
BATCH_SIZE = 500
BATCH_BYTES = 8 * 1024 * 1024  # input bytes prepared at once by ingest(): their trees take several times more


def serialize(element: etree._Element) -> bytes:
    """Canonical stored form: UTF-8, no XML declaration, unused namespace declarations removed."""
    etree.cleanup_namespaces(element)
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False)


DC_TITLE, DC_CREATOR, DC_DATE = f"{{{DC_NS}}}title", f"{{{DC_NS}}}creator", f"{{{DC_NS}}}date"


def _summary(dc: etree._Element) -> dict:
    """Title, creators and date for the pages, in one pass over the oai_dc values."""
    found: dict[str, list[str]] = {DC_TITLE: [], DC_CREATOR: [], DC_DATE: []}
    for element in dc:
        texts = found.get(element.tag)
        if texts is not None and element.text and not element.text.isspace():
            texts.append(" ".join(element.text.split()))
    titles, dates = found[DC_TITLE], found[DC_DATE]
    return {"title": titles[0] if titles else "", "creators": found[DC_CREATOR], "date": dates[0] if dates else ""}


class Document(NamedTuple):
    """Bytes to ingest, where they came from (for messages and as the fallback local id), and the local id
    the caller gives them, if any."""

    data: bytes
    source: str
    local_id: Optional[str] = None


@dataclass
class _Draft:
    """One MODS record on its way through the stages of Pipeline.prepare_all."""

    mods: etree._Element
    source: str
    local_id: Optional[str]
    about: bytes = b""
    named: bool = False
    position: Optional[int] = None  # in its modsCollection
    checked: bool = False  # validated already, as part of its modsCollection
    elements: dict = field(default_factory=dict)
    record: Optional[Record] = None
    error: Optional[InvalidRecord] = None


class Pipeline:
    """Turns documents into Records: parse safely, take MODS as master, crosswalk, validate all.

    A batch of documents goes through each stage together (parse all, validate all, crosswalk all, ...):
    each stage's code and schema stay in the CPU's caches, which makes a record about a fifth cheaper than
    taking each document through every stage in turn (bench/measure.py, the ingest figures)."""

    def __init__(self, validator: Validator, repository_identifier: str,
                 configured_sets: tuple[ConfiguredSet, ...] = ()):
        self.validator = validator
        self.repository_identifier = repository_identifier
        self.configured_sets = configured_sets
        self._stages = (self._check_master, *(self._deriver(fmt) for fmt in FORMATS.values()
                                              if fmt.from_mods is not None), self._complete)

    def identifier(self, local_id: str) -> str:
        return f"oai:{self.repository_identifier}:{local_id}"

    def prepare(self, data: bytes, source: str, local_id: Optional[str] = None,
                named: bool = False) -> list[Record]:
        """Every record in the document (one, each mods of a modsCollection, or each record of an OAI-PMH
        GetRecord or ListRecords response), or InvalidRecord. A record that names no local id of its own
        takes the source's file name, unless `named` asks every record to name one."""
        outcome = self.prepare_all([Document(data, source, local_id)], named=named)[0]
        if isinstance(outcome, InvalidRecord):
            raise outcome
        return outcome

    def prepare_all(self, documents: Sequence[Document],
                    named: bool = False) -> list[Union[list[Record], InvalidRecord]]:
        """For each document, in order, what prepare() returns or the InvalidRecord it raises."""
        parts: list[list] = []  # per document: Records, _Drafts, and at most one InvalidRecord, last
        for document in documents:
            found: list = []
            try:
                root = parse(document.data, document.source)
                if root.tag == OAI_PMH:
                    self._harvested(root, document.source, found)
                else:
                    self._document(root, document.source, document.local_id, found, named=named)
            except InvalidRecord as exc:
                found.append(exc)
            parts.append(found)
        drafts = [part for found in parts if not (found and isinstance(found[-1], InvalidRecord))
                  for part in found if isinstance(part, _Draft)]
        for stage in self._stages:
            for draft in drafts:
                if draft.error is None:
                    try:
                        stage(draft)
                    except InvalidRecord as exc:
                        draft.error = exc
        return [_outcome(found) for found in parts]

    def _document(self, root: etree._Element, source: str, local_id: Optional[str], found: list,
                  about: bytes = b"", named: bool = False) -> None:
        if root.tag == MODS_COLLECTION:
            self.validator.check(MASTER.schema_path, root, source)
            found += (_Draft(mods, source, None, named=named, position=position, checked=True)
                      for position, mods in enumerate(root.iterfind(MASTER.root_tag), 1))
            return
        fmt = format_of(root)
        if fmt is None:
            raise InvalidRecord(source, f"root element {root.tag} is neither MODS ({MODS_NS}) nor oai_dc", root.sourceline)
        if fmt is MASTER:
            found.append(_Draft(root, source, local_id, about=about, named=named))
            return
        self.validator.check(fmt.schema_path, root, source)
        local = local_id or _own_id(_first(root, f"{{{DC_NS}}}identifier", source, LOCAL_ID), source, root, named)
        found.append(self._record(local, {fmt.prefix: root}, facets_of_dc(root), _summary(root), source, about))

    def _harvested(self, response: etree._Element, source: str, found: list) -> None:
        """Harvest-in: each live record of another repository's response, under its own local id, with a
        provenance container naming where it came from; deleted ones are skipped."""
        base_url = response.findtext(f"{{{OAI_NS}}}request", "").strip()
        harvest_date = response.findtext(f"{{{OAI_NS}}}responseDate", "").strip()
        for record in response.iterfind(f"{{{OAI_NS}}}*/{{{OAI_NS}}}record"):
            header = record.find(f"{{{OAI_NS}}}header")
            metadata = record.find(f"{{{OAI_NS}}}metadata")
            if header is None or header.get("status") == "deleted":
                continue
            if metadata is None or len(metadata) != 1:
                raise InvalidRecord(source, "a harvested record has no metadata", record.sourceline)
            identifier = header.findtext(f"{{{OAI_NS}}}identifier", "").strip()
            content = deepcopy(metadata[0])
            about = provenance(base_url, identifier, header.findtext(f"{{{OAI_NS}}}datestamp", "").strip(),
                               etree.QName(content).namespace or "", harvest_date)
            self.validator.check(PROVENANCE_SCHEMA, about, f"{source} (provenance of {identifier})")
            local = identifier.split(":", 2)[2] if identifier.count(":") >= 2 else None
            self._document(content, source, local, found, serialize(about))

    # --- the stages of a MODS record -------------------------------------------------------------------

    def _check_master(self, draft: _Draft) -> None:
        mods, source = draft.mods, draft.source
        if not draft.checked:
            self.validator.check(MASTER.schema_path, mods, source)
        mods.set("version", mods.get("version", "3.8"))
        draft.local_id = draft.local_id or _own_id(
            mods.findtext(f"{{{MODS_NS}}}recordInfo/{{{MODS_NS}}}recordIdentifier"), source, mods, draft.named,
            draft.position)
        draft.elements[MASTER.prefix] = mods

    def _deriver(self, fmt: MetadataFormat) -> Callable[[_Draft], None]:
        def derive(draft: _Draft) -> None:
            derived = fmt.from_mods(draft.mods)
            self.validator.check(fmt.schema_path, derived, f"{draft.source} (crosswalk to {fmt.prefix})")
            draft.elements[fmt.prefix] = derived
        return derive

    def _complete(self, draft: _Draft) -> None:
        draft.record = self._record(draft.local_id, draft.elements, facets_of_mods(draft.mods),
                                    _summary(draft.elements["oai_dc"]), draft.source, draft.about)

    def _record(self, local_id: str, elements: dict, facets: dict, summary: dict, source: str,
                about: bytes = b"") -> Record:
        if not LOCAL_ID.match(local_id):
            raise InvalidRecord(source, f"local identifier {local_id!r} is not valid in an oai-identifier")
        identifier = self.identifier(local_id)
        sets = memberships(facets, identifier, self.configured_sets)
        return Record(identifier, {p: serialize(e) for p, e in elements.items()}, set_specs=tuple(sorted(sets)),
                      set_names=sets, summary=summary, about=about, source=source)


def _outcome(found: list) -> Union[list[Record], InvalidRecord]:
    """A document's records, or the error of its first part that failed (the one a record-by-record run
    would have stopped at)."""
    records = []
    for part in found:
        if isinstance(part, InvalidRecord):
            return part
        if isinstance(part, _Draft):
            if part.error is not None:
                return part.error
            part = part.record
        records.append(part)
    return records


def _own_id(found: Optional[str], source: str, element: etree._Element, named: bool,
            position: Optional[int] = None) -> str:
    """The local id a record names, whitespace-normalised; else the source's file name, or, when records
    must name their own, InvalidRecord."""
    if found and found.strip():
        return " ".join(found.split())
    if named:
        which = f"record {position} of the batch" if position else "the record"
        raise InvalidRecord(source, f"{which} has no local id in recordInfo/recordIdentifier", element.sourceline)
    return Path(source).stem


def _first(root: etree._Element, tag: str, source: str, pattern: re.Pattern) -> Optional[str]:
    for element in root.iterfind(tag):
        if element.text and pattern.match(element.text.strip()):
            return element.text.strip()
    return None


@dataclass
class IngestReport:
    results: list[PutResult] = field(default_factory=list)
    refused: list[InvalidRecord] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def xml_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and *.xml files under folders named, in a stable order."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            yield path


def ingest(pipeline: Pipeline, store: Store, files: Iterable[Path], batch_size: int = BATCH_SIZE,
           progress: Callable[[int], None] = lambda n: None, workers: int = 1) -> IngestReport:
    """Validate every file, store the valid ones one transaction per batch, report every refusal.

    A refused file never stops the run: the rest of its batch is stored and the refusal is reported. Files
    are prepared a batch at a time (Pipeline.prepare_all), at most batch_size of them and BATCH_BYTES of
    input, so memory stays flat however many files there are. With workers > 1, that many processes prepare
    batches while this one writes them, in the same order and with the same results."""
    report, batch = IngestReport(), []
    chunks = _read_in_chunks(files, batch_size)
    prepared = _prepared_in_parallel(pipeline, chunks, workers) if workers > 1 else (
        (chunk, pipeline.prepare_all([item for item in chunk if isinstance(item, Document)])) for chunk in chunks)
    for chunk, outcomes in prepared:
        outcomes = iter(outcomes)
        for item in chunk:
            outcome = next(outcomes) if isinstance(item, Document) else item
            if isinstance(outcome, InvalidRecord):
                report.refused.append(outcome)
            else:
                batch.extend(outcome)
            progress(1)
            if len(batch) >= batch_size:
                report.results += store.put(batch)
                batch = []
    if batch:
        report.results += store.put(batch)
    return report


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_worker_pipeline: Optional[Pipeline] = None


def _start_worker(pipeline: Pipeline) -> None:
    global _worker_pipeline
    _worker_pipeline = pipeline


def _prepare_in_worker(documents: list[Document]) -> list[Union[list[Record], InvalidRecord]]:
    return _worker_pipeline.prepare_all(documents)


def _prepared_in_parallel(pipeline: Pipeline, chunks: Iterator[list], workers: int) -> Iterator[tuple[list, list]]:
    """Each chunk with its outcomes, in order, prepared by a pool of processes; at most two chunks per
    worker are read ahead, so memory stays flat here too."""
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(workers, _start_worker, (pipeline,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            documents = [item for item in chunk if isinstance(item, Document)]
            pending.append((chunk, pool.apply_async(_prepare_in_worker, (documents,))))
            if len(pending) > 2 * workers:
                chunk, result = pending.popleft()
                yield chunk, result.get()
        while pending:
            chunk, result = pending.popleft()
            yield chunk, result.get()


def _read_in_chunks(files: Iterable[Path], count: int) -> Iterator[list[Union[Document, InvalidRecord]]]:
    """Each file's bytes as a Document (or, if it cannot be read, an InvalidRecord), in lists of at most
    count files and, unless one file alone is larger, BATCH_BYTES."""
    chunk: list[Union[Document, InvalidRecord]] = []
    size = 0
    for path in files:
        try:
            with open(path, "rb", buffering=0) as file:
                data = file.readall()
        except OSError as exc:
            chunk.append(InvalidRecord(os.fspath(path), f"cannot read: {exc.strerror}"))
            continue
        if chunk and size + len(data) > BATCH_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(Document(data, os.fspath(path)))
        size += len(data)
        if len(chunk) >= count:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
