"""One reading of a record's facts, taken once at ingest from its MODS (or, for a Dublin Core-only record, its
oai_dc) and stored beside it: pages, citation meta, JSON-LD, sets and crosswalks all take their titles, names,
dates, host and identifiers from here, so no two of them disagree about a date. Pure: XML in, values out.

The publication date is one rule for everything: an own originInfo date marked keyDate="yes", else the own
dateIssued, else the host's dateIssued (an article's date is its journal issue's), else the own dateCreated,
else copyrightDate.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from lxml import etree

from metadata.namespaces import DC_NS, MODS_NS, XLINK_NS

M = f"{{{MODS_NS}}}"
NAME_PART, ROLE, NAME_IDENTIFIER, AFFILIATION, DISPLAY_FORM = (
    M + "namePart", M + "role", M + "nameIdentifier", M + "affiliation", M + "displayForm")
CREATOR_ROLES = frozenset({"author", "aut", "creator", "cre"})
ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\Z")
DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)\Z", re.I)
HANDLE = re.compile(r"(?:https?://hdl\.handle\.net/|hdl:)?(\d[\d.]*/\S+)\Z", re.I)
DATE_TAGS = ("dateIssued", "dateCreated", "copyrightDate", "dateCaptured", "dateValid", "dateModified", "dateOther")
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


@dataclass
class Name:
    """A person or body named in the record, as catalogued."""

    display: str  # "Given Family", as a reader writes it
    inverted: str  # "Family, Given", as citations, MARC and DataCite want it
    given: str = ""
    family: str = ""
    kind: str = "personal"  # MODS name/@type: personal, corporate, conference, family
    roles: list[str] = field(default_factory=list)  # role terms, text and codes, lower-cased
    orcid: str = ""  # https://orcid.org/0000-...
    affiliations: list[str] = field(default_factory=list)
    dates: str = ""  # namePart type="date"

    @property
    def is_author(self) -> bool:
        return not self.roles or bool(CREATOR_ROLES.intersection(self.roles))


@dataclass
class Subject:
    heading: str  # topics and the like joined with ' -- '
    authority: str = ""  # '' for uncontrolled keywords
    uri: str = ""  # valueURI, when the authority gives one
    label: str = ""  # displayLabel


@dataclass
class Facts:
    title: str = ""  # with its nonSort
    subtitle: str = ""
    other_titles: list[str] = field(default_factory=list)  # alternative, translated, abbreviated
    names: list[Name] = field(default_factory=list)
    date: str = ""  # the publication date (the module's rule), as catalogued: YYYY, YYYY-MM or YYYY-MM-DD
    date_created: str = ""
    genres: list[str] = field(default_factory=list)
    resource_type: str = ""  # typeOfResource
    language: str = ""  # ISO 639-2 code as catalogued
    abstract: list[str] = field(default_factory=list)  # paragraphs
    subjects: list[Subject] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # every subject/topic on its own (the subject sets)
    classifications: list[str] = field(default_factory=list)
    publisher: str = ""
    place: str = ""
    journal: str = ""  # the host item's title
    issn: str = ""
    volume: str = ""
    issue: str = ""
    first_page: str = ""
    last_page: str = ""
    page_count: str = ""
    doi: str = ""  # bare, 10.xxxx/...
    handle: str = ""  # bare, prefix/suffix
    url: str = ""  # the record's own URL (location/url, else identifier type="uri")
    isbn: str = ""
    access: str = ""  # accessCondition type="restriction on access", as catalogued
    licence: str = ""  # accessCondition type="use and reproduction": its xlink:href, else a URL in its text
    rights: list[str] = field(default_factory=list)  # texts of every accessCondition
    publication_status: str = ""  # note type="publication status" (or "version identification")
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, text), for the landing page
    record_identifier: str = ""

    # --- what pages ask of the facts -----------------------------------------------------------------
    @property
    def full_title(self) -> str:
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title

    @property
    def authors(self) -> list[Name]:
        return [n for n in self.names if n.is_author]

    @property
    def contributors(self) -> list[Name]:
        return [n for n in self.names if not n.is_author]

    @property
    def keywords(self) -> list[str]:
        return [s.heading for s in self.subjects if not s.authority]

    @property
    def subject_areas(self) -> list[str]:
        areas = [s.heading for s in self.subjects if s.authority]
        return areas + [c for c in self.classifications if c not in areas]

    @property
    def year(self) -> str:
        match = re.match(r"\s*(\d{4})", self.date)
        return match.group(1) if match else ""

    @property
    def language_tag(self) -> str:
        """ISO 639-1 where there is one (citation_language, schema.org inLanguage, HTML lang), else as given."""
        return LANGUAGES.get(self.language.lower(), (self.language, ""))[0]

    @property
    def language_name(self) -> str:
        return LANGUAGES.get(self.language.lower(), ("", self.language))[1]

    def summary(self) -> dict:
        """What the store keeps for lists and search (title, creators, date) with the whole of the facts."""
        facts = dict(self.__dict__)  # not dataclasses.asdict: its deep copies cost more than the whole crosswalk
        facts["names"] = [dict(name.__dict__) for name in self.names]
        facts["subjects"] = [dict(subject.__dict__) for subject in self.subjects]
        return {"title": self.full_title, "creators": [a.inverted for a in self.authors], "date": self.date,
                "facts": facts}

    @classmethod
    def from_summary(cls, summary: dict) -> Optional["Facts"]:
        """The facts a stored summary holds; None for a summary stored before facts were kept (run rederive)."""
        data = summary.get("facts")
        if data is None:
            return None
        data = dict(data)
        data["names"] = [Name(**n) for n in data.get("names", ())]
        data["subjects"] = [Subject(**s) for s in data.get("subjects", ())]
        data["notes"] = [tuple(n) for n in data.get("notes", ())]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def clean(text: Optional[str]) -> str:
    return " ".join(text.split()) if text else ""


def _texts(parent: etree._Element, tag: str) -> list[str]:
    return [t for t in (clean(e.text) for e in parent.iterchildren(M + tag)) if t]


def _first(parent: Optional[etree._Element], tag: str, **attributes: str) -> str:
    if parent is None:
        return ""
    for element in parent.iterchildren(M + tag):
        if all(element.get(k) == v for k, v in attributes.items()):
            text = clean(element.text)
            if text:
                return text
    return ""


def _label(text: str) -> str:
    return text[:1].upper() + text[1:]


def facts_of_mods(mods: etree._Element) -> Facts:
    """One pass over the record's children: each element read from Python costs about a microsecond, and this
    runs once per ingested record."""
    facts = Facts()
    titles, dates, host, parts = [], [], None, []
    for child in mods:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(M):
            continue
        tag = tag[len(M):]
        if tag == "titleInfo":
            titles.append(child)
        elif tag == "name":
            name = _name(child)
            if name is not None:
                facts.names.append(name)
        elif tag == "typeOfResource":
            facts.resource_type = facts.resource_type or clean(child.text)
        elif tag == "genre":
            text = clean(child.text)
            if text and text not in facts.genres:
                facts.genres.append(text)
        elif tag == "originInfo":
            for element in child:
                local = element.tag[len(M):] if isinstance(element.tag, str) else ""
                text = clean(element.text)
                if local in DATE_TAGS and text and element.get("point") != "end":
                    dates.append((local, text, element.get("keyDate") == "yes"))
                elif local == "publisher" and text:
                    facts.publisher = facts.publisher or text
                elif local == "place":
                    facts.place = facts.place or _first(element, "placeTerm", type="text")
        elif tag == "language":
            facts.language = facts.language or _first(child, "languageTerm", type="code")
        elif tag == "abstract":
            text = clean(child.text)
            if text and child.get("shareable") != "no":
                facts.abstract.append(text)
        elif tag == "subject":
            _subject(child, facts)
        elif tag == "classification":
            text = clean(child.text)
            if text:
                facts.classifications.append(text)
        elif tag == "relatedItem":
            if host is None and child.get("type") == "host":
                host = child
        elif tag == "identifier":
            _identifier(child.get("type", "").lower(), clean(child.text), facts)
        elif tag == "location":
            facts.url = facts.url or _first(child, "url")
        elif tag == "accessCondition":
            _access_condition(child, facts)
        elif tag == "note":
            text = clean(child.text)
            kind = (child.get("type") or "").lower()
            if text:
                if kind in ("publication status", "version identification") and not facts.publication_status:
                    facts.publication_status = text
                facts.notes.append((_label(child.get("displayLabel") or kind or "note"), text))
        elif tag == "part":
            parts.append(child)
        elif tag == "recordInfo":
            facts.record_identifier = _first(child, "recordIdentifier")
    _titles(titles, facts)
    if host is not None:
        _host(host, facts, dates)
    for part in parts:
        _part(part, facts)
    facts.date = _publication_date(dates)
    facts.date_created = next((text for tag, text, _ in dates if tag == "dateCreated"), "")
    return facts


def _titles(infos: list, facts: Facts) -> None:
    """The primary title (usage="primary", else the first without a type), the others as other titles."""
    primary = next((i for i in infos if i.get("usage") == "primary"), None)
    if primary is None:  # never `or`: an element without children is false
        primary = next((i for i in infos if not i.get("type")), infos[0] if infos else None)
    for info in infos:
        title = " ".join(filter(None, (_first(info, "nonSort"), _first(info, "title"))))
        if info is primary:
            facts.title, facts.subtitle = title, _first(info, "subTitle")
        elif title:
            facts.other_titles.append(title)


def _name(element: etree._Element) -> Optional[Name]:
    """One pass over the name's children (a record has several names, each read once per ingest)."""
    given, family, plain, roles, affiliations = [], [], [], [], []
    dates = orcid = display_form = ""
    for child in element:
        tag = child.tag
        if tag == NAME_PART:
            text, kind = clean(child.text), child.get("type")
            if not text:
                continue
            if kind == "given":
                given.append(text)
            elif kind == "family":
                family.append(text)
            elif kind == "date":
                dates = text
            elif kind != "termsOfAddress":
                plain.append(text)
        elif tag == ROLE:
            roles += [text.lower() for text in (clean(term.text) for term in child) if text]
        elif tag == NAME_IDENTIFIER:
            match = ORCID.search(clean(child.text))
            if match and (child.get("type", "").lower() == "orcid" or "orcid.org" in (child.text or "")):
                orcid = f"https://orcid.org/{match.group(1)}"
        elif tag == AFFILIATION:
            text = clean(child.text)
            if text:
                affiliations.append(text)
        elif tag == DISPLAY_FORM:
            display_form = display_form or clean(child.text)
    kind = element.get("type") or "personal"
    given_text, family_text = " ".join(given), " ".join(family)
    if given_text or family_text:
        return Name(f"{given_text} {family_text}".strip(), ", ".join(filter(None, (family_text, given_text))),
                    given_text, family_text, kind, roles, orcid, affiliations, dates)
    text = (". " if kind == "corporate" else " ").join(plain) or display_form
    return Name(text, text, kind=kind, roles=roles, orcid=orcid, affiliations=affiliations, dates=dates) if text else None


def _subject(element: etree._Element, facts: Facts) -> None:
    facts.topics += _texts(element, "topic")
    heading = " -- ".join(clean(c.text) for c in element if isinstance(c.tag, str) and clean(c.text))
    if not heading:
        return
    authority = element.get("authority") or next(
        (c.get("authority") for c in element if isinstance(c.tag, str) and c.get("authority")), "")
    uri = element.get("valueURI") or next(
        (c.get("valueURI") for c in element if isinstance(c.tag, str) and c.get("valueURI")), "")
    if all(s.heading != heading or s.authority != authority for s in facts.subjects):
        facts.subjects.append(Subject(heading, authority, uri, element.get("displayLabel") or ""))


def _identifier(kind: str, text: str, facts: Facts) -> None:
    if not text:
        return
    if kind == "doi" and not facts.doi:
        match = DOI.match(text)
        facts.doi = match.group(1) if match else text
    elif kind in ("hdl", "handle") and not facts.handle:
        match = HANDLE.match(text)
        facts.handle = match.group(1) if match else text
    elif kind == "uri":
        if not facts.doi and DOI.match(text) and "doi.org/" in text:
            facts.doi = DOI.match(text).group(1)
        elif not facts.handle and "hdl.handle.net/" in text:
            facts.handle = HANDLE.match(text).group(1) if HANDLE.match(text) else text
        elif not facts.url:
            facts.url = text
    elif kind == "isbn" and not facts.isbn:
        facts.isbn = text


def _access_condition(element: etree._Element, facts: Facts) -> None:
    text = clean(element.xpath("string()"))
    kind = (element.get("type") or "").lower()
    href = element.get(f"{{{XLINK_NS}}}href") or ""
    if text:
        facts.rights.append(text)
    if kind in ("restriction on access", "restrictiononaccess") and text and not facts.access:
        facts.access = text
    elif kind in ("use and reproduction", "useandreproduction") and not facts.licence:
        url = href or next((w for w in text.split() if w.startswith(("http://", "https://"))), "")
        facts.licence = url.rstrip(".,;)")


def _host(host: etree._Element, facts: Facts, dates: list) -> None:
    """Journal title, ISSN, publisher and date of the host item, and its part: volume, issue, pages."""
    for info in host.iterchildren(M + "titleInfo"):
        if not info.get("type"):
            facts.journal = _first(info, "title")
            break
    for identifier in host.iterchildren(M + "identifier"):
        if identifier.get("type", "").lower() in ("issn", "eissn", "issn-l") and clean(identifier.text):
            facts.issn = facts.issn or clean(identifier.text)
    for info in host.iterchildren(M + "originInfo"):
        facts.publisher = facts.publisher or _first(info, "publisher")
        issued = _first(info, "dateIssued")
        if issued:
            dates.append(("hostDateIssued", issued, False))
    for part in host.iterchildren(M + "part"):
        _part(part, facts)


def _part(part: etree._Element, facts: Facts) -> None:
    for detail in part.iterchildren(M + "detail"):
        number = _first(detail, "number")
        kind = detail.get("type", "").lower()
        if kind == "volume":
            facts.volume = facts.volume or number
        elif kind in ("issue", "number"):
            facts.issue = facts.issue or number
    for extent in part.iterchildren(M + "extent"):
        if extent.get("unit", "").lower() in ("pages", "page", "pp", "p"):
            facts.first_page = facts.first_page or _first(extent, "start")
            facts.last_page = facts.last_page or _first(extent, "end")
            facts.page_count = facts.page_count or _first(extent, "total")


def _publication_date(dates: list[tuple[str, str, bool]]) -> str:
    own = [d for d in dates if d[0] != "hostDateIssued"]
    for candidates in ([d for d in own if d[2]], [d for d in own if d[0] == "dateIssued"],
                       [d for d in dates if d[0] == "hostDateIssued"], [d for d in own if d[0] == "dateCreated"],
                       [d for d in own if d[0] == "copyrightDate"]):
        if candidates:
            return candidates[0][1]
    return ""


def facts_of_dc(dc: etree._Element) -> Facts:
    """A Dublin Core-only record: creators are "Family, Given" or a plain name, as DC writes them."""
    values: dict[str, list[str]] = {}
    for element in dc:
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{DC_NS}}}"):
            text = clean(element.text)
            bucket = values.setdefault(element.tag[len(DC_NS) + 2:], [])
            if text and text not in bucket:
                bucket.append(text)

    def first(name: str) -> str:
        return (values.get(name) or [""])[0]

    def name(text: str, role: str) -> Name:
        family, _, given = text.partition(", ")
        if given:
            return Name(f"{given} {family}", text, given, family, roles=[role])
        return Name(text, text, roles=[role])

    facts = Facts(title=first("title"), other_titles=values.get("title", [])[1:], date=first("date"),
                  language=first("language"), abstract=values.get("description", []), publisher=first("publisher"),
                  genres=values.get("type", []), subjects=[Subject(s) for s in values.get("subject", [])],
                  topics=values.get("subject", []),
                  rights=values.get("rights", []))
    facts.names = [name(c, "author") for c in values.get("creator", [])] + \
                  [name(c, "contributor") for c in values.get("contributor", [])]
    for identifier in values.get("identifier", []):
        _identifier("uri" if identifier.startswith("http") else "doi" if DOI.match(identifier) and
                    identifier.lower().startswith(("doi:", "10.")) else "", identifier, facts)
    return facts
