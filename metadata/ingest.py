"""Ingest: prepared documents into the store, batch by batch, and the one account of every record read.

The counting rule lives here and nowhere else: every record read is exactly one of created, updated,
unchanged, deleted (a harvested deletion that tombstoned a record held here), skipped (a harvested deletion
of a record never held here), duplicate (its identifier was read before in the same run) or refused. An
identifier read k times in a run counts k - 1 duplicates, each reported with both places it was read, and
the store keeps the last one read; its status (created, updated, ...) is relative to the store before the run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from metadata.files import read_in_chunks
from metadata.pipeline import Pipeline, Prepared
from metadata.record import Record
from metadata.store.base import PutResult, Store
from metadata.validate import InvalidRecord
from metadata.workers import prepared_in_parallel

BATCH_SIZE = 500
STORE_STATUSES = ("created", "updated", "unchanged", "deleted")


@dataclass
class IngestReport:
    """What happened to every record read; the counts add up to `read`."""

    read: int = 0
    results: list[PutResult] = field(default_factory=list)  # the store's answer for each identifier's first read
    refused: list[InvalidRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # values rewritten on the way in (a malformed datestamp)

    def count(self, status: str) -> int:
        if status in STORE_STATUSES:
            return sum(1 for r in self.results if r.status == status)
        return len({"refused": self.refused, "skipped": self.skipped, "duplicate": self.duplicates}[status])

    @property
    def needs_attention(self) -> bool:
        """Refusals and duplicates: records that are not, or no longer, stored as read."""
        return bool(self.refused or self.duplicates)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {label}" for s, label in (
            *((s, s) for s in STORE_STATUSES), ("skipped", "skipped"), ("duplicate", "duplicates"), ("refused", "refused")))
        return f"{self.read} read: {counts}"


class Writer:
    """Stores prepared documents in reading order, one transaction per batch, and keeps the account."""

    def __init__(self, store: Store, batch_size: int = BATCH_SIZE):
        self.store, self.batch_size = store, batch_size
        self.report = IngestReport()
        self._first_read: dict[str, str] = {}  # identifier -> where this run first read it
        self._pending: dict[str, tuple[Record, bool]] = {}  # identifier -> (record, whether its status counts)

    def add(self, prepared: Prepared) -> None:
        report = self.report
        report.read += prepared.read
        report.refused += prepared.refused
        report.notes += prepared.notes
        for record in prepared.records:
            counts = self._first(record)
            if record.deleted:
                self.flush()  # in reading order: what was read before the deletion is stored first
                self._delete(record, counts)
                continue
            earlier = self._pending.get(record.identifier)
            self._pending[record.identifier] = (record, counts if earlier is None else earlier[1])
            if len(self._pending) >= self.batch_size:
                self.flush()

    def has_read(self, identifier: str) -> bool:
        return identifier in self._first_read

    def flush(self) -> None:
        """Commit what is pending (one transaction)."""
        if not self._pending:
            return
        pending, self._pending = list(self._pending.values()), {}
        results = self.store.put([record for record, _ in pending])
        self.report.results += (result for result, (_, counts) in zip(results, pending) if counts)

    def _first(self, record: Record) -> bool:
        """Whether this is the first read of the record's identifier in this run; reports it if not."""
        first = self._first_read.get(record.identifier)
        if first is None:
            self._first_read[record.identifier] = record.source
            return True
        kept = "the deletion at the source" if record.deleted else "the later one"
        self.report.duplicates.append(f"{record.identifier}: read in {first} and again in {record.source}; "
                                      f"{kept} is kept")
        return False

    def _delete(self, record: Record, counts: bool) -> None:
        held = self.store.header(record.identifier)
        if held is None:
            if counts:
                self.report.skipped.append(f"{record.source}: deleted at the source and never held here")
            return
        tombstone = self.store.delete(record.identifier)
        if counts:
            status = "unchanged" if held.deleted else "deleted"
            self.report.results.append(PutResult(record.identifier, tombstone.datestamp, status))


def ingest(pipeline: Pipeline, store: Store, files: Iterable[Path], batch_size: int = BATCH_SIZE,
           progress: Callable[[int], None] = lambda n: None, workers: int = 1,
           origin: Optional[str] = None) -> IngestReport:
    """Validate every file, store the valid records one transaction per batch, account for every record read.

    A refused record never stops the run. Files are prepared a batch at a time (Pipeline.prepare_all), at
    most batch_size of them and files.BATCH_BYTES of input, so memory stays flat however many files there
    are. With workers > 1, that many processes prepare batches while this one writes them, in the same order
    and with the same results. origin: the base URL harvested files came from, when they do not say."""
    writer = Writer(store, batch_size)
    chunks = read_in_chunks(files, batch_size, origin)
    prepared = prepared_in_parallel(pipeline, chunks, workers) if workers > 1 else map(pipeline.prepare_all, chunks)
    for outcomes in prepared:
        for outcome in outcomes:
            writer.add(outcome)
            progress(1)
    writer.flush()
    return writer.report
