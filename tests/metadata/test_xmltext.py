"""The crosswalks' text writer: every value escaped, the result parsed, namespaces as declared."""
from __future__ import annotations

import pytest
from lxml import etree

from metadata.crosswalks.xmltext import XMLWriter, xml_attribute

NS = "urn:example:ns"


def test_values_are_escaped_and_come_back_unchanged():
    hostile = 'a & b < c > d " e \t\n\r end </x><y a="1">'
    writer = XMLWriter("x:root", {"x": NS}, {"version": hostile})
    with writer.element("x:part", {"label": hostile}):
        writer.leaf("x:text", hostile)
        writer.leaf("x:empty", "", {"flag": "1"})
    root = writer.done()
    assert root.tag == f"{{{NS}}}root" and root.get("version") == hostile
    part = root[0]
    assert part.get("label") == hostile and part[0].text == hostile
    assert part[1].tag == f"{{{NS}}}empty" and part[1].text is None and part[1].get("flag") == "1"


def test_a_default_namespace_and_unset_attributes():
    writer = XMLWriter("record", {None: NS})
    writer.leaf("field", "v", {"code": "a", "skipped": None})
    field = writer.done()[0]
    assert field.tag == f"{{{NS}}}field" and dict(field.attrib) == {"code": "a"}


def test_an_undeclared_prefix_is_an_error_not_stored_text():
    writer = XMLWriter("x:root", {"x": NS})
    writer.leaf("y:oops", "v")
    with pytest.raises(etree.XMLSyntaxError):
        writer.done()


@pytest.mark.parametrize("value, expected", [("plain", "plain"), ('"q"', "&quot;q&quot;"), ("a\nb", "a&#10;b")])
def test_attribute_escaping(value, expected):
    assert xml_attribute(value) == expected


def test_mixed_content():
    writer = XMLWriter("x:p", {"x": NS})
    writer.text("one & ")
    writer.leaf("x:br")
    writer.text("two")
    root = writer.done()
    assert root.text == "one & " and root[0].tail == "two"


def test_attributes_escaped_once_are_written_as_they_are():
    from metadata.crosswalks.xmltext import attributes

    constant = attributes({"code": "a", "label": 'x "y"', "skipped": None})
    assert constant == ' code="a" label="x &quot;y&quot;"'
    writer = XMLWriter("x:root", {"x": NS})
    writer.leaf("x:f", "v", constant)
    assert dict(writer.done()[0].attrib) == {"code": "a", "label": 'x "y"'}
