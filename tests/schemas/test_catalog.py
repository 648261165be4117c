"""The schema catalog: installs copy every pinned file after checking all their sha256 first, and compiled
schemas come from the instance's folder only, never from the network.
"""
from __future__ import annotations

import functools
import shutil
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath

import pytest
from lxml import etree

from metadata.validate import Validator
from schemas.catalog import SCHEMA_FILES, SchemaError, install, load_schema, missing, sha256_of
from tests.conftest import SCHEMA_SOURCE

SEED = Path(__file__).resolve().parents[2] / "metadata" / "seed" / "birn-muntaner-2018.mods.xml"
PINNED = sorted(f.path for f in SCHEMA_FILES)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def source(tmp_path) -> Path:
    """A private copy of the shared schema folder, free to tamper with."""
    copy = tmp_path / "source"
    shutil.copytree(SCHEMA_SOURCE, copy)
    return copy


def tamper(folder: Path, path: str) -> None:
    target = folder / path
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))


@pytest.fixture
def http_base(source):
    """The copy served over HTTP on a loopback port, as a URL base."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(source))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_install_from_folder_copies_every_pinned_file(source, tmp_path):
    destination = tmp_path / "installed"
    installed = install(str(source), destination)
    assert sorted(installed) == PINNED
    assert sorted(tree(destination)) == PINNED
    for entry in SCHEMA_FILES:
        data = (destination / entry.path).read_bytes()
        assert data == (source / entry.path).read_bytes()
        assert sha256_of(data) == entry.sha256
    assert missing(destination) == []


@pytest.mark.parametrize("path", [PINNED[0], "loc/xlink/xlink.xsd", "loc/mods/mods-3-8.xsd"])
def test_tampered_file_is_refused_and_nothing_is_installed(source, tmp_path, path):
    tamper(source, path)
    destination = tmp_path / "installed"
    with pytest.raises(SchemaError) as refused:
        install(str(source), destination)
    assert path in str(refused.value) and "sha256" in str(refused.value)
    assert not destination.exists() or tree(destination) == {}


def test_refused_reinstall_leaves_installed_schemas_as_they_were(source, tmp_path):
    destination = tmp_path / "installed"
    install(str(source), destination)
    before = tree(destination)
    tamper(source, "oai/OAI-PMH.xsd")
    (source / "loc/mods/mods-3-8.xsd").write_bytes(b"<replaced/>")
    with pytest.raises(SchemaError):
        install(str(source), destination)
    assert tree(destination) == before


def test_file_missing_from_source_is_refused_naming_it(source, tmp_path):
    (source / "dcmi" / "simpledc20021212.xsd").unlink()
    destination = tmp_path / "installed"
    with pytest.raises(SchemaError, match="dcmi/simpledc20021212.xsd"):
        install(str(source), destination)
    assert not destination.exists() or tree(destination) == {}


@pytest.mark.parametrize("path", ["loc/mods/mods-3-8.xsd", "oai/oai_dc.xsd"])
def test_missing_schema_error_says_how_to_install(tmp_path, path):
    with pytest.raises(SchemaError) as error:
        load_schema(tmp_path / "empty", path)
    assert path in str(error.value)
    assert "oai-provider schemas install" in str(error.value) and "OAI_SCHEMA_SOURCE" in str(error.value)


def test_missing_imported_schema_error_says_how_to_install(source, tmp_path):
    folder = tmp_path / "installed"
    install(str(source), folder)
    (folder / "loc/xlink/xlink.xsd").unlink()
    with pytest.raises(SchemaError) as error:
        load_schema(folder, "loc/mods/mods-3-8.xsd")
    assert "loc/xlink/xlink.xsd" in str(error.value) and "oai-provider schemas install" in str(error.value)


def test_install_from_http_url_base(http_base, tmp_path):
    destination = tmp_path / "installed"
    assert sorted(install(http_base, destination)) == PINNED
    assert missing(destination) == []


def test_tampered_file_over_http_is_refused(http_base, source, tmp_path):
    tamper(source, "oai/oai_dc.xsd")
    destination = tmp_path / "installed"
    with pytest.raises(SchemaError, match="oai/oai_dc.xsd.*sha256"):
        install(http_base, destination)
    assert not destination.exists() or tree(destination) == {}


def test_unreachable_url_base_is_an_error_naming_the_file(http_base, source, tmp_path):
    shutil.rmtree(source / "w3c")
    with pytest.raises(SchemaError, match="w3c/2001/03/xml.xsd: cannot fetch"):
        install(http_base, tmp_path / "installed")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_load_schema_validates_seed_offline(source, tmp_path, no_network):
    from lxml import etree

    folder = tmp_path / "installed"
    install(str(source), folder)
    shutil.rmtree(source)  # only the installed copy is left to read
    mods = load_schema(folder, "loc/mods/mods-3-8.xsd")
    seed = etree.parse(str(SEED))
    assert mods.validate(seed), mods.error_log
    seed.getroot().append(etree.Element("{http://www.loc.gov/mods/v3}colour"))
    assert not mods.validate(seed)


def test_validator_compiles_every_format_schema_offline(schema_dir, no_network):
    validator = Validator(schema_dir)
    for path in ("loc/mods/mods-3-8.xsd", "oai/oai_dc.xsd", "oai/OAI-PMH.xsd"):
        assert validator.schema(path) is validator.schema(path)


def _referenced(folder: Path, path: str) -> list[str]:
    """The catalog paths a schema file imports or includes, relative locations resolved against its own."""
    from urllib.parse import urlsplit

    from schemas.catalog import _entry_for

    tree = etree.parse(str(folder / path))
    found = []
    for location in tree.xpath("//xs:import/@schemaLocation | //xs:include/@schemaLocation | "
                               "//xs:redefine/@schemaLocation", namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}):
        parts = urlsplit(location)
        if parts.scheme in ("http", "https"):
            entry = _entry_for(parts.netloc, parts.path)
            found.append(entry.path if entry else location)
        else:
            found.append(str(PurePosixPath(path).parent / location).replace("/./", "/"))
    return found


def test_every_format_schema_and_everything_it_imports_is_pinned(schema_dir):
    """Each format's schemas, and every file they import or include, recursively, are in the catalog: no
    validation can ever need a file that was not installed with its sha256 checked."""
    from metadata.formats import standard_formats

    pinned = {entry.path for entry in SCHEMA_FILES}
    todo = [path for fmt in standard_formats().values() for path in fmt.schema_paths] + [
        "oai/OAI-PMH.xsd", "oai/provenance.xsd", "oai/rights.xsd", "oai/oai-identifier.xsd"]
    seen = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path in pinned, f"{path} is used but not pinned in schemas/catalog.py"
        todo += [p for p in _referenced(schema_dir, path) if p not in seen]
