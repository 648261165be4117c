"""The staged pipeline: documents in, validated Records of every format out (nothing here touches the store).

All the expensive work (parsing, crosswalks, schema validation, serialization) happens here once, so the
read side only copies bytes. Every record a document holds comes out as a Record or as an InvalidRecord
naming it: a document gives a Prepared, the one result type that ingest, harvest and the write API count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple, Optional, Sequence

from lxml import etree

from metadata import harvested
from metadata.facts import Facts, facts_of_dc, facts_of_mods
from metadata.formats import MODS, MetadataFormat, Site, standard_formats
from metadata.namespaces import DC_NS, MODS_NS, OAI_DC_NS
from metadata.provenance import SCHEMA_PATH as PROVENANCE_SCHEMA
from metadata.record import Record, serialize
from metadata.sets import ConfiguredSet, facets, memberships
from metadata.validate import InvalidRecord, Validator, parse

LOCAL_ID = re.compile(r"[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+\Z")  # oai-identifier.xsd, local part
MODS_COLLECTION = f"{{{MODS_NS}}}modsCollection"
OAI_DC_ROOT, OAI_DC_SCHEMA = f"{{{OAI_DC_NS}}}dc", "oai/oai_dc.xsd"
# Roots of formats this repository writes but does not read: a clear refusal, not a guess.
DISSEMINATED_ONLY = {
    "{http://www.loc.gov/MARC21/slim}record": "MARCXML", "{http://www.loc.gov/MARC21/slim}collection": "MARCXML",
    "{http://datacite.org/schema/kernel-4}resource": "DataCite",
    "{http://schema.datacite.org/oai/oai-1.1/}oai_datacite": "oai_datacite",
    "{http://namespace.openaire.eu/schema/oaire/}resource": "OpenAIRE",
}


class Document(NamedTuple):
    """Bytes to ingest, where they came from (for messages and as the fallback local id), the local id the
    caller gives them, if any, the base URL of the repository they were harvested from, if known, and why
    the bytes could not be read, if they could not."""

    data: bytes
    source: str
    local_id: Optional[str] = None
    origin: Optional[str] = None
    unreadable: Optional[str] = None


@dataclass
class Prepared:
    """What one document gave, in reading order: records (live ones to store, and harvested ones deleted at
    their source), refusals (each a document that could not be read or one record of it), and notes on what
    was rewritten on the way in (a source's malformed datestamp)."""

    source: str
    records: list[Record] = field(default_factory=list)
    refused: list[InvalidRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        """Records read: each record taken or refused (an unreadable document counts as one)."""
        return len(self.records) + len(self.refused)


@dataclass
class _Draft:
    """One MODS record on its way through the stages of Pipeline.prepare_all."""

    mods: etree._Element
    source: str
    local_id: Optional[str]
    facts: Optional[Facts] = None
    context: object = None  # the crosswalks' Context, once the local id is known
    about: bytes = b""
    stable_about: Optional[bytes] = None
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
                 configured_sets: tuple[ConfiguredSet, ...] = (), formats: Optional[dict[str, MetadataFormat]] = None,
                 site: Optional[Site] = None):
        self.validator = validator
        self.repository_identifier = repository_identifier
        self.configured_sets = configured_sets
        self.formats = standard_formats() if formats is None else formats
        self.site = site or Site()
        self._stages = (self._check_master, *(self._deriver(fmt) for fmt in self.formats.values()
                                              if fmt.derive is not None), self._complete)

    def identifier(self, local_id: str) -> str:
        return f"oai:{self.repository_identifier}:{local_id}"

    def only(self, prefixes: set[str]) -> "Pipeline":
        """This pipeline deriving only the named formats (rederive of one format)."""
        formats = {p: f for p, f in self.formats.items() if p in prefixes or f.derive is None}
        return Pipeline(self.validator, self.repository_identifier, self.configured_sets, formats, self.site)

    def prepare(self, data: bytes, source: str, local_id: Optional[str] = None,
                named: bool = False) -> list[Record]:
        """All or nothing, for the write API: every record of the document (one, each mods of a
        modsCollection, each record of an OAI-PMH response), or the first refusal raised. A record that
        names no local id of its own takes the source's file name, unless `named` asks every record to name one."""
        prepared = self.prepare_all([Document(data, source, local_id)], named=named)[0]
        if prepared.refused:
            raise prepared.refused[0]
        return prepared.records

    def prepare_all(self, documents: Sequence[Document], named: bool = False) -> list[Prepared]:
        """A Prepared for each document, in order."""
        parts: list[tuple[Prepared, list]] = []  # each document's outcome and its parts in reading order
        for document in documents:
            prepared, found = Prepared(document.source), []
            try:
                if document.unreadable:
                    raise InvalidRecord(document.source, document.unreadable)
                root = parse(document.data, document.source)
                if harvested.is_harvested(root):
                    self._harvested(root, document, prepared, found)
                else:
                    self._document(root, document.source, document.local_id, found, named=named)
            except InvalidRecord as exc:
                found.append(exc)
            parts.append((prepared, found))
        drafts = [part for _, found in parts for part in found if type(part) is _Draft]
        for stage in self._stages:
            for draft in drafts:
                if draft.error is None:
                    try:
                        stage(draft)
                    except InvalidRecord as exc:
                        draft.error = exc
        for prepared, found in parts:
            for part in found:
                _file(prepared, part)
        return [prepared for prepared, _ in parts]

    def _document(self, root: etree._Element, source: str, local_id: Optional[str], found: list,
                  about: bytes = b"", stable_about: Optional[bytes] = None, named: bool = False) -> None:
        if root.tag == MODS_COLLECTION:
            # One validation for the whole collection; when it fails, each record is checked on its own, so
            # only the invalid ones are refused.
            whole = self.validator.schema(MODS.schema_path).validate(root)
            if len(root) == 0:
                self.validator.check(MODS.schema_path, root, source)
            for position, member in enumerate(root, 1):
                if member.tag == MODS.root_tag:
                    found.append(_Draft(member, source, None, named=named, position=position, checked=whole))
                else:
                    found.append(InvalidRecord(f"{source} (record {position})", f"{member.tag} in a modsCollection "
                                               "is not a mods record", member.sourceline))
            return
        if root.tag == MODS.root_tag:
            found.append(_Draft(root, source, local_id, about=about, stable_about=stable_about, named=named))
            return
        if root.tag != OAI_DC_ROOT:
            written = DISSEMINATED_ONLY.get(root.tag)
            reason = f"{written} is a format this repository disseminates but does not read" if written else \
                f"root element {root.tag} is not an input this repository reads"
            raise InvalidRecord(source, f"{reason}: send MODS ({MODS_NS}), a modsCollection, oai_dc, or an "
                                        "OAI-PMH response", root.sourceline)
        self.validator.check(OAI_DC_SCHEMA, root, source)
        local = local_id or _own_id(_first(root, f"{{{DC_NS}}}identifier", source, LOCAL_ID), source, root, named)
        found.append(self._record(local, {"oai_dc": root}, facts_of_dc(root), source, about, stable_about))

    def _harvested(self, response: etree._Element, document: Document, prepared: Prepared, found: list) -> None:
        """Harvest-in: each record of another repository's response under its source identity
        (metadata/harvested.py), with a provenance container; one bad record is refused alone."""
        for item in harvested.read(response, document.source, document.origin):
            if isinstance(item, InvalidRecord):
                found.append(item)
                continue
            source = f"{document.source} (record {item.identifier})"
            prepared.notes += item.notes
            if item.metadata is None:
                found.append(Record(self.identifier(item.local_id), {}, source=source, deleted=True))
                continue
            try:
                self.validator.check(PROVENANCE_SCHEMA, item.about, f"{source} (provenance)")
                self._document(item.metadata, source, item.local_id, found, serialize(item.about), item.stable_about)
            except InvalidRecord as exc:
                found.append(exc)

    # --- the stages of a MODS record -------------------------------------------------------------------

    def _check_master(self, draft: _Draft) -> None:
        mods, source = draft.mods, draft.source
        if not draft.checked:
            where = f"{source} (record {draft.position})" if draft.position else source
            self.validator.check(MODS.schema_path, mods, where)
        mods.set("version", mods.get("version", "3.8"))
        draft.local_id = draft.local_id or _own_id(
            mods.findtext(f"{{{MODS_NS}}}recordInfo/{{{MODS_NS}}}recordIdentifier"), source, mods, draft.named,
            draft.position)
        draft.facts = facts_of_mods(mods)
        draft.context = self.site.context(self.identifier(draft.local_id), draft.local_id)
        draft.elements[MODS.prefix] = mods

    def _deriver(self, fmt: MetadataFormat) -> Callable[[_Draft], None]:
        def derive(draft: _Draft) -> None:
            derived = fmt.derive(draft.mods, draft.facts, draft.context)
            if derived is None:  # the record is not available in this format
                return
            self.validator.check(fmt.validation, derived, f"{draft.source} (crosswalk to {fmt.prefix})")
            draft.elements[fmt.prefix] = derived
        return derive

    def _complete(self, draft: _Draft) -> None:
        draft.record = self._record(draft.local_id, draft.elements, draft.facts, draft.source, draft.about,
                                    draft.stable_about, draft.position)

    def _record(self, local_id: str, elements: dict, facts: Facts, source: str, about: bytes = b"",
                stable_about: Optional[bytes] = None, position: Optional[int] = None) -> Record:
        if not LOCAL_ID.match(local_id):
            which = f" (record {position})" if position else ""
            raise InvalidRecord(source + which, f"local identifier {local_id!r} is not valid in an oai-identifier")
        identifier = self.identifier(local_id)
        sets = memberships(facets(facts), identifier, self.configured_sets)
        return Record(identifier, {p: serialize(e) for p, e in elements.items()}, set_specs=tuple(sorted(sets)),
                      set_names=sets, summary=facts.summary(), about=about, source=source, stable_about=stable_about)


def _file(prepared: Prepared, part) -> None:
    """Put one part of a document where it belongs in its Prepared."""
    if type(part) is _Draft:
        part = part.error if part.error is not None else part.record
    if isinstance(part, InvalidRecord):
        prepared.refused.append(part)
    else:
        prepared.records.append(part)


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
