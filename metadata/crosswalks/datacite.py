"""MODS master -> oai_datacite: a DataCite Metadata Schema 4 `resource` in DataCite's OAI wrapper 1.1, built
from the record's facts; a pure function, no I/O, no schema loading.

Rules where the schema leaves a choice (DataCite Metadata Schema 4.x documentation, "DataCite"):
- Only a record with a DOI has this format (its `identifier` is mandatory and must be the DOI): None otherwise.
- datacentreSymbol is mandatory in the wrapper and names the DataCite repository that registered the DOI; with
  no symbol configured (Context.datacite_symbol) the record is not offered in this format (None) rather than
  sent with an empty symbol that asserts nothing.
- schemaVersion is the kernel version the output is validated against (schemas/datacite/kernel-4, 4.7); the
  wrapper leaves its type open.
- publisher: the one MODS names; else the repository's name (Context.repository_name), since DataCite defines
  the publisher as "the entity that holds, archives, publishes, prints, distributes, releases, issues, or
  produces the resource" and the repository holds and distributes it; else DataCite's "(:unav)".
- publicationYear is the year of the publication date (facts.date: keyDate, dateIssued, the host's date, then
  dateCreated, copyrightDate). It is mandatory and a "(:unav)" would not fit its YYYY type: a record with no
  date at all is not offered in this format (None).
- Missing creators or title (also mandatory) take DataCite's standard values for unknown information:
  "(:unav)" for creators, "(:unas)" (value unassigned, "Untitled") for the title.
- dates: while the publication status says the work is accepted ("Accepted/In press"), facts.date is the date of
  that status, so it is written as dateType="Accepted" (the status as dateInformation), not as "Issued".
"""
from __future__ import annotations

import re
from typing import Optional

from lxml import etree

from metadata.facts import LANGUAGES, Facts, Name, clean
from metadata.namespaces import DATACITE_NS as KERNEL_NS
from metadata.namespaces import MODS_NS, OAI_DATACITE_NS, XSI_NS

SCHEMA_VERSION = "4.7"
# As DataCite's own OAI-PMH server (datacite/viringo) writes both.
WRAPPER_LOCATION = f"{OAI_DATACITE_NS} http://schema.datacite.org/oai/oai-1.1/oai.xsd"
KERNEL_LOCATION = f"{KERNEL_NS} http://schema.datacite.org/meta/kernel-4/metadata.xsd"

W, D, M = f"{{{OAI_DATACITE_NS}}}", f"{{{KERNEL_NS}}}", f"{{{MODS_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z")  # xs:language, which the schema requires

# Genre (lower-cased) -> resourceTypeGeneral; the COAR and MARC genre terms repositories use most.
GENERAL_TYPES = {
    "journal article": "JournalArticle", "article": "JournalArticle", "research article": "JournalArticle",
    "review article": "JournalArticle", "contribution to journal": "JournalArticle",
    "book": "Book", "monograph": "Book", "book chapter": "BookChapter", "book part": "BookChapter",
    "chapter": "BookChapter", "conference paper": "ConferencePaper", "conference object": "ConferencePaper",
    "conference proceedings": "ConferenceProceeding", "conference publication": "ConferenceProceeding",
    "thesis": "Dissertation", "doctoral thesis": "Dissertation", "dissertation": "Dissertation",
    "report": "Report", "technical report": "Report", "working paper": "Report", "preprint": "Preprint",
    "data paper": "DataPaper", "dataset": "Dataset", "software": "Software", "journal": "Journal",
    "periodical": "Journal", "peer review": "PeerReview", "poster": "Poster", "presentation": "Presentation",
    "standard": "Standard",
}
# typeOfResource -> resourceTypeGeneral when no genre says more; "Text" for everything else.
RESOURCE_TYPES = {
    "still image": "Image", "cartographic": "Image", "moving image": "Audiovisual", "sound recording": "Sound",
    "sound recording-musical": "Sound", "sound recording-nonmusical": "Sound", "software, multimedia": "Software",
    "three dimensional object": "PhysicalObject", "mixed material": "Collection",
}
# The host item of a work of each type (relatedItemType); a journal for anything else.
HOST_TYPES = {"BookChapter": "Book", "ConferencePaper": "ConferenceProceeding"}
# MARC relator codes and terms -> contributorType; roles DataCite has no type for are "Other".
CONTRIBUTOR_TYPES = {
    "edt": "Editor", "editor": "Editor", "trl": "Translator", "translator": "Translator",
    "ths": "Supervisor", "thesis advisor": "Supervisor", "dgs": "Supervisor", "degree supervisor": "Supervisor",
    "cph": "RightsHolder", "copyright holder": "RightsHolder", "spn": "Sponsor", "sponsor": "Sponsor",
    "his": "HostingInstitution", "host institution": "HostingInstitution", "res": "Researcher",
    "researcher": "Researcher", "pro": "Producer", "producer": "Producer", "dst": "Distributor",
    "distributor": "Distributor", "cur": "DataCurator", "curator": "DataCurator", "col": "DataCollector",
    "collector": "DataCollector", "rth": "ProjectLeader", "research team head": "ProjectLeader",
    "pdr": "ProjectLeader", "project director": "ProjectLeader", "rtm": "ProjectMember",
    "research team member": "ProjectMember",
}
FUNDER_ROLES = frozenset({"fnd", "funder"})  # DataCite 4: funders go to fundingReference, not contributors
# MODS subject authority -> (subjectScheme, schemeURI); other authorities are named as catalogued.
SUBJECT_SCHEMES = {
    "mesh": ("MeSH", "http://id.nlm.nih.gov/mesh/"), "lcsh": ("LCSH", "http://id.loc.gov/authorities/subjects"),
    "asjc": ("ASJC", ""), "ddc": ("DDC", ""), "udc": ("UDC", ""),
}
# COAR access rights vocabulary (http://purl.org/coar/access_right/), as DataCite's rightsURI for access.
ACCESS_RIGHTS = {
    "open access": "http://purl.org/coar/access_right/c_abf2",
    "embargoed access": "http://purl.org/coar/access_right/c_f1cf",
    "restricted access": "http://purl.org/coar/access_right/c_16ec",
    "metadata only access": "http://purl.org/coar/access_right/c_14cb",
}
CC_LICENCE = re.compile(
    r"https?://creativecommons\.org/(?:licenses/(by(?:-nc)?(?:-sa|-nd)?)/(\d\.\d)|publicdomain/(zero)/(1\.0))/?"
    r"(?:legalcode(?:\.\w+)?)?\Z")
TITLE_TYPES = {"alternative": "AlternativeTitle", "abbreviated": "AlternativeTitle", "uniform": "AlternativeTitle",
               "translated": "TranslatedTitle"}


def derive_oai_datacite(mods: etree._Element, facts: Facts, context) -> Optional[etree._Element]:
    """The format contract (metadata/formats.py): None for a record without a DOI, a date or a configured
    DataCite symbol (the module's rules)."""
    symbol = context.datacite_symbol.strip()
    if not facts.doi or not facts.year or not symbol:
        return None
    root = etree.Element(W + "oai_datacite", nsmap={None: OAI_DATACITE_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", WRAPPER_LOCATION)
    _add(root, W + "schemaVersion", SCHEMA_VERSION)
    _add(root, W + "datacentreSymbol", symbol)
    payload = _add(root, W + "payload")
    resource = etree.SubElement(payload, D + "resource", nsmap={None: KERNEL_NS})
    resource.set(f"{{{XSI_NS}}}schemaLocation", KERNEL_LOCATION)
    _resource(resource, mods, facts, context)
    return root


def _resource(resource: etree._Element, mods: etree._Element, facts: Facts, context) -> None:
    """The properties in the order of DataCite's documentation (the schema accepts any order)."""
    _add(resource, D + "identifier", facts.doi, identifierType="DOI")
    creators = _add(resource, D + "creators")
    for name in facts.authors:
        _name(_add(creators, D + "creator"), "creator", name)
    if not len(creators):
        _add(_add(creators, D + "creator"), D + "creatorName", "(:unav)")
    _titles(_add(resource, D + "titles"), mods, facts)
    _add(resource, D + "publisher", facts.publisher or context.repository_name or "(:unav)")
    _add(resource, D + "publicationYear", facts.year)
    general, genre = _resource_type(facts)
    _add(resource, D + "resourceType", genre, resourceTypeGeneral=general)
    _group(resource, "subjects", _subjects(mods, facts))
    contributors = _add(resource, D + "contributors")
    for name in facts.contributors:
        kind = next((CONTRIBUTOR_TYPES[r] for r in name.roles if r in CONTRIBUTOR_TYPES), "Other")
        if not FUNDER_ROLES.intersection(name.roles):
            _name(_add(contributors, D + "contributor", contributorType=kind), "contributor", name)
    _drop_if_empty(contributors)
    _group(resource, "dates", _dates(facts))
    if LANGUAGE_TAG.match(facts.language_tag):
        _add(resource, D + "language", facts.language_tag)
    alternates = [(facts.handle, "Handle"), (facts.url, "URL"), (facts.isbn, "ISBN")]
    if context.landing_page != facts.url:
        alternates.append((context.landing_page, "URL"))
    _group(resource, "alternateIdentifiers",
           [("alternateIdentifier", value, {"alternateIdentifierType": kind}) for value, kind in alternates])
    host_type = HOST_TYPES.get(general, "Journal")
    _group(resource, "relatedIdentifiers", [("relatedIdentifier", facts.issn, {
        "relatedIdentifierType": "ISSN", "relationType": "IsPublishedIn", "resourceTypeGeneral": host_type})])
    if facts.page_count:
        _group(resource, "sizes", [("size", f"{facts.page_count} pages", {})])
    _group(resource, "rightsList", _rights(mods, facts))
    if facts.abstract:
        description = _add(_add(resource, D + "descriptions"), D + "description", facts.abstract[0],
                           descriptionType="Abstract")
        for paragraph in facts.abstract[1:]:  # kernel 4 allows <br/> in a description: one abstract, paragraphs
            etree.SubElement(description, D + "br").tail = paragraph
    funders = [n.display for n in facts.names if FUNDER_ROLES.intersection(n.roles)]
    if funders:
        references = _add(resource, D + "fundingReferences")
        for funder in funders:
            _add(_add(references, D + "fundingReference"), D + "funderName", funder)
    if facts.journal or facts.issn:
        _host(_add(_add(resource, D + "relatedItems"), D + "relatedItem", relatedItemType=host_type,
                   relationType="IsPublishedIn"), facts)


def _add(parent: etree._Element, tag: str, text: str = "", **attributes: str) -> etree._Element:
    """A child with text and the attributes that have a value (an empty attribute says nothing)."""
    element = etree.SubElement(parent, tag)
    for name, value in attributes.items():
        if value:
            element.set(name, value)
    if text:
        element.text = text
    return element


def _group(parent: etree._Element, wrapper: str, items: list[tuple[str, str, dict]]) -> None:
    """A wrapper element (subjects, dates, ...) with one child per item that has a value; none if none has."""
    items = [item for item in items if item[1]]
    if items:
        group = _add(parent, D + wrapper)
        for tag, text, attributes in items:
            _add(group, D + tag, text, **attributes)


def _drop_if_empty(element: etree._Element) -> None:
    if not len(element):
        element.getparent().remove(element)


def _name(parent: etree._Element, role: str, name: Name) -> None:
    """creatorName or contributorName "Family, Given" (DataCite's format), its parts, ORCID, affiliations."""
    # DataCite has two name types: MODS corporate and conference names are organisations; family names neither.
    kind = {"personal": "Personal", "corporate": "Organizational", "conference": "Organizational"}.get(name.kind, "")
    _add(parent, D + role + "Name", name.inverted, nameType=kind)
    if name.given:
        _add(parent, D + "givenName", name.given)
    if name.family:
        _add(parent, D + "familyName", name.family)
    if name.orcid:
        _add(parent, D + "nameIdentifier", name.orcid, nameIdentifierScheme="ORCID", schemeURI="https://orcid.org")
    for affiliation in name.affiliations:
        _add(parent, D + "affiliation", affiliation)


def _titles(titles: etree._Element, mods: etree._Element, facts: Facts) -> None:
    """The primary title, its subtitle, then the others typed and with their language. Reads MODS titleInfo
    directly: facts.other_titles keep neither the type nor the lang attribute."""
    infos = list(mods.iterchildren(M + "titleInfo"))
    primary = next((i for i in infos if i.get("usage") == "primary"), None) \
        or next((i for i in infos if not i.get("type")), infos[0] if infos else None)
    language = _language(primary.get("lang")) if primary is not None else ""
    _add(titles, D + "title", facts.title or "(:unas)", **{XML_LANG: language})
    if facts.subtitle:
        _add(titles, D + "title", facts.subtitle, titleType="Subtitle", **{XML_LANG: language})
    for info in infos:
        if info is primary:
            continue
        parts = [clean(info.findtext(M + tag)) for tag in ("nonSort", "title", "subTitle")]
        text = " ".join(filter(None, parts[:2])) + (f": {parts[2]}" if parts[2] else "")
        if text.strip(": "):
            _add(titles, D + "title", text, titleType=TITLE_TYPES.get(info.get("type"), "AlternativeTitle"),
                 **{XML_LANG: _language(info.get("lang"))})


def _language(code: Optional[str]) -> str:
    """ISO 639-1 where there is one, as DataCite recommends (IETF BCP 47); "" for what xs:language refuses."""
    code = (code or "").strip()
    tag = LANGUAGES.get(code.lower(), (code, ""))[0]
    return tag if LANGUAGE_TAG.match(tag) else ""


def _resource_type(facts: Facts) -> tuple[str, str]:
    """(resourceTypeGeneral, the genre as catalogued): the first genre DataCite has a type for, else one from
    typeOfResource, else "Text"."""
    for genre in facts.genres:
        if genre.lower() in GENERAL_TYPES:
            return GENERAL_TYPES[genre.lower()], genre
    general = RESOURCE_TYPES.get(facts.resource_type.lower(), "Text")
    return general, facts.genres[0] if facts.genres else facts.resource_type


def _subjects(mods: etree._Element, facts: Facts) -> list[tuple[str, str, dict]]:
    """Keywords bare; controlled headings with their scheme and valueURI; classifications with their
    authority, read from MODS (facts.classifications keep only the text)."""
    items = []
    for subject in facts.subjects:
        scheme, uri = SUBJECT_SCHEMES.get(subject.authority.lower(), (subject.authority, ""))
        items.append(("subject", subject.heading, {"subjectScheme": scheme, "schemeURI": uri,
                                                   "valueURI": subject.uri}))
    for element in mods.iterchildren(M + "classification"):
        authority = element.get("authority") or ""
        items.append(("subject", clean(element.text),
                      {"subjectScheme": SUBJECT_SCHEMES.get(authority.lower(), (authority, ""))[0]}))
    return items


def _dates(facts: Facts) -> list[tuple[str, str, dict]]:
    status = facts.publication_status
    if status.lower().startswith("accepted"):
        issued = ("date", facts.date, {"dateType": "Accepted", "dateInformation": status})
    else:
        issued = ("date", facts.date, {"dateType": "Issued"})
    return [issued, ("date", facts.date_created, {"dateType": "Created"})]


def _rights(mods: etree._Element, facts: Facts) -> list[tuple[str, str, dict]]:
    """The licence (its statement from MODS, with SPDX identifier for Creative Commons licences), the access
    rights (COAR URI), then any other rights statement."""
    items, statement = [], ""
    for condition in mods.iterchildren(M + "accessCondition"):
        if (condition.get("type") or "").lower() in ("use and reproduction", "useandreproduction"):
            statement = clean(condition.xpath("string()"))
            break
    if facts.licence:
        attributes = {"rightsURI": facts.licence}
        match = CC_LICENCE.match(facts.licence)
        if match:
            # SPDX ids are matched case-insensitively; DataCite's API stores them lower-cased, as here.
            spdx = f"cc-{match.group(1)}-{match.group(2)}" if match.group(1) else f"cc0-{match.group(4)}"
            attributes.update(rightsIdentifier=spdx, rightsIdentifierScheme="SPDX",
                              schemeURI="https://spdx.org/licenses/")
        items.append(("rights", statement or facts.licence, attributes))
    if facts.access:
        items.append(("rights", facts.access, {"rightsURI": ACCESS_RIGHTS.get(facts.access.lower(), "")}))
    shown = {facts.access, statement if facts.licence else ""}
    items += [("rights", text, {}) for text in facts.rights if text not in shown]
    return items


def _host(item: etree._Element, facts: Facts) -> None:
    """relatedItem children in the schema's sequence: identifier, titles, year, volume, issue, pages and the
    publisher MODS names (the journal's: an article's own publisher is its journal's)."""
    if facts.issn:
        _add(item, D + "relatedItemIdentifier", facts.issn, relatedItemIdentifierType="ISSN")
    if facts.journal:
        _add(_add(item, D + "titles"), D + "title", facts.journal)
    for tag, value in (("publicationYear", facts.year), ("volume", facts.volume), ("issue", facts.issue),
                       ("firstPage", facts.first_page), ("lastPage", facts.last_page),
                       ("publisher", facts.publisher)):
        if value:
            _add(item, D + tag, value)
