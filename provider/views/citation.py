"""Machine-readable citation data for landing pages: Highwire Press `citation_*` meta tags (read by Google
Scholar, Zotero) and schema.org JSON-LD, both computed from the record's facts and nothing else."""
from __future__ import annotations

import json

from metadata.facts import Facts
from metadata.formats import MetadataFormat


def highwire(display: Facts) -> list[tuple[str, str]]:
    """(name, content) pairs in the order Google Scholar's inclusion guidelines list them."""
    tags = [("citation_title", display.full_title)]
    tags += [("citation_author", author.inverted) for author in display.authors]
    if display.date:
        # Scholar wants YYYY/MM/DD (or YYYY alone); MODS w3cdtf writes YYYY-MM-DD.
        tags.append(("citation_publication_date", display.date[:10].replace("-", "/")))
    for name, value in (("citation_journal_title", display.journal), ("citation_volume", display.volume),
                        ("citation_issue", display.issue), ("citation_firstpage", display.first_page),
                        ("citation_lastpage", display.last_page), ("citation_publisher", display.publisher),
                        ("citation_doi", display.doi)):
        if value:
            tags.append((name, value))
    if display.language:
        tags.append(("citation_language", display.language_tag))
    tags += [("citation_keywords", keyword) for keyword in display.keywords + display.subject_areas]
    if display.abstract:
        tags.append(("citation_abstract", " ".join(display.abstract)))
    return tags


def json_ld(display: Facts, url: str, downloads: dict[str, str], formats: dict[str, MetadataFormat]) -> str:
    """A schema.org ScholarlyArticle as JSON safe inside <script>: no '<', '>' or '&' survives literally,
    so record text such as '</script>' cannot end the element early."""
    article: dict = {"@context": "https://schema.org", "@type": "ScholarlyArticle", "@id": url, "url": url,
                     "name": display.full_title, "headline": display.full_title[:110]}
    if display.authors:
        article["author"] = [_person(a) for a in display.authors]
    if display.date:
        article["datePublished"] = display.date
    if display.abstract:
        article["abstract"] = "\n\n".join(display.abstract)
    if display.keywords or display.subject_areas:
        article["keywords"] = display.keywords + display.subject_areas
    if display.language:
        article["inLanguage"] = display.language_tag
    if display.first_page:
        article["pageStart"] = display.first_page
    if display.last_page:
        article["pageEnd"] = display.last_page
    if display.journal:
        article["isPartOf"] = _host(display)
    if display.publisher:
        article["publisher"] = {"@type": "Organization", "name": display.publisher}
    if display.doi:
        article["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": display.doi}
    if display.genres:
        article["genre"] = display.genres
    if display.licence:
        article["license"] = display.licence
    article["encoding"] = [{"@type": "MediaObject", "name": prefix, "contentUrl": link,
                            "encodingFormat": formats[prefix].media_type if prefix in formats else "application/xml"}
                           for prefix, link in downloads.items()]
    text = json.dumps(article, ensure_ascii=False, indent=2)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _person(author) -> dict:
    person = {"@type": "Person", "name": author.display}
    if author.family:
        person["familyName"] = author.family
    if author.given:
        person["givenName"] = author.given
    if author.orcid:
        person["@id"] = author.orcid
    return person


def _host(display: Facts) -> dict:
    """Journal, then volume and issue nested the way schema.org models a periodical's parts."""
    host: dict = {"@type": "Periodical", "name": display.journal}
    if display.issn:
        host["issn"] = display.issn
    if display.volume:
        host = {"@type": "PublicationVolume", "volumeNumber": display.volume, "isPartOf": host}
    if display.issue:
        host = {"@type": "PublicationIssue", "issueNumber": display.issue, "isPartOf": host}
    return host
