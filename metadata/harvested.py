"""Harvest-in: reading another repository's OAI-PMH responses record by record, each keeping its source's identity.

The identity rule (README, "Harvest-in"): a harvested record's local id here is derived from its source
identifier alone, never from its metadata. An oai-identifier `oai:<domain>:<local>` becomes `<domain>:<local>`
(the oai-identifier scheme reserves the domain to one repository); any other identifier (`hdl:1765/1070`, a URL)
becomes `<host of the source's base URL>:<identifier>`. Characters an oai-identifier's local part does not allow,
and `%` itself, are percent-encoded, so the mapping is one-to-one and stable across re-harvests. This module
reads XML already parsed safely; it knows nothing of HTTP or of the store.
"""
from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterator, Optional
from urllib.parse import quote, urlsplit

from lxml import etree

from metadata.namespaces import OAI_NS
from metadata.provenance import PROVENANCE_NS, provenance
from metadata.record import DATESTAMP, serialize, utc_datestamp
from metadata.validate import InvalidRecord, parse

OAI = f"{{{OAI_NS}}}"
OAI_PMH, RECORD = OAI + "OAI-PMH", OAI + "record"
OAI_IDENTIFIER = re.compile(r"oai:(?P<domain>[a-zA-Z][a-zA-Z0-9\-]*(?:\.[a-zA-Z][a-zA-Z0-9\-]*)+)"
                            r":(?P<local>[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+)")  # oai-identifier.xsd
LOCAL_SAFE = "-_.!~*'();/?:@&=+$,"  # the local part's characters (oai-identifier.xsd) but '%', which quote adds
DATE_ONLY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def is_harvested(root: etree._Element) -> bool:
    """An OAI-PMH response (GetRecord, ListRecords) or one <record> saved on its own."""
    return root.tag in (OAI_PMH, RECORD)


def source_key(base_url: str) -> str:
    """The host of a repository's base URL, the namespace of its non-oai identifiers here ('' if it has none)."""
    host = urlsplit(base_url.strip()).hostname or ""
    return host.lower().replace(":", "-")  # an IPv6 literal keeps no ':' of its own


def local_id(source_identifier: str, base_url: str) -> str:
    """This repository's local id for a record harvested as source_identifier (see the module's rule)."""
    match = OAI_IDENTIFIER.fullmatch(source_identifier)
    if match:
        namespace, rest = match["domain"].lower(), match["local"]
    else:
        namespace, rest = source_key(base_url), source_identifier
        if not namespace:
            raise ValueError(f"{source_identifier!r} is not an oai-identifier and the source's base URL is unknown "
                             "(the file has no <request> element): name the source with --source BASE_URL")
    return f"{namespace}:{quote(rest, safe=LOCAL_SAFE)}"


def utc_datestamp_of(text: str) -> tuple[str, Optional[str]]:
    """A source's datestamp as provenance.xsd takes it (a date, or a UTC dateTime), and a note when it had to
    be rewritten. Real repositories send '20210311', '2021-03-11 10:00:00', local offsets or fractions of a
    second; each is read as the instant it names (without a zone: UTC, as §3.3 says datestamps are)."""
    text = text.strip()
    try:
        if DATE_ONLY.fullmatch(text):
            value = date(*map(int, DATE_ONLY.fullmatch(text).groups())).isoformat()
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(timezone.utc)
            value = moment.strftime(DATESTAMP)
    except ValueError:
        raise ValueError(f"datestamp {text!r} is neither a date nor a date and time") from None
    return value, (None if value == text else f"datestamp {text!r} recorded as {value}")


@dataclass
class Harvested:
    """One record of a harvested response: its local id here, its metadata (None: deleted at the source), its
    provenance container, and notes on what had to be rewritten."""

    local_id: str
    identifier: str  # at the source
    metadata: Optional[etree._Element]
    about: Optional[etree._Element] = None  # provenance.xsd
    stable_about: bytes = b""  # the provenance without its harvest date (see Record.stable_about)
    notes: list[str] = field(default_factory=list)


def read(root: etree._Element, source: str, origin: Optional[str] = None) -> Iterator[Harvested | InvalidRecord]:
    """Each record of a response (or the one <record>), in order; a record that cannot be taken is an
    InvalidRecord naming it, and the others go on. origin: the base URL the document came from, which wins
    over the response's own <request> echo (the URL actually harvested, or the one an operator names)."""
    records = [root] if root.tag == RECORD else root.iterfind(f"{OAI}*/{RECORD}")
    base_url = origin or root.findtext(f"{OAI}request", "").strip()
    response_date = root.findtext(f"{OAI}responseDate", "").strip()
    for record in records:
        header = record.find(f"{OAI}header")
        identifier = header.findtext(f"{OAI}identifier", "").strip() if header is not None else ""
        where = f"{source} (record {identifier or '?'}, line {record.sourceline})"
        try:
            if not identifier:
                raise ValueError("the record's header names no identifier")
            here = local_id(identifier, base_url)
            if header.get("status") == "deleted":
                yield Harvested(here, identifier, None)
                continue
            metadata = record.find(f"{OAI}metadata")
            if metadata is None or len(metadata) != 1:
                raise ValueError("the record has no metadata")
            datestamp, note = utc_datestamp_of(header.findtext(f"{OAI}datestamp", ""))
            harvest_date, harvest_note = utc_datestamp_of(response_date) if response_date else (utc_datestamp(), None)
        except ValueError as exc:
            yield InvalidRecord(where, str(exc), record.sourceline)
            continue
        content = metadata[0]
        namespace = etree.QName(content).namespace or ""
        about = provenance(base_url, identifier, datestamp, namespace, harvest_date)

        # deepcopy: the metadata as a document of its own, so validating it never walks the whole response;
        # without the whitespace that followed it there, which would otherwise be stored as part of it
        content = deepcopy(content)
        content.tail = None
        yield Harvested(here, identifier, content, about, stable_form(serialize(about)),
                        [f"{where}: {n}" for n in (note, harvest_note) if n])


def stable_form(about: bytes) -> Optional[bytes]:
    """A stored about container as compared for "unchanged" (Record.stable_about): a provenance container
    without its harvest date, as read() makes it; None for anything else, which is compared as it is."""
    if b"harvestDate" not in about:
        return None
    root = parse(about, "stored provenance")
    origin = root.find(f"{{{PROVENANCE_NS}}}originDescription")
    if origin is None:
        return None
    origin.set("harvestDate", "")
    return serialize(root)
