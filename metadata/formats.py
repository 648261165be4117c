"""The metadata formats the provider disseminates and the contract their crosswalks keep.

A crosswalk is `derive(mods, facts, context) -> element or None`: the validated MODS master, its facts
(metadata/facts.py) and what it needs beyond them (Context). None means "this record is not available in
this format" (oai_datacite for a record without a DOI): the record then simply has no such dissemination.
The registry is built by the app factory and kept on the app; nothing here is a shared global to mutate.
Inputs are another matter: what ingest reads is decided in metadata/pipeline.py, not here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import quote, urljoin

from lxml import etree

from metadata.crosswalks.datacite import derive_oai_datacite
from metadata.crosswalks.marcxml import derive_marcxml
from metadata.crosswalks.oai_dc import derive_oai_dc
from metadata.crosswalks.openaire import derive_oai_openaire
from metadata.facts import Facts
from metadata.namespaces import MARC_NS, MODS_NS, OAI_DATACITE_NS, OAI_DC_NS, OAIRE_NS


@dataclass(frozen=True)
class Context:
    """What a crosswalk needs beyond the record: its identifier here, its landing page, and configuration."""

    identifier: str  # oai:<repository>:<local id>
    landing_page: str  # absolute URL of the record's page for people
    repository_name: str = ""
    datacite_symbol: str = ""  # the DataCite datacentre (repository) symbol, e.g. EXAMPLE.REPO


@dataclass(frozen=True)
class Site:
    """The configuration crosswalks see, turned into one Context per record."""

    base_url: str = "http://127.0.0.1:8000/oai"  # the OAI-PMH endpoint; pages are beside it
    repository_name: str = ""
    datacite_symbol: str = ""

    def context(self, identifier: str, local_id: str) -> Context:
        page = urljoin(self.base_url, "records/" + quote(local_id, safe="/:@!$&'()*+,;=-._~"))
        return Context(identifier, page, self.repository_name, self.datacite_symbol)


Crosswalk = Callable[[etree._Element, Facts, Context], Optional[etree._Element]]


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    namespace: str
    schema_url: str  # what ListMetadataFormats announces
    schema_paths: tuple[str, ...]  # the installed files that validate it together (schemas/catalog.py)
    root_tag: str  # Clark notation of the root element
    media_type: str
    derive: Optional[Crosswalk]  # None: this is the master
    always: bool = True  # every MODS record has it (False: its crosswalk may decline a record)

    @property
    def schema_path(self) -> str:
        """The file of the announced schema."""
        return self.schema_paths[0]

    @property
    def validation(self) -> str | tuple[str, ...]:
        """What Validator.check takes: one path, or several compiled together (a wrapper and its payload)."""
        return self.schema_paths[0] if len(self.schema_paths) == 1 else self.schema_paths


MODS = MetadataFormat("mods", MODS_NS, "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd", ("loc/mods/mods-3-8.xsd",),
                      f"{{{MODS_NS}}}mods", "application/mods+xml", None)


def standard_formats() -> dict[str, MetadataFormat]:
    """Every format this provider can disseminate, the master first, in the order ListMetadataFormats gives."""
    formats = (
        MODS,
        MetadataFormat("oai_dc", OAI_DC_NS, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", ("oai/oai_dc.xsd",),
                       f"{{{OAI_DC_NS}}}dc", "application/xml", derive_oai_dc),
        MetadataFormat("oai_openaire", OAIRE_NS, "https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd",
                       ("openaire/4.0/openaire.xsd",), f"{{{OAIRE_NS}}}resource", "application/xml",
                       derive_oai_openaire),
        # Only records with a DOI, and only where OAI_DATACITE_SYMBOL names the repository's DataCite symbol.
        MetadataFormat("oai_datacite", OAI_DATACITE_NS, "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
                       ("datacite/oai-1.1/oai.xsd", "datacite/kernel-4/metadata.xsd"),
                       f"{{{OAI_DATACITE_NS}}}oai_datacite", "application/xml", derive_oai_datacite, always=False),
        MetadataFormat("marcxml", MARC_NS, "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
                       ("loc/marcxml/MARC21slim.xsd",), f"{{{MARC_NS}}}record", "application/marcxml+xml",
                       derive_marcxml),
    )
    return {f.prefix: f for f in formats}
