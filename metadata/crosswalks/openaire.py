"""MODS master -> oai_openaire, the application profile of the OpenAIRE Guidelines for Literature Repository
Managers v4 (DataCite, Dublin Core and oaire elements under oaire:resource). Pure: facts and MODS in, an element
out; no I/O, no schema loading.

Properties follow the guidelines' order; (M), (MA), (R), (O) in comments are their v4.0 requirement levels.
Facts give nearly everything; MODS is read only for what facts flatten away (title types and languages,
COAR genre URIs, classification authorities, the licence text, media types and full-text links).
"""
from __future__ import annotations

import re

from lxml import etree

from metadata.facts import LANGUAGES, Facts, Name, clean
from metadata.namespaces import DATACITE_NS, DC_NS, MODS_NS, OAIRE_NS, XLINK_NS, XSI_NS

SCHEMA_LOCATION = f"{OAIRE_NS} https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd"
NSMAP = {"oaire": OAIRE_NS, "datacite": DATACITE_NS, "dc": DC_NS, "xsi": XSI_NS}
M, D, O, DC = f"{{{MODS_NS}}}", f"{{{DATACITE_NS}}}", f"{{{OAIRE_NS}}}", f"{{{DC_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

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
NAME_TYPES = {"personal": "Personal", "corporate": "Organizational", "conference": "Organizational"}

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
    root = etree.Element(O + "resource", nsmap=NSMAP)
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    _titles(root, mods, facts)  # (M)
    _names(root, D + "creators", D + "creator", facts.authors)  # (M)
    _names(root, D + "contributors", D + "contributor", facts.contributors)  # (MA)
    alternates = [("DOI", facts.doi), ("Handle", facts.handle), ("ISBN", facts.isbn),
                  ("URL", facts.url if facts.url != context.landing_page else "")]
    _list(root, D + "alternateIdentifiers", [(D + "alternateIdentifier", value, {"alternateIdentifierType": kind})
                                             for kind, value in alternates if value])  # (R)
    if facts.issn:  # (R) the journal: A IsPartOf B
        _list(root, D + "relatedIdentifiers", [(D + "relatedIdentifier", facts.issn, {
            "relatedIdentifierType": "ISSN", "relationType": "IsPartOf"})])
    # (M) Publication Date is Issued. "Accepted"/"Available" are kept for an embargo's start and end (Embargo
    # Period Date), so an acceptance date stated by the publication status is not given as "Accepted".
    if facts.date:
        _list(root, D + "dates", [(D + "date", facts.date, {"dateType": "Issued"})])
    _add(root, DC + "language", language_639_3(facts.language))  # (MA)
    _add(root, DC + "publisher", facts.publisher)  # (MA)
    label, concept, general = resource_type(mods, facts)  # (M)
    _add(root, O + "resourceType", label, resourceTypeGeneral=general, uri=COAR_TYPE + concept)
    for paragraph in facts.abstract:  # (MA)
        _add(root, DC + "description", paragraph)
    for media_type in _texts(mods, "physicalDescription", "internetMediaType"):  # (R) MIME types only
        _add(root, DC + "format", media_type)
    _add(root, D + "identifier", context.landing_page, identifierType="URL")  # (M) the jump-off page
    access = access_right(facts.access)  # (M)
    _add(root, D + "rights", access, rightsURI=ACCESS_RIGHTS[access])
    _subjects(root, mods, facts)  # (MA)
    _licence(root, mods, facts)  # (R)
    if facts.page_count:  # (O)
        _list(root, D + "sizes", [(D + "size", f"{facts.page_count} pages", {})])
    version = STATUS_VERSIONS.get(facts.publication_status.lower())  # (R)
    if version:
        _add(root, O + "version", version, uri="http://purl.org/coar/version/" + VERSIONS[version])
    _files(root, mods, ACCESS_RIGHTS[access])  # (MA)
    for tag, value in (("citationTitle", facts.journal), ("citationVolume", facts.volume),
                       ("citationIssue", facts.issue), ("citationStartPage", facts.first_page),
                       ("citationEndPage", facts.last_page)):  # (R)
        _add(root, O + tag, value)
    return root


def _add(parent: etree._Element, tag: str, text: str, **attributes: str) -> None:
    """A child with text, or nothing for an empty value: the profile never wants an empty element."""
    if text:
        etree.SubElement(parent, tag, attributes).text = text


def _list(parent: etree._Element, tag: str, items: list[tuple[str, str, dict]]) -> None:
    """A DataCite wrapper (creators, dates...) holding items, or nothing when there are none."""
    if items:
        wrapper = etree.SubElement(parent, tag)
        for item_tag, text, attributes in items:
            _add(wrapper, item_tag, text, **attributes)


def _titles(root: etree._Element, mods: etree._Element, facts: Facts) -> None:
    """Title, Subtitle, then the other titleInfos with their DataCite titleType (facts merge them into one list)."""
    items = [(D + "title", facts.title, {}), (D + "title", facts.subtitle, {"titleType": "Subtitle"})]
    infos = list(mods.iterchildren(M + "titleInfo"))
    primary = next((i for i in infos if i.get("usage") == "primary"), None) \
        or next((i for i in infos if not i.get("type")), infos[0] if infos else None)  # as facts choose it
    for info in infos:
        title = " ".join(filter(None, (_text(info, "nonSort"), _text(info, "title"))))
        if info is primary or not title:
            continue
        attributes = {"titleType": "TranslatedTitle" if info.get("type") == "translated" else "AlternativeTitle"}
        lang = language_tag(info.get("lang") or info.get(XML_LANG) or "")
        if lang:
            attributes[XML_LANG] = lang
        items.append((D + "title", title, attributes))
    _list(root, D + "titles", [item for item in items if item[1]])


def _names(root: etree._Element, wrapper_tag: str, tag: str, names: list[Name]) -> None:
    """Creators or contributors: name as "Family, Given", its parts, ORCID, affiliations, in the schema's order."""
    if not names:
        return
    wrapper = etree.SubElement(root, wrapper_tag)
    for name in names:
        element = etree.SubElement(wrapper, tag)
        if tag == D + "contributor":
            element.set("contributorType", contributor_type(name.roles))
        kind = NAME_TYPES.get(name.kind)
        _add(element, tag + "Name", name.inverted, **({"nameType": kind} if kind else {}))
        _add(element, D + "givenName", name.given)
        _add(element, D + "familyName", name.family)
        _add(element, D + "nameIdentifier", name.orcid.rsplit("/", 1)[-1], nameIdentifierScheme="ORCID",
             schemeURI="https://orcid.org")
        for affiliation in name.affiliations:
            _add(element, D + "affiliation", affiliation)


def _subjects(root: etree._Element, mods: etree._Element, facts: Facts) -> None:
    """Keywords plain; controlled headings and classification codes with their scheme (facts keep no
    classification authority, so those are read from MODS)."""
    items = []
    headings = [(s.heading, s.authority, s.uri) for s in facts.subjects]
    headings += [(clean(c.text), c.get("authority") or "", c.get("valueURI") or "")
                 for c in mods.iterchildren(M + "classification")]
    for heading, authority, uri in headings:
        attributes = {}
        if authority:
            scheme, scheme_uri = SCHEMES.get(authority.lower(), (authority, ""))
            attributes["subjectScheme"] = scheme
            if scheme_uri:
                attributes["schemeURI"] = scheme_uri
        if uri:
            attributes["valueURI"] = uri
        items.append((D + "subject", heading, attributes))
    _list(root, D + "subjects", [item for item in items if item[1]])


def _licence(root: etree._Element, mods: etree._Element, facts: Facts) -> None:
    """The licence's name, with its URI when there is one (facts keep the URI but not the name)."""
    text = ""
    for condition in mods.iterchildren(M + "accessCondition"):
        if (condition.get("type") or "").lower().replace(" ", "") == "useandreproduction":
            text = clean(condition.xpath("string()")) or condition.get(f"{{{XLINK_NS}}}href", "")
            break
    if facts.licence:
        name = text if text and text.rstrip("/") != facts.licence.rstrip("/") else licence_name(facts.licence)
        _add(root, O + "licenseCondition", name, uri=facts.licence)
    else:
        _add(root, O + "licenseCondition", text)


def _files(root: etree._Element, mods: etree._Element, access_uri: str) -> None:
    """File Location: MODS marks the full text itself as url access="raw object"; the record's main access
    right is the file's too, since MODS gives none per file."""
    media_types = _texts(mods, "physicalDescription", "internetMediaType")
    for location in mods.iterchildren(M + "location"):
        for url in location.iterchildren(M + "url"):
            if url.get("access") == "raw object":
                attributes = {"accessRightsURI": access_uri, "objectType": "fulltext"}
                if len(media_types) == 1:
                    attributes["mimeType"] = media_types[0]
                _add(root, O + "file", clean(url.text), **attributes)


def _text(parent: etree._Element, tag: str) -> str:
    return next((t for t in (clean(e.text) for e in parent.iterchildren(M + tag)) if t), "")


def _texts(mods: etree._Element, parent_tag: str, tag: str) -> list[str]:
    return [t for p in mods.iterchildren(M + parent_tag) for t in (clean(e.text) for e in p.iterchildren(M + tag)) if t]


def access_right(text: str) -> str:
    """The COAR label for an access condition; none, or one we cannot read, is "metadata only access", the term
    that claims nothing about the full text."""
    text = text.strip().lower()
    for label, uri in ACCESS_RIGHTS.items():  # a COAR concept URI as catalogued
        if text.rstrip("/") == uri:
            return label
    key = re.sub(r"[\s_-]", "", text.removeprefix("info:eu-repo/semantics/"))
    return ACCESS_TERMS.get(key, "metadata only access")


def resource_type(mods: etree._Element, facts: Facts) -> tuple[str, str, str]:
    """(label, COAR concept, resourceTypeGeneral): a genre's COAR valueURI first, then the first genre naming a
    COAR type, then typeOfResource; "other" when nothing says."""
    for genre in mods.iterchildren(M + "genre"):
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
