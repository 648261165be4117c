"""MODS master -> oai_openaire, the application profile of the OpenAIRE Guidelines for Literature Repository
Managers v4 (DataCite, Dublin Core and oaire elements under oaire:resource). Pure: facts and MODS in, an element
out (written as text by XMLWriter and parsed once); no I/O, no schema loading, no markup written by hand.

Properties follow the guidelines' order; (M), (MA), (R), (O) in comments are their v4.0 requirement levels.
Facts give nearly everything; MODS is read only for what facts flatten away (title types and languages,
COAR genre URIs, classification authorities, the licence text, media types and full-text links).
"""
from __future__ import annotations

import re
from typing import Optional

from lxml import etree

from metadata.crosswalks import xmltext
from metadata.crosswalks.xmltext import XMLWriter
from metadata.facts import LANGUAGES, Facts, Name, clean
from metadata.namespaces import DATACITE_NS, DC_NS, MODS_NS, OAIRE_NS, XLINK_NS, XSI_NS

SCHEMA_LOCATION = f"{OAIRE_NS} https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd"
NSMAP = {"oaire": OAIRE_NS, "datacite": DATACITE_NS, "dc": DC_NS, "xsi": XSI_NS}
ROOT_ATTRIBUTES = {"xsi:schemaLocation": SCHEMA_LOCATION}  # a dict: XMLWriter() adds it to the declarations
M = f"{{{MODS_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What facts flatten away is read from these MODS children.
READ = ("titleInfo", "genre", "physicalDescription", "classification", "accessCondition", "location")
READ_TAGS = tuple(M + tag for tag in READ)
# Attribute sets written on every record, escaped once (xmltext.attributes) and written as they are.
SUBTITLE = xmltext.attributes({"titleType": "Subtitle"})
ALTERNATE_IDENTIFIER_TYPES = {kind: xmltext.attributes({"alternateIdentifierType": kind})
                              for kind in ("DOI", "Handle", "ISBN", "URL")}
ISSN_IS_PART_OF = xmltext.attributes({"relatedIdentifierType": "ISSN", "relationType": "IsPartOf"})
ISSUED = xmltext.attributes({"dateType": "Issued"})
LANDING_PAGE = xmltext.attributes({"identifierType": "URL"})
ORCID_SCHEME = xmltext.attributes({"nameIdentifierScheme": "ORCID", "schemeURI": "https://orcid.org"})

# COAR Access Rights 1.0, the four terms v4 allows.
ACCESS_RIGHTS = {
    "open access": "http://purl.org/coar/access_right/c_abf2",
    "embargoed access": "http://purl.org/coar/access_right/c_f1cf",
    "restricted access": "http://purl.org/coar/access_right/c_16ec",
    "metadata only access": "http://purl.org/coar/access_right/c_14cb",
}
# Access conditions as catalogued, squeezed of spaces, '-' and '_' -> COAR label.
ACCESS_TERMS = {"openaccess": "open access", "open": "open access", "embargoedaccess": "embargoed access",
                "embargoed": "embargoed access", "restrictedaccess": "restricted access",
                "restricted": "restricted access", "metadataonlyaccess": "metadata only access",
                "metadataonly": "metadata only access",
                # info:eu-repo closedAccess (Guidelines v3) is COAR's metadata only access.
                "closedaccess": "metadata only access", "closed": "metadata only access"}
_SQUEEZE = re.compile(r"[\s_-]")

# COAR Resource Types as the v4 guidelines list them: label -> (concept id, resourceTypeGeneral).
_OTHER = "other research product"
RESOURCE_TYPES = {label: (concept, general) for general, pairs in {
    "literature": "annotation c_1162|journal article c_6501|letter to the editor c_545b|editorial c_b239|"
                  "research article c_2df8fbb1|review article c_dcae04bc|data paper c_beb9|"
                  "contribution to journal c_3e5a|book review c_ba08|book part c_3248|book c_2f33|"
                  "bibliography c_86bc|preprint c_816b|working paper c_8042|technical documentation c_71bd|"
                  "technical report c_18gh|research report c_18ws|report to funding agency c_18hj|"
                  "project deliverable c_18op|policy report c_186u|other type of report c_18wq|memorandum c_18wz|"
                  "internal report c_18ww|review c_efa0|research proposal c_baaf|report part c_ba1f|report c_93fc|"
                  "patent c_15cd|conference poster not in proceedings c_18co|"
                  "conference paper not in proceedings c_18cp|conference poster c_6670|conference paper c_5794|"
                  "conference object c_c94f|conference proceedings c_f744|bachelor thesis c_7a1f|"
                  "master thesis c_bdcc|doctoral thesis c_db06|thesis c_46ec|letter c_0857|lecture c_8544|"
                  "text c_18cf|journal c_0640|periodical c_2659",
    "dataset": "dataset c_ddb1",
    "software": "software c_5ce6",
    _OTHER: "musical notation c_18cw|musical composition c_18cd|sound c_18cc|video c_12ce|moving image c_8a7e|"
            "still image c_ecc8|image c_c513|map c_12cd|cartographic material c_12cc|interactive resource c_e9a0|"
            "website c_7ad9|workflow c_393c|other c_1843",
}.items() for label, concept in (p.rsplit(" ", 1) for p in pairs.split("|"))}
COAR_TYPE = "http://purl.org/coar/resource_type/"
TYPES_BY_CONCEPT = {concept: label for label, (concept, _) in RESOURCE_TYPES.items()}
# Genre words catalogers use for COAR concepts under another name.
GENRES = {"article": "journal article", "journal contribution": "contribution to journal",
          "chapter": "book part", "book chapter": "book part", "phd thesis": "doctoral thesis",
          "dissertation": "doctoral thesis", "doctoral dissertation": "doctoral thesis",
          "master's thesis": "master thesis", "masters thesis": "master thesis",
          "bachelor's thesis": "bachelor thesis", "proceedings": "conference proceedings",
          "poster": "conference poster", "data set": "dataset", "computer program": "software"}
# MODS typeOfResource, when no genre names a COAR type.
TYPES_OF_RESOURCE = {"text": "text", "still image": "still image", "moving image": "moving image",
                     "sound recording": "sound", "sound recording-musical": "sound",
                     "sound recording-nonmusical": "sound", "cartographic": "cartographic material",
                     "notated music": "musical notation", "software, multimedia": "software"}

# COAR Version Types (NISO JAV); the value is the term's abbreviation, as the guidelines' example has it.
VERSIONS = {"AO": "c_b1a7d7d4d402bcce", "SMUR": "c_71e4c1898caa6e32", "AM": "c_ab4af688f83e57aa",
            "P": "c_fa2ee174bc00049f", "VoR": "c_970fb48d4fbd8a85", "CVoR": "c_e19f295774971610",
            "EVoR": "c_dc82b40f9837b551"}
# Publication status (Pure's terms and JAV's names, lower-cased) -> version; "Unpublished" and the like give none.
STATUS_VERSIONS = {"accepted/in press": "AM", "accepted": "AM", "in press": "AM", "accepted manuscript": "AM",
                   "am": "AM", "published": "VoR", "e-pub ahead of print": "VoR", "epub ahead of print": "VoR",
                   "version of record": "VoR", "vor": "VoR", "submitted": "SMUR",
                   "submitted manuscript under review": "SMUR", "smur": "SMUR", "author's original": "AO",
                   "ao": "AO", "proof": "P", "corrected version of record": "CVoR",
                   "enhanced version of record": "EVoR"}

# MARC relator terms and codes -> DataCite contributorType (the v4 list); other roles are "Other".
CONTRIBUTOR_TYPES = {"edt": "Editor", "editor": "Editor", "ths": "Supervisor", "thesis advisor": "Supervisor",
                     "dgs": "Supervisor", "degree supervisor": "Supervisor", "cph": "RightsHolder",
                     "copyright holder": "RightsHolder", "spn": "Sponsor", "sponsor": "Sponsor",
                     "his": "HostingInstitution", "host institution": "HostingInstitution", "dst": "Distributor",
                     "distributor": "Distributor", "pro": "Producer", "producer": "Producer",
                     "res": "Researcher", "researcher": "Researcher", "rth": "ProjectLeader",
                     "research team head": "ProjectLeader", "rtm": "ProjectMember",
                     "research team member": "ProjectMember", "col": "DataCollector", "collector": "DataCollector",
                     "mdc": "ContactPerson", "metadata contact": "ContactPerson"}
# MODS name/@type -> the nameType attribute, escaped once; a family name gets none.
NAME_TYPES = {"personal": xmltext.attributes({"nameType": "Personal"}),
              "corporate": xmltext.attributes({"nameType": "Organizational"}),
              "conference": xmltext.attributes({"nameType": "Organizational"})}

# Subject authorities -> (subjectScheme, schemeURI); the URIs are those the guidelines and DataCite show.
SCHEMES = {"mesh": ("MeSH", "http://id.nlm.nih.gov/mesh/"), "lcsh": ("LCSH", "http://id.loc.gov/authorities/subjects"),
           "ddc": ("DDC", "http://dewey.info/"), "udc": ("UDC", ""), "asjc": ("ASJC", "")}

# ISO 639-2 bibliographic codes -> their terminology (= ISO 639-3) codes: the guidelines' best practice is 639-3.
ISO639_B_TO_T = {"alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces", "dut": "nld",
                 "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl", "mac": "mkd", "mao": "mri",
                 "may": "msa", "per": "fas", "rum": "ron", "slo": "slk", "tib": "bod", "wel": "cym"}
ISO639_1_TO_3 = {two: ISO639_B_TO_T.get(code, code) for code, (two, _) in sorted(LANGUAGES.items())}
CC_LICENCE = re.compile(r"creativecommons\.org/(?:licenses|publicdomain)/([a-z-]+)/(\d\.\d)", re.I)


def derive_oai_openaire(mods: etree._Element, facts: Facts, context) -> etree._Element:
    """The format contract (metadata/formats.py): every MODS record has an oai_openaire dissemination; a field
    the record cannot fill is left out, even a mandatory one (the schema allows it, harvesters then flag it)."""
    children = _children(mods)
    xml = XMLWriter("oaire:resource", NSMAP, ROOT_ATTRIBUTES)
    _titles(xml, children["titleInfo"], facts)  # (M)
    _names(xml, "datacite:creators", "datacite:creator", facts.authors)  # (M)
    _names(xml, "datacite:contributors", "datacite:contributor", facts.contributors)  # (MA)
    alternates = (("DOI", facts.doi), ("Handle", facts.handle), ("ISBN", facts.isbn),
                  ("URL", facts.url if facts.url != context.landing_page else ""))
    _list(xml, "datacite:alternateIdentifiers", "datacite:alternateIdentifier",
          [(value, ALTERNATE_IDENTIFIER_TYPES[kind]) for kind, value in alternates if value])  # (R)
    if facts.issn:  # (R) the journal: A IsPartOf B
        _list(xml, "datacite:relatedIdentifiers", "datacite:relatedIdentifier", [(facts.issn, ISSN_IS_PART_OF)])
    # (M) Publication Date is Issued. "Accepted"/"Available" are kept for an embargo's start and end (Embargo
    # Period Date), so an acceptance date stated by the publication status is not given as "Accepted".
    if facts.date:
        _list(xml, "datacite:dates", "datacite:date", [(facts.date, ISSUED)])
    language = language_639_3(facts.language)  # (MA)
    if language:
        xml.leaf("dc:language", language)
    if facts.publisher:  # (MA)
        xml.leaf("dc:publisher", facts.publisher)
    label, concept, general = resource_type(children["genre"], facts)  # (M)
    xml.leaf("oaire:resourceType", label, {"resourceTypeGeneral": general, "uri": COAR_TYPE + concept})
    for paragraph in facts.abstract:  # (MA)
        if paragraph:
            xml.leaf("dc:description", paragraph)
    media_types = [t for p in children["physicalDescription"] for t in _texts(p, "internetMediaType")]
    for media_type in media_types:  # (R) MIME types only
        xml.leaf("dc:format", media_type)
    if context.landing_page:  # (M) the jump-off page
        xml.leaf("datacite:identifier", context.landing_page, LANDING_PAGE)
    access = access_right(facts.access)  # (M)
    xml.leaf("datacite:rights", access, {"rightsURI": ACCESS_RIGHTS[access]})
    _subjects(xml, children["classification"], facts)  # (MA)
    _licence(xml, children["accessCondition"], facts)  # (R)
    if facts.page_count:  # (O)
        _list(xml, "datacite:sizes", "datacite:size", [(f"{facts.page_count} pages", None)])
    version = STATUS_VERSIONS.get(facts.publication_status.lower())  # (R)
    if version:
        xml.leaf("oaire:version", version, {"uri": "http://purl.org/coar/version/" + VERSIONS[version]})
    _files(xml, children["location"], media_types, ACCESS_RIGHTS[access])  # (MA)
    for tag, value in (("oaire:citationTitle", facts.journal), ("oaire:citationVolume", facts.volume),
                       ("oaire:citationIssue", facts.issue), ("oaire:citationStartPage", facts.first_page),
                       ("oaire:citationEndPage", facts.last_page)):  # (R)
        if value:
            xml.leaf(tag, value)
    return xml.done()


def _list(xml: XMLWriter, wrapper: str, tag: str, items: list[tuple[str, Optional[dict | str]]]) -> None:
    """A DataCite wrapper (titles, dates...) holding items (text, attributes: a dict, or a constant string
    from xmltext.attributes), or nothing when there are none.
    Callers leave out empty texts, as everywhere here: the profile never wants an empty element."""
    if items:
        xml.start(wrapper)
        for text, attributes in items:
            xml.leaf(tag, text, attributes)
        xml.end()


def _titles(xml: XMLWriter, infos: list[etree._Element], facts: Facts) -> None:
    """Title, Subtitle, then the other titleInfos with their DataCite titleType (facts merge them into one list)."""
    items = [(facts.title, None), (facts.subtitle, SUBTITLE)]
    others = []
    if len(infos) > 1:  # a lone titleInfo is the primary one
        primary = next((i for i in infos if i.get("usage") == "primary"), None)  # as facts choose it
        if primary is None:
            primary = next((i for i in infos if not i.get("type")), infos[0])
        others = [info for info in infos if info is not primary]
    for info in others:
        title = " ".join(filter(None, (_text(info, "nonSort"), _text(info, "title"))))
        if title:
            lang = language_tag(info.get("lang") or info.get(XML_LANG) or "")
            items.append((title, {"titleType": "TranslatedTitle" if info.get("type") == "translated"
                                  else "AlternativeTitle", "xml:lang": lang or None}))
    _list(xml, "datacite:titles", "datacite:title", [item for item in items if item[0]])


def _names(xml: XMLWriter, wrapper: str, tag: str, names: list[Name]) -> None:
    """Creators or contributors: name as "Family, Given", its parts, ORCID, affiliations, in the schema's order."""
    if not names:
        return
    xml.start(wrapper)
    name_tag = tag + "Name"
    for name in names:
        xml.start(tag, {"contributorType": contributor_type(name.roles)} if tag == "datacite:contributor" else None)
        if name.inverted:
            xml.leaf(name_tag, name.inverted, NAME_TYPES.get(name.kind))
        if name.given:
            xml.leaf("datacite:givenName", name.given)
        if name.family:
            xml.leaf("datacite:familyName", name.family)
        orcid = name.orcid.rsplit("/", 1)[-1]
        if orcid:
            xml.leaf("datacite:nameIdentifier", orcid, ORCID_SCHEME)
        for affiliation in name.affiliations:
            if affiliation:
                xml.leaf("datacite:affiliation", affiliation)
        xml.end()
    xml.end()


def _subjects(xml: XMLWriter, classifications: list[etree._Element], facts: Facts) -> None:
    """Keywords plain; controlled headings and classification codes with their scheme (facts keep no
    classification authority, so those are read from MODS)."""
    headings = [(s.heading, s.authority, s.uri) for s in facts.subjects]
    headings += [(clean(c.text), c.get("authority") or "", c.get("valueURI") or "") for c in classifications]
    items = []
    for heading, authority, uri in headings:
        if not heading:
            continue
        attributes = None
        if authority or uri:  # None values are left out by the writer
            scheme, scheme_uri = SCHEMES.get(authority.lower(), (authority, ""))
            attributes = {"subjectScheme": scheme or None, "schemeURI": scheme_uri or None, "valueURI": uri or None}
        items.append((heading, attributes))
    _list(xml, "datacite:subjects", "datacite:subject", items)


def _licence(xml: XMLWriter, conditions: list[etree._Element], facts: Facts) -> None:
    """The licence's name, with its URI when there is one (facts keep the URI but not the name)."""
    text = ""
    for condition in conditions:
        if (condition.get("type") or "").lower().replace(" ", "") == "useandreproduction":
            # itertext() is the element's XPath string value, at half the cost of xpath("string()")
            text = clean("".join(condition.itertext())) or condition.get(f"{{{XLINK_NS}}}href", "")
            break
    if facts.licence:
        name = text if text and text.rstrip("/") != facts.licence.rstrip("/") else licence_name(facts.licence)
        xml.leaf("oaire:licenseCondition", name, {"uri": facts.licence})
    elif text:
        xml.leaf("oaire:licenseCondition", text)


def _files(xml: XMLWriter, locations: list[etree._Element], media_types: list[str], access_uri: str) -> None:
    """File Location: MODS marks the full text itself as url access="raw object"; the record's main access
    right is the file's too, since MODS gives none per file."""
    mime_type = media_types[0] if len(media_types) == 1 else None
    for location in locations:
        for url in location.iterchildren(M + "url"):
            if url.get("access") == "raw object":
                text = clean(url.text)
                if text:
                    xml.leaf("oaire:file", text, {"accessRightsURI": access_uri, "objectType": "fulltext",
                                                  "mimeType": mime_type})


def _text(parent: etree._Element, tag: str) -> str:
    """The first non-empty text of parent's tag children."""
    for element in parent.iterchildren(M + tag):
        text = clean(element.text)
        if text:
            return text
    return ""


def _texts(parent: etree._Element, tag: str) -> list[str]:
    return [t for t in (clean(e.text) for e in parent.iterchildren(M + tag)) if t]


def _children(mods: etree._Element) -> dict[str, list[etree._Element]]:
    """The MODS children this crosswalk reads, by local name, in one walk (each iterchildren() walk costs ~0.8 µs)."""
    children = {tag: [] for tag in READ}
    for child in mods.iterchildren(*READ_TAGS):
        children[child.tag[len(M):]].append(child)
    return children


def access_right(text: str) -> str:
    """The COAR label for an access condition; none, or one we cannot read, is "metadata only access", the term
    that claims nothing about the full text."""
    text = text.strip().lower()
    for label, uri in ACCESS_RIGHTS.items():  # a COAR concept URI as catalogued
        if text.rstrip("/") == uri:
            return label
    key = _SQUEEZE.sub("", text.removeprefix("info:eu-repo/semantics/"))
    return ACCESS_TERMS.get(key, "metadata only access")


def resource_type(genres: list[etree._Element], facts: Facts) -> tuple[str, str, str]:
    """(label, COAR concept, resourceTypeGeneral): a genre's COAR valueURI first, then the first genre naming a
    COAR type, then typeOfResource; "other" when nothing says."""
    for genre in genres:
        uri = genre.get("valueURI") or ""
        if uri.startswith(COAR_TYPE) and uri[len(COAR_TYPE):] in TYPES_BY_CONCEPT:
            label = TYPES_BY_CONCEPT[uri[len(COAR_TYPE):]]
            return (label, *RESOURCE_TYPES[label])
    for genre in facts.genres:
        label = GENRES.get(genre.lower(), genre.lower())
        if label in RESOURCE_TYPES:
            return (label, *RESOURCE_TYPES[label])
    label = TYPES_OF_RESOURCE.get(facts.resource_type.lower(), "other")
    return (label, *RESOURCE_TYPES[label])


def contributor_type(roles: list[str]) -> str:
    return next((CONTRIBUTOR_TYPES[r] for r in roles if r in CONTRIBUTOR_TYPES), "Other")


def language_639_3(code: str) -> str:
    """ISO 639-3 for a code as catalogued: 639-2/B codes become their 639-3 twins, 639-1 codes (and BCP 47
    tags) their 639-3 code where known; anything else is kept."""
    code = code.strip().lower()
    primary = code.split("-")[0]
    if len(primary) == 2:
        return ISO639_1_TO_3.get(primary, code)
    return ISO639_B_TO_T.get(code, code)


def language_tag(code: str) -> str:
    """An xml:lang (BCP 47) value: the 639-1 code where there is one, else the 639-3 code."""
    code = code.strip()
    if len(code) != 3:
        return code
    return LANGUAGES.get(code.lower(), (ISO639_B_TO_T.get(code.lower(), code.lower()),))[0]


def licence_name(uri: str) -> str:
    """A Creative Commons licence's short name from its URL (the guidelines want a name as value), else the URL."""
    match = CC_LICENCE.search(uri)
    if not match:
        return uri
    kind, version = match.group(1).lower(), match.group(2)
    return f"CC0 {version}" if kind == "zero" else f"CC {kind.upper()} {version}"
