"""Sitemaps for indexers (sitemaps.org 0.9): /sitemap.xml, an index over every live record's landing page in
documents of at most URLS_PER_DOCUMENT, and /robots.txt naming it. Also the writer that ResourceSync's lists
share (provider/views/resourcesync.py): a <urlset> or <sitemapindex> streamed through lxml's incremental writer,
entries read from the store a keyset page at a time, so memory does not grow with the repository.

A listing is cut into documents where the store says (Store.splits); each document is named by the keyset
positions it lies between (`after`, exclusive, and `through`, inclusive, as repeated query arguments), so
reading one costs one index range, however deep.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator, NamedTuple, Optional

from flask import Blueprint, Flask, Response, abort, current_app, request
from lxml import etree

from metadata.crosswalks.xmltext import attributes
from metadata.record import xml_text
from metadata.store.base import KEYSETS, PAGES, iter_entries
from provider.oai.arguments import parse_datestamp
from provider.oai.envelope import ChunkSink
from provider.oai.errors import BadArgument
from provider.views import urls
from provider.views.downloads import identifier_of

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
RS_NS = "http://www.openarchives.org/rs/terms/"
URLS_PER_DOCUMENT = 50_000  # the Sitemap protocol's limit per document (and ResourceSync's)
FLUSH_BYTES = 64 * 1024
PAGE = 1000  # entries read from the store at a time
CONTENT_TYPE = "application/xml"
MARKER = "SITEMAP-LOCAL-ID"
UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]+\Z")  # what no converter quotes: most local ids, passed as they are

blueprint = Blueprint("sitemaps", __name__)


class Item(NamedTuple):
    """One <url> (or <sitemap>): where, when last changed, and its rs:md attributes (ResourceSync)."""

    loc: str
    lastmod: Optional[str] = None
    md: Optional[dict | str] = None  # a str: the attributes as written, escaped (xmltext.attributes)


class Part(NamedTuple):
    """A document of a listing: the entries after one position and up to another (None: from the start, to
    the end)."""

    after: Optional[tuple]
    through: Optional[tuple]


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)


# --- the writer -----------------------------------------------------------------------------------------

def sm(name: str) -> str:
    return f"{{{SITEMAP_NS}}}{name}"


def rs(name: str) -> str:
    return f"{{{RS_NS}}}{name}"


def document(index: bool, head: Iterable[tuple[str, dict]], items: Iterable[Item]) -> Iterator[bytes]:
    """A <urlset> (or with index a <sitemapindex>) in chunks of about FLUSH_BYTES: head's rs:ln and rs:md
    elements (name, attributes) first, then an element per item.

    The root and head go through lxml's incremental writer; each item is written as escaped text (entry()),
    after a flush, the way the envelope copies stored records: a million items through xmlfile's elements
    cost 5 µs each, four times what the rest of a line costs, and a resource list must stream at least as
    fast as ListIdentifiers."""
    sink = ChunkSink()
    tag = "sitemap" if index else "url"
    with etree.xmlfile(sink, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(sm("sitemapindex" if index else "urlset"), nsmap={None: SITEMAP_NS, "rs": RS_NS}):
            for name, attrib in head:
                with xf.element(rs(name), attrib):
                    pass
            xf.flush()
            for item in items:
                sink.write(entry(tag, item))
                if sink.size >= FLUSH_BYTES:
                    yield sink.take()
    yield sink.take()


def entry(tag: str, item: Item) -> bytes:
    """One <url> or <sitemap>: every value escaped (metadata.record.xml_text, xmltext.attributes) but rs:md's
    attributes given as a string, escaped by the caller; the rs prefix is the one document() declares."""
    loc, lastmod, md = item
    lastmod = f"<lastmod>{xml_text(lastmod)}</lastmod>" if lastmod else ""
    md = "" if md is None else f"<rs:md{md if md.__class__ is str else attributes(md)}/>"
    return f"<{tag}><loc>{xml_text(loc)}</loc>{lastmod}{md}</{tag}>".encode()


def xml(chunks: Iterator[bytes]) -> Response:
    return Response(chunks, mimetype=CONTENT_TYPE)


# --- listings cut into documents ------------------------------------------------------------------------

def parts(kind: str, from_: Optional[str] = None, until: Optional[str] = None) -> list[Part]:
    """The documents a listing is cut into: one when it fits in URLS_PER_DOCUMENT."""
    bounds = [None, *urls.repository().store.splits(kind, URLS_PER_DOCUMENT, from_, until), None]
    return [Part(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def part_arguments(part: Part) -> dict:
    """A part as query arguments: each position as the repeated values of its keyset."""
    return {name: list(position) for name, position in (("after", part.after), ("through", part.through))
            if position is not None}


def requested_part(kind: str) -> Part:
    """The part a request names; 400 when a position does not have its keyset's length."""
    bounds = []
    for name in ("after", "through"):
        values = request.args.getlist(name)
        if values and len(values) != len(KEYSETS[kind]):
            abort(400, description=f"{name} takes {len(KEYSETS[kind])} values ({', '.join(KEYSETS[kind])}).")
        bounds.append(tuple(values) or None)
    return Part(*bounds)


def datestamp_argument(name: str, end_of_day: bool = False) -> Optional[str]:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return parse_datestamp(value, name, end_of_day)[0]
    except BadArgument as error:
        abort(400, description=error.message)


def local_urls(endpoint: str, **values) -> Callable[[str], Optional[str]]:
    """A function from an identifier to the absolute URL of a view of its record (None for an identifier
    outside this repository): urls.external_url's, computed once with a marker and filled in per record the
    way the route's converter quotes a local id, so a million URLs do not cost a million url_for calls."""
    head, tail = urls.external_url(endpoint, local_id=MARKER, **values).split(MARKER)
    quote = current_app.url_map.converters["path"](current_app.url_map).to_url
    namespace = identifier_of("")
    start = len(namespace)

    def make(identifier: str) -> Optional[str]:
        if not identifier.startswith(namespace) or len(identifier) == start:
            return None
        local = identifier[start:]
        return head + (local if UNRESERVED.match(local) else quote(local)) + tail
    return make


# --- sitemaps for indexers ------------------------------------------------------------------------------

@blueprint.get("/sitemap.xml")
def index() -> Response:
    """The index over landing pages, 404 while there are none. A document's lastmod is its last record's
    datestamp, but the last document's, which is open-ended."""
    documents = parts(PAGES)
    if documents == [Part(None, None)] and not urls.repository().store.entries(PAGES, None, None, 1):
        abort(404, description="There are no records yet.")
    items = [Item(urls.external_url("sitemaps.pages", **part_arguments(part)), part.through and part.through[0])
             for part in documents]
    return xml(document(True, [], items))


@blueprint.get("/sitemaps/pages.xml")
def pages() -> Response:
    """One document of landing pages, each with its record's datestamp."""
    part = requested_part(PAGES)
    landing = local_urls("pages.record")
    store = urls.repository().store
    entries = iter_entries(store, PAGES, part.after, part.through, page=PAGE)
    items = (Item(loc, entry.datestamp) for entry, loc in _bounded(entries, landing) if loc)
    return xml(document(False, [], items))


def _bounded(entries, url: Callable[[str], Optional[str]]):
    """Entries with their URLs, at most URLS_PER_DOCUMENT (the last part of a listing is open-ended)."""
    for count, entry in enumerate(entries):
        if count == URLS_PER_DOCUMENT:
            return
        yield entry, url(entry.identifier)


@blueprint.get("/robots.txt")
def robots() -> Response:
    """Every page may be crawled; the sitemap says which there are (sitemaps.org: the Sitemap directive)."""
    body = f"User-agent: *\nAllow: /\n\nSitemap: {urls.external_url('sitemaps.index')}\n"
    return Response(body, mimetype="text/plain")

