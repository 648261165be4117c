"""The web layer: thin Flask adapters over the protocol and the store."""
from __future__ import annotations

from flask import Flask

from provider.views import api, downloads, limits, oai, pages, resourcesync, safety, signposting


def register(app: Flask) -> None:
    limits.init_app(app)  # first: a client over its rate is refused before anything else runs
    app.register_blueprint(oai.blueprint)
    api.init_app(app)
    safety.init_app(app)
    downloads.init_app(app)
    signposting.init_app(app)  # Link headers on pages and downloads, linkset documents
    pages.init_app(app)  # home, landing pages, error pages, the OAI stylesheet
    resourcesync.init_app(app)  # ResourceSync 1.1, /sitemap.xml and /robots.txt
