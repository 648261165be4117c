"""The corpus instances the runner serves: one per (store, size), built through the ingest path and kept in
the work folder while nothing that shapes stored rows changes (fingerprint), else built again."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import corpus, measure
from bench.machine import OtherLoad, tree_seconds, wait_for_quiet
from bench.servers import ROOT

SECRET = "bench-secret-key-0123456789"


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
