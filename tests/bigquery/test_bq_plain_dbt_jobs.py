"""One job = one dbt build on the BigQuery emulator (issue 11): for every scheduled job,
plain ``dbt build --selector <job>`` (what a dbt Cloud job runs, no eros, no other dbt
command) on a fresh dataset records the same rows as ``eros run <job>`` on an identical
one: job rows (the daily job's sweep too), page errors, queue, page analysis, quarantine,
sweep log, lock state, alerts and the caption job's recommendations (job ids mapped to run
numbers, run-time stamps left out).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eros.generate import GenerationConfig
from eros.jobs import JOBS
from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import AS_OF, EROS, EXEC_DATE, PROJECT_DIR, ParityScenario, table_differences

DBT = str(Path(sys.executable).parent / "dbt")
OPS_TABLES = ("etl_job_runs", "automation_alerts", "alert_deliveries", "lock_sweep_log", "scheduled_job_runs",
              "creator_processing_errors", "schedule_generation_queue")
AS_OF_VAR = "2026-06-17 11:00:00"  # AS_OF as the dbt var eros passes (naive UTC)
RECOMMENDATION_COLUMNS = ("page_name, recommendation_rank, caption_id, selection_reason, evidence_source, "
                          "expected_earnings_per_recipient, sampled_earnings_per_recipient")


def _job_ids(scenario: ParityScenario, key: str) -> list[str]:
    """[the job's id, its lock sweep's id or ""]: the run order ParityScenario.snapshot maps to run1, run1-sweep."""
    rows = scenario.query("bigquery", f"select job_id, job_name from {scenario.table('bigquery', 'etl_job_runs')}")
    (job_id,) = [r["job_id"] for r in rows if r["job_name"] == JOBS[key].job_name]
    sweeps = [r["job_id"] for r in rows if r["job_name"] == "lock_sweep" and r["job_id"] != job_id]
    return [job_id, *sweeps] if sweeps else [job_id, ""]


def _recommendations(scenario: ParityScenario) -> list[tuple]:
    if not scenario.exists("bigquery", "caption_recommendations"):
        return []
    rows = scenario.query("bigquery", f"select {RECOMMENDATION_COLUMNS} from {scenario.table('bigquery', 'caption_recommendations')}")
    return sorted((r["page_name"], r["recommendation_rank"], r["caption_id"], r["selection_reason"], r["evidence_source"],
                   round(r["expected_earnings_per_recipient"], 8), round(r["sampled_earnings_per_recipient"], 8)) for r in rows)


@pytest.mark.parametrize("key", ["daily", "caption-performance", "lock-sweep"])
def test_plain_dbt_build_records_what_eros_run_records(bq_emulator: BigQueryEmulator, tmp_path_factory, key: str) -> None:
    spec = JOBS[key]
    config = GenerationConfig(pages=8, days=35, seed=11, execution_date=EXEC_DATE, captions=300, invalid_pages=1)
    name = key.replace("-", "_")
    plain = ParityScenario.create(tmp_path_factory.mktemp("plain"), bq_emulator, name=f"plain_{name}", config=config)
    via_eros = ParityScenario.create(tmp_path_factory.mktemp("viaeros"), bq_emulator, name=f"eros_{name}", config=config)

    env = dict(plain.env("bigquery"), DBT_PROFILES_DIR=str(PROJECT_DIR))
    variables = {"as_of_timestamp": AS_OF_VAR}
    if key != "lock-sweep":
        variables["execution_date"] = EXEC_DATE.isoformat()
    build = subprocess.run([DBT, "build", "--selector", spec.selector, "--target", "bq_emulator", "--vars", json.dumps(variables)],
                           cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1800)
    assert "EROS_JSON {\"alert_evaluation\"" in build.stdout, build.stdout[-4000:]  # the build evaluated the rules
    plain.job_ids["bigquery"] = _job_ids(plain, key)

    dated = [] if key == "lock-sweep" else ["--date", EXEC_DATE.isoformat()]
    ran = subprocess.run([EROS, "run", key, "--target", "bq_emulator", *dated, "--as-of", AS_OF, "--json"],
                         cwd=PROJECT_DIR, env=via_eros.env("bigquery"), capture_output=True, text=True, timeout=1800)
    assert ran.stdout.strip().startswith("{"), ran.stderr[-3000:]
    outcome = json.loads(ran.stdout)
    assert [s["command"] for s in outcome["steps"]] == [f"build --selector {spec.selector}"]
    via_eros.job_ids["bigquery"] = _job_ids(via_eros, key)
    assert via_eros.job_ids["bigquery"][0] == outcome["job_id"]

    differences = table_differences(plain.snapshot("bigquery"), via_eros.snapshot("bigquery"), labels=("plain dbt", "eros"))
    assert not differences, "\n".join(differences)
    assert _recommendations(plain) == _recommendations(via_eros)

    # the whole job happened in the one build, on a fresh dataset: every ops table, the job row, the sweep
    for table in OPS_TABLES:
        assert plain.exists("bigquery", table), table
    jobs = plain.query("bigquery", f"select job_name, job_status from {plain.table('bigquery', 'etl_job_runs')}")
    sweeps = plain.query("bigquery", f"select sweep_id, parent_job_id, total_locks_cleaned from {plain.table('bigquery', 'lock_sweep_log')}")
    job_id, sweep_id = plain.job_ids["bigquery"]
    if key == "daily":
        assert outcome["status"] == "COMPLETED_WITH_ERRORS", outcome.get("error_message")
        assert sorted((j["job_name"], j["job_status"]) for j in jobs) == [("daily_automation", "COMPLETED_WITH_ERRORS"),
                                                                         ("lock_sweep", "SUCCESS")]
        assert [(s["sweep_id"], s["parent_job_id"]) for s in sweeps] == [(sweep_id, job_id)] and sweep_id == f"{job_id}.sweep"
        assert sweeps[0]["total_locks_cleaned"] > 0
        alerts = plain.query("bigquery", f"select alert_level, alert_source from {plain.table('bigquery', 'automation_alerts')}")
        assert ("WARNING", "daily_automation") in {(a["alert_level"], a["alert_source"]) for a in alerts}
        # the queue holds exactly the valid pages below the saturation threshold
        queued = plain.query("bigquery", f"select page_name from {plain.table('bigquery', 'schedule_generation_queue')}")
        due = plain.query("bigquery", f"select page_name from {plain.table('bigquery', 'page_daily_analysis')} "
                                      "where needs_schedule and validation_error is null")
        assert queued and sorted(r["page_name"] for r in queued) == sorted(r["page_name"] for r in due)
        assert plain.query("bigquery", f"select count(*) as n from {plain.table('bigquery', 'creator_processing_errors')}")[0]["n"] == 1
    elif key == "lock-sweep":
        assert build.returncode == 0, build.stdout[-3000:]
        assert outcome["status"] == "SUCCESS", outcome.get("error_message")
        assert [(j["job_name"], j["job_status"]) for j in jobs] == [("lock_sweep", "SUCCESS")]
        assert [(s["sweep_id"], s["parent_job_id"]) for s in sweeps] == [(job_id, None)]
        assert sweeps[0]["total_locks_cleaned"] > 0
    else:
        assert build.returncode == 0, build.stdout[-3000:]
        assert outcome["status"] == "SUCCESS", outcome.get("error_message")
        assert [(j["job_name"], j["job_status"]) for j in jobs] == [(spec.job_name, "SUCCESS")]
        assert sweeps == []
        recommendations = _recommendations(plain)
        pages = {r[0] for r in recommendations}
        assert pages and len(recommendations) == 20 * len(pages)
