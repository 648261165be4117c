"""Helpers for the reliability tests: records, an app with a write token, live servers and a real harvester.

Live servers are real HTTP on loopback: werkzeug's threaded server in a thread of the test process, or
gunicorn subprocesses (the production server) sharing one store.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import pytest
from lxml import etree
from lxml.builder import ElementMaker
from werkzeug.serving import make_server

from provider.api_tokens import token_hash
from tests.conftest import OAIClient, assert_valid_oai, make_app

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MODS_NS = "http://www.loc.gov/mods/v3"
NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
TOKEN = "oaip_test-token-of-the-pusher-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SECRET_KEY = "test-secret-key-0123456789"


def mods(local_id: Optional[str], title: str = "A record", *, extension: Optional[etree._Element] = None) -> bytes:
    """A small schema-valid MODS 3.8 record; local_id None leaves out recordInfo."""
    M = ElementMaker(namespace=MODS_NS, nsmap={None: MODS_NS})
    children = [M.titleInfo(M.title(title)), M.typeOfResource("text"), M.genre("journal article")]
    if extension is not None:
        children.append(M.extension(extension))
    if local_id is not None:
        children.append(M.recordInfo(M.recordIdentifier(local_id)))
    return etree.tostring(M.mods(*children, version="3.8"), encoding="UTF-8", xml_declaration=True)


def next_second() -> None:
    """Sleep into the next second: a harvest ends at the second before it starts, so what was just written
    is listed only from then on."""
    time.sleep(1.02 - time.time() % 1)


def collection(*documents: bytes) -> bytes:
    M = ElementMaker(namespace=MODS_NS, nsmap={None: MODS_NS})
    return etree.tostring(M.modsCollection(*(etree.fromstring(d) for d in documents)), encoding="UTF-8")


@pytest.fixture
def api_app(tmp_path, database_url, schema_dir):
    """An app whose write API accepts TOKEN, once per store."""
    application = make_app(tmp_path / "instance", database_url, schema_dir, API_TOKENS={"pusher": token_hash(TOKEN)})
    yield application
    application.extensions["store"].close()


@pytest.fixture
def sqlite_api_app(tmp_path, schema_dir):
    """The same on SQLite only, for checks that end before the store is reached."""
    application = make_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'oai.sqlite3'}", schema_dir,
                           API_TOKENS={"pusher": token_hash(TOKEN)})
    yield application
    application.extensions["store"].close()


@pytest.fixture
def api(api_app, response_schema):
    return OAIClient(api_app.test_client(), response_schema)


# --- live servers ---------------------------------------------------------------------------------------

@contextmanager
def live_server(app) -> Iterator[str]:
    """The app on werkzeug's threaded server on a free loopback port; yields the /oai URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai"
    finally:
        server.shutdown()
        thread.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_instance(instance: Path, schema_dir: Path) -> Path:
    instance.mkdir(parents=True, exist_ok=True)
    if not (instance / "schemas").exists():
        shutil.copytree(schema_dir, instance / "schemas")
    return instance


def provider_environment(instance: Path, database_url: str, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAI_")}
    env.update(OAI_INSTANCE=str(instance), OAI_DATABASE_URL=database_url, OAI_SECRET_KEY=SECRET_KEY,
               OAI_REPOSITORY_IDENTIFIER="test.example.org", PYTHONPATH=str(ROOT))
    env.update({f"OAI_{k}": str(v) for k, v in settings.items()})
    return env


@contextmanager
def gunicorn(instance: Path, database_url: str, count: int = 1, workers: int = 1, threads: int = 4,
             **settings) -> Iterator[list[str]]:
    """`count` gunicorn servers (each its own master and workers) on one store; yields their /oai URLs."""
    processes, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            url = f"http://127.0.0.1:{port}/oai"
            env = provider_environment(instance, database_url, BASE_URL=url, **settings)
            processes.append(subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(workers), "-k", "gthread",
                 "--threads", str(threads), "--log-level", "warning", "provider:create_app()"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            urls.append(url)
        for process, url in zip(processes, urls):
            wait_until_up(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()


def wait_until_up(url: str, process: Optional[subprocess.Popen] = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read().decode(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url + "?verb=Identify", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


# --- a harvester over real HTTP -------------------------------------------------------------------------

@dataclass
class Item:
    identifier: str
    datestamp: str
    deleted: bool
    title: str


@dataclass
class Harvest:
    response_date: str = ""
    items: list[Item] = field(default_factory=list)
    pages: int = 0

    def count(self, identifier: str) -> int:
        return sum(1 for item in self.items if item.identifier == identifier)

    def latest(self) -> dict[str, Item]:
        return {item.identifier: item for item in self.items}


def fetch(url: str, params: dict, schema) -> etree._Element:
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(params)}", timeout=30) as response:
        assert response.status == 200
        return assert_valid_oai(response.read(), schema)


def harvest(urls: list[str], schema, on_page=lambda number: None, **args) -> Harvest:
    """ListRecords in oai_dc to the end, page by page, each page from the next of `urls` in turn."""
    result = Harvest()
    params = {"verb": "ListRecords", "metadataPrefix": "oai_dc", **args}
    while True:
        document = fetch(urls[result.pages % len(urls)], params, schema)
        result.pages += 1
        result.response_date = result.response_date or document.findtext("oai:responseDate", namespaces=NS)
        errors = document.findall("oai:error", NS)
        if errors:
            assert [e.get("code") for e in errors] == ["noRecordsMatch"], etree.tostring(document)
            return result
        for record in document.iterfind("oai:ListRecords/oai:record", NS):
            header = record.find("oai:header", NS)
            result.items.append(Item(header.findtext("oai:identifier", namespaces=NS),
                                     header.findtext("oai:datestamp", namespaces=NS),
                                     header.get("status") == "deleted",
                                     record.findtext("oai:metadata//dc:title", default="", namespaces=NS)))
        on_page(result.pages)
        token = document.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
        if not token:
            return result
        params = {"verb": "ListRecords", "resumptionToken": token}


def sqlite_path(database_url: str) -> Optional[Path]:
    match = re.match(r"sqlite:///(.*)", database_url)
    return Path(match.group(1)) if match else None
