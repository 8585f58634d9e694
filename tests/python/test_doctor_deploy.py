"""`eros doctor` and `eros deploy` on a small generated DuckDB warehouse (issue 8)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from croniter import croniter

from eros_test_support import EROS, PROJECT, RunEros

Query = Callable[[str], list[tuple[Any, ...]]]


def test_doctor_names_a_missing_source_table_and_exits_1(run_eros: RunEros, generate: Callable[..., dict[str, Any]],
                                                         eros_env: dict[str, str]) -> None:
    generate()
    with duckdb.connect(eros_env["EROS_DUCKDB_PATH"]) as con:
        con.execute("drop table raw.caption_bank")
        con.execute("alter table raw.mass_messages drop column earnings")
    env = {**eros_env, "EROS_ALERT_SLACK_URL": "https://webhook.invalid/services/FAKE/FAKE/placeholder-not-a-credential"}
    proc = run_eros("doctor", "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["source tables"]["status"] == "FAIL"
    assert checks["source tables"]["detail"] == "missing table raw.caption_bank; raw.mass_messages lacks column(s) earnings"
    assert {name: c["status"] for name, c in checks.items() if name != "source tables"} == {
        "install": "PASS", "jobs file": "PASS", "profile": "PASS", "write access": "PASS",
        "bigquery permissions": "SKIP", "alert destinations": "PASS",
    }
    assert checks["alert destinations"]["detail"] == "configured: slack"
    assert "placeholder-not-a-credential" not in proc.stdout + proc.stderr
    text = run_eros("doctor", env=env)
    assert text.returncode == 1 and "FAIL  source tables: missing table raw.caption_bank" in text.stdout


def test_deploy_without_terminal_or_force_refuses(run_eros: RunEros) -> None:
    proc = run_eros("deploy")
    assert proc.returncode == 2
    assert "needs confirmation, but there is no terminal: pass --force" in proc.stderr


def test_deploy_dry_run_changes_nothing_then_force_deploys(run_eros: RunEros, generate: Callable[..., dict[str, Any]],
                                                            warehouse: Query, eros_env: dict[str, str], tmp_path: Path) -> None:
    generate()
    exports = tmp_path / "exports"
    dry = run_eros("deploy", "--dry-run", "--export-dir", str(exports))
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "SKIP  write access: dry run: nothing is written" in dry.stdout
    assert "  dbt build --select alert_rules iana_time_zones\n" in dry.stdout
    assert "  dbt build --selector daily\n" in dry.stdout and "dry run: nothing was changed" in dry.stdout
    assert not exports.exists()
    assert warehouse("select count(*) from information_schema.tables where table_schema = 'eros'") == [(0,)]

    forced = subprocess.run([EROS, "deploy", "--force", "--export-dir", str(exports)], cwd=PROJECT, env=eros_env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "dbt build --selector daily --full-refresh: ok" in forced.stdout and "deploy done" in forced.stdout
    assert "dbt build --select alert_rules iana_time_zones --full-refresh: ok" in forced.stdout
    tables = {row[0] for row in warehouse("select table_name from information_schema.tables where table_schema = 'eros'")}
    assert {"scheduled_job_runs", "etl_job_runs", "schedule_generation_queue", "lock_sweep_log"} <= tables
    assert {p.name for p in exports.iterdir()} == {"eros-dbt-cloud-jobs.yml", "eros.crontab", "eros-schedules.github-actions.yml"}
    cron_lines = [line for line in (exports / "eros.crontab").read_text().splitlines() if line and not line.startswith("#")]
    assert len(cron_lines) == 1 and croniter.is_valid(" ".join(cron_lines[0].split()[:5]))
