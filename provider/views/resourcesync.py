"""ResourceSync 1.1 (ANSI/NISO Z39.99-2017) over the per-record XML downloads, from the store as it is: a
source description at /.well-known/resourcesync, one capability list, a resource list of every live record's
download in every format, and a change list of what was created, updated and deleted. Documents are written
by provider/views/sitemaps.py's streaming writer and cut, past URLS_PER_DOCUMENT, into a list index and its
parts; nothing here holds more than a keyset page of records.

What a line says of a download is what the download sends (provider/views/downloads.py): the metadata after
an XML declaration. lastmod is the record's datestamp, length and hash (sha-256, hex) are those of these bytes.
rs:md's type is the format's media type when resourcesync.xsd's contentType admits it ([\\w-]+/[\\w-]+, no '+'
or '.'), else application/xml, which every +xml type specializes (RFC 7303 §8).

A resource list is as of `at`, the store's clock when it was asked for: it holds what was stamped before that
second (a write in flight commits first), and its parts keep that bound, so a change while they are read moves
a record out of the list rather than into it twice; a change list from `at` has the rest, as consecutive
OAI-PMH harvests tile time. The store keeps each record's latest state, so a change list names each resource
once, with its latest change: deleted for a tombstone, created when the record still has its first datestamp,
else updated.
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

from flask import Blueprint, Flask, Response, current_app

from metadata.crosswalks.xmltext import xml_attribute
from metadata.record import second_before
from metadata.store.base import CHANGES, RESOURCES, Entry, iter_entries
from provider.views import sitemaps, urls
from provider.views.sitemaps import (Item, Part, datestamp_argument, document, local_urls, part_arguments, parts,
                                     requested_part, xml)

blueprint = Blueprint("resourcesync", __name__)
CONTENT_TYPE = re.compile(r"[\w-]+/[\w-]+")  # resourcesync.xsd contentType
GENERIC_XML = "application/xml"


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    sitemaps.init_app(app)


def _up(endpoint: str) -> tuple[str, dict]:
    return "ln", {"rel": "up", "href": urls.external_url(endpoint)}


@blueprint.get("/.well-known/resourcesync")
def source_description() -> Response:
    """§8: the one capability list, and the home page as what describes this source."""
    head = [("ln", {"rel": "describedby", "href": urls.external_url("pages.home")}),
            ("md", {"capability": "description"})]
    items = [Item(urls.external_url("resourcesync.capability_list"), md={"capability": "capabilitylist"})]
    return xml(document(False, head, items))


@blueprint.get("/resourcesync/capabilitylist.xml")
def capability_list() -> Response:
    """§9: a resource list and a change list."""
    head = [_up("resourcesync.source_description"), ("md", {"capability": "capabilitylist"})]
    items = [Item(urls.external_url("resourcesync.resource_list"), md={"capability": "resourcelist"}),
             Item(urls.external_url("resourcesync.change_list"), md={"capability": "changelist"})]
    return xml(document(False, head, items))


def media_type(declared: str) -> str:
    """What rs:md's type can say of a format: its media type, or the generic one the schema admits."""
    return declared if CONTENT_TYPE.fullmatch(declared) else GENERIC_XML


class Downloads:
    """What a list line says of a record's download in one format: its URL and rs:md. Made in the view, since
    a list is read while the response streams, outside the request."""

    def __init__(self):
        formats = current_app.extensions["formats"]
        self.store = current_app.extensions["store"]
        self.url = {prefix: local_urls("downloads.record_file", prefix=prefix) for prefix in formats}
        # the one attribute constant per format, escaped once (the writer takes attributes as a string)
        self.type = {prefix: f' type="{xml_attribute(media_type(fmt.media_type))}"' for prefix, fmt in formats.items()}

    def loc(self, entry: Entry) -> Optional[str]:
        """None for a format this app no longer serves, or an identifier outside this repository."""
        make = self.url.get(entry.prefix)
        return make(entry.identifier) if make else None

    def md(self, entry: Entry, change: str = "") -> str:
        """rs:md's attributes, as the writer takes them escaped: hex digits and a number need no escaping."""
        return f'{change} hash="sha-256:{entry.hash}" length="{entry.length}"' + self.type[entry.prefix]


def _index_or_part(endpoint: str, kind: str, at: Optional[str], from_: Optional[str] = None):
    """The documents of a new list as of now (an index when there are several, else the one part), or the
    part a request names: (at, the part or None for an index, the index's items)."""
    if at is not None:
        return at, requested_part(kind), []
    at = urls.repository().harvest_start()
    documents = parts(kind, from_, second_before(at))
    if len(documents) == 1:
        return at, documents[0], []
    extra = {"from": from_} if from_ else {}
    return at, None, [Item(urls.external_url(endpoint, at=at, **extra, **part_arguments(part))) for part in documents]


@blueprint.get("/resourcesync/resourcelist.xml")
def resource_list() -> Response:
    """§10: every live record's download in every format, as of at; past URLS_PER_DOCUMENT, an index."""
    requested = datestamp_argument("at")
    at, part, index_items = _index_or_part("resourcesync.resource_list", RESOURCES, requested)
    head = [_up("resourcesync.capability_list"), ("md", {"capability": "resourcelist", "at": at})]
    if part is None:
        return xml(document(True, head, index_items))
    if requested is not None:
        head.insert(1, ("ln", {"rel": "index", "href": urls.external_url("resourcesync.resource_list")}))
    return xml(document(False, head, _resources(Downloads(), part, second_before(at))))


def _resources(downloads: Downloads, part: Part, until: str) -> Iterator[Item]:
    for entry in iter_entries(downloads.store, RESOURCES, part.after, part.through, None, until, sitemaps.PAGE):
        loc = downloads.loc(entry)
        if loc:
            yield loc, entry.datestamp, downloads.md(entry)  # an Item, as a plain tuple: a million of them


@blueprint.get("/resourcesync/changelist.xml")
def change_list() -> Response:
    """§12: the latest change of every download stamped from `from` (default: the first datestamp) to at."""
    from_, requested = datestamp_argument("from"), datestamp_argument("at")
    at, part, index_items = _index_or_part("resourcesync.change_list", CHANGES, requested, from_)
    start = from_ or urls.repository().store.earliest_datestamp() or at
    if part is None:
        head = [_up("resourcesync.capability_list"), ("md", {"capability": "changelist", "from": start, "until": at})]
        return xml(document(True, head, index_items))
    # A part covers the time from its first change to its last: where the positions it lies between are.
    md = {"capability": "changelist", "from": part.after[0] if part.after else start,
          "until": part.through[0] if part.through else at}
    head = [_up("resourcesync.capability_list"), ("md", md)]
    if requested is not None:
        head.insert(1, ("ln", {"rel": "index", "href": urls.external_url("resourcesync.change_list")}))
    return xml(document(False, head, _changes(Downloads(), part, from_, second_before(at))))


def _changes(downloads: Downloads, part: Part, from_: Optional[str], until: str) -> Iterator[Item]:
    for entry in iter_entries(downloads.store, CHANGES, part.after, part.through, from_, until, sitemaps.PAGE):
        loc = downloads.loc(entry)
        if not loc:
            continue
        change = f' change="{_change(entry)}" datetime="{xml_attribute(entry.datestamp)}"'
        yield loc, entry.datestamp, change if entry.hash is None else downloads.md(entry, change)


def _change(entry: Entry) -> str:
    if entry.hash is None:
        return "deleted"
    return "created" if entry.created == entry.datestamp else "updated"
