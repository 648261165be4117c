"""The /oai endpoint: request arguments in (GET query or POST form, §3.1.1), streamed bytes out.

Compression (§3.1.3) follows Accept-Encoding: gzip or deflate, announced in Identify.
"""
from __future__ import annotations

import zlib
from typing import Iterator

from flask import Blueprint, Response, current_app, request

from provider.oai.verbs import respond
from provider.views import urls

blueprint = Blueprint("oai", __name__)
CONTENT_TYPE = "text/xml; charset=utf-8"
ENCODINGS = {"gzip": 31, "deflate": 15}  # zlib wbits: gzip container, zlib (HTTP "deflate") container


def _compressed(chunks: Iterator[bytes], wbits: int) -> Iterator[bytes]:
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


@blueprint.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    args = (request.form if request.method == "POST" else request.args).to_dict(flat=False)
    chunks = respond(args, urls.repository(), current_app.extensions.get("oai_stylesheet"))
    headers = {"Vary": "Accept-Encoding"}
    encoding = _encoding()
    if encoding:
        chunks = _compressed(chunks, ENCODINGS[encoding])
        headers["Content-Encoding"] = encoding
    return Response(chunks, content_type=CONTENT_TYPE, headers=headers)
