"""Set membership derived from a record's MODS (or, for Dublin Core-only records, its oai_dc).

Rules (README documents them): `type:<genre>`, `journal:<host title>`, `subject:<topic>`, `year:<yyyy>`,
each under its parent set `type`, `journal`, `subject`, `year`; plus sets an operator configures. Every
child spec brings its parent, so a record in `subject:cuba` is in `subject` as well (§2.7.2).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from metadata.namespaces import DC_NS, MODS_NS

PARENTS = {"type": "Types of resource", "journal": "Journals", "subject": "Subjects",
           "year": "Publication years"}
LABELS = {"type": "Type", "journal": "Journal", "subject": "Subject", "year": "Year"}
M = f"{{{MODS_NS}}}"
DC = f"{{{DC_NS}}}"


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


def _year(dates: list[str]) -> str:
    for date in dates:
        match = re.match(r"\s*(\d{4})", date)
        if match:
            return match.group(1)
    return ""


def _texts(elements) -> list[str]:
    return [" ".join(e.text.split()) for e in elements if e.text and e.text.strip()]


GENRE, TYPE_OF_RESOURCE, RELATED_ITEM, SUBJECT, ORIGIN_INFO = (
    M + "genre", M + "typeOfResource", M + "relatedItem", M + "subject", M + "originInfo")
TITLE_INFO, TITLE, TOPIC, DATE_ISSUED = M + "titleInfo", M + "title", M + "topic", M + "dateIssued"


def facets_of_mods(mods: etree._Element) -> dict[str, list[str]]:
    """One pass over the record's children (each element read from Python costs about a microsecond, and
    this runs once per ingested record)."""
    genres, resource_types, journals, topics, key_dates, dates = [], [], [], [], [], []
    host_seen = False
    for child in mods:
        tag = child.tag
        if tag == SUBJECT:
            topics += child.iterchildren(TOPIC)
        elif tag == GENRE:
            genres.append(child)
        elif tag == ORIGIN_INFO:
            for issued in child.iterchildren(DATE_ISSUED):
                (key_dates if issued.get("keyDate") == "yes" else dates).append(issued)
        elif tag == RELATED_ITEM and not host_seen and child.get("type") == "host":
            host_seen = True  # the first host is the journal
            journals = [title for info in child.iterchildren(TITLE_INFO) for title in info.iterchildren(TITLE)]
        elif tag == TYPE_OF_RESOURCE:
            resource_types.append(child)
    return {
        "type": [_type_of(_texts(genres) or _texts(resource_types))],
        "journal": _texts(journals)[:1],
        "subject": _texts(topics),
        "year": [_year(_texts(key_dates) + _texts(dates))],  # the key dateIssued first
    }


def facets_of_dc(dc: etree._Element) -> dict[str, list[str]]:
    def texts(name: str) -> list[str]:
        return _texts(dc.iterchildren(DC + name))
    return {"type": [_type_of(texts("type"))], "journal": [], "subject": texts("subject"),
            "year": [_year(texts("date"))]}


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
