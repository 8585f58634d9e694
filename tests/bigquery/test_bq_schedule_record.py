"""The schedule record (issue 8) on the BigQuery dialect: `eros schedule run-due` against the
emulator writes scheduled_job_runs through the same run-operation as on DuckDB (MERGE claim,
read-back, finish with an alert row), and a second call finds the slot done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "tests" / "python"))
from schedule_helpers import fake_calls, install_fake_eros, write_jobs_file  # noqa: E402

EROS = str(Path(sys.executable).parent / "eros")
DATASET = "eros_schedule"


def run_due(env: dict[str, str], jobs: Path, now: str) -> tuple[int, dict, str]:
    proc = subprocess.run([EROS, "schedule", "run-due", "--target", "bq_emulator", "--jobs-file", str(jobs), "--now", now, "--json"],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)
    assert proc.stdout.strip().startswith("{"), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_run_due_records_claims_and_retries_on_bigquery(bq_emulator: BigQueryEmulator, tmp_path: Path) -> None:
    script, log = install_fake_eros(tmp_path / "fake")
    env = {
        **os.environ,
        **bq_emulator.dbt_env(DATASET),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "EROS_DUCKDB_PATH": str(tmp_path / "warehouse" / "unused.duckdb"),  # the process lock folder sits beside it
        "EROS_SCHEDULE_EROS_BIN": str(script),
        "FAKE_EROS_LOG": str(log),
        "FAKE_EROS_FAIL_ATTEMPTS": "1",
    }
    jobs = write_jobs_file(tmp_path / "jobs.yml", {"lock-sweep": {"cron": "0 * * * *", "retries": 1, "retry_delay_seconds": 180}})

    code, first, err = run_due(env, jobs, "2026-11-01T09:10:00Z")  # 01:10 PST, the second 01:00 hour
    assert code == 1 and first["jobs"][0]["status"] == "FAILED", err
    code, second, err = run_due(env, jobs, "2026-11-01T09:14:00Z")
    assert code == 0 and (second["jobs"][0]["attempt"], second["jobs"][0]["status"]) == (2, "SUCCEEDED"), err
    code, third, err = run_due(env, jobs, "2026-11-01T09:20:00Z")
    assert code == 0 and third["jobs"][0]["action"] == "DONE", err

    assert [c["run_id"] for c in fake_calls(log)] == ["lock-sweep@2026-11-01T09:00Z#1", "lock-sweep@2026-11-01T09:00Z#2"]
    rows = bq_emulator.query(
        f"select run_id, slot_local, attempt, status, runner_id, message from `{bq_emulator.project}`.{DATASET}.scheduled_job_runs "
        "order by attempt"
    )
    assert [(r["attempt"], r["status"], r["message"]) for r in rows] == [(1, "FAILED", "injected failure"), (2, "SUCCEEDED", None)]
    assert rows[0]["slot_local"] == "2026-11-01 01:00 PST (09:00 UTC)"
    assert rows[1]["runner_id"] == second["runner_id"]
    alerts = bq_emulator.query(
        f"select alert_level, job_id from `{bq_emulator.project}`.{DATASET}.automation_alerts where alert_source = 'scheduler'"
    )
    assert [(a["alert_level"], a["job_id"]) for a in alerts] == [("WARNING", "lock-sweep@2026-11-01T09:00Z#1")]
