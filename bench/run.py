"""The benchmark runner: build each corpus, serve it (the provider, the bare keyset-and-copy ceiling and
pyoai's server under gunicorn on loopback), harvest, and print medians as Markdown (also written to
bench/results/latest.md).

    .venv/bin/python -m bench.run                        # 10,000 and 100,000 records on SQLite, 3 runs each
    .venv/bin/python -m bench.run --million              # and 1,000,000 (pyoai's server: first/deep page only)
    .venv/bin/python -m bench.run --store both           # SQLite and PostgreSQL
    .venv/bin/python -m bench.run --sizes 500 --runs 1   # smoke run

Corpora are kept in --workdir (default $BENCH_WORKDIR, else /tmp/oai-bench) and reused while the generator
and the metadata code are unchanged; nothing generated goes into the repository.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from bench import corpus, footprint, machine, measure, report
from bench.machine import OtherLoad, tree_seconds, wait_for_quiet
from bench.servers import ROOT, cold_start, free_port, gunicorn, gunicorn_command, serve_command
from metadata.workers import available_cores

SECRET = "bench-secret-key-0123456789"
VERBS = ("ListRecords", "ListIdentifiers")
PYOAI_FULL_LIMIT = 200_000  # above it pyoai's OFFSET paging makes a full harvest take hours
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"
APPS = {"ceiling": "bench.ceiling", "pyoai": "bench.pyoai_server"}  # peers of the provider, over its SQLite file


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def schema_source() -> str:
    shared = ROOT.parent / "shared" / "schemas"
    return os.environ.get("OAI_SCHEMA_SOURCE") or (str(shared) if shared.is_dir() else "")


def fingerprint() -> str:
    """Changes when the generator or anything that shapes stored rows changes: a cached corpus is then rebuilt."""
    digest = hashlib.sha256()
    shaping = [ROOT / "bench" / "corpus.py", *(ROOT / "metadata" / name for name in ("record.py", "ingest.py", "sets.py")),
               *(ROOT / "metadata" / "crosswalks").glob("*.py"), *(ROOT / "metadata" / "store").glob("*.py")]
    for path in sorted(shaping):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Instance:
    store: str
    n: int
    folder: Path
    database_url: str
    built: dict = field(default_factory=dict)

    def env(self) -> dict:
        return {"OAI_INSTANCE": str(self.folder), "OAI_DATABASE_URL": self.database_url, "OAI_SECRET_KEY": SECRET,
                "OAI_REPOSITORY_IDENTIFIER": corpus.REPOSITORY_IDENTIFIER, "OAI_SCHEMA_SOURCE": schema_source(),
                "OAI_BASE_URL": "http://127.0.0.1/oai", "OAI_PAGE_SIZE": str(measure.PAGE_SIZE),
                "OAI_IDENTIFIERS_PAGE_SIZE": "500", "OAI_DATACITE_SYMBOL": corpus.DATACITE_SYMBOL}

    def query(self, sql: str, params: tuple = ()) -> list:
        if self.store == "sqlite":
            with sqlite3.connect(self.database_url.removeprefix("sqlite:///")) as db:
                return db.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.database_url) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchall()


def _pg_admin(pg_url: str):
    import psycopg

    return psycopg.connect(f"{pg_url}/postgres", autocommit=True)


def fresh_database(store: str, name: str, workdir: Path, pg_url: str) -> str:
    """URL of an empty database: a new SQLite file, or a PostgreSQL database dropped and created again."""
    if store == "sqlite":
        path = workdir / f"{name}.sqlite3"
        for leftover in workdir.glob(f"{name}.sqlite3*"):
            leftover.unlink()
        return f"sqlite:///{path}"
    with _pg_admin(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_url}/{name}"


def install_schemas(workdir: Path) -> Path:
    from schemas import catalog

    folder = workdir / "schemas"
    if catalog.missing(folder):
        catalog.install(schema_source(), folder)
    return folder


def prepare_instance(store: str, n: int, args, schemas: Path) -> Instance:
    """The instance for (store, n): reused when its marker matches, else built through the ingest path."""
    folder = args.workdir / f"{store}-{n}"
    marker = folder / "corpus.json"
    name = f"oai_bench_{n}"
    url = f"sqlite:///{folder / 'oai.sqlite3'}" if store == "sqlite" else f"{args.pg_url}/{name}"
    instance = Instance(store, n, folder, url)
    wanted = {"n": n, "seed": corpus.SEED, "fingerprint": fingerprint(), "url": url}
    if not args.rebuild and marker.exists():
        saved = json.loads(marker.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            try:
                if instance.query("SELECT count(*) FROM disseminations WHERE prefix = 'oai_dc'")[0][0] == n:
                    instance.built = dict(saved["built"], cached=True)
                    log(f"{store} {n:,}: reusing the corpus in {folder}")
                    return instance
            except Exception:  # a database gone or half-built: build again
                pass
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(schemas, folder / "schemas")
    url = fresh_database(store, "oai" if store == "sqlite" else name, folder, args.pg_url)
    from metadata.store import open_store

    db = open_store(url)
    db.create_schema()
    log(f"{store} {n:,}: generating and ingesting ({args.workers} preparing processes)")
    wait_for_quiet()
    meter, tree_cpu, main_cpu = OtherLoad(), tree_seconds(os.getpid()), time.process_time()
    step, shown = max(1, n // 10), [0]

    def progress(done: int) -> None:
        if done >= shown[0] + step:
            shown[0] = done // step * step
            log(f"  {done:,} records stored")

    start = time.perf_counter()
    built = corpus.build(db, n, schemas, workers=args.workers, progress=progress)
    seconds = time.perf_counter() - start
    tree_cpu, main_cpu = tree_seconds(os.getpid()) - tree_cpu, time.process_time() - main_cpu
    db.close()
    if store == "postgresql":  # what autovacuum does after a bulk load, done now so runs do not vary
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    instance.built = {"seconds": seconds, "rate": n / seconds, "deleted": built.deleted, "writes": built.writes,
                      "workers": args.workers, "cached": False, "other_load": meter.stop(),
                      # on idle cores the build takes the longer of: all its CPU time shared by the
                      # cores, and the writing process's own CPU time (it cannot be split)
                      "idle_estimate": max(tree_cpu / len(os.sched_getaffinity(0)), main_cpu),
                      "cpu_seconds": tree_cpu, "writer_cpu_seconds": main_cpu}
    marker.write_text(json.dumps(dict(wanted, built=instance.built)))
    log(f"{store} {n:,}: built in {seconds:.1f} s ({n / seconds:,.0f} records/s)")
    return instance


def bench_instance(instance: Instance, args, results: report.Results) -> None:
    n, store = instance.n, instance.store
    provider_env = instance.env()
    # The ceiling runs next to the provider with as many workers, so the two figures of a ratio are taken
    # minutes apart, not a whole run; like pyoai's server it reads SQLite only.
    servers = ([("provider", 1), ("ceiling", 1), ("provider", 2), ("ceiling", 2), ("pyoai", 1), ("pyoai", 2)]
               if store == "sqlite" else [("provider", 1), ("provider", 2)])
    # Read the harvested rows once, whole, before the first figure: after a build larger than the page cache
    # the first server measured would read them from disk and the next find them cached (at 1,000,000
    # records that made the provider's one-worker harvest 0.59x the ceiling's, and 0.8x once warm).
    log(f"{store} {n:,}: reading the oai_dc rows once (page cache)")
    instance.query("SELECT count(substr(record, -1)) FROM disseminations WHERE prefix = 'oai_dc'" if store == "sqlite"
                   else "SELECT count(md5(record)) FROM disseminations WHERE prefix = 'oai_dc'")
    deep_cursor = max(measure.PAGE_SIZE, int(n * 0.99) // measure.PAGE_SIZE * measure.PAGE_SIZE)
    deep_after = tuple(instance.query("SELECT datestamp, identifier FROM disseminations WHERE prefix = 'oai_dc'"
                                      " ORDER BY datestamp, identifier LIMIT 1 OFFSET ?", (deep_cursor - 1,))[0])
    for name, workers in servers:
        if name == "provider":
            app, env, path = "provider:create_app()", provider_env, "/oai"
        else:
            app, path = f"{APPS[name]}:create_app()", "/"
            env = {"BENCH_SQLITE": instance.database_url.removeprefix("sqlite:///")}
        with gunicorn(f"{name} ({workers} workers)", app, env, workers, path) as server:
            for verb in VERBS:
                if name == "pyoai" and n > PYOAI_FULL_LIMIT:
                    continue
                log(f"{store} {n:,}: {name}, {workers} worker(s), {verb} x{args.runs}")
                figures = measure.harvest_series(server, verb, n, args.runs, harvesters=workers)
                results.harvests.append(report.HarvestRow(store, n, name, workers, verb, figures))
            if workers != 1:
                continue
            log(f"{store} {n:,}: {name}, GetRecord and deep page")
            results.get_records.append(report.LatencyRow(
                store, n, name, *measure.get_record_series(server, n, args.getrecord, args.runs)))
            if name == "provider":
                tokens = measure.provider_tokens(SECRET, n, deep_after, deep_cursor)
            elif name == "ceiling":
                tokens = measure.ceiling_tokens(n, deep_after)
            else:
                tokens = measure.pyoai_tokens(deep_cursor)
            results.deep_pages.append(report.DeepRow(store, n, name, deep_cursor,
                                                     measure.deep_page_series(server, tokens, args.deep_samples,
                                                                              args.runs)))
    log(f"{store} {n:,}: cold starts x{args.runs}")
    for label, command in (("oai-provider serve", lambda port: serve_command(instance.folder, port)),
                           ("gunicorn 'provider:create_app()', 1 worker",
                            lambda port: gunicorn_command("provider:create_app()", port))):
        times, failure = [], None
        wait_for_quiet()
        for _ in range(args.runs):
            port = free_port()
            try:
                times.append(cold_start(command(port), port, "/oai", provider_env))
            except RuntimeError as exc:
                failure = str(exc)
                log(f"  {label}: {failure}")
                break
        results.cold_starts.append((store, n, label, measure.median(times) if not failure else None, failure))


def profile_instance(instance: Instance, args, results: report.Results) -> None:
    """cProfile one provider worker through one complete ListRecords oai_dc harvest."""
    out = args.output.parent / f"profile-{instance.store}-{instance.n}"
    for old in out.parent.glob(out.name + ".*"):
        old.unlink()
    env = dict(instance.env(), BENCH_PROFILE_OUT=str(out))
    log(f"{instance.store} {instance.n:,}: profiling a provider worker during a ListRecords harvest")
    with gunicorn("provider (profiled)", "provider:create_app()", env, 1, "/oai",
                  config=str(ROOT / "bench" / "profile_conf.py")) as server:
        measure.harvest_series(server, "ListRecords", instance.n, 1, 1)
    files = sorted(out.parent.glob(out.name + ".*"))
    text = measure.profile_summary(files)
    (out.parent / f"{out.name}.txt").write_text(text)
    results.profile = (instance.store, instance.n, measure.own_time_shares(files), measure.cumulative_shares(
        files, ["handle_request", "respond", "_list", "list_records", "count", "stream", "record", "encode"]))


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], metavar="N")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 records to the sizes")
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; each figure is their median")
    parser.add_argument("--getrecord", type=int, default=1000, help="GetRecord requests per run")
    parser.add_argument("--deep-samples", type=int, default=15, help="requests of each page per run")
    parser.add_argument("--ingest-sample", type=int, default=10_000,
                        help="records for the one-process ingest figure (at most the largest size)")
    parser.add_argument("--workers", type=int, default=available_cores(),
                        help="processes preparing (validating) the corpus")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("BENCH_WORKDIR", "/tmp/oai-bench")))
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--quiet-wait", type=float, default=60.0, metavar="SECONDS",
                        help="before each figure, wait up to this long for other processes to leave the cores")
    parser.add_argument("--build-only", action="store_true", help="build the corpora and report that only")
    parser.add_argument("--rebuild", action="store_true", help="rebuild corpora even if cached")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile a provider worker during a harvest of the largest corpus")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.md")
    return parser.parse_args(argv)


def _stop(signum: int, frame) -> None:
    sys.exit(128 + signum)


def _default_stop_in_child() -> None:
    """Forked helpers (the corpus's preparing pool, harvesters) die on SIGTERM at once, as usual. With the
    runner's handler they would wait to run Python first: a pool worker blocked on the task queue's lock
    then never exits, and the pool's terminate() waits for it forever (seen at the end of a corpus build)."""
    if signal.getsignal(signal.SIGTERM) is _stop:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


os.register_at_fork(after_in_child=_default_stop_in_child)


def main(argv: Optional[list[str]] = None) -> report.Results:
    """Run the bench; stopped by SIGTERM or SIGINT it still stops the servers it started (the with blocks
    unwind). A runner started in the background by a shell inherits SIGINT ignored, so it takes it back."""
    if threading.current_thread() is not threading.main_thread():
        return _main(parse_args(argv))
    saved = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _main(parse_args(argv))
    finally:
        signal.signal(signal.SIGTERM, saved[0])
        signal.signal(signal.SIGINT, saved[1])


def _main(args: argparse.Namespace) -> report.Results:
    args.workdir = args.workdir.resolve()
    machine.PATIENCE = args.quiet_wait
    sizes = sorted(set(args.sizes + ([1_000_000] if args.million else [])))
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = report.Results(report.environment(stores, args.pg_url), args.runs)
    log(" | ".join(f"{k} {v}" for k, v in results.environment.items()))
    schemas = install_schemas(args.workdir)

    sample = min(args.ingest_sample, max(sizes))
    files = measure.write_files(args.workdir / "ingest-files", sample)
    for store, workers in [(store, 1) for store in stores] + [(stores[0], 2)]:
        log(f"ingest of {sample:,} files into {store}, {workers} preparing process(es), {args.runs} run(s)")
        new_database = functools.partial(fresh_database, store, "oai_bench_ingest", args.workdir, args.pg_url)
        results.ingests.append((store, measure.ingest_median(files, sample, new_database, schemas, args.runs,
                                                             workers)))
    breakdown = min(sample, 2000)
    results.breakdown = (breakdown, *measure.ingest_breakdown(
        schemas, breakdown, fresh_database("sqlite", "oai_bench_breakdown", args.workdir, args.pg_url)))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    (args.output.parent / "profile-ingest.txt").write_text(results.breakdown[2])

    for n in sizes:
        for store in stores:
            instance = prepare_instance(store, n, args, schemas)
            results.builds.append((store, n, instance.built))
            results.sizes.append((store, n, footprint.parts(store, instance.database_url),
                                  footprint.formats(store, instance.database_url)))
            if args.build_only:
                continue
            try:
                bench_instance(instance, args, results)
                if args.profile and n == sizes[-1] and store == stores[0]:
                    profile_instance(instance, args, results)
            finally:  # what is measured so far survives a stop or a failure
                args.output.write_text(report.markdown(results))

    text = report.markdown(results)
    args.output.write_text(text)
    print(text)
    log(f"written to {args.output}")
    return results


if __name__ == "__main__":
    main()
