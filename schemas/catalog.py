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
    aliases: tuple[str, ...] = ()  # other URLs the publisher serves the same file at, as imports name them


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
               "61960fb3131e38022caad5360e2f33a3382578ab3c80cd58bd74320ede61b20c",
               aliases=("http://www.w3.org/2009/01/xml.xsd",)),  # the same file; OpenAIRE imports it so
    SchemaFile("loc/mods/mods-3-8.xsd", "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd",
               "41a40d34ea9cf620cc776123fe5706f0450bd6f165984852c44054aabc566447"),
    SchemaFile("loc/mods/xml.xsd", "http://www.loc.gov/mods/xml.xsd",
               "8ef35874d6947cfd6dc2de1667ac9b70cdee666c3571dd05cfcc7881576f73ae"),
    SchemaFile("loc/xlink/xlink.xsd", "http://www.loc.gov/standards/xlink/xlink.xsd",
               "f1f5bb6003165cdd8f6c1fcc32f8fd1f965e1681010f3b9806d9460bcffa8a3c"),
    # The formats aggregators harvest: MARC 21 slim, DataCite kernel 4 with its OAI wrapper, OpenAIRE v4.
    # ResourceSync (ANSI/NISO Z39.99) documents are sitemaps with rs: extensions.
    SchemaFile("sitemaps/0.9/sitemap.xsd", "http://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd",
               "fbec77e84467050d5667394a57cc5cdfe1239d80aca1d61e9e0827173c3d9df9"),
    SchemaFile("sitemaps/0.9/siteindex.xsd", "http://www.sitemaps.org/schemas/sitemap/0.9/siteindex.xsd",
               "3f7322902a3d412691350b6ed8005f051205f02c5a1ee445d83ee8c890d328b9"),
    SchemaFile("resourcesync/1.1/resourcesync.xsd", "http://www.openarchives.org/rs/1.1/resourcesync.xsd",
               "e60e46a515ccaf3ef1c9a3a0492cddf1c4ff9fc481eaefb95639038dbfeaeab3",
               aliases=("http://www.openarchives.org/rs/resourcesync.xsd",)),
    SchemaFile("loc/marcxml/MARC21slim.xsd",
               "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
               "a71677e126e90a5aa415e6bf863adf6af36489b69f83c47ebf3a498c5f8fe6be"),
    SchemaFile("datacite/kernel-4/metadata.xsd",
               "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
               "be878f9afddeb677ec4cd274233de0c328246748305d9f58ee78352714412522"),
    SchemaFile("datacite/kernel-4/include/datacite-contributorType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-contributorType-v4.xsd",
               "bf70f146ac4b1874877b8248b3f4cb2e1ba676ac90c52a8b862639cc7b2c8afa"),
    SchemaFile("datacite/kernel-4/include/datacite-dateType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-dateType-v4.xsd",
               "d6bf5a93077dccfb53aa73929e41c3d16d0b95920c64e76e655240367dc48812"),
    SchemaFile("datacite/kernel-4/include/datacite-descriptionType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-descriptionType-v4.xsd",
               "b69733e1cffe134eada14d604db17dcf913c21bc8552f6b7debcd3ce04eba3e9"),
    SchemaFile("datacite/kernel-4/include/datacite-funderIdentifierType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-funderIdentifierType-v4.xsd",
               "eab86e3c6fb0d24d3508559e667641862838b988fe14147dc187ebd79c9bcfe8"),
    SchemaFile("datacite/kernel-4/include/datacite-nameType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-nameType-v4.xsd",
               "a841e852c1cf00e6301f489ce6b85d94017b6cffbdce991d2b7a5e7e27921e5a"),
    SchemaFile("datacite/kernel-4/include/datacite-numberType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-numberType-v4.xsd",
               "e9f9e3c66b34a4476bab683058734f22922d167f76e642db0c05a50842b94241"),
    SchemaFile("datacite/kernel-4/include/datacite-relatedIdentifierType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-relatedIdentifierType-v4.xsd",
               "2f3dfb0ad0b5eaada39f44f51c98802bb3b09f4c651af898ec18b9c1d6122cd2"),
    SchemaFile("datacite/kernel-4/include/datacite-relationType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-relationType-v4.xsd",
               "248255d472bdb792065520d79f966c6d55d0997cf709877b3b8ebbf634e0d3d9"),
    SchemaFile("datacite/kernel-4/include/datacite-resourceType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-resourceType-v4.xsd",
               "57098b3aac1af97ddc0dce5b33a3b1db9fa8e45f84fbcaa8cf7598dd1f08787a"),
    SchemaFile("datacite/kernel-4/include/datacite-titleType-v4.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/datacite-titleType-v4.xsd",
               "03b4eb8c8b71ca2ef95b6a921be654f0dd18b4d89616a12708198d67f6fa463a"),
    SchemaFile("datacite/kernel-4/include/xml.xsd",
               "http://schema.datacite.org/meta/kernel-4/include/xml.xsd",
               "cc701736c42cc64126fad063bb95f94484b5de3b5f808a86ea098b0957aff829"),
    SchemaFile("datacite/oai-1.1/oai.xsd",
               "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
               "c13279f7b1475bc3564f704beb684221ae4b0d3de9ec5fab95c98d943fd77128"),
    SchemaFile("openaire/4.0/openaire.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd",
               "289abbc697bbcc25b31494d2e43561da495621ab94aa97c7a6bc5072851e433b"),
    SchemaFile("openaire/4.0/oaire.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/oaire.xsd",
               "2bc9f237afaede9ac0f3c37c6f83f301973e3f8d951df51c6986032469672a91"),
    SchemaFile("openaire/4.0/oaire-accessRight-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/oaire-accessRight-v4.xsd",
               "29b000fa87625608585fcd00f16feae7ac784c1ec3c27d48ec2bf843fea08fe7"),
    SchemaFile("openaire/4.0/oaire-identifierType-v4.0.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/oaire-identifierType-v4.0.xsd",
               "bc3c3f9471633ab7f1e1cc4d0c1bcc2962ec401c884146c6e19bd376af192473"),
    SchemaFile("openaire/4.0/oaire-resourceType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/oaire-resourceType-v4.xsd",
               "66897b371b9a5907cd322087b2df643a6b8cdd95c21d91ef8e2225515b32fb44"),
    SchemaFile("openaire/4.0/oaire-versions-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/oaire-versions-v4.xsd",
               "4a3757832d54ba3407a7a421b1e831da9bf0c4f49697a2fca5017af8877fdf15"),
    SchemaFile("openaire/4.0/datacite-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-v4.xsd",
               "df8dac7447c2bb93b447c82e476470289f4ddd5d0bbb447e9e498ffd6ecc7ba9"),
    SchemaFile("openaire/4.0/datacite-contributorType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-contributorType-v4.xsd",
               "bfd8da58426df536dbdf8f730bf13f10514254ae2b3db41b63060ce8be9e7e5d"),
    SchemaFile("openaire/4.0/datacite-dateType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-dateType-v4.xsd",
               "51e441ee48cf912e0ac291e54cc88fac99c38abbde0ab17c368f1b786b9565f9"),
    SchemaFile("openaire/4.0/datacite-funderIdentifierType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-funderIdentifierType-v4.xsd",
               "04a6a41a82a5a5014304d6e356af7467f2cb453df0fec81475ebfd519bf8c2c0"),
    SchemaFile("openaire/4.0/datacite-nameType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-nameType-v4.xsd",
               "4a9e4ca15ecd79c9e8a9dbbc6aa1b65b9bfc92b08d5a6a2967870f08184ec778"),
    SchemaFile("openaire/4.0/datacite-relatedIdentifierType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-relatedIdentifierType-v4.xsd",
               "d52e8ef94d0f42d7d56588d8a77747ef079570b4ea0c884dbf86a7226a7646f0"),
    SchemaFile("openaire/4.0/datacite-relationType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-relationType-v4.xsd",
               "b32535f1b9d08bd9f83c8fad23c24c28ec4cdcd603917fcad867c6f424bbb037"),
    SchemaFile("openaire/4.0/datacite-resourceType-v4.1.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-resourceType-v4.1.xsd",
               "f6837210c0399c013a7a5d3456ae1fce99900e4acfd0dd8f29d36ce15e2bee14"),
    SchemaFile("openaire/4.0/datacite-titleType-v4.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/datacite-titleType-v4.xsd",
               "9a4975bce258379a30168e55a953106f74fa0e800b0aa71eb5ab2af9b50ba6ce"),
    SchemaFile("openaire/4.0/dc.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/dc.xsd",
               "65a8e95a11fb0ea09915084998235373cefa157ef59197ed0147c8ec134f19ac"),
    SchemaFile("openaire/4.0/dcterms.xsd",
               "https://www.openaire.eu/schema/repo-lit/4.0/dcterms.xsd",
               "f6521cc96d66d43ff98a3f5ba6b6a098b98fb1f3acf28f9e70774cd19422ef1e"),
)

BY_URL = {url.replace("https://", "http://", 1): f for f in SCHEMA_FILES for url in (f.url, *f.aliases)}


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
