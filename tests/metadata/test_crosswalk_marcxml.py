"""The MODS -> marcxml crosswalk, rule by rule, after the LoC MODS to MARC mapping and MARC 21 Bibliographic.

Every output is checked twice: against MARC21slim.xsd and by reading it back with pymarc, the MARC library
harvesters use, so each assertion is about the MARC record a cataloguer would see. The seed is checked field by
field for every fact it gives; the hand-written rich record covers the optional paths; small inline MODS
records cover the remaining shapes (no host, no author, corporate author, no date, no title).
"""
from __future__ import annotations

import io
from pathlib import Path

import pymarc
import pytest
from lxml import etree

from metadata.crosswalks.marcxml import MARC_NS, derive_marcxml
from metadata.facts import facts_of_mods
from metadata.formats import Context
from metadata.validate import Validator, parse

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "metadata" / "seed" / "birn-muntaner-2018.mods.xml"
RICH = ROOT / "tests" / "metadata" / "records" / "garcia-lopez-2021.mods.xml"
SCHEMA = "loc/marcxml/MARC21slim.xsd"
SEED_CONTEXT = Context("oai:test.example.org:birn-muntaner-2018", "http://oai.example.org/records/birn-muntaner-2018",
                       "Test repository", "EXAMPLE.REPO")
RICH_CONTEXT = Context("oai:test.example.org:garcia-lopez-2021", "http://oai.example.org/records/garcia-lopez-2021",
                       "Test repository", "EXAMPLE.REPO")
KEYWORDS = ["Cuba", "Latin American social medicine", "Medical internationalism",
            "South–South health cooperation", "Venezuela"]


@pytest.fixture(scope="module")
def validator(schema_dir) -> Validator:
    return Validator(schema_dir)


def derive(path_or_mods, context: Context = SEED_CONTEXT):
    mods = parse(path_or_mods.read_bytes(), path_or_mods.name) if isinstance(path_or_mods, Path) else path_or_mods
    return derive_marcxml(mods, facts_of_mods(mods), context)


def read_back(element: etree._Element) -> pymarc.Record:
    records = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(element)), strict=True)
    assert len(records) == 1
    return records[0]


def mods(body: str) -> etree._Element:
    """A MODS 3.8 record holding body; the tests give only the elements they are about."""
    return etree.fromstring('<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">' + body + "</mods>")


def subfields(field: pymarc.Field) -> list[tuple[str, str]]:
    return [(s.code, s.value) for s in field.subfields]


@pytest.fixture(scope="module")
def catalogue(validator):
    """MODS body -> the MARC record derived from it, checked against MARC21slim.xsd and read back by pymarc."""
    def run(body: str) -> pymarc.Record:
        element = derive(mods(body))
        validator.check(SCHEMA, element, "inline")
        return read_back(element)
    return run


@pytest.fixture(scope="module")
def seed_xml(validator) -> etree._Element:
    element = derive(SEED)
    validator.check(SCHEMA, element, SEED.name)
    return element


@pytest.fixture(scope="module")
def seed(seed_xml) -> pymarc.Record:
    return read_back(seed_xml)


@pytest.fixture(scope="module")
def rich_xml(validator) -> etree._Element:
    element = derive(RICH, RICH_CONTEXT)
    validator.check(SCHEMA, element, RICH.name)
    return element


@pytest.fixture(scope="module")
def rich(rich_xml) -> pymarc.Record:
    return read_back(rich_xml)


# --- The record as a whole ----------------------------------------------------------------------------------

def test_seed_and_rich_outputs_are_valid_MARC21slim(seed_xml, rich_xml, validator):
    validator.check(SCHEMA, seed_xml, "seed")
    validator.check(SCHEMA, rich_xml, "rich")


def test_root_is_a_bibliographic_record_with_its_schema_location(seed_xml):
    assert seed_xml.tag == f"{{{MARC_NS}}}record" and seed_xml.get("type") == "Bibliographic"
    assert seed_xml.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == \
        "http://www.loc.gov/MARC21/slim http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"


def test_output_is_deterministic_and_mods_is_left_alone():
    master = parse(RICH.read_bytes(), RICH.name)
    before = etree.tostring(master)
    first, second = derive(master, RICH_CONTEXT), derive(master, RICH_CONTEXT)
    assert etree.tostring(first) == etree.tostring(second)
    assert etree.tostring(master) == before


def test_fields_are_in_tag_order(seed, rich):
    for record in (seed, rich):
        tags = [f.tag for f in record.fields]
        assert tags == sorted(tags)


def test_a_record_without_a_title_has_no_marcxml():
    """245 is mandatory in MARC 21: a MODS record with no title is not offered in this format."""
    assert derive(mods('<name><namePart>Anon</namePart></name><typeOfResource>text</typeOfResource>')) is None


# --- Leader and control fields ------------------------------------------------------------------------------

def test_leader_24_positions_for_an_article_in_a_journal(seed, rich):
    for record in (seed, rich):
        leader = str(record.leader)
        assert len(leader) == 24
        assert leader[0:5] == "00000" and leader[12:17] == "00000"  # an ISO 2709 writer computes these
        assert leader[5] == "n"  # new
        assert leader[6] == "a"  # language material
        assert leader[7] == "a"  # monographic component part: MARC 21's "article in a single issue of a periodical"
        assert leader[8] == " " and leader[9] == "a"  # UCS/Unicode
        assert leader[10:12] == "22"
        assert leader[17] == "3" and leader[18] == "n"  # abbreviated level; non-ISBD punctuation omitted
        assert leader[19] == " " and leader[20:24] == "4500"


def test_leader_07_is_monograph_without_a_host(catalogue):
    record = catalogue("<titleInfo><title>A report</title></titleInfo>")
    assert str(record.leader)[7] == "m"
    assert "773" not in record


def test_001_is_the_oai_identifier_and_no_005_transaction_time(seed, rich):
    assert seed["001"].data == "oai:test.example.org:birn-muntaner-2018"
    assert rich["001"].data == "oai:test.example.org:garcia-lopez-2021"
    assert "005" not in seed and "005" not in rich and "003" not in seed


def test_seed_008_books_positions(seed):
    fixed = seed["008"].data
    assert len(fixed) == 40
    assert fixed[0:6] == "261125"  # recordInfo/recordCreationDate 2026-11-25
    assert fixed[6] == "s" and fixed[7:11] == "2018" and fixed[11:15] == "    "
    assert fixed[15:18] == "xx "
    assert fixed[23] == "|"  # a record with no link: form of item not coded
    assert fixed[35:38] == "eng" and fixed[38] == " " and fixed[39] == "d"


def test_rich_008_takes_the_publication_date_when_no_record_creation_date(rich):
    fixed = rich["008"].data
    assert len(fixed) == 40
    assert fixed[0:6] == "210615" and fixed[6:11] == "s2021"
    assert fixed[23] == "o"  # online
    assert fixed[35:38] == "spa"


def test_008_dates_unknown_and_language_codes(catalogue):
    record = catalogue('<titleInfo><title>T</title></titleInfo>'
                       '<language><languageTerm type="code" authority="iso639-2t">fra</languageTerm>'
                       '</language>')
    fixed = record["008"].data
    assert len(fixed) == 40
    assert fixed[0:6] == "      " and fixed[6:15] == "nuuuuuuuu"
    assert fixed[35:38] == "fre"  # MARC codes are ISO 639-2/B
    bare = catalogue('<titleInfo><title>T</title></titleInfo>')["008"].data
    assert bare[35:38] == "   "  # no information


def test_online_record_has_007_and_rda_media_and_carrier(rich, seed):
    assert rich["007"].data == "cr |||||||||||"
    assert subfields(rich["337"]) == [("a", "computer"), ("b", "c"), ("2", "rdamedia")]
    assert subfields(rich["338"]) == [("a", "online resource"), ("b", "cr"), ("2", "rdacarrier")]
    assert "007" not in seed and "337" not in seed and "338" not in seed


# --- Identifiers, names, titles -----------------------------------------------------------------------------

def test_024_doi_and_handle(rich, seed):
    assert [subfields(f) for f in rich.get_fields("024")] == [
        [("a", "10.1080/17441692.2021.1234567"), ("2", "doi")], [("a", "20.500.12345/678"), ("2", "hdl")]]
    assert all(f.indicator1 == "7" for f in rich.get_fields("024"))
    assert "024" not in seed


def test_020_is_the_records_own_isbn(seed, catalogue):
    record = catalogue('<titleInfo><title>A report</title></titleInfo>'
                       '<identifier type="isbn">9780000000002</identifier>')
    assert subfields(record["020"]) == [("a", "9780000000002")]
    assert "020" not in seed


def test_046_date_created(rich, seed):
    assert subfields(rich["046"]) == [("k", "2020-11-02"), ("2", "edtf")]
    assert "046" not in seed


def test_seed_100_first_author_and_700_second(seed):
    assert list(seed["100"].indicators) == ["1", " "]
    assert subfields(seed["100"]) == [("a", "Birn, Anne Emanuelle"), ("e", "author"), ("4", "aut")]
    assert [subfields(f) for f in seed.get_fields("700")] == [[("a", "Muntaner, Carles"), ("e", "author"),
                                                               ("4", "aut")]]


def test_rich_names_carry_affiliation_orcid_and_editor_role(rich):
    assert subfields(rich["100"]) == [
        ("a", "García-López, María José"), ("e", "author"), ("u", "Universidad de la República, Montevideo"),
        ("4", "aut"), ("1", "https://orcid.org/0000-0002-1825-0097")]
    smith, perez = rich.get_fields("700")
    assert subfields(smith) == [("a", "Smith, John"), ("e", "author"), ("4", "aut"),
                                ("1", "https://orcid.org/0000-0001-5109-3700")]
    assert subfields(perez) == [("a", "Pérez, Ana"), ("e", "editor"), ("4", "edt")]


def test_no_author_means_title_main_entry_and_corporate_authors_are_110(catalogue):
    editor_only = catalogue(
        '<titleInfo><title>Proceedings</title></titleInfo><name type="personal"><namePart type="family">Roe'
        '</namePart><namePart type="given">Jane</namePart><role><roleTerm type="code">edt</roleTerm></role></name>')
    assert "100" not in editor_only and editor_only["245"].indicator1 == "0"
    assert subfields(editor_only["700"]) == [("a", "Roe, Jane"), ("e", "editor"), ("4", "edt")]
    body = catalogue('<titleInfo><title>Report</title></titleInfo><name type="corporate">'
                     '<namePart>World Health Organization</namePart></name>')
    assert body["110"].indicator1 == "2" and body["110"]["a"] == "World Health Organization"
    assert body["245"].indicator1 == "1"
    meeting = catalogue('<titleInfo><title>Papers</title></titleInfo><name type="conference">'
                        '<namePart>Health Congress</namePart><role><roleTerm type="text">author</roleTerm>'
                        '</role></name>')
    assert subfields(meeting["111"]) == [("a", "Health Congress"), ("j", "author"), ("4", "aut")]  # X11 $j


def test_seed_245_title_and_subtitle(seed):
    assert list(seed["245"].indicators) == ["1", "0"]
    assert seed["245"]["a"] == "Latin American social medicine across borders"
    assert seed["245"]["b"] == "South–South cooperation and the making of health solidarity"
    assert seed.title == ("Latin American social medicine across borders "
                          "South–South cooperation and the making of health solidarity")
    assert "246" not in seed


def test_rich_245_counts_the_nonsort_and_246_is_the_translated_title(rich):
    assert list(rich["245"].indicators) == ["1", "4"]  # "The " files under "health"
    assert rich["245"]["a"] == "The health of nations" and rich["245"]["b"] == "cooperation in primary care"
    assert list(rich["246"].indicators) == ["3", "1"] and subfields(rich["246"]) == [("a", "La salud de las naciones")]


# --- Publication, description, notes ------------------------------------------------------------------------

def test_264_publication(seed, rich):
    assert list(seed["264"].indicators) == [" ", "1"] and subfields(seed["264"]) == [("c", "2018-02-23")]
    assert subfields(rich["264"]) == [("b", "Taylor & Francis"), ("c", "2021-06-15")]


def test_300_extent_in_pages(seed, rich):
    assert seed["300"]["a"] == "pages 1-18"
    assert rich["300"]["a"] == "1 online resource (pages 845-861)"


def test_336_content_type_text(seed):
    assert subfields(seed["336"]) == [("a", "text"), ("b", "txt"), ("2", "rdacontent")]


def test_500_notes_include_publication_status(seed, rich):
    assert [f["a"] for f in seed.get_fields("500")] == ["Publication status: Accepted/In press",
                                                        "Externally published: Yes"]
    assert [f["a"] for f in rich.get_fields("500")] == ["Publication status: Published",
                                                        "Special issue on South–South cooperation."]


def test_520_abstract(seed):
    mods_root = parse(SEED.read_bytes(), SEED.name)
    (field,) = seed.get_fields("520")
    assert field.indicator1 == "3" and field["a"] == facts_of_mods(mods_root).abstract[0]
    assert field["a"].startswith("Latin American social medicine efforts")


def test_506_and_540_access_and_licence(rich, seed):
    assert rich["506"].indicator1 == "0"
    assert subfields(rich["506"]) == [("a", "open access"), ("f", "Unrestricted online access"), ("2", "star")]
    assert subfields(rich["540"]) == [("a", "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
                                      ("u", "https://creativecommons.org/licenses/by/4.0/")]
    assert "506" not in seed and "540" not in seed


def test_restricted_access_is_506_first_indicator_1(catalogue):
    record = catalogue('<titleInfo><title>T</title></titleInfo>'
                       '<accessCondition type="restriction on access">embargoed access</accessCondition>')
    assert record["506"].indicator1 == "1" and subfields(record["506"]) == [("a", "embargoed access")]


# --- Subjects and genre -------------------------------------------------------------------------------------

def test_seed_keywords_are_653_and_asjc_is_650_7(seed):
    assert [f["a"] for f in seed.get_fields("653")] == KEYWORDS
    (area,) = seed.get_fields("650")
    assert list(area.indicators) == [" ", "7"]
    assert subfields(area) == [("a", "Public Health, Environmental and Occupational Health"), ("2", "asjc")]


def test_rich_mesh_is_650_second_indicator_2_with_its_uri(rich):
    (mesh,) = rich.get_fields("650")
    assert list(mesh.indicators) == [" ", "2"]
    assert subfields(mesh) == [("a", "Primary Health Care"), ("0", "http://id.nlm.nih.gov/mesh/D011320")]
    assert [f["a"] for f in rich.get_fields("653")] == ["Primary health care", "International cooperation"]


def test_lcsh_is_650_second_indicator_0_with_subdivisions_in_x(catalogue):
    record = catalogue('<titleInfo><title>T</title></titleInfo><subject authority="lcsh">'
                       '<topic>Public health</topic><topic>Research</topic></subject>')
    assert list(record["650"].indicators) == [" ", "0"]
    assert subfields(record["650"]) == [("a", "Public health"), ("x", "Research")]


def test_655_genres_with_their_source(seed, rich):
    assert [subfields(f) for f in seed.get_fields("655")] == [[("a", "journal article"), ("2", "local")],
                                                              [("a", "peer-reviewed"), ("2", "local")]]
    assert all(f.indicator2 == "7" for f in seed.get_fields("655"))
    assert subfields(rich["655"]) == [("a", "journal article"), ("2", "coar"),
                                      ("0", "http://purl.org/coar/resource_type/c_6501")]


# --- Host and links -----------------------------------------------------------------------------------------

def test_seed_773_host_item(seed):
    host = seed["773"]
    assert list(host.indicators) == ["0", " "]
    assert subfields(host) == [("t", "Global Public Health"), ("g", "2018, p. 1-18"), ("q", "<1"), ("7", "nnas")]


def test_rich_773_host_item_with_issn_volume_issue_pages(rich):
    assert subfields(rich["773"]) == [("t", "Global Public Health"), ("g", "Vol. 16, no. 6 (2021), p. 845-861"),
                                      ("x", "1744-1692"), ("q", "16:6<845"), ("7", "nnas")]


def test_856_links(seed, rich):
    assert [subfields(f) for f in seed.get_fields("856")] == [
        [("u", "http://oai.example.org/records/birn-muntaner-2018"), ("z", "Record in Test repository")]]
    assert [f["u"] for f in rich.get_fields("856")] == [
        "https://doi.org/10.1080/17441692.2021.1234567", "https://hdl.handle.net/20.500.12345/678",
        "https://repository.example.org/items/678", "http://oai.example.org/records/garcia-lopez-2021"]
    assert all(list(f.indicators) == ["4", "0"] for f in rich.get_fields("856"))


def test_reads_back_as_iso2709(rich):
    """pymarc writes the record as ISO 2709, filling the length and base address the XML leaves at 00000."""
    binary = rich.as_marc()
    again = next(iter(pymarc.MARCReader(binary, to_unicode=True, force_utf8=True)))
    assert again["245"]["a"] == "The health of nations" and int(str(again.leader)[0:5]) == len(binary)


def test_markup_characters_in_values_read_back_as_catalogued(catalogue):
    """The record is written as escaped text and parsed once: markup characters in MODS values stay text."""
    record = catalogue('<titleInfo><title>Salt &amp; pepper: &lt;i&gt;"in vitro"&lt;/i&gt; &gt; in vivo</title>'
                       '</titleInfo><genre authority="a&amp;b">x &lt; y</genre>')
    assert record["245"]["a"] == 'Salt & pepper: <i>"in vitro"</i> > in vivo'
    assert subfields(record["655"]) == [("a", "x < y"), ("2", "a&b")]
