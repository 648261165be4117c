"""Absolute URLs as harvesters and browsers must use them, in one place: OAI_BASE_URL when it is set, else
where this request arrived (scheme, host, port, script root; X-Forwarded-* only from trusted proxies,
provider/app.py). So Identify's baseURL, the request echo and every link agree with where we answer."""
from __future__ import annotations

from dataclasses import replace

from flask import current_app, request, url_for

from provider.oai.repository import Repository


KNOWN_ROOTS = 64  # request roots whose Repository is kept (a Host header is the client's to choose)


def oai_base_url() -> str:
    # the request's root as werkzeug reads it (url_for would give the same, at several times the cost)
    return current_app.extensions["repository"].base_url or request.root_url + "oai"


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of a view: beside the configured OAI endpoint, or on this request's own root."""
    configured = current_app.extensions["repository"].base_url
    if not configured:
        return url_for(endpoint, _external=True, **values)
    root = configured[:-len("/oai")] if configured.endswith("/oai") else configured.rsplit("/", 1)[0]
    return root + url_for(endpoint, **values)[len(request.script_root):]


def _same_settings(copy: Repository, configured: Repository) -> bool:
    """Whether a kept copy still has every setting of the configured repository (tests and `rederive` may
    change one in place); identity, not equality: a miss only makes a new copy."""
    return all(getattr(copy, name) is getattr(configured, name) for name in vars(configured) if name != "base_url")


def repository() -> Repository:
    """The app's repository as this request sees it (its base URL): made once per root it is reached at."""
    configured = current_app.extensions["repository"]
    if configured.base_url:
        return configured
    seen = current_app.extensions.setdefault("repository_by_root", {})
    base_url = oai_base_url()
    found = seen.get(base_url)
    if found is None or not _same_settings(found, configured):
        if len(seen) >= KNOWN_ROOTS:
            seen.clear()
        found = seen[base_url] = replace(configured, base_url=base_url)
    return found
