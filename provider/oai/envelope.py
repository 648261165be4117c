"""The only writer of OAI-PMH XML: declaration, stylesheet PI, responseDate, request echo, the verb's body
or errors, streamed in chunks through lxml's incremental writer.

Stored bytes (headers, metadata, about containers) are copied into the stream after a flush; the read side
never parses them. Small fixed fragments (Identify's description, setDescription) use the E-factory.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from lxml import etree
from lxml.builder import ElementMaker

from metadata.namespaces import DC_NS, OAI_DC_NS, OAI_NS, XSI_NS

OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
RIGHTS_NS = "http://www.openarchives.org/OAI/2.0/rights/"
SCHEMA_LOCATION = {f"{{{XSI_NS}}}schemaLocation": f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"}
FLUSH_BYTES = 64 * 1024
SMALL_PIECE = 16 * 1024  # below this, pieces are joined before they are sent
RECORD_END, TOMBSTONE = b"</record>", b'<record><header status="deleted">'

Body = Callable[["Writer"], Iterator[None]]


def oai(name: str) -> str:
    return f"{{{OAI_NS}}}{name}"


class ChunkSink:
    """Collects what lxml's incremental writer produces until a stream takes it (shared with the exports)."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        if not data:  # lxml's flush writes b"" when it holds nothing: no piece of its own to send
            return
        self.chunks.append(data)
        self.size += len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks, self.size = [], 0
        return data

    def drain(self) -> list[bytes]:
        """The pieces as written, a page's records kept the one bytes object they were made as; small pieces
        next to each other are joined, so a server sends a response in few writes."""
        pieces, small = [], []
        for chunk in self.chunks:
            if len(chunk) < SMALL_PIECE:
                small.append(chunk)
                continue
            if small:
                pieces.append(b"".join(small))
                small = []
            pieces.append(chunk)
        if small:
            pieces.append(b"".join(small))
        self.chunks, self.size = [], 0
        return pieces


class Writer:
    """What a verb may put in the body of a response."""

    def __init__(self, xf, sink: ChunkSink):
        self._xf, self._sink = xf, sink

    @contextmanager
    def element(self, name: str, attrib: Optional[dict] = None):
        with self._xf.element(oai(name), attrib or {}):
            yield

    def text(self, name: str, value: str, attrib: Optional[dict] = None) -> None:
        with self._xf.element(oai(name), attrib or {}):
            self._xf.write(value)

    def fragment(self, element: etree._Element) -> None:
        self._xf.write(element)

    def raw(self, data: bytes) -> None:
        self._xf.flush()
        self._sink.write(data)

    def records(self, rows: list[bytes], rights: bytes = b"") -> None:
        """Stored records (§2.5) as they are, each closed after the about container configured at run time,
        which a tombstone does not get: one join for the page, no object per record."""
        self._xf.flush()
        if not rights:  # a last empty row gives the last record its closing tag within the one join
            self._sink.write(RECORD_END.join([*rows, b""]))
            return
        live_end = b"<about>" + rights + b"</about>" + RECORD_END
        self._sink.write(b"".join([row + (RECORD_END if row.startswith(TOMBSTONE) else live_end) for row in rows]))

    def resumption_token(self, token: str, expiration: Optional[str], total: int, cursor: int) -> None:
        attrib = {"completeListSize": str(total), "cursor": str(cursor)}
        if expiration:
            attrib["expirationDate"] = expiration
        self.text("resumptionToken", token, attrib)


def stream(base_url: str, response_date: str, echo: dict, verb: Optional[str], body: Body,
           stylesheet: Optional[str] = None) -> Iterator[bytes]:
    """The response document in pieces as they were written (stored bytes are not copied again); with verb
    None the body writes <error> elements instead."""
    sink = ChunkSink()
    with etree.xmlfile(sink, encoding="UTF-8") as xf:
        xf.write_declaration()
        if stylesheet:
            xf.write(etree.PI("xml-stylesheet", f'type="text/xsl" href="{stylesheet}"'))
        with xf.element(oai("OAI-PMH"), SCHEMA_LOCATION, nsmap={None: OAI_NS, "xsi": XSI_NS}):
            writer = Writer(xf, sink)
            writer.text("responseDate", response_date)
            writer.text("request", base_url, echo)
            if verb is None:
                for _ in body(writer):
                    pass
            else:
                with writer.element(verb):
                    for _ in body(writer):
                        if sink.size >= FLUSH_BYTES:
                            xf.flush()
                            yield from sink.drain()
    yield from sink.drain()


def errors_body(errors: list) -> Body:
    def body(writer: Writer) -> Iterator[None]:
        for error in errors:
            writer.text("error", error.message, {"code": error.code})
            yield
    return body


def oai_identifier(repository_identifier: str, sample: str) -> etree._Element:
    """Identify's description container for the oai-identifier scheme (oai-identifier.xsd)."""
    E = ElementMaker(namespace=OAI_ID_NS, nsmap={None: OAI_ID_NS, "xsi": XSI_NS})
    return E("oai-identifier", E.scheme("oai"), E.repositoryIdentifier(repository_identifier),
             E.delimiter(":"), E.sampleIdentifier(sample),
             {f"{{{XSI_NS}}}schemaLocation": f"{OAI_ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"})


def dc_description(title: str, description: str) -> etree._Element:
    """A set's setDescription content in oai_dc (§4.6)."""
    E = ElementMaker(nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    return E(f"{{{OAI_DC_NS}}}dc", E(f"{{{DC_NS}}}title", title), E(f"{{{DC_NS}}}description", description),
             {f"{{{XSI_NS}}}schemaLocation": f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"})


def rights_container(url: str) -> bytes:
    """An about container pointing at a rights statement (rights.xsd), serialized once at start-up."""
    E = ElementMaker(namespace=RIGHTS_NS, nsmap={None: RIGHTS_NS, "xsi": XSI_NS})
    element = E.rights(E.rightsReference(ref=url), {
        f"{{{XSI_NS}}}schemaLocation": f"{RIGHTS_NS} http://www.openarchives.org/OAI/2.0/rights.xsd"})
    return etree.tostring(element, encoding="UTF-8")
