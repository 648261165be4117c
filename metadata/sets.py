"""Set membership derived from a record's facts (metadata/facts.py: from its MODS, or its oai_dc when it has no MODS).

Rules (README documents them): `type:<genre>`, `journal:<host title>`, `subject:<topic>`, `year:<yyyy>`,
each under its parent set `type`, `journal`, `subject`, `year`; plus sets an operator configures. Every
child spec brings its parent, so a record in `subject:cuba` is in `subject` as well (§2.7.2).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from metadata.facts import Facts

PARENTS = {"type": "Types of resource", "journal": "Journals", "subject": "Subjects",
           "year": "Publication years"}
LABELS = {"type": "Type", "journal": "Journal", "subject": "Subject", "year": "Year"}


@lru_cache(maxsize=65536)
def slug(text: str) -> str:
    """A setSpec-safe slug: ASCII letters, digits and hyphens."""
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", unaccented.lower()).strip("-")


def _type_of(genres: list[str]) -> str:
    for genre in genres:
        if "article" in genre.lower():
            return "article"
    return slug(genres[0]) if genres else ""


def facets(facts: Facts) -> dict[str, list[str]]:
    """The values each parent set takes from a record (metadata/facts.py, so the year is the one date rule's)."""
    return {
        "type": [_type_of(facts.genres or ([facts.resource_type] if facts.resource_type else []))],
        "journal": [facts.journal] if facts.journal else [],
        "subject": facts.topics,
        "year": [facts.year],
    }


@dataclass(frozen=True)
class ConfiguredSet:
    """A set an operator defines: listed identifiers, or every record in one of the derived sets."""

    spec: str
    name: str
    description: str = ""
    identifiers: frozenset = field(default_factory=frozenset)
    rule: str = ""  # a derived setSpec, e.g. "subject:cuba"

    def contains(self, identifier: str, derived: set[str]) -> bool:
        return identifier in self.identifiers or (bool(self.rule) and self.rule in derived)


def memberships(facets: dict[str, list[str]], identifier: str,
                configured: tuple[ConfiguredSet, ...] = ()) -> dict[str, str]:
    """setSpec -> setName for every set the record belongs to, parents included."""
    sets: dict[str, str] = {}
    for parent, values in facets.items():
        for value in values:
            child = slug(value) if parent != "year" else value
            if child:
                sets[parent] = PARENTS[parent]
                sets[f"{parent}:{child}"] = f"{LABELS[parent]}: {value}"
    derived = set(sets)
    for cs in configured:
        if cs.contains(identifier, derived):
            parts = cs.spec.split(":")
            for depth in range(1, len(parts)):
                sets.setdefault(":".join(parts[:depth]), ":".join(parts[:depth]))
            sets[cs.spec] = cs.name
    return sets
