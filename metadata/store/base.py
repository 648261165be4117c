"""The Store protocol: what the provider needs from a database, in OAI terms and nothing else.

Listing is keyset-paginated on (datestamp, identifier): callers pass the position of the last item they
saw, never an offset, so a deep page costs what the first one does. Datestamps are strings
'YYYY-MM-DDThh:mm:ssZ', which sort like the instants they name.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple, Optional, Protocol, Sequence

from metadata.record import Header, Record, Stored

SCHEMA_VERSION = 3


class StoreError(Exception):
    """The store cannot be opened or used as configured."""


@dataclass(frozen=True)
class ListQuery:
    """A selective harvest (§2.7.1): one format, optional inclusive datestamp bounds and a set."""

    prefix: str
    from_: Optional[str] = None
    until: Optional[str] = None
    set_spec: Optional[str] = None


@dataclass(frozen=True)
class PutResult:
    identifier: str
    datestamp: str
    status: str  # 'created', 'updated' or 'unchanged'


class Entry(NamedTuple):
    """One line of a ResourceSync list or a sitemap: a record's dissemination in one format, or a record."""

    datestamp: str
    identifier: str
    prefix: str  # '' in a listing of records
    created: str  # the record's first datestamp; '' in a listing of resources
    hash: Optional[str]  # sha256 (hex) of the download's bytes; None for a tombstone or a record
    length: Optional[int]  # of the download's bytes


# What entries() lists, each in the order of its own keyset (a position is the tuple of those keys):
RESOURCES = "resources"  # live disseminations by (prefix, datestamp, identifier), the store's own order
CHANGES = "changes"  # every dissemination, tombstones too, by (datestamp, identifier, prefix): time order
PAGES = "pages"  # live records by (datestamp, identifier)
KEYSETS = {RESOURCES: ("prefix", "datestamp", "identifier"), CHANGES: ("datestamp", "identifier", "prefix"),
           PAGES: ("datestamp", "identifier")}


def position(kind: str, entry: Entry) -> tuple:
    """The entry's keyset position in a listing of kind."""
    return tuple(getattr(entry, key) for key in KEYSETS[kind])


@dataclass(frozen=True)
class SetInfo:
    spec: str
    name: str
    description: str = ""


def content_hash(record: Record) -> str:
    """Identity of a record's content: same hash, same datestamp (re-ingest does not bump it)."""
    digest = hashlib.sha256()
    for prefix in sorted(record.formats):
        digest.update(prefix.encode() + b"\0" + record.formats[prefix] + b"\0")
    about = record.about if record.stable_about is None else record.stable_about
    digest.update(" ".join(sorted(record.set_specs)).encode() + b"\0" + about)
    return digest.hexdigest()


class Store(Protocol):
    def create_schema(self) -> None:
        """Create or migrate the tables; idempotent."""

    def now(self) -> str:
        """The store's clock for a harvest's start: waits for writes in flight, so every change committed
        afterwards has a datestamp at least this one (an incremental harvest from it misses nothing)."""

    def put(self, records: Sequence[Record]) -> list[PutResult]:
        """Store a batch in one transaction; the store sets datestamps from its own clock."""

    def delete(self, identifier: str) -> Optional[Header]:
        """Turn a record into a persistent tombstone; None when there is no such record."""

    def header(self, identifier: str) -> Optional[Header]: ...

    def get(self, identifier: str, prefix: str) -> Optional[Stored]:
        """The record in one format; None when it does not exist or was never available in that format."""

    def formats_of(self, identifier: str) -> Optional[list[str]]:
        """Prefixes a record can be disseminated in (kept for tombstones); None for no such record."""

    def earliest_datestamp(self) -> Optional[str]: ...

    def sample_identifier(self) -> Optional[str]: ...

    def page(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int, with_metadata: bool):
        """A harvest page as the bytes to send (the stored <record>s or <header>s), its last keyset position
        and whether more follow: metadata/store/sql.py's Page."""

    def list_records(self, query: ListQuery, after: Optional[tuple[str, str]], limit: int,
                     with_metadata: bool) -> list[Stored]:
        """Up to limit records strictly after the keyset position, in (datestamp, identifier) order."""

    def count(self, query: ListQuery) -> int: ...

    def entries(self, kind: str, after: Optional[tuple], through: Optional[tuple], limit: int,
                from_: Optional[str] = None, until: Optional[str] = None) -> list[Entry]:
        """Up to limit entries of kind (RESOURCES, CHANGES, PAGES) after the position and up to through,
        datestamps within the inclusive bounds."""

    def splits(self, kind: str, every: int, from_: Optional[str] = None, until: Optional[str] = None) -> list[tuple]:
        """Where to cut the listing into documents of at most every entries: the position of each every-th
        entry but the last entry."""

    def sets(self, after: Optional[str] = None, limit: Optional[int] = None) -> list[SetInfo]:
        """Sets ordered by spec, after the given spec."""

    def set_count(self) -> int: ...

    def put_sets(self, sets: Iterable[SetInfo]) -> None:
        """Define or rename sets (configuration-defined sets carry a description)."""

    def summaries(self, search: str = "", limit: int = 20) -> list[tuple[Header, dict]]:
        """Display summaries of live records whose title or authors contain search."""

    def summary(self, identifier: str) -> Optional[dict]:
        """A live record's stored summary (title, creators, date and its facts); None otherwise."""

    def record_count(self) -> int:
        """Live (not deleted) records."""

    def check_integrity(self) -> list[str]:
        """Problems found by the database's own consistency check; empty when sound."""

    def close(self) -> None: ...


def iter_entries(store: Store, kind: str, after: Optional[tuple], through: Optional[tuple], from_: Optional[str] = None,
                 until: Optional[str] = None, page: int = 1000) -> Iterator[Entry]:
    """Every entry of kind after the position and up to through, a keyset page at a time."""
    while True:
        rows = store.entries(kind, after, through, page, from_, until)
        yield from rows
        if len(rows) < page:
            return
        after = position(kind, rows[-1])


def iter_all(store: Store, query: ListQuery, page: int = 1000) -> Iterator[Stored]:
    """Every record matching query, a keyset page at a time (for exports)."""
    after = None
    while True:
        rows = store.list_records(query, after, page, with_metadata=True)
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1].header.datestamp, rows[-1].header.identifier)
