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

from bench.measure import HarvestFigures

TARGET_RATIO = 6.0  # ListRecords: provider at least 6x pyoai's server at 100,000 records
TARGET_INGEST = 3000
TARGET_DEEP = 1.3
TARGET_RSS_MB = 150


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
    if other is None or not getattr(other, figure):
        return "–"
    ratio = getattr(row.figures, figure) / getattr(other, figure)
    return f"{ratio:.1f}× " + ("pyoai" if row.store == "sqlite" else "SQLite")


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
            "process taking part; the target is for one process on one core.", ""]
    out += _table(["store", "processes", "records", "seconds", "records/s", "runs (records/s)", "per CPU-second",
                   "target", "writer RSS at 20% / 100% (MB)", "other load"], [
        [store, "1" if f.get("workers", 1) == 1 else f"{f['workers']} preparing + 1 writing", f"{f['records']:,}",
         _f(f["seconds"], 2), _f(f["rate"], 0), ", ".join(f"{r:,}" for r in f.get("rates", [])),
         _f(f.get("cpu_rate"), 0), f"≥ {TARGET_INGEST:,}" if f.get("workers", 1) == 1 else "",
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
    out += _table(["store", "records", "server", "workers", "verb", "records/s", "p50 page ms", "p99 page ms",
                   "worker RSS MB", "ratio", "per worker CPU-s", "CPU ratio", "other load"], [
        [r.store, f"{r.n:,}", r.server, r.workers, r.verb, _f(r.figures.records_per_s, 0), _f(r.figures.p50_ms, 2),
         _f(r.figures.p99_ms, 2), _f(r.figures.rss_mb), _ratio(results, r), _f(r.figures.per_cpu_s, 0),
         _ratio(results, r, "per_cpu_s"), _f(r.figures.other_load, 2)]
        for r in results.harvests])

    out += ["", "## GetRecord (oai_dc, random identifiers, one worker)", ""]
    out += _table(["store", "records", "server", "p50 ms", "p99 ms", "other load"], [
        [r.store, f"{r.n:,}", r.server, _f(r.p50_ms, 2), _f(r.p99_ms, 2), _f(r.other_load, 2)]
        for r in results.get_records])

    out += ["", "## Deep page: ListRecords page at 99% of the list vs page 1, both via a resumption token", ""]
    out += _table(["store", "records", "server", "new harvest, 1st request ms", "page 1 via token ms",
                   "page at cursor ms", "cursor", "deep / page 1", "other load"], [
        [r.store, f"{r.n:,}", r.server, _f(r.ms["new"], 2), _f(r.ms["first"], 2), _f(r.ms["deep"], 2),
         f"{r.cursor:,}", f"{r.ms['ratio']:.2f}×", _f(r.ms.get("other_load"), 2)] for r in results.deep_pages])

    out += ["", "## Cold start: command launched to its first answered request (Identify)", ""]
    out += _table(["store", "records", "command", "seconds"], [
        [s, f"{n:,}", f"`{label}`", _f(t, 3) if failure is None else f"fails: {failure}"]
        for s, n, label, t, failure in results.cold_starts])

    out += ["", "## Targets (issue 5; largest size measured)", ""] + _table(["target", "measured", "met"],
                                                                              _targets(results))
    if results.profile:
        store, n, own, cumulative = results.profile
        out += ["", f"## Profile of one provider worker, ListRecords harvest of {n:,} records ({store})", ""]
        out += ["Shares are of the worker's busy time (its waiting for the next request left out).", ""]
        out += _table(["function (own time)", "seconds", "share"],
                      [[f"`{name}`", _f(tt, 2), f"{share:.1%}"] for name, tt, share in own])
        out += ["", "Inside (cumulative): " + ", ".join(f"`{name}` {share:.0%}" for name, share in cumulative), ""]
    return "\n".join(out) + "\n"


def _targets(results: Results) -> list[list[str]]:
    rows = []

    def check(name: str, value: Optional[float], ok: bool, shown: str) -> None:
        rows.append([name, shown if value is not None else "–", ("yes" if ok else "**no**") if value is not None else "–"])

    sqlite_sizes = sorted({r.n for r in results.harvests if r.store == "sqlite"})
    if sqlite_sizes:
        compared = [s for s in sqlite_sizes if results.harvest("sqlite", s, "pyoai", 1, "ListRecords")]
        n = max(compared, default=None)
        if n:
            ours, theirs = (results.harvest("sqlite", n, s, 1, "ListRecords") for s in ("provider", "pyoai"))
            ratio = ours.records_per_s / theirs.records_per_s
            cpu = ours.per_cpu_s / theirs.per_cpu_s if theirs.per_cpu_s else float("nan")
            check(f"ListRecords ≥ 6× pyoai ({n:,}, 1 worker)", ratio, ratio >= TARGET_RATIO,
                  f"{ratio:.1f}× (per worker CPU-second {cpu:.1f}×)")
        top = max(sqlite_sizes)
        lr, li = (results.harvest("sqlite", top, "provider", 1, v) for v in ("ListRecords", "ListIdentifiers"))
        if lr and li:
            ratio = li.records_per_s / lr.records_per_s
            check(f"ListIdentifiers ≥ 2× ListRecords ({top:,})", ratio, ratio >= 2, f"{ratio:.1f}×")
            low = results.harvest("sqlite", min(sqlite_sizes), "provider", 1, "ListRecords")
            if len(sqlite_sizes) > 1:
                growth = lr.rss_mb / low.rss_mb - 1
                check(f"worker RSS < {TARGET_RSS_MB} MB, within 20% of {min(sqlite_sizes):,} ({top:,})", lr.rss_mb,
                      lr.rss_mb < TARGET_RSS_MB and growth <= 0.2, f"{lr.rss_mb:.0f} MB ({growth:+.0%})")
            else:
                check(f"worker RSS < {TARGET_RSS_MB} MB ({top:,})", lr.rss_mb, lr.rss_mb < TARGET_RSS_MB,
                      f"{lr.rss_mb:.0f} MB")
    for store, figures in [(store, f) for store, f in results.ingests if f.get("workers", 1) == 1]:
        check(f"ingest ≥ {TARGET_INGEST:,} records/s, one process ({store})", figures["rate"],
              figures["rate"] >= TARGET_INGEST, f"{figures['rate']:,.0f}/s")
    for row in [r for r in results.deep_pages if r.server == "provider"][-2:]:
        check(f"deep page ≤ 1.3× page 1 ({row.store}, {row.n:,})", row.ms["ratio"], row.ms["ratio"] <= TARGET_DEEP,
              f"{row.ms['ratio']:.2f}×")
    for row in [r for r in results.get_records if r.server == "provider"][-2:]:
        check(f"GetRecord p50 < 2 ms, p99 < 10 ms ({row.store}, {row.n:,})", row.p50_ms,
              row.p50_ms < 2 and row.p99_ms < 10, f"{row.p50_ms:.2f} / {row.p99_ms:.2f} ms")
    for store, n, label, seconds, failure in results.cold_starts[-2:]:
        if failure:
            rows.append([f"cold start < 1 s, `{label}` ({store}, {n:,})", "fails to serve", "**no**"])
        else:
            check(f"cold start < 1 s, `{label}` ({store}, {n:,})", seconds, seconds < 1, f"{seconds:.2f} s")
    pg = [r for r in results.harvests if r.store == "postgresql" and r.server == "provider" and r.workers == 1
          and r.verb == "ListRecords"]
    if pg:
        row = pg[-1]
        base = results.harvest("sqlite", row.n, "provider", 1, "ListRecords")
        if base:
            ratio = row.figures.records_per_s / base.records_per_s
            check(f"PostgreSQL harvest ≥ 0.5× SQLite ({row.n:,})", ratio, ratio >= 0.5, f"{ratio:.2f}×")
    return rows

