"""The provenance container (provenance.xsd) that records harvested from another repository carry in their
<about> part: where, when and as what the record was harvested. Built once, at ingest."""
from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from metadata.namespaces import XSI_NS

PROVENANCE_NS = "http://www.openarchives.org/OAI/2.0/provenance"
SCHEMA_PATH = "oai/provenance.xsd"


def provenance(base_url: str, identifier: str, datestamp: str, metadata_namespace: str,
               harvest_date: str) -> etree._Element:
    """altered="true": the stored record is re-serialized, and its other formats are derived from it."""
    E = ElementMaker(namespace=PROVENANCE_NS, nsmap={None: PROVENANCE_NS, "xsi": XSI_NS})
    return E.provenance(
        E.originDescription(
            E.baseURL(base_url), E.identifier(identifier), E.datestamp(datestamp),
            E.metadataNamespace(metadata_namespace),
            harvestDate=harvest_date, altered="true"),
        {f"{{{XSI_NS}}}schemaLocation": f"{PROVENANCE_NS} http://www.openarchives.org/OAI/2.0/provenance.xsd"})
