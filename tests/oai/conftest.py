"""A generated repository of a few hundred records, built through the real ingest path, and a live server.

The repository is made of MODS records templated with lxml (1–4 authors, genres, host journals, subjects,
years), a few Dublin Core-only records, updates and tombstones. Datestamps come from the stores' own clocks,
driven by a fake clock while the repository is built: they span several years, several records share a
second, some sit on UTC day boundaries, and the earliest datestamp in the store belongs to a tombstone.
`Repo.expected()` says, from what the store answered at write time, which records a selective harvest holds.
"""
from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from lxml import etree
from lxml.builder import ElementMaker
from werkzeug.serving import make_server

import metadata.store.sqlite as sqlite_store
from metadata.store import SetInfo
from metadata.store.postgres import PostgresDialect
from tests.conftest import OAIClient, _postgres_schema_url, make_app

MODS_NS = "http://www.loc.gov/mods/v3"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS, "dc": DC_NS, "oai_dc": OAI_DC_NS, "mods": MODS_NS}
REPOSITORY_IDENTIFIER = "test.example.org"
MODS_COUNT, DC_COUNT = 300, 8
# Datestamps on and around one UTC day, so day-granularity bounds are checked at their edges.
DAY_EDGES = ("2021-03-03T23:59:59Z", "2021-03-04T00:00:00Z", "2021-03-04T12:00:00Z", "2021-03-04T23:59:59Z",
             "2021-03-05T00:00:00Z")
CONFIGURED_SETS = [
    {"spec": "featured", "name": "Featured articles", "description": "Chosen by the editors.",
     "identifiers": [f"oai:{REPOSITORY_IDENTIFIER}:gen-{i:04d}" for i in (3, 30, 33, 130)]},
    {"spec": "collections:caribbean", "name": "The Caribbean", "description": "Everything on Cuba.",
     "rule": "subject:cuba"},
]

JOURNALS = ["Global Public Health", "Revista Panamericana de Salud Pública", "Social Science & Medicine",
            "Medical History", "Journal of Latin American Studies"]
GENRES = ["journal article", "book chapter", "conference paper", "review", "editorial"]
SUBJECTS = ["Cuba", "Venezuela", "Medical internationalism", "Public health", "Health policy", "Primary care",
            "Epidemiology", "Solidarity", "Social determinants of health", "Tuberculosis"]
GIVEN = ["Ana", "Carles", "María José", "Pedro", "Lucía", "Jean", "Oluwaseun", "Mei", "Søren", "Zoë"]
FAMILY = ["Birn", "Muntaner", "García Márquez", "Nguyen", "Okafor", "Dupont", "Kowalski", "Sánchez", "Ito", "Ørsted"]
WORDS = ["health", "solidarity", "borders", "cooperation", "medicine", "reform", "history", "politics",
         "training", "clinics", "vaccination", "justice"]


MODS_FORMATS = ("marcxml", "mods", "oai_dc", "oai_openaire")  # a MODS record without a DOI
DOI_FORMATS = ("marcxml", "mods", "oai_datacite", "oai_dc", "oai_openaire")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def mods_document(i: int, rng: random.Random, revision: int = 0) -> bytes:
    M = ElementMaker(namespace=MODS_NS, nsmap={None: MODS_NS})
    genre = GENRES[i % len(GENRES)]
    title = f"{rng.choice(WORDS).capitalize()} and {rng.choice(WORDS)} in case {i}"
    children = [M.titleInfo(M.title(title + (f" (revision {revision})" if revision else "")))]
    for _ in range(rng.randint(1, 4)):
        children.append(M.name(M.namePart(rng.choice(GIVEN), type="given"),
                               M.namePart(rng.choice(FAMILY), type="family"),
                               M.role(M.roleTerm("author", type="text", authority="marcrelator")), type="personal"))
    children += [M.typeOfResource("text"), M.genre(genre, authority="local")]
    if i % 11:  # a few records carry no date, so no year set
        children.append(M.originInfo(M.dateIssued(str(2005 + i % 16), encoding="w3cdtf", keyDate="yes")))
    children += [M.subject(M.topic(topic)) for topic in rng.sample(SUBJECTS, rng.randint(0, 3))]
    if genre in ("journal article", "review") and i % 7:
        children.append(M.relatedItem(M.titleInfo(M.title(JOURNALS[(i // 5) % len(JOURNALS)])), type="host"))
    if i % 3 == 0:  # a third have a DOI, so a harvest of oai_datacite lists a subset (formats may not apply)
        children.append(M.identifier(f"10.5555/gen.{i:04d}", type="doi"))
    children.append(M.recordInfo(M.recordIdentifier(f"gen-{i:04d}")))
    return etree.tostring(M.mods(*children, version="3.8"), encoding="UTF-8", xml_declaration=True)


def dc_document(local_id: str, title: str, subjects: tuple[str, ...] = (), date: str = "",
                type_: str = "") -> bytes:
    """A Dublin Core-only record (ingested as oai_dc, never as MODS)."""
    E = ElementMaker(nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS})
    children = [E(f"{{{DC_NS}}}title", title)]
    children += [E(f"{{{DC_NS}}}subject", s) for s in subjects]
    if date:
        children.append(E(f"{{{DC_NS}}}date", date))
    if type_:
        children.append(E(f"{{{DC_NS}}}type", type_))
    children.append(E(f"{{{DC_NS}}}identifier", local_id))
    return etree.tostring(E(f"{{{OAI_DC_NS}}}dc", *children), encoding="UTF-8", xml_declaration=True)


class Clock:
    """Stands in for both stores' clocks while the repository is built."""

    def __init__(self):
        self.now = "2018-01-01T00:00:00Z"

    @contextmanager
    def installed(self):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sqlite_store, "utc_now", lambda: self.now)
            patch.setattr(PostgresDialect, "now", lambda dialect, conn: self.now)
            yield self


@dataclass
class Entry:
    datestamp: str
    deleted: bool
    sets: tuple[str, ...]
    formats: tuple[str, ...]


@dataclass
class Repo:
    """The generated repository as the store acknowledged it: identifier → datestamp, deletion, sets, formats."""

    app: object
    url: str
    entries: dict[str, Entry] = field(default_factory=dict)
    set_names: dict[str, str] = field(default_factory=dict)

    @property
    def store(self):
        return self.app.extensions["store"]

    def put(self, records) -> None:
        for record, result in zip(records, self.store.put(records)):
            assert result.identifier == record.identifier
            self.entries[record.identifier] = Entry(result.datestamp, False, tuple(record.set_specs),
                                                    tuple(sorted(record.formats)))
            self.set_names.update(record.set_names)

    def delete(self, identifier: str) -> None:
        header = self.store.delete(identifier)
        entry = self.entries[identifier]
        self.entries[identifier] = Entry(header.datestamp, True, entry.sets, entry.formats)

    def expected(self, prefix: str = "oai_dc", from_: Optional[str] = None, until: Optional[str] = None,
                 set_spec: Optional[str] = None) -> list[str]:
        """Identifiers a harvest must return, in (datestamp, identifier) order; bounds are full datestamps."""
        rows = [(e.datestamp, i) for i, e in self.entries.items() if prefix in e.formats
                and (from_ is None or e.datestamp >= from_) and (until is None or e.datestamp <= until)
                and (set_spec is None or set_spec in e.sets)]
        return [i for _, i in sorted(rows)]

    def identifier(self, local: str) -> str:
        return f"oai:{REPOSITORY_IDENTIFIER}:{local}"

    def first(self, deleted: bool, formats: tuple[str, ...] = MODS_FORMATS) -> str:
        return min(i for i, e in self.entries.items() if e.deleted == deleted and e.formats == formats)


_PREPARED: dict = {}


def _documents() -> list[tuple[str, bytes]]:
    rng = random.Random(20260501)
    docs = [(f"gen-{i:04d}.xml", mods_document(i, rng)) for i in range(MODS_COUNT)]
    docs += [(f"dc-{i}.xml", dc_document(f"dc-{i:03d}", f"Dublin Core note {i}", ("Cuba",) if i % 2 else (),
                                          "2012-05-01" if i % 3 else "", "Text"))
             for i in range(DC_COUNT)]
    docs += [(f"gen-{i:04d}-r1.xml", mods_document(i, random.Random(i), revision=1)) for i in range(6, 66, 6)]
    return docs


def prepared(pipeline) -> list:
    """Records from the pipeline, prepared once per session (validation is the slow part; storing is not)."""
    if "records" not in _PREPARED:
        records = []
        for source, data in _documents():
            records += pipeline.prepare(data, source)
        _PREPARED["records"] = records
    return _PREPARED["records"]


def build(repo: Repo) -> Repo:
    """Store the records in batches of one to five per second across 2019–2024, delete some, update some."""
    rng = random.Random(7)
    records = prepared(repo.app.extensions["pipeline"])
    originals = [r for r in records if not r.source.endswith("-r1.xml")]
    revisions = [r for r in records if r.source.endswith("-r1.xml")]
    clock = Clock()
    with clock.installed():
        # The earliest datestamp in the store is a tombstone's.
        clock.now = "2018-05-01T08:00:00Z"
        repo.put(originals[:1])
        clock.now = "2018-06-02T09:30:00Z"
        repo.delete(originals[0].identifier)
        rest = originals[1:]
        start = datetime(2019, 1, 1, tzinfo=timezone.utc)
        span = int((datetime(2024, 12, 31, tzinfo=timezone.utc) - start).total_seconds())
        seconds = sorted({iso(start + timedelta(seconds=rng.randrange(span))) for _ in range(90)} | set(DAY_EDGES))
        position = 0
        for n, moment in enumerate(seconds):
            size = 1 + rng.randrange(5) if n < len(seconds) - 1 else len(rest) - position
            clock.now = moment
            repo.put(rest[position:position + size])
            position += size
            if position >= len(rest):
                break
        assert position == len(rest), "the schedule must place every record"
        clock.now = "2025-01-02T03:04:05Z"  # several updates in one second
        repo.put(revisions)
        clock.now = "2025-01-02T03:04:05Z"
        repo.put(revisions)  # unchanged on re-ingest: same datestamp
        clock.now = "2025-01-31T00:00:00Z"
        repo.delete(repo.identifier("dc-005"))  # a Dublin Core-only tombstone
        victims = rng.sample([i for i, e in repo.entries.items() if not e.deleted], 30)
        for k, identifier in enumerate(victims):
            clock.now = f"2025-02-{1 + k // 4:02d}T10:00:{k % 2:02d}Z"  # two deletions per second
            repo.delete(identifier)
    repo.store.put_sets(SetInfo(s["spec"], s["name"], s["description"]) for s in CONFIGURED_SETS)
    return repo


@pytest.fixture(scope="session")
def shared_repos(tmp_path_factory, schema_dir):
    """One generated repository per back end for the whole session, for tests that only read."""
    built: dict[str, Repo] = {}

    def get(backend: str, postgres_database: Optional[str]) -> Repo:
        if backend not in built:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('shared-sqlite') / 'oai.sqlite3'}"
            else:
                url, _ = _postgres_schema_url(postgres_database)
            app = make_app(tmp_path_factory.mktemp(f"shared-{backend}"), url, schema_dir, SETS=CONFIGURED_SETS)
            built[backend] = build(Repo(app, url))
        return built[backend]

    yield get
    for repo in built.values():
        repo.store.close()


def _backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite:") else "postgresql"


@pytest.fixture
def repo(request, database_url, shared_repos) -> Repo:
    """The generated repository on this test's back end, shared with other tests: read it, never change it."""
    backend = _backend(database_url)
    postgres = request.getfixturevalue("postgres_database") if backend == "postgresql" else None
    return shared_repos(backend, postgres)


@pytest.fixture
def apps(tmp_path, schema_dir):
    """apps(url, **config): an app on a given database (several app servers sharing one store)."""
    made = []

    def factory(url: str, **config):
        settings = {"SETS": CONFIGURED_SETS, **config}
        application = make_app(tmp_path / f"instance-{len(made)}", url, schema_dir, **settings)
        made.append(application)
        return application

    yield factory
    for application in made:
        application.extensions["store"].close()


@pytest.fixture
def make_oai_app(repo, apps):
    """make_oai_app(**config): another app on the shared generated repository's store."""
    return lambda **config: apps(repo.url, **config)


@pytest.fixture
def fresh_repo(database_url, apps) -> Repo:
    """The generated repository built for this test alone, on this test's database: tests may change it."""
    return build(Repo(apps(database_url), database_url))


@pytest.fixture
def oai(repo, response_schema) -> OAIClient:
    """A validating client of the generated repository's app."""
    return OAIClient(repo.app.test_client(), response_schema)


@pytest.fixture
def client_for(response_schema):
    """A validating client for any app."""
    return lambda application: OAIClient(application.test_client(), response_schema)


class _Late:
    """A WSGI app bound after the server has its port, so BASE_URL can name that port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def live_server(make_oai_app):
    """serve(**config) → base URL of the repository's store served by a real HTTP server on loopback."""
    servers = []

    def serve(**config):
        late = _Late()
        server = make_server("127.0.0.1", 0, late, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}/oai"
        late.app = make_oai_app(BASE_URL=url, **config)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"oai-{server.server_port}", daemon=True)
        thread.start()
        servers.append((server, thread))
        return url

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
