"""Crash safety: `oai-provider ingest` killed with SIGKILL in the middle of a large ingest.

Afterwards the store opens and passes its integrity check, holds every committed batch whole (each record
in every format) and nothing of the interrupted batch, and running the same ingest again completes.
"""
from __future__ import annotations

import signal
import subprocess
import time

import pytest

from bench.corpus import local_id, mods_bytes
from metadata.ingest import BATCH_SIZE
from metadata.store import ListQuery, open_store
from metadata.store.base import iter_all
from tests.reliability.conftest import VENV_BIN, prepare_instance, provider_environment

CORPUS = 3000


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """CORPUS valid MODS files; the identifiers in the order ingest reads the files."""
    folder = tmp_path_factory.mktemp("corpus")
    for index in range(CORPUS):
        (folder / f"{index:05d}.xml").write_bytes(mods_bytes(index))
    return folder, [f"oai:test.example.org:{local_id(i)}" for i in range(CORPUS)]


def _ingest(env, folder) -> subprocess.Popen:
    return subprocess.Popen([str(VENV_BIN / "oai-provider"), "ingest", str(folder)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_mid_ingest_keeps_whole_batches_and_a_rerun_completes(tmp_path, database_url, schema_dir, corpus):
    folder, identifiers = corpus
    env = provider_environment(prepare_instance(tmp_path / "instance", schema_dir), database_url)
    store = open_store(database_url)
    store.create_schema()

    started = time.monotonic()
    process = _ingest(env, folder)
    while store.record_count() < BATCH_SIZE:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() - started < 120, "the first batch never committed"
        time.sleep(0.01)
    first_batch = time.monotonic() - started
    time.sleep(first_batch / 2)  # into the middle of a later batch
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    store.close()

    store = open_store(database_url)
    try:
        assert store.check_integrity() == []
        count = store.record_count()
        assert count % BATCH_SIZE == 0 and BATCH_SIZE <= count < CORPUS, count
        for prefix in ("mods", "oai_dc"):
            stored = [s.header.identifier for s in iter_all(store, ListQuery(prefix))]
            assert sorted(stored) == identifiers[:count], f"whole batches in {prefix}, nothing of the interrupted one"
        assert all(s.metadata for s in store.list_records(ListQuery("oai_dc"), None, 50, with_metadata=True))

        rerun = subprocess.run([str(VENV_BIN / "oai-provider"), "ingest", str(folder)], env=env,
                               capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{CORPUS - count} created, 0 updated, {count} unchanged, 0 deleted, 0 skipped, 0 duplicates, 0 refused" in rerun.stdout
        assert store.record_count() == CORPUS
        assert store.check_integrity() == []
    finally:
        store.close()
