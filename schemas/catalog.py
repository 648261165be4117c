"""Pinned official XML Schemas: canonical URL, sha256 and install path of each, plus the offline loader.

Nothing here ever reaches the network at validation time: imports between schemas are resolved from the
instance's schema folder through an lxml resolver built from this table.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree


@dataclass(frozen=True)
class SchemaFile:
    path: str  # relative to the schema folder, the same layout as ../shared/schemas
    url: str  # the publisher's canonical URL
    sha256: str


SCHEMA_FILES: tuple[SchemaFile, ...] = (
    SchemaFile("oai/OAI-PMH.xsd", "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
               "da217eb992fff3261ce109282e8be17f46f84cfb2e417667aa5c9359744fc55d"),
    SchemaFile("oai/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
               "7383d21bca49c1186627e820a5da7ec209febfc5b4295fada39720ad0cebee9a"),
    SchemaFile("oai/oai-identifier.xsd", "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
               "4f182bca1e5e50d31d46d7e31f88794d7b4d62bc3f9749d85a540b326c0d8f32"),
    SchemaFile("oai/provenance.xsd", "http://www.openarchives.org/OAI/2.0/provenance.xsd",
               "0e2aed2fa0a47bc655bb2f9c1fef6faeeeffb48bba5ea2e3883b4b3ea47da450"),
    SchemaFile("oai/rights.xsd", "http://www.openarchives.org/OAI/2.0/rights.xsd",
               "d546c507c76b51d1d5a80684c0012719f086f702bd9cc288bd752cfc1d5b5f74"),
    SchemaFile("oai/rightsManifest.xsd", "http://www.openarchives.org/OAI/2.0/rightsManifest.xsd",
               "85d498284e737740db73a0eb0ca2805e2981dc9d7ea5f73b7a47fa577671fd64"),
    SchemaFile("oai/friends.xsd", "http://www.openarchives.org/OAI/2.0/friends.xsd",
               "77536c8c75af448466180634f6960757b1b3fcb7447504cce345e66cb0092879"),
    SchemaFile("oai/branding.xsd", "http://www.openarchives.org/OAI/2.0/branding.xsd",
               "ea7148980230708bce0b7fee20524f28d40b472f1e02d317923baf098ad922d6"),
    SchemaFile("oai/static-repository.xsd", "http://www.openarchives.org/OAI/2.0/static-repository.xsd",
               "df55d4b08e063d1c8b1b5755f611aacb9c5bac8d9f59b81f049f268968045346"),
    SchemaFile("oai/OAI-PMH-static-repository.xsd",
               "http://www.openarchives.org/OAI/2.0/OAI-PMH-static-repository.xsd",
               "a3a47bc9925bb207fbad17c3943e2a43074937f48d4a91cda7f2b743332294c8"),
    SchemaFile("dcmi/simpledc20021212.xsd", "http://dublincore.org/schemas/xmls/simpledc20021212.xsd",
               "a1c77fc0bb0271ae5d976c4fb300ca28a221cb550c080fc2a892c64152927e5d"),
    SchemaFile("w3c/2001/03/xml.xsd", "http://www.w3.org/2001/03/xml.xsd",
               "0ed94db44402526e7a683424d0bd4b65e5bc50e65d9b9a762b11b30bae06d0c8"),
    SchemaFile("w3c/2001/xml.xsd", "http://www.w3.org/2001/xml.xsd",
               "61960fb3131e38022caad5360e2f33a3382578ab3c80cd58bd74320ede61b20c"),
    SchemaFile("loc/mods/mods-3-8.xsd", "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd",
               "41a40d34ea9cf620cc776123fe5706f0450bd6f165984852c44054aabc566447"),
    SchemaFile("loc/mods/xml.xsd", "http://www.loc.gov/mods/xml.xsd",
               "8ef35874d6947cfd6dc2de1667ac9b70cdee666c3571dd05cfcc7881576f73ae"),
    SchemaFile("loc/xlink/xlink.xsd", "http://www.loc.gov/standards/xlink/xlink.xsd",
               "f1f5bb6003165cdd8f6c1fcc32f8fd1f965e1681010f3b9806d9460bcffa8a3c"),
)

BY_URL = {f.url: f for f in SCHEMA_FILES}


class SchemaError(Exception):
    """A schema is missing, tampered with, or could not be fetched."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_source(source: str, entry: SchemaFile) -> bytes:
    """Read one file from a folder laid out like ../shared/schemas, a URL base with that layout, or,
    when source is empty, the publisher's canonical URL."""
    if not source:
        location = entry.url
    elif "://" in source:
        location = source.rstrip("/") + "/" + entry.path
    else:
        path = Path(source) / entry.path
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SchemaError(f"{entry.path}: cannot read {path}: {exc.strerror}") from None
    try:
        with urllib.request.urlopen(location, timeout=30) as response:
            return response.read()
    except OSError as exc:
        raise SchemaError(f"{entry.path}: cannot fetch {location}: {exc}") from None


def install(source: str, destination: Path) -> list[str]:
    """Copy every pinned schema into destination, refusing any whose sha256 differs from the pin.

    All files are checked before any is written, so a failed install leaves the folder as it was."""
    fetched = []
    for entry in SCHEMA_FILES:
        data = _read_source(source, entry)
        digest = sha256_of(data)
        if digest != entry.sha256:
            raise SchemaError(
                f"{entry.path}: sha256 {digest} does not match the pinned {entry.sha256}; refusing it")
        fetched.append((entry, data))
    for entry, data in fetched:
        target = destination / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, target)
    return [entry.path for entry, _ in fetched]


def missing(folder: Path) -> list[str]:
    """Pinned files absent from folder or whose bytes differ from the pin."""
    bad = []
    for entry in SCHEMA_FILES:
        path = folder / entry.path
        if not path.is_file() or sha256_of(path.read_bytes()) != entry.sha256:
            bad.append(entry.path)
    return bad


def _entry_for(host: str, path: str) -> SchemaFile | None:
    """The pinned file for a URL, accepting https and the www. alias of the canonical host."""
    bare = host.removeprefix("www.")
    for candidate in (host, bare, "www." + bare):
        entry = BY_URL.get(f"http://{candidate}{path}")
        if entry:
            return entry
    return None


def _not_installed(path: str, folder: Path) -> SchemaError:
    return SchemaError(
        f"schema {path} is not installed in {folder}: run 'oai-provider schemas install' "
        "(set OAI_SCHEMA_SOURCE to a folder of official schemas when offline)")


class _CatalogResolver(etree.Resolver):
    """Maps canonical schema URLs (http or https) to the installed files; refuses every other URL."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        self.absent: list[str] = []  # imports not installed, named when compiling fails

    def resolve(self, url, pubid, context):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            entry = _entry_for(parts.netloc, parts.path)
            if entry is None:
                raise SchemaError(f"schema import {url} is not in the catalog")
            if not (self.folder / entry.path).is_file():
                self.absent.append(entry.path)
            return self.resolve_filename(str(self.folder / entry.path), context)
        return None  # a relative or file path inside the folder: libxml2 reads it itself


def load_schema(folder: Path, path: str) -> etree.XMLSchema:
    """Compile one installed schema with its imports resolved offline."""
    target = folder / path
    if not target.is_file():
        raise _not_installed(path, folder)
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    resolver = _CatalogResolver(folder)
    parser.resolvers.add(resolver)
    try:
        return etree.XMLSchema(etree.parse(str(target), parser))
    except etree.XMLSchemaParseError:
        if resolver.absent:  # libxml2 would only say a type does not resolve
            raise _not_installed(resolver.absent[0], folder) from None
        raise


XS_NS = "http://www.w3.org/2001/XMLSchema"


def load_combined(folder: Path, paths: list[str]) -> etree.XMLSchema:
    """One schema that imports several installed ones, for documents whose strict wildcards (OAI-PMH's
    metadata, about and description) must be checked against the schemas of what they contain."""
    root = etree.Element(f"{{{XS_NS}}}schema", nsmap={"xs": XS_NS})
    for path in paths:
        target = folder / path
        if not target.is_file():
            raise SchemaError(f"schema {path} is not installed in {folder}: run 'oai-provider schemas install'")
        namespace = etree.parse(str(target)).getroot().get("targetNamespace")
        etree.SubElement(root, f"{{{XS_NS}}}import", namespace=namespace, schemaLocation=target.as_uri())
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_CatalogResolver(folder))
    document = etree.fromstring(etree.tostring(root), parser, base_url=(folder / "combined.xsd").as_uri())
    return etree.XMLSchema(document)
