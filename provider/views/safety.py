"""The last line of defence: no response shows internals, and every HTML page carries security headers.

An unexpected exception is logged with its traceback and answered without one: on /oai with 503 and
Retry-After (OAI-PMH §3.1.2.2: a harvester retries later, which is right for a database that is briefly
away), elsewhere with a generic 500. HTTP errors (404, 405, 413, ...) keep their own short answers.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

RETRY_AFTER_SECONDS = 5  # a transient fault (a database restarting): seconds, not a minute of a harvest
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    app.register_error_handler(Exception, unexpected_error)
    app.after_request(security_headers)


def unexpected_error(exc: Exception):
    if isinstance(exc, HTTPException):
        original = getattr(exc, "original_exception", None) if isinstance(exc, InternalServerError) else None
        if original is None:
            return exc
        exc = original
    current_app.logger.error("unexpected error on %s %r from %s", request.method, request.path,
                             request.remote_addr, exc_info=exc)
    if request.endpoint == "oai.endpoint":
        return Response("The service is temporarily unavailable; please retry later.\n", status=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, content_type="text/plain; charset=utf-8")
    if request.path.startswith("/api/"):
        response = jsonify(error="internal error", messages=[])
        response.status_code = 500
        return response
    return Response("Internal server error.\n", status=500, content_type="text/plain; charset=utf-8")


def security_headers(response: Response) -> Response:
    """Headers a page has not set itself; nosniff on every response, the policy on HTML."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
