"""An OAI-PMH response shown as a page for people (templates/oai.html), built on the server from the very bytes
a harvester would get, so the page cannot say anything the XML does not. Chosen by provider/views/oai.py.

It reads those bytes with a parser that loads nothing from outside; it writes no OAI-PMH. Record text is
untrusted: it reaches the page only as values the template autoescapes, and only http(s) values become links.
"""
from __future__ import annotations

import shlex
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Callable, Optional
from urllib.parse import urlencode

from flask import render_template, request, url_for
from lxml import etree

from metadata.namespaces import DC_NS, MODS_NS, OAI_DC_NS, OAI_NS
from provider.oai.envelope import OAI_ID_NS
from provider.oai.errors import OAIError
from provider.oai.repository import Repository
from provider.views.pages import local_id_of

NS = {"oai": OAI_NS, "oai_dc": OAI_DC_NS, "dc": DC_NS, "mods": MODS_NS, "id": OAI_ID_NS}
DC_ELEMENTS = ("title", "creator", "contributor", "date", "subject", "description", "publisher", "source", "type",
               "format", "identifier", "language", "relation", "coverage", "rights")  # simpledc order
DEFAULT_PREFIX = "oai_dc"

Value = tuple[str, Optional[str]]  # text, and the link it is when it is a web address


@dataclass
class Field:
    label: str
    values: list[Value]


@dataclass
class Header:
    identifier: str
    datestamp: str
    deleted: bool
    set_specs: list[str]
    local_id: Optional[str]  # this repository's records have landing pages and downloads


@dataclass
class Record:
    header: Header
    title: str = ""
    fields: list[Field] = field(default_factory=list)
    namespace: str = ""
    xml: str = ""


@dataclass
class Pager:
    first: int
    last: int
    total: Optional[int]
    token: str


def _value(text: Optional[str]) -> Value:
    text = " ".join((text or "").split())
    web = text.startswith(("http://", "https://")) and " " not in text
    return text, text if web else None


def _text(element: etree._Element, path: str) -> str:
    return " ".join(element.findtext(path, "", NS).split())


def _all(element: etree._Element, path: str) -> str:
    """The text of an element and its descendants, as one line."""
    found = element.find(path, NS) if path else element
    return " ".join("".join(found.itertext()).split()) if found is not None else ""


def _header(element: etree._Element) -> Header:
    identifier = _text(element, "oai:identifier")
    return Header(identifier, _text(element, "oai:datestamp"), element.get("status") == "deleted",
                  [_all(s, "") for s in element.findall("oai:setSpec", NS)], local_id_of(identifier))


def _linker(endpoint: str) -> Callable[..., str]:
    """Links to requests on the endpoint by joining strings: url_for builds a route per call, and a page of
    100 records has some 1,700 links."""
    def oai_link(**args: str) -> str:
        return endpoint + "?" + urlencode(args, safe=":/")
    return oai_link


def _identify(element: etree._Element, oai_link: Callable[..., str]) -> list[Field]:
    def one(label: str, path: str) -> list[Field]:
        return [Field(label, [(_all(e, ""), None)]) for e in element.findall(path, NS)]

    fields = one("Repository name", "oai:repositoryName") + one("Base URL", "oai:baseURL")
    fields += one("Protocol version", "oai:protocolVersion")
    fields += [Field("Administrator", [(_all(e, ""), "mailto:" + _all(e, ""))])
               for e in element.findall("oai:adminEmail", NS)]
    for label, path in (("Earliest datestamp", "oai:earliestDatestamp"), ("Deleted records", "oai:deletedRecord"),
                        ("Granularity", "oai:granularity"), ("Compression", "oai:compression"),
                        ("Repository identifier", "oai:description/id:oai-identifier/id:repositoryIdentifier")):
        fields += one(label, path)
    fields += [Field("Sample identifier", [(sample, oai_link(verb="GetRecord", metadataPrefix=DEFAULT_PREFIX,
                                                             identifier=sample))])
               for sample in (_all(e, "") for e in element.findall(
                   "oai:description/id:oai-identifier/id:sampleIdentifier", NS))]
    fields += [Field("Description", [(etree.QName(e).namespace or "", None)])
               for e in element.findall("oai:description/*", NS) if etree.QName(e).namespace != OAI_ID_NS]
    return fields


def _dc(dc: etree._Element) -> tuple[str, list[Field]]:
    fields = []
    for name in DC_ELEMENTS:
        values = [_value(_all(e, "")) for e in dc.findall(f"dc:{name}", NS)]
        if values:
            fields.append(Field(name, values))
    return _text(dc, "dc:title"), fields


def _mods_name(name: etree._Element) -> str:
    family, given = _text(name, "mods:namePart[@type='family']"), _text(name, "mods:namePart[@type='given']")
    if family:
        return f"{family}, {given}" if given else family
    return ". ".join(_all(part, "") for part in name.findall("mods:namePart", NS))


def _mods_host(host: etree._Element) -> str:
    text = _text(host, "mods:titleInfo/mods:title")
    for detail in host.findall("mods:part/mods:detail", NS):
        text += f", {detail.get('type', '')} {_text(detail, 'mods:number')}"
    for extent in host.findall("mods:part/mods:extent[mods:start]", NS):
        end = _text(extent, "mods:end")
        text += f", pp. {_text(extent, 'mods:start')}" + (f"–{end}" if end else "")
    return text


def _mods(mods: etree._Element) -> tuple[str, list[Field]]:
    """The fields people look for, as oai2.xsl shows them."""
    fields = [Field(_text(name, "mods:role/mods:roleTerm[@type='text']") or "name", [(_mods_name(name), None)])
              for name in mods.findall("mods:name", NS)]
    for label, path in (("genre", "mods:genre"), ("date", "mods:originInfo/mods:dateIssued"),
                        ("date", "mods:originInfo/mods:dateCreated"), ("publisher", "mods:originInfo/mods:publisher")):
        fields += [Field(label, [_value(_all(e, ""))]) for e in mods.findall(path, NS)]
    fields += [Field("in", [(_mods_host(host), None)]) for host in mods.findall("mods:relatedItem[@type='host']", NS)]
    fields += [Field("subject", [(" -- ".join(_all(part, "") for part in subject), None)])
               for subject in mods.findall("mods:subject", NS)]
    fields += [Field("abstract", [(_all(e, ""), None)]) for e in mods.findall("mods:abstract", NS)]
    fields += [Field("language", [(_all(e, ""), None)]) for e in mods.findall("mods:language/mods:languageTerm", NS)]
    fields += [Field(f"identifier ({e.get('type', '')})", [_value(_all(e, ""))])
               for e in mods.findall("mods:identifier", NS)]
    fields += [Field("url", [_value(_all(e, ""))]) for e in mods.findall("mods:location/mods:url", NS)]
    title = next((t for t in mods.findall("mods:titleInfo", NS) if t.get("type") is None), None)
    text = ""
    if title is not None:
        text = _text(title, "mods:title")
        if _text(title, "mods:subTitle"):
            text += ": " + _text(title, "mods:subTitle")
    return text, _grouped(fields)


def _grouped(fields: list[Field]) -> list[Field]:
    """Repeated labels in a row (two authors, five subjects) under one label, as the oai_dc fields are."""
    result: list[Field] = []
    for f in fields:
        if result and result[-1].label == f.label:
            result[-1].values.extend(f.values)
        else:
            result.append(f)
    return result


def _pretty(metadata: etree._Element) -> str:
    copy = deepcopy(metadata)
    etree.indent(copy, space="  ")
    return etree.tostring(copy, encoding="unicode")


def _record(element: etree._Element) -> Record:
    record = Record(_header(element.find("oai:header", NS)))
    metadata = element.find("oai:metadata/*", NS)
    if metadata is None:
        return record
    record.namespace = etree.QName(metadata).namespace or ""
    if record.namespace == OAI_DC_NS:
        record.title, record.fields = _dc(metadata)
    elif record.namespace == MODS_NS:
        record.title, record.fields = _mods(metadata)
    record.xml = _pretty(metadata)
    return record


def _pager(element: etree._Element, shown: int) -> Optional[Pager]:
    """§3.5: where this page sits in the list, and the token of the next one ('' on the last page)."""
    token = element.find("oai:resumptionToken", NS)
    if token is None:
        return None
    cursor = int(token.get("cursor") or 0)
    total = token.get("completeListSize")
    return Pager(cursor + 1, cursor + shown, int(total) if total else None, (token.text or "").strip())


def _prefix(echo: dict, repo: Repository) -> str:
    """The list's format, for links from its headers: a resumed request names only its token."""
    if echo.get("metadataPrefix"):
        return echo["metadataPrefix"]
    if echo.get("resumptionToken") and echo.get("verb"):
        try:
            return repo.tokens.decode(echo["resumptionToken"], echo["verb"]).metadata_prefix or DEFAULT_PREFIX
        except OAIError:
            pass
    return DEFAULT_PREFIX


def render(body: bytes, repo: Repository) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    root = etree.fromstring(body, parser)
    oai_link = _linker(url_for("oai.endpoint"))
    echo = dict(root.find("oai:request", NS).attrib)
    errors = [(e.get("code", ""), _all(e, "")) for e in root.findall("oai:error", NS)]
    verb = "" if errors else echo.get("verb", "")
    content = root.find(f"oai:{verb}", NS) if verb else None
    page = {"identify": [], "formats": [], "sets": [], "headers": [], "records": [], "pager": None}
    if content is not None:
        if verb == "Identify":
            page["identify"] = _identify(content, oai_link)
        elif verb == "ListMetadataFormats":
            page["formats"] = [(_text(e, "oai:metadataPrefix"), _text(e, "oai:metadataNamespace"),
                                _value(_text(e, "oai:schema"))) for e in content.findall("oai:metadataFormat", NS)]
        elif verb == "ListSets":
            page["sets"] = [(_text(e, "oai:setSpec"), _text(e, "oai:setName"),
                             _all(e, "oai:setDescription//dc:description")) for e in content.findall("oai:set", NS)]
        elif verb == "ListIdentifiers":
            page["headers"] = [_header(e) for e in content.findall("oai:header", NS)]
        else:
            page["records"] = [_record(e) for e in content.findall("oai:record", NS)]
        shown = sum(len(page[k]) for k in ("sets", "headers", "records"))
        page["pager"] = _pager(content, shown)
    # The same request as a GET (§3.1.1: identical answers); a POST's body is not read again here: it may be
    # what was refused (413), so its arguments are the ones the response echoes.
    query = urlencode(echo if request.method == "POST" else list(request.args.items(multi=True)))
    return render_template(
        "oai.html", oai_link=oai_link, verb=verb, echo=echo, base_url=_all(root, "oai:request"), errors=errors,
        response_date=_text(root, "oai:responseDate"), prefix=_prefix(echo, repo),
        curl=shlex.join(["curl", repo.base_url + ("?" + query if query else "")]), **page)
