"""Load: concurrent harvesters (32 by default) against the provider under gunicorn on loopback, for a bounded time.

Each harvester is a thread with its own keep-alive connection (threads are spread over a few processes, so
the client's GIL is not what limits the rate). It harvests ListRecords completely, following resumption
tokens, then starts again until the time is up; a harvest under way then is finished, within a grace
period. Every harvest must hold the whole list and every request must succeed: the report gives requests/s,
p50/p99 latency per request, errors (must be 0) and complete harvests.

    .venv/bin/python -m bench.load                                  # 3,000 records, 32 harvesters, 60 s
    .venv/bin/python -m bench.load --seconds 10 --records 500       # a short run
    .venv/bin/python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/oai_load

Exits with status 1 when any request failed or any harvest was incomplete.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from bench import corpus
from bench.client import Client, HarvestError, percentile, token_of
from bench.machine import OtherLoad, wait_for_quiet
from bench.servers import gunicorn
from metadata.workers import available_cores

SECRET = "bench-load-secret-key-0123456789"
GRACE = 60.0  # seconds a harvest under way at the end may take to finish


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    complete: int = 0
    records: int = 0

    def add(self, other: "Tally") -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.complete += other.complete
        self.records += other.records


def _one_harvest(client: Client, prefix: str, expected: int, max_pages: int, hard_deadline: float,
                 tally: Tally) -> Client:
    query, items = f"verb=ListRecords&metadataPrefix={prefix}", 0
    for _ in range(max_pages):
        try:
            body, elapsed = client.get(query)
        except (HarvestError, OSError, http.client.HTTPException) as exc:
            tally.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            client.close()
            return Client(client.port, client.path)
        tally.latencies.append(elapsed)
        items += body.count(b"<record>")
        token, _ = token_of(body)
        if token is None:
            break
        if time.monotonic() > hard_deadline:
            tally.errors.append("a harvest did not finish within the grace period")
            return client
        query = f"verb=ListRecords&resumptionToken={quote(token, safe='')}"
    else:
        tally.errors.append(f"a harvest went past {max_pages} pages")
        return client
    tally.records += items
    if items == expected:
        tally.complete += 1
    else:
        tally.errors.append(f"a harvest held {items} records, not {expected}")
    return client


def _harvester(port: int, path: str, prefix: str, expected: int, max_pages: int, deadline: float,
               tally: Tally) -> None:
    client = Client(port, path)
    try:
        while time.monotonic() < deadline:
            client = _one_harvest(client, prefix, expected, max_pages, deadline + GRACE, tally)
    finally:
        client.close()


def _process(args: tuple) -> Tally:
    """One client process: `threads` harvesters until the deadline (time.monotonic is system-wide on Linux)."""
    port, path, prefix, expected, max_pages, deadline, threads = args
    tallies = [Tally() for _ in range(threads)]
    workers = [threading.Thread(target=_harvester, args=(port, path, prefix, expected, max_pages, deadline, t))
               for t in tallies]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total


def build_instance(workdir: Path, records: int, database_url: Optional[str], schema_source: Optional[str]) -> str:
    """An instance with the schemas and `records` corpus records (datestamps spread over years); its URL."""
    from metadata.store import open_store
    from schemas.catalog import install

    instance = workdir / "instance"
    schemas = instance / "schemas"
    if not schemas.exists():
        install(schema_source or os.environ.get("OAI_SCHEMA_SOURCE")
                or str(Path(__file__).resolve().parents[2] / "shared" / "schemas"), schemas)
    url = database_url or f"sqlite:///{instance / 'oai.sqlite3'}"
    store = open_store(url)
    try:
        store.create_schema()
        if store.record_count() == 0:
            corpus.build(store, records, schemas, workers=available_cores())
    finally:
        store.close()
    return url


def run(records: int = 3000, seconds: float = 60, harvesters: int = 32, processes: int = 4, workers: int = 2,
        threads: int = 8, prefix: str = "oai_dc", page_size: int = 100, database_url: Optional[str] = None,
        workdir: Optional[Path] = None, schema_source: Optional[str] = None, quiet_wait: float = 30) -> dict:
    temporary = None
    if workdir is None:
        temporary = tempfile.TemporaryDirectory(prefix="oai-load-")
        workdir = Path(temporary.name)
    try:
        url = build_instance(Path(workdir), records, database_url, schema_source)
        from metadata.store import ListQuery, open_store

        store = open_store(url)
        expected = store.count(ListQuery(prefix))  # live records and tombstones: the whole list
        store.close()
        config = Path(workdir) / "gunicorn.conf.py"
        config.write_text(f'worker_class = "gthread"\nthreads = {threads}\n')
        env = {"OAI_INSTANCE": str(Path(workdir) / "instance"), "OAI_DATABASE_URL": url, "OAI_SECRET_KEY": SECRET,
               "OAI_REPOSITORY_IDENTIFIER": corpus.REPOSITORY_IDENTIFIER, "OAI_PAGE_SIZE": str(page_size)}
        with gunicorn("provider", "provider:create_app()", env, workers, "/oai", str(config)) as server:
            other_before = wait_for_quiet(patience=quiet_wait)
            processes = max(1, min(processes, harvesters))
            shares = [harvesters // processes + (i < harvesters % processes) for i in range(processes)]
            max_pages = expected // page_size + 2
            meter = OtherLoad()
            started = time.perf_counter()
            deadline = time.monotonic() + seconds
            jobs = [(server.port, "/oai", prefix, expected, max_pages, deadline, n) for n in shares if n]
            with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
                tallies = pool.map(_process, jobs)
            elapsed = time.perf_counter() - started
            other_load = meter.stop()
        total = Tally()
        for tally in tallies:
            total.add(tally)
        return {
            "records": records, "list": expected, "harvesters": harvesters, "seconds": round(elapsed, 1),
            "server": f"gunicorn {workers} workers x {threads} threads (gthread)", "page_size": page_size,
            "store": "PostgreSQL" if url.startswith("postgres") else "SQLite",
            "requests": len(total.latencies), "requests_per_s": len(total.latencies) / elapsed,
            "records_per_s": total.records / elapsed,
            "p50_ms": percentile(total.latencies, 50) * 1000, "p99_ms": percentile(total.latencies, 99) * 1000,
            "errors": len(total.errors), "error_samples": sorted(set(total.errors))[:5],
            "complete_harvests": total.complete, "other_load": other_load, "other_load_before": other_before,
        }
    finally:
        if temporary is not None:
            temporary.cleanup()


def markdown(result: dict) -> str:
    rows = [("store, records (list incl. tombstones)", f"{result['store']}, {result['records']:,} ({result['list']:,})"),
            ("server", result["server"]), ("harvesters × seconds", f"{result['harvesters']} × {result['seconds']}"),
            ("requests (pages of {})".format(result["page_size"]), f"{result['requests']:,}"),
            ("requests/s", f"{result['requests_per_s']:.1f}"), ("records/s", f"{result['records_per_s']:,.0f}"),
            ("latency p50 / p99", f"{result['p50_ms']:.0f} ms / {result['p99_ms']:.0f} ms"),
            ("errors", str(result["errors"])), ("complete harvests", str(result["complete_harvests"])),
            ("other processes' load", f"{result['other_load']:.2f} cores")]
    return "\n".join(["| measure | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--harvesters", type=int, default=32)
    parser.add_argument("--processes", type=int, default=4, help="client processes the harvesters share")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--prefix", default="oai_dc")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the work folder")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the instance here (default: temporary)")
    parser.add_argument("--schema-source", default=None, help="default: ../shared/schemas")
    parser.add_argument("--quiet-wait", type=float, default=30, help="seconds to wait for other load to settle")
    options = parser.parse_args(argv)
    result = run(options.records, options.seconds, options.harvesters, options.processes, options.workers,
                 options.threads, options.prefix, options.page_size, options.database_url, options.workdir,
                 options.schema_source, options.quiet_wait)
    print(markdown(result))
    for sample in result["error_samples"]:
        print(f"error: {sample}", file=sys.stderr)
    return 1 if result["errors"] or not result["complete_harvests"] else 0


if __name__ == "__main__":
    sys.exit(main())
