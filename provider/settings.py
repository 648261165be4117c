"""Every configuration key, its default, its type and one line of help: the single table README documents.

Keys are set (lowest to highest) by these defaults, the instance folder's config.py, OAI_* environment
variables, and the test_config passed to create_app. check() coerces and validates each key once.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable


class ConfigError(Exception):
    """A configuration key is unknown or its value is invalid; the message names the key."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    coerce: Callable[[Any], Any]
    help: str


def _text(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError("expected a string")
    return str(value)


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1 or str(number) != str(value).strip():
        raise ValueError("expected a positive whole number")
    return number


def _emails(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else [v for v in re.split(r"[,\s]+", _text(value)) if v]
    if not items or not all(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(v)) for v in items):
        raise ValueError("expected one or more e-mail addresses, separated by commas")
    return tuple(str(v) for v in items)


def _repository_identifier(value: Any) -> str:
    # oai-identifier.xsd: a domain name, at least two labels.
    text = _text(value)
    if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+", text):
        raise ValueError("expected a domain name such as repository.example.org (oai-identifier scheme)")
    return text


def _base_url(value: Any) -> str:
    text = _text(value) if value else ""
    if text and not re.fullmatch(r"https?://[^\s?#]+", text):
        raise ValueError("expected an absolute http(s) URL without query or fragment")
    return text


def _secret(value: Any) -> str:
    text = _text(value) if value is not None else ""
    if value is not None and len(text) < 16:
        raise ValueError("expected at least 16 characters")
    return text or None


def _database_url(value: Any) -> str:
    text = _text(value) if value else ""
    if text and not re.match(r"(sqlite:///|postgres(ql)?://)", text):
        raise ValueError("expected sqlite:///PATH or postgresql://...")
    return text


def _json_list(value: Any) -> list:
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, list):
        raise ValueError("expected a JSON list")
    return data


def _rate(value: Any) -> float:
    number = float(value)
    if not number >= 0 or number == float("inf"):
        raise ValueError("expected a number of requests per second, 0 for no limit")
    return number


def _count(value: Any) -> int:
    number = int(value)
    if number < 0 or str(number) != str(value).strip():
        raise ValueError("expected a whole number, 0 or more")
    return number


def _token_hashes(value: Any) -> dict:
    # Only sha256 hashes are configured, never tokens (`oai-provider tokens create` keeps its own in the instance).
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v.lower())
            for k, v in data.items()):
        raise ValueError("expected a JSON object of token name -> hex sha256 of the token")
    return {k: v.lower() for k, v in data.items()}


def _harvest_sources(value: Any) -> list[dict]:
    data = _json_list(value)
    sources = []
    for entry in data:
        entry = {"url": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or set(entry) - {"url", "prefix", "set"} or not all(
                isinstance(v, str) for v in entry.values()):
            raise ValueError(f'expected base URLs or {{"url", "prefix", "set"}} objects, got {entry!r}')
        url = _base_url(entry.get("url", ""))
        if not url:
            raise ValueError(f"a source needs a url, got {entry!r}")
        sources.append({"url": url, "prefix": entry.get("prefix"), "set": entry.get("set")})
    return sources


SETTINGS: tuple[Setting, ...] = (
    Setting("INSTANCE", "instance", _text, "instance folder: config.py, SQLite database, schemas, secret key"),
    Setting("BASE_URL", "", _base_url,
            "external URL of the OAI-PMH endpoint; unset: where each request arrived (X-Forwarded-* from OAI_TRUSTED_PROXIES only)"),
    Setting("REPOSITORY_NAME", "OAI-PMH metadata provider", _text, "repositoryName in Identify"),
    Setting("REPOSITORY_IDENTIFIER", "provider.example.org", _repository_identifier,
            "domain part of oai:<domain>:<local id> identifiers"),
    Setting("ADMIN_EMAIL", ("admin@provider.example.org",), _emails, "adminEmail in Identify; several comma-separated"),
    Setting("SECRET_KEY", None, _secret,
            "signs resumption tokens; generated into the instance on init when not given; share it across app servers"),
    Setting("DATABASE_URL", "", _database_url,
            "sqlite:///PATH or postgresql://user@host:port/db; default: the instance's oai.sqlite3"),
    Setting("SCHEMA_SOURCE", "", _text,
            "folder or URL base to install the official schemas from; empty: the publishers' canonical URLs"),
    Setting("PAGE_SIZE", 100, _positive_int, "records per ListRecords page"),
    Setting("IDENTIFIERS_PAGE_SIZE", 500, _positive_int, "headers per ListIdentifiers page"),
    Setting("SETS_PAGE_SIZE", 100, _positive_int, "sets per ListSets page"),
    Setting("TOKEN_LIFETIME", 30 * 24 * 3600, _positive_int, "seconds a resumption token stays valid"),
    Setting("SETS", [], _json_list,
            'operator-defined sets: JSON list of {"spec", "name", "description", "identifiers": [...] or "rule": "<derived spec>"}'),
    Setting("RIGHTS_URL", "", _text, "URL of a rights statement announced in an <about> rights container of every record"),
    Setting("REPOSITORY_DESCRIPTION", "", _text, "a sentence about the repository for the home page"),
    Setting("API_TOKENS", {}, _token_hashes,
            "write API bearer tokens: JSON object name -> hex sha256 of the token (joined by instance/api_tokens.json)"),
    Setting("MAX_CONTENT_LENGTH", 10 * 1024 * 1024, _positive_int,
            "largest request body in bytes (API uploads, OAI-PMH POST forms); larger: HTTP 413"),
    Setting("MAX_ARGUMENTS_LENGTH", 8192, _positive_int,
            "characters all arguments of one /oai request may hold together; longer: OAI-PMH badArgument"),
    Setting("RATE_LIMIT", 0, _rate,
            "requests per second allowed to one client address, per worker process; 0: no limit; over it: 503 with Retry-After"),
    Setting("RATE_BURST", 20, _positive_int, "requests a client may send at once before RATE_LIMIT applies"),
    Setting("DATACITE_SYMBOL", "", _text,
            "DataCite repository (datacentre) symbol written in every oai_datacite record, e.g. EXAMPLE.REPO"),
    Setting("HARVEST_SOURCES", [], _harvest_sources,
            'repositories `oai-provider harvest --all` pulls in: JSON list of base URLs or {"url", "prefix", "set"}'),
    Setting("TRUSTED_PROXIES", 0, _count,
            "reverse proxies in front of the app whose X-Forwarded-For/Proto/Host/Port/Prefix are believed; 0: none"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def check(values: dict[str, Any]) -> dict[str, Any]:
    """Coerce every known key; ConfigError naming the key for an invalid value."""
    checked = {}
    for setting in SETTINGS:
        value = values.get(setting.name, setting.default)
        try:
            # None too (JSON null, `KEY = None`): only a key whose coercer accepts None may be left unset.
            checked[setting.name] = setting.coerce(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"OAI_{setting.name}: invalid value {value!r}: {exc}") from None
    return checked
