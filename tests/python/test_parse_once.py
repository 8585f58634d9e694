"""Parse once (issue 11): a new date or as_of does not re-parse the project, every dbt
invocation has its own target folder seeded with the saved parse state, and node results
come from run_results.json as typed objects (eros/dbt_invoke.py)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from eros import dbt_invoke
from eros.dbt_invoke import DbtRun, NodeResult, clean_run_dirs, invoke, read_run_results, split_job_parameters

from eros_test_support import PROJECT

MODEL = "stg_scheduler__mass_messages"


@pytest.fixture
def dbt_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process's dbt subprocesses use a private warehouse and target/log folders."""
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("EROS_EXECUTION_DATE", raising=False)
    monkeypatch.delenv("EROS_AS_OF_TIMESTAMP", raising=False)
    return tmp_path / "target"


def _compile(date: str, as_of: str, events: list[str] | None = None) -> DbtRun:
    return invoke(
        ["compile", "--select", MODEL],
        project=PROJECT, target="local",
        variables={"execution_date": date, "as_of_timestamp": as_of},
        on_event=(lambda e: events.append(e.msg)) if events is not None else None,
    )


def _compiled_sql(run: DbtRun) -> str:
    assert run.target_path is not None
    found = list(run.target_path.glob(f"compiled/**/{MODEL}.sql"))
    assert found, f"no compiled SQL under {run.target_path}"
    return found[0].read_text()


def test_job_parameters_go_to_the_environment_not_vars() -> None:
    cli_vars, env = split_job_parameters({"execution_date": "2026-06-17", "as_of_timestamp": "", "circuit_breaker_failed_pages": 3})
    assert cli_vars == {"circuit_breaker_failed_pages": 3}
    assert env == {"EROS_EXECUTION_DATE": "2026-06-17"}


def test_second_date_reuses_the_parse_and_each_run_has_its_own_target(dbt_env: Path) -> None:
    first_events: list[str] = []
    first = _compile("2026-06-17", "2026-06-17 11:00:00", first_events)
    assert first.ok, first.errors
    assert first.full_parse  # nothing saved yet
    assert "cast('2026-06-17 11:00:00' as timestamp)" in _compiled_sql(first)

    second_events: list[str] = []
    second = _compile("2026-06-18", "2026-06-18 11:00:00", second_events)
    assert second.ok, second.errors
    assert not second.full_parse
    assert not any("Unable to do partial parsing" in msg for msg in second_events)
    # the new parameters reached the SQL although nothing was re-parsed
    sql = _compiled_sql(second)
    assert "cast('2026-06-18 11:00:00' as timestamp)" in sql
    assert "2026-06-17 11:00:00" not in sql
    assert first.target_path != second.target_path
    assert first.target_path.parent == second.target_path.parent == dbt_env / "eros-runs"
    saved = list((dbt_env / "eros-parse").glob("*/partial_parse.msgpack"))
    assert len(saved) == 1


def test_explicit_var_wins_over_the_environment(dbt_env: Path) -> None:
    run = invoke(
        ["compile", "--select", MODEL, "--vars", json.dumps({"as_of_timestamp": "2026-01-02 03:04:05"})],
        project=PROJECT, target="local", variables={"as_of_timestamp": "2026-06-17 11:00:00"},
    )
    assert run.ok, run.errors
    sql = _compiled_sql(run)
    assert "cast('2026-01-02 03:04:05' as timestamp)" in sql
    assert "2026-06-17 11:00:00" not in sql


def test_concurrent_invocations_get_separate_target_paths(dbt_env: Path) -> None:
    # `dbt parse` opens no warehouse connection, so two can run at once on DuckDB too
    # (two builds on one DuckDB file would wait for its lock; on BigQuery they run together).
    _compile("2026-06-17", "2026-06-17 11:00:00")  # saved parse state for both
    runs: dict[str, DbtRun] = {}

    def work(date: str) -> None:
        runs[date] = invoke(["parse"], project=PROJECT, target="local",
                            variables={"execution_date": date, "as_of_timestamp": f"{date} 11:00:00"})

    threads = [threading.Thread(target=work, args=(d,)) for d in ("2026-06-20", "2026-06-21")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    a, b = runs["2026-06-20"], runs["2026-06-21"]
    assert a.ok and b.ok, (a.errors, b.errors)
    assert a.target_path != b.target_path
    assert not a.full_parse and not b.full_parse
    for run in (a, b):
        assert (run.target_path / "manifest.json").is_file()
        assert (run.target_path / "partial_parse.msgpack").is_file()
    # the shared parse state is still whole: the next command parses nothing
    after = _compile("2026-06-22", "2026-06-22 11:00:00")
    assert after.ok and not after.full_parse
    results = json.loads((after.target_path / "run_results.json").read_text())
    assert results["metadata"]["invocation_id"] == after.invocation_id


def test_node_results_are_typed_from_run_results(dbt_env: Path) -> None:
    run = _compile("2026-06-17", "2026-06-17 11:00:00")
    assert run.ok, run.errors
    nodes = [n for n in run.nodes if n.unique_id == f"model.eros.{MODEL}"]
    assert len(nodes) == 1
    node = nodes[0]
    assert isinstance(node, NodeResult)
    assert (node.name, node.resource_type, node.status) == (MODEL, "model", "success")
    assert isinstance(node.execution_time, float)
    assert node.failures is None


def test_read_run_results_types_test_failures(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"results": [
        {"unique_id": "test.eros.not_null_x_id.abc123", "status": "fail", "message": "Got 3 results, configured to fail if != 0",
         "execution_time": 0.25, "failures": 3},
        {"unique_id": "model.eros.x", "status": "error", "message": "Runtime Error", "execution_time": 0.1, "failures": None},
        {"unique_id": "unit_test.eros.x.test_rules", "status": "pass", "message": None, "execution_time": 0.2, "failures": 0},
    ]}))
    test, model, unit = read_run_results(path)
    assert (test.name, test.resource_type, test.status, test.failures) == ("not_null_x_id", "test", "fail", 3)
    assert (model.name, model.resource_type, model.status, model.failures) == ("x", "model", "error", None)
    assert (unit.name, unit.resource_type, unit.failures) == ("test_rules", "unit_test", 0)
    assert read_run_results(tmp_path / "missing.json") == []


def test_ok_needs_exit_zero_and_no_error_event() -> None:
    base = dict(args=["build"], invocation_id="x", nodes=[], payloads=[], elapsed_seconds=1.0)
    assert DbtRun(returncode=0, errors=[], **base).ok
    assert not DbtRun(returncode=0, errors=["Database Error: boom"], **base).ok
    assert not DbtRun(returncode=1, errors=[], **base).ok


def test_old_run_dirs_are_cleaned(tmp_path: Path) -> None:
    runs = tmp_path / dbt_invoke.RUN_DIRS
    now = time.time()
    for i in range(6):
        folder = runs / f"run{i}"
        folder.mkdir(parents=True)
        age = 10 * 3600 if i < 4 else 60  # run0..run3 old, run4..run5 recent
        os.utime(folder, (now - age - i, now - age - i))
    removed = clean_run_dirs(tmp_path, keep=3, max_age_seconds=3600, now=now)
    # the newest 3 stay (run4, run5 and the youngest old one, run0); the other old ones go
    assert sorted(p.name for p in removed) == ["run1", "run2", "run3"]
    assert sorted(p.name for p in runs.iterdir()) == ["run0", "run4", "run5"]
