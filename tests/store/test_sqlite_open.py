"""Servers starting together on a new SQLite database (the fleet's two gunicorn workers): each opens it, one
switches it to WAL and creates the schema, and none fails with "database is locked"."""
import multiprocessing

from metadata.store.sql import SQLStore
from metadata.store.sqlite import SQLiteDialect


def _open_and_count(path: str, start, results) -> None:
    start.wait()
    try:
        store = SQLStore(SQLiteDialect(path))
        store.create_schema()
        results.put(("ok", store.record_count()))
    except Exception as exc:  # reported to the test, which names it
        results.put(("failed", repr(exc)))


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_ in range(60):
        path = tmp_path / f"new-{round_}.sqlite3"
        start, results = context.Event(), context.Queue()
        workers = [context.Process(target=_open_and_count, args=(str(path), start, results)) for _ in range(4)]
        for worker in workers:
            worker.start()
        start.set()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert all(kind == "ok" for kind, _ in outcomes), outcomes


def test_a_new_database_has_pages_that_hold_a_record_and_an_old_one_keeps_its_own(tmp_path):
    import sqlite3

    from metadata.store.sqlite import PAGE_SIZE

    store = SQLStore(SQLiteDialect(str(tmp_path / "new.sqlite3")))
    store.create_schema()
    with store.dialect.connection() as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 32768
    store.close()

    old = sqlite3.connect(tmp_path / "old.sqlite3")
    old.execute("CREATE TABLE made_by_an_earlier_release (x)")  # the default page size, fixed from here on
    old.commit()
    old.close()
    store = SQLStore(SQLiteDialect(str(tmp_path / "old.sqlite3")))
    store.create_schema()
    with store.dialect.connection() as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert store.record_count() == 0
    store.close()
