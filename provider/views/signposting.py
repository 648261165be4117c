"""FAIR Signposting (https://signposting.org/FAIR/), levels 1 and 2, for each live record: typed links in the
Link header (RFC 8288) of its landing page and of its per-record downloads, and the same links as a linkset
document (RFC 9264) in both of its media types. Links come from the record's stored facts, the app's formats
registry and provider/views/urls.py; nothing here parses stored XML or builds an absolute URL by hand.

The linksets live under their own prefixes, `/linkset/<local id>` (application/linkset) and
`/linkset.json/<local id>` (application/linkset+json): a local identifier may hold '/' and '.', so a suffix
on `/records/<local id>` could name another record's landing page.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, request

from metadata.facts import Facts
from provider.views import urls
from provider.views.landing import facts_of

blueprint = Blueprint("signposting", __name__)
LINKSET, LINKSET_JSON = "application/linkset", "application/linkset+json"
# The scholarly object's type and the landing page's own (FAIR Signposting level 1, rel="type").
TYPES = ("https://schema.org/ScholarlyArticle", "https://schema.org/AboutPage")
# What RFC 3986 allows in a URI; anything else in a catalogued URL (quotes, '<', '>', spaces, non-ASCII) is
# percent-encoded, so record text can neither break a Link header nor smuggle a second link into it.
URI_SAFE = "!#$%&'()*+,/:;=?@[]~"
WEB_URL = re.compile(r"https?://[^/\s]", re.I)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)


@dataclass(frozen=True)
class Link:
    """One typed link: from context (a URL of ours) to target."""

    context: str
    rel: str
    target: str
    type: str = ""
    profile: str = ""

    def header_value(self, anchored: bool = False) -> str:
        """As RFC 8288 writes a link; anchored names the context (a linkset must, a response's own need not)."""
        parameters = [("rel", self.rel)] + [(k, v) for k, v in (("type", self.type), ("profile", self.profile)) if v]
        if anchored:
            parameters.append(("anchor", self.context))
        return f"<{self.target}>" + "".join(f'; {k}="{_quoted(v)}"' for k, v in parameters)

    def json_target(self) -> dict:
        return {"href": self.target, **{k: v for k, v in (("type", self.type), ("profile", self.profile)) if v}}


def sign(response: Response, local_id: str, prefix: Optional[str] = None) -> Response:
    """Add the Link header of a record's landing page (prefix None) or of its download in prefix. Only a
    successful (or not-modified) response is signposted: an error page, a 410 for a withdrawn record included,
    carries no links."""
    if response.status_code not in (200, 304):
        return response
    page = urls.external_url("pages.record", local_id=local_id)
    if prefix is None:
        own = [link for link in record_links(local_id) if link.context == page]
    else:
        own = [Link("", "describes", page, "text/html")]  # a metadata resource points to what it describes
    for link in own + _linkset_links(local_id):
        response.headers.add("Link", link.header_value())
    return response


def record_links(local_id: str) -> list[Link]:
    """Every link of one record, its landing page's and its downloads'; [] when it is not a live record."""
    store = current_app.extensions["store"]
    identifier = current_app.extensions["pipeline"].identifier(local_id)
    prefixes = store.formats_of(identifier) or []
    if not prefixes:
        return []
    facts = facts_of(store, identifier, "mods" if "mods" in prefixes else "oai_dc")
    if facts is None:
        return []
    formats = current_app.extensions["formats"]
    page = urls.external_url("pages.record", local_id=local_id)
    downloads = {p: urls.external_url("downloads.record_file", local_id=local_id, prefix=p)
                 for p in prefixes if p in formats}
    links = [Link(page, "cite-as", cite_as(facts) or page)]
    links += [Link(page, "describedby", url, formats[p].media_type, formats[p].namespace)
              for p, url in downloads.items()]
    links += [Link(page, "type", kind) for kind in TYPES]
    orcids = dict.fromkeys(_web_uri(author.orcid) for author in facts.authors)  # in order, once each
    links += [Link(page, "author", orcid) for orcid in orcids if orcid]
    licence = _web_uri(facts.licence)
    if licence:
        links.append(Link(page, "license", licence))
    links += [Link(url, "describes", page, "text/html") for url in downloads.values()]
    return links


def cite_as(facts: Facts) -> str:
    """The DOI's resolver URL; '' when the record has no DOI (then the landing page is the one to cite)."""
    return "https://doi.org/" + quote(facts.doi, safe=URI_SAFE) if facts.doi else ""


def _linkset_links(local_id: str) -> list[Link]:
    return [Link("", "linkset", urls.external_url("signposting.linkset", local_id=local_id), LINKSET),
            Link("", "linkset", urls.external_url("signposting.linkset_json", local_id=local_id), LINKSET_JSON)]


@blueprint.get("/linkset/<path:local_id>")
def linkset(local_id: str) -> Response:
    """RFC 9264 §4.1: the links as a Link header would carry them, one per line, each with its anchor."""
    body = ",\n".join(link.header_value(anchored=True) for link in _links_or_abort(local_id)) + "\n"
    return _document(body, LINKSET)


@blueprint.get("/linkset.json/<path:local_id>")
def linkset_json(local_id: str) -> Response:
    """RFC 9264 §4.2: one context object per anchor, relation types as keys, target objects in arrays."""
    contexts: dict[str, dict] = {}
    for link in _links_or_abort(local_id):
        context = contexts.setdefault(link.context, {"anchor": link.context})
        context.setdefault(link.rel, []).append(link.json_target())
    return _document(json.dumps({"linkset": list(contexts.values())}, indent=1, ensure_ascii=False), LINKSET_JSON)


def _links_or_abort(local_id: str) -> list[Link]:
    """The landing page's answers: 404 for no such record, 410 for a withdrawn one."""
    identifier = current_app.extensions["pipeline"].identifier(local_id)
    header = current_app.extensions["store"].header(identifier)
    if header is None:
        abort(404, description=f"There is no record {local_id} in this repository.")
    if header.deleted:
        abort(410, description=f"The record {identifier} was withdrawn on {header.datestamp}.")
    links = record_links(local_id)
    if not links:
        abort(404, description=f"The record {local_id} has no displayable format.")
    return links


def _document(body: str, media_type: str) -> Response:
    data = body.encode()
    response = Response(data, content_type=media_type)  # RFC 9264 registers no charset: every target is ASCII
    # The links follow the record and the URL it was asked at (the base URL may come from the request).
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    return response.make_conditional(request)


def _web_uri(url: str) -> str:
    """An http(s) URL from record text, percent-encoded where RFC 3986 asks; '' for anything else."""
    url = url.strip()
    return quote(url, safe=URI_SAFE) if WEB_URL.match(url) else ""


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
