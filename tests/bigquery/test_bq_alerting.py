"""Alerting (issue 7) on the BigQuery dialect: the alerting tables built on the emulator,
`eros alerts evaluate` raising (and adopting the job's own alert), cooldown, the condition
clearing, `eros alerts send` to a loopback webhook with the ledger in BigQuery, and `ack`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "tests" / "python"))
from alerting_helpers import webhook_receiver  # noqa: E402

EROS = str(Path(sys.executable).parent / "eros")
DBT = str(Path(sys.executable).parent / "dbt")
DATASET = "eros_alerting"


def _eros(env: dict[str, str], *args: str) -> dict:
    proc = subprocess.run([EROS, *args, "--json"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and proc.stdout.strip().startswith("{"), proc.stderr
    return json.loads(proc.stdout)


def test_rules_raise_adopt_clear_and_deliver_on_bigquery(bq_emulator: BigQueryEmulator, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **bq_emulator.dbt_env(DATASET),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "EROS_DUCKDB_PATH": str(tmp_path / "warehouse" / "unused.duckdb"),  # the process locks sit beside it
    }
    bq_emulator.create_dataset(DATASET)
    build = subprocess.run(
        [DBT, "build", "--select", "etl_job_runs", "lock_sweep_log", "alert_rules", "tag:alerts", "--exclude", "resource_type:unit_test",
         "--indirect-selection", "cautious", "--target", "bq_emulator"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:]
    table = f"`{bq_emulator.project}`.{DATASET}"
    bq_emulator.query(
        f"insert into {table}.etl_job_runs (job_id, job_name, job_start_time, job_end_time, job_status, execution_date, "
        "creators_processed, creators_failed, job_duration_seconds) values ('j1', 'daily_automation', timestamp '2026-06-17 10:00:00', "
        "timestamp '2026-06-17 10:05:00', 'FAILED', date '2026-06-17', 0, 0, 300.0)"
    )
    bq_emulator.query(
        f"insert into {table}.automation_alerts (alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged) "
        "values ('hook-1', timestamp '2026-06-17 10:05:00', 'CRITICAL', 'daily_automation', 'Daily automation FAILED', 'j1', false)"
    )

    first = _eros(env, "alerts", "evaluate", "--as-of", "2026-06-17T10:10:00Z")
    assert [(a["alert_id"], a["rule_id"], a["adopted"]) for a in first["raised"]] == [("hook-1", "daily_automation_failed", True)]
    assert _eros(env, "alerts", "evaluate", "--as-of", "2026-06-17T10:40:00Z")["raised"] == []  # cooldown 60 min

    with webhook_receiver() as receiver:
        send_env = {**env, "EROS_ALERT_SLACK_URL": receiver.url("slack"), "EROS_ALERT_PAGERDUTY_URL": receiver.url("pagerduty")}
        report = _eros(send_env, "alerts", "send", "--now", "2026-06-17T10:41:00Z")
        assert report["sent"] == 2 and report["failed"] == 0  # Slack notify + PagerDuty (36 min unacknowledged)
        (slack,) = receiver.on("/slack")
        (page,) = receiver.on("/pagerduty")
        assert slack["message"].startswith("<!channel> ") and "hook-1" in slack["message"] and "ESCALATION" in page["title"]
        again = _eros(send_env, "alerts", "send", "--now", "2026-06-17T10:50:00Z")
        assert again["batches"] == [] and len(receiver.requests) == 2

    ack = _eros(env, "alerts", "ack", "hook-1", "--by", "bq")
    assert ack["status"] == "RESOLVED" and ack["acknowledged_by"] == "bq"
    clear = _eros(env, "alerts", "evaluate", "--as-of", "2026-06-17T13:00:00Z")
    assert next(c for c in clear["conditions"] if c["rule_id"] == "daily_automation_failed")["condition_status"] == "CLEAR"
    rows = bq_emulator.query(f"select alert_id, rule_id, status, acknowledged from {table}.automation_alerts order by alert_id")
    assert [(r["alert_id"], r["rule_id"], r["status"], r["acknowledged"]) for r in rows] == [("hook-1", "daily_automation_failed", "RESOLVED", True)]
    ledger = bq_emulator.query(f"select channel, delivery_kind, status, attempts from {table}.alert_deliveries order by channel")
    assert [tuple(r.values()) for r in ledger] == [("pagerduty", "escalation", "SENT", 1), ("slack", "notify", "SENT", 1)]
