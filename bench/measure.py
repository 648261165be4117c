"""The bench's measurements: ingest throughput (and where its time goes), harvests, GetRecord, the deep page
and the cold start. Each returns plain numbers; run.py decides what to run and report.py prints them."""
from __future__ import annotations

import cProfile
import io
import multiprocessing
import pstats
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from bench import corpus
from bench.client import harvest, harvest_job, listing, percentile, timed_requests
from bench.machine import OtherLoad, wait_for_quiet
from bench.servers import Server, rss_mb

PAGE_SIZE = 100


def median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


# --- ingest ----------------------------------------------------------------------------------------------

def write_files(folder: Path, count: int) -> Path:
    """count corpus records as files, for metadata.ingest.ingest to read (kept for the next run)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        path = folder / f"{corpus.local_id(index)}.xml"
        if not path.exists():
            path.write_bytes(corpus.mods_bytes(index))
    return folder


def _ingest_child(args: tuple) -> dict:
    """In a child process: the project's ingest() over count files into an empty store, this process writing
    and `workers` processes preparing (1: this process does everything)."""
    import resource

    from metadata.files import xml_files
    from metadata.ingest import ingest
    from metadata.store import open_store

    folder, count, database_url, schemas, workers = args
    store = open_store(database_url)
    store.create_schema()
    pipeline = corpus.pipeline(schemas)
    files = sorted(xml_files([folder]))[:count]
    marks: dict[int, float] = {}

    def progress(_step: int) -> None:
        marks["done"] = marks.get("done", 0) + 1
        if marks["done"] in (count // 5, count):
            marks[marks["done"]] = rss_mb_self()

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    start, cpu, cpu_children = time.perf_counter(), time.process_time(), children_cpu()
    report = ingest(pipeline, store, files, progress=progress, workers=workers)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu + children_cpu() - cpu_children  # the workers', once they are reaped
    store.close()
    if report.refused or report.count("created") != count:
        raise RuntimeError(f"ingest refused {len(report.refused)} corpus files: {report.refused[:1]}")
    return {"records": count, "workers": workers, "seconds": seconds, "rate": count / seconds,
            "cpu_rate": count / cpu, "rss_20": marks.get(count // 5), "rss_100": marks.get(count)}


def rss_mb_self() -> float:
    import os

    return rss_mb(os.getpid())


def ingest_once(folder: Path, count: int, database_url: Callable[[], str], schemas: Path, workers: int = 1) -> dict:
    """One ingest into a new database (database_url() makes it), in a fresh process."""
    wait_for_quiet()
    meter = OtherLoad()
    # Not a multiprocessing.Pool: its processes are daemons, which may not start the ingest's workers.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as executor:
        figures = executor.submit(_ingest_child, (folder, count, database_url(), schemas, workers)).result()
    return dict(figures, other_load=meter.stop())


def ingest_median(folder: Path, count: int, database_url: Callable[[], str], schemas: Path, runs: int,
                  workers: int = 1) -> dict:
    """The run with the median rate of `runs` ingests, and every run's rate."""
    figures = sorted((ingest_once(folder, count, database_url, schemas, workers) for _ in range(runs)),
                     key=lambda f: f["rate"])
    return dict(figures[len(figures) // 2], rates=[round(f["rate"]) for f in figures])


def ingest_breakdown(schemas: Path, count: int, database_url: str) -> tuple[dict[str, float], str]:
    """Seconds per stage of Pipeline.prepare_all and store.put over count records, timed as the pipeline
    runs them (each stage over a batch of 500 before the next) with the functions it calls, and the
    cProfile top of the real prepare_all + put."""
    from metadata.facts import facts_of_mods
    from metadata.formats import MODS
    from metadata.ingest import BATCH_SIZE
    from metadata.pipeline import Document
    from metadata.record import serialize
    from metadata.sets import facets, memberships
    from metadata.store import open_store
    from metadata.validate import parse

    pipeline = corpus.pipeline(schemas)
    validator = pipeline.validator
    derived = [fmt for fmt in pipeline.formats.values() if fmt.derive is not None]
    data = [corpus.mods_bytes(i) for i in range(count)]
    stages = dict.fromkeys(("parse", "validate MODS (XSD)", "facts", "sets and summary",
                            *(f"crosswalk to {f.prefix}" for f in derived),
                            *(f"validate {f.prefix} (XSD)" for f in derived), "serialize", "store.put (SQLite)"), 0.0)

    def timed(stage: str, call: Callable):
        start = time.perf_counter()
        result = call()
        stages[stage] += time.perf_counter() - start
        return result

    for first in range(0, count, BATCH_SIZE):
        batch = range(first, min(first + BATCH_SIZE, count))
        roots = timed("parse", lambda: [parse(data[i], "x") for i in batch])
        timed("validate MODS (XSD)", lambda: [validator.check(MODS.schema_path, root, "x") for root in roots])
        facts = timed("facts", lambda: [facts_of_mods(root) for root in roots])
        timed("sets and summary", lambda: [(memberships(facets(f), corpus.identifier(i)), f.summary())
                                           for i, f in zip(batch, facts)])
        contexts = [pipeline.site.context(corpus.identifier(i), str(i)) for i in batch]
        elements = [roots]
        for fmt in derived:
            made = timed(f"crosswalk to {fmt.prefix}", lambda: [fmt.derive(r, f, c) for r, f, c in
                                                                zip(roots, facts, contexts)])
            made = [m for m in made if m is not None]
            timed(f"validate {fmt.prefix} (XSD)", lambda: [validator.check(fmt.validation, m, "x") for m in made])
            elements.append(made)
        timed("serialize", lambda: [serialize(e) for group in elements for e in group])
    store = open_store(database_url)
    store.create_schema()
    documents = [Document(d, str(i)) for i, d in enumerate(data)]
    records = [r for outcome in pipeline.prepare_all(documents) for r in outcome.records]
    for start in range(0, len(records), BATCH_SIZE):
        timed("store.put (SQLite)", lambda: store.put(records[start:start + BATCH_SIZE]))
    store.close()

    profile = cProfile.Profile()
    profile.enable()
    for start in range(0, count, BATCH_SIZE):
        pipeline.prepare_all(documents[start:start + BATCH_SIZE])
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    return stages, out.getvalue()


# --- harvests --------------------------------------------------------------------------------------------

@dataclass
class HarvestFigures:
    records_per_s: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    items: int
    other_load: float = 0.0  # cores other processes used meanwhile (bench.machine)
    per_cpu_s: float = 0.0  # items per CPU-second of the server's workers: its speed on a core of its own


def harvest_series(server: Server, verb: str, expected: int, runs: int, harvesters: int) -> HarvestFigures:
    """runs complete harvests (harvesters of them at once, in processes); medians of each figure."""
    rates, p50s, p99s, rss = [], [], [], []
    wait_for_quiet()
    meter, cpu = OtherLoad(), server.worker_cpu_seconds()
    for _ in range(runs):
        if harvesters == 1:
            results = [harvest(server.port, server.path, verb)]
            wall = results[0].seconds
        else:
            results, wall = _concurrent_harvests(server, verb, harvesters)
        for result in results:
            if result.items != expected:
                raise RuntimeError(f"{server.name} {verb}: harvested {result.items} headers, expected {expected}")
        latencies = [t for r in results for t in r.latencies]
        rates.append(sum(r.items for r in results) / wall)
        p50s.append(percentile(latencies, 50) * 1000)
        p99s.append(percentile(latencies, 99) * 1000)
        rss.append(server.worker_rss_mb())
    cpu = server.worker_cpu_seconds() - cpu
    return HarvestFigures(median(rates), median(p50s), median(p99s), median(rss), expected, meter.stop(),
                          expected * harvesters * runs / cpu if cpu > 0 else float("nan"))


def _concurrent_harvests(server: Server, verb: str, harvesters: int, attempts: int = 2) -> tuple[list, float]:
    """Harvests at once in separate processes, and their wall time. A harvester process that dies (killed
    from outside) breaks the pool instead of hanging it; that run is taken again, once."""
    for attempt in range(attempts):
        start = time.perf_counter()
        try:
            with ProcessPoolExecutor(harvesters, mp_context=multiprocessing.get_context("fork")) as pool:
                results = list(pool.map(harvest_job, [(server.port, server.path, verb)] * harvesters))
            return results, time.perf_counter() - start
        except BrokenProcessPool:
            if attempt == attempts - 1:
                raise


def get_record_series(server: Server, n: int, samples: int, runs: int) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, other load) of GetRecord oai_dc over random identifiers; medians over runs."""
    p50s, p99s = [], []
    wait_for_quiet()
    meter = OtherLoad()
    for run in range(runs):
        rng = random.Random(run)
        queries = [f"verb=GetRecord&metadataPrefix=oai_dc&identifier={quote(corpus.identifier(rng.randrange(n)))}"
                   for _ in range(samples)]
        latencies = timed_requests(server.port, server.path, queries)
        p50s.append(percentile(latencies, 50) * 1000)
        p99s.append(percentile(latencies, 99) * 1000)
    return median(p50s), median(p99s), meter.stop()


def resource_list_series(server: Server, runs: int) -> dict:
    """The ResourceSync resource list read whole (index and parts) over HTTP: URLs, and URLs per second and per
    worker CPU-second (medians over runs), and the worker's RSS after it."""
    wait_for_quiet()
    meter, rates, cpu_rates, urls = OtherLoad(), [], [], 0
    for _ in range(runs):
        cpu = server.worker_cpu_seconds()
        result = listing(server.port, "/resourcesync/resourcelist.xml")
        used = server.worker_cpu_seconds() - cpu
        urls = result.items
        rates.append(result.rate)
        cpu_rates.append(urls / used if used else 0.0)
    return {"urls": urls, "rate": median(rates), "per_cpu_s": median(cpu_rates), "rss_mb": server.worker_rss_mb(),
            "other_load": meter.stop()}


def provider_tokens(secret: str, total: int, deep_after: tuple[str, str], deep_cursor: int) -> tuple[str, str]:
    """(page 1, page at deep_cursor) of ListRecords oai_dc as resumption tokens minted as the provider does:
    stateless, signed with the instance's key (provider/oai/tokens.py), so no harvest is needed to reach them."""
    from provider.oai.tokens import ResumptionState, TokenCodec
    from provider.oai.verbs import utc_now

    codec = TokenCodec(secret, 3600)
    first = ResumptionState("ListRecords", "oai_dc", None, None, utc_now(), None, 0, total)
    deep = ResumptionState("ListRecords", "oai_dc", None, None, first.until, list(deep_after), deep_cursor, total)
    return codec.encode(first)[0], codec.encode(deep)[0]


def pyoai_tokens(deep_cursor: int) -> tuple[str, str]:
    """The same two pages as pyoai's BatchingServer encodes them (its token is the query and a cursor)."""
    from oaipmh.server import encodeResumptionToken

    kw = {"metadataPrefix": "oai_dc", "batch_size": PAGE_SIZE + 1}
    return encodeResumptionToken(kw, 0), encodeResumptionToken(kw, deep_cursor)


def ceiling_tokens(total: int, deep_after: tuple[str, str]) -> tuple[str, str]:
    """The same two pages as bench/ceiling.py's tokens (the position itself and the count)."""
    from bench.ceiling import token

    return token("oai_dc", total, ("", "")), token("oai_dc", total, deep_after)


def deep_page_series(server: Server, tokens: tuple[str, str], samples: int, runs: int) -> dict:
    """Median latency (ms) of a new harvest's first request, of page 1 via a token and of the deep page
    via a token, requested in turn; medians over runs."""
    fresh = "verb=ListRecords&metadataPrefix=oai_dc"
    first, deep = (f"verb=ListRecords&resumptionToken={quote(t, safe='')}" for t in tokens)
    figures = {"new": [], "first": [], "deep": []}
    wait_for_quiet()
    meter = OtherLoad()
    for _ in range(runs):
        latencies = timed_requests(server.port, server.path, [fresh, first, deep] * samples)
        for k, key in enumerate(figures):
            figures[key].append(statistics.median(latencies[k::3]) * 1000)
    result = {key: median(values) for key, values in figures.items()}
    result["ratio"] = result["deep"] / result["first"]
    result["other_load"] = meter.stop()
    return result


def profile_summary(stats_files: list[Path], top: int = 25) -> str:
    """The cProfile top (by own time and by cumulative time) of one or more worker stats files."""
    out = io.StringIO()
    stats = pstats.Stats(*map(str, stats_files), stream=out)
    total = stats.total_tt
    out.write(f"total profiled time {total:.2f} s\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


IDLE = ("<built-in method select.select>", "<method '_accept' of '_socket.socket' objects>")


def _busy(stats: pstats.Stats) -> float:
    """The worker's profiled time less its waiting for the next connection (not the server's work)."""
    idle = sum(tt for func, (cc, nc, tt, ct, callers) in stats.stats.items() if func[2] in IDLE)
    return stats.total_tt - idle


def own_time_shares(stats_files: list[Path], top: int = 15) -> list[tuple[str, float, float]]:
    """(function, own seconds, share of the worker's busy time) for the top functions by own time."""
    stats = pstats.Stats(*map(str, stats_files), stream=io.StringIO())
    busy = _busy(stats)
    rows = sorted(((tt, func) for func, (cc, nc, tt, ct, callers) in stats.stats.items() if func[2] not in IDLE),
                  reverse=True)[:top]
    return [(f"{Path(f[0]).name}:{f[1]}({f[2]})", tt, tt / busy) for tt, f in rows]


def cumulative_shares(stats_files: list[Path], names: list[str]) -> list[tuple[str, float]]:
    """Share of the worker's busy time spent inside (cumulative) each named function, e.g. 'list_records'."""
    stats = pstats.Stats(*map(str, stats_files), stream=io.StringIO())
    busy, result = _busy(stats), []
    for name in names:
        found = [ct for func, (cc, nc, tt, ct, callers) in stats.stats.items() if func[2] == name]
        result.append((name, max(found, default=0.0) / busy))
    return result
