"""The forms a record takes in the store's rows: the <record> bytes a response sends, the header, the folded
search text. Written by SQLStore.put and by the schema migration alike, so both store the same bytes."""
from __future__ import annotations

import json
import unicodedata
from typing import NamedTuple, Optional

from metadata.record import Header, Stored, download_hash

METADATA_OPEN, METADATA_CLOSE = b"<metadata>", b"</metadata>"


class Page(NamedTuple):
    rows: list[bytes]  # <record>s without their closing tag, or <header>s
    last: Optional[tuple[str, str]]  # the keyset position of the last row
    more: bool  # whether records follow


def folded(text: str) -> str:
    """Text as search compares it on every database: case-folded, accents removed ('María' -> 'maria')."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(summary: dict) -> str:
    return folded(" ".join([summary.get("title") or "", *(summary.get("creators") or [])]))


def record_bytes(header: bytes, metadata: Optional[bytes], about: bytes) -> tuple[bytes, int, int]:
    """A <record> as a response sends it, without its closing tag, and where its metadata lies in it (0, 0
    for a tombstone, which is a header alone, §2.5.1)."""
    if metadata is None:
        return b"<record>" + header, 0, 0
    start = len(b"<record>") + len(header) + len(METADATA_OPEN)
    about_part = b"<about>" + about + b"</about>" if about else b""
    return b"<record>" + header + METADATA_OPEN + metadata + METADATA_CLOSE + about_part, start, start + len(metadata)


INSERT_DISSEMINATION = ("INSERT INTO disseminations (prefix, datestamp, identifier, header, hash, metadata_start,"
                        " metadata_end, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def dissemination_row(prefix: str, datestamp: str, identifier: str, header: bytes, metadata: Optional[bytes],
                      about: bytes) -> tuple:
    """A disseminations row in column order (schema.py): the narrow columns first, so listing headers, hashes
    and lengths never reads past them into the record."""
    record, start, end = record_bytes(header, metadata, about)
    return prefix, datestamp, identifier, header, download_hash(metadata) if metadata is not None else "", start, end, record


def stored_of(header: Header, head: bytes, record: Optional[bytes], start: int = 0, end: int = 0) -> Stored:
    if record is None:  # a header-only listing
        return Stored(header, head, None, b"", None)
    if not end:
        return Stored(header, head, None, b"", record)
    about = record[end + len(METADATA_CLOSE):]
    return Stored(header, head, record[start:end], about[len(b"<about>"):-len(b"</about>")] if about else b"",
                  record)


def header_of(identifier: str, datestamp: str, deleted, set_specs: str) -> Header:
    return Header(identifier, datestamp, tuple(set_specs.split()) if set_specs else (), bool(deleted))



def json_of(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)
