"""One reading of a record's facts: every place that shows or uses a date, a name or a host takes it from
metadata/facts.py, read once at ingest, so no two of them disagree."""
from __future__ import annotations

from pathlib import Path

import pytest

from metadata.facts import Facts, facts_of_mods
from metadata.validate import parse
from tests.metadata.test_validate import mods

RICH = Path(__file__).parent / "records" / "garcia-lopez-2021.mods.xml"


def facts(body: str) -> Facts:
    return facts_of_mods(parse(mods("f-1", "A title", body), "test"))


@pytest.mark.parametrize("body, expected", [
    ("<originInfo><dateCreated>1999</dateCreated></originInfo>"
     "<relatedItem type='host'><originInfo><dateIssued>2005</dateIssued></originInfo></relatedItem>", "2005"),
    ("<originInfo><dateIssued>2001</dateIssued><dateIssued keyDate='yes'>2002-05</dateIssued></originInfo>", "2002-05"),
    ("<originInfo><dateCreated keyDate='yes'>1999</dateCreated><dateIssued>2001</dateIssued></originInfo>", "1999"),
    ("<originInfo><dateIssued>2001</dateIssued></originInfo>"
     "<relatedItem type='host'><originInfo><dateIssued>2005</dateIssued></originInfo></relatedItem>", "2001"),
    ("<originInfo><dateCreated>1999</dateCreated></originInfo>", "1999"),
    ("<originInfo><copyrightDate>1998</copyrightDate></originInfo>", "1998"),
    ("", ""),
], ids=["host-issue-before-own-creation", "key-date-first", "key-date-of-any-kind", "own-issue-before-host",
        "creation", "copyright", "none"])
def test_the_publication_date_follows_one_rule(body, expected):
    assert facts(body).date == expected


def test_a_record_shows_one_year_in_the_list_on_its_page_and_in_its_set(app, client):
    """The case that was seen: dateCreated 1999, host dateIssued 2005 gave 1999 in the home list, 2005 on the
    landing page and no year set."""
    body = ("<originInfo><dateCreated>1999</dateCreated></originInfo><relatedItem type='host'><titleInfo>"
            "<title>J</title></titleInfo><originInfo><dateIssued>2005</dateIssued></originInfo></relatedItem>")
    records = app.extensions["pipeline"].prepare(mods("dated", "Dated", body), "dated.xml")
    app.extensions["store"].put(records)
    assert "year:2005" in records[0].set_specs
    assert records[0].summary["date"] == "2005"
    page = client.get("/records/dated").get_data(as_text=True)
    assert '<time datetime="2005">2005</time>' in page and "1999" not in page
    assert "· 2005" in client.get("/").get_data(as_text=True)


def test_names_carry_orcid_affiliation_and_roles():
    rich = facts_of_mods(parse(RICH.read_bytes(), "rich"))
    first, second, editor = rich.names
    assert (first.given, first.family, first.orcid, first.affiliations) == (
        "María José", "García-López", "https://orcid.org/0000-0002-1825-0097",
        ["Universidad de la República, Montevideo"])
    assert second.orcid == "https://orcid.org/0000-0001-5109-3700"  # a bare ORCID becomes its URL
    assert [a.inverted for a in rich.authors] == ["García-López, María José", "Smith, John"]
    assert [c.roles for c in rich.contributors] == [["editor", "edt"]]


def test_identifiers_host_access_and_licence():
    rich = facts_of_mods(parse(RICH.read_bytes(), "rich"))
    assert (rich.doi, rich.handle, rich.url) == ("10.1080/17441692.2021.1234567", "20.500.12345/678",
                                                 "https://repository.example.org/items/678")
    assert (rich.journal, rich.issn, rich.volume, rich.issue, rich.first_page, rich.last_page) == (
        "Global Public Health", "1744-1692", "16", "6", "845", "861")
    assert (rich.access, rich.licence, rich.publication_status) == (
        "open access", "https://creativecommons.org/licenses/by/4.0/", "Published")
    assert (rich.title, rich.subtitle, rich.other_titles) == (
        "The health of nations", "cooperation in primary care", ["La salud de las naciones"])


@pytest.mark.parametrize("value", ["https://doi.org/10.1000/x.1", "doi:10.1000/x.1", "10.1000/x.1"])
def test_a_doi_is_kept_bare_whatever_form_it_was_catalogued_in(value):
    assert facts(f"<identifier type='doi'>{value}</identifier>").doi == "10.1000/x.1"


def test_facts_survive_the_store_whole():
    rich = facts_of_mods(parse(RICH.read_bytes(), "rich"))
    import json

    assert Facts.from_summary(json.loads(json.dumps(rich.summary()))) == rich
    assert Facts.from_summary({"title": "stored before facts were kept"}) is None
