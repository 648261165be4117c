"""The MODS -> oai_dc crosswalk, rule by rule, after the Library of Congress MODS to Dublin Core mapping.

The seed record (metadata/seed/birn-muntaner-2018.mods.xml) is checked fact by fact and then field by field
through the crosswalk; small inline MODS records cover the other shapes the mapping names. Every MODS input
here is valid MODS 3.8 and every output valid oai_dc, the format §3.4 requires of every repository.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from metadata.crosswalks.oai_dc import DC_ELEMENTS, mods_to_oai_dc
from schemas.catalog import install, load_schema

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "metadata" / "seed" / "birn-muntaner-2018.mods.xml"
NS = {
    "m": "http://www.loc.gov/mods/v3",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}
ABSTRACT = (
    "Latin American social medicine efforts are typically understood as national endeavours, involving health "
    "workers, policymakers, academics, social movements, unions, and left-wing political parties, among other "
    "domestic actors. But Latin America’s social medicine trajectory has also encompassed considerable "
    "between-country solidarity, building on early twentieth century interchanges among a range of players who "
    "shared approaches for improving living and working conditions and instituting protective social policies. "
    "Since the 1960s, Cuba’s country-to-country solidarity has stood out, comprising medic exchanges, training, "
    "and other forms of support for the health and social struggles of oppressed peoples throughout Latin "
    "America and around the world, recently via Misión Barrio Adentro in Venezuela. These efforts strive for "
    "social justice-oriented health cooperation based on horizontal power relations, shared political values, a "
    "commitment to social and economic redistribution, bona fide equity, and an understanding of the societal "
    "determination of health that includes, but goes well beyond, public health and medical care. With Latin "
    "America’s left-wing surge now receding, this article traces the provenance, dynamics, impact, challenges, "
    "and legacy of health solidarity across Latin American borders and its prospects for continuity."
)
KEYWORDS = ["Cuba", "Latin American social medicine", "Medical internationalism",
            "South–South health cooperation", "Venezuela"]
ASJC_AREA = "Public Health, Environmental and Occupational Health"


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> dict[str, etree.XMLSchema]:
    source = os.environ.get("OAI_SCHEMA_SOURCE") or str(ROOT.parent / "shared" / "schemas")
    folder = tmp_path_factory.mktemp("schemas")
    install(source, folder)
    return {"mods": load_schema(folder, "loc/mods/mods-3-8.xsd"), "oai_dc": load_schema(folder, "oai/oai_dc.xsd")}


@pytest.fixture(scope="module")
def seed() -> etree._Element:
    return etree.parse(str(SEED)).getroot()


@pytest.fixture(scope="module")
def seed_dc(seed) -> etree._Element:
    return mods_to_oai_dc(seed)


def mods(body: str) -> etree._Element:
    """A MODS 3.8 record holding body; the tests give only the elements they are about."""
    return etree.fromstring(
        '<mods xmlns="http://www.loc.gov/mods/v3" xmlns:xlink="http://www.w3.org/1999/xlink" version="3.8">'
        + body + "</mods>")


def values(dc: etree._Element, element: str) -> list[str]:
    return [e.text for e in dc.findall(f"dc:{element}", NS)]


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    assert schema.validate(element), "\n".join(str(e) for e in schema.error_log)


# --- The seed MODS record: valid, complete, and nothing more than its source says ---------------------------

def test_seed_is_valid_mods_3_8(schemas, seed):
    assert_valid(schemas["mods"], seed)
    assert seed.get("version") == "3.8"


SEED_FACTS = [
    pytest.param("m:titleInfo/m:title", ["Latin American social medicine across borders"], id="title"),
    pytest.param("m:titleInfo/m:subTitle", ["South–South cooperation and the making of health solidarity"],
                 id="subtitle-with-en-dash"),
    pytest.param("m:name[@type='personal']/m:namePart[@type='given']", ["Anne Emanuelle", "Carles"],
                 id="given-names-in-order"),
    pytest.param("m:name[@type='personal']/m:namePart[@type='family']", ["Birn", "Muntaner"],
                 id="family-names-in-order"),
    pytest.param("m:name/m:role/m:roleTerm[@type='text'][@authority='marcrelator']", ["author", "author"],
                 id="author-roles"),
    pytest.param("m:abstract", [ABSTRACT], id="abstract-verbatim"),
    pytest.param("m:typeOfResource", ["text"], id="type-of-resource"),
    pytest.param("m:genre", ["journal article", "peer-reviewed"], id="genres"),
    pytest.param("m:language/m:languageTerm[@type='code'][@authority='iso639-2b']", ["eng"], id="language"),
    pytest.param("m:relatedItem[@type='host']/m:titleInfo/m:title", ["Global Public Health"], id="journal"),
    pytest.param("m:relatedItem[@type='host']/m:part/m:extent[@unit='pages']/*", ["1", "18", "18"],
                 id="pages-start-end-total"),
    pytest.param("m:originInfo/m:dateIssued[@encoding='w3cdtf'][@keyDate='yes']", ["2018-02-23"], id="date"),
    pytest.param("m:note[@type='publication status']", ["Accepted/In press"], id="publication-status"),
    pytest.param("m:note[@type='externally published']", ["Yes"], id="externally-published"),
    pytest.param("m:subject[not(@authority)]/m:topic", KEYWORDS, id="keywords"),
    pytest.param("m:subject[@authority='asjc']/m:topic", [ASJC_AREA], id="asjc-subject-area"),
    pytest.param("m:recordInfo/m:recordIdentifier", ["birn-muntaner-2018"], id="record-identifier"),
    pytest.param("m:recordInfo/m:recordCreationDate[@encoding='w3cdtf']", ["2026-11-25"], id="record-created"),
    pytest.param("m:recordInfo/m:languageOfCataloging/m:languageTerm[@authority='iso639-2b']", ["eng"],
                 id="language-of-cataloging"),
]


@pytest.mark.parametrize("xpath, expected", SEED_FACTS)
def test_seed_carries_each_fact_of_its_source(seed, xpath, expected):
    assert [e.text for e in seed.xpath(xpath, namespaces=NS)] == expected


@pytest.mark.parametrize("xpath", [
    "m:identifier", "m:location", "m:accessCondition", "m:relatedItem/m:part/m:detail",
    "m:relatedItem/m:identifier", "m:originInfo/m:publisher",
])
def test_seed_adds_nothing_its_source_does_not_say(seed, xpath):
    assert seed.xpath(xpath, namespaces=NS) == []


def test_seed_leaves_out_the_citation_count(seed):
    assert "Citations" not in etree.tostring(seed, encoding="unicode")


# --- The seed through the crosswalk, field by field ----------------------------------------------------------

def test_title_joins_subtitle_with_colon(seed_dc):
    assert values(seed_dc, "title") == ["Latin American social medicine across borders: "
                                        "South–South cooperation and the making of health solidarity"]


def test_personal_name_becomes_family_comma_given(seed_dc):
    assert values(seed_dc, "creator") == ["Birn, Anne Emanuelle", "Muntaner, Carles"]
    assert values(seed_dc, "contributor") == []


def test_abstract_becomes_description_verbatim(seed_dc):
    assert values(seed_dc, "description")[0] == ABSTRACT


def test_notes_become_descriptions_with_their_labels(seed_dc):
    assert values(seed_dc, "description")[1:] == [
        "Publication status: Accepted/In press", "Externally published: Yes"]


def test_each_topic_and_the_asjc_area_become_subjects(seed_dc):
    assert values(seed_dc, "subject") == KEYWORDS + [ASJC_AREA]


def test_type_gives_dcmi_term_then_resource_type_then_genres(seed_dc):
    assert values(seed_dc, "type") == ["Text", "journal article", "peer-reviewed"]  # one DCMI type, not "Text" and "text"


def test_language_code_becomes_language(seed_dc):
    assert values(seed_dc, "language") == ["eng"]


def test_host_becomes_source_with_pages(seed_dc):
    assert values(seed_dc, "source") == ["Global Public Health, pp. 1-18"]


def test_key_date_becomes_date(seed_dc):
    assert values(seed_dc, "date") == ["2018-02-23"]


def test_record_without_identifier_or_url_has_no_identifier(seed_dc):
    assert values(seed_dc, "identifier") == []


@pytest.mark.parametrize("element", ["publisher", "contributor", "format", "relation", "coverage", "rights"])
def test_absent_fields_give_no_empty_elements(seed_dc, element):
    assert values(seed_dc, element) == []


def test_root_is_oai_dc_with_schema_location(seed_dc):
    assert seed_dc.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert seed_dc.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd")


# --- Other shapes of MODS, one rule per table ----------------------------------------------------------------

TITLES = [
    pytest.param('<titleInfo><nonSort>The </nonSort><title>Lancet</title></titleInfo>', ["The Lancet"],
                 id="nonSort-keeps-its-space"),
    pytest.param("<titleInfo><nonSort>L'</nonSort><title>Humanité</title></titleInfo>", ["L'Humanité"],
                 id="nonSort-apostrophe"),
    pytest.param('<titleInfo><title>Annual report</title><partNumber>Part 2</partNumber>'
                 '<partName>Appendices</partName></titleInfo>', ["Annual report. Part 2. Appendices"],
                 id="part-number-and-name"),
    pytest.param('<titleInfo><title>Why?</title><subTitle>a reply</subTitle></titleInfo>'
                 '<titleInfo type="alternative"><title>Reply</title></titleInfo>'
                 '<titleInfo type="translated" xml:lang="es"><title>¿Por qué?</title></titleInfo>',
                 ["Why?: a reply", "Reply", "¿Por qué?"], id="alternative-and-translated"),
    pytest.param('<titleInfo><title>Ends with colon:</title><subTitle>no double mark</subTitle></titleInfo>',
                 ["Ends with colon: no double mark"], id="no-doubled-punctuation"),
    pytest.param('<titleInfo><title>Annual report.</title><partNumber>Part 2</partNumber></titleInfo>',
                 ["Annual report. Part 2"], id="no-doubled-full-stop"),
    pytest.param('<titleInfo><title>Why?\u00a0</title><subTitle>a\u2003reply</subTitle></titleInfo>',
                 ["Why?: a reply"], id="no-break-space-is-whitespace"),
]


@pytest.mark.parametrize("body, expected", TITLES)
def test_every_title_info_becomes_a_title(body, expected):
    assert values(mods_to_oai_dc(mods(body)), "title") == expected


ROLE = '<role><roleTerm type="{0}" authority="marcrelator">{1}</roleTerm></role>'
NAMES = [
    pytest.param('<name type="corporate"><namePart>Pan American Health Organization</namePart>'
                 '<namePart>Regional Office.</namePart><namePart>Cuba</namePart></name>',
                 ["Pan American Health Organization. Regional Office. Cuba"], [], id="corporate-parts-joined"),
    pytest.param('<name type="personal"><namePart type="family">Guevara</namePart>'
                 '<namePart type="given">Ernesto</namePart><namePart type="termsOfAddress">Dr.</namePart>'
                 '<namePart type="date">1928-1967</namePart></name>',
                 ["Guevara, Ernesto, Dr., 1928-1967"], [], id="terms-of-address-and-date"),
    pytest.param('<name type="personal"><namePart>Allende, Salvador</namePart></name>',
                 ["Allende, Salvador"], [], id="untyped-name-part"),
    pytest.param('<name><displayForm>Anonymous collective</displayForm></name>', ["Anonymous collective"], [],
                 id="display-form-fallback"),
    pytest.param('<name type="personal"><namePart type="family">Ed</namePart><namePart type="given">Ann</namePart>'
                 + ROLE.format("text", "editor") + "</name>", [], ["Ed, Ann"], id="editor-is-contributor"),
    pytest.param('<name type="personal"><namePart type="family">Tr</namePart><namePart type="given">Bo</namePart>'
                 + ROLE.format("code", "trl") + "</name>", [], ["Tr, Bo"], id="translator-code-is-contributor"),
    pytest.param('<name type="personal"><namePart type="family">Au</namePart><namePart type="given">Cy</namePart>'
                 + ROLE.format("code", "aut") + "</name>", ["Au, Cy"], [], id="author-code-is-creator"),
    pytest.param('<name type="corporate"><namePart>WHO</namePart>' + ROLE.format("text", "creator") + "</name>",
                 ["WHO"], [], id="creator-role-is-creator"),
    pytest.param('<name type="personal"><namePart type="family">Up</namePart><namePart type="given">Al</namePart>'
                 + ROLE.format("text", " Author\u00a0") + "</name>", ["Up, Al"], [],
                 id="role-ignores-case-and-whitespace"),
]


@pytest.mark.parametrize("body, creators, contributors", NAMES)
def test_name_role_chooses_creator_or_contributor(body, creators, contributors):
    dc = mods_to_oai_dc(mods(body))
    assert (values(dc, "creator"), values(dc, "contributor")) == (creators, contributors)


FIELDS = [
    pytest.param('<relatedItem type="host"><titleInfo><title>Global Public Health</title></titleInfo>'
                 '<part><detail type="volume"><number>14</number></detail>'
                 '<detail type="issue"><number>6</number></detail>'
                 '<extent unit="pages"><start>7</start><end>24</end></extent><date>2019</date></part>'
                 '</relatedItem>', "source", ["Global Public Health, vol. 14, no. 6, pp. 7-24, 2019"],
                 id="host-citation"),
    pytest.param('<relatedItem type="host"><titleInfo><title>Proceedings</title></titleInfo>'
                 '<part><detail type="volume"><caption>Bd.</caption><number>3</number></detail>'
                 '<extent unit="pages"><start>5</start></extent></part></relatedItem>',
                 "source", ["Proceedings, Bd. 3, p. 5"], id="host-caption-and-single-page"),
    pytest.param('<relatedItem type="series"><titleInfo><title>Working papers</title>'
                 '<partNumber>12</partNumber></titleInfo></relatedItem>'
                 '<relatedItem type="otherVersion"><identifier type="uri">https://example.org/v1</identifier>'
                 '</relatedItem><relatedItem type="references" xlink:href="https://example.org/cited"/>',
                 "relation", ["Working papers. 12", "https://example.org/v1", "https://example.org/cited"],
                 id="series-version-and-link-are-relations"),
    pytest.param('<language><languageTerm type="code" authority="iso639-2b">eng</languageTerm></language>'
                 '<language><languageTerm type="text">Spanish</languageTerm>'
                 '<languageTerm type="code" authority="iso639-2b">spa</languageTerm></language>'
                 '<language><languageTerm type="text">Portuguese</languageTerm></language>',
                 "language", ["eng", "spa", "Portuguese"], id="several-languages-code-preferred"),
    pytest.param('<identifier type="doi">10.1080/17441692.2018.0000000</identifier>'
                 '<identifier type="doi">https://doi.org/10.1000/182</identifier>'
                 '<identifier type="uri">https://hdl.handle.net/1807/1</identifier>'
                 '<identifier type="hdl">1807/2</identifier>'
                 '<identifier type="isbn">9780000000002</identifier>'
                 '<identifier>plain-id</identifier>'
                 '<identifier type="doi" invalid="yes">10.9999/withdrawn</identifier>',
                 "identifier", ["info:doi/10.1080/17441692.2018.0000000", "https://doi.org/10.1000/182",
                                "https://hdl.handle.net/1807/1", "info:hdl/1807/2", "isbn: 9780000000002",
                                "plain-id"], id="identifier-types"),
    pytest.param('<location><url usage="primary display">https://example.org/article</url>'
                 '<url access="preview">https://example.org/thumb.png</url></location>',
                 "identifier", ["https://example.org/article"], id="location-url-but-not-preview"),
    pytest.param('<accessCondition type="use and reproduction">CC BY 4.0</accessCondition>'
                 '<accessCondition type="use and reproduction" '
                 'xlink:href="https://creativecommons.org/licenses/by/4.0/"/>',
                 "rights", ["CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"], id="access-condition"),
    pytest.param('<subject authority="lcsh"><topic>Medicine</topic><topic>Cuba</topic></subject>'
                 '<subject><name type="personal"><namePart type="family">Castro</namePart>'
                 '<namePart type="given">Fidel</namePart></name></subject>'
                 '<subject><titleInfo><title>Alma-Ata Declaration</title></titleInfo></subject>'
                 '<subject><occupation>Physicians</occupation></subject>'
                 '<classification authority="ddc">362.1</classification>',
                 "subject", ["Medicine--Cuba", "Castro, Fidel", "Alma-Ata Declaration", "Physicians", "362.1"],
                 id="subject-shapes-and-classification"),
    pytest.param('<subject><geographic>Venezuela</geographic><temporal>1999</temporal></subject>'
                 '<subject><temporal point="start">1960</temporal><temporal point="end">2018</temporal></subject>'
                 '<subject><hierarchicalGeographic><country>Cuba</country><city>Havana</city>'
                 '</hierarchicalGeographic></subject>',
                 "coverage", ["Venezuela", "1999", "1960/2018", "Cuba--Havana"], id="places-and-periods"),
    pytest.param('<originInfo><publisher>Taylor &amp; Francis</publisher><publisher>Routledge</publisher>'
                 '</originInfo>', "publisher", ["Taylor & Francis", "Routledge"], id="publishers"),
    pytest.param('<originInfo><dateCreated>2017</dateCreated><dateCaptured>2020-01-02</dateCaptured>'
                 '<dateIssued keyDate="yes" encoding="w3cdtf">2018-02-23</dateIssued>'
                 '<dateOther point="start">2016</dateOther><dateOther point="end">2017</dateOther></originInfo>',
                 "date", ["2018-02-23", "2017", "2020-01-02", "2016/2017"], id="key-date-first-and-range"),
    pytest.param('<physicalDescription><form authority="marcform">electronic</form><extent>18 pages</extent>'
                 '<internetMediaType>application/pdf</internetMediaType>'
                 '<digitalOrigin>born digital</digitalOrigin></physicalDescription>', "format", ["electronic", "18 pages", "application/pdf"],
                 id="physical-description"),
    pytest.param('<abstract shareable="no">Internal summary</abstract><abstract>Public  summary</abstract>'
                 '<tableOfContents>Introduction -- Methods</tableOfContents><note>Reprint.</note>',
                 "description", ["Public summary", "Introduction -- Methods", "Reprint."],
                 id="abstract-toc-note-unless-not-shareable"),
    pytest.param('<typeOfResource collection="yes">still image</typeOfResource><genre>photograph</genre>'
                 '<typeOfResource>sound recording-musical</typeOfResource>',
                 "type", ["StillImage", "Collection", "Sound", "photograph"], id="dcmi-types"),
    pytest.param("<typeOfResource>mixed material</typeOfResource>", "type", ["mixed material"],
                 id="type-without-a-dcmi-term-kept-as-catalogued"),
    pytest.param('<subject><topic>  Cuba\n   </topic></subject><subject><topic>Cuba</topic></subject>'
                 '<subject><topic> </topic></subject>', "subject", ["Cuba"],
                 id="whitespace-normalised-no-duplicates-no-empties"),
    pytest.param('<subject><topic>Cuba\u00a0</topic><topic>\u3000Havana</topic></subject>'
                 '<subject><topic>\u00a0</topic><topic>Cuba--Havana</topic></subject>', "subject", ["Cuba--Havana"],
                 id="unicode-whitespace-normalised-too"),
    pytest.param('<relatedItem type="host"><titleInfo><title>Atlas of health</title></titleInfo>'
                 '<part><extent unit="pages"><total>240</total></extent>'
                 '<extent unit="minutes"><start>3</start><end>7</end></extent></part></relatedItem>'
                 '<relatedItem type="host"><titleInfo><title>Yearbook</title></titleInfo>'
                 '<part><extent unit="pages"><start>1</start><list>xii, 240</list></extent></part></relatedItem>'
                 '<relatedItem type="host"><part><detail type="issue"><number>3</number></detail></part></relatedItem>',
                 "source", ["Atlas of health, 240 pages, 3-7 minutes", "Yearbook, xii, 240", "no. 3"],
                 id="host-total-other-unit-list-and-no-title"),
    pytest.param('<identifier type="doi">doi:10.1000/183</identifier><identifier type="HDL">hdl:1807/3</identifier>',
                 "identifier", ["info:doi/10.1000/183", "info:hdl/1807/3"], id="doi-and-hdl-prefixes-become-uris"),
    pytest.param('<relatedItem type="isReferencedBy"><location><url>https://example.org/review</url></location>'
                 '</relatedItem>', "relation", ["https://example.org/review"], id="relation-by-url"),
    pytest.param('<subject><cartographics><coordinates>W 85°--W 74°/N 23°--N 19°</coordinates></cartographics>'
                 '</subject>', "coverage", ["W 85°--W 74°/N 23°--N 19°"], id="coordinates-are-coverage"),
]


@pytest.mark.parametrize("body, element, expected", FIELDS)
def test_mods_element_maps_to_its_dc_element(body, element, expected):
    assert values(mods_to_oai_dc(mods(body)), element) == expected


def test_elements_follow_simpledc_order():
    body = "".join(p.values[0] for p in FIELDS + NAMES + TITLES)
    names = [etree.QName(e).localname for e in mods_to_oai_dc(mods(body))]
    assert names == sorted(names, key=DC_ELEMENTS.index)
    assert set(names) == set(DC_ELEMENTS)


def test_mods_inside_a_mods_collection_maps_as_on_its_own():
    """Ingest hands over each mods of a modsCollection, which is not its document's root."""
    body = "".join(p.values[0] for p in FIELDS + NAMES + TITLES)
    collection = etree.fromstring(
        '<modsCollection xmlns="http://www.loc.gov/mods/v3" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<mods><titleInfo><title>Another record</title></titleInfo></mods>'
        f'<mods version="3.8">{body}</mods></modsCollection>')
    assert etree.tostring(mods_to_oai_dc(collection[1])) == etree.tostring(mods_to_oai_dc(mods(body)))


def test_crosswalk_gives_the_same_records_from_many_threads():
    """The compiled stylesheet is per thread; each thread here reads its own records, as ingest's would."""
    def crosswalk_all(_) -> list[bytes]:
        records = [etree.parse(str(SEED)).getroot()] + [mods(p.values[0]) for p in FIELDS + NAMES + TITLES]
        return [etree.tostring(mods_to_oai_dc(r)) for _ in range(5) for r in records]

    expected = crosswalk_all(None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(crosswalk_all, range(16))) == [expected] * 16


def test_stylesheet_reads_nothing_but_its_input():
    """No document(), no xsl:import or xsl:include, no extension elements or functions."""
    xsl = etree.parse(str(ROOT / "metadata" / "crosswalks" / "mods_to_oai_dc.xsl"))
    xsl_ns = "http://www.w3.org/1999/XSL/Transform"
    assert xsl.xpath("//x:import | //x:include | //@extension-element-prefixes", namespaces={"x": xsl_ns}) == []
    expressions = " ".join(xsl.xpath("//x:*/@select | //x:*/@test | //x:*/@match", namespaces={"x": xsl_ns}))
    assert "document(" not in expressions
    assert set(xsl.getroot().nsmap) == {"xsl", "m", "xlink", "oai_dc", "dc", "xsi"}


def test_only_a_mods_element_is_accepted():
    with pytest.raises(ValueError):
        mods_to_oai_dc(etree.fromstring('<modsCollection xmlns="http://www.loc.gov/mods/v3"/>'))


# --- Validity: MODS 3.8 in, oai_dc out -----------------------------------------------------------------------

INLINE = [pytest.param(p.values[0], id=p.id) for p in TITLES + NAMES + FIELDS]


def test_3_4_seed_crosswalk_is_valid_oai_dc(schemas, seed_dc):
    assert_valid(schemas["oai_dc"], seed_dc)


@pytest.mark.parametrize("body", INLINE)
def test_3_4_inline_record_is_valid_mods_and_gives_valid_oai_dc(schemas, body):
    record = mods(body)
    assert_valid(schemas["mods"], record)
    assert_valid(schemas["oai_dc"], mods_to_oai_dc(record))
