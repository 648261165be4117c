"""The oai-provider command: each task works on a real instance folder, and every expected failure ends
with exit status 1 and a one-line reason, never a traceback (STYLE §8).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from provider.cli import cli
from schemas.catalog import SCHEMA_FILES, missing
from tests.conftest import SCHEMA_SOURCE

MODS_NS = "http://www.loc.gov/mods/v3"
SEED_ID = "oai:provider.example.org:birn-muntaner-2018"
OAI_PROVIDER = Path(sys.executable).parent / "oai-provider"


def mods(local_id: str, body: str = "") -> bytes:
    return (f'<mods xmlns="{MODS_NS}" version="3.8"><titleInfo><title>Title of {local_id}</title></titleInfo>{body}'
            f"<recordInfo><recordIdentifier>{local_id}</recordIdentifier></recordInfo></mods>").encode()


DC = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
      ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
      "<dc:title>Only Dublin Core</dc:title><dc:identifier>dc-only</dc:identifier></oai_dc:dc>").encode()


def run(instance: Path, *args: str):
    """Invoke the CLI in-process; what it sets in the environment (--instance sets OAI_INSTANCE, Flask's
    group FLASK_RUN_FROM_CLI) is restored afterwards."""
    return CliRunner().invoke(cli, ["--instance", str(instance), *args],
                              env={"OAI_INSTANCE": None, "FLASK_RUN_FROM_CLI": None})


def assert_fails_with_one_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # an expected failure, no traceback
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def instance(tmp_path) -> Path:
    """A fresh instance after `init`."""
    folder = tmp_path / "instance"
    result = run(folder, "init")
    assert result.exit_code == 0, result.output
    return folder


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_init_creates_instance_with_schemas_secret_and_seed(tmp_path):
    folder = tmp_path / "new" / "instance"
    result = run(folder, "init")
    assert result.exit_code == 0, result.output
    assert f"initialised {folder}" in result.stdout
    assert missing(folder / "schemas") == []
    assert (folder / "secret_key").is_file() and (folder / "oai.sqlite3").is_file()
    shown = run(folder, "show", "birn-muntaner-2018")
    assert shown.exit_code == 0 and "Latin American social medicine across borders" in shown.stdout


def test_init_again_changes_nothing(instance):
    before = run(instance, "show", SEED_ID, "--format", "oai_dc").stdout
    key = (instance / "secret_key").read_text()
    assert run(instance, "init").exit_code == 0
    assert run(instance, "show", SEED_ID, "--format", "oai_dc").stdout == before
    assert (instance / "secret_key").read_text() == key
    again = run(instance, "ingest", str(Path(__file__).resolve().parents[2] / "metadata" / "seed"))
    assert "0 created, 0 updated, 1 unchanged, 0 deleted, 0 skipped, 0 duplicates, 0 refused" in again.stdout


def test_ingest_files_and_folders(instance, tmp_path):
    inbox = write(tmp_path / "inbox", {"one.xml": mods("one"), "batch/two.xml": mods("two"), "batch/dc.xml": DC,
                                       "batch/readme.txt": b"ignored"})
    result = run(instance, "ingest", str(inbox / "one.xml"), str(inbox / "batch"))
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 duplicates, 0 refused" in result.stdout
    for local_id, prefix in (("one", "mods"), ("two", "oai_dc"), ("dc-only", "oai_dc")):
        assert run(instance, "show", local_id, "--format", prefix).exit_code == 0
    again = run(instance, "ingest", str(inbox))
    assert "0 created, 0 updated, 3 unchanged, 0 deleted, 0 skipped, 0 duplicates, 0 refused" in again.stdout


@pytest.mark.parametrize("jobs", ["1", "2", "0"])
def test_ingest_refusals_exit_1_with_one_line_per_refused_file(instance, tmp_path, jobs):
    """In one process, with two worker processes, and with one per core (--jobs 0), alike."""
    bad = {"bad/malformed.xml": b"<mods", "bad/empty.xml": b"", "invalid.xml": mods("invalid", "<colour/>"),
           "xxe.xml": b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><mods xmlns="' + MODS_NS.encode()
           + b'">&x;</mods>'}
    inbox = write(tmp_path / "inbox", {"good.xml": mods("good"), **bad})
    result = run(instance, "ingest", "--jobs", jobs, str(inbox))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    refused = [line for line in result.stderr.splitlines() if line.startswith("refused ")]
    assert len(refused) == len(bad)
    assert sorted(line.split()[1].split(":")[0] for line in refused) == sorted(str(inbox / n) for n in bad)
    assert "1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 0 duplicates, 4 refused" in result.stdout
    assert run(instance, "show", "good").exit_code == 0
    assert_fails_with_one_line(run(instance, "show", "invalid"), "no record")


def test_ingest_of_two_files_naming_one_record_says_so_and_exits_1(instance, tmp_path):
    """The loss that was seen: `1 created`, exit 0, and the first record silently replaced by the second."""
    inbox = write(tmp_path / "inbox", {"a.xml": mods("same"), "b.xml": mods("same", "<note>second</note>")})
    result = run(instance, "ingest", str(inbox))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert (f"duplicate oai:provider.example.org:same: read in {inbox / 'a.xml'} and again in {inbox / 'b.xml'}; "
            "the later one is kept") in result.stderr
    assert "2 read: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 skipped, 1 duplicates, 0 refused" in result.stdout
    assert "second" in run(instance, "show", "same").stdout


def test_ingest_missing_path_fails_naming_it(instance, tmp_path):
    assert_fails_with_one_line(run(instance, "ingest", str(tmp_path / "nowhere.xml")), "nowhere.xml", "no such file")


def test_ingest_before_schemas_are_installed_says_how_to_install(tmp_path):
    inbox = write(tmp_path / "inbox", {"one.xml": mods("one")})
    result = run(tmp_path / "bare", "ingest", str(inbox))
    assert_fails_with_one_line(result, "oai-provider schemas install")


def test_validate_checks_without_storing(instance, tmp_path):
    inbox = write(tmp_path / "inbox", {"good.xml": mods("checked"), "dc.xml": DC})
    result = run(instance, "validate", str(inbox))
    assert result.exit_code == 0, result.output
    assert f"valid {inbox / 'good.xml'}: oai:provider.example.org:checked" in result.stdout
    assert_fails_with_one_line(run(instance, "show", "checked"), "no record")
    assert_fails_with_one_line(run(instance, "show", "dc-only", "--format", "oai_dc"), "no record")


def test_validate_reports_each_invalid_file_and_exits_1(instance, tmp_path):
    inbox = write(tmp_path / "inbox", {"good.xml": mods("checked"), "bad.xml": mods("bad", "<colour/>"),
                                       "worse.xml": b"<mods"})
    result = run(instance, "validate", str(inbox))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    invalid = [line for line in result.stderr.splitlines() if line.startswith("invalid ")]
    assert [line.split()[1].split(":")[0] for line in invalid] == [str(inbox / "bad.xml"), str(inbox / "worse.xml")]
    assert "colour" in invalid[0]
    assert result.stderr.strip().splitlines()[-1] == "Error: 2 record(s) invalid"
    assert_fails_with_one_line(run(instance, "show", "checked"), "no record")


@pytest.mark.parametrize("identifier", ["birn-muntaner-2018", SEED_ID], ids=["local-id", "oai-identifier"])
def test_delete_leaves_tombstone(instance, identifier):
    result = run(instance, "delete", identifier)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"deleted {SEED_ID} at ")
    assert_fails_with_one_line(run(instance, "show", SEED_ID), "was deleted")
    again = run(instance, "delete", identifier)  # deleting a tombstone keeps it, datestamp and all
    assert again.exit_code == 0 and again.stdout == result.stdout


def test_delete_unknown_identifier_fails_with_one_line(instance):
    assert_fails_with_one_line(run(instance, "delete", "no-such-record"), "oai:provider.example.org:no-such-record")


@pytest.mark.parametrize("prefix, root", [
    ("mods", f"{{{MODS_NS}}}mods"), ("oai_dc", "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"),
])
def test_show_prints_stored_xml_in_format(instance, prefix, root):
    result = run(instance, "show", "birn-muntaner-2018", "--format", prefix)
    assert result.exit_code == 0, result.output
    document = etree.fromstring(result.stdout.encode())
    assert document.tag == root
    assert "Muntaner" in result.stdout


def test_show_unknown_format_fails_with_one_line(instance):
    assert_fails_with_one_line(run(instance, "show", "birn-muntaner-2018", "--format", "marc21"), "marc21")


def test_schemas_install_from_folder(tmp_path):
    folder = tmp_path / "instance"
    result = run(folder, "schemas", "install", "--from", SCHEMA_SOURCE)
    assert result.exit_code == 0, result.output
    assert f"installed {len(SCHEMA_FILES)} schemas" in result.stdout
    assert missing(folder / "schemas") == []


def test_schemas_install_refuses_tampered_folder(instance, tmp_path):
    source = tmp_path / "tampered"
    shutil.copytree(SCHEMA_SOURCE, source)
    target = source / "oai" / "oai_dc.xsd"
    target.write_bytes(target.read_bytes().replace(b"dc:title", b"dc:tit1e", 1))
    before = {p: p.read_bytes() for p in (instance / "schemas").rglob("*.xsd")}

    result = run(instance, "schemas", "install", "--from", str(source))

    assert_fails_with_one_line(result, "oai/oai_dc.xsd", "sha256", "refusing")
    assert {p: p.read_bytes() for p in (instance / "schemas").rglob("*.xsd")} == before


def run_installed(instance: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run([str(OAI_PROVIDER), "--instance", str(instance), *args], env=environment,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env, config, key", [
    pytest.param({"OAI_PAGESIZE": "5"}, "", "OAI_PAGESIZE", id="unknown-variable"),
    pytest.param({"OAI_PAGE_SIZE": "0"}, "", "OAI_PAGE_SIZE", id="invalid-variable"),
    pytest.param({}, "BASEURL = 'http://x.org/oai'\n", "BASEURL", id="unknown-config-file-key"),
    pytest.param({"OAI_DATABASE_URL": "sqlite:////nonexistent/folder/oai.sqlite3"}, "", "/nonexistent/folder",
                 id="database-cannot-open"),
])
def test_bad_configuration_exits_1_with_one_line_naming_key(tmp_path, env, config, key):
    instance = tmp_path / "instance"
    instance.mkdir()
    if config:
        (instance / "config.py").write_text(config)
    result = run_installed(instance, "init", **env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], result.stderr
    assert not (instance / "oai.sqlite3").exists()
