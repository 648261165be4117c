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

from metadata.crosswalks import xmltext
from metadata.crosswalks.xmltext import XMLWriter
from metadata.facts import LANGUAGES, Facts, Name, clean
from metadata.namespaces import DATACITE_NS as KERNEL_NS
from metadata.namespaces import MODS_NS, OAI_DATACITE_NS, XSI_NS

SCHEMA_VERSION = "4.7"
# As DataCite's own OAI-PMH server (datacite/viringo) writes both.
WRAPPER_LOCATION = f"{OAI_DATACITE_NS} http://schema.datacite.org/oai/oai-1.1/oai.xsd"
KERNEL_LOCATION = f"{KERNEL_NS} http://schema.datacite.org/meta/kernel-4/metadata.xsd"
WRAPPER_NAMESPACES = {None: OAI_DATACITE_NS, "xsi": XSI_NS}
WRAPPER_ATTRIBUTES = {"xsi:schemaLocation": WRAPPER_LOCATION}  # a dict: XMLWriter() adds it to the declarations
# XMLWriter declares namespaces on the root only: the resource declares the kernel as its own default namespace.
RESOURCE_ATTRIBUTES = xmltext.attributes({"xmlns": KERNEL_NS, "xsi:schemaLocation": KERNEL_LOCATION})

D, M = f"{{{KERNEL_NS}}}", f"{{{MODS_NS}}}"
DESCRIPTION_PATH = f"{{{OAI_DATACITE_NS}}}payload/{D}resource/{D}descriptions/{D}description"
TITLE_INFO, TITLE_PARTS = M + "titleInfo", (M + "nonSort", M + "title", M + "subTitle")
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
# DataCite has two name types: MODS corporate and conference names are organisations; family names neither.
NAME_TYPES = {"personal": xmltext.attributes({"nameType": "Personal"}),
              "corporate": xmltext.attributes({"nameType": "Organizational"}),
              "conference": xmltext.attributes({"nameType": "Organizational"})}
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
# The attributes that never change, escaped once (xmltext.attributes) rather than per record.
DOI = xmltext.attributes({"identifierType": "DOI"})
ISSN = xmltext.attributes({"relatedItemIdentifierType": "ISSN"})
ORCID = xmltext.attributes({"nameIdentifierScheme": "ORCID", "schemeURI": "https://orcid.org"})
HANDLE = xmltext.attributes({"alternateIdentifierType": "Handle"})
URL = xmltext.attributes({"alternateIdentifierType": "URL"})
ISBN = xmltext.attributes({"alternateIdentifierType": "ISBN"})
ISSUED = xmltext.attributes({"dateType": "Issued"})
CREATED = xmltext.attributes({"dateType": "Created"})
ABSTRACT = xmltext.attributes({"descriptionType": "Abstract"})


def derive_oai_datacite(mods: etree._Element, facts: Facts, context) -> Optional[etree._Element]:
    """The format contract (metadata/formats.py): None for a record without a DOI, a date or a configured
    DataCite symbol (the module's rules)."""
    symbol = context.datacite_symbol.strip()
    year = facts.year
    if not facts.doi or not year or not symbol:
        return None
    out = XMLWriter("oai_datacite", WRAPPER_NAMESPACES, WRAPPER_ATTRIBUTES)
    out.leaf("schemaVersion", SCHEMA_VERSION)
    out.leaf("datacentreSymbol", symbol)
    out.start("payload")
    out.start("resource", RESOURCE_ATTRIBUTES)
    _resource(out, mods, facts, context, year)
    root = out.done()
    if len(facts.abstract) > 1:
        # kernel 4 allows <br/> in a description: one abstract, its paragraphs apart. XMLWriter writes no
        # mixed content, so the breaks are added to the parsed description.
        description = root.find(DESCRIPTION_PATH)
        for paragraph in facts.abstract[1:]:
            etree.SubElement(description, D + "br").tail = paragraph
    return root


def _resource(out: XMLWriter, mods: etree._Element, facts: Facts, context, year: str) -> None:
    """The properties in the order of DataCite's documentation (the schema accepts any order). Every tag
    here is in the kernel namespace, the resource's default."""
    out.leaf("identifier", facts.doi, DOI)
    out.start("creators")
    authors = facts.authors
    for name in authors:
        _name(out, "creator", "creatorName", name)
    if not authors:
        out.start("creator")
        out.leaf("creatorName", "(:unav)")
        out.end()
    out.end()
    _titles(out, mods, facts)
    out.leaf("publisher", facts.publisher or context.repository_name or "(:unav)")
    out.leaf("publicationYear", year)
    general, genre = _resource_type(facts)
    out.leaf("resourceType", genre, {"resourceTypeGeneral": general})
    _subjects(out, mods, facts)
    contributors = [name for name in facts.contributors if FUNDER_ROLES.isdisjoint(name.roles)]
    if contributors:
        out.start("contributors")
        for name in contributors:
            kind = next((CONTRIBUTOR_TYPES[r] for r in name.roles if r in CONTRIBUTOR_TYPES), "Other")
            _name(out, "contributor", "contributorName", name, {"contributorType": kind})
        out.end()
    _dates(out, facts)
    language = facts.language_tag
    if LANGUAGE_TAG.match(language):
        out.leaf("language", language)
    alternates = [(value, kind) for value, kind in ((facts.handle, HANDLE), (facts.url, URL), (facts.isbn, ISBN))
                  if value]
    if context.landing_page and context.landing_page != facts.url:
        alternates.append((context.landing_page, URL))
    if alternates:
        out.start("alternateIdentifiers")
        for value, kind in alternates:
            out.leaf("alternateIdentifier", value, kind)
        out.end()
    host_type = HOST_TYPES.get(general, "Journal")
    if facts.issn:
        out.start("relatedIdentifiers")
        out.leaf("relatedIdentifier", facts.issn, {"relatedIdentifierType": "ISSN", "relationType": "IsPublishedIn",
                                                   "resourceTypeGeneral": host_type})
        out.end()
    if facts.page_count:
        out.start("sizes")
        out.leaf("size", f"{facts.page_count} pages")
        out.end()
    _rights(out, mods, facts)
    if facts.abstract:
        out.start("descriptions")
        out.leaf("description", facts.abstract[0], ABSTRACT)  # its other paragraphs: derive_oai_datacite
        out.end()
    funders = [n.display for n in facts.names if not FUNDER_ROLES.isdisjoint(n.roles)]
    if funders:
        out.start("fundingReferences")
        for funder in funders:
            out.start("fundingReference")
            out.leaf("funderName", funder)
            out.end()
        out.end()
    if facts.journal or facts.issn:
        out.start("relatedItems")
        out.start("relatedItem", {"relatedItemType": host_type, "relationType": "IsPublishedIn"})
        _host(out, facts, year)
        out.end()
        out.end()


def _name(out: XMLWriter, role: str, name_tag: str, name: Name, attributes: Optional[dict] = None) -> None:
    """creatorName or contributorName "Family, Given" (DataCite's format), its parts, ORCID, affiliations."""
    out.start(role, attributes)
    out.leaf(name_tag, name.inverted, NAME_TYPES.get(name.kind))
    if name.given:
        out.leaf("givenName", name.given)
    if name.family:
        out.leaf("familyName", name.family)
    if name.orcid:
        out.leaf("nameIdentifier", name.orcid, ORCID)
    for affiliation in name.affiliations:
        out.leaf("affiliation", affiliation)
    out.end()


def _titles(out: XMLWriter, mods: etree._Element, facts: Facts) -> None:
    """The primary title, its subtitle, then the others typed and with their language. Reads MODS titleInfo
    directly: facts.other_titles keep neither the type nor the lang attribute."""
    infos = list(mods.iterchildren(TITLE_INFO))
    primary = next((i for i in infos if i.get("usage") == "primary"), None)
    if primary is None:
        primary = next((i for i in infos if not i.get("type")), infos[0] if infos else None)
    language = _language(primary.get("lang")) if primary is not None else ""
    out.start("titles")
    out.leaf("title", facts.title or "(:unas)", {"xml:lang": language} if language else None)
    if facts.subtitle:
        out.leaf("title", facts.subtitle, {"titleType": "Subtitle", "xml:lang": language or None})
    for info in infos:
        if info is primary:
            continue
        texts = {}
        for part in info:  # the first of each part, in one pass (findtext costs more than the rest together)
            texts.setdefault(part.tag, part.text)
        nonsort, title, subtitle = (clean(texts.get(tag)) for tag in TITLE_PARTS)
        text = " ".join(filter(None, (nonsort, title))) + (f": {subtitle}" if subtitle else "")
        if text.strip(": "):
            out.leaf("title", text, {"titleType": TITLE_TYPES.get(info.get("type"), "AlternativeTitle"),
                                     "xml:lang": _language(info.get("lang")) or None})
    out.end()


def _language(code: Optional[str]) -> str:
    """ISO 639-1 where there is one, as DataCite recommends (IETF BCP 47); "" for what xs:language refuses."""
    if not code:
        return ""
    code = code.strip()
    tag = LANGUAGES.get(code.lower(), (code, ""))[0]
    return tag if LANGUAGE_TAG.match(tag) else ""


def _resource_type(facts: Facts) -> tuple[str, str]:
    """(resourceTypeGeneral, the genre as catalogued): the first genre DataCite has a type for, else one from
    typeOfResource, else "Text"."""
    for genre in facts.genres:
        general = GENERAL_TYPES.get(genre.lower())
        if general:
            return general, genre
    general = RESOURCE_TYPES.get(facts.resource_type.lower(), "Text")
    return general, facts.genres[0] if facts.genres else facts.resource_type


def _subjects(out: XMLWriter, mods: etree._Element, facts: Facts) -> None:
    """Keywords bare; controlled headings with their scheme and valueURI; classifications with their
    authority, read from MODS (facts.classifications keep only the text)."""
    subjects = []
    for subject in facts.subjects:
        if not subject.heading:
            continue
        if subject.authority or subject.uri:
            scheme, uri = SUBJECT_SCHEMES.get(subject.authority.lower(), (subject.authority, ""))
            subjects.append((subject.heading, {"subjectScheme": scheme or None, "schemeURI": uri or None,
                                               "valueURI": subject.uri or None}))
        else:
            subjects.append((subject.heading, None))
    for element in mods.iterchildren(M + "classification"):
        heading = clean(element.text)
        if heading:
            authority = element.get("authority")
            scheme = SUBJECT_SCHEMES.get(authority.lower(), (authority, ""))[0] if authority else ""
            subjects.append((heading, {"subjectScheme": scheme} if scheme else None))
    if subjects:
        out.start("subjects")
        for heading, attributes in subjects:
            out.leaf("subject", heading, attributes)
        out.end()


def _dates(out: XMLWriter, facts: Facts) -> None:
    """The publication date (always there: a record without one has no oai_datacite), then the creation date."""
    out.start("dates")
    status = facts.publication_status
    if status.lower().startswith("accepted"):
        out.leaf("date", facts.date, {"dateType": "Accepted", "dateInformation": status})
    else:
        out.leaf("date", facts.date, ISSUED)
    if facts.date_created:
        out.leaf("date", facts.date_created, CREATED)
    out.end()


def _rights(out: XMLWriter, mods: etree._Element, facts: Facts) -> None:
    """The licence (its statement from MODS, with SPDX identifier for Creative Commons licences), the access
    rights (COAR URI), then any other rights statement."""
    rights, statement = [], ""
    for condition in mods.iterchildren(M + "accessCondition"):
        if (condition.get("type") or "").lower() in ("use and reproduction", "useandreproduction"):
            statement = clean("".join(condition.itertext()))  # its string value
            break
    if facts.licence:
        match = CC_LICENCE.match(facts.licence)
        if match:
            # SPDX ids are matched case-insensitively; DataCite's API stores them lower-cased, as here.
            spdx = f"cc-{match.group(1)}-{match.group(2)}" if match.group(1) else f"cc0-{match.group(4)}"
            attributes = {"rightsURI": facts.licence, "rightsIdentifier": spdx, "rightsIdentifierScheme": "SPDX",
                          "schemeURI": "https://spdx.org/licenses/"}
        else:
            attributes = {"rightsURI": facts.licence}
        rights.append((statement or facts.licence, attributes))
    if facts.access:
        uri = ACCESS_RIGHTS.get(facts.access.lower())
        rights.append((facts.access, {"rightsURI": uri} if uri else None))
    shown = {facts.access, statement if facts.licence else ""}
    rights += [(text, None) for text in facts.rights if text and text not in shown]
    if rights:
        out.start("rightsList")
        for text, attributes in rights:
            out.leaf("rights", text, attributes)
        out.end()


def _host(out: XMLWriter, facts: Facts, year: str) -> None:
    """relatedItem children in the schema's sequence: identifier, titles, year, volume, issue, pages and the
    publisher MODS names (the journal's: an article's own publisher is its journal's)."""
    if facts.issn:
        out.leaf("relatedItemIdentifier", facts.issn, ISSN)
    if facts.journal:
        out.start("titles")
        out.leaf("title", facts.journal)
        out.end()
    for tag, value in (("publicationYear", year), ("volume", facts.volume), ("issue", facts.issue),
                       ("firstPage", facts.first_page), ("lastPage", facts.last_page),
                       ("publisher", facts.publisher)):
        if value:
            out.leaf(tag, value)
