"""One job = one dbt build on the BigQuery emulator (issue 11): plain
``dbt build --selector daily`` (what a dbt Cloud job runs, no eros, no other dbt command)
on a fresh dataset records the same rows as ``eros run daily`` on an identical one: job
rows (daily and its sweep), page errors, queue, page analysis, quarantine, sweep log, lock
state and alerts (job ids mapped to run numbers, run-time stamps left out).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eros.generate import GenerationConfig
from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import AS_OF, EROS, EXEC_DATE, PROJECT_DIR, ParityScenario, table_differences

DBT = str(Path(sys.executable).parent / "dbt")
OPS_TABLES = ("etl_job_runs", "automation_alerts", "alert_deliveries", "lock_sweep_log", "scheduled_job_runs",
              "creator_processing_errors", "schedule_generation_queue")


def test_plain_dbt_build_daily_records_what_eros_run_daily_records(bq_emulator: BigQueryEmulator, tmp_path_factory) -> None:
    config = GenerationConfig(pages=8, days=40, seed=11, execution_date=EXEC_DATE, captions=300, invalid_pages=1)
    plain = ParityScenario.create(tmp_path_factory.mktemp("plain"), bq_emulator, name="plain_dbt", config=config)
    via_eros = ParityScenario.create(tmp_path_factory.mktemp("viaeros"), bq_emulator, name="via_eros", config=config)

    env = dict(plain.env("bigquery"), DBT_PROFILES_DIR=str(PROJECT_DIR))
    variables = {"execution_date": EXEC_DATE.isoformat(), "as_of_timestamp": "2026-06-17 11:00:00"}
    build = subprocess.run([DBT, "build", "--selector", "daily", "--target", "bq_emulator", "--vars", json.dumps(variables)],
                           cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1800)
    assert "EROS_JSON {\"alert_evaluation\"" in build.stdout, build.stdout[-4000:]  # the build evaluated the rules
    (daily_id,) = [r["job_id"] for r in plain.query("bigquery", f"select job_id from {plain.table('bigquery', 'etl_job_runs')} "
                                                                 "where job_name = 'daily_automation'")]
    plain.job_ids["bigquery"] = [daily_id, f"{daily_id}.sweep"]

    ran = subprocess.run([EROS, "run", "daily", "--target", "bq_emulator", "--date", EXEC_DATE.isoformat(), "--as-of", AS_OF, "--json"],
                         cwd=PROJECT_DIR, env=via_eros.env("bigquery"), capture_output=True, text=True, timeout=1800)
    assert ran.stdout.strip().startswith("{"), ran.stderr[-3000:]
    outcome = json.loads(ran.stdout)
    assert outcome["status"] == "COMPLETED_WITH_ERRORS", outcome.get("error_message")
    assert [s["command"] for s in outcome["steps"]] == ["build --selector daily"]
    via_eros.job_ids["bigquery"] = [outcome["job_id"], outcome["counts"]["lock_sweep_job_id"]]

    differences = table_differences(plain.snapshot("bigquery"), via_eros.snapshot("bigquery"), labels=("plain dbt", "eros"))
    assert not differences, "\n".join(differences)

    # the whole job happened in the one build: every ops table, the sweep, the page error, the queue
    for table in OPS_TABLES:
        assert plain.exists("bigquery", table), table
    sweeps = plain.query("bigquery", f"select sweep_id, parent_job_id, total_locks_cleaned from {plain.table('bigquery', 'lock_sweep_log')}")
    assert [(s["sweep_id"], s["parent_job_id"]) for s in sweeps] == [(f"{daily_id}.sweep", daily_id)]
    assert sweeps[0]["total_locks_cleaned"] > 0
    jobs = plain.query("bigquery", f"select job_name, job_status from {plain.table('bigquery', 'etl_job_runs')}")
    assert sorted((j["job_name"], j["job_status"]) for j in jobs) == [("daily_automation", "COMPLETED_WITH_ERRORS"), ("lock_sweep", "SUCCESS")]
    alerts = plain.query("bigquery", f"select alert_level, alert_source from {plain.table('bigquery', 'automation_alerts')}")
    assert ("WARNING", "daily_automation") in {(a["alert_level"], a["alert_source"]) for a in alerts}
    # the queue holds exactly the valid pages below the saturation threshold
    queued = plain.query("bigquery", f"select page_name from {plain.table('bigquery', 'schedule_generation_queue')}")
    due = plain.query("bigquery", f"select page_name from {plain.table('bigquery', 'page_daily_analysis')} "
                                  "where needs_schedule and validation_error is null")
    assert sorted(r["page_name"] for r in queued) == sorted(r["page_name"] for r in due)
    assert plain.query("bigquery", f"select count(*) as n from {plain.table('bigquery', 'creator_processing_errors')}")[0]["n"] == 1
