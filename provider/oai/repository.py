"""What the protocol knows about this repository: its description, formats, store, paging and token codec.

Built once from configuration by the app factory; verbs receive it as an argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metadata.formats import MetadataFormat
from metadata.record import utc_datestamp
from metadata.store.base import Store
from provider.oai.envelope import rights_container
from provider.oai.tokens import TokenCodec


@dataclass
class Repository:
    name: str
    base_url: str
    admin_emails: tuple[str, ...]
    repository_identifier: str
    store: Store
    tokens: TokenCodec
    formats: dict[str, MetadataFormat]
    page_size: int = 100
    identifiers_page_size: int = 500
    sets_page_size: int = 100
    rights: bytes = b""  # an about container added to every record, when configured

    def harvest_start(self) -> str:
        """Now, on the store's clock when it offers one (PostgreSQL: the database's, read after writers in
        flight commit), so app servers whose clocks differ still fix `until` where the datestamps are."""
        store_now = getattr(self.store, "now", None)
        return store_now() if store_now else utc_datestamp()

    @classmethod
    def from_config(cls, config: dict[str, Any], secret_key: str, store: Store,
                    formats: dict[str, MetadataFormat]) -> "Repository":
        return cls(
            name=config["REPOSITORY_NAME"], base_url=config["BASE_URL"], admin_emails=config["ADMIN_EMAIL"],
            repository_identifier=config["REPOSITORY_IDENTIFIER"], store=store,
            tokens=TokenCodec(secret_key, config["TOKEN_LIFETIME"]), formats=formats,
            page_size=config["PAGE_SIZE"], identifiers_page_size=config["IDENTIFIERS_PAGE_SIZE"],
            sets_page_size=config["SETS_PAGE_SIZE"],
            rights=rights_container(config["RIGHTS_URL"]) if config["RIGHTS_URL"] else b"")
