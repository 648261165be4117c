"""The benchmark runner completes on a 500-record corpus and reports figures for the provider, the ceiling and
pyoai's server, so the bench cannot rot (issue 5). SQLite only, one run of each figure; the real benchmark is
`python -m bench.run`."""
from bench import run

N = 500


def test_bench_runner_reports_provider_ceiling_and_pyoai_at_500_records(tmp_path):
    output = tmp_path / "latest.md"
    results = run.main(["--sizes", str(N), "--runs", "1", "--getrecord", "20", "--deep-samples", "2", "--quiet-wait", "0",
                        "--workdir", str(tmp_path / "work"), "--output", str(output)])

    assert [(store, f["records"], f["workers"]) for store, f in results.ingests] == [("sqlite", N, 1), ("sqlite", N, 2)]
    assert all(f["rate"] > 0 and f["cpu_rate"] > 0 and len(f["rates"]) == 1 for _, f in results.ingests)
    for server in ("provider", "ceiling", "pyoai"):
        for workers in (1, 2):
            for verb in run.VERBS:
                figures = results.harvest("sqlite", N, server, workers, verb)
                assert figures is not None, (server, workers, verb)
                assert figures.items == N and figures.records_per_s > 0 and figures.p99_ms > 0
                assert figures.rss_mb > 0
        assert [r.p50_ms > 0 for r in results.get_records if r.server == server] == [True]
        assert [r.ms["deep"] > 0 for r in results.deep_pages if r.server == server] == [True]
    assert any(label.startswith("gunicorn") and seconds for _, _, label, seconds, _ in results.cold_starts)
    text = output.read_text()
    for server in ("provider", "ceiling", "pyoai"):
        assert f"| sqlite | 500 | {server} | 1 | ListRecords |" in text
    provider_row = next(line for line in text.splitlines() if line.startswith("| sqlite | 500 | provider | 1 | ListRecords |"))
    assert provider_row.split(" | ")[6].endswith("×")  # records/s as a share of the ceiling's, same run

    [(store, n, parts, formats)] = results.sizes  # database size per record, by table and index
    by_name = {part.name: part for part in parts}
    assert (store, n) == ("sqlite", N)
    assert by_name["disseminations"].bytes > by_name["disseminations_by_identifier"].bytes > 0
    assert (by_name["records_by_datestamp"].table, by_name["records_by_datestamp"].kind) == ("records", "index")
    assert [row[:2] for row in formats if row[0] == "oai_dc"] == [("oai_dc", N)]
    assert "| sqlite | 500 | `disseminations_by_identifier` | disseminations | index |" in text


    # the ResourceSync resource list read whole over HTTP: one URL per record and format, beside ListIdentifiers
    [(store, n, listed)] = results.resource_lists
    assert (store, n) == ("sqlite", N) and listed["urls"] >= N * 3 and listed["rate"] > 0
    assert f"| sqlite | {N} | {listed['urls']:,} |" in text
    assert "resource list ≥ the ListIdentifiers rate (sqlite, 500)" in text
