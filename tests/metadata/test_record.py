"""The header bytes the store keeps for each record (§2.5): written as text, they must read back as XML."""
from __future__ import annotations

import pytest
from lxml import etree

from metadata.record import Header, header_xml


@pytest.mark.parametrize("identifier", [
    "oai:example.org:plain", "oai:example.org:a&b", "oai:example.org:<tag>", "oai:example.org:x>y&amp;",
])
def test_header_reads_back_with_the_same_identifier(identifier):
    element = etree.fromstring(header_xml(Header(identifier, "2018-02-23T10:00:00Z", ("a", "a:b"))))
    assert element.tag == "header" and element.get("status") is None
    assert element.findtext("identifier") == identifier
    assert element.findtext("datestamp") == "2018-02-23T10:00:00Z"
    assert [e.text for e in element.findall("setSpec")] == ["a", "a:b"]


def test_set_specs_with_markup_characters_are_escaped_too():
    element = etree.fromstring(header_xml(Header("oai:x:y", "2020-01-01T00:00:00Z", ("plain", "a&b", "<c>"))))
    assert [e.text for e in element.findall("setSpec")] == ["plain", "a&b", "<c>"]


def test_tombstone_header_has_deleted_status_and_keeps_its_sets():
    element = etree.fromstring(header_xml(Header("oai:x:y", "2020-01-01T00:00:00Z", ("s",), deleted=True)))
    assert element.get("status") == "deleted" and [e.text for e in element.findall("setSpec")] == ["s"]


def test_header_bytes_are_what_lxml_writes_for_the_same_element():
    header = Header("oai:example.org:a&b<c>", "2018-02-23T10:00:00Z", ("journal", "journal:x"), deleted=True)
    element = etree.Element("header", status="deleted")
    etree.SubElement(element, "identifier").text = header.identifier
    etree.SubElement(element, "datestamp").text = header.datestamp
    for spec in header.set_specs:
        etree.SubElement(element, "setSpec").text = spec
    assert header_xml(header) == etree.tostring(element, encoding="UTF-8")
