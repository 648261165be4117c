"""The /oai endpoint: request arguments in (GET query or POST form, §3.1.1), the response's pieces out.

Every answer on /oai leaves through answer(): the endpoint's, the argument limit's (provider/views/limits.py)
and HTTP errors on /oai (provider/views/safety.py). So every one is negotiated, compressed and Vary-ed alike:
- Representation: the protocol's XML, byte for byte, unless the client prefers HTML the way a browser does
  (wants_html); then the same response is shown as a page built on the server (provider/views/oai_page.py),
  since browsers are dropping XSLT and Chromium already marks pages that use it.
- Compression (§3.1.3) follows Accept-Encoding: gzip or deflate, announced in Identify.
"""
from __future__ import annotations

import zlib
from typing import Iterable, Iterator, Optional

from flask import Blueprint, Response, current_app, request

from provider.oai.errors import OAIError
from provider.oai.verbs import error_response, respond, utc_now
from provider.views import oai_page, urls

blueprint = Blueprint("oai", __name__)
PATH = urls.OAI_PATH
CONTENT_TYPE = "text/xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
ENCODINGS = {"gzip": 31, "deflate": 15}  # zlib wbits: gzip container, zlib (HTTP "deflate") container
VARY = "Accept-Encoding, Accept"
XML_TYPES = ("text/xml", "application/xml")
# What a client names when it weighs HTML against XML. Every browser's Accept for a page names them
# ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"); a harvester's does not.
COMPARED_WITH_HTML = frozenset(XML_TYPES + ("application/xhtml+xml",))


def _compressed(chunks: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    for chunk in chunks:
        data = compressor.compress(chunk)
        if data:
            yield data
    yield compressor.flush()


def _encoding() -> str | None:
    accepted = request.accept_encodings
    for name in ENCODINGS:
        if accepted[name] > 0:
            return name
    return None


def wants_html() -> bool:
    """True when the client ranks text/html above every XML type and named XML or XHTML while doing so, as a
    browser does. Nothing else gets a page: no Accept, */*, text/xml, application/xml, a tie, or a library's
    default that never mentions XML (Java's HttpURLConnection sends "text/html, image/gif, image/jpeg, *;
    q=.2, */*; q=.2", which harvesters built on it send unchanged and which werkzeug reads as HTML only)."""
    accept = request.accept_mimetypes
    if not COMPARED_WITH_HTML & {value for value, _ in accept}:
        return False
    return accept["text/html"] > max(accept[kind] for kind in XML_TYPES)


def stylesheet() -> Optional[str]:
    return current_app.extensions.get("oai_stylesheet")


def encoded(chunks: Iterable[bytes], content_type: str, status: int = 200,
            headers: Optional[dict] = None) -> Response:
    """The bytes as sent on /oai: compressed when the client asks, and Vary-ed on what chose them."""
    headers = {**(headers or {}), "Vary": VARY}
    encoding = _encoding()
    if encoding:
        chunks = list(_compressed(chunks, ENCODINGS[encoding]))
        headers["Content-Encoding"] = encoding
    return Response(chunks, status=status, content_type=content_type, headers=headers)


def answer(chunks: Iterator[bytes], status: int = 200, headers: Optional[dict] = None) -> Response:
    """An OAI-PMH response document: streamed as it is, or for a browser its page."""
    if wants_html():
        page = oai_page.render(b"".join(chunks), urls.repository())
        return encoded([page.encode("utf-8")], HTML_TYPE, status, headers)
    # A response is at most a page: held whole, it is sent with a Content-Length, piece by piece, so the
    # server neither frames chunks (a copy of each) nor learns of a failure after the status went out.
    return encoded(list(chunks), CONTENT_TYPE, status, headers)


def error(problem: OAIError, status: int = 200, headers: Optional[dict] = None) -> Response:
    """§3.6 errors for a request refused before its verb ran (no request echo: the codes used are badArgument)."""
    return answer(error_response(problem, {}, urls.repository(), utc_now(), stylesheet()), status, headers)


@blueprint.route(PATH, methods=["GET", "POST"])
def endpoint() -> Response:
    args = (request.form if request.method == "POST" else request.args).to_dict(flat=False)
    return answer(respond(args, urls.repository(), stylesheet()))
