"""The MODS -> oai_datacite crosswalk, rule by rule, after the DataCite Metadata Schema 4 documentation and
DataCite's OAI wrapper 1.1.

The seed has no DOI, so it has no oai_datacite; to check its other facts field by field a DOI is added to its
facts (never to the file). The hand-written rich record covers the optional paths; small inline MODS records
the rest. Every output is validated against the wrapper and kernel 4 compiled together.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from metadata.crosswalks.datacite import derive_oai_datacite
from metadata.facts import facts_of_mods
from metadata.formats import Context
from metadata.validate import InvalidRecord, Validator, parse

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "metadata" / "seed" / "birn-muntaner-2018.mods.xml"
RICH = Path(__file__).resolve().parent / "records" / "garcia-lopez-2021.mods.xml"
SCHEMAS = ("datacite/oai-1.1/oai.xsd", "datacite/kernel-4/metadata.xsd")
NS = {"w": "http://schema.datacite.org/oai/oai-1.1/", "d": "http://datacite.org/schema/kernel-4",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTEXT = Context("oai:test.example.org:birn-muntaner-2018", "http://oai.example.org/records/birn-muntaner-2018",
                  "Test repository", "EXAMPLE.REPO")
SEED_DOI = "10.1234/example-seed"


@pytest.fixture(scope="module")
def validator(schema_dir) -> Validator:
    return Validator(schema_dir)


def read(path: Path) -> etree._Element:
    return parse(path.read_bytes(), path.name)


def derive(mods: etree._Element, context: Context = CONTEXT, **facts) -> etree._Element | None:
    """The crosswalk on mods, with facts replaced as given (doi=... for a record that has none)."""
    return derive_oai_datacite(mods, dataclasses.replace(facts_of_mods(mods), **facts), context)


def mods(body: str) -> etree._Element:
    """A MODS 3.8 record with a DOI and a date, plus body."""
    return etree.fromstring(
        '<mods xmlns="http://www.loc.gov/mods/v3" xmlns:xlink="http://www.w3.org/1999/xlink" version="3.8">'
        '<identifier type="doi">10.1234/inline</identifier>'
        '<originInfo><dateIssued>2020</dateIssued></originInfo>' + body + "</mods>")


def text(el: etree._Element, path: str) -> list[str]:
    return [e.text for e in el.xpath(path, namespaces=NS)]


def attrs(el: etree._Element, path: str) -> list[dict]:
    return [dict(e.attrib) for e in el.xpath(path, namespaces=NS)]


def assert_valid(validator: Validator, el: etree._Element) -> None:
    validator.check(SCHEMAS, el, "test")


@pytest.fixture(scope="module")
def seed() -> etree._Element:
    return derive(read(SEED), doi=SEED_DOI)


@pytest.fixture(scope="module")
def rich() -> etree._Element:
    return derive(read(RICH))


# --- When a record has the format -----------------------------------------------------------------------

def test_record_without_doi_has_no_oai_datacite():
    assert derive(read(SEED)) is None


def test_record_without_date_has_no_oai_datacite():
    """publicationYear is mandatory and YYYY-typed: no standard value for unknown information fits it."""
    assert derive(read(RICH), date="") is None


def test_empty_datacentre_symbol_means_no_oai_datacite():
    """datacentreSymbol is required by the wrapper: an unconfigured symbol is refused, not sent empty."""
    assert derive(read(RICH), dataclasses.replace(CONTEXT, datacite_symbol="  ")) is None


def test_mods_is_not_modified_and_output_is_deterministic():
    record = read(RICH)
    before = etree.tostring(record)
    first, second = etree.tostring(derive(record)), etree.tostring(derive(record))
    assert first == second
    assert etree.tostring(record) == before


# --- The wrapper --------------------------------------------------------------------------------------------

def test_wrapper_carries_schema_version_symbol_and_payload(seed):
    assert seed.tag == "{http://schema.datacite.org/oai/oai-1.1/}oai_datacite"
    assert [c.tag.split("}")[1] for c in seed] == ["schemaVersion", "datacentreSymbol", "payload"]
    assert text(seed, "w:schemaVersion") == ["4.7"]
    assert text(seed, "w:datacentreSymbol") == ["EXAMPLE.REPO"]
    assert len(seed.xpath("w:payload/d:resource", namespaces=NS)) == 1


def test_schema_locations_on_wrapper_and_resource_as_datacite_writes_them(seed):
    location = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
    assert seed.get(location) == ("http://schema.datacite.org/oai/oai-1.1/ "
                                  "http://schema.datacite.org/oai/oai-1.1/oai.xsd")
    resource = seed.find("w:payload/d:resource", NS)
    assert resource.get(location) == ("http://datacite.org/schema/kernel-4 "
                                      "http://schema.datacite.org/meta/kernel-4/metadata.xsd")


def test_seed_output_is_valid_against_wrapper_and_kernel_4(validator, seed):
    assert_valid(validator, seed)


def test_rich_output_is_valid_against_wrapper_and_kernel_4(validator, rich):
    assert_valid(validator, rich)


def test_combined_validation_checks_the_payload(validator, rich):
    """The wrapper's payload has no type: alone it accepts a resource without creators; with kernel 4 it does not."""
    broken = etree.fromstring(etree.tostring(rich))
    creators = broken.find("w:payload/d:resource/d:creators", NS)
    creators.getparent().remove(creators)
    validator.check("datacite/oai-1.1/oai.xsd", broken, "wrapper alone")
    with pytest.raises(InvalidRecord, match="creators"):
        validator.check(SCHEMAS, broken, "wrapper and kernel 4")


# --- The seed, field by field ---------------------------------------------------------------------------------

R = "w:payload/d:resource/"


def test_seed_identifier_is_the_doi(seed):
    assert text(seed, R + "d:identifier") == [SEED_DOI]
    assert attrs(seed, R + "d:identifier") == [{"identifierType": "DOI"}]


def test_seed_creators_are_family_given_with_their_parts(seed):
    assert text(seed, R + "d:creators/d:creator/d:creatorName") == ["Birn, Anne Emanuelle", "Muntaner, Carles"]
    assert attrs(seed, R + "d:creators/d:creator/d:creatorName") == [{"nameType": "Personal"}] * 2
    assert text(seed, R + "d:creators/d:creator/d:givenName") == ["Anne Emanuelle", "Carles"]
    assert text(seed, R + "d:creators/d:creator/d:familyName") == ["Birn", "Muntaner"]
    assert seed.xpath(R + "d:creators//d:nameIdentifier | " + R + "d:creators//d:affiliation", namespaces=NS) == []


def test_seed_title_and_subtitle(seed):
    assert text(seed, R + "d:titles/d:title") == [
        "Latin American social medicine across borders",
        "South–South cooperation and the making of health solidarity"]
    assert attrs(seed, R + "d:titles/d:title") == [{}, {"titleType": "Subtitle"}]


def test_seed_without_publisher_names_the_repository(seed):
    assert text(seed, R + "d:publisher") == ["Test repository"]


def test_seed_publication_year(seed):
    assert text(seed, R + "d:publicationYear") == ["2018"]


def test_seed_genre_journal_article_is_JournalArticle(seed):
    assert text(seed, R + "d:resourceType") == ["journal article"]
    assert attrs(seed, R + "d:resourceType") == [{"resourceTypeGeneral": "JournalArticle"}]


def test_seed_keywords_bare_and_subject_area_with_its_scheme(seed):
    assert text(seed, R + "d:subjects/d:subject") == [
        "Cuba", "Latin American social medicine", "Medical internationalism", "South–South health cooperation",
        "Venezuela", "Public Health, Environmental and Occupational Health"]
    assert attrs(seed, R + "d:subjects/d:subject") == [{}] * 5 + [{"subjectScheme": "ASJC"}]


def test_seed_accepted_status_dates_the_acceptance_not_the_issue(seed):
    assert text(seed, R + "d:dates/d:date") == ["2018-02-23"]
    assert attrs(seed, R + "d:dates/d:date") == [{"dateType": "Accepted", "dateInformation": "Accepted/In press"}]


def test_seed_language_eng_is_en(seed):
    assert text(seed, R + "d:language") == ["en"]


def test_seed_landing_page_is_an_alternate_identifier(seed):
    assert text(seed, R + "d:alternateIdentifiers/d:alternateIdentifier") == [CONTEXT.landing_page]
    assert attrs(seed, R + "d:alternateIdentifiers/d:alternateIdentifier") == [{"alternateIdentifierType": "URL"}]


def test_seed_page_count_is_a_size(seed):
    assert text(seed, R + "d:sizes/d:size") == ["18 pages"]


def test_seed_abstract_is_the_abstract_description(seed):
    [description] = seed.xpath(R + "d:descriptions/d:description", namespaces=NS)
    assert description.get("descriptionType") == "Abstract"
    assert description.text.startswith("Latin American social medicine efforts are typically understood")
    assert description.text.endswith("its prospects for continuity.")


def test_seed_journal_is_the_related_item_with_year_and_pages(seed):
    [item] = seed.xpath(R + "d:relatedItems/d:relatedItem", namespaces=NS)
    assert dict(item.attrib) == {"relatedItemType": "Journal", "relationType": "IsPublishedIn"}
    assert [c.tag.split("}")[1] for c in item] == ["titles", "publicationYear", "firstPage", "lastPage"]
    assert text(item, "d:titles/d:title") == ["Global Public Health"]
    assert text(item, "d:publicationYear | d:firstPage | d:lastPage") == ["2018", "1", "18"]


def test_seed_states_nothing_it_does_not_have(seed):
    for absent in ("contributors", "relatedIdentifiers", "rightsList", "fundingReferences", "formats", "version"):
        assert seed.xpath(R + "d:" + absent, namespaces=NS) == [], absent


# --- The rich record: the optional paths -------------------------------------------------------------------

def test_rich_orcid_and_affiliation(rich):
    assert text(rich, R + "d:creators/d:creator/d:nameIdentifier") == [
        "https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0001-5109-3700"]
    assert attrs(rich, R + "d:creators/d:creator/d:nameIdentifier") == [
        {"nameIdentifierScheme": "ORCID", "schemeURI": "https://orcid.org"}] * 2
    assert text(rich, R + "d:creators/d:creator[1]/d:affiliation") == ["Universidad de la República, Montevideo"]


def test_rich_editor_is_an_Editor_contributor_not_a_creator(rich):
    assert text(rich, R + "d:creators/d:creator/d:creatorName") == ["García-López, María José", "Smith, John"]
    assert attrs(rich, R + "d:contributors/d:contributor") == [{"contributorType": "Editor"}]
    assert text(rich, R + "d:contributors/d:contributor/d:contributorName") == ["Pérez, Ana"]
    assert text(rich, R + "d:contributors/d:contributor/d:givenName") == ["Ana"]


def test_rich_title_with_nonsort_subtitle_and_translated_title_with_its_language(rich):
    assert text(rich, R + "d:titles/d:title") == [
        "The health of nations", "cooperation in primary care", "La salud de las naciones"]
    assert attrs(rich, R + "d:titles/d:title") == [
        {}, {"titleType": "Subtitle"}, {"titleType": "TranslatedTitle", XML_LANG: "es"}]


def test_rich_publisher_from_mods(rich):
    assert text(rich, R + "d:publisher") == ["Taylor & Francis"]


def test_rich_issued_and_created_dates(rich):
    assert text(rich, R + "d:dates/d:date") == ["2021-06-15", "2020-11-02"]
    assert attrs(rich, R + "d:dates/d:date") == [{"dateType": "Issued"}, {"dateType": "Created"}]


def test_rich_language_spa_is_es(rich):
    assert text(rich, R + "d:language") == ["es"]


def test_rich_controlled_subject_has_scheme_and_value_uri(rich):
    assert attrs(rich, R + "d:subjects/d:subject") == [{}, {}, {
        "subjectScheme": "MeSH", "schemeURI": "http://id.nlm.nih.gov/mesh/",
        "valueURI": "http://id.nlm.nih.gov/mesh/D011320"}]


def test_rich_handle_url_and_landing_page_are_alternate_identifiers(rich):
    assert text(rich, R + "d:alternateIdentifiers/d:alternateIdentifier") == [
        "20.500.12345/678", "https://repository.example.org/items/678", CONTEXT.landing_page]
    assert [a["alternateIdentifierType"] for a in attrs(rich, R + "d:alternateIdentifiers/*")] == [
        "Handle", "URL", "URL"]


def test_rich_issn_is_published_in(rich):
    assert text(rich, R + "d:relatedIdentifiers/d:relatedIdentifier") == ["1744-1692"]
    assert attrs(rich, R + "d:relatedIdentifiers/d:relatedIdentifier") == [{
        "relatedIdentifierType": "ISSN", "relationType": "IsPublishedIn", "resourceTypeGeneral": "Journal"}]


def test_rich_cc_licence_has_spdx_identifier_and_access_has_coar_uri(rich):
    assert text(rich, R + "d:rightsList/d:rights") == [
        "Creative Commons Attribution 4.0 International (CC BY 4.0)", "open access"]
    assert attrs(rich, R + "d:rightsList/d:rights") == [
        {"rightsURI": "https://creativecommons.org/licenses/by/4.0/", "rightsIdentifier": "cc-by-4.0",
         "rightsIdentifierScheme": "SPDX", "schemeURI": "https://spdx.org/licenses/"},
        {"rightsURI": "http://purl.org/coar/access_right/c_abf2"}]


def test_rich_journal_related_item_in_schema_order(rich):
    [item] = rich.xpath(R + "d:relatedItems/d:relatedItem", namespaces=NS)
    assert [c.tag.split("}")[1] for c in item] == [
        "relatedItemIdentifier", "titles", "publicationYear", "volume", "issue", "firstPage", "lastPage", "publisher"]
    assert attrs(item, "d:relatedItemIdentifier") == [{"relatedItemIdentifierType": "ISSN"}]
    assert text(item, "*[not(self::d:titles)]") == [
        "1744-1692", "2021", "16", "6", "845", "861", "Taylor & Francis"]


# --- Inline records: the other shapes -----------------------------------------------------------------------

def test_no_publisher_and_no_repository_name_is_unav(validator):
    el = derive(mods('<titleInfo><title>T</title></titleInfo>'), dataclasses.replace(CONTEXT, repository_name=""))
    assert text(el, R + "d:publisher") == ["(:unav)"]
    assert_valid(validator, el)


def test_no_creator_and_no_title_take_the_standard_unknown_values(validator):
    el = derive(mods(""))
    assert text(el, R + "d:creators/d:creator/d:creatorName") == ["(:unav)"]
    assert text(el, R + "d:titles/d:title") == ["(:unas)"]
    assert_valid(validator, el)


def test_corporate_author_is_Organizational_without_name_parts(validator):
    el = derive(mods('<name type="corporate"><namePart>World Health Organization</namePart></name>'))
    assert text(el, R + "d:creators/d:creator/d:creatorName") == ["World Health Organization"]
    assert attrs(el, R + "d:creators/d:creator/d:creatorName") == [{"nameType": "Organizational"}]
    assert el.xpath(R + "d:creators/d:creator/d:givenName", namespaces=NS) == []
    assert_valid(validator, el)


@pytest.mark.parametrize("kind, term, expected", [
    ("code", "edt", "Editor"), ("code", "trl", "Translator"), ("code", "ths", "Supervisor"),
    ("code", "cph", "RightsHolder"), ("text", "translator", "Translator"), ("code", "ctb", "Other"),
    ("code", "ill", "Other")])
def test_marc_relator_role_gives_contributor_type(validator, kind, term, expected):
    el = derive(mods('<name type="personal"><namePart type="family">Doe</namePart><role>'
                     f'<roleTerm type="{kind}" authority="marcrelator">{term}</roleTerm></role></name>'))
    assert attrs(el, R + "d:contributors/d:contributor") == [{"contributorType": expected}]
    assert text(el, R + "d:contributors/d:contributor/d:contributorName") == ["Doe"]
    assert_valid(validator, el)


def test_funder_is_a_funding_reference_not_a_contributor(validator):
    el = derive(mods('<name type="corporate"><namePart>Wellcome Trust</namePart><role>'
                     '<roleTerm type="code" authority="marcrelator">fnd</roleTerm></role></name>'))
    assert text(el, R + "d:fundingReferences/d:fundingReference/d:funderName") == ["Wellcome Trust"]
    assert el.xpath(R + "d:contributors", namespaces=NS) == []
    assert_valid(validator, el)


@pytest.mark.parametrize("body, general, label", [
    ('<genre>book chapter</genre>', "BookChapter", "book chapter"),
    ('<genre>Doctoral thesis</genre>', "Dissertation", "Doctoral thesis"),
    ('<genre>peer-reviewed</genre><genre>preprint</genre>', "Preprint", "preprint"),
    ('<typeOfResource>still image</typeOfResource>', "Image", "still image"),
    ('<typeOfResource>text</typeOfResource><genre>festschrift</genre>', "Text", "festschrift"),
], ids=["chapter", "thesis", "second-genre", "typeOfResource", "fallback-Text"])
def test_genre_gives_resource_type_general(validator, body, general, label):
    el = derive(mods(body))
    assert attrs(el, R + "d:resourceType") == [{"resourceTypeGeneral": general}]
    assert text(el, R + "d:resourceType") == [label]
    assert_valid(validator, el)


def test_chapter_is_published_in_a_book(validator):
    el = derive(mods('<genre>book chapter</genre><relatedItem type="host"><titleInfo><title>Essays</title>'
                     '</titleInfo></relatedItem>'))
    assert attrs(el, R + "d:relatedItems/d:relatedItem") == [{"relatedItemType": "Book",
                                                              "relationType": "IsPublishedIn"}]
    assert_valid(validator, el)


@pytest.mark.parametrize("url, spdx", [
    ("https://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"),
    ("http://creativecommons.org/licenses/by-nc-sa/3.0/legalcode", "cc-by-nc-sa-3.0"),
    ("https://creativecommons.org/licenses/by-nd/4.0", "cc-by-nd-4.0"),
])
def test_creative_commons_licence_has_spdx_identifier(validator, url, spdx):
    el = derive(mods(f'<accessCondition type="use and reproduction" xlink:href="{url}">Licence</accessCondition>'))
    assert attrs(el, R + "d:rightsList/d:rights") == [{"rightsURI": url, "rightsIdentifier": spdx,
                                                       "rightsIdentifierScheme": "SPDX",
                                                       "schemeURI": "https://spdx.org/licenses/"}]
    assert_valid(validator, el)


def test_other_licence_and_rights_statements(validator):
    el = derive(mods('<accessCondition type="use and reproduction" xlink:href="https://example.org/terms">'
                     'Publisher terms</accessCondition><accessCondition type="restriction on access">'
                     'embargoed access</accessCondition><accessCondition>© 2020 The authors</accessCondition>'))
    assert text(el, R + "d:rightsList/d:rights") == ["Publisher terms", "embargoed access", "© 2020 The authors"]
    assert attrs(el, R + "d:rightsList/d:rights") == [
        {"rightsURI": "https://example.org/terms"}, {"rightsURI": "http://purl.org/coar/access_right/c_f1cf"}, {}]
    assert_valid(validator, el)


def test_abstract_paragraphs_are_one_description_with_br(validator):
    el = derive(mods("<abstract>First.</abstract><abstract>Second.</abstract>"))
    [description] = el.xpath(R + "d:descriptions/d:description", namespaces=NS)
    assert description.text == "First."
    assert [(c.tag, c.tail) for c in description] == [("{http://datacite.org/schema/kernel-4}br", "Second.")]
    assert_valid(validator, el)


def test_alternative_title_and_classification(validator):
    el = derive(mods('<titleInfo><title>Main</title></titleInfo><titleInfo type="alternative" lang="ger">'
                     '<title>Haupt</title><subTitle>Teil</subTitle></titleInfo>'
                     '<classification authority="ddc">362.1</classification>'))
    assert text(el, R + "d:titles/d:title") == ["Main", "Haupt: Teil"]
    assert attrs(el, R + "d:titles/d:title")[1] == {"titleType": "AlternativeTitle", XML_LANG: "de"}
    assert attrs(el, R + "d:subjects/d:subject") == [{"subjectScheme": "DDC"}]
    assert_valid(validator, el)


def test_language_without_iso639_1_code_is_kept_and_invalid_tag_dropped(validator):
    el = derive(mods('<language><languageTerm type="code" authority="iso639-2b">haw</languageTerm></language>'))
    assert text(el, R + "d:language") == ["haw"]
    el = derive(mods('<language><languageTerm type="code" authority="rfc5646">en_GB</languageTerm></language>'))
    assert el.xpath(R + "d:language", namespaces=NS) == []
    assert_valid(validator, el)


def test_resource_declares_the_kernel_as_its_default_namespace(rich):
    """The wrapper and the kernel are both default namespaces: the resource redeclares it for its subtree."""
    assert rich.nsmap == {None: NS["w"], "xsi": NS["xsi"]}
    [resource] = rich.xpath("w:payload/d:resource", namespaces=NS)
    assert resource.nsmap == {None: NS["d"], "xsi": NS["xsi"]}
    assert {e.tag.split("}")[0][1:] for e in resource.iter()} == {NS["d"]}


def test_markup_characters_in_values_are_kept_as_text(validator):
    el = derive(mods('<titleInfo><title>A &lt;b&gt; &amp; "c"</title></titleInfo>'
                     '<subject authority="x&amp;y"><topic>K&amp;R</topic></subject>'
                     '<abstract>1 &lt; 2</abstract><abstract>3 &gt; 2 &amp; "q"</abstract>'),
                 dataclasses.replace(CONTEXT, datacite_symbol="A&B<\">"))
    assert text(el, "w:datacentreSymbol") == ['A&B<">']
    assert text(el, R + "d:titles/d:title") == ['A <b> & "c"']
    assert attrs(el, R + "d:subjects/d:subject") == [{"subjectScheme": "x&y"}]
    [description] = el.xpath(R + "d:descriptions/d:description", namespaces=NS)
    assert (description.text, description[0].tail) == ("1 < 2", '3 > 2 & "q"')
    assert_valid(validator, el)
