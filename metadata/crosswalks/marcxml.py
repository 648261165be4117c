"""MODS master -> marcxml: a MARC 21 bibliographic record in MARCXML slim, the article catalogued as a component
part with its journal in 773, after the Library of Congress MODS to MARC mapping and the MARC 21 Format for
Bibliographic Data. A pure function of one record: no I/O, no clock (so no 005), same input, same bytes.

Record-wide choices (each field's are beside it):
- Leader/07 is a, monographic component part, when there is a host: MARC 21 gives "an article in a single issue
  of a periodical" as its example; b, serial component part, is for a serial within a serial (a regular
  column). With no host the record describes a monograph/item, m. 008/18-34 then take the Books definitions.
- Leader/17 is 3, abbreviated level: derived from repository metadata, headings not authority-controlled (u is
  "not used in newly input records"). Leader/18 is n, non-ISBD punctuation omitted: no ISBD punctuation is
  written at subfield ends and the description follows no ISBD rules.
- Leader/00-04 (record length) and 12-16 (base address) are "00000": they describe an ISO 2709 file, which an
  ISO 2709 writer (pymarc's as_marc()) computes; MARCXML writers leave placeholders.
- 001 is the OAI identifier: unique beyond this repository, which has no MARC organization code for 003/040.
- Only a record with a title has this format (245 is mandatory in MARC 21): None otherwise.

The record is written as text through XMLWriter and parsed once (a crosswalk's elements made one by one from
Python were most of its cost); the control field and subfield attributes are constant strings, escaped once.
"""
from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Iterable, Optional

from lxml import etree

from metadata.crosswalks import xmltext
from metadata.crosswalks.xmltext import XMLWriter
from metadata.facts import LANGUAGES, Facts, Name, clean
from metadata.namespaces import MARC_NS, MODS_NS, XSI_NS

if TYPE_CHECKING:
    from metadata.formats import Context

SCHEMA_LOCATION = f"{MARC_NS} http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
M = f"{{{MODS_NS}}}"
TITLE_INFO, NON_SORT, TITLE, SUB_TITLE = M + "titleInfo", M + "nonSort", M + "title", M + "subTitle"
RECORD_INFO, RECORD_CREATION_DATE, GENRE = M + "recordInfo", M + "recordCreationDate", M + "genre"
ROOT_ATTRIBUTES = {"type": "Bibliographic", "xsi:schemaLocation": SCHEMA_LOCATION}
ENCODING_LEVEL, CATALOGING_FORM = "3", "n"

# typeOfResource -> Leader/06, as LoC's MODS2MARC21slim stylesheet maps it.
RECORD_TYPES = {"text": "a", "cartographic": "e", "notated music": "c", "sound recording-nonmusical": "i",
                "sound recording": "j", "sound recording-musical": "j", "still image": "k", "moving image": "g",
                "three dimensional object": "r", "software, multimedia": "m", "mixed material": "p"}
# MARC Code List for Relators, the commonest roles: code -> term.
RELATORS = {"aut": "author", "cre": "creator", "edt": "editor", "ctb": "contributor", "trl": "translator",
            "ill": "illustrator", "cmp": "compiler", "ths": "thesis advisor", "dgs": "degree supervisor",
            "pbl": "publisher", "res": "researcher", "fnd": "funder", "spn": "sponsor", "dtc": "data contributor",
            "his": "host institution", "dgg": "degree granting institution"}
TERMS = {term: code for code, term in RELATORS.items()}
# MARC language codes are ISO 639-2/B: the terminology (T) codes that differ.
BIBLIOGRAPHIC = {"fra": "fre", "deu": "ger", "nld": "dut", "zho": "chi", "ell": "gre", "ces": "cze", "fas": "per",
                 "slk": "slo", "ron": "rum", "msa": "may", "hye": "arm", "eus": "baq", "bod": "tib", "cym": "wel",
                 "kat": "geo", "isl": "ice", "mkd": "mac", "mri": "mao", "mya": "bur", "sqi": "alb"}
# Subject authority -> 650 second indicator (MARC 21 6XX: 0 LCSH, 1 LC children's, 2 MeSH, 3 NAL, 5 CSH, 6 RVM).
THESAURI = {"lcsh": "0", "lcshac": "1", "mesh": "2", "nal": "3", "cash": "5", "rvm": "6"}
W3CDTF_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MARC_DATE = re.compile(r"\d{6}")  # yymmdd, recordCreationDate encoding="marc"
LANGUAGE_CODE = re.compile("[a-z]{3}")
# Every MARC control field tag (001-009) and subfield code (a lower-case letter or a digit) -> its attributes,
# escaped once (xmltext.attributes), so no control field or subfield builds or escapes them.
CONTROL_FIELD_TAGS = {tag: xmltext.attributes({"tag": tag}) for tag in (f"00{n}" for n in range(1, 10))}
SUBFIELD_CODES = {code: xmltext.attributes({"code": code}) for code in string.ascii_lowercase + string.digits}


def derive_marcxml(mods: etree._Element, facts: Facts, context: "Context") -> Optional[etree._Element]:
    """The format contract (metadata/formats.py); fields are written in tag order, as MARC 21 lists them."""
    if not facts.title:
        return None
    host = bool(facts.journal or facts.issn)
    online = bool(facts.doi or facts.handle or facts.url)
    record_type = RECORD_TYPES.get(facts.resource_type, "a")
    record = XMLWriter("record", {None: MARC_NS, "xsi": XSI_NS}, ROOT_ATTRIBUTES)
    record.leaf("leader", f"00000n{record_type}{'a' if host else 'm'} a2200000{ENCODING_LEVEL}{CATALOGING_FORM} 4500")
    _control(record, "001", context.identifier)
    if online:
        _control(record, "007", "cr |||||||||||")  # electronic resource, remote; the rest not coded
    _control(record, "008", _fixed_length(mods, facts, online, books=record_type in "at"))
    if facts.isbn:  # the record's own ISBN (MODS identifier type="isbn"; a host's would be in 773 $z)
        _field(record, "020", " ", " ", ("a", facts.isbn))
    for identifier, source in ((facts.doi, "doi"), (facts.handle, "hdl")):  # 024 7: source in $2
        if identifier:
            _field(record, "024", "7", " ", ("a", identifier), ("2", source))
    if facts.date_created:  # 046 $k date created; w3cdtf dates are EDTF level 0
        _field(record, "046", " ", " ", ("k", facts.date_created), ("2", "edtf"))
    authors, others = facts.authors, facts.contributors
    main = authors[0] if authors else None
    if main is not None:
        _name(record, main, added=False)
    nonfiling, titles = _titles(mods, facts)
    # 245 ind1: 1 when a 1XX is the main entry; ind2: nonfiling characters (the nonSort with its space).
    _field(record, "245", "1" if main else "0", str(min(nonfiling, 9)), ("a", facts.title), ("b", facts.subtitle))
    for kind, title, subtitle in titles:
        if kind == "abbreviated":
            _field(record, "210", "0", " ", ("a", title))
        else:  # 246 ind1 3 no note, added entry; ind2 1 parallel title (a translation on the source), else blank
            _field(record, "246", "3", "1" if kind == "translated" else " ", ("a", title), ("b", subtitle))
    _field(record, "264", " ", "1", ("a", facts.place), ("b", facts.publisher), ("c", facts.date))
    _field(record, "300", " ", " ", ("a", _extent(facts, online)))
    _field(record, "336", " ", " ", ("a", "text"), ("b", "txt"), ("2", "rdacontent"))
    if online:  # the carrier of a record with no link is unknown
        _field(record, "337", " ", " ", ("a", "computer"), ("b", "c"), ("2", "rdamedia"))
        _field(record, "338", " ", " ", ("a", "online resource"), ("b", "cr"), ("2", "rdacarrier"))
    for label, text in facts.notes:  # publication status among them
        _field(record, "500", " ", " ", ("a", text if label == "Note" else f"{label}: {text}"))
    if facts.access:  # 506 ind1 0 no restrictions, 1 restrictions apply; $f/$2 from the "star" vocabulary
        is_open = "open" in facts.access.lower()
        _field(record, "506", "0" if is_open else "1", " ", ("a", facts.access),
               ("f", "Unrestricted online access" if is_open else ""), ("2", "star" if is_open else ""))
    for paragraph in facts.abstract:
        _field(record, "520", "3", " ", ("a", paragraph))  # ind1 3: abstract
    terms = [text for text in facts.rights if text != facts.access]
    for i, text in enumerate(terms or [""]):
        _field(record, "540", " ", " ", ("a", text), ("u", facts.licence if i == 0 else ""))
    for subject in facts.subjects:  # controlled: topical term, subdivisions as $x, the scheme in ind2 or $2
        if subject.authority:
            head, *rest = subject.heading.split(" -- ")
            thesaurus = THESAURI.get(subject.authority.lower(), "7")
            _field(record, "650", " ", thesaurus, ("a", head), *(("x", part) for part in rest),
                   ("2", subject.authority if thesaurus == "7" else ""), ("0", subject.uri))
    for keyword in facts.keywords:
        _field(record, "653", " ", " ", ("a", keyword))  # uncontrolled index term
    seen = set()
    for genre in mods.iterchildren(GENRE):  # facts.genres lacks the authority and valueURI
        text, authority = clean(genre.text), genre.get("authority", "")
        if text not in seen:  # ind2 7: source in $2; 4: source not specified
            seen.add(text)
            _field(record, "655", " ", "7" if authority else "4", ("a", text), ("2", authority),
                   ("0", genre.get("valueURI", "")))
    for name in authors[1:] + others:
        _name(record, name, added=True)
    if host:
        _field(record, "773", "0", " ", ("t", facts.journal), ("g", _related_parts(facts)), ("x", facts.issn),
               ("q", _enumeration(facts)), ("7", "nnas"))  # $7 nnas: the host is a serial with no main entry
    _links(record, facts, context)
    return record.done()


def _control(record: XMLWriter, tag: str, value: str) -> None:
    record.leaf("controlfield", value, CONTROL_FIELD_TAGS[tag])


def _field(record: XMLWriter, tag: str, ind1: str, ind2: str, *subfields: tuple[str, str]) -> None:
    """A datafield with its non-empty subfields, or nothing when all are empty: it is opened at its first
    non-empty subfield, in the one pass over them."""
    opened = False
    for code, value in subfields:
        if value:
            if not opened:
                record.start("datafield", {"tag": tag, "ind1": ind1, "ind2": ind2})
                opened = True
            record.leaf("subfield", value, SUBFIELD_CODES[code])
    if opened:
        record.end()


def _fixed_length(mods: etree._Element, facts: Facts, online: bool, books: bool) -> str:
    """008, 40 positions. 00-05 date entered on file (yymmdd): recordInfo/recordCreationDate, as LoC's mapping
    has it, else the publication date, else dateCreated, never the clock; blanks when none is a full date.
    06 s single date (n, dates unknown, without one); 15-17 xx, place unknown (MODS gives no MARC country
    code); 18-34 Books, coded only where the record says (23 form of item o, online), fill (|) elsewhere;
    35-37 language; 38 blank, not modified; 39 d, cataloguing source other."""
    entered = "      "
    info = next(mods.iterchildren(RECORD_INFO), None)
    created = _child_text(info, RECORD_CREATION_DATE) if info is not None else ""
    for date in (created, facts.date, facts.date_created):
        if MARC_DATE.fullmatch(date):  # encoding="marc" is yymmdd already
            entered = date
            break
        match = W3CDTF_DAY.match(date)
        if match:
            entered = match.group(1)[2:] + match.group(2) + match.group(3)
            break
    dates = f"s{facts.year}    " if facts.year else "nuuuuuuuu"
    material = f"|||| {'o' if online else '|'}    |||| ||" if books else "|" * 17
    return f"{entered}{dates}xx {material}{_language(facts.language)} d"


def _language(code: str) -> str:
    """MARC language code (ISO 639-2/B); blanks for no information, und when it cannot be read."""
    code = code.lower().split("-")[0]
    if not code:
        return "   "
    if len(code) == 2:
        code = next((key for key, (tag, _) in LANGUAGES.items() if tag == code), code)
    code = BIBLIOGRAPHIC.get(code, code)
    return code if LANGUAGE_CODE.fullmatch(code) else "und"


def _name(record: XMLWriter, name: Name, added: bool) -> None:
    """1XX main entry (first author) or 7XX added entry: $a inverted, $d dates, relator terms and $4 codes,
    $u affiliation, $1 ORCID (a real-world-object URI, not an authority record, so not $0)."""
    if name.kind in ("corporate", "conference"):
        tag, ind1 = ("10" if name.kind == "corporate" else "11"), "2"  # 2: name in direct order
    else:  # 1 surname first, 0 forename only, 3 family name
        tag, ind1 = "00", "3" if name.kind == "family" else "1" if "," in name.inverted else "0"
    terms, codes = _relators(name)
    relator = "j" if tag == "11" else "e"  # X11 $e is a subordinate unit; its relator term is $j
    _field(record, ("7" if added else "1") + tag, ind1, " ", ("a", name.inverted), ("d", name.dates),
           *((relator, term) for term in terms), ("u", "; ".join(name.affiliations)),
           *(("4", code) for code in codes), ("1", name.orcid))


def _relators(name: Name) -> tuple[list[str], list[str]]:
    """Relator terms and codes from the roles, text and codes alike; an author with no role is an author."""
    terms, codes = [], []
    for role in name.roles or ["aut"]:
        term, code = (RELATORS[role], role) if role in RELATORS else (role, TERMS.get(role, ""))
        if term not in terms:
            terms.append(term)
        if code and code not in codes:
            codes.append(code)
    return terms, codes


def _titles(mods: etree._Element, facts: Facts) -> tuple[int, list[tuple[str, str, str]]]:
    """The primary title's nonfiling count and the other titles by type, read from MODS: facts keep neither
    the nonSort apart nor the other titles' types. 246 and 210 carry no initial article (no nonfiling
    indicator), so their nonSort is left out."""
    nonfiling, others, primary_seen = 0, [], False
    for info in mods.iterchildren(TITLE_INFO):
        parts = {}
        for part in info:  # one pass over the children, the first of each tag, as findtext takes it
            parts.setdefault(part.tag, part.text)
        non_sort, title, subtitle = clean(parts.get(NON_SORT)), clean(parts.get(TITLE)), clean(parts.get(SUB_TITLE))
        if not primary_seen and " ".join(filter(None, (non_sort, title))) == facts.title \
                and subtitle == facts.subtitle:
            primary_seen, nonfiling = True, len(non_sort) + 1 if non_sort and title else 0
        elif title:
            others.append((info.get("type", ""), title, subtitle))
    return nonfiling, others


def _child_text(parent: etree._Element, tag: str) -> str:
    """findtext(tag), cleaned: iterchildren skips the ElementPath lookup that costs findtext a microsecond."""
    for child in parent.iterchildren(tag):
        return clean(child.text)
    return ""


def _extent(facts: Facts, online: bool) -> str:
    """300 $a: the article's pages (RDA wording), inside "1 online resource (...)" when it is online."""
    if facts.first_page and facts.last_page:
        pages = f"pages {facts.first_page}-{facts.last_page}"
    elif facts.page_count:
        pages = f"{facts.page_count} pages"
    else:
        pages = f"page {facts.first_page}" if facts.first_page else ""
    if online:
        return f"1 online resource ({pages})" if pages else "1 online resource"
    return pages


def _related_parts(facts: Facts) -> str:
    """773 $g, as MARC 21's examples write it: "Vol. 16, no. 6 (2021), p. 845-861"."""
    numbering = ", ".join(filter(None, (facts.volume and f"Vol. {facts.volume}", facts.issue and f"no. {facts.issue}")))
    issue = f"{numbering} ({facts.year})" if numbering and facts.year else numbering or facts.year
    pages = facts.first_page and f"p. {facts.first_page}" + (f"-{facts.last_page}" if facts.last_page else "")
    return ", ".join(filter(None, (issue, pages)))


def _enumeration(facts: Facts) -> str:
    """773 $q, enumeration and first page in the SICI-like form MARC 21 shows: "16:6<845"."""
    numbers = ":".join(filter(None, (facts.volume, facts.issue)))
    return numbers + (f"<{facts.first_page}" if facts.first_page else "")


def _links(record: XMLWriter, facts: Facts, context: "Context") -> None:
    """856 40 (HTTP, the resource itself): the DOI and handle resolvers, the record's own URL, and the landing
    page here with a public note naming the repository; each URL once."""
    urls: Iterable[tuple[str, str]] = (
        (facts.doi and f"https://doi.org/{facts.doi}", ""),
        (facts.handle and f"https://hdl.handle.net/{facts.handle}", ""),
        (facts.url, ""),
        (context.landing_page, context.repository_name and f"Record in {context.repository_name}"))
    seen = set()
    for url, note in urls:
        if url and url not in seen:
            seen.add(url)
            _field(record, "856", "4", "0", ("u", url), ("z", note))
