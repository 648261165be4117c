"""The one reader of stored records for display: MODS (or oai_dc for DC-only records) bytes in, the fields a
landing page shows out.

This is the human path only. The harvest path never parses stored XML; nothing here writes any.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from lxml import etree

from metadata.namespaces import DC_NS, MODS_NS
from metadata.validate import parse

_M = {"m": MODS_NS}
# ISO 639-2 codes (as MODS catalogues languages) -> ISO 639-1 tag and English name, for the commonest languages.
LANGUAGES = {
    "eng": ("en", "English"), "fre": ("fr", "French"), "fra": ("fr", "French"), "ger": ("de", "German"),
    "deu": ("de", "German"), "spa": ("es", "Spanish"), "por": ("pt", "Portuguese"), "ita": ("it", "Italian"),
    "dut": ("nl", "Dutch"), "nld": ("nl", "Dutch"), "cat": ("ca", "Catalan"), "rus": ("ru", "Russian"),
    "chi": ("zh", "Chinese"), "zho": ("zh", "Chinese"), "jpn": ("ja", "Japanese"), "pol": ("pl", "Polish"),
    "swe": ("sv", "Swedish"), "dan": ("da", "Danish"), "nor": ("no", "Norwegian"), "fin": ("fi", "Finnish"),
    "gre": ("el", "Greek"), "ell": ("el", "Greek"), "tur": ("tr", "Turkish"), "ara": ("ar", "Arabic"),
    "kor": ("ko", "Korean"), "cze": ("cs", "Czech"), "ces": ("cs", "Czech"), "hun": ("hu", "Hungarian"),
}
CREATOR_ROLES = frozenset({"author", "aut", "creator", "cre"})


@dataclass(frozen=True)
class Person:
    display: str  # "Given Family", as a reader writes it
    inverted: str  # "Family, Given", as citation_author and bibliographies want it
    given: str = ""
    family: str = ""


@dataclass
class Display:
    title: str = ""
    subtitle: str = ""
    authors: list[Person] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)  # paragraphs
    journal: str = ""
    volume: str = ""
    issue: str = ""
    first_page: str = ""
    last_page: str = ""
    date: str = ""  # as catalogued: YYYY, YYYY-MM or YYYY-MM-DD
    language: str = ""  # ISO 639-2 code as catalogued
    publisher: str = ""
    keywords: list[str] = field(default_factory=list)  # uncontrolled subjects
    subject_areas: list[str] = field(default_factory=list)  # subjects from a named authority, classifications
    genres: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    doi: str = ""
    url: str = ""

    @property
    def full_title(self) -> str:
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title

    @property
    def language_tag(self) -> str:
        """ISO 639-1 where there is one (citation_language, schema.org inLanguage, HTML lang), else as given."""
        return LANGUAGES.get(self.language.lower(), (self.language, ""))[0]

    @property
    def language_name(self) -> str:
        return LANGUAGES.get(self.language.lower(), ("", self.language))[1]


def _clean(text: Optional[str]) -> str:
    return " ".join(text.split()) if text else ""


def _texts(parent: etree._Element, path: str) -> list[str]:
    return [t for t in (_clean(e.text) for e in parent.iterfind(path, _M)) if t]


def _first(parent: Optional[etree._Element], path: str) -> str:
    if parent is None:
        return ""
    found = _texts(parent, path)
    return found[0] if found else ""


def _label(text: str) -> str:
    return text[:1].upper() + text[1:]


def _unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def from_mods(data: bytes) -> Display:
    mods = parse(data, "stored MODS")
    info = _primary_title(mods)
    display = Display(
        title=" ".join(filter(None, (_first(info, "m:nonSort"), _first(info, "m:title")))),
        subtitle=_first(info, "m:subTitle"),
        authors=[p for p in (_person(n) for n in mods.iterfind("m:name", _M) if _is_author(n)) if p],
        abstract=[t for t in (_clean(a.text) for a in mods.iterfind("m:abstract", _M)
                              if a.get("shareable") != "no") if t],
        date=_date_issued(mods),
        language=_first(mods, "m:language/m:languageTerm[@type='code']"),
        publisher=_first(mods, "m:originInfo/m:publisher"),
        genres=_unique(_texts(mods, "m:genre")),
        notes=[(_label(n.get("displayLabel") or n.get("type") or "note"), _clean(n.text))
               for n in mods.iterfind("m:note", _M) if _clean(n.text)],
        doi=_first(mods, "m:identifier[@type='doi']"),
        url=_first(mods, "m:location/m:url") or _first(mods, "m:identifier[@type='uri']"),
    )
    for subject in mods.iterfind("m:subject", _M):
        heading = " -- ".join(_clean(c.text) for c in subject if isinstance(c.tag, str) and _clean(c.text))
        target = display.subject_areas if subject.get("authority") else display.keywords
        if heading and heading not in target:
            target.append(heading)
    display.subject_areas += [c for c in _texts(mods, "m:classification") if c not in display.subject_areas]
    _host(mods, display)
    return display


def _primary_title(mods: etree._Element) -> Optional[etree._Element]:
    infos = mods.findall("m:titleInfo", _M)
    for info in infos:
        if info.get("usage") == "primary":
            return info
    return next((i for i in infos if not i.get("type")), infos[0] if infos else None)


def _is_author(name: etree._Element) -> bool:
    roles = {_clean(t.text).lower() for t in name.iterfind("m:role/m:roleTerm", _M)}
    return not roles or bool(roles & CREATOR_ROLES)


def _person(name: etree._Element) -> Optional[Person]:
    given = " ".join(_texts(name, "m:namePart[@type='given']"))
    family = " ".join(_texts(name, "m:namePart[@type='family']"))
    if given or family:
        return Person(" ".join(filter(None, (given, family))), ", ".join(filter(None, (family, given))), given, family)
    plain = ". ".join(_texts(name, "m:namePart")) or _first(name, "m:displayForm")
    return Person(plain, plain) if plain else None


def _date_issued(mods: etree._Element) -> str:
    for path in ("m:originInfo/m:dateIssued[@keyDate='yes']", "m:originInfo/m:dateIssued",
                 "m:relatedItem[@type='host']/m:originInfo/m:dateIssued", "m:originInfo/m:dateCreated"):
        found = _first(mods, path)
        if found:
            return found
    return ""


def _host(mods: etree._Element, display: Display) -> None:
    """Journal, volume, issue and pages: from the host item, else from the record's own part."""
    host = mods.find("m:relatedItem[@type='host']", _M)
    display.journal = _first(host, "m:titleInfo/m:title")
    for part in ([host.find("m:part", _M)] if host is not None else []) + [mods.find("m:part", _M)]:
        if part is None:
            continue
        display.volume = display.volume or _first(part, "m:detail[@type='volume']/m:number")
        display.issue = display.issue or _first(part, "m:detail[@type='issue']/m:number") \
            or _first(part, "m:detail[@type='number']/m:number")
        display.first_page = display.first_page or _first(part, "m:extent[@unit='pages']/m:start") \
            or _first(part, "m:extent[@unit='page']/m:start")
        display.last_page = display.last_page or _first(part, "m:extent[@unit='pages']/m:end") \
            or _first(part, "m:extent[@unit='page']/m:end")


def from_oai_dc(data: bytes) -> Display:
    """A DC-only record: creators are already "Family, Given" or a plain name."""
    dc = parse(data, "stored oai_dc")

    def texts(name: str) -> list[str]:
        return _unique(_clean(e.text) for e in dc.iterfind(f"{{{DC_NS}}}{name}"))

    def person(text: str) -> Person:
        family, _, given = text.partition(", ")
        if given:
            return Person(f"{given} {family}", text, given, family)
        return Person(text, text)

    titles, dates = texts("title"), texts("date")
    return Display(title=titles[0] if titles else "", authors=[person(c) for c in texts("creator")],
                   abstract=texts("description"), date=dates[0] if dates else "",
                   language=(texts("language") or [""])[0], publisher=(texts("publisher") or [""])[0],
                   keywords=texts("subject"), genres=texts("type"))


def display_fields(prefix: str, data: bytes) -> Display:
    """The display fields of a record stored in prefix ('mods' or 'oai_dc')."""
    return from_mods(data) if prefix == "mods" else from_oai_dc(data)
