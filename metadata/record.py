"""The OAI record model: what ingest hands the store and what the store hands the protocol."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import NamedTuple, Optional

from lxml import etree

DATESTAMP = "%Y-%m-%dT%H:%M:%SZ"  # UTC, second granularity (§3.3.1); such strings sort like their instants


def utc_datestamp(epoch: Optional[float] = None) -> str:
    """The datestamp of an instant (seconds since the epoch), or of now."""
    moment = datetime.now(timezone.utc) if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime(DATESTAMP)


def second_before(datestamp: str) -> str:
    return (datetime.strptime(datestamp, DATESTAMP) - timedelta(seconds=1)).strftime(DATESTAMP)


@dataclass(frozen=True)
class Header:
    """An OAI header (§2.5): identifier, UTC datestamp 'YYYY-MM-DDThh:mm:ssZ', setSpecs, deleted flag."""

    identifier: str
    datestamp: str
    set_specs: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class Record:
    """A record ready to store: validated, serialized bytes of every format it can be disseminated in.

    `summary` holds the few display fields (title, authors, year) the pages need, computed once at
    ingest so that nothing on the read side parses stored XML."""

    identifier: str
    formats: dict[str, bytes]
    set_specs: tuple[str, ...] = ()
    set_names: dict[str, str] = field(default_factory=dict)  # setName of each spec, for ListSets
    summary: dict = field(default_factory=dict)
    about: bytes = b""  # serialized <about> containers (e.g. provenance of a harvested record)
    source: str = ""  # where the record came from (a file path, an HTTP client), for messages
    # The about bytes as compared for "unchanged": a provenance container without its harvest date, so a
    # record harvested again as it was keeps its datestamp. None: compare `about` itself.
    stable_about: Optional[bytes] = None
    deleted: bool = False  # a harvested record its source has deleted: no formats, a tombstone here if held


XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'  # what a per-record download sends first


def download_hash(metadata: bytes) -> str:
    """sha256 (hex) of a per-record download: the declaration, then the metadata (ResourceSync's rs:md hash)."""
    return hashlib.sha256(XML_DECLARATION + metadata).hexdigest()


def serialize(element: etree._Element) -> bytes:
    """Canonical stored form: UTF-8, no XML declaration, unused namespace declarations removed."""
    etree.cleanup_namespaces(element)
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False)


def header_xml(header: Header) -> bytes:
    """The header element (§2.5) serialized once, when the store sets the datestamp.

    Its elements carry no namespace of their own: they are only ever written inside the OAI-PMH envelope,
    whose default namespace they take, so a million headers do not repeat the namespace declaration. Written
    as text, escaped as lxml escapes text: the store writes one per record, and building elements cost more."""
    specs = "".join(f"<setSpec>{xml_text(spec)}</setSpec>" for spec in header.set_specs)
    status = ' status="deleted"' if header.deleted else ""
    return (f"<header{status}><identifier>{xml_text(header.identifier)}</identifier>"
            f"<datestamp>{xml_text(header.datestamp)}</datestamp>{specs}</header>").encode()


_MARKUP = re.compile(r"[&<>\r]")


def xml_text(text: str) -> str:
    """Character data as XML text content: the three markup characters escaped, and CR kept as a reference."""
    if not _MARKUP.search(text):
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


class Stored(NamedTuple):
    """One record in one format as the store serves it: header, its serialized form, metadata bytes (None
    for a tombstone or a header-only listing), about bytes (empty when none), and the whole <record> as a
    response sends it, without its closing tag (None for a header-only listing)."""

    header: Header
    header_xml: bytes
    metadata: Optional[bytes]
    about: bytes = b""
    record: Optional[bytes] = None
