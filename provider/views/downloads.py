"""XML downloads: one record in one format (`/records/<local id>.<prefix>.xml`) and the whole repository in one
gzip-compressed document (`/download/<prefix>.xml.gz`). Stored, validated bytes are sent as they are."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.routing import BaseConverter

from metadata.record import XML_DECLARATION
from metadata.store.base import ListQuery
from provider.views import signposting, urls
from provider.views.export import document, gzipped

blueprint = Blueprint("downloads", __name__)


def init_app(app: Flask) -> None:
    """Routes that name a format match exactly the app's formats (so `a.b.mods.xml` is record `a.b`)."""

    class FormatPrefix(BaseConverter):
        regex = "(?:" + "|".join(re.escape(p) for p in app.extensions["formats"]) + ")"

    app.url_map.converters["format_prefix"] = FormatPrefix
    app.register_blueprint(blueprint)


def _prefixes() -> str:
    return ", ".join(current_app.extensions["formats"])


def identifier_of(local_id: str) -> str:
    return current_app.extensions["pipeline"].identifier(local_id)


def xml_response(identifier: str, prefix: str, filename: str | None = None) -> Response:
    """The record's stored bytes in prefix with validators for conditional requests: 404 when there is no such
    record in that format, 410 when it was deleted. With filename, a download (Content-Disposition)."""
    stored = current_app.extensions["store"].get(identifier, prefix)
    if stored is None:
        abort(404, description=f"There is no record {identifier} in the format {prefix}.")
    if stored.metadata is None:
        abort(410, description=f"The record {identifier} was withdrawn on {stored.header.datestamp}.")
    response = Response(XML_DECLARATION + stored.metadata, mimetype=current_app.extensions["formats"][prefix].media_type)
    # Datestamps have second granularity; the bytes make two changes within one second two tags.
    tag = hashlib.sha256(f"{identifier}\0{stored.header.datestamp}\0{prefix}\0".encode() + stored.metadata)
    response.set_etag(tag.hexdigest()[:32])
    response.last_modified = datetime.strptime(stored.header.datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response.make_conditional(request)


def _download_name(local_id: str, prefix: str) -> str:
    """The suggested file name: the local id with characters a file system or the header would choke on
    replaced."""
    safe = "".join(c if c.isalnum() or c in "-_.()" else "_" for c in local_id)
    return f"{safe}.{prefix}.xml"


@blueprint.get("/records/<path:local_id>.<format_prefix:prefix>.xml")
def record_file(local_id: str, prefix: str) -> Response:
    return signposting.sign(xml_response(identifier_of(local_id), prefix, _download_name(local_id, prefix)),
                            local_id, prefix)


@blueprint.get("/download/<prefix>.xml.gz")
def bulk(prefix: str) -> Response:
    """The whole repository in prefix, compressed while it streams (see provider/views/export.py)."""
    repository = urls.repository()
    if prefix not in repository.formats:
        abort(404, description=f"There is no metadata format {prefix}; try one of {_prefixes()}.")
    if repository.store.count(ListQuery(prefix)) == 0:
        abort(404, description=f"There are no records in {prefix} yet.")
    return Response(gzipped(document(repository, prefix)), mimetype="application/gzip", headers={
        "Content-Disposition": f'attachment; filename="{prefix}.xml.gz"', "X-Content-Type-Options": "nosniff"})
