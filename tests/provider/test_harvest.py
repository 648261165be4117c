"""`oai-provider harvest`: two instances of this project on loopback, one serving and one harvesting, and a
canned source shaped like a DSpace repository. Each page is committed before the next is asked for; the
next run is incremental; an interrupted harvest resumes; 503 + Retry-After is honoured within bounds.
"""
from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from provider.cli import cli
from provider.harvester import Harvest, HarvestError, HarvestState, Source, SourceClient
from tests.conftest import StoreClock, make_app, serving
from tests.metadata.test_harvest_in import NS, dc_record, response
from tests.metadata.test_validate import mods

SOURCE_IDS = [f"r-{i}" for i in range(1, 6)]


@pytest.fixture
def source(tmp_path, schema_dir):
    """Another repository of this project (SQLite), five records stamped in the past, two per page."""
    app = make_app(tmp_path / "source", f"sqlite:///{tmp_path / 'source.sqlite3'}", schema_dir,
                   REPOSITORY_IDENTIFIER="source.example.org", PAGE_SIZE=2)
    with pytest.MonkeyPatch.context() as patch:
        StoreClock("2024-01-10T00:00:00Z").install(patch)
        for local in SOURCE_IDS:
            app.extensions["store"].put(app.extensions["pipeline"].prepare(mods(local, f"Title {local}"), local))
    with serving(app) as url:
        yield app, f"{url}/oai"
    app.extensions["store"].close()


def here(local: str) -> str:
    return f"oai:test.example.org:source.example.org:{local}"


def harvest(app, url, state_path, **options):
    job = Harvest(Source(url), app.extensions["pipeline"], app.extensions["store"], HarvestState(state_path),
                  **options)
    job.run()
    return job


def title_of(client, identifier):
    document = client.oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    return document.findtext(".//dc:title", namespaces=NS), document


def test_harvest_then_an_incremental_harvest_brings_exactly_the_changes(source, app, client, tmp_path):
    source_app, url = source
    state = tmp_path / "harvest-state.json"
    first = harvest(app, url, state)
    assert (first.report.read, first.report.count("created"), first.prefix) == (5, 5, "mods")
    assert app.extensions["store"].record_count() == 5
    assert title_of(client, here("r-2"))[0] == "Title r-2"
    saved = json.loads(state.read_text())[url]
    assert saved["prefix"] == "mods" and "resume" not in saved and saved["last_harvest"].endswith("Z")

    source_pipeline, source_store = source_app.extensions["pipeline"], source_app.extensions["store"]
    source_store.put(source_pipeline.prepare(mods("r-2", "Title r-2, revised"), "r-2"))
    source_store.delete("oai:source.example.org:r-3")
    time.sleep(1.1)  # the source lists what was stamped before the second a list starts in

    second = harvest(app, url, state)
    assert second.report.read == 2, second.report.summary()
    assert sorted((r.identifier, r.status) for r in second.report.results) == [
        (here("r-2"), "updated"), (here("r-3"), "deleted")]
    assert title_of(client, here("r-2"))[0] == "Title r-2, revised"
    _, document = title_of(client, here("r-3"))
    assert document.find(".//oai:header", NS).get("status") == "deleted"
    assert app.extensions["store"].record_count() == 4


def test_an_interrupted_harvest_resumes_after_its_last_committed_page(source, app, tmp_path):
    _, url = source
    state = tmp_path / "harvest-state.json"

    def stop_after_first_page(page):
        raise KeyboardInterrupt

    job = Harvest(Source(url), app.extensions["pipeline"], app.extensions["store"], HarvestState(state),
                  progress=stop_after_first_page)
    with pytest.raises(KeyboardInterrupt):
        job.run()
    assert job.report.count("created") == 2 and app.extensions["store"].record_count() == 2
    assert json.loads(state.read_text())[url]["resume"]["token"]

    again = harvest(app, url, state)
    assert again.resumed and (again.report.read, again.report.count("created")) == (3, 3)
    assert app.extensions["store"].record_count() == 5
    assert "resume" not in json.loads(state.read_text())[url]


class Flaky:
    """Answers 503 with Retry-After to the first `failures` requests, then passes them to the app."""

    def __init__(self, app, failures: int, retry_after: str = "1"):
        self.app, self.failures, self.retry_after, self.requests = app, failures, retry_after, 0

    def __call__(self, environ, start_response):
        self.requests += 1
        if self.requests <= self.failures:
            start_response("503 Service Unavailable", [("Retry-After", self.retry_after), ("Content-Length", "0")])
            return [b""]
        return self.app(environ, start_response)


def test_3_1_2_2_503_with_retry_after_is_waited_out(source, app, tmp_path):
    source_app, _ = source
    waits = []
    with serving(Flaky(source_app, failures=2, retry_after="3")) as url:
        client = SourceClient(f"{url}/oai", sleep=waits.append)
        job = harvest(app, f"{url}/oai", tmp_path / "state.json", client=client)
    assert waits == [3.0, 3.0] and job.report.count("created") == 5


def test_retries_are_bounded_and_back_off(source, app, tmp_path):
    source_app, _ = source
    waits = []
    with serving(Flaky(source_app, failures=100, retry_after="not a number")) as url:
        client = SourceClient(f"{url}/oai", retries=3, sleep=waits.append)
        with pytest.raises(HarvestError, match="gave up after 4 attempts"):
            harvest(app, f"{url}/oai", tmp_path / "state.json", client=client)
    assert waits == [1.0, 2.0, 4.0]


def test_a_retry_after_beyond_the_bound_stops_at_once(source, app, tmp_path):
    source_app, _ = source
    waits = []
    with serving(Flaky(source_app, failures=100, retry_after="86400")) as url:
        client = SourceClient(f"{url}/oai", sleep=waits.append)
        with pytest.raises(HarvestError, match="asks to wait 86400 s"):
            harvest(app, f"{url}/oai", tmp_path / "state.json", client=client)
    assert waits == []


class CannedSource:
    """A DSpace-shaped source: day granularity, oai_dc only, two ListRecords pages joined by a token, one
    record on page 2 invalid (a dc element oai_dc.xsd does not define)."""

    def __init__(self):
        self.requests = []

    def __call__(self, environ, start_response):
        from urllib.parse import parse_qs

        args = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        self.requests.append(args)
        verb = args.get("verb")
        if verb == "Identify":
            body = (f'<OAI-PMH xmlns="{NS["oai"]}"><responseDate>2024-05-02T08:00:00Z</responseDate><request/>'
                    "<Identify><granularity>YYYY-MM-DD</granularity></Identify></OAI-PMH>").encode()
        elif verb == "ListMetadataFormats":
            body = (f'<OAI-PMH xmlns="{NS["oai"]}"><responseDate>2024-05-02T08:00:00Z</responseDate><request/>'
                    "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
                    "</metadataFormat></ListMetadataFormats></OAI-PMH>").encode()
        elif args.get("resumptionToken") == "page2":
            bad = dc_record("hdl:1765/3", "Bad").replace("<dc:date>", "<dc:colour>red</dc:colour><dc:date>")
            body = response(bad, dc_record("hdl:1765/4", "Four"), dc_record("hdl:1765/5", "", deleted=True))
        else:
            body = response(dc_record("hdl:1765/1", "One"), dc_record("hdl:1765/2", "Two")).replace(
                b"</ListRecords>", b'<resumptionToken completeListSize="5">page2</resumptionToken></ListRecords>')
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body]


def test_a_bad_record_is_refused_alone_and_a_day_granular_source_gets_day_dates(app, tmp_path):
    canned, state = CannedSource(), tmp_path / "state.json"
    with serving(canned) as url:
        pages = []
        job = harvest(app, f"{url}/oai", state, progress=pages.append)
        assert job.prefix == "oai_dc"
        assert [(p.number, p.records, p.complete_list_size) for p in pages] == [(1, 2, 5), (2, 3, 5)]
        report = job.report
        assert (report.read, report.count("created"), report.count("refused"), report.count("skipped")) == (5, 3, 1, 1)
        assert "hdl:1765/3" in report.refused[0].source and "colour" in report.refused[0].message
        store = app.extensions["store"]
        assert store.header("oai:test.example.org:127.0.0.1:hdl:1765/4") is not None
        harvest(app, f"{url}/oai", state)  # incremental: from the first harvest's responseDate, as a day
    assert canned.requests[-2] == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-05-02"}


def test_the_command_harvests_every_configured_source_and_says_so(source, tmp_path, monkeypatch):
    _, url = source
    monkeypatch.setenv("OAI_HARVEST_SOURCES", json.dumps([{"url": url, "prefix": "oai_dc"}]))
    instance = tmp_path / "aggregate"
    runner = CliRunner()
    assert runner.invoke(cli, ["--instance", str(instance), "init"]).exit_code == 0
    result = runner.invoke(cli, ["--instance", str(instance), "harvest", "--all"])
    assert result.exit_code == 0, result.output
    assert f"{url}: page 3 stored, 5 records read of 5" in result.stderr
    assert "5 read: 5 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 duplicates, 0 refused" in result.stdout
    again = runner.invoke(cli, ["--instance", str(instance), "harvest", "--all"])
    assert "0 read: 0 created" in again.stdout and again.exit_code == 0
    usage = runner.invoke(cli, ["--instance", str(instance), "harvest"])
    assert usage.exit_code == 2 and "give either BASE_URL or --all" in usage.stderr
