"""The Store contract, stated once and checked on every back end (SQLite and PostgreSQL).

The store sets datestamps, keeps tombstones and lists records keyset-paginated on (datestamp, identifier);
the protocol layer relies on nothing else. Tests that need distinct datestamps drive each store's one clock.
"""
from __future__ import annotations

import re
import time

import psycopg
import pytest

from metadata.record import Record, header_xml
from metadata.store import ListQuery, SetInfo, StoreError, open_store
from metadata.store.base import CHANGES, PAGES, RESOURCES, SCHEMA_VERSION, iter_all, iter_entries, position
from tests.conftest import StoreClock

DATESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
BOTH = {"oai_dc": b"<dc/>", "mods": b"<mods/>"}
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class Clock(StoreClock):
    def set(self, minute: int, second: int = 0) -> str:
        self.now = f"2024-05-01T10:{minute:02d}:{second:02d}Z"
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock("2024-05-01T10:00:00Z").install(monkeypatch)


@pytest.fixture
def store(database_url):
    opened = open_store(database_url)
    opened.create_schema()
    yield opened
    opened.close()


def record(identifier: str, formats: dict = BOTH, sets: tuple = (), **kwargs) -> Record:
    return Record(identifier, dict(formats), set_specs=sets, set_names={s: s.title() for s in sets}, **kwargs)


def listing(store, query: ListQuery, page: int = 100, with_metadata: bool = True) -> list:
    return list(iter_all(store, query, page)) if with_metadata else store.list_records(query, None, page, False)


def positions(stored: list) -> list[tuple[str, str]]:
    return [(s.header.datestamp, s.header.identifier) for s in stored]


def test_put_creates_with_a_utc_second_datestamp(store):
    [result] = store.put([record("oai:t:1")])
    assert result.status == "created" and DATESTAMP.match(result.datestamp)
    assert store.header("oai:t:1").datestamp == result.datestamp
    stored = store.get("oai:t:1", "mods")
    assert stored.metadata == b"<mods/>" and stored.header_xml == header_xml(stored.header)
    assert store.formats_of("oai:t:1") == ["mods", "oai_dc"]
    assert store.get("oai:t:1", "marc") is None and store.get("oai:t:2", "mods") is None
    assert store.formats_of("oai:t:2") is None and store.header("oai:t:2") is None


def test_2_7_1_unchanged_content_keeps_its_datestamp(store, clock):
    clock.set(0)
    first = store.put([record("oai:t:1", sets=("a",))])[0]
    clock.set(5)
    again = store.put([record("oai:t:1", sets=("a",))])[0]
    assert (again.status, again.datestamp) == ("unchanged", first.datestamp)
    assert store.header("oai:t:1").datestamp == first.datestamp


@pytest.mark.parametrize("change", [
    {"formats": {"oai_dc": b"<dc>new</dc>", "mods": b"<mods/>"}},
    {"formats": {"oai_dc": b"<dc/>"}},
    {"sets": ("a", "b")},
    {"about": b"<provenance/>"},
], ids=["metadata", "formats", "sets", "about"])
def test_2_7_1_changed_content_gets_a_new_datestamp(store, clock, change):
    clock.set(0)
    first = store.put([record("oai:t:1", sets=("a",))])[0]
    clock.set(5)
    kwargs = {"formats": BOTH, "sets": ("a",), **change}
    updated = store.put([record("oai:t:1", **kwargs)])[0]
    assert updated.status == "updated" and updated.datestamp == clock.now > first.datestamp
    assert store.header("oai:t:1").set_specs == kwargs["sets"]
    assert store.formats_of("oai:t:1") == sorted(kwargs["formats"])


def test_2_7_1_a_change_never_moves_a_datestamp_back(store):
    """On the real clock: a later change gets the same second or a later one."""
    first = store.put([record("oai:t:1")])[0]
    updated = store.put([record("oai:t:1", formats={"oai_dc": b"<dc>2</dc>"})])[0]
    assert updated.status == "updated" and updated.datestamp >= first.datestamp


def test_2_5_1_delete_leaves_a_tombstone(store, clock):
    clock.set(0)
    store.put([record("oai:t:1", sets=("a",))])
    clock.set(5)
    header = store.delete("oai:t:1")
    assert header.deleted and header.datestamp == clock.now and header.set_specs == ("a",)
    assert store.header("oai:t:1") == header
    stored = store.get("oai:t:1", "oai_dc")
    assert stored.header.deleted and stored.metadata is None and stored.header_xml == header_xml(header)
    assert store.formats_of("oai:t:1") == ["mods", "oai_dc"]
    assert store.record_count() == 0
    [listed] = listing(store, ListQuery("mods", set_spec="a"))
    assert listed.header == header and listed.metadata is None
    clock.set(9)
    assert store.delete("oai:t:1") == header, "deleting a tombstone again changes nothing"


def test_2_5_1_delete_of_an_unknown_identifier_is_none(store):
    assert store.delete("oai:t:nothing") is None


def test_2_5_1_put_after_delete_revives(store, clock):
    clock.set(0)
    store.put([record("oai:t:1")])
    clock.set(1)
    store.delete("oai:t:1")
    clock.set(2)
    revived = store.put([record("oai:t:1", formats={"oai_dc": b"<dc/>"})])[0]
    assert revived.status == "updated" and revived.datestamp == clock.now
    assert not store.header("oai:t:1").deleted
    assert store.get("oai:t:1", "oai_dc").metadata == b"<dc/>"
    assert store.formats_of("oai:t:1") == ["oai_dc"]
    assert store.record_count() == 1


# Identifiers whose bytewise order differs from a natural-language collation's.
AWKWARD = ["oai:t:B", "oai:t:a", "oai:t:a-b", "oai:t:a_b", "oai:t:ab", "oai:t:A~", "oai:t:a b", "oai:t:Z9"]


def fifty_records(store, clock) -> list[tuple[str, str]]:
    """50 records in four batches; each batch shares one datestamp, so ties are broken by identifier."""
    identifiers = AWKWARD + [f"oai:t:{n:03d}" for n in range(49, 7, -1)]
    expected = []
    for minute, batch in enumerate([identifiers[:12], identifiers[12:13], identifiers[13:33], identifiers[33:]]):
        clock.set(minute)
        results = store.put([record(i) for i in batch])
        expected += [(r.datestamp, r.identifier) for r in results]
    assert len(expected) == 50
    return sorted(expected)


@pytest.mark.parametrize("page", [1, 7, 100])
def test_3_5_keyset_pages_give_every_record_once_in_order(store, clock, page):
    expected = fifty_records(store, clock)
    seen, after = [], None
    while True:
        rows = store.list_records(ListQuery("oai_dc"), after, page, with_metadata=page == 7)
        assert len(rows) <= page
        seen += positions(rows)
        if len(rows) < page:
            break
        after = seen[-1]
    assert seen == expected


def test_2_7_1_from_and_until_are_inclusive(store, clock):
    expected = fifty_records(store, clock)
    minute = lambda m: f"2024-05-01T10:{m:02d}:00Z"  # noqa: E731
    for from_, until in [(minute(1), minute(2)), (minute(1), None), (None, minute(0)), (minute(3), minute(3)),
                         (minute(4), None), ("2024-05-01T10:00:01Z", "2024-05-01T10:01:59Z")]:
        wanted = [p for p in expected if (from_ is None or p[0] >= from_) and (until is None or p[0] <= until)]
        query = ListQuery("oai_dc", from_=from_, until=until)
        assert positions(listing(store, query, page=3)) == wanted, (from_, until)


def test_2_7_2_set_lists_members_of_child_and_parent_sets(store, clock):
    clock.set(0)
    store.put([record("oai:t:1", sets=("subject", "subject:cuba")),
               record("oai:t:2", sets=("subject", "subject:chile")),
               record("oai:t:3", sets=("year", "year:2018")),
               record("oai:t:4")])
    ids = lambda spec: [s.header.identifier for s in listing(store, ListQuery("mods", set_spec=spec))]  # noqa: E731
    assert ids("subject") == ["oai:t:1", "oai:t:2"]
    assert ids("subject:cuba") == ["oai:t:1"]
    assert ids("year:2018") == ["oai:t:3"]
    assert ids("nothing") == [] and ids("subj") == []
    assert listing(store, ListQuery("mods", set_spec="subject:cuba"))[0].metadata == b"<mods/>"


def test_2_7_1_records_are_listed_only_in_formats_they_have(store):
    store.put([record("oai:t:dc", formats={"oai_dc": b"<dc/>"}), record("oai:t:both")])
    assert [s.header.identifier for s in listing(store, ListQuery("mods"))] == ["oai:t:both"]
    assert [s.header.identifier for s in listing(store, ListQuery("oai_dc"))] == ["oai:t:both", "oai:t:dc"]
    assert listing(store, ListQuery("marc")) == []


def test_header_only_listing_carries_no_metadata(store):
    store.put([record("oai:t:1", about=b"<about/>")])
    [full] = listing(store, ListQuery("oai_dc"))
    [bare] = listing(store, ListQuery("oai_dc"), with_metadata=False)
    assert (full.metadata, full.about) == (b"<dc/>", b"<about/>")
    assert bare.header == full.header and bare.metadata is None
    assert bare.header_xml == full.header_xml == header_xml(full.header)


QUERIES = {
    "prefix": ListQuery("oai_dc"),
    "other prefix": ListQuery("mods"),
    "unknown prefix": ListQuery("marc"),
    "from": ListQuery("oai_dc", from_="2024-05-01T10:01:00Z"),
    "until": ListQuery("oai_dc", until="2024-05-01T10:02:00Z"),
    "from and until": ListQuery("oai_dc", from_="2024-05-01T10:01:00Z", until="2024-05-01T10:02:00Z"),
    "set": ListQuery("oai_dc", set_spec="odd"),
    "set and from": ListQuery("mods", from_="2024-05-01T10:02:00Z", set_spec="odd"),
    "set and until": ListQuery("oai_dc", until="2024-05-01T10:01:00Z", set_spec="even"),
    "unknown set": ListQuery("oai_dc", set_spec="none"),
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_3_5_count_is_the_listed_length(store, clock, query):
    for minute in range(4):
        clock.set(minute)
        store.put([record(f"oai:t:{minute}-{n}", formats=BOTH if n % 3 else {"oai_dc": b"<dc/>"},
                          sets=("odd",) if n % 2 else ("even",)) for n in range(6)])
    clock.set(5)
    store.delete("oai:t:1-1")
    assert store.count(query) == len(listing(store, query, page=4))


def test_4_2_earliest_datestamp_includes_tombstones(store, clock):
    assert store.earliest_datestamp() is None and store.sample_identifier() is None
    clock.set(0)
    store.put([record("oai:t:old")])
    clock.set(1)
    store.put([record("oai:t:new")])
    clock.set(2)
    store.delete("oai:t:new")
    assert store.earliest_datestamp() == "2024-05-01T10:00:00Z"
    assert store.sample_identifier() == "oai:t:old"
    clock.set(3)
    store.delete("oai:t:old")
    assert store.earliest_datestamp() == "2024-05-01T10:02:00Z", "the tombstone of oai:t:new"


def test_4_6_sets_are_paged_by_spec(store):
    store.put_sets([SetInfo("journal", "Journals", "<description/>"), SetInfo("a", "A")])
    store.put([record("oai:t:1", sets=("subject", "subject:cuba", "journal"))])
    assert store.set_count() == 4
    assert [s.spec for s in store.sets()] == ["a", "journal", "subject", "subject:cuba"]
    assert store.sets(limit=2) == [SetInfo("a", "A"), SetInfo("journal", "Journals", "<description/>")]
    assert [s.spec for s in store.sets(after="journal", limit=1)] == ["subject"]
    assert [s.spec for s in store.sets(after="subject")] == ["subject:cuba"]
    assert store.sets(after="subject:cuba") == []
    store.put_sets([SetInfo("a", "Renamed", "d")])
    assert store.sets(limit=1) == [SetInfo("a", "Renamed", "d")]


def test_a_batch_is_one_transaction(store, clock):
    clock.set(0)
    store.put([record("oai:t:1")])
    clock.set(1)
    bad = Record("oai:t:3", dict(BOTH), set_specs=("bad",), set_names={"bad": None})  # setName is NOT NULL
    with pytest.raises(Exception):
        store.put([record("oai:t:2", sets=("good",)), bad, record("oai:t:1", formats={"oai_dc": b"<new/>"})])
    assert store.header("oai:t:2") is None and store.header("oai:t:3") is None
    assert store.get("oai:t:1", "oai_dc").metadata == b"<dc/>"
    assert store.header("oai:t:1").datestamp == "2024-05-01T10:00:00Z"
    assert store.set_count() == 0 and store.count(ListQuery("oai_dc")) == 1
    results = store.put([record("oai:t:2", sets=("good",)), record("oai:t:4")])
    assert {r.datestamp for r in results} == {clock.now}, "a batch shares one datestamp"
    assert store.check_integrity() == []


def test_summaries_search_titles_and_creators_of_live_records(store):
    store.put([record("oai:t:1", summary={"title": "Cuban Sugar", "creators": ["Ortiz, Fernando"]}),
               record("oai:t:2", summary={"title": "Chilean copper", "creators": ["Neruda, Pablo"]}),
               record("oai:t:3", summary={"title": "Sugar 100%", "creators": []})])
    store.delete("oai:t:2")
    found = lambda text: sorted(h.identifier for h, _ in store.summaries(text))  # noqa: E731
    assert found("sugar") == ["oai:t:1", "oai:t:3"]
    assert found("ORTIZ") == ["oai:t:1"]
    assert found("neruda") == [] and found("100%") == ["oai:t:3"] and found("0_") == []
    assert dict(store.summaries("cuban")[0][1]) == {"title": "Cuban Sugar", "creators": ["Ortiz, Fernando"]}
    assert len(store.summaries("", limit=1)) == 1


def test_check_integrity_is_empty_on_a_sound_store(store, clock):
    fifty_records(store, clock)
    store.delete("oai:t:a")
    store.put([record("oai:t:B", formats={"oai_dc": b"<dc>changed</dc>"})])
    assert store.check_integrity() == []


def test_create_schema_is_idempotent_and_records_its_version(database_url):
    store = open_store(database_url)
    store.create_schema()
    store.put([record("oai:t:1")])
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION
    assert store.header("oai:t:1") is not None
    store.close()


# PostgreSQL only: what SQLite gets from its file format, PostgreSQL gets from declarations.

@postgres_only
def test_postgres_refuses_a_newer_schema(store, database_url):
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer"):
        store.create_schema()


@postgres_only
def test_postgres_keys_sort_bytewise(store, database_url):
    with psycopg.connect(database_url) as db:
        collations = db.execute(
            "SELECT c.relname || '.' || a.attname, coalesce(l.collname, '?') FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation l ON l.oid = a.attcollation"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            " AND a.attname IN ('identifier', 'datestamp', 'prefix', 'set_spec', 'spec')").fetchall()
    assert len(collations) == 9 and {name for _, name in collations} == {"C"}, collations


@postgres_only
def test_postgres_integrity_check_finds_a_stray_datestamp(store, database_url):
    store.put([record("oai:t:1", sets=("a",))])
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("UPDATE memberships SET datestamp = '1999-01-01T00:00:00Z'")
    assert store.check_integrity() == ["membership datestamp differs from its record: a oai:t:1"]


@postgres_only
def test_postgres_deep_keyset_page_walks_an_index(store, database_url, clock):
    """A deep page reads the dissemination key's range from the position on: no Seq Scan, no Sort. A count
    reads that index alone (a count over most of a table may fairly scan it: it is once per harvest)."""
    started = time.monotonic()
    for batch in range(4):
        clock.set(batch)
        store.put([record(f"oai:t:{batch}-{n:05d}", formats=BOTH if n % 2 else {"oai_dc": b"<dc/>"},
                          sets=("year", f"year:{2000 + n % 20}")) for n in range(5000)])
    loaded = time.monotonic() - started
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")  # what autovacuum would have done: statistics and the visibility map
        after = ("2024-05-01T10:03:00Z", "oai:t:3-04000")
        plans = {}
        for name, (sql, params) in {
            "page": store._listing(ListQuery("oai_dc"), after, 100, True),
            "set page": store._listing(ListQuery("mods", set_spec="year:2003"), after, 100, True),
            "count": store._counting(ListQuery("oai_dc", from_="2024-05-01T10:03:00Z")),
        }.items():
            plans[name] = "\n".join(r[0] for r in db.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params))
            print(f"-- {name}\n{plans[name]}")
    print(f"loaded 20,000 records in {loaded:.1f} s")
    for name, plan in plans.items():
        assert "Seq Scan" not in plan and "Sort" not in plan, plan
    # either index that leads with (prefix, datestamp, identifier) walks the range in order
    assert re.search(r"Index Scan using disseminations_(by_position|listed)", plans["page"]), plans["page"]
    assert "memberships_by_datestamp" in plans["set page"]
    assert re.search(r"Index Only Scan using disseminations_(by_position|listed)", plans["count"]), plans["count"]
    assert "records" not in plans["count"]
    assert store.count(ListQuery("oai_dc")) == 20000
    assert len(store.list_records(ListQuery("oai_dc"), after, 100, True)) == 100


def test_a_repeated_identifier_in_one_batch_is_stored_once_as_its_last(store):
    """Decided once for both databases: one result, in the first occurrence's place; the last one's content."""
    results = store.put([record("oai:t:1", formats={"oai_dc": b"<dc>first</dc>"}), record("oai:t:2"),
                         record("oai:t:1", formats={"oai_dc": b"<dc>last</dc>"})])
    assert [(r.identifier, r.status) for r in results] == [("oai:t:1", "created"), ("oai:t:2", "created")]
    assert store.get("oai:t:1", "oai_dc").metadata == b"<dc>last</dc>"
    assert store.count(ListQuery("oai_dc")) == 2 and store.check_integrity() == []


@pytest.mark.parametrize("text", ["maria", "MARÍA", "María", "garcia", "GARCÍA-LÓPEZ", "salud"])
def test_search_ignores_case_and_accents_on_every_database(store, text):
    store.put([record("oai:t:1", summary={"title": "La salud de las naciones", "creators": ["García-López, María"]}),
               record("oai:t:2", summary={"title": "Other", "creators": ["Smith, John"]})])
    assert [h.identifier for h, _ in store.summaries(text)] == ["oai:t:1"]


def test_a_record_keeps_its_first_datestamp_and_a_hash_per_format(store, clock):
    clock.set(0)
    store.put([record("oai:t:1")])
    hashes = store.format_hashes("oai:t:1")
    import hashlib
    download = b'<?xml version="1.0" encoding="UTF-8"?>\n'  # the hash is of what the download sends
    assert hashes == {"oai_dc": hashlib.sha256(download + b"<dc/>").hexdigest(),
                      "mods": hashlib.sha256(download + b"<mods/>").hexdigest()}
    clock.set(1)
    store.put([record("oai:t:1", formats={"oai_dc": b"<dc>2</dc>", "mods": b"<mods/>"})])
    clock.set(2)
    store.delete("oai:t:1")
    assert store.created("oai:t:1") == "2024-05-01T10:00:00Z"
    assert store.header("oai:t:1").datestamp == "2024-05-01T10:02:00Z"
    assert set(store.format_hashes("oai:t:1").values()) == {""}, "a tombstone has no content"


def test_a_page_is_the_stored_record_bytes(store, clock):
    clock.set(0)
    store.put([record("oai:t:1", about=b"<provenance/>"), record("oai:t:2")])
    page = store.page(ListQuery("oai_dc"), None, 1, with_metadata=True)
    head = header_xml(store.header("oai:t:1"))
    assert page.rows == [b"<record>" + head + b"<metadata><dc/></metadata><about><provenance/></about>"]
    assert page.last == ("2024-05-01T10:00:00Z", "oai:t:1") and page.more
    headers = store.page(ListQuery("oai_dc"), page.last, 5, with_metadata=False)
    assert headers.rows == [header_xml(store.header("oai:t:2"))] and not headers.more


# --- entries: what ResourceSync lists and sitemaps read (provider/views/resourcesync.py, sitemaps.py) ------

def _history(store, clock) -> None:
    """t:1 created at :00 and updated at :01, t:2 created at :00 (oai_dc only) and deleted at :02, t:3 at :03."""
    clock.set(0)
    store.put([record("oai:t:1"), record("oai:t:2", formats={"oai_dc": b"<dc>2</dc>"})])
    clock.set(1)
    store.put([record("oai:t:1", formats={"oai_dc": b"<dc>1</dc>", "mods": b"<mods/>"})])
    clock.set(2)
    store.delete("oai:t:2")
    clock.set(3)
    store.put([record("oai:t:3")])


def download(metadata: bytes) -> tuple[str, int]:
    """The sha256 and length of what a per-record download of metadata sends."""
    import hashlib

    sent = b'<?xml version="1.0" encoding="UTF-8"?>\n' + metadata
    return hashlib.sha256(sent).hexdigest(), len(sent)


def test_entries_list_live_resources_by_format_then_position(store, clock):
    _history(store, clock)
    entries = store.entries(RESOURCES, None, None, 100)
    assert [(e.prefix, e.identifier, e.datestamp) for e in entries] == [
        ("mods", "oai:t:1", "2024-05-01T10:01:00Z"), ("mods", "oai:t:3", "2024-05-01T10:03:00Z"),
        ("oai_dc", "oai:t:1", "2024-05-01T10:01:00Z"), ("oai_dc", "oai:t:3", "2024-05-01T10:03:00Z")]
    assert [(e.hash, e.length) for e in entries] == [download(b"<mods/>"), download(b"<mods/>"),
                                                     download(b"<dc>1</dc>"), download(b"<dc/>")]


def test_entries_list_changes_in_time_order_with_first_datestamps_and_tombstones(store, clock):
    _history(store, clock)
    entries = store.entries(CHANGES, None, None, 100)
    assert [(e.datestamp[-6:-1], e.identifier, e.prefix, e.created[-6:-1], (e.hash, e.length)) for e in entries] == [
        ("01:00", "oai:t:1", "mods", "00:00", download(b"<mods/>")),
        ("01:00", "oai:t:1", "oai_dc", "00:00", download(b"<dc>1</dc>")),
        ("02:00", "oai:t:2", "oai_dc", "00:00", (None, None)),
        ("03:00", "oai:t:3", "mods", "03:00", download(b"<mods/>")),
        ("03:00", "oai:t:3", "oai_dc", "03:00", download(b"<dc/>"))]
    assert [e.identifier for e in store.entries(PAGES, None, None, 100)] == ["oai:t:1", "oai:t:3"]


@pytest.mark.parametrize("kind", [RESOURCES, CHANGES, PAGES])
def test_entries_page_by_keyset_between_positions_and_within_datestamps(store, clock, kind):
    _history(store, clock)
    every = store.entries(kind, None, None, 100)
    assert list(iter_entries(store, kind, None, None, page=1)) == every
    first, last = position(kind, every[0]), position(kind, every[-2])
    assert store.entries(kind, first, last, 100) == every[1:-1]
    assert store.entries(kind, first, None, 1) == every[1:2]
    inside = [e for e in every if "2024-05-01T10:01:00Z" <= e.datestamp <= "2024-05-01T10:02:00Z"]
    assert store.entries(kind, None, None, 100, "2024-05-01T10:01:00Z", "2024-05-01T10:02:00Z") == inside


@pytest.mark.parametrize("kind", [RESOURCES, CHANGES, PAGES])
def test_splits_cut_a_listing_after_every_nth_entry_but_the_last(store, clock, kind):
    clock.set(0)
    store.put([record(f"oai:t:{i}") for i in range(5)])
    every = store.entries(kind, None, None, 100)
    for n in (1, 2, 3, len(every), len(every) + 1):
        cuts = store.splits(kind, n)
        assert cuts == [position(kind, e) for e in every[n - 1:len(every) - 1:n]], n
        bounds = [None, *cuts, None]
        parts = [store.entries(kind, bounds[i], bounds[i + 1], 100) for i in range(len(bounds) - 1)]
        assert [e for part in parts for e in part] == every and all(0 < len(part) <= n for part in parts)
    assert store.splits(kind, 2, until="2023-01-01T00:00:00Z") == []


def test_a_resource_list_reads_its_narrow_index_not_the_records(store, database_url):
    """A resource list says of each download its position, hash and length: all in disseminations_listed, so
    listing a million of them never reads the key's leaves, which hold whole <record>s (schema version 3)."""
    from metadata.store.base import RESOURCES
    from metadata.store.sql import ENTRIES

    store.put([record(f"oai:t:{n}") for n in range(50)])
    where, keys, params = store._entries_where(RESOURCES, ("oai_dc", "2000-01-01T00:00:00Z", "oai:t:1"), None,
                                               None, None)
    statement = f"SELECT {ENTRIES[RESOURCES][2]}{where} ORDER BY {keys} LIMIT 10"
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            plan = " ".join(str(row) for row in db.execute("EXPLAIN QUERY PLAN " + statement, params))
        assert "COVERING INDEX disseminations_listed" in plan, plan
    else:
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE disseminations")
            db.execute("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in db.execute("EXPLAIN " + statement.replace("?", "%s"), params))
        assert "Index Only Scan using disseminations_listed" in plan, plan
    assert len(store.entries(RESOURCES, None, None, 1000)) == 50 * len(record("oai:t:x").formats)


def test_a_record_by_identifier_is_found_through_its_index_not_a_scan(store, database_url):
    """GetRecord, downloads and landing pages look a record up by (identifier, prefix): a unique index, so no
    planner can prefer walking a whole format's key range (as SQLite did with the (prefix, ...) primary key)."""
    store.put([record(f"oai:t:{n}") for n in range(50)])
    statement = ("SELECT d.record FROM disseminations d JOIN records r ON r.identifier = d.identifier"
                 " WHERE d.identifier = ? AND d.prefix = ?")
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            plan = " ".join(str(row) for row in db.execute("EXPLAIN QUERY PLAN " + statement, ("oai:t:7", "oai_dc")))
    else:
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute("ANALYZE")
            db.execute("SET enable_seqscan = off")  # 50 rows fit a page: which index, when one is used
            plan = " ".join(r[0] for r in db.execute("EXPLAIN " + statement.replace("?", "%s"), ("oai:t:7", "oai_dc")))
    assert "disseminations_by_identifier" in plan, plan
    assert store.get("oai:t:7", "oai_dc").metadata == b"<dc/>"
