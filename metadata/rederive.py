"""Rederive: new or changed crosswalks reach stored records, recomputed from each record's stored MODS.

Records go through the same pipeline and Writer as ingest, a keyset page at a time. The store gives a new
datestamp only to a record whose disseminated bytes (or sets) change, so incremental harvesters get exactly
those; an unchanged record keeps its datestamp, and its stored facts are refreshed in place. A harvested
record keeps its provenance container as stored.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable, Optional

from metadata.harvested import stable_form
from metadata.ingest import BATCH_SIZE, IngestReport, Writer
from metadata.pipeline import Document, Pipeline
from metadata.record import Record, Stored
from metadata.store.base import ListQuery, Store
from metadata.validate import InvalidRecord


def rederive(pipeline: Pipeline, store: Store, prefixes: Optional[Iterable[str]] = None,
             batch_size: int = BATCH_SIZE, progress: Callable[[int], None] = lambda n: None) -> IngestReport:
    """Recompute the derived formats (all, or only `prefixes`: the others are kept as stored) of every live
    record that has MODS, as it stood when the run began."""
    only = None if prefixes is None else set(prefixes)
    derive = pipeline if only is None else pipeline.only(only)
    kept = [] if only is None else [p for p in pipeline.formats if p not in only and p != "mods"]
    writer = Writer(store, batch_size)
    # As the store stood when the run began; a record this run changes within that second comes round
    # again in the listing, and is passed over.
    query, after = ListQuery("mods", until=store.now()), None
    prefix = pipeline.identifier("")
    while True:
        rows = store.list_records(query, after, batch_size, with_metadata=True)
        if not rows:
            break
        after = (rows[-1].header.datestamp, rows[-1].header.identifier)
        live = [row for row in rows if row.metadata is not None and not writer.has_read(row.header.identifier)]
        documents = [Document(row.metadata, f"stored record {row.header.identifier}",
                              local_id=row.header.identifier[len(prefix):]) for row in live]
        for row, prepared in zip(live, derive.prepare_all(documents)):
            if not row.header.identifier.startswith(prefix):
                prepared.records, prepared.refused = [], [InvalidRecord(
                    row.header.identifier, f"not an identifier of this repository ({prefix}...): "
                                           "was OAI_REPOSITORY_IDENTIFIER changed?")]
            prepared.records = [_as_stored(store, record, row, kept) for record in prepared.records]
            writer.add(prepared)
        progress(len(rows))
        if len(rows) < batch_size:
            break
    writer.flush()
    return writer.report


def _as_stored(store: Store, record: Record, row: Stored, kept: list[str]) -> Record:
    """The rederived record with what is not rederived taken from the store: its about containers and the
    formats left out of this run."""
    formats = dict(record.formats)
    for prefix in kept:
        stored = store.get(record.identifier, prefix)
        if stored is not None and stored.metadata is not None:
            formats[prefix] = stored.metadata
    return replace(record, formats=formats, about=row.about, stable_about=stable_form(row.about))
