"""Absolute URLs as harvesters and browsers must use them, in one place: OAI_BASE_URL when it is set, else
where this request arrived (scheme, host, port, script root; X-Forwarded-* only from trusted proxies,
provider/app.py). So Identify's baseURL, the request echo and every link agree with where we answer."""
from __future__ import annotations

from dataclasses import replace

from flask import current_app, request, url_for

from provider.oai.repository import Repository


OAI_PATH = "/oai"  # where the OAI-PMH endpoint is routed (provider/views/oai.py)


def oai_base_url() -> str:
    # the request's root as werkzeug reads it: what url_for would give, at a fraction of the cost per request
    return current_app.extensions["repository"].base_url or request.root_url.rstrip("/") + OAI_PATH


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of a view: beside the configured OAI endpoint, or on this request's own root."""
    configured = current_app.extensions["repository"].base_url
    if not configured:
        return url_for(endpoint, _external=True, **values)
    root = configured[:-len("/oai")] if configured.endswith("/oai") else configured.rsplit("/", 1)[0]
    return root + url_for(endpoint, **values)[len(request.script_root):]


def repository() -> Repository:
    """The app's repository as this request sees it (its base URL)."""
    configured = current_app.extensions["repository"]
    return configured if configured.base_url else replace(configured, base_url=oai_base_url())
