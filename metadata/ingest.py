"""The write path: bytes in, validated records of every format out, stored one transaction per batch.

All the expensive work (parsing, crosswalks, schema validation, serialization) happens here once, so the
read side only copies bytes.
"""
from __future__ import annotations

import os
import re
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from lxml import etree

from metadata.formats import FORMATS, MASTER, format_of
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


class Pipeline:
    """Turns one document into Records: parse safely, take MODS as master, crosswalk, validate all."""

    def __init__(self, validator: Validator, repository_identifier: str,
                 configured_sets: tuple[ConfiguredSet, ...] = ()):
        self.validator = validator
        self.repository_identifier = repository_identifier
        self.configured_sets = configured_sets

    def identifier(self, local_id: str) -> str:
        return f"oai:{self.repository_identifier}:{local_id}"

    def prepare(self, data: bytes, source: str, local_id: Optional[str] = None,
                named: bool = False) -> list[Record]:
        """Every record in the document (one, each mods of a modsCollection, or each record of an OAI-PMH
        GetRecord or ListRecords response), or InvalidRecord. A record that names no local id of its own
        takes the source's file name, unless `named` asks every record to name one."""
        root = parse(data, source)
        if root.tag == OAI_PMH:
            return self._harvested(root, source)
        return self._document(root, source, local_id, named=named)

    def _document(self, root: etree._Element, source: str, local_id: Optional[str],
                  about: bytes = b"", named: bool = False) -> list[Record]:
        if root.tag == MODS_COLLECTION:
            self.validator.check(MASTER.schema_path, root, source)
            return [self._from_mods(mods, source, None, checked=True, named=named, position=position)
                    for position, mods in enumerate(root.iterfind(MASTER.root_tag), 1)]
        fmt = format_of(root)
        if fmt is None:
            raise InvalidRecord(source, f"root element {root.tag} is neither MODS ({MODS_NS}) nor oai_dc", root.sourceline)
        if fmt is MASTER:
            return [self._from_mods(root, source, local_id, about=about, named=named)]
        self.validator.check(fmt.schema_path, root, source)
        local = local_id or _own_id(_first(root, f"{{{DC_NS}}}identifier", source, LOCAL_ID), source, root, named)
        return [self._record(local, {fmt.prefix: root}, facets_of_dc(root), _summary(root), source, about)]

    def _harvested(self, response: etree._Element, source: str) -> list[Record]:
        """Harvest-in: each live record of another repository's response, under its own local id, with a
        provenance container naming where it came from; deleted ones are skipped."""
        base_url = response.findtext(f"{{{OAI_NS}}}request", "").strip()
        harvest_date = response.findtext(f"{{{OAI_NS}}}responseDate", "").strip()
        records = []
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
            records += self._document(content, source, local, serialize(about))
        return records

    def _from_mods(self, mods: etree._Element, source: str, local_id: Optional[str],
                   checked: bool = False, about: bytes = b"", named: bool = False,
                   position: Optional[int] = None) -> Record:
        if not checked:
            self.validator.check(MASTER.schema_path, mods, source)
        mods.set("version", mods.get("version", "3.8"))
        local = local_id or _own_id(mods.findtext(f"{{{MODS_NS}}}recordInfo/{{{MODS_NS}}}recordIdentifier"),
                                    source, mods, named, position)
        elements = {MASTER.prefix: mods}
        for fmt in FORMATS.values():
            if fmt.from_mods is not None:
                derived = fmt.from_mods(mods)
                self.validator.check(fmt.schema_path, derived, f"{source} (crosswalk to {fmt.prefix})")
                elements[fmt.prefix] = derived
        return self._record(local, elements, facets_of_mods(mods), _summary(elements["oai_dc"]), source, about)

    def _record(self, local_id: str, elements: dict, facets: dict, summary: dict, source: str,
                about: bytes = b"") -> Record:
        if not LOCAL_ID.match(local_id):
            raise InvalidRecord(source, f"local identifier {local_id!r} is not valid in an oai-identifier")
        identifier = self.identifier(local_id)
        sets = memberships(facets, identifier, self.configured_sets)
        return Record(identifier, {p: serialize(e) for p, e in elements.items()}, set_specs=tuple(sorted(sets)),
                      set_names=sets, summary=summary, about=about, source=source)


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
           progress: Callable[[int], None] = lambda n: None) -> IngestReport:
    """Validate every file, store the valid ones one transaction per batch, report every refusal.

    A refused file never stops the run: the rest of its batch is stored and the refusal is reported."""
    report, batch = IngestReport(), []
    for path in files:
        try:
            with open(path, "rb", buffering=0) as file:
                data = file.readall()
            batch.extend(pipeline.prepare(data, os.fspath(path)))
        except InvalidRecord as exc:
            report.refused.append(exc)
        except OSError as exc:
            report.refused.append(InvalidRecord(str(path), f"cannot read: {exc.strerror}"))
        progress(1)
        if len(batch) >= batch_size:
            report.results += store.put(batch)
            batch = []
    if batch:
        report.results += store.put(batch)
    return report
