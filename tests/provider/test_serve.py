"""The README's run command really serves OAI-PMH: a real server on a loopback port, answering valid
responses with the seed article, on a fresh instance and without the network (schemas from OAI_SCHEMA_SOURCE).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import assert_valid_oai

BIN = Path(sys.executable).parent
NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}
SEED_LOCAL_ID = "birn-muntaner-2018"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        return response.read()


def wait_until_serving(process: subprocess.Popen, url: str, deadline: float = 30) -> bytes:
    """The first successful answer, polling until the server is up (or has died)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            process.log.seek(0)
            raise AssertionError(f"server exited with {process.returncode}: {process.log.read()}")
        try:
            return get(url, timeout=2)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url} within {deadline} s")


def started(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """The server as a subprocess; its log goes to a file (a pipe nobody reads would fill and block it)."""
    log = open(cwd / "server.log", "w+")
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=log, text=True)
    process.log = log
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()


def wait_past_second_of(datestamp: str) -> None:
    """A list leaves out records stamped in the second it starts (they may still be joined by others)."""
    stamped = datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    time.sleep(max(0.0, stamped + 1.05 - time.time()))


def check_serves_seed(base: str, response_schema, process, repository_identifier: str) -> None:
    identify = assert_valid_oai(wait_until_serving(process, f"{base}?verb=Identify"), response_schema)
    assert identify.findtext("oai:Identify/oai:protocolVersion", namespaces=NS) == "2.0"
    wait_past_second_of(identify.findtext("oai:Identify/oai:earliestDatestamp", namespaces=NS))
    for prefix in ("oai_dc", "mods"):
        records = assert_valid_oai(get(f"{base}?verb=ListRecords&metadataPrefix={prefix}"), response_schema)
        identifiers = records.xpath("//oai:record/oai:header/oai:identifier/text()", namespaces=NS)
        assert identifiers == [f"oai:{repository_identifier}:{SEED_LOCAL_ID}"]
        assert b"Muntaner" in get(f"{base}?verb=ListRecords&metadataPrefix={prefix}")


def test_readme_serve_command_answers_on_oai(tmp_path, response_schema):
    """`oai-provider serve --port P` on a new instance: initialises it, then answers on /oai."""
    instance = tmp_path / "instance"
    port = free_port()
    process = started([str(BIN / "oai-provider"), "--instance", str(instance), "serve", "--port", str(port)],
                      cwd=tmp_path)
    try:
        check_serves_seed(f"http://127.0.0.1:{port}/oai", response_schema, process, "provider.example.org")
    finally:
        stop(process)
    assert (instance / "oai.sqlite3").is_file()


def test_gunicorn_serves_create_app_with_environment_only(tmp_path, response_schema):
    """`gunicorn 'provider:create_app()'`: no arguments, OAI_* variables only, on an initialised instance."""
    instance = tmp_path / "instance"
    env = {"OAI_INSTANCE": str(instance), "OAI_REPOSITORY_IDENTIFIER": "gunicorn.example.org"}
    init = subprocess.run([str(BIN / "oai-provider"), "init"], cwd=tmp_path, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    port = free_port()
    process = started([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
                       "provider:create_app()"],
                      cwd=tmp_path, env=env)
    try:
        check_serves_seed(f"http://127.0.0.1:{port}/oai", response_schema, process, "gunicorn.example.org")
    finally:
        stop(process)
