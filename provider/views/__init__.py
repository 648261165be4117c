"""The web layer: thin Flask adapters over the protocol and the store."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from provider.views.oai import blueprint as oai

    app.register_blueprint(oai)
    from provider.views import api, limits, safety

    limits.init_app(app)  # first: a client over its rate is refused before anything else runs
    api.init_app(app)
    safety.init_app(app)
    from provider.views import downloads, pages

    app.register_blueprint(downloads.blueprint)
    pages.init_app(app)  # home, landing pages, error pages, the OAI stylesheet
