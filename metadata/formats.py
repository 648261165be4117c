"""The metadata formats the provider disseminates: prefix, namespace, schema and how each is made from MODS."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from lxml import etree

from metadata.crosswalks.oai_dc import mods_to_oai_dc
from metadata.namespaces import MODS_NS, OAI_DC_NS


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    namespace: str
    schema_url: str  # what ListMetadataFormats announces
    schema_path: str  # the installed file that validates it (schemas/catalog.py)
    root_tag: str  # Clark notation of the root element
    media_type: str
    from_mods: Optional[Callable[[etree._Element], etree._Element]]  # None: this is the master


FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", OAI_DC_NS, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                       "oai/oai_dc.xsd", f"{{{OAI_DC_NS}}}dc", "application/xml", mods_to_oai_dc),
        MetadataFormat("mods", MODS_NS, "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd",
                       "loc/mods/mods-3-8.xsd", f"{{{MODS_NS}}}mods", "application/mods+xml", None),
    )
}
MASTER = FORMATS["mods"]


def format_of(root: etree._Element) -> Optional[MetadataFormat]:
    """The format a document's root element belongs to, or None."""
    for fmt in FORMATS.values():
        if root.tag == fmt.root_tag:
            return fmt
    return None
