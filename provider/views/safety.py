"""One place for what goes wrong and for the security headers: every error is answered here, in the language of
where it happened, and every HTML response carries the one Content-Security-Policy. No answer shows internals.

- Under /api: JSON {"error", "messages"} (the write API's own refusals have that shape too), logged with the
  client's address.
- On /oai: OAI-PMH XML through the endpoint's own response path (provider/views/oai.answer: compressed as
  asked, Vary-ed, a page for a browser): an HTTP error (405, 413, ...) keeps its status and headers and its
  body is a badArgument document (§3.6); a 5xx (the rate limit's 503) and an unexpected exception (503 with
  Retry-After, §3.1.2.2: a harvester retries later, right for a database that is briefly away) get a line of
  text, since OAI-PMH has no error code for "later": the status says it.
- Elsewhere: an HTML page, templates/error.html.
An unexpected exception is logged with its traceback and answered as a 500 (503 on /oai) without one.
"""
from __future__ import annotations

from typing import Optional

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from provider.oai.errors import BadArgument
from provider.views import api, oai

RETRY_AFTER_SECONDS = 5  # a transient fault (a database restarting): seconds, not a minute of a harvest
# Records are untrusted text: no page runs a script, so none may (a JSON-LD block is data, not script).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
UNAVAILABLE = "The service is temporarily unavailable; please retry later.\n"


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    app.after_request(security_headers)


def _area() -> str:
    """'oai', 'api' or 'page', by path: a request refused before routing (405, 413) has no endpoint."""
    path, prefix = request.path, api.blueprint.url_prefix
    if path == oai.PATH:
        return "oai"
    return "api" if path == prefix or path.startswith(prefix + "/") else "page"


def http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc  # redirects and proxies: not errors
    original = getattr(exc, "original_exception", None) if isinstance(exc, InternalServerError) else None
    if original is not None:  # Flask's wrapper for an exception no handler took
        return unexpected_error(original)
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    area = _area()
    if area == "api":
        current_app.logger.warning("refused %s %r from %s: %d %s", request.method, request.path,
                                   request.remote_addr, exc.code, exc.name)
        return _json(exc.code, exc.name, [exc.description or ""], headers)
    if area == "oai":
        if exc.code >= 500:  # OAI-PMH has no code for "later": the status says it, the text says why
            return oai.encoded([f"{exc.description}\n".encode()], "text/plain; charset=utf-8", exc.code, headers)
        return oai.error(BadArgument(f"{exc.code} {exc.name}: {exc.description}"), exc.code, headers)
    return _page(exc, headers)


def unexpected_error(exc: Exception):
    current_app.logger.error("unexpected error on %s %r from %s", request.method, request.path,
                             request.remote_addr, exc_info=exc)
    area = _area()
    if area == "oai":
        return oai.encoded([UNAVAILABLE.encode()], "text/plain; charset=utf-8", 503,
                           {"Retry-After": str(RETRY_AFTER_SECONDS)})
    if area == "api":
        return _json(500, "internal error", [])
    return _page(InternalServerError())


def _json(status: int, error: str, messages: list[str], headers: Optional[dict] = None) -> Response:
    response = jsonify(error=error, messages=messages)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _page(error: HTTPException, headers: Optional[dict] = None) -> Response:
    try:
        body = render_template("error.html", error=error)
    except Exception:  # the page itself failed (the fault may be what renders it): say it plainly
        current_app.logger.exception("the error page for %d could not be rendered", error.code)
        return Response(f"{error.code} {error.name}\n", status=error.code, headers=headers,
                        content_type="text/plain; charset=utf-8")
    return Response(body, status=error.code, headers=headers, content_type="text/html; charset=utf-8")


def security_headers(response: Response) -> Response:
    """nosniff on every response; on HTML the one policy, whoever built the page."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
