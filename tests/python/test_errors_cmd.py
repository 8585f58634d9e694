"""`eros errors` and the summary of a run with page failures (issue 15, item 1), on a FAILED
daily run (6 planted invalid pages trip the circuit breaker): every failed page with its
reason, as text at 80 columns and as JSON, chosen by --date or --job; the summary names the
first pages and points to `eros errors`; its duration is the job row's."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from eros.runs import read_page_errors, reason_code
from eros.warehouse import connect

from eros_test_support import EXEC_DATE, PROJECT
from failed_run_support import INVALID_PAGES, FailedRun, failed_daily_run


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory, dbt_state_dir: Path) -> FailedRun:
    return failed_daily_run(tmp_path_factory.mktemp("failed_run"), dbt_state_dir)


def _db(failed: FailedRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(failed.database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _daily_job(failed: FailedRun) -> tuple[str, float]:
    ((job_id, seconds),) = _db(failed, "select job_id, job_duration_seconds from eros.etl_job_runs where job_name = 'daily_automation'")
    return job_id, seconds


def test_errors_lists_every_failed_page_with_its_reason(failed: FailedRun) -> None:
    proc = failed.eros("errors")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    job_id, _ = _daily_job(failed)
    assert job_id in proc.stdout and "FAILED" in proc.stdout and "circuit breaker tripped" in proc.stdout
    pages = failed.manifest["invalid_pages"]
    assert len(pages) == INVALID_PAGES
    for page in pages:
        (line,) = [line for line in lines if line.startswith(page + " ")]
        assert "QUARANTINE_RATE" in line, line
    assert f"{INVALID_PAGES} page error(s): QUARANTINE_RATE {INVALID_PAGES}" in proc.stdout


def test_errors_json_matches_creator_processing_errors(failed: FailedRun) -> None:
    proc = failed.eros("errors", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    job_id, seconds = _daily_job(failed)
    assert result["run"]["job_id"] == job_id and result["run"]["job_status"] == "FAILED"
    assert result["run"]["creators_failed"] == INVALID_PAGES and result["run"]["job_duration_seconds"] == seconds
    stored = _db(failed, f"select page_name, error_message from eros.creator_processing_errors where job_id = '{job_id}' order by page_name")
    assert [(e["page_name"], e["error_message"]) for e in result["errors"]] == stored
    assert {e["page_name"] for e in result["errors"]} == set(failed.manifest["invalid_pages"])
    assert all(e["reason"] == "QUARANTINE_RATE" and e["execution_date"] == EXEC_DATE.isoformat() for e in result["errors"])
    assert result["reasons"] == {"QUARANTINE_RATE": INVALID_PAGES}


def test_errors_by_date_and_by_job_id(failed: FailedRun) -> None:
    job_id, _ = _daily_job(failed)
    by_date = json.loads(failed.eros("errors", "--date", EXEC_DATE.isoformat(), "--json").stdout)
    by_id = json.loads(failed.eros("errors", "--job", job_id, "--json").stdout)
    by_prefix = json.loads(failed.eros("errors", "--job", job_id[:8], "--json").stdout)  # also the prefix of `<id>.sweep`
    assert by_date == by_id == by_prefix and by_id["run"]["job_id"] == job_id

    other_day = (EXEC_DATE + dt.timedelta(days=1)).isoformat()
    missing = failed.eros("errors", "--date", other_day)
    assert missing.returncode == 2 and f"no daily_automation run for {other_day}" in missing.stderr
    short = failed.eros("errors", "--job", job_id[:5])
    assert short.returncode == 2 and "at least 6 characters" in short.stderr
    both = failed.eros("errors", "--job", job_id, "--date", EXEC_DATE.isoformat())
    assert both.returncode == 2 and "not both" in both.stderr
    bad = failed.eros("errors", "--date", "2026-02-30")
    assert bad.returncode == 2 and "not a calendar date" in bad.stderr


def test_errors_wide_shows_whole_messages(failed: FailedRun) -> None:
    job_id, _ = _daily_job(failed)
    messages = [m for (m,) in _db(failed, f"select error_message from eros.creator_processing_errors where job_id = '{job_id}'")]
    narrow = failed.eros("errors").stdout
    wide = failed.eros("errors", "--wide").stdout
    longest = max(messages, key=len).partition(":")[2].strip()
    assert longest not in narrow  # cut with an ellipsis at 80 columns
    assert "…" in narrow
    assert all(m.partition(":")[2].strip() in wide for m in messages)


def test_summary_names_the_first_pages_and_points_to_eros_errors(failed: FailedRun) -> None:
    assert failed.returncode == 1
    lines = failed.summary.splitlines()
    assert max(len(line) for line in lines) <= 80, failed.summary
    job_id, seconds = _daily_job(failed)
    first = sorted(failed.manifest["invalid_pages"])[:5]
    assert f"{INVALID_PAGES} page(s) failed validation; the first 5:" in failed.summary
    named = [line.split()[0] for line in lines if line.split() and line.split()[0] in failed.manifest["invalid_pages"]]
    assert named == first
    assert f"eros errors --job {job_id}" in failed.summary
    # one duration per job: the summary shows the job row's job_duration_seconds
    (duration,) = [line for line in lines if line.startswith("duration")]
    assert duration.split()[1:] == [f"{seconds:,.1f}", "s"]


def test_read_page_errors_is_the_reusable_read(failed: FailedRun, monkeypatch: pytest.MonkeyPatch) -> None:
    job_id, _ = _daily_job(failed)
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(failed.database))
    with connect(PROJECT, "local") as warehouse:
        first_two = read_page_errors(warehouse, job_id, limit=2)
        everything = read_page_errors(warehouse, job_id)
        nothing = read_page_errors(warehouse, "no-such-job")
    assert [e["page_name"] for e in everything] == sorted(failed.manifest["invalid_pages"])
    assert first_two == everything[:2] and nothing == []
    assert reason_code("QUARANTINE_RATE: 3 of 4 rows") == "QUARANTINE_RATE"
    assert reason_code("free text: no code") == "UNKNOWN" and reason_code(None) == "UNKNOWN"
