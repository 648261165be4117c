"""`oai-provider harvest`: pull another OAI-PMH repository into this one with pyoai's client.

Each page of a ListRecords harvest goes through the same pipeline and Writer as `ingest` (every record
validated, stored, refused or counted) and is committed before the next is asked for; the resumption token
of the last committed page is kept in the instance, so an interrupted harvest resumes where it stopped, and
the responseDate of the last complete harvest is kept per source, so the next run is incremental (the
OAI-PMH guidelines for harvesters: the next `from` is the previous harvest's responseDate).
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlencode

from lxml import etree
from oaipmh import error as oai_errors
from oaipmh.client import Client

from metadata.ingest import Writer
from metadata.namespaces import OAI_NS
from metadata.pipeline import Document, Pipeline
from metadata.store.base import Store
from metadata.validate import InvalidRecord, parse

OAI = f"{{{OAI_NS}}}"
PREFERRED_PREFIXES = ("mods", "oai_dc")  # what this repository reads, the master format first
USER_AGENT = "oai-provider-harvester/0.1 (pyoai)"


class HarvestError(Exception):
    """The source cannot be harvested now (unreachable, not OAI-PMH, an error it reports); the message says why."""


@dataclass(frozen=True)
class Source:
    """One repository to harvest, with the format and set to ask for (None: choose / the whole repository)."""

    url: str
    prefix: Optional[str] = None
    set_spec: Optional[str] = None

    @property
    def key(self) -> str:
        """The name of this harvest in the instance's state file."""
        return " ".join(part for part in (self.url, self.prefix or "", self.set_spec or "") if part)


class SourceClient(Client):
    """pyoai's client, reading responses with this project's locked-down parser (no DTDs, no entities) and
    retrying 503 a bounded number of times: after Retry-After when the source gives one (up to max_wait
    seconds), else after a backoff that doubles from one second. Network errors are retried the same way."""

    def __init__(self, base_url: str, retries: int = 5, max_wait: float = 600, timeout: float = 120,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(base_url, force_http_get=True)
        self.retries, self.max_wait, self.timeout, self.sleep = retries, max_wait, timeout, sleep
        self.last_response = b""

    def parse(self, xml: bytes) -> etree._Element:
        try:
            return parse(xml, self._base_url)
        except InvalidRecord as exc:
            raise HarvestError(f"the source's response is not usable XML: {exc}") from None

    def makeRequest(self, **kw) -> bytes:
        request = urllib.request.Request(f"{self._base_url}?{urlencode(kw)}", headers={"User-Agent": USER_AGENT})
        backoff = 1.0
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    self.last_response = response.read()
                    return self.last_response
            except urllib.error.HTTPError as exc:
                if exc.code != 503:
                    raise HarvestError(f"{self._base_url} answered HTTP {exc.code} {exc.reason}") from None
                wait = _retry_after(exc.headers.get("Retry-After"), backoff)
                if wait > self.max_wait:
                    raise HarvestError(f"{self._base_url} asks to wait {wait:.0f} s (Retry-After), more than "
                                       f"{self.max_wait:.0f}; try again later") from None
                reason = f"HTTP 503, Retry-After {wait:.0f} s"
            except (urllib.error.URLError, OSError) as exc:
                wait, reason = backoff, f"{getattr(exc, 'reason', exc)}"
            if attempt == self.retries:
                raise HarvestError(f"{self._base_url}: gave up after {self.retries + 1} attempts ({reason})")
            self.sleep(wait)
            backoff *= 2
        raise AssertionError("unreachable")


def _retry_after(header: Optional[str], backoff: float) -> float:
    try:
        return max(0.0, float(header)) if header is not None else backoff
    except ValueError:  # an HTTP date: wait as long as the backoff says
        return backoff


class HarvestState:
    """Per source: the responseDate of its last complete harvest, and the resumption token of the last page
    committed when a harvest was cut short. One JSON file in the instance, replaced atomically."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise HarvestError(f"{self.path}: cannot read the harvest state ({exc}); move it away to start over")

    def get(self, source: Source) -> dict:
        return self.load().get(source.key, {})

    def put(self, source: Source, entry: dict) -> None:
        state = self.load()
        state[source.key] = entry
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.replace(temporary, self.path)


@dataclass
class Page:
    """What the progress callback is told after each committed page."""

    number: int
    records: int  # on this page
    complete_list_size: Optional[int]


class Harvest:
    """One harvest of one source into the store; `report` holds the account so far, also when interrupted."""

    def __init__(self, source: Source, pipeline: Pipeline, store: Store, state: HarvestState,
                 client: Optional[SourceClient] = None, progress: Callable[[Page], None] = lambda page: None):
        self.source, self.pipeline, self.state, self.progress = source, pipeline, state, progress
        self.client = client or SourceClient(source.url)
        self.writer = Writer(store)
        self.report = self.writer.report
        self.prefix: Optional[str] = None
        self.resumed = False

    def run(self, from_: Optional[str] = None, until: Optional[str] = None) -> None:
        """Harvest from `from_` (default: the last complete harvest's responseDate, so incremental), or
        resume a harvest that was cut short when no dates are given."""
        saved = self.state.get(self.source)
        self.prefix = self.source.prefix or saved.get("prefix") or self._choose_prefix()
        resume = saved.get("resume") if from_ is None and until is None else None
        if from_ is None and resume is None and saved.get("last_harvest"):
            from_ = self._granular(saved["last_harvest"])
        arguments = {"resumptionToken": resume["token"]} if resume else self._list_arguments(from_, until)
        started = resume["started"] if resume else None
        self.resumed = resume is not None
        page, list_size = 0, None
        while arguments:
            try:
                response = self.client.makeRequestErrorHandling(verb="ListRecords", **arguments)
            except oai_errors.NoRecordsMatchError:
                response = None
            except oai_errors.BadResumptionTokenError:
                if not resume:
                    raise HarvestError(f"{self.source.url} refused its own resumption token") from None
                resume, self.resumed = None, False  # expired: list again from where the last complete harvest began
                arguments = self._list_arguments(self._granular(saved["last_harvest"]) if saved.get("last_harvest")
                                                 else None, None)
                continue
            except oai_errors.ErrorBase as exc:
                raise HarvestError(f"{self.source.url}: {type(exc).__name__}: {exc}") from None
            if response is None:
                started = started or self._response_date_of(self.client.last_response)
                break
            started = started or response.findtext(f"{OAI}responseDate", "").strip()
            page += 1
            token = response.find(f"{OAI}ListRecords/{OAI}resumptionToken")
            prepared = self.pipeline.prepare_all([Document(self.client.last_response, f"{self.source.url} page {page}",
                                                           origin=self.source.url)])[0]
            self.writer.add(prepared)
            self.writer.flush()  # committed before the state names the next page
            next_token = (token.text or "").strip() if token is not None else ""
            if next_token:
                self.state.put(self.source, {**saved, "prefix": self.prefix,
                                             "resume": {"token": next_token, "started": started}})
            size = token.get("completeListSize", "") if token is not None else ""
            list_size = int(size) if size.isdigit() else list_size
            self.progress(Page(page, prepared.read, list_size))
            arguments = {"resumptionToken": next_token} if next_token else None
        entry = {key: value for key, value in saved.items() if key != "resume"}
        self.state.put(self.source, {**entry, "prefix": self.prefix, "last_harvest": started})

    def _list_arguments(self, from_: Optional[str], until: Optional[str]) -> dict:
        arguments = {"metadataPrefix": self.prefix, "set": self.source.set_spec, "from": from_, "until": until}
        return {key: value for key, value in arguments.items() if value}

    def _choose_prefix(self) -> str:
        """mods when the source offers it (the master format here), else oai_dc."""
        try:
            formats = self.client.makeRequestErrorHandling(verb="ListMetadataFormats")
        except oai_errors.ErrorBase as exc:
            raise HarvestError(f"{self.source.url}: ListMetadataFormats: {exc}") from None
        offered = set(formats.xpath("//oai:metadataPrefix/text()", namespaces={"oai": OAI_NS}))
        for prefix in PREFERRED_PREFIXES:
            if prefix in offered:
                return prefix
        raise HarvestError(f"{self.source.url} offers none of {', '.join(PREFERRED_PREFIXES)} "
                           f"(it offers {', '.join(sorted(offered)) or 'nothing'})")

    def _granular(self, datestamp: str) -> str:
        """A datestamp in the source's granularity (Identify), so a day-granular source accepts it as `from`."""
        identify = self.client.makeRequestErrorHandling(verb="Identify")
        granularity = identify.findtext(f"{OAI}Identify/{OAI}granularity", "").strip()
        return datestamp[:10] if granularity == "YYYY-MM-DD" else datestamp

    @staticmethod
    def _response_date_of(data: bytes) -> str:
        return parse(data, "response").findtext(f"{OAI}responseDate", "").strip()
