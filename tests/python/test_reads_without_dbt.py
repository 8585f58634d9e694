"""Reads without dbt (issue 11): the report's sections read the marts directly and find
what the health analyses (compiled by dbt) find on the same warehouse; `eros alerts list`
/ `ack` on a warehouse without tables give one line and exit 2; the reads start no dbt
process."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from eros.report import REPORT_ANALYSES, read_sections
from eros.warehouse import connect
from eros_testing.health_analyses import compile_analyses, run_queries

from eros_test_support import EXEC_DATE, PROJECT, as_of_for


@pytest.fixture(scope="module")
def ran_jobs(tmp_path_factory: pytest.TempPathFactory, dbt_state_dir: Path) -> dict[str, str]:
    """Generated data for EXEC_DATE, then the caption-performance and daily jobs."""
    import subprocess

    from eros_test_support import EROS

    env = dict(os.environ)
    env.update({
        "EROS_DUCKDB_PATH": str(tmp_path_factory.mktemp("reads") / "warehouse" / "reads.duckdb"),
        "DBT_TARGET_PATH": str(dbt_state_dir / "target"), "DBT_LOG_PATH": str(dbt_state_dir / "logs"), "EROS_TARGET": "local",
    })
    env.pop("EROS_SOURCE_SCHEMA", None)

    def eros(*args: str) -> None:
        proc = subprocess.run([EROS, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode in (0, 1), proc.stderr + proc.stdout[-2000:]

    eros("generate", "--pages", "8", "--days", "40", "--captions", "200", "--seed", "5", "--date", EXEC_DATE.isoformat(),
         "--invalid-pages", "1")
    for job in ("caption-performance", "daily"):
        eros("run", job, "--date", EXEC_DATE.isoformat(), "--as-of", as_of_for(EXEC_DATE), "--no-alerts", "--json")
    # an acknowledged alert and an old one, which the open-alerts section leaves out
    with duckdb.connect(env["EROS_DUCKDB_PATH"]) as con:
        con.execute("insert into eros.automation_alerts (alert_id, alert_time, alert_level, alert_source, alert_message, acknowledged) "
                    "values ('acked', now()::timestamp - interval 1 hour, 'CRITICAL', 'test', 'acked', true), "
                    "('old', now()::timestamp - interval 200 hour, 'WARNING', 'test', 'old', false)")
    return env


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        return value[:19].replace("T", " ")
    return str(value) if isinstance(value, dt.date) else value


@pytest.mark.parametrize("as_of", ["job", "now"])
def test_report_sections_match_the_health_analyses(ran_jobs: dict[str, str], monkeypatch: pytest.MonkeyPatch, as_of: str) -> None:
    for key, value in ran_jobs.items():
        monkeypatch.setenv(key, value)
    moment = dt.datetime.fromisoformat(as_of_for(EXEC_DATE)).replace(tzinfo=None) + dt.timedelta(hours=6) if as_of == "job" \
        else dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    local = moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
    variables = {"as_of_timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"), "execution_date": local.isoformat()}
    queries, requires = compile_analyses(PROJECT, "local", variables)
    expected = run_queries(PROJECT, "local", queries, requires)
    with connect(PROJECT, "local") as warehouse:
        sections = read_sections(warehouse, moment, {"saturation_horizon_days": 7, "health_saturation_critical_pct": 80,
                                                     "health_saturation_warning_pct": 60})
    for name in REPORT_ANALYSES:
        want = [{k: _normal(v) for k, v in row.items()} for row in expected[name]["rows"]]
        got = [{k: _normal(v) for k, v in row.items() if k in (want[0] if want else row)} for row in sections[name]["rows"]]
        assert got == want, name
        assert not sections[name].get("missing")
    assert sections["health_active_locks_saturation"]["rows"] and sections["health_top_captions_by_page"]["rows"]
    if as_of == "job":
        # one clock: the jobs ran with --as-of, so their rows carry that instant and fall in the window of the job's day
        assert sections["health_queue_status"]["rows"]
        assert {r["job_name"] for r in sections["health_job_duration_trends"]["rows"]} >= {"daily_automation", "caption_performance"}
        # the report's caption-learning line (no analysis of its own): on the execution date the
        # attribution window holds the generated PPV messages
        learning = sections["caption_learning"]["rows"][0]
        assert learning["pages"] > 0 and learning["captions_observed"] > 0 and learning["recommendations"] > 0
        assert learning["ppv_messages"] > 0 and 0 < learning["attributed_pct"] <= 100
        assert learning["ppv_messages"] == learning["attributed_by_caption_id"] + learning["attributed_by_text"] + learning["unmatched_messages"]
        # what failed and why: the page errors of the latest daily run (the generated invalid page);
        # judged here, in the 7 days of runs the report shows (the jobs' rows carry their --as-of instant)
        with duckdb.connect(ran_jobs["EROS_DUCKDB_PATH"], read_only=True) as con:
            job_id, failed = con.execute("select job_id, creators_failed from eros.etl_job_runs where job_name = 'daily_automation' "
                                         "order by job_start_time desc limit 1").fetchone()
            pages = [r[0] for r in con.execute("select page_name from eros.creator_processing_errors where job_id = ? order by page_name",
                                               [job_id]).fetchall()]
        latest = {r["job_name"]: r for r in sections["latest_runs"]["rows"] if r["latest"]}
        assert latest["daily_automation"]["job_id"] == job_id and latest["daily_automation"]["creators_failed"] == failed
        assert [r["page_name"] for r in sections["page_errors"]["rows"]] == pages and len(pages) == failed >= 1
        assert all(r["reason"] != "UNKNOWN" for r in sections["page_errors"]["rows"])
    else:
        # months after the replayed instant: no run in the last 30 days, and the acknowledged alert is not open
        assert sections["health_job_duration_trends"]["rows"] == []
        assert [r["alert_message"] for r in sections["health_open_alerts"]["rows"]].count("acked") == 0


def test_alert_reads_on_a_warehouse_without_tables(run_eros, eros_env: dict[str, str], generate) -> None:
    proc = run_eros("alerts", "list")
    assert proc.returncode == 2
    assert proc.stderr.startswith("eros: error: no warehouse yet at ") and "run 'eros demo' or 'eros run daily' first" in proc.stderr
    assert not Path(eros_env["EROS_DUCKDB_PATH"]).exists(), "a read must not create the warehouse"
    generate(pages=3, days=5)
    for args in (("alerts", "list"), ("alerts", "ack", "abcdef123", "--by", "ana"), ("alerts", "send", "--dry-run")):
        proc = run_eros(*args, env={**eros_env, "EROS_ALERT_SLACK_URL": "json://127.0.0.1:9/x"})
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.strip().count("\n") == 0
        assert "table yet in eros: run a job first (`eros run daily`, or `dbt build --selector alerts`)" in proc.stderr, proc.stderr
    # no dbt process ran: dbt would have created the models' schema
    with duckdb.connect(eros_env["EROS_DUCKDB_PATH"], read_only=True) as con:
        assert con.execute("select count(*) from information_schema.schemata where schema_name = 'eros'").fetchone()[0] == 0


def test_alerts_list_and_ack_need_no_dbt(run_eros, eros_env: dict[str, str], tmp_path: Path) -> None:
    """list and ack on a hand-made automation_alerts (an older one: no rule columns, no alert_rules): no dbt process starts."""
    db = Path(eros_env["EROS_DUCKDB_PATH"])
    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema eros")
        con.execute("create table eros.automation_alerts (alert_id varchar, alert_time timestamp, alert_level varchar, alert_source varchar, "
                    "alert_message varchar, job_id varchar, acknowledged boolean, acknowledged_at timestamp, acknowledged_by varchar, "
                    "rule_id varchar, status varchar, resolved_at timestamp)")
        con.execute("insert into eros.automation_alerts values ('a1b2c3d4e5f6', '2026-06-17 10:00:00', 'CRITICAL', 'daily_automation', "
                    "'Daily automation FAILED', 'j1', false, null, null, null, 'OPEN', null)")
    # private dbt folders: a dbt process would create its log folder
    env = {**eros_env, "DBT_LOG_PATH": str(tmp_path / "dbt-logs"), "DBT_TARGET_PATH": str(tmp_path / "dbt-target")}
    listed = run_eros("alerts", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    (alert,) = json.loads(listed.stdout)["alerts"]
    shown = (alert["alert_id"], alert["alert_time"], alert["status"], alert["condition_value"])
    assert shown == ("a1b2c3d4e5f6", "2026-06-17 10:00:00", "OPEN", None)
    acked = run_eros("alerts", "ack", "a1b2c3", "--by", "ana", "--json", env=env)
    assert acked.returncode == 0, acked.stderr
    result = json.loads(acked.stdout)
    assert result["changed"] and result["status"] == "RESOLVED" and result["acknowledged_by"] == "ana"
    assert run_eros("alerts", "list", "--json", env=env).stdout.count("a1b2c3d4e5f6") == 0  # resolved: not listed
    unknown = run_eros("alerts", "ack", "zzzzzz", "--by", "ana", env=env)
    assert unknown.returncode == 2 and unknown.stderr.strip() == (
        "eros: error: no alert with id or id prefix 'zzzzzz': `eros alerts list --all` shows the ids")
    short = run_eros("alerts", "ack", "a1b", "--by", "ana", env=env)
    assert short.returncode == 2 and "an id prefix needs at least 6 characters" in short.stderr
    assert not (tmp_path / "dbt-logs").exists() and not (tmp_path / "dbt-target").exists(), "a dbt process ran"
