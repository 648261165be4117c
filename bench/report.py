"""The bench's results: the machine and versions, and Markdown tables of every figure with the issue's targets."""
from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Optional

from bench import targets
from bench.measure import HarvestFigures


@dataclass
class HarvestRow:
    store: str
    n: int
    server: str
    workers: int
    verb: str
    figures: HarvestFigures


@dataclass
class LatencyRow:
    store: str
    n: int
    server: str
    p50_ms: float
    p99_ms: float
    other_load: float = 0.0


@dataclass
class DeepRow:
    store: str
    n: int
    server: str
    cursor: int
    ms: dict  # new (first request of a harvest), first (page 1 via token), deep (page at 99% via token), ratio


@dataclass
class Results:
    environment: dict
    runs: int
    ingests: list = field(default_factory=list)  # (store, figures dict)
    breakdown: Optional[tuple] = None  # (records, {stage: seconds}, cProfile text)
    builds: list = field(default_factory=list)  # (store, n, built dict)
    harvests: list[HarvestRow] = field(default_factory=list)
    get_records: list[LatencyRow] = field(default_factory=list)
    deep_pages: list[DeepRow] = field(default_factory=list)
    cold_starts: list = field(default_factory=list)  # (store, n, command, seconds or None, failure or None)
    profile: Optional[tuple] = None  # (store, n, own-time shares, cumulative shares)
    sizes: list = field(default_factory=list)  # (store, n, [footprint.Part], footprint.formats())
    resource_lists: list = field(default_factory=list)  # (store, n, figures dict)

    def harvest(self, store: str, n: int, server: str, workers: int, verb: str) -> Optional[HarvestFigures]:
        for row in self.harvests:
            if (row.store, row.n, row.server, row.workers, row.verb) == (store, n, server, workers, verb):
                return row.figures
        return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def environment(stores: list[str], pg_url: str) -> dict:
    from lxml import etree

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    try:
        tree = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).resolve().parents[1],
                              capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except OSError:
        tree = "unknown"
    env = {"code": tree, "cores": f"{len(os.sched_getaffinity(0))} ({cpu})", "python": platform.python_version(),
           "lxml": f"{etree.__version__} (libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))})",
           "flask": _version("flask"), "gunicorn": _version("gunicorn"), "sqlite": sqlite3.sqlite_version,
           "pyoai": _version("pyoai")}
    if "postgresql" in stores:
        import psycopg

        with psycopg.connect(f"{pg_url}/postgres") as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
        env.update(psycopg=psycopg.__version__, postgresql=server)
    return env


def _f(value: Optional[float], digits: int = 1) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]


def _ratio(results: Results, row: HarvestRow, figure: str = "records_per_s") -> str:
    """provider/pyoai on SQLite (same run, same corpus); provider PostgreSQL/SQLite on PostgreSQL."""
    if row.server != "provider":
        return ""
    other = (results.harvest("sqlite", row.n, "pyoai", row.workers, row.verb) if row.store == "sqlite"
             else results.harvest("sqlite", row.n, "provider", row.workers, row.verb))
    if other is None or not getattr(other, figure) or getattr(row.figures, figure) != getattr(row.figures, figure):
        return "–"
    ratio = getattr(row.figures, figure) / getattr(other, figure)
    return f"{ratio:.1f}× " + ("pyoai" if row.store == "sqlite" else "SQLite")


def _ceiling(results: Results, row, figure: str = "records_per_s") -> str:
    """The row's speed as a fraction of the ceiling's (bench/ceiling.py) for the same corpus, workers and verb:
    a rate over the ceiling's, the ceiling's latency over the row's. The ceiling reads SQLite, so a PostgreSQL
    row is compared with the SQLite ceiling."""
    if row.server == "ceiling":
        return ""
    if isinstance(row, HarvestRow):
        peer = results.harvest("sqlite", row.n, "ceiling", row.workers, row.verb)
        over, under = getattr(row.figures, figure), peer and getattr(peer, figure)
    else:
        rows, value = ((results.get_records, lambda r: r.p50_ms) if isinstance(row, LatencyRow)
                       else (results.deep_pages, lambda r: r.ms["deep"]))
        peer = next((r for r in rows if (r.store, r.n, r.server) == ("sqlite", row.n, "ceiling")), None)
        over, under = peer and value(peer), value(row)
    return f"{over / under:.2f}×" if over and under and over == over and under == under else "–"


def markdown(results: Results) -> str:
    out = ["# OAI-PMH provider benchmark", ""]
    out += [" · ".join(f"**{k}** {v}" for k, v in results.environment.items()), ""]
    out += [f"Each figure is the median of {results.runs} run(s). Servers run under gunicorn on loopback (default "
            "sync workers), harvested by a plain http.client harvester that follows resumption tokens; pages of "
            "100 records (ListRecords) and 500 headers (ListIdentifiers); 2 workers are harvested by 2 concurrent "
            "harvesters (aggregate records/s). RSS: the largest worker's VmRSS after the harvest. *other load*: "
            "cores used by processes outside the bench while a figure was taken (the runner first waits up to "
            "60 s for them to fall under 0.25); figures taken under load understate the servers. *per CPU-second*: "
            "items per CPU-second of the server's workers (or of the ingesting process), what one core of its "
            "own would do; it does not depend on other load, and neither does the *CPU ratio*.", ""]

    out += ["## Ingest, full XSD validation of MODS and oai_dc", ""]
    out += ["`oai-provider ingest` on one file per record: in one process, and with 2 worker processes preparing "
            "batches while the first process writes (`--jobs 2`). *per CPU-second* counts the CPU time of every "
            "process taking part: ingest is judged by it (compare it with the previous release run on the same "
            "machine) and by how `--jobs` scales.", ""]
    out += _table(["store", "processes", "records", "seconds", "records/s", "runs (records/s)", "per CPU-second",
                   "writer RSS at 20% / 100% (MB)", "other load"], [
        [store, "1" if f.get("workers", 1) == 1 else f"{f['workers']} preparing + 1 writing", f"{f['records']:,}",
         _f(f["seconds"], 2), _f(f["rate"], 0), ", ".join(f"{r:,}" for r in f.get("rates", [])),
         _f(f.get("cpu_rate"), 0),
         f"{_f(f['rss_20'])} / {_f(f['rss_100'])}", _f(f.get("other_load"), 2)] for store, f in results.ingests])
    if results.breakdown:
        count, stages, _ = results.breakdown
        total = sum(stages.values())
        out += ["", f"Where one record's ingest time goes ({count:,} records, each stage over a batch of 500 as "
                    f"the pipeline runs them, {total / count * 1e6:,.0f} µs per record in all):", ""]
        out += _table(["stage", "µs per record", "share"], [
            [stage, _f(seconds / count * 1e6, 0), f"{seconds / total:.0%}"] for stage, seconds in stages.items()])

    out += ["", "## Corpus build (generation + validation in worker processes, store writes in one)", ""]
    out += _table(["store", "records", "deleted", "writes", "processes", "seconds", "records/s", "other load",
                   "CPU s (all / writer)", "seconds on idle cores"], [
        [store, f"{n:,}", f"{b.get('deleted', 0):,}", f"{b.get('writes', 0):,}", b.get("workers", "–"),
         _f(b.get("seconds")) + (" (cached)" if b.get("cached") else ""), _f(b.get("rate"), 0),
         _f(b.get("other_load"), 2), f"{_f(b.get('cpu_seconds'))} / {_f(b.get('writer_cpu_seconds'))}",
         _f(b.get("idle_estimate"))] for store, n, b in results.builds])

    out += ["", "## Harvests", ""]
    out += ["*× ceiling*: the figure over that of the ceiling, `bench/ceiling.py` (a bare Flask view paging the same "
            "rows by keyset and sending their bytes, with no checking, errors or signed tokens), same corpus, "
            "workers and verb, in the same run; the ceiling reads SQLite, so PostgreSQL rows are over the SQLite "
            "ceiling. *ratio*: provider over pyoai on SQLite, PostgreSQL over SQLite on PostgreSQL.", ""]
    out += _table(["store", "records", "server", "workers", "verb", "records/s", "× ceiling", "p50 page ms",
                   "p99 page ms", "worker RSS MB", "ratio", "per worker CPU-s", "CPU × ceiling", "CPU ratio",
                   "other load"], [
        [r.store, f"{r.n:,}", r.server, r.workers, r.verb, _f(r.figures.records_per_s, 0), _ceiling(results, r),
         _f(r.figures.p50_ms, 2), _f(r.figures.p99_ms, 2), _f(r.figures.rss_mb), _ratio(results, r),
         _f(r.figures.per_cpu_s, 0), _ceiling(results, r, "per_cpu_s"), _ratio(results, r, "per_cpu_s"),
         _f(r.figures.other_load, 2)]
        for r in results.harvests])

    out += ["", "## GetRecord (oai_dc, random identifiers, one worker)", ""]
    out += _table(["store", "records", "server", "p50 ms", "p99 ms", "× ceiling (its p50 / p50)", "other load"], [
        [r.store, f"{r.n:,}", r.server, _f(r.p50_ms, 2), _f(r.p99_ms, 2), _ceiling(results, r),
         _f(r.other_load, 2)] for r in results.get_records])

    out += ["", "## Deep page: ListRecords page at 99% of the list vs page 1, both via a resumption token", ""]
    out += _table(["store", "records", "server", "new harvest, 1st request ms", "page 1 via token ms",
                   "page at cursor ms", "cursor", "deep / page 1", "× ceiling (its deep / deep)", "other load"], [
        [r.store, f"{r.n:,}", r.server, _f(r.ms["new"], 2), _f(r.ms["first"], 2), _f(r.ms["deep"], 2),
         f"{r.cursor:,}", f"{r.ms['ratio']:.2f}×", _ceiling(results, r), _f(r.ms.get("other_load"), 2)]
        for r in results.deep_pages])
    out += _resource_lists(results)
    out += _sizes(results)

    out += ["", "## Cold start: command launched to its first answered request (Identify)", ""]
    out += _table(["store", "records", "command", "seconds"], [
        [s, f"{n:,}", f"`{label}`", _f(t, 3) if failure is None else f"fails: {failure}"]
        for s, n, label, t, failure in results.cold_starts])

    out += ["", "## Targets of the ceiling issue", ""] + _table(["target", "measured", "met"], targets.ceiling(results))
    out += ["", "## Targets of issue 5 (largest size measured)", ""] + _table(["target", "measured", "met"],
                                                                            targets.issue_5(results))
    if results.profile:
        store, n, own, cumulative = results.profile
        out += ["", f"## Profile of one provider worker, ListRecords harvest of {n:,} records ({store})", ""]
        out += ["Shares are of the worker's busy time (its waiting for the next request left out).", ""]
        out += _table(["function (own time)", "seconds", "share"],
                      [[f"`{name}`", _f(tt, 2), f"{share:.1%}"] for name, tt, share in own])
        out += ["", "Inside (cumulative): " + ", ".join(f"`{name}` {share:.0%}" for name, share in cumulative), ""]
    return "\n".join(out) + "\n"


def _sizes(results: Results) -> list[str]:
    """Database size per record by table and index, then what the dissemination rows carry per format."""
    if not results.sizes:
        return []
    out = ["", "## Database size per record, by table and index", ""]
    out += ["SQLite: pages per b-tree from `dbstat` (overflow pages counted with their b-tree); PostgreSQL: "
            "`pg_table_size` (heap, TOAST, maps) and `pg_relation_size` per index. A record is one `records` row, "
            "one `disseminations` row per format and one `memberships` row per set.", ""]
    rows = []
    for store, n, parts, _ in results.sizes:
        total = sum(p.bytes for p in parts)
        rows += [[store, f"{n:,}", f"`{p.name}`", p.table, p.kind, _f(p.bytes / 2 ** 20), _f(p.bytes / n, 0),
                  f"{p.bytes / total:.1%}"] for p in parts if p.bytes >= total / 1000]
        rows.append([store, f"{n:,}", "**all**", "", "", _f(total / 2 ** 20), f"**{total / n:,.0f}**", "100%"])
    out += _table(["store", "records", "object", "table", "kind", "MB", "bytes per record", "share"], rows)
    out += ["", "What each format's `disseminations` rows carry, bytes per record before page overhead (the "
                "`record` column holds the header again, and the metadata):", ""]
    rows = []
    for store, n, parts, formats in results.sizes:
        stored = sum(p.bytes for p in parts if p.table == "disseminations" and not p.kind.startswith("index"))
        carried = sum(head + record for _, _, head, record, _ in formats)
        rows += [[store, f"{n:,}", prefix, f"{count:,}", _f(head / n, 0), _f(record / n, 0), _f(metadata / n, 0)]
                 for prefix, count, head, record, metadata in formats]
        rows.append([store, f"{n:,}", "**all**", "", _f(sum(f[2] for f in formats) / n, 0),
                     _f(sum(f[3] for f in formats) / n, 0),
                     f"table: {stored / n:,.0f} stored for {carried / n:,.0f} carried ({stored / carried:.2f}×)"])
    return out + _table(["store", "records", "format", "rows", "header", "record", "metadata"], rows)


def _resource_lists(results: Results) -> list[str]:
    """ResourceSync's resource list beside ListIdentifiers: both list every record's identity, one line each."""
    if not results.resource_lists:
        return []
    out = ["", "## ResourceSync resource list (one URL per record and format, read whole over HTTP, one worker)", ""]
    rows = []
    for store, n, f in results.resource_lists:
        headers = results.harvest(store, n, "provider", 1, "ListIdentifiers")
        rows.append([store, f"{n:,}", f"{f['urls']:,}", _f(f["rate"], 0), _f(f["per_cpu_s"], 0),
                     f"{f['rate'] / headers.records_per_s:.2f}×" if headers else "–", _f(f["rss_mb"]),
                     _f(f["other_load"], 2)])
    return out + _table(["store", "records", "URLs", "URLs/s", "per worker CPU-s", "× ListIdentifiers headers/s",
                         "worker RSS MB", "other load"], rows)
