"""The MODS -> oai_openaire crosswalk, rule by rule, after the OpenAIRE Guidelines for Literature Repository
Managers v4 (field names as the guidelines give them; (M), (MA), (R), (O) their requirement levels).

The seed is checked field by field, the hand-written rich record for the optional paths, small inline MODS
records for the vocabularies; every output is valid against openaire/4.0/openaire.xsd.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from metadata.crosswalks.openaire import derive_oai_openaire
from metadata.facts import facts_of_mods
from metadata.formats import Context
from metadata.validate import InvalidRecord, Validator, parse

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "metadata" / "seed" / "birn-muntaner-2018.mods.xml"
RICH = Path(__file__).with_name("records") / "garcia-lopez-2021.mods.xml"
SCHEMA = "openaire/4.0/openaire.xsd"
NS = {"oaire": "http://namespace.openaire.eu/schema/oaire/", "datacite": "http://datacite.org/schema/kernel-4",
      "dc": "http://purl.org/dc/elements/1.1/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
KEYWORDS = ["Cuba", "Latin American social medicine", "Medical internationalism",
            "South–South health cooperation", "Venezuela"]
ASJC_AREA = "Public Health, Environmental and Occupational Health"


def context(local_id: str) -> Context:
    return Context(f"oai:test.example.org:{local_id}", f"http://oai.example.org/records/{local_id}",
                   "Test repository", "EXAMPLE.REPO")


def crosswalk(mods: etree._Element, local_id: str = "record") -> etree._Element:
    return derive_oai_openaire(mods, facts_of_mods(mods), context(local_id))


def mods(body: str) -> etree._Element:
    """A MODS 3.8 record holding body; the tests give only the elements they are about."""
    return parse(('<mods xmlns="http://www.loc.gov/mods/v3" xmlns:xlink="http://www.w3.org/1999/xlink" '
                  f'version="3.8"><titleInfo><title>T</title></titleInfo>{body}</mods>').encode(), "inline")


def texts(element: etree._Element, xpath: str) -> list[str]:
    return [e if isinstance(e, str) else e.text for e in element.xpath(xpath, namespaces=NS)]


def attributes(element: etree._Element, xpath: str) -> list[dict]:
    return [dict(e.attrib) for e in element.xpath(xpath, namespaces=NS)]


@pytest.fixture(scope="module")
def validator(schema_dir) -> Validator:
    return Validator(schema_dir)


@pytest.fixture(scope="module")
def seed() -> etree._Element:
    return crosswalk(parse(SEED.read_bytes(), SEED.name), "birn-muntaner-2018")


@pytest.fixture(scope="module")
def rich() -> etree._Element:
    return crosswalk(parse(RICH.read_bytes(), RICH.name), "garcia-lopez-2021")


# --- The seed, field by field ---------------------------------------------------------------------------------

def test_root_is_oaire_resource_with_schema_location(seed):
    assert seed.tag == "{http://namespace.openaire.eu/schema/oaire/}resource"
    assert seed.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://namespace.openaire.eu/schema/oaire/ https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd")


def test_title_M_then_subtitle_typed_Subtitle(seed):
    assert texts(seed, "datacite:titles/datacite:title") == [
        "Latin American social medicine across borders", "South–South cooperation and the making of health solidarity"]
    assert attributes(seed, "datacite:titles/datacite:title") == [{}, {"titleType": "Subtitle"}]


def test_creator_M_is_family_comma_given_with_parts_and_personal_name_type(seed):
    creators = seed.xpath("datacite:creators/datacite:creator", namespaces=NS)
    assert [texts(c, "datacite:creatorName") for c in creators] == [["Birn, Anne Emanuelle"], ["Muntaner, Carles"]]
    assert [texts(c, "datacite:givenName") + texts(c, "datacite:familyName") for c in creators] == [
        ["Anne Emanuelle", "Birn"], ["Carles", "Muntaner"]]
    assert texts(seed, "datacite:creators/datacite:creator/datacite:creatorName/@nameType") == ["Personal"] * 2
    assert texts(seed, "//datacite:nameIdentifier | //datacite:affiliation") == []


def test_resource_identifier_M_is_the_landing_page_url(seed):
    assert texts(seed, "datacite:identifier") == ["http://oai.example.org/records/birn-muntaner-2018"]
    assert texts(seed, "datacite:identifier/@identifierType") == ["URL"]


def test_publication_date_M_is_issued_and_accepted_is_left_to_embargoes(seed):
    assert texts(seed, "datacite:dates/datacite:date") == ["2018-02-23"]
    assert texts(seed, "datacite:dates/datacite:date/@dateType") == ["Issued"]


def test_language_MA_is_iso_639_3(seed):
    assert texts(seed, "dc:language") == ["eng"]


def test_resource_type_M_is_coar_journal_article_from_the_genre(seed):
    assert texts(seed, "oaire:resourceType") == ["journal article"]
    assert attributes(seed, "oaire:resourceType") == [
        {"resourceTypeGeneral": "literature", "uri": "http://purl.org/coar/resource_type/c_6501"}]


def test_description_MA_is_the_abstract(seed):
    assert len(texts(seed, "dc:description")) == 1
    assert texts(seed, "dc:description")[0].startswith("Latin American social medicine efforts are typically")
    assert texts(seed, "dc:description")[0].endswith("and its prospects for continuity.")


def test_access_rights_M_without_access_condition_is_metadata_only(seed):
    assert texts(seed, "datacite:rights") == ["metadata only access"]
    assert texts(seed, "datacite:rights/@rightsURI") == ["http://purl.org/coar/access_right/c_14cb"]


def test_subject_MA_keywords_plain_and_asjc_area_with_its_scheme(seed):
    assert texts(seed, "datacite:subjects/datacite:subject") == KEYWORDS + [ASJC_AREA]
    assert attributes(seed, "datacite:subjects/datacite:subject") == [{}] * 5 + [{"subjectScheme": "ASJC"}]


def test_resource_version_R_accepted_in_press_is_accepted_manuscript(seed):
    assert texts(seed, "oaire:version") == ["AM"]
    assert texts(seed, "oaire:version/@uri") == ["http://purl.org/coar/version/c_ab4af688f83e57aa"]


def test_citation_R_journal_and_pages_but_no_volume_or_issue(seed):
    assert texts(seed, "oaire:citationTitle") == ["Global Public Health"]
    assert texts(seed, "oaire:citationStartPage | oaire:citationEndPage") == ["1", "18"]
    assert texts(seed, "oaire:citationVolume | oaire:citationIssue") == []


def test_size_O_is_the_page_count(seed):
    assert texts(seed, "datacite:sizes/datacite:size") == ["18 pages"]


@pytest.mark.parametrize("xpath", [
    "datacite:contributors", "datacite:alternateIdentifiers", "datacite:relatedIdentifiers", "dc:publisher",
    "dc:format", "oaire:licenseCondition", "oaire:file", "dc:source", "oaire:fundingReferences",
])
def test_seed_gives_no_element_for_what_it_does_not_say(seed, xpath):
    assert seed.xpath(xpath, namespaces=NS) == []


# --- The rich record: the optional paths ----------------------------------------------------------------------

def test_title_keeps_non_sort_and_translated_title_gets_type_and_bcp47_lang(rich):
    assert texts(rich, "datacite:titles/datacite:title") == [
        "The health of nations", "cooperation in primary care", "La salud de las naciones"]
    assert attributes(rich, "datacite:titles/datacite:title")[2] == {"titleType": "TranslatedTitle", XML_LANG: "es"}


def test_creator_orcid_is_a_name_identifier_and_affiliation_follows(rich):
    first = rich.xpath("datacite:creators/datacite:creator", namespaces=NS)[0]
    assert [etree.QName(e).localname for e in first] == [
        "creatorName", "givenName", "familyName", "nameIdentifier", "affiliation"]
    assert texts(rich, "//datacite:creator/datacite:nameIdentifier") == ["0000-0002-1825-0097", "0000-0001-5109-3700"]
    assert attributes(rich, "//datacite:creator/datacite:nameIdentifier")[0] == {
        "nameIdentifierScheme": "ORCID", "schemeURI": "https://orcid.org"}
    assert texts(rich, "//datacite:affiliation") == ["Universidad de la República, Montevideo"]


def test_contributor_MA_editor_is_contributor_type_Editor(rich):
    assert texts(rich, "datacite:contributors/datacite:contributor/datacite:contributorName") == ["Pérez, Ana"]
    assert texts(rich, "datacite:contributors/datacite:contributor/@contributorType") == ["Editor"]
    assert "Pérez, Ana" not in texts(rich, "//datacite:creatorName")


def test_alternate_identifier_R_doi_handle_and_own_url(rich):
    assert texts(rich, "datacite:alternateIdentifiers/datacite:alternateIdentifier") == [
        "10.1080/17441692.2021.1234567", "20.500.12345/678", "https://repository.example.org/items/678"]
    assert texts(rich, "datacite:alternateIdentifiers/datacite:alternateIdentifier/@alternateIdentifierType") == [
        "DOI", "Handle", "URL"]
    assert texts(rich, "datacite:identifier") == ["http://oai.example.org/records/garcia-lopez-2021"]


def test_related_identifier_R_journal_issn_is_part_of(rich):
    assert texts(rich, "datacite:relatedIdentifiers/datacite:relatedIdentifier") == ["1744-1692"]
    assert attributes(rich, "datacite:relatedIdentifiers/datacite:relatedIdentifier") == [
        {"relatedIdentifierType": "ISSN", "relationType": "IsPartOf"}]


def test_language_publisher_and_date_issued(rich):
    assert texts(rich, "dc:language") == ["spa"]
    assert texts(rich, "dc:publisher") == ["Taylor & Francis"]
    assert texts(rich, "datacite:dates/datacite:date[@dateType='Issued']") == ["2021-06-15"]
    assert texts(rich, "datacite:dates/datacite:date/@dateType") == ["Issued"]  # dateCreated is not a v4 date


def test_access_rights_open_access(rich):
    assert texts(rich, "datacite:rights") == ["open access"]
    assert texts(rich, "datacite:rights/@rightsURI") == ["http://purl.org/coar/access_right/c_abf2"]


def test_controlled_subject_gets_scheme_scheme_uri_and_value_uri(rich):
    assert texts(rich, "datacite:subjects/datacite:subject") == [
        "Primary health care", "International cooperation", "Primary Health Care"]
    assert attributes(rich, "datacite:subjects/datacite:subject")[2] == {
        "subjectScheme": "MeSH", "schemeURI": "http://id.nlm.nih.gov/mesh/",
        "valueURI": "http://id.nlm.nih.gov/mesh/D011320"}


def test_license_condition_R_is_the_licence_name_with_its_uri(rich):
    assert texts(rich, "oaire:licenseCondition") == ["Creative Commons Attribution 4.0 International (CC BY 4.0)"]
    assert texts(rich, "oaire:licenseCondition/@uri") == ["https://creativecommons.org/licenses/by/4.0/"]


def test_resource_version_published_is_version_of_record(rich):
    assert texts(rich, "oaire:version") == ["VoR"]
    assert texts(rich, "oaire:version/@uri") == ["http://purl.org/coar/version/c_970fb48d4fbd8a85"]


def test_citation_volume_issue_and_pages(rich):
    assert [texts(rich, f"oaire:{t}") for t in ("citationTitle", "citationVolume", "citationIssue",
                                                 "citationStartPage", "citationEndPage")] == [
        ["Global Public Health"], ["16"], ["6"], ["845"], ["861"]]


# --- Vocabularies and other shapes of MODS, one rule per table ----------------------------------------------

LANGUAGES = [
    pytest.param("eng", "eng", id="eng-kept"), pytest.param("fre", "fra", id="fre-fra"),
    pytest.param("ger", "deu", id="ger-deu"), pytest.param("chi", "zho", id="chi-zho"),
    pytest.param("dut", "nld", id="dut-nld"), pytest.param("cze", "ces", id="cze-ces"),
    pytest.param("gre", "ell", id="gre-ell"), pytest.param("per", "fas", id="per-fas"),
    pytest.param("wel", "cym", id="wel-cym"), pytest.param("fra", "fra", id="terminology-code-kept"),
]


@pytest.mark.parametrize("code, expected", LANGUAGES)
def test_language_iso_639_2_bibliographic_becomes_639_3(code, expected):
    body = f'<language><languageTerm type="code" authority="iso639-2b">{code}</languageTerm></language>'
    assert texts(crosswalk(mods(body)), "dc:language") == [expected]


def test_language_iso_639_1_becomes_639_3():
    body = '<language><languageTerm type="code" authority="rfc5646">de</languageTerm></language>'
    assert texts(crosswalk(mods(body)), "dc:language") == ["deu"]


ACCESS = [
    pytest.param("open access", "open access", "c_abf2", id="open"),
    pytest.param("embargoed access", "embargoed access", "c_f1cf", id="embargoed"),
    pytest.param("restricted access", "restricted access", "c_16ec", id="restricted"),
    pytest.param("metadata only access", "metadata only access", "c_14cb", id="metadata-only"),
    pytest.param("info:eu-repo/semantics/openAccess", "open access", "c_abf2", id="info-eu-repo-open"),
    pytest.param("info:eu-repo/semantics/closedAccess", "metadata only access", "c_14cb", id="closed"),
    pytest.param("http://purl.org/coar/access_right/c_16ec", "restricted access", "c_16ec", id="coar-uri"),
    pytest.param("Ask the library", "metadata only access", "c_14cb", id="unreadable-claims-nothing"),
]


@pytest.mark.parametrize("text, label, concept", ACCESS)
def test_access_rights_from_the_coar_vocabulary(text, label, concept):
    resource = crosswalk(mods(f'<accessCondition type="restriction on access">{text}</accessCondition>'))
    assert texts(resource, "datacite:rights") == [label]
    assert texts(resource, "datacite:rights/@rightsURI") == [f"http://purl.org/coar/access_right/{concept}"]


TYPES = [
    pytest.param('<genre>book</genre>', "book", "c_2f33", "literature", id="book"),
    pytest.param('<genre>book chapter</genre>', "book part", "c_3248", "literature", id="chapter-is-book-part"),
    pytest.param('<genre>peer-reviewed</genre><genre>Doctoral thesis</genre>', "doctoral thesis", "c_db06",
                 "literature", id="first-genre-naming-a-type"),
    pytest.param('<genre authority="coar" valueURI="http://purl.org/coar/resource_type/c_816b">Vorabdruck</genre>',
                 "preprint", "c_816b", "literature", id="coar-value-uri-wins"),
    pytest.param('<genre>dataset</genre>', "dataset", "c_ddb1", "dataset", id="dataset"),
    pytest.param('<typeOfResource>software, multimedia</typeOfResource>', "software", "c_5ce6", "software",
                 id="type-of-resource-software"),
    pytest.param('<typeOfResource>text</typeOfResource><genre>peer-reviewed</genre>', "text", "c_18cf",
                 "literature", id="text-without-known-genre"),
    pytest.param('<typeOfResource>still image</typeOfResource>', "still image", "c_ecc8",
                 "other research product", id="still-image"),
    pytest.param('', "other", "c_1843", "other research product", id="nothing-says"),
]


@pytest.mark.parametrize("body, label, concept, general", TYPES)
def test_resource_type_chosen_by_genre_then_type_of_resource(body, label, concept, general):
    resource = crosswalk(mods(body))
    assert texts(resource, "oaire:resourceType") == [label]
    assert attributes(resource, "oaire:resourceType") == [
        {"resourceTypeGeneral": general, "uri": f"http://purl.org/coar/resource_type/{concept}"}]


VERSIONS = [
    pytest.param("Accepted/In press", "AM", "c_ab4af688f83e57aa", id="accepted-in-press"),
    pytest.param("Published", "VoR", "c_970fb48d4fbd8a85", id="published"),
    pytest.param("E-pub ahead of print", "VoR", "c_970fb48d4fbd8a85", id="e-pub-ahead-of-print"),
    pytest.param("Submitted", "SMUR", "c_71e4c1898caa6e32", id="submitted"),
]


@pytest.mark.parametrize("status, label, concept", VERSIONS)
def test_resource_version_from_publication_status(status, label, concept):
    resource = crosswalk(mods(f'<note type="publication status">{status}</note>'))
    assert texts(resource, "oaire:version") == [label]
    assert texts(resource, "oaire:version/@uri") == [f"http://purl.org/coar/version/{concept}"]


@pytest.mark.parametrize("status", ["Unpublished", "In preparation", ""])
def test_no_resource_version_where_the_status_implies_none(status):
    body = f'<note type="publication status">{status}</note>' if status else ""
    assert crosswalk(mods(body)).xpath("oaire:version", namespaces=NS) == []


ROLES = [
    pytest.param('<roleTerm type="code" authority="marcrelator">edt</roleTerm>', "Editor", id="editor-code-only"),
    pytest.param('<roleTerm type="code" authority="marcrelator">ths</roleTerm>', "Supervisor", id="thesis-advisor"),
    pytest.param('<roleTerm type="text" authority="marcrelator">copyright holder</roleTerm>', "RightsHolder",
                 id="copyright-holder"),
    pytest.param('<roleTerm type="text">translator</roleTerm>', "Other", id="other-roles"),
]


@pytest.mark.parametrize("role, contributor_type", ROLES)
def test_contributor_type_from_marc_relator_role(role, contributor_type):
    body = f'<name type="personal"><namePart>Someone</namePart><role>{role}</role></name>'
    assert texts(crosswalk(mods(body)), "//datacite:contributor/@contributorType") == [contributor_type]


def test_corporate_author_is_an_organizational_creator_without_name_parts():
    resource = crosswalk(mods('<name type="corporate"><namePart>World Health Organization</namePart></name>'))
    assert texts(resource, "//datacite:creatorName") == ["World Health Organization"]
    assert texts(resource, "//datacite:creatorName/@nameType") == ["Organizational"]
    assert texts(resource, "//datacite:givenName | //datacite:familyName") == []


def test_full_text_link_is_a_file_with_media_type_and_access_right_and_format():
    resource = crosswalk(mods(
        '<physicalDescription><internetMediaType>application/pdf</internetMediaType></physicalDescription>'
        '<location><url access="raw object">https://example.org/a.pdf</url>'
        '<url usage="primary display">https://example.org/a</url></location>'
        '<accessCondition type="restriction on access">open access</accessCondition>'))
    assert texts(resource, "oaire:file") == ["https://example.org/a.pdf"]
    assert attributes(resource, "oaire:file") == [{"accessRightsURI": "http://purl.org/coar/access_right/c_abf2",
                                                   "objectType": "fulltext", "mimeType": "application/pdf"}]
    assert texts(resource, "dc:format") == ["application/pdf"]


def test_classification_is_a_subject_with_its_scheme():
    resource = crosswalk(mods('<classification authority="ddc">362.1</classification>'))
    assert texts(resource, "//datacite:subject") == ["362.1"]
    assert attributes(resource, "//datacite:subject") == [{"subjectScheme": "DDC", "schemeURI": "http://dewey.info/"}]


LICENCES = [
    pytest.param('<accessCondition type="use and reproduction" '
                 'xlink:href="https://creativecommons.org/licenses/by-nc/4.0/"/>',
                 ["CC BY-NC 4.0"], ["https://creativecommons.org/licenses/by-nc/4.0/"], id="cc-name-from-url"),
    pytest.param('<accessCondition type="use and reproduction">https://creativecommons.org/publicdomain/zero/1.0/'
                 '</accessCondition>', ["CC0 1.0"], ["https://creativecommons.org/publicdomain/zero/1.0/"],
                 id="cc0-url-as-text"),
    pytest.param('<accessCondition type="use and reproduction">All rights reserved</accessCondition>',
                 ["All rights reserved"], [], id="text-without-uri"),
]


@pytest.mark.parametrize("body, names, uris", LICENCES)
def test_license_condition_has_a_name_and_its_uri_where_known(body, names, uris):
    resource = crosswalk(mods(body))
    assert texts(resource, "oaire:licenseCondition") == names
    assert texts(resource, "oaire:licenseCondition/@uri") == uris


def test_markup_characters_in_values_survive_as_text():
    """The crosswalk writes XML as text: every value, in content or attribute, comes back as catalogued."""
    resource = crosswalk(mods(
        '<titleInfo type="alternative"><title>Ions &lt;Na+&gt; &amp; "salts"</title></titleInfo>'
        '<classification authority="x&amp;y" valueURI="http://example.org/?a=1&amp;b=&quot;2&quot;">A&amp;B'
        '</classification><originInfo><publisher>Taylor &amp; Francis</publisher></originInfo>'))
    assert texts(resource, "datacite:titles/datacite:title") == ["T", 'Ions <Na+> & "salts"']
    assert texts(resource, "datacite:subjects/datacite:subject") == ["A&B"]
    assert attributes(resource, "datacite:subjects/datacite:subject") == [
        {"subjectScheme": "x&y", "valueURI": 'http://example.org/?a=1&b="2"'}]
    assert texts(resource, "dc:publisher") == ["Taylor & Francis"]


def test_other_titles_are_those_beside_the_primary_one_wherever_it_stands():
    resource = crosswalk(mods('<titleInfo type="alternative" usage="primary"><title>Main</title></titleInfo>'))
    assert texts(resource, "datacite:titles/datacite:title") == ["Main", "T"]
    assert attributes(resource, "datacite:titles/datacite:title") == [{}, {"titleType": "AlternativeTitle"}]


def test_alternative_title_and_other_language_tag():
    resource = crosswalk(mods('<titleInfo type="alternative"><title>Short</title></titleInfo>'
                              '<titleInfo type="translated" lang="ger"><title>Titel</title></titleInfo>'))
    assert attributes(resource, "datacite:titles/datacite:title")[1:] == [
        {"titleType": "AlternativeTitle"}, {"titleType": "TranslatedTitle", XML_LANG: "de"}]


# --- The contract: always an element, deterministic, MODS untouched, schema-valid --------------------------

def test_every_mods_record_has_an_element_never_none(validator):
    """No None path: a record that says almost nothing still gets its mandatory identifier, type and rights."""
    resource = crosswalk(mods(""))
    assert resource is not None
    assert texts(resource, "datacite:identifier | datacite:rights | oaire:resourceType") == [
        "other", "http://oai.example.org/records/record", "metadata only access"]
    validator.check(SCHEMA, resource, "minimal")


def test_same_input_gives_the_same_bytes():
    record = parse(RICH.read_bytes(), RICH.name)
    outputs = {etree.tostring(crosswalk(record, "garcia-lopez-2021")) for _ in range(3)}
    assert len(outputs) == 1


def test_mods_is_not_modified():
    record = parse(RICH.read_bytes(), RICH.name)
    before = etree.tostring(record)
    crosswalk(record)
    assert etree.tostring(record) == before


def test_seed_output_is_valid_openaire_4(validator, seed):
    validator.check(SCHEMA, seed, "birn-muntaner-2018")


def test_rich_output_is_valid_openaire_4(validator, rich):
    validator.check(SCHEMA, rich, "garcia-lopez-2021")


INLINE = [pytest.param(p.values[0], id=p.id) for p in TYPES + LICENCES] + [
    pytest.param(f'<accessCondition type="restriction on access">{p.values[0]}</accessCondition>', id=p.id)
    for p in ACCESS]


@pytest.mark.parametrize("body", INLINE)
def test_inline_record_gives_valid_openaire_4(validator, body):
    validator.check(SCHEMA, crosswalk(mods(body)), "inline")


def test_the_validator_refuses_a_rights_uri_outside_coar(validator, seed):
    """The schema check has teeth: the rights URI is an enumeration of the four COAR terms."""
    broken = etree.fromstring(etree.tostring(seed))
    broken.find("datacite:rights", NS).set("rightsURI", "http://example.org/free")
    with pytest.raises(InvalidRecord):
        validator.check(SCHEMA, broken, "broken")
