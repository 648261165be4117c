"""§3.5 and §2.7.1 under concurrent writers (PostgreSQL, the store a fleet of app servers shares).

Two writer processes put small batches while a harvester pages through with keyset. A keyset harvest can
pass a position before a record with the same second's datestamp commits, so the harvest alone may miss
records; the contract is that it plus an incremental harvest from the harvest's start (store.now()) never do.
Writers hold their transaction open a little after reading the clock, as the rest of a batch would, and
one holds it for 1.5 s (a large batch) across the harvest's start: its records carry a datestamp seconds
older than the start yet commit after it, which is what a start read from the plain clock would miss.
"""
from __future__ import annotations

import multiprocessing
import random
import time
import uuid

import pytest

from metadata.record import Record
from metadata.store import ListQuery
from metadata.store.base import iter_all
from metadata.store.postgres import PostgresDialect, PostgresStore
from metadata.store.sql import SQLStore

WRITE_SECONDS = 3.0
LONG_BATCH = (0.8, 1.5)  # writer 0's first batch after 0.8 s stays open 1.5 s
HARVEST_AFTER = 1.9  # the harvest starts while that batch is open, in a later second than its datestamp
PAGE = 5


class SlowWriter(PostgresDialect):
    hold_at = None  # monotonic time after which one transaction is held open long

    def now(self, conn):
        now = super().now(conn)
        if self.hold_at is not None and time.monotonic() >= self.hold_at:
            self.hold_at = None
            time.sleep(LONG_BATCH[1])
        else:
            time.sleep(random.uniform(0, 0.02))
        return now


def write_for_a_while(url: str, seconds: float, long_batch: bool, results) -> None:
    clock = SlowWriter(url, max_connections=1)
    store = SQLStore(clock)
    started = time.monotonic()
    clock.hold_at = started + LONG_BATCH[0] if long_batch else None
    written, deadline = [], started + seconds
    while time.monotonic() < deadline:
        batch = [Record(f"oai:t:{uuid.uuid4().hex}", {"oai_dc": b"<dc/>"}) for _ in range(random.randint(1, 4))]
        written += [(r.identifier, r.datestamp) for r in store.put(batch)]
    store.close()
    results.put(written)


def positions(rows) -> list[tuple[str, str]]:
    return [(s.header.datestamp, s.header.identifier) for s in rows]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_3_5_harvest_plus_incremental_harvest_misses_no_concurrent_write(database_url):
    setup = PostgresStore(database_url)
    setup.create_schema()
    setup.close()  # no pool threads or sockets in the parent when it forks

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    writers = [context.Process(target=write_for_a_while, args=(database_url, WRITE_SECONDS, n == 0, results))
               for n in range(2)]
    for writer in writers:
        writer.start()
    store = PostgresStore(database_url)
    try:
        time.sleep(HARVEST_AFTER)  # a backlog for the harvest to walk through while writes go on
        start = store.now()
        query, harvested, after = ListQuery("oai_dc"), [], None
        while any(w.is_alive() for w in writers):
            rows = store.list_records(query, after, PAGE, with_metadata=False)
            harvested += positions(rows)
            after = harvested[-1] if harvested else None
            if len(rows) < PAGE:
                time.sleep(0.005)
        written = dict(pair for _ in writers for pair in results.get(timeout=30))
        for writer in writers:
            writer.join(timeout=30)
            assert writer.exitcode == 0
        while True:  # the harvest continues from its last position to the end
            rows = store.list_records(query, after, PAGE, with_metadata=False)
            harvested += positions(rows)
            if len(rows) < PAGE:
                break
            after = harvested[-1]
        incremental = positions(iter_all(store, ListQuery("oai_dc", from_=start), page=100))
    finally:
        store.close()

    assert harvested == sorted(set(harvested)), "every position is seen once, in keyset order"
    assert {i: d for d, i in harvested} == {i: d for i, d in written.items() if (d, i) in set(harvested)}
    missed = set(written) - {i for _, i in harvested}
    assert all(written[i] >= start for i in missed), "whatever the harvest missed is dated from its start on"
    assert set(written) <= {i for _, i in harvested} | {i for _, i in incremental}
    print(f"{len(written)} records written, {len(harvested)} harvested live, {len(missed)} missed and caught"
          f" by the incremental harvest from {start} ({len(incremental)} records)")
