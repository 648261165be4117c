"""The write API for repository systems that push records, and the guard that keeps every write behind a token.

  PUT    /api/records/<local id>  body: one MODS (or oai_dc) document, stored under the local id in the URL
                                  -> 201 created, 200 updated or unchanged: {"identifier", "datestamp", "status"}
  DELETE /api/records/<local id>  -> 204 (no body; the tombstone's identifier and datestamp in the
                                  OAI-Identifier and OAI-Datestamp headers), 404 when there is no such record
  POST   /api/records             body: a modsCollection (or one mods) whose records name their local ids in
                                  recordInfo/recordIdentifier; validated whole, stored in one transaction,
                                  all or nothing -> 201 if any record was created, else 200: {"records": [...]}

Bodies take the path of `oai-provider ingest` (Pipeline.prepare: safe parsing, schema validation of every
format; store.put: one transaction). Errors are JSON {"error", "messages"}: 400 invalid record, 401 no
token (with WWW-Authenticate), 403 wrong token, 404, 413 body over MAX_CONTENT_LENGTH. Every refusal is
logged with the client address.

The guard is app-wide: PUT, POST, DELETE and PATCH on any route need a valid bearer token, except the
read-only POST forms in READ_FORMS (OAI-PMH allows POST for its requests, §3.1.1), so a write route added
later is protected without anyone remembering to.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from metadata.validate import InvalidRecord
from provider.api_tokens import TokenError, TokenRegistry

blueprint = Blueprint("api", __name__, url_prefix="/api")
UNSAFE_METHODS = frozenset({"PUT", "POST", "DELETE", "PATCH"})
READ_FORMS = frozenset({"oai.endpoint"})
REALM = 'Bearer realm="oai-provider"'
BATCH_SOURCE = "POST /api/records"


def init_app(app: Flask) -> None:
    app.extensions["api_tokens"] = TokenRegistry(Path(app.instance_path), app.config["API_TOKENS"])
    app.before_request(require_token)
    app.register_blueprint(blueprint)


def _refuse(status: int, error: str, messages: list[str] = (), headers: dict | None = None) -> Response:
    current_app.logger.warning("refused %s %r from %s: %d %s%s", request.method, request.path,
                               request.remote_addr, status, error, f": {messages[0][:300]}" if messages else "")
    response = jsonify(error=error, messages=list(messages))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def require_token() -> Response | None:
    """Before every request: an unsafe method needs `Authorization: Bearer <token>` naming a known token."""
    if request.method not in UNSAFE_METHODS or request.endpoint in READ_FORMS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _refuse(401, "a bearer token is required", headers={"WWW-Authenticate": REALM})
    registry = current_app.extensions["api_tokens"]
    try:
        name = registry.identify(token)
    except TokenError as exc:  # an unreadable token file: its tokens are refused, configured ones still work
        current_app.logger.error("%s", exc)
        name = registry.identify(token, include_file=False)
    if name is None:
        return _refuse(403, "the bearer token is not valid")
    g.api_client = name
    return None


def _invalid(message: str) -> Response:
    return _refuse(400, "invalid record", [message])


def _result(result) -> dict:
    return {"identifier": result.identifier, "datestamp": result.datestamp, "status": result.status}


def _log_write(what: str) -> None:
    current_app.logger.info("%s by token %r from %s", what, g.get("api_client"), request.remote_addr)


def _records(source: str, local_id: str | None = None, named: bool = False):
    """The body's records, all or nothing (an InvalidRecord otherwise): a deletion is sent with DELETE."""
    records = current_app.extensions["pipeline"].prepare(request.get_data(cache=False), source, local_id, named)
    for record in records:
        if record.deleted:
            raise InvalidRecord(record.source, "a deleted record is not stored: send DELETE /api/records/<local id>")
    return records


@blueprint.put("/records/<path:local_id>")
def put_record(local_id: str) -> Response:
    pipeline = current_app.extensions["pipeline"]
    try:
        records = _records(f"PUT /api/records/{local_id}", local_id)
    except InvalidRecord as exc:
        return _invalid(str(exc))
    if len(records) != 1 or records[0].identifier != pipeline.identifier(local_id):
        return _invalid("PUT takes one mods or oai_dc document; send a modsCollection with POST /api/records")
    result = current_app.extensions["store"].put(records)[0]
    _log_write(f"{result.status} {result.identifier}")
    return jsonify(_result(result)), 201 if result.status == "created" else 200


@blueprint.delete("/records/<path:local_id>")
def delete_record(local_id: str) -> Response:
    identifier = current_app.extensions["pipeline"].identifier(local_id)
    header = current_app.extensions["store"].delete(identifier)
    if header is None:
        return _refuse(404, "no such record", [identifier])
    _log_write(f"deleted {identifier}")
    return Response(status=204, headers={"OAI-Identifier": header.identifier, "OAI-Datestamp": header.datestamp})


@blueprint.post("/records")
def post_records() -> Response:
    try:
        records = _records(BATCH_SOURCE, named=True)
    except InvalidRecord as exc:
        return _invalid(str(exc))
    if not records:
        return _invalid("the batch holds no records")
    seen: set[str] = set()
    for record in records:
        if record.identifier in seen:
            return _invalid(f"{record.identifier} appears more than once in the batch")
        seen.add(record.identifier)
    results = current_app.extensions["store"].put(records)
    _log_write(f"batch of {len(results)}")
    created = any(r.status == "created" for r in results)
    return jsonify(records=[_result(r) for r in results]), 201 if created else 200
