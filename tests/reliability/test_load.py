"""bench/load.py keeps working: a short run with a few harvesters, every request answered, every harvest whole."""
from __future__ import annotations

from bench.load import markdown, run
from tests.conftest import SCHEMA_SOURCE


def test_concurrent_harvesters_under_gunicorn_have_no_errors(tmp_path):
    result = run(records=300, seconds=2, harvesters=6, processes=2, workers=2, threads=2, page_size=50,
                 workdir=tmp_path, schema_source=SCHEMA_SOURCE, quiet_wait=0)
    assert result["errors"] == 0, result["error_samples"]
    assert result["complete_harvests"] >= 6
    assert result["requests"] >= result["complete_harvests"] * (result["list"] // 50)
    assert "| errors | 0 |" in markdown(result)
