"""The whole repository in one format as one XML document, streamed in constant memory: the writer behind both
`/download/<prefix>.xml.gz` and `oai-provider export`. No Flask here, and stored record bytes are copied,
never parsed.

What the document is, by format:

- ``mods``: a ``<modsCollection xmlns="http://www.loc.gov/mods/v3">`` holding every live record's stored
  MODS, valid against mods-3-8.xsd.
- every other format (``oai_dc``): an OAI-PMH Static Repository (static-repository.xsd, the OAI's own format
  for a repository in one file): ``Identify``, ``ListMetadataFormats`` announcing that one format, and one
  ``ListRecords metadataPrefix="..."`` with every live record. The static format has day granularity, no sets
  and no deletions, so headers carry the datestamp's day and no setSpec, tombstones are left out, and
  ``baseURL`` is this provider's own OAI-PMH endpoint, where the full-precision records can be harvested.

Both schemas require at least one record: an empty repository yields a well-formed but empty document, and
the HTTP route answers 404 instead.
"""
from __future__ import annotations

import zlib
from typing import Iterator

from lxml import etree

from metadata.namespaces import MODS_NS, OAI_NS, XSI_NS
from metadata.store.base import ListQuery, iter_all
from provider.oai.envelope import ChunkSink

STATIC_NS = "http://www.openarchives.org/OAI/2.0/static-repository"
SCHEMA_LOCATION = f"{{{XSI_NS}}}schemaLocation"
FLUSH_BYTES = 64 * 1024


def document(repository, prefix: str) -> Iterator[bytes]:
    """The export of every live record in prefix, in chunks of about FLUSH_BYTES (repository: the
    protocol's Repository, for its store, formats and Identify values)."""
    sink = ChunkSink()
    with etree.xmlfile(sink, encoding="UTF-8") as xf:
        xf.write_declaration()
        if prefix == "mods":
            body = _mods_collection(xf, sink, repository)
        else:
            body = _static_repository(xf, sink, repository, prefix)
        for _ in body:
            if sink.size >= FLUSH_BYTES:
                yield sink.take()
    yield sink.take()


def _live(repository, prefix: str):
    return (s for s in iter_all(repository.store, ListQuery(prefix)) if s.metadata is not None)


def _mods_collection(xf, sink: ChunkSink, repository) -> Iterator[None]:
    location = {SCHEMA_LOCATION: f"{MODS_NS} {repository.formats['mods'].schema_url}"}
    with xf.element(f"{{{MODS_NS}}}modsCollection", location, nsmap={None: MODS_NS, "xsi": XSI_NS}):
        for stored in _live(repository, "mods"):
            xf.write("\n")
            xf.flush()
            sink.write(stored.metadata)
            yield
        xf.write("\n")


def _oai(xf, name: str, text: str) -> None:
    with xf.element(f"{{{OAI_NS}}}{name}"):
        xf.write(text)


def _static_repository(xf, sink: ChunkSink, repository, prefix: str) -> Iterator[None]:
    fmt = repository.formats[prefix]
    location = {SCHEMA_LOCATION: f"{STATIC_NS} http://www.openarchives.org/OAI/2.0/static-repository.xsd"}
    with xf.element(f"{{{STATIC_NS}}}Repository", location, nsmap={None: OAI_NS, "sr": STATIC_NS, "xsi": XSI_NS}):
        with xf.element(f"{{{STATIC_NS}}}Identify"):
            _oai(xf, "repositoryName", repository.name)
            _oai(xf, "baseURL", repository.base_url)
            _oai(xf, "protocolVersion", "2.0")
            for email in repository.admin_emails:
                _oai(xf, "adminEmail", email)
            _oai(xf, "earliestDatestamp", (repository.store.earliest_datestamp() or "1970-01-01")[:10])
            _oai(xf, "deletedRecord", "no")
            _oai(xf, "granularity", "YYYY-MM-DD")
        with xf.element(f"{{{STATIC_NS}}}ListMetadataFormats"):
            with xf.element(f"{{{OAI_NS}}}metadataFormat"):
                _oai(xf, "metadataPrefix", fmt.prefix)
                _oai(xf, "schema", fmt.schema_url)
                _oai(xf, "metadataNamespace", fmt.namespace)
        with xf.element(f"{{{STATIC_NS}}}ListRecords", {"metadataPrefix": prefix}):
            for stored in _live(repository, prefix):
                with xf.element(f"{{{OAI_NS}}}record"):
                    with xf.element(f"{{{OAI_NS}}}header"):
                        _oai(xf, "identifier", stored.header.identifier)
                        _oai(xf, "datestamp", stored.header.datestamp[:10])
                    with xf.element(f"{{{OAI_NS}}}metadata"):
                        xf.flush()
                        sink.write(stored.metadata)
                xf.write("\n")
                yield


def gzipped(chunks: Iterator[bytes], level: int = 6) -> Iterator[bytes]:
    """A gzip file of the chunks, streamed (no file name or time in its header, so output is reproducible)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    for chunk in chunks:
        data = compressor.compress(chunk)
        if data:
            yield data
    yield compressor.flush()
