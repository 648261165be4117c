"""Configuration: defaults < instance config.py < OAI_* environment < test_config, every key checked at start.

A start with an unknown key or an invalid value stops with a ConfigError naming the key, so an operator's
typo never runs as a silent default.
"""
from __future__ import annotations

import stat

import pytest

from provider import create_app
from provider.settings import ConfigError
from tests.conftest import OAIClient

NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}
LAYERS = {  # the value each layer gives REPOSITORY_NAME and PAGE_SIZE
    "file": ("From config.py", 200),
    "env": ("From the environment", 300),
    "test": ("From test_config", 400),
}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("OAI_INSTANCE", str(folder))
    return folder


def start(test_config=None):
    app = create_app(test_config)
    app.extensions["store"].close()
    return app


PRECEDENCE = [((), None), (("file",), "file"), (("env",), "env"), (("file", "env"), "env"),
              (("file", "test"), "test"), (("env", "test"), "test"), (("file", "env", "test"), "test")]


@pytest.mark.parametrize("layers, winner", PRECEDENCE, ids=[
    f"{'+'.join(layers) or 'nothing'}-gives-{winner or 'default'}" for layers, winner in PRECEDENCE])
def test_precedence_defaults_file_environment_test_config(instance, monkeypatch, layers, winner):
    if "file" in layers:
        name, size = LAYERS["file"]
        (instance / "config.py").write_text(f"REPOSITORY_NAME = {name!r}\nPAGE_SIZE = {size}\n")
    if "env" in layers:
        name, size = LAYERS["env"]
        monkeypatch.setenv("OAI_REPOSITORY_NAME", name)
        monkeypatch.setenv("OAI_PAGE_SIZE", str(size))
    test_config = None
    if "test" in layers:
        name, size = LAYERS["test"]
        test_config = {"REPOSITORY_NAME": name, "PAGE_SIZE": size}

    app = start(test_config)

    expected = LAYERS[winner] if winner else ("OAI-PMH metadata provider", 100)
    repository = app.extensions["repository"]
    assert (app.config["REPOSITORY_NAME"], app.config["PAGE_SIZE"]) == expected
    assert (repository.name, repository.page_size) == expected  # what the verbs are given


@pytest.mark.parametrize("variable", ["OAI_PAGESIZE", "OAI_BASEURL", "OAI_REPOSITORY_IDENTIFER"])
def test_unknown_environment_variable_fails_naming_it(instance, monkeypatch, variable):
    monkeypatch.setenv(variable, "5")
    with pytest.raises(ConfigError, match=variable):
        start()


def test_unknown_key_in_config_file_fails_naming_key_and_file(instance):
    (instance / "config.py").write_text("REPOSITORY_NAME = 'ok'\nPAGESIZE = 5\n")
    with pytest.raises(ConfigError) as error:
        start()
    assert "PAGESIZE" in str(error.value) and str(instance / "config.py") in str(error.value)


def test_unknown_test_config_key_fails_naming_it(instance):
    with pytest.raises(ConfigError, match="PAGESIZE"):
        start({"PAGESIZE": 5})


INVALID = [
    ("OAI_PAGE_SIZE", "0"), ("OAI_PAGE_SIZE", "-3"), ("OAI_PAGE_SIZE", "many"), ("OAI_PAGE_SIZE", "2.5"),
    ("OAI_PAGE_SIZE", "null"), ("OAI_REPOSITORY_IDENTIFIER", "bad id"), ("OAI_REPOSITORY_IDENTIFIER", "localhost"),
    ("OAI_BASE_URL", "ftp://x"), ("OAI_BASE_URL", "http://x.org/oai?verb=Identify"),
    ("OAI_SECRET_KEY", "short"), ("OAI_ADMIN_EMAIL", "nobody"), ("OAI_DATABASE_URL", "mysql://db/oai"),
    ("OAI_SETS", '{"spec": "x"}'), ("OAI_SETS", '[{"spec": "x"}]'),
    ("OAI_HARVEST_SOURCES", '"https://a.example.org/oai"'), ("OAI_HARVEST_SOURCES", '["ftp://a.example.org"]'),
    ("OAI_HARVEST_SOURCES", '[{"url": "https://a.example.org/oai", "metadataPrefix": "mods"}]'),
]


@pytest.mark.parametrize("variable, value", INVALID, ids=[f"{k}={v}" for k, v in INVALID])
def test_invalid_environment_value_fails_naming_key(instance, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        start()


@pytest.mark.parametrize("line, key", [
    ("PAGE_SIZE = 0", "PAGE_SIZE"), ("BASE_URL = 'ftp://x'", "BASE_URL"), ("REPOSITORY_IDENTIFIER = 'a b'",
                                                                          "REPOSITORY_IDENTIFIER"),
], ids=["PAGE_SIZE=0", "BASE_URL=ftp", "REPOSITORY_IDENTIFIER=a b"])
def test_invalid_config_file_value_fails_naming_key(instance, line, key):
    (instance / "config.py").write_text(line + "\n")
    with pytest.raises(ConfigError, match=key):
        start()


def test_environment_values_are_coerced_once(instance, monkeypatch):
    monkeypatch.setenv("OAI_PAGE_SIZE", "7")
    monkeypatch.setenv("OAI_ADMIN_EMAIL", "a@example.org, b@example.org")
    monkeypatch.setenv("OAI_SECRET_KEY", "12345678901234567890")  # JSON-decodes to an int: still a key
    app = start()
    assert app.extensions["repository"].page_size == 7
    assert app.extensions["repository"].admin_emails == ("a@example.org", "b@example.org")
    assert app.config["SECRET_KEY"] == "12345678901234567890"


def test_secret_key_is_generated_into_instance_and_stable_across_restarts(instance):
    first = start()
    key_file = instance / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    assert start().config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_configured_secret_key_wins_and_nothing_is_generated(instance, monkeypatch):
    monkeypatch.setenv("OAI_SECRET_KEY", "configured-secret-0123456789")
    assert start().config["SECRET_KEY"] == "configured-secret-0123456789"
    assert not (instance / "secret_key").exists()


def test_create_app_without_arguments_runs_on_environment_alone(instance, monkeypatch, response_schema):
    """What `gunicorn 'provider:create_app()'` does: no test_config, OAI_* variables only."""
    monkeypatch.setenv("OAI_REPOSITORY_NAME", "Environment Repository")
    monkeypatch.setenv("OAI_BASE_URL", "https://oai.example.net/oai")
    monkeypatch.setenv("OAI_REPOSITORY_IDENTIFIER", "env.example.net")
    monkeypatch.setenv("OAI_ADMIN_EMAIL", "ops@example.net")

    app = create_app()
    try:
        identify = OAIClient(app.test_client(), response_schema).oai(verb="Identify")
    finally:
        app.extensions["store"].close()

    assert not app.testing
    assert identify.findtext("oai:Identify/oai:repositoryName", namespaces=NS) == "Environment Repository"
    assert identify.findtext("oai:Identify/oai:baseURL", namespaces=NS) == "https://oai.example.net/oai"
    assert identify.findtext("oai:Identify/oai:adminEmail", namespaces=NS) == "ops@example.net"
    assert (instance / "oai.sqlite3").is_file()
    assert app.instance_path == str(instance)
