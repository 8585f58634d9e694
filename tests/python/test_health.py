"""Health monitoring (issue 6) through the CLI on DuckDB: the scorecard and the health data
tests flip PASS -> WARN -> FAIL on hand-made rows at their thresholds, `eros health` exit
codes (Nagios: 0/1/2/3), every health analysis compiles and runs, and `eros report`
renders in headless Chromium (Playwright) at 1400 and 390 px with no console error, no
network request and drawn charts.

One warehouse is built per module (generated data for today, the caption-performance and
daily jobs, so every table exists with its real schema); each test works on a copy.
Scenario rows are written relative to AS_OF with duckdb, and `eros health --as-of AS_OF`
judges them, so the thresholds are hit exactly (27 h passes, 29 h fails, ...).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from eros.console import number, percent
from eros.health import format_observed
from eros_testing.number_format import SAMPLE_INTEGERS, SAMPLE_PERCENTS, jinja_percent_texts, warehouse_integer_texts

from eros_test_support import EROS, PROJECT

AS_OF = dt.datetime(2026, 6, 17, 11, 0, 0)  # 04:00 in Los Angeles; execution date 2026-06-17
AS_OF_TEXT = AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")
CHECKS = [
    "daily_run_recency",
    "caption_performance_recency",
    "lock_sweep_recency",
    "active_locks_volume",
    "failed_jobs_7d",
    "unacknowledged_critical_24h",
    "caption_attribution_share",
    "mass_messages_freshness",
]
TEST_OUTPUT = PROJECT / "test-output"


# --- fixtures ---------------------------------------------------------------------------


def _env(db: Path, state: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["EROS_DUCKDB_PATH"] = str(db)
    env["DBT_TARGET_PATH"] = str(state / "target")
    env["DBT_LOG_PATH"] = str(state / "logs")
    env["EROS_TARGET"] = "local"
    env.pop("EROS_SOURCE_SCHEMA", None)
    return env


def _eros(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([EROS, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_state_dir: Path) -> Path:
    """A warehouse where every job ran once, for today (template; tests copy it)."""
    db = tmp_path_factory.mktemp("health_base") / "warehouse" / "base.duckdb"
    env = _env(db, dbt_state_dir)
    proc = _eros(env, "generate", "--pages", "12", "--days", "45", "--captions", "300", "--seed", "11", "--json")
    assert proc.returncode == 0, proc.stderr
    for job in ("caption-performance", "daily"):
        proc = _eros(env, "run", job, "--json", "--no-alerts")
        assert proc.returncode == 0, f"{job}: {proc.stderr}\n{proc.stdout[-2000:]}"
    return db


@pytest.fixture
def health_env(base_warehouse: Path, tmp_path: Path, dbt_state_dir: Path) -> dict[str, str]:
    """Environment pointing at a private copy of the base warehouse."""
    db = tmp_path / "warehouse" / "health.duckdb"
    db.parent.mkdir(parents=True)
    shutil.copy(base_warehouse, db)
    return _env(db, dbt_state_dir)


def _health_json(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    proc = _eros(env, "health", "--json", *args)
    assert proc.stdout.strip().startswith("{"), f"exit {proc.returncode}: {proc.stderr}\n{proc.stdout}"
    return proc.returncode, json.loads(proc.stdout)


def _by_check(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check_name"]: c for c in result["checks"]}


# --- scenario rows ----------------------------------------------------------------------


def _ago(hours: float) -> dt.datetime:
    return AS_OF - dt.timedelta(hours=hours)


def write_scenario(
    db: Path,
    *,
    daily_hours: float,
    caption_hours: float,
    sweep_hours: float,
    active_locks: int,
    failed_job_hours: float | None,
    unacknowledged_critical_hours: float | None,
    attributed_of_100: int,
    load_hours: float,
    recent_failed_daily: bool = False,
) -> None:
    """Replace what every scorecard check reads with rows placed relative to AS_OF."""
    exec_date = dt.date(2026, 6, 17)
    with duckdb.connect(str(db)) as con:
        con.execute("set TimeZone = 'UTC'")
        # job runs: one completed daily run, and optionally FAILED runs
        con.execute("delete from eros.etl_job_runs")
        runs = [("daily-ok", "daily_automation", _ago(daily_hours), "SUCCESS")]
        if failed_job_hours is not None:
            runs.append(("sweep-failed", "lock_sweep", _ago(failed_job_hours), "FAILED"))
        if recent_failed_daily:
            runs.append(("daily-failed", "daily_automation", _ago(2), "FAILED"))
        for job_id, name, started, status in runs:
            con.execute(
                "insert into eros.etl_job_runs (job_id, job_name, job_start_time, job_end_time, job_status, execution_date, "
                "creators_processed, creators_failed, job_duration_seconds) values (?, ?, ?, ?, ?, ?, 10, 0, 120)",
                [job_id, name, started, started + dt.timedelta(minutes=2), status, started.date()],
            )
        # caption performance: every row last recomputed caption_hours ago
        con.execute("update eros.caption_bandit_stats set last_updated = ?", [_ago(caption_hours)])
        # lock sweeps: the newest one sweep_hours ago
        con.execute("delete from eros.lock_sweep_log")
        con.execute(
            "insert into eros.lock_sweep_log (sweep_id, sweep_time, business_date, locks_expired_stale, locks_expired_past_date, "
            "total_locks_cleaned, sweep_duration_seconds) values ('sweep-1', ?, ?, 1, 2, 3, 0.5)",
            [_ago(sweep_hours), exec_date],
        )
        # active locks: exactly active_locks, plus inactive ones that must not count
        con.execute("delete from raw.active_caption_assignments")
        con.execute(
            "insert into raw.active_caption_assignments (assignment_key, page_name, caption_id, scheduled_send_date, "
            "is_active, assigned_at) select 'k' || i, 'page_' || (i % 7), i, ?, i < ?, ? from range(?) as t(i)",
            [exec_date, active_locks, _ago(30), active_locks + 50],
        )
        # alerts: an acknowledged CRITICAL (1 h) and an unacknowledged one outside 24 h never count
        con.execute("delete from eros.automation_alerts")
        alerts = [("ack", _ago(1), True), ("old", _ago(25), False)]
        if unacknowledged_critical_hours is not None:
            alerts.append(("open", _ago(unacknowledged_critical_hours), False))
        for alert_id, raised, acknowledged in alerts:
            con.execute(
                "insert into eros.automation_alerts (alert_id, alert_time, alert_level, alert_source, alert_message, acknowledged) "
                "values (?, ?, 'CRITICAL', 'daily_automation', 'scenario', ?)",
                [alert_id, raised, acknowledged],
            )
        # attribution: 100 PPV messages in the 14-day window, none attributed 20 days back
        con.execute("delete from eros.caption_attribution_daily")
        for day, ppv, attributed in [(3, 60, attributed_of_100 // 2), (9, 40, attributed_of_100 - attributed_of_100 // 2), (20, 500, 0)]:
            by_id = attributed // 4
            con.execute(
                "insert into eros.caption_attribution_daily (page_name, sending_date_la, ppv_messages, attributed_by_caption_id, "
                "attributed_by_text, unmatched_messages) values ('page_1', ?, ?, ?, ?, ?)",
                [exec_date - dt.timedelta(days=day), ppv, by_id, attributed - by_id, ppv - attributed],
            )
        # loads of mass_messages: the newest load_hours ago (and one after AS_OF, ignored)
        con.execute("delete from raw.eros_load_log where table_name = 'mass_messages'")
        for loaded in (_ago(load_hours), _ago(load_hours + 170), AS_OF + dt.timedelta(days=3)):
            con.execute("insert into raw.eros_load_log values ('mass_messages', ?, 'append', 1)", [loaded])


PASS_SCENARIO = dict(
    daily_hours=27, caption_hours=7.9, sweep_hours=1.9, active_locks=5000, failed_job_hours=7 * 24 + 1,
    unacknowledged_critical_hours=None, attributed_of_100=80, load_hours=191,
)
WARN_SCENARIO = dict(
    daily_hours=27, caption_hours=9, sweep_hours=3, active_locks=5001, failed_job_hours=6 * 24,
    unacknowledged_critical_hours=None, attributed_of_100=79, load_hours=193,
)
FAIL_SCENARIO = dict(
    daily_hours=29, caption_hours=13, sweep_hours=29, active_locks=10001, failed_job_hours=None,
    unacknowledged_critical_hours=23, attributed_of_100=49, load_hours=337, recent_failed_daily=True,
)
EXPECTED = {
    "pass": {c: "PASS" for c in CHECKS},
    "warn": {
        "daily_run_recency": "PASS", "caption_performance_recency": "WARN", "lock_sweep_recency": "WARN",
        "active_locks_volume": "WARN", "failed_jobs_7d": "WARN", "unacknowledged_critical_24h": "PASS",
        "caption_attribution_share": "WARN", "mass_messages_freshness": "WARN",
    },
    "fail": {
        "daily_run_recency": "FAIL", "caption_performance_recency": "FAIL", "lock_sweep_recency": "FAIL",
        "active_locks_volume": "FAIL", "failed_jobs_7d": "WARN", "unacknowledged_critical_24h": "FAIL",
        "caption_attribution_share": "FAIL", "mass_messages_freshness": "FAIL",
    },
}
# dbt verdicts of the health data tests that must not pass in each scenario (all others pass)
EXPECTED_TESTS = {
    "pass": {},
    "warn": {
        "health_caption_performance_recency_warn": "warn", "health_lock_sweep_recency_warn": "warn",
        "health_active_locks_volume": "warn", "health_failed_jobs_7d": "warn",
        "health_caption_attribution_share_warn": "warn", "health_mass_messages_loaded_warn": "warn",
    },
    "fail": {
        "health_daily_run_recency": "fail",
        "health_caption_performance_recency_warn": "warn", "health_caption_performance_recency_fail": "fail",
        "health_lock_sweep_recency_warn": "warn", "health_lock_sweep_recency_fail": "fail",
        "health_active_locks_volume": "fail", "health_failed_jobs_7d": "warn",
        "health_unacknowledged_critical_24h": "fail",
        "health_caption_attribution_share_warn": "warn", "health_caption_attribution_share_fail": "fail",
        "health_mass_messages_loaded_warn": "warn", "health_mass_messages_loaded_fail": "fail",
    },
}
OBSERVED = {
    "pass": {"daily_run_recency": 27.0, "caption_performance_recency": 7.9, "lock_sweep_recency": 1.9, "active_locks_volume": 5000,
             "failed_jobs_7d": 0, "unacknowledged_critical_24h": 0, "caption_attribution_share": 80.0, "mass_messages_freshness": 191.0},
    "warn": {"daily_run_recency": 27.0, "caption_performance_recency": 9.0, "lock_sweep_recency": 3.0, "active_locks_volume": 5001,
             "failed_jobs_7d": 1, "unacknowledged_critical_24h": 0, "caption_attribution_share": 79.0, "mass_messages_freshness": 193.0},
    "fail": {"daily_run_recency": 29.0, "caption_performance_recency": 13.0, "lock_sweep_recency": 29.0, "active_locks_volume": 10001,
             "failed_jobs_7d": 1, "unacknowledged_critical_24h": 1, "caption_attribution_share": 49.0, "mass_messages_freshness": 337.0},
}


# --- the flips and exit codes 0 / 1 / 2 ---------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "rows", "exit_code"),
    [("pass", PASS_SCENARIO, 0), ("warn", WARN_SCENARIO, 1), ("fail", FAIL_SCENARIO, 2)],
)
def test_checks_flip_at_their_thresholds(health_env: dict[str, str], scenario: str, rows: dict[str, Any], exit_code: int) -> None:
    write_scenario(Path(health_env["EROS_DUCKDB_PATH"]), **rows)
    code, result = _health_json(health_env, "--as-of", AS_OF_TEXT)

    checks = _by_check(result)
    assert list(checks) == CHECKS
    assert {name: c["status"] for name, c in checks.items()} == EXPECTED[scenario]
    for name, value in OBSERVED[scenario].items():
        assert checks[name]["observed_value"] == pytest.approx(value, abs=0.01), name
    assert all(c["checked_at"] == "2026-06-17 11:00:00" for c in checks.values())
    assert code == exit_code and result["exit_code"] == exit_code
    assert result["status"] == {0: "PASS", 1: "WARN", 2: "FAIL"}[exit_code]
    # the dbt data tests (tag health) reach the same verdicts as the scorecard
    verdicts = {t["name"]: t["status"] for t in result["tests"] if t["name"].startswith("health_")}
    assert verdicts == EXPECTED_TESTS[scenario]
    assert result["tests_total"] >= 20
    if scenario == "pass":
        # the levels health_measures judged by are the seed's (their one home) or the vars
        from test_thresholds import load_rules, load_vars

        rules, variables = load_rules(), load_vars()
        with duckdb.connect(health_env["EROS_DUCKDB_PATH"], read_only=True) as con:
            levels = {r[0]: r[1:] for r in con.execute(
                "select measure_id, warn_threshold, fail_threshold, window_minutes from eros.health_measures").fetchall()}
        assert levels["daily_run_recency"] == (None, rules["daily_automation_not_run"]["threshold"], None)
        assert levels["caption_performance_recency"] == (rules["caption_feedback_stale_warning"]["threshold"],
                                                         rules["caption_feedback_stale_critical"]["threshold"], None)
        assert levels["active_locks_volume"] == (rules["active_locks_warning"]["threshold"], rules["active_locks_critical"]["threshold"], None)
        assert levels["lock_cleanup_per_sweep"] == (rules["lock_cleanup_volume_high"]["threshold"], None,
                                                    rules["lock_cleanup_volume_high"]["window_minutes"])
        assert levels["lock_sweep_recency"][:2] == (variables["health_lock_sweep_warn_hours"], variables["health_lock_sweep_fail_hours"])
        assert levels["mass_messages_freshness"][:2] == (variables["mass_messages_freshness_warn_hours"],
                                                         variables["mass_messages_freshness_error_hours"])
    if scenario == "fail":
        # store_failures: the failing rows (one per level breached, with the measure's
        # observed value and its subject) are kept in the audit schema
        with duckdb.connect(health_env["EROS_DUCKDB_PATH"], read_only=True) as con:
            stored = con.execute("select subject_id, observed_value from eros_dbt_test__audit.health_unacknowledged_critical_24h").fetchall()
            locks = con.execute("select breached_level, observed_value from eros_dbt_test__audit.health_active_locks_volume "
                                "order by breached_level").fetchall()
        assert stored == [("open", 1.0)]
        assert locks == [("FAIL", 10001.0), ("WARN", 10001.0)]


def test_never_ran_jobs_are_reported_not_crashed(tmp_path: Path, dbt_state_dir: Path) -> None:
    """Only source data: the job tables do not exist; every recency check FAILs (exit 2)."""
    env = _env(tmp_path / "warehouse" / "fresh.duckdb", dbt_state_dir)
    assert _eros(env, "generate", "--pages", "4", "--days", "10", "--captions", "60").returncode == 0
    code, result = _health_json(env)
    checks = _by_check(result)
    assert code == 2
    assert checks["daily_run_recency"]["status"] == "FAIL" and checks["daily_run_recency"]["observed_value"] is None
    assert checks["caption_performance_recency"]["status"] == "FAIL"
    assert checks["lock_sweep_recency"]["status"] == "FAIL"
    assert checks["caption_attribution_share"]["status"] == "WARN"
    assert "has not run" in checks["caption_attribution_share"]["detail"]
    assert checks["failed_jobs_7d"]["status"] == "PASS"
    # just loaded by `eros generate` (raw.eros_load_log)
    assert checks["mass_messages_freshness"]["status"] == "PASS", checks["mass_messages_freshness"]
    assert "eros_load_log" in checks["mass_messages_freshness"]["detail"]
    # the report still renders, saying which sections wait for a job
    out = tmp_path / "report.html"
    proc = _eros(env, "report", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert "Not available yet: caption_bandit_stats" in page and "Not available yet: page_daily_analysis" in page
    # the health build's on-run-start created the ops tables (the queue among them): empty, not missing
    assert "Nothing queued in the last 3 days" in page and "Not available yet: schedule_generation_queue" not in page


def test_table_output() -> None:
    """The scorecard table a person reads: every check, its status and a unit on the value."""
    from rich.console import Console

    from eros import console, health

    checks = [
        {"check_name": name, "status": status, "observed_value": value, "threshold": f"levels of {name}", "detail": f"seen {name}"}
        for name, status, value in zip(CHECKS, ["PASS", "WARN", "FAIL", "WARN", "PASS", "PASS", "WARN", "PASS"],
                                       [27.0, 9.0, 29.0, 5001, 0, 0, 79.0, None], strict=True)
    ]
    report = health.HealthReport(status="FAIL", exit_code=2, as_of="2026-06-17 11:00:00", execution_date="2026-06-17",
                                 target="local", checks=checks, tests=[{"name": "health_x", "status": "warn", "failing_rows": 2,
                                                                        "message": "2 failing row(s)"}],
                                 tests_total=30, duration_seconds=9.5)
    original = console.stdout
    console.stdout = Console(record=True, width=220, force_terminal=False)
    try:
        health.print_health(report)
        text = console.stdout.export_text()
    finally:
        console.stdout = original
    for name in CHECKS:
        assert name in text
    for shown in ("27.0 h", "5,001", "79.0%", "FAIL", "29 of 30 passed", "WARN health_x: 2 failing row(s)"):
        assert shown in text


# --- exit code 3: could not check -----------------------------------------------------------


def test_no_warehouse_exits_3(tmp_path: Path, dbt_state_dir: Path) -> None:
    env = _env(tmp_path / "missing.duckdb", dbt_state_dir)
    code, result = _health_json(env)
    assert code == 3 and result["status"] == "UNKNOWN"
    assert "no warehouse" in result["error"]
    assert not (tmp_path / "missing.duckdb").exists()
    # a folder that does not exist: the same exit code, and the message names the mistyped folder
    env = _env(tmp_path / "nowhere" / "missing.duckdb", dbt_state_dir)
    code, result = _health_json(env)
    assert code == 3 and result["status"] == "UNKNOWN"
    assert "nowhere does not exist (mistyped EROS_DUCKDB_PATH?)" in result["error"]
    assert not (tmp_path / "nowhere").exists()


def test_build_error_exits_3(health_env: dict[str, str]) -> None:
    with duckdb.connect(health_env["EROS_DUCKDB_PATH"]) as con:
        con.execute("drop table raw.active_caption_assignments")
    code, result = _health_json(health_env, "--as-of", AS_OF_TEXT)
    assert code == 3 and result["status"] == "UNKNOWN"
    assert "active_caption_assignments" in result["error"]


@pytest.mark.parametrize("args", [["--as-of", "yesterday"], ["--target", "nope"], ["--bogus-option"]])
def test_usage_errors_exit_3(health_env: dict[str, str], args: list[str]) -> None:
    proc = _eros(health_env, "health", *args)
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert proc.stderr.strip()


# --- source freshness (dbt source freshness, by load) --------------------------------------------


def test_dbt_source_freshness_is_by_load(health_env: dict[str, str]) -> None:
    """`dbt source freshness` judges the newest eros_load_log row against the clock, not sending_time."""
    dbt = str(Path(EROS).parent / "dbt")
    env = {**health_env, "DBT_PROFILES_DIR": str(PROJECT)}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results = {}
    for label, hours in (("pass", 1), ("warn", 200), ("error", 340)):
        with duckdb.connect(health_env["EROS_DUCKDB_PATH"]) as con:
            con.execute("delete from raw.eros_load_log where table_name = 'mass_messages'")
            con.execute("insert into raw.eros_load_log values ('mass_messages', ?, 'append', 1)", [now - dt.timedelta(hours=hours)])
        target = Path(env["DBT_TARGET_PATH"])
        proc = subprocess.run([dbt, "source", "freshness", "--select", "source:eros.scheduler.mass_messages"],
                              cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
        sources = json.loads((target / "sources.json").read_text())
        results[label] = (proc.returncode, sources["results"][0]["status"])
    assert results == {"pass": (0, "pass"), "warn": (0, "warn"), "error": (1, "error")}


# --- analyses ------------------------------------------------------------------------------------


ANALYSES = sorted(p.stem for p in (PROJECT / "analyses" / "health").glob("*.sql"))


def test_every_analysis_compiles_and_runs(health_env: dict[str, str]) -> None:
    """dbt compile of analyses/health, then each compiled query runs on the generated data."""
    assert len(ANALYSES) == 11
    dbt = str(Path(EROS).parent / "dbt")
    env = {**health_env, "DBT_PROFILES_DIR": str(PROJECT)}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    local_today = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
    variables = json.dumps({"as_of_timestamp": now.strftime("%Y-%m-%d %H:%M:%S"), "execution_date": local_today.isoformat()})
    # the levels an alert rule watches (feedback 8 h / 12 h, cleanup 100 per sweep) are read
    # from the seed alert_rules, their one home; the base warehouse ran its jobs --no-alerts
    proc = subprocess.run([dbt, "seed", "--select", "alert_rules"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = subprocess.run([dbt, "compile", "--select", "path:analyses/health", "--vars", variables],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    folder = Path(env["DBT_TARGET_PATH"]) / "compiled" / "eros" / "analyses" / "health"
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with duckdb.connect(health_env["EROS_DUCKDB_PATH"], read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for name in ANALYSES:
            rows[name] = con.execute((folder / f"{name}.sql").read_text()).fetchall()
        queue_today = con.execute("select status, count(*) from eros.schedule_generation_queue where execution_date = ? group by status",
                                  [local_today]).fetchall()
        alerts_24h = con.execute("select count(*) from eros.automation_alerts where alert_time > ?", [now - dt.timedelta(hours=24)]).fetchone()[0]
        pages_with_stats = con.execute("select count(distinct page_name) from eros.caption_bandit_stats").fetchone()[0]
        sweeps_today = con.execute("select count(*), sum(total_locks_cleaned) from eros.lock_sweep_log").fetchone()

    # the base warehouse ran each job once, today
    daily = [r for r in rows["health_daily_runs_by_day"] if r[1] == "SUCCESS"]
    assert len(daily) == 1 and daily[0][0] == local_today and daily[0][2] == 1
    trends = {r[0] for r in rows["health_job_duration_trends"]}
    assert {"daily_automation", "caption_performance", "lock_sweep"} <= trends
    assert sorted((r[1], r[2]) for r in rows["health_queue_status"] if r[0] == local_today) == sorted(queue_today)
    assert sum(r[2] for r in rows["health_alert_summary_24h"]) == alerts_24h
    assert len(rows["health_feedback_freshness_by_page"]) == pages_with_stats
    assert {r[3] for r in rows["health_feedback_freshness_by_page"]} == {"FRESH"}
    assert rows["health_stale_pages"] == []
    assert rows["health_recurring_page_failures"] == []
    assert [(r[1], r[2]) for r in rows["health_lock_cleanup_by_day"]] == [(sweeps_today[0], sweeps_today[1])]
    top = rows["health_top_captions_by_page"]
    assert top and max(r[1] for r in top) <= 5 and len({r[0] for r in top}) == pages_with_stats
    for _page, _tier, cap, active, upcoming, pct, level in rows["health_active_locks_saturation"]:
        assert upcoming <= active
        if cap:
            assert pct == pytest.approx(round(100.0 * upcoming / (cap * 7), 1))
            assert level == ("CRITICAL" if pct > 80 else "WARNING" if pct > 60 else "OK")


# --- the HTML report in a browser ------------------------------------------------------------


CHART_PROBE = """(() => ({
  plots: Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => ({
    id: p.id,
    traces: (p._fullData || []).length,
    bars: p.querySelectorAll('.barlayer .point path').length,
    points: p.querySelectorAll('.scatterlayer .point').length,
    bar_total: (p.data || []).filter(t => t.type === 'bar').reduce((sum, t) => sum + (t.y || []).reduce((a, b) => a + (b || 0), 0), 0),
  })),
  checks: document.querySelectorAll('#scorecard tbody tr').length,
  headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
}))()"""


def _history(db: Path, days: int = 29) -> None:
    """A month of earlier daily runs (two FAILED days) so the duration chart has a history."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with duckdb.connect(str(db)) as con:
        for day in range(1, days + 1):
            started = now - dt.timedelta(days=day)
            status = "FAILED" if day in (9, 10) else "COMPLETED_WITH_ERRORS" if day % 7 == 3 else "SUCCESS"
            seconds = 60.0 + day if status == "FAILED" else 150.0 + (day * 37) % 130
            con.execute(
                "insert into eros.etl_job_runs (job_id, job_name, job_start_time, job_end_time, job_status, execution_date, "
                "creators_processed, creators_failed, job_duration_seconds) values (?, 'daily_automation', ?, ?, ?, ?, 11, ?, ?)",
                [f"history-{day}", started, started + dt.timedelta(seconds=seconds), status, started.date(),
                 1 if status == "COMPLETED_WITH_ERRORS" else 0, seconds],
            )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One system Chromium (Playwright) for the module's browser tests."""
    from eros_testing.chromium import Browser, find_chromium

    if find_chromium() is None:
        pytest.fail("chromium is not installed: `make chromium` (Debian package chromium) installs it", pytrace=False)
    with Browser() as opened:
        yield opened


def test_report_renders_offline_in_chromium(health_env: dict[str, str], tmp_path: Path, browser: Any) -> None:
    _history(Path(health_env["EROS_DUCKDB_PATH"]))
    out = tmp_path / "report" / "eros_report.html"
    proc = _eros(health_env, "report", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "<script src" not in html and "https://" not in html.split("<script>")[0]

    with duckdb.connect(health_env["EROS_DUCKDB_PATH"], read_only=True) as con:
        pages_with_cap = con.execute("select count(distinct page_name) from eros.page_daily_analysis where daily_send_cap > 0").fetchone()[0]
        stats_pages = con.execute("select count(distinct page_name) from eros.caption_bandit_stats").fetchone()[0]
    for width in (1400, 390):
        with browser.open(out, width=width, settle_seconds=1.0) as opened:
            shot = opened.screenshot(TEST_OUTPUT / f"eros_report_{width}.png")
            probe = opened.page.evaluate(CHART_PROBE)
            assert opened.console_errors == [] and opened.exceptions == []
            assert opened.requested_urls == [out.resolve().as_uri()] and opened.blocked_urls == [], "the report must not fetch anything"
            plots = {p["id"]: p for p in probe["plots"]}
            durations, saturation = plots["chart-daily-durations"], plots["chart-saturation"]
            assert durations["bars"] == 30 and durations["points"] == 30  # 29 days of history + today
            # the saturation histogram counts every page with a send cap once
            assert saturation["bar_total"] == pages_with_cap > 0 and 1 <= saturation["bars"] <= 20
            assert probe["checks"] == len(CHECKS)
            assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 50_000
            # the latest run of each job, and the sections an on-call person reads first
            runs = opened.page.inner_text("#latest-runs")
            assert "daily_automation" in runs and "caption_performance" in runs
            assert opened.page.locator("#top-captions tbody tr").count() == min(10, stats_pages)
            assert "captions explored" in opened.page.inner_text("#learning-cards")
            assert opened.page.evaluate("document.documentElement.scrollWidth") <= width


def test_default_as_of_is_never_before_now() -> None:
    """as_of goes to dbt in whole seconds: the default is rounded up, so a load or a job of
    the current second is not 'after' as_of (it was, once, and the check saw no load)."""
    from eros.health import now_utc_ceiled

    for _ in range(50):
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        value = now_utc_ceiled()
        assert value.microsecond == 0 and value >= before


def test_warehouse_detail_numbers_use_the_one_number_format(health_env: dict[str, str]) -> None:
    """The detail strings the warehouse builds (health_measures, page errors) group thousands
    as the CLI does (issue 15): '8,359 active locks on 95 pages', never '8359'."""
    texts = warehouse_integer_texts(PROJECT, health_env, SAMPLE_INTEGERS)
    assert texts == [None if v is None else number(v) for v in SAMPLE_INTEGERS]
    assert texts[SAMPLE_INTEGERS.index(1234567)] == "1,234,567"


def test_percentages_read_the_same_in_alert_messages_and_the_cli(eros_env: dict[str, str]) -> None:
    """One percent format (issue 15 item 2): the Jinja macro of the alert messages
    (eros_percent) and Python's (eros.console.percent, which eros health uses) write each
    value alike, one decimal always: '97.4%', '100.0%', never '100%' beside '100.0%'."""
    texts = jinja_percent_texts(PROJECT, eros_env, SAMPLE_PERCENTS)
    assert texts == [percent(v) for v in SAMPLE_PERCENTS]
    assert texts[:3] == ["0.0%", "0.5%", "10.0%"] and texts[SAMPLE_PERCENTS.index(100)] == "100.0%"
    assert texts[SAMPLE_PERCENTS.index(97.44)] == format_observed("caption_attribution_share", 97.44) == "97.4%"
    assert format_observed("caption_attribution_share", None) == percent(None) == texts[-1] == "none"
