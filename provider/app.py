"""create_app(): configuration, the store, the repository description, blueprints and the CLI.

Configuration is read once, here, and turned into objects kept on app.extensions; nothing else reads
app.config for the protocol.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Optional

from flask import Config, Flask
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from metadata.formats import Site, standard_formats
from metadata.pipeline import Pipeline
from metadata.sets import ConfiguredSet
from metadata.store import SetInfo, open_store
from metadata.validate import Validator
from provider import settings
from provider.settings import ConfigError

SEED = Path(__file__).resolve().parents[1] / "metadata" / "seed"


def _instance_folder(test_config: Optional[dict]) -> Path:
    folder = (test_config or {}).get("INSTANCE") or os.environ.get("OAI_INSTANCE") or "instance"
    return Path(folder).resolve()


def load_config(instance: Path, test_config: Optional[dict] = None) -> dict[str, Any]:
    """defaults < instance/config.py < OAI_* environment < test_config, every key checked once."""
    values: dict[str, Any] = {}
    for source in ("file", "env"):
        layer = Config(str(instance))
        if source == "file":
            layer.from_pyfile("config.py", silent=True)
            origin = f"{instance / 'config.py'}: "
        else:
            layer.from_prefixed_env("OAI")
            origin = "environment variable "
        for key in layer:
            if key not in settings.BY_NAME:
                raise ConfigError(f"{origin}OAI_{key}: unknown configuration key")
        values.update(layer)
    for key in test_config or {}:
        if key not in settings.BY_NAME and key != "TESTING":
            raise ConfigError(f"OAI_{key}: unknown configuration key")
    values.update(test_config or {})
    values["INSTANCE"] = str(instance)
    return settings.check(values)


def secret_key(instance: Path, configured: Optional[str]) -> str:
    """The configured key, else the instance's generated one (created on first start)."""
    if configured:
        return configured
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def configured_sets(entries: list) -> tuple[ConfiguredSet, ...]:
    result = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("spec") or not entry.get("name"):
            raise ConfigError(f"OAI_SETS: each set needs a spec and a name, got {entry!r}")
        result.append(ConfiguredSet(entry["spec"], entry["name"], entry.get("description", ""),
                                    frozenset(entry.get("identifiers", ())), entry.get("rule", "")))
    return tuple(result)


class NoSessions(SessionInterface):
    """The provider keeps no state per visitor: no session cookie is read, signed or set. Flask's default
    builds a signing serializer for every request, which cost a fifth of a GetRecord's time in the app."""

    def open_session(self, app: Flask, request) -> None:
        return None  # Flask then uses a null session, and never saves it

    def save_session(self, app: Flask, session, response) -> None:
        return None


def create_app(test_config: Optional[dict] = None) -> Flask:
    instance = _instance_folder(test_config)
    config = load_config(instance, test_config)
    app = Flask(__name__, instance_path=str(instance))
    app.session_interface = NoSessions()
    app.config.update(config, TESTING=bool((test_config or {}).get("TESTING")))
    app.config["SECRET_KEY"] = secret_key(instance, config["SECRET_KEY"])
    app.config["SCHEMA_FOLDER"] = str(instance / "schemas")

    store = open_store(config["DATABASE_URL"] or f"sqlite:///{_sqlite_path(instance)}")
    store.create_schema()
    sets = configured_sets(config["SETS"])
    formats = standard_formats()
    # Stored formats carry landing-page URLs, written at ingest where there is no request to take them from.
    site = Site(config["BASE_URL"] or Site.base_url, config["REPOSITORY_NAME"], config["DATACITE_SYMBOL"])
    pipeline = Pipeline(Validator(instance / "schemas"), config["REPOSITORY_IDENTIFIER"], sets, formats, site)
    app.extensions["formats"] = formats
    app.extensions["store"] = store
    app.extensions["pipeline"] = pipeline
    app.extensions["configured_sets"] = sets
    if sets:  # names and descriptions from configuration; memberships are computed at ingest
        store.put_sets(SetInfo(s.spec, s.name, s.description) for s in sets)

    from provider.oai.repository import Repository
    from provider.views import register

    if config["TRUSTED_PROXIES"]:  # only then are X-Forwarded-For/Proto/Host/Port/Prefix believed
        hops = config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    app.extensions["repository"] = Repository.from_config(config, app.config["SECRET_KEY"], store, formats)
    register(app)
    return app


def _sqlite_path(instance: Path) -> Path:
    instance.mkdir(parents=True, exist_ok=True)
    return instance / "oai.sqlite3"
