"""Safe parsing of untrusted XML and validation against the official schemas.

One locked-down parser: no entities, no DTD, no network, bounded size. Documents with a DOCTYPE are refused
outright, so XXE, external DTDs and entity-expansion bombs never get as far as expansion.
"""
from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

from schemas.catalog import load_combined, load_schema

MAX_RECORD_BYTES = 10 * 1024 * 1024


class InvalidRecord(Exception):
    """A record refused at ingest: where (source and line) and what is wrong."""

    def __init__(self, source: str, message: str, line: int | None = None):
        self.source, self.message, self.line = source, message, line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")

    def __reduce__(self):
        """Pickled as its three parts (ingest's worker processes send refusals back)."""
        return InvalidRecord, (self.source, self.message, self.line)


_local = threading.local()


class _ExternalResource(Exception):
    """The document asked for an external DTD or entity (its URL is the message)."""


class _RefuseExternal(etree.Resolver):
    """Stops every external load before libxml2 opens it: with load_dtd=False libxml2 still reads a
    DOCTYPE's external subset from a local file, and no_network only covers the network."""

    def resolve(self, url, pubid, context):
        raise _ExternalResource(url)


def _parser() -> etree.XMLParser:
    """One parser per thread: building a parser costs as much as parsing a record with it."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            remove_comments=True, remove_pis=True, collect_ids=False)
        parser.resolvers.add(_RefuseExternal())
    return parser


def parse(data: bytes, source: str) -> etree._Element:
    """Parse untrusted bytes into an element, or raise InvalidRecord naming the file and line."""
    if not data or data.isspace():
        raise InvalidRecord(source, "the file is empty")
    if len(data) > MAX_RECORD_BYTES:
        raise InvalidRecord(source, f"the record is larger than {MAX_RECORD_BYTES} bytes")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise InvalidRecord(source, f"not well-formed XML: {exc.msg}", line) from None
    except _ExternalResource as exc:
        raise InvalidRecord(
            source, f"DOCTYPE declarations (DTDs, entities) are not accepted; {exc} was not read") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvalidRecord(source, "DOCTYPE declarations (DTDs, entities) are not accepted")
    root = tree.getroot()
    for node in root.iter(etree.Entity):
        raise InvalidRecord(source, f"entity reference &{node.name}; is not accepted", node.sourceline)
    return root


class Validator:
    """Validates elements against the installed official schemas, compiling each schema once."""

    def __init__(self, schema_folder: Path):
        self.folder = Path(schema_folder)
        self._compiled: dict[str, etree.XMLSchema] = {}

    def __getstate__(self) -> dict:
        """Pickled without its compiled schemas, which another process compiles again when it needs them."""
        return {"folder": self.folder, "_compiled": {}}

    def schema(self, schema_path: str | tuple[str, ...]) -> etree.XMLSchema:
        """One installed schema, or several compiled together (a wrapper whose payload is another schema's:
        oai_datacite is checked against its wrapper and DataCite kernel 4 at once)."""
        if schema_path not in self._compiled:
            self._compiled[schema_path] = load_schema(self.folder, schema_path) if isinstance(schema_path, str) \
                else load_combined(self.folder, list(schema_path))
        return self._compiled[schema_path]

    def check(self, schema_path: str | tuple[str, ...], element: etree._Element, source: str) -> None:
        """Raise InvalidRecord with the first errors (line and message) if element is not valid."""
        schema = self.schema(schema_path)
        if schema.validate(element):
            return
        errors = list(schema.error_log)[:3]
        first = errors[0]
        message = "; ".join(f"line {e.line}: {e.message}" for e in errors)
        named = schema_path if isinstance(schema_path, str) else " + ".join(schema_path)
        raise InvalidRecord(source, f"not valid against {named}: {message}", first.line)
