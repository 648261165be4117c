"""The base URL is where the provider answers (§4.2 baseURL, §3.2 the request echo, and every absolute link):
taken from the request when OAI_BASE_URL is unset, X-Forwarded-* believed only from trusted proxies, and
OAI_BASE_URL winning everywhere when it is set."""
from __future__ import annotations

import urllib.request

import pytest
from lxml import etree

from tests.conftest import assert_valid_oai, make_app, serving

NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "repository.example.org",
             "X-Forwarded-Port": "443", "X-Forwarded-Prefix": "/harvest"}


@pytest.fixture
def unset(tmp_path, schema_dir):
    def build(**config):
        return make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir,
                        BASE_URL="", **config)
    return build


def identify(client, headers=None, response_schema=None):
    response = client.get("/oai?verb=Identify", headers=headers or {})
    document = etree.fromstring(response.data)
    return (document.findtext("oai:Identify/oai:baseURL", namespaces=NS),
            document.findtext("oai:request", namespaces=NS))


def test_4_2_unset_the_base_url_is_the_port_a_live_server_answers_on(unset, response_schema):
    app = unset()
    with serving(app) as url:
        with urllib.request.urlopen(f"{url}/oai?verb=Identify") as response:
            document = assert_valid_oai(response.read(), response_schema)
        with urllib.request.urlopen(f"{url}/") as response:
            home = response.read().decode()
    assert document.findtext("oai:Identify/oai:baseURL", namespaces=NS) == f"{url}/oai"
    assert document.findtext("oai:request", namespaces=NS) == f"{url}/oai"
    assert f'href="{url}/oai?verb=Identify"' in home


def test_forwarded_headers_are_ignored_without_trusted_proxies(unset):
    client = unset().test_client()
    assert identify(client, FORWARDED) == ("http://localhost/oai", "http://localhost/oai")


def test_a_trusted_proxy_gives_scheme_host_port_and_prefix(unset):
    app = unset(TRUSTED_PROXIES=1)
    client = app.test_client()
    base = "https://repository.example.org/harvest/oai"
    assert identify(client, FORWARDED) == (base, base)
    from tests.metadata.test_validate import mods

    app.extensions["store"].put(app.extensions["pipeline"].prepare(mods("r-1", "One"), "r-1.xml"))
    page = client.get("/records/r-1", headers=FORWARDED).get_data(as_text=True)
    assert 'href="https://repository.example.org/harvest/records/r-1.mods.xml"' in page
    assert f'href="{base}?verb=GetRecord&amp;metadataPrefix=mods&amp;identifier=oai%3Atest.example.org%3Ar-1"' in page


def test_a_configured_base_url_wins_everywhere(tmp_path, schema_dir):
    app = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir,
                   BASE_URL="https://oai.example.net/oai", TRUSTED_PROXIES=1)
    client = app.test_client()
    assert identify(client, FORWARDED) == ("https://oai.example.net/oai", "https://oai.example.net/oai")
    assert 'href="https://oai.example.net/oai?verb=Identify"' in client.get("/", headers=FORWARDED).get_data(as_text=True)


def test_serve_prints_the_url_harvesters_will_see(tmp_path):
    from tests.provider.test_cli import run

    instance = tmp_path / "instance"
    assert run(instance, "init").exit_code == 0
    import provider.cli

    calls = []
    original = provider.cli.run_simple
    provider.cli.run_simple = lambda host, port, app, **kw: calls.append((host, port))
    try:
        result = run(instance, "serve", "--port", "8123")
    finally:
        provider.cli.run_simple = original
    assert "OAI-PMH at http://127.0.0.1:8123/oai" in result.stderr and calls == [("127.0.0.1", 8123)]
