"""Harvesting a live server while records change (§3.5 flow control under concurrent writes).

A harvester pages through ListRecords (five records a page) over real HTTP while another thread adds,
updates and deletes records through the store, a few changes after every page. Every record left alone
arrives exactly once; an incremental harvest from the first responseDate then delivers every change in its
final state. Once with the app in this process, once with two gunicorn servers sharing one store, with the
harvest's pages taken from each server in turn (tokens are stateless).
"""
from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass, field

from metadata.pipeline import Pipeline
from metadata.store import open_store
from metadata.validate import Validator
from tests.conftest import make_app
from tests.reliability.conftest import gunicorn, harvest, live_server, mods, next_second, prepare_instance

INITIAL = [f"c-{i:03d}" for i in range(60)]
ROUNDS = 6  # pages after which the writer changes something; a harvest here has at least 9


def identifier(local_id: str) -> str:
    return f"oai:test.example.org:{local_id}"


@dataclass
class Writer:
    """Adds, updates and deletes records through the store, a round of changes after each harvested page."""

    store: object
    pipeline: Pipeline
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    updated: set = field(default_factory=set)
    deleted: set = field(default_factory=set)
    added: set = field(default_factory=set)
    rounds_done: int = 0
    error: BaseException | None = None

    def __post_init__(self):
        self.pages: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def put(self, local_id: str, title: str) -> None:
        self.store.put(self.pipeline.prepare(mods(local_id, title), f"{local_id}.xml"))

    def _run(self) -> None:
        try:
            while self.rounds_done < ROUNDS:
                if self.pages.get() is None:
                    return
                untouched = sorted(set(INITIAL) - self.updated - self.deleted)
                to_update, to_delete = self.rng.sample(untouched, 2)
                self.put(to_update, f"{to_update} v1")
                self.updated.add(to_update)
                assert self.store.delete(identifier(to_delete)) is not None
                self.deleted.add(to_delete)
                new = f"n-{self.rounds_done:03d}"
                self.put(new, f"{new} v0")
                self.added.add(new)
                self.rounds_done += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def changed(self) -> set[str]:
        return self.updated | self.deleted | self.added


def harvest_while_writing(urls: list[str], store, pipeline: Pipeline, schema) -> None:
    store.put([r for local_id in INITIAL for r in pipeline.prepare(mods(local_id, f"{local_id} v0"), local_id)])
    next_second()  # the harvest starts in a later second than the initial load
    writer = Writer(store, pipeline)
    writer.thread.start()
    try:
        first = harvest(urls, schema, on_page=writer.pages.put)
    finally:
        writer.pages.put(None)
        writer.thread.join(60)
    assert writer.error is None, repr(writer.error)
    assert writer.rounds_done == ROUNDS, "the changes happened while the harvest ran"

    unchanged = set(INITIAL) - writer.changed()
    harvested = {item.identifier for item in first.items}
    assert len(first.items) == len(harvested), "no record arrives twice"
    for local_id in unchanged:
        assert first.count(identifier(local_id)) == 1, local_id
    assert first.latest()[identifier(INITIAL[0])].title in (f"{INITIAL[0]} v0", f"{INITIAL[0]} v1")
    assert not harvested & {identifier(a) for a in writer.added}, "the list ends where the harvest began"
    assert first.pages > ROUNDS

    next_second()  # changes of the last second are listed once that second is over
    incremental = harvest(urls, schema, **{"from": first.response_date})
    latest = incremental.latest()
    for local_id in writer.updated:
        assert latest[identifier(local_id)].title == f"{local_id} v1" and not latest[identifier(local_id)].deleted
    for local_id in writer.deleted:
        assert latest[identifier(local_id)].deleted, local_id
    for local_id in writer.added:
        assert latest[identifier(local_id)].title == f"{local_id} v0"
    assert {item.identifier for item in incremental.items} == {identifier(c) for c in writer.changed()}, \
        "the incremental harvest holds the changes and nothing else"


def test_3_5_harvest_of_a_live_server_during_writes(tmp_path, database_url, schema_dir, response_schema):
    app = make_app(tmp_path / "instance", database_url, schema_dir, PAGE_SIZE=5)
    with live_server(app) as url:
        harvest_while_writing([url], app.extensions["store"], app.extensions["pipeline"], response_schema)
    app.extensions["store"].close()


def test_3_5_harvest_across_two_servers_sharing_one_store_during_writes(tmp_path, database_url, schema_dir,
                                                                       response_schema):
    instance = prepare_instance(tmp_path / "instance", schema_dir)
    store = open_store(database_url)
    store.create_schema()
    pipeline = Pipeline(Validator(instance / "schemas"), "test.example.org")
    try:
        with gunicorn(instance, database_url, count=2, PAGE_SIZE=5) as urls:
            harvest_while_writing(urls, store, pipeline, response_schema)
    finally:
        store.close()
