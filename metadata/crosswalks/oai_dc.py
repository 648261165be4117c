"""MODS master -> oai_dc, after the Library of Congress "MODS to Dublin Core Metadata Element Set Mapping"
(version 3, 2012): a pure function of one element, no I/O after import, no schema loading.

The mapping is the XSLT 1.0 stylesheet beside this module, run by libxslt: in Python it cost most of
ingest's time per record. The stylesheet's comments give the rules and the choices made where the mapping
leaves one; this module finishes its values: whitespace normalised, empty ones and repeats within an element
dropped. Elements follow simpledc order.
"""
from __future__ import annotations

import re
import threading
from copy import deepcopy
from pathlib import Path
from typing import Optional

from lxml import etree

from metadata.namespaces import MODS_NS

# The order of http://dublincore.org/schemas/xmls/simpledc20021212.xsd.
DC_ELEMENTS = ("title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
               "format", "identifier", "source", "language", "relation", "coverage", "rights")

# Whitespace to str.split() but not to XPath's normalize-space(); str.split()'s others are not XML characters.
_OTHER_SPACES = "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_OTHER_SPACE = re.compile(f"[{_OTHER_SPACES}]")

_STYLESHEET = Path(__file__).with_name("mods_to_oai_dc.xsl").read_bytes()
_local = threading.local()


def _transform() -> etree.XSLT:
    """This thread's compiled stylesheet: an XSLT object keeps per-call state (its error log), and lxml's FAQ
    advises one per thread, compiled there, where it runs fastest."""
    transform = getattr(_local, "transform", None)
    if transform is None:
        # The mapping reads nothing but its input: no document(), no files, no network.
        transform = _local.transform = etree.XSLT(etree.fromstring(_STYLESHEET),
                                                  access_control=etree.XSLTAccessControl.DENY_ALL)
    return transform


_transform()  # a broken stylesheet fails at import, not at the first record


def mods_to_oai_dc(mods: etree._Element) -> etree._Element:
    """Refuses anything but a mods:mods element: splitting a modsCollection is the caller's business."""
    if mods.tag != f"{{{MODS_NS}}}mods":
        raise ValueError(f"expected a mods:mods element, got {mods.tag}")
    dc = _finish(_transform()(mods).getroot())
    if dc is None:
        # Rare: the record holds a no-break space or the like, which the stylesheet's tests and joins took for
        # text. From a copy where each is a plain space it maps as str.split() would have it.
        dc = _finish(_transform()(_spaced(mods)).getroot())
    return dc


def _finish(dc: etree._Element) -> Optional[etree._Element]:
    """Each value whitespace-normalised, empty ones and repeats within an element dropped; None if a value holds
    whitespace that normalize-space() left alone. O(number of values)."""
    elements = list(dc)
    texts = [element.text or "" for element in elements]
    every = "\n".join(texts)
    if not every.isascii() and _OTHER_SPACE.search(every):  # one search for the record, none for ASCII
        return None
    for i, text in enumerate(texts):
        if text[:1] == " " or text[-1:] == " " or "  " in text:  # a join beside an empty part
            texts[i] = elements[i].text = " ".join(text.split())
    if "" in texts or len(set(texts)) < len(texts):  # the rare record with something to drop
        seen = set()
        for element, text in zip(elements, texts):
            if not text or (element.tag, text) in seen:
                dc.remove(element)
            seen.add((element.tag, text))
    return dc


def _spaced(mods: etree._Element) -> etree._Element:
    """A copy of mods with _OTHER_SPACES made plain spaces in its text and attribute values."""
    copy = deepcopy(mods)
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.text = node.text and _OTHER_SPACE.sub(" ", node.text)
            for name, value in node.attrib.items():
                node.set(name, _OTHER_SPACE.sub(" ", value))
        node.tail = node.tail and _OTHER_SPACE.sub(" ", node.tail)
    return copy


def derive_oai_dc(mods: etree._Element, facts, context) -> etree._Element:
    """The format contract (metadata/formats.py): every MODS record has an oai_dc dissemination."""
    return mods_to_oai_dc(mods)
