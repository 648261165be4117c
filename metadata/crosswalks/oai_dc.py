"""MODS master -> oai_dc, after the Library of Congress "MODS to Dublin Core Metadata Element Set Mapping"
(version 3, 2012): a pure function of one element, no I/O, no schema loading, no state.

Where the mapping leaves a choice, the helper that makes it says which one in its docstring. All values are
whitespace-normalised; empty ones and repeats within an element are dropped; elements follow simpledc order.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from lxml import etree

from metadata.namespaces import DC_NS, MODS_NS, OAI_DC_NS, XLINK_NS, XSI_NS

XLINK_HREF = f"{{{XLINK_NS}}}href"
OAI_DC_SCHEMA_LOCATION = f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

# The order of http://dublincore.org/schemas/xmls/simpledc20021212.xsd.
DC_ELEMENTS = ("title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
               "format", "identifier", "source", "language", "relation", "coverage", "rights")

CREATOR_ROLES = frozenset({"creator", "author", "cre", "aut"})

# typeOfResource -> DCMI Type Vocabulary, as the LoC stylesheet maps it.
DCMI_TYPES = {
    "text": "Text", "notated music": "Text", "cartographic": "Image", "still image": "StillImage",
    "moving image": "MovingImage", "sound recording": "Sound", "sound recording-musical": "Sound",
    "sound recording-nonmusical": "Sound", "three dimensional object": "PhysicalObject",
    "software, multimedia": "Software",
}

DETAIL_ABBREVIATIONS = {"volume": "vol.", "issue": "no.", "number": "no.", "part": "pt.", "chapter": "ch."}

_DATES = ("dateIssued", "dateCreated", "dateCaptured", "dateOther")


def mods_to_oai_dc(mods: etree._Element) -> etree._Element:
    """Refuses anything but a mods:mods element: splitting a modsCollection is the caller's business."""
    if mods.tag != f"{{{MODS_NS}}}mods":
        raise ValueError(f"expected a mods:mods element, got {mods.tag}")
    values: dict[str, list[str]] = {name: [] for name in DC_ELEMENTS}

    def add(element: str, texts: Iterable[str]) -> None:
        for text in texts:
            text = _normalise(text)
            if text and text not in values[element]:
                values[element].append(text)

    add("title", (_title(t) for t in _all(mods, "titleInfo")))
    for name in _all(mods, "name"):
        add("creator" if _is_creator(name) else "contributor", [_name(name)])
    for subject in _all(mods, "subject"):
        for element, text in _subject(subject):
            add(element, [text])
    add("subject", (_text(c) for c in _all(mods, "classification")))
    # MODS 3.6 lets a cataloguer mark an abstract as not for sharing.
    add("description", (_text(a) for a in _all(mods, "abstract") if a.get("shareable") != "no"))
    add("description", (_text(t) for t in _all(mods, "tableOfContents")))
    add("description", (_labelled(n) for n in _all(mods, "note")))
    add("publisher", (_text(p) for p in _all(mods, "originInfo/m:publisher")))
    add("date", _dates(mods))
    # The DCMI Type term first: harvesters that keep one dc:type keep the controlled one.
    for resource_type in _all(mods, "typeOfResource"):
        kind = _text(resource_type)
        collection = "Collection" if resource_type.get("collection") == "yes" else ""
        add("type", [DCMI_TYPES.get(kind.lower(), ""), collection, kind])
    add("type", (_text(g) for g in _all(mods, "genre")))
    add("format", (_text(f) for f in _all(mods, "physicalDescription/*")
                   if etree.QName(f).localname in ("form", "extent", "internetMediaType")))
    add("identifier", (_identifier(i) for i in _all(mods, "identifier") if i.get("invalid") != "yes"))
    # A preview URL points at a thumbnail, not at the resource.
    add("identifier", (_text(u) for u in _all(mods, "location/m:url") if u.get("access") != "preview"))
    for item in _all(mods, "relatedItem"):
        if item.get("type") == "host":
            add("source", [_citation(item)])
        else:
            add("relation", [_reference(item)])
    add("language", (_language(lang) for lang in _all(mods, "language")))
    add("rights", (_text(a) or a.get(XLINK_HREF, "") for a in _all(mods, "accessCondition")))
    return _oai_dc(values)


def _oai_dc(values: dict[str, list[str]]) -> etree._Element:
    dc = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    dc.set(f"{{{XSI_NS}}}schemaLocation", OAI_DC_SCHEMA_LOCATION)
    for element in DC_ELEMENTS:
        for text in values[element]:
            etree.SubElement(dc, f"{{{DC_NS}}}{element}").text = text
    return dc


@lru_cache(maxsize=None)
def _clark(path: str) -> str:
    """"a/m:b" -> "{mods}a/{mods}b": lxml finds Clark paths without a namespace map, a third faster."""
    return "/".join(step if step == "*" else f"{{{MODS_NS}}}{step.removeprefix('m:')}" for step in path.split("/"))


def _all(parent: etree._Element, path: str) -> list[etree._Element]:
    return parent.findall(_clark(path))


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _text(element: etree._Element) -> str:
    return _normalise("".join(element.itertext()))


def _append(head: str, separator: str, tail: str) -> str:
    """Join with the mapping's punctuation, without doubling a mark the head already ends with."""
    if not head or not tail:
        return head or tail
    if head.endswith(separator.strip()):
        return f"{head} {tail}"
    return head + separator + tail


def _title(title_info: etree._Element) -> str:
    """nonSort + title, ": " subTitle, ". " partNumber/partName, in the order the record gives them."""
    result = ""
    for part in title_info.iterchildren(etree.Element):
        local, text = etree.QName(part).localname, _text(part)
        if local == "nonSort":
            # "The " keeps its space, "L'" has none to keep.
            glue = "" if text.endswith(("'", "’")) or not text else " "
            result = text + glue + result
        elif local == "title":
            result += text
        elif local == "subTitle":
            result = _append(result, ": ", text)
        elif local in ("partNumber", "partName"):
            result = _append(result, ". ", text)
    return result


def _is_creator(name: etree._Element) -> bool:
    """A creator/author role (text or marcrelator code), or none at all; any other role is a contributor."""
    roles = {_text(term).lower() for term in _all(name, "role/m:roleTerm")}
    return not roles or bool(roles & CREATOR_ROLES)


def _name(name: etree._Element) -> str:
    """Personal: "Family, Given[, termsOfAddress][, date]"; corporate and others: nameParts joined by ". "."""
    parts = _all(name, "namePart")
    if name.get("type") != "personal":
        joined = ""
        for part in parts:
            joined = _append(joined, ". ", _text(part))
        return joined or _text_of_first(name, "displayForm")

    def of_type(kind: str | None) -> str:
        return " ".join(_text(p) for p in parts if p.get("type") == kind)

    base = ", ".join(filter(None, (of_type("family"), of_type("given")))) or of_type(None)
    if not base:
        return _text_of_first(name, "displayForm")
    return ", ".join(filter(None, (base, of_type("termsOfAddress"), of_type("date"))))


def _text_of_first(parent: etree._Element, path: str) -> str:
    found = parent.find(_clark(path))
    return _text(found) if found is not None else ""


def _subject(subject: etree._Element) -> Iterator[tuple[str, str]]:
    """Topics of one <subject> stay one heading joined by "--", as the LoC stylesheet does; places,
    periods and coordinates are dc:coverage."""
    heading = [_text(c) for c in subject.iterchildren(etree.Element)
               if etree.QName(c).localname in ("topic", "occupation", "genre")]
    yield "subject", "--".join(filter(None, heading))
    yield from (("subject", _name(n)) for n in _all(subject, "name"))
    yield from (("subject", _title(t)) for t in _all(subject, "titleInfo"))
    yield from (("coverage", _text(g)) for g in _all(subject, "geographic"))
    for place in _all(subject, "hierarchicalGeographic"):
        yield "coverage", "--".join(filter(None, (_text(p) for p in place.iterchildren(etree.Element))))
    yield from (("coverage", text) for text, _ in _ranges(_all(subject, "temporal")))
    yield from (("coverage", _text(c)) for c in _all(subject, "cartographics/m:coordinates"))


def _ranges(elements: Iterable[etree._Element]) -> Iterator[tuple[str, etree._Element]]:
    """Each date's text with its element; a point="start" and the point="end" right after it become one
    ISO 8601 interval "start/end"."""
    pending = list(elements)
    while pending:
        first = pending.pop(0)
        if (first.get("point") == "start" and pending and pending[0].get("point") == "end"
                and pending[0].tag == first.tag):
            yield f"{_text(first)}/{_text(pending.pop(0))}", first
        else:
            yield _text(first), first


def _dates(mods: etree._Element) -> list[str]:
    """dateIssued, dateCreated, dateCaptured, dateOther of every originInfo, the keyDate first."""
    found = [d for d in _all(mods, "originInfo/*") if etree.QName(d).localname in _DATES]
    dated = list(_ranges(found))
    dated.sort(key=lambda pair: pair[1].get("keyDate") != "yes")  # stable: otherwise record order
    return [text for text, _ in dated]


def _labelled(note: etree._Element) -> str:
    """A note's meaning often lives in its label, so "Publication status: Accepted/In press"."""
    label, text = _normalise(note.get("displayLabel", "")), _text(note)
    return f"{label}: {text}" if label and text else text


def _identifier(identifier: etree._Element) -> str:
    """DOI and handle as info:doi/ and info:hdl/ URIs, so harvesters can recognise them; uri, url and
    untyped values unchanged; any other type kept as a prefix ("isbn: ..."), as the LoC stylesheet does."""
    value, kind = _text(identifier), identifier.get("type", "").strip().lower()
    if kind in ("doi", "hdl"):
        if value.startswith(("info:", "http://", "https://")):
            return value
        return f"info:{kind}/{value.removeprefix(kind + ':')}"
    if kind in ("", "uri", "url"):
        return value
    return f"{kind}: {value}"


def _language(language: etree._Element) -> str:
    """The coded term when there is one (DC recommends ISO 639), else the written one."""
    terms = _all(language, "languageTerm")
    coded = [t for t in terms if t.get("type") == "code"]
    return _text((coded or terms)[0]) if terms else ""


def _reference(item: etree._Element) -> str:
    """dc:relation for a related item: its title, else its identifier or URL, else its xlink:href."""
    for path in ("titleInfo", "identifier", "location/m:url"):
        found = item.find(_clark(path))
        if found is not None:
            text = _title(found) if path == "titleInfo" else _text(found)
            if text:
                return text
    return item.get(XLINK_HREF, "")


def _citation(host: etree._Element) -> str:
    """dc:source for the host: "Title, vol. V, no. N, pp. S-E, date", each piece only if the host's <part>
    gives it, in the part's order; a detail's own caption wins over the vol./no. abbreviations."""
    pieces = [_reference(host)]
    for part in _all(host, "part"):
        for piece in part.iterchildren(etree.Element):
            local = etree.QName(piece).localname
            if local == "detail":
                number = _text_of_first(piece, "number")
                caption = _text_of_first(piece, "caption") or DETAIL_ABBREVIATIONS.get(piece.get("type"), "")
                pieces.append(f"{caption} {number}" if number else "")
            elif local == "extent":
                pieces.append(_extent(piece))
            elif local == "date":
                pieces.append(_text(piece))
    return ", ".join(_normalise(p) for p in pieces if p.strip())


def _extent(extent: etree._Element) -> str:
    start, end, total, listed = (_text_of_first(extent, tag) for tag in ("start", "end", "total", "list"))
    if listed:
        return listed
    unit = extent.get("unit", "")
    if unit in ("page", "pages"):
        if start and end:
            return f"pp. {start}-{end}"
        return f"p. {start}" if start else (f"{total} pages" if total else "")
    span = "-".join(filter(None, (start, end))) or total
    return f"{span} {unit}" if span else ""
