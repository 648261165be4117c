"""The facts a landing page shows: taken from the store, where ingest put them (metadata/facts.py).

A record stored before facts were kept has none in the store until `oai-provider rederive`; its page reads
them from its stored MODS (or oai_dc) with the same function ingest uses, so the page says the same.
"""
from __future__ import annotations

from metadata.facts import Facts, facts_of_dc, facts_of_mods
from metadata.store.base import Store
from metadata.validate import parse


def facts_of(store: Store, identifier: str, master: str) -> Facts | None:
    """The record's facts; None when it is not (or no longer) a live record."""
    summary = store.summary(identifier)
    if summary is None:
        return None
    facts = Facts.from_summary(summary)
    if facts is not None:
        return facts
    stored = store.get(identifier, master)
    if stored is None or stored.metadata is None:
        return None
    root = parse(stored.metadata, f"stored {master} of {identifier}")
    return facts_of_mods(root) if master == "mods" else facts_of_dc(root)
