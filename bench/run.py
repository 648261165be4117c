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
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Optional

from bench import footprint, machine, measure, report
from bench.instances import SECRET, Instance, fresh_database, install_schemas, log, prepare_instance
from bench.servers import ROOT, cold_start_series, gunicorn, gunicorn_command, serve_command
from metadata.workers import available_cores

VERBS = ("ListRecords", "ListIdentifiers")
PYOAI_FULL_LIMIT = 200_000  # above it pyoai's OFFSET paging makes a full harvest take hours
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"
APPS = {"ceiling": "bench.ceiling", "pyoai": "bench.pyoai_server"}  # peers of the provider, over its SQLite file


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
                log(f"{store} {n:,}: provider, ResourceSync resource list x{args.runs}")
                results.resource_lists.append((store, n, measure.resource_list_series(server, args.runs)))
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
        seconds, failure = cold_start_series(command, provider_env, args.runs)
        if failure:
            log(f"  {label}: {failure}")
        results.cold_starts.append((store, n, label, seconds, failure))


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
