"""Same answer on every re-run, one clock (issue 13, items 3 and 4), through the CLI on DuckDB.

* A date's daily job gives the same queue whether it runs once or three times, with hourly
  sweeps (`eros run lock-sweep`) in between: saturation and the page verdicts are judged on
  the locks as they stood at the start of the execution date (model int_pages__lock_metrics),
  so neither the job's own sweep nor the hourly ones change them.
* With --as-of, every time the run writes (job rows of the daily job and of its sweep,
  alerts, the sweep log, the analysis, the queue, the page errors, deliveries) is that
  instant, and health judged at that instant sees the run.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from eros_test_support import EXEC_DATE

LA_MIDNIGHT_UTC = dt.datetime(2026, 6, 17, 7, 0, 0)  # 2026-06-17 00:00 PDT
RUNS = [dt.datetime(2026, 6, 17, 11, 0, 0), dt.datetime(2026, 6, 17, 15, 30, 0), dt.datetime(2026, 6, 17, 22, 45, 0)]
SWEEPS = [dt.datetime(2026, 6, 17, 13, 0, 0), dt.datetime(2026, 6, 17, 19, 0, 0)]


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plant_locks(db: str, full_page: str, stale_page: str) -> None:
    """full_page: a week of upcoming locks assigned 7 days before midnight + 1..3 h, so they are
    live at the start of the date (they count) and stale for every sweep of the day (which
    deactivates them). stale_page: as many upcoming locks already stale at midnight (never count)."""
    rows = []
    for i in range(7 * 40):
        send = EXEC_DATE + dt.timedelta(days=i % 7)
        rows.append((f"plant-full-{i}", full_page, send, LA_MIDNIGHT_UTC - dt.timedelta(days=7) + dt.timedelta(hours=1 + i % 3)))
        rows.append((f"plant-stale-{i}", stale_page, send, LA_MIDNIGHT_UTC - dt.timedelta(days=8)))
    with duckdb.connect(db) as con:
        caption_id, caption_text = con.execute("select caption_id, caption_text from raw.caption_bank order by caption_id limit 1").fetchone()
        con.executemany(
            "insert into raw.active_caption_assignments (assignment_key, page_name, caption_id, caption_text, assigned_date, "
            "scheduled_send_date, scheduled_send_hour, price_tier, is_active, assigned_at) values (?, ?, ?, ?, ?, ?, 9, 'mid', true, ?)",
            [(key, page, caption_id, caption_text, assigned.date(), send, assigned) for key, page, send, assigned in rows],
        )


def _queue(warehouse) -> list[tuple[Any, ...]]:
    return warehouse(
        "select page_name, saturation_pct, status, queued_by_job_id, queued_at from eros.schedule_generation_queue "
        f"where execution_date = '{EXEC_DATE}' order by page_name"
    )


def _verdicts(warehouse) -> list[tuple[Any, ...]]:
    """The date's analysis (the latest run's: page_daily_analysis keeps one row per page and date)."""
    return warehouse(
        "select page_name, upcoming_locked_sends, saturation_pct, needs_schedule, validation_error "
        f"from eros.page_daily_analysis where execution_date = '{EXEC_DATE}' order by page_name"
    )


def _daily(run_eros, as_of: dt.datetime, env: dict[str, str]) -> dict[str, Any]:
    proc = run_eros("run", "daily", "--date", EXEC_DATE.isoformat(), "--as-of", _iso(as_of), "--json", env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _sweep(run_eros, as_of: dt.datetime, env: dict[str, str]) -> dict[str, Any]:
    proc = run_eros("run", "lock-sweep", "--as-of", _iso(as_of), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_three_runs_with_sweeps_between_give_one_queue_and_one_clock(generate, run_eros, warehouse, eros_env):
    # one page fails validation: the run is COMPLETED_WITH_ERRORS and raises a WARNING alert
    manifest = generate(8, 40, 21, EXEC_DATE, "--invalid-pages", "1")
    pages = [p for p in manifest["pages"] if p not in manifest["inactive_pages"] + manifest["invalid_pages"]]
    full_page, stale_page = pages[0], pages[1]
    _plant_locks(eros_env["EROS_DUCKDB_PATH"], full_page, stale_page)
    # deliveries are attempted (and recorded) at the run's instant: a destination that refuses
    env = {**eros_env, "EROS_ALERT_SLACK_URL": "json://127.0.0.1:9/hook", "EROS_ALERT_GCHAT_URL": "json://127.0.0.1:9/chat"}

    first = _daily(run_eros, RUNS[0], env)
    queue_once = _queue(warehouse)
    verdicts_once = _verdicts(warehouse)
    assert first["counts"]["pages_queued"] == len(queue_once) > 0

    # the live-at-midnight locks count (the page is full) and the stale-at-midnight ones never do
    analysis = dict(warehouse("select page_name, upcoming_locked_sends from eros.page_daily_analysis "
                              f"where job_id = '{first['job_id']}'"))
    assert analysis[full_page] >= 7 * 40 and full_page not in {r[0] for r in queue_once}
    stale_planted = warehouse(f"select count(*) from raw.active_caption_assignments where page_name = '{stale_page}' "
                              "and assignment_key like 'plant-stale-%' and deactivation_reason = 'STALE_7DAY'")[0][0]
    assert stale_planted == 7 * 40, "the run's own sweep deactivated the stale-at-midnight locks"

    # --- one clock: every time the first run wrote is its --as-of instant ------------------
    t = RUNS[0]
    job_rows = warehouse("select job_id, job_name, job_start_time, job_end_time, job_status from eros.etl_job_runs "
                         f"where job_id in ('{first['job_id']}', '{first['job_id']}.sweep') order by job_name")
    assert [(r[1], r[2], r[3]) for r in job_rows] == [("daily_automation", t, t), ("lock_sweep", t, t)], job_rows
    assert warehouse(f"select distinct sweep_time from eros.lock_sweep_log where sweep_id = '{first['job_id']}.sweep'") == [(t,)]
    assert warehouse(f"select distinct analysed_at from eros.page_daily_analysis where job_id = '{first['job_id']}'") == [(t,)]
    assert {r[4] for r in queue_once} == {t}
    alert_times = warehouse("select distinct alert_time from eros.automation_alerts")
    assert alert_times == [(t,)], "job alerts and the rule evaluation at the end of the build are stamped with --as-of"
    deliveries = warehouse("select distinct first_attempt_at, last_attempt_at from eros.alert_deliveries")
    assert deliveries == [(t, t)], deliveries
    assert first["job_row"]["job_duration_seconds"] > 0, "durations stay real elapsed seconds"

    # --- re-runs after hourly sweeps: nothing added, nothing changed ------------------------
    _sweep(run_eros, SWEEPS[0], env)
    full_left = warehouse(f"select count(*) from raw.active_caption_assignments where page_name = '{full_page}' "
                          "and assignment_key like 'plant-full-%' and is_active")[0][0]
    assert full_left == 0, "by the hourly sweep every planted lock of the full page is stale and deactivated"
    second = _daily(run_eros, RUNS[1], env)
    assert _verdicts(warehouse) == verdicts_once
    _sweep(run_eros, SWEEPS[1], env)
    third = _daily(run_eros, RUNS[2], env)

    assert second["counts"]["pages_queued"] == 0 and third["counts"]["pages_queued"] == 0
    assert _queue(warehouse) == queue_once
    assert _verdicts(warehouse) == verdicts_once, "same saturation and verdicts for every page on every re-run"
    assert warehouse(f"select distinct job_id from eros.page_daily_analysis where execution_date = '{EXEC_DATE}'") == [(third["job_id"],)]

    # health judged at the third run's instant sees that run (and its sweep)
    proc = run_eros("health", "--as-of", _iso(RUNS[2]), "--json", env=env)
    checks = {c["check_name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["daily_run_recency"]["status"] == "PASS", checks["daily_run_recency"]
    assert checks["lock_sweep_recency"]["status"] == "PASS", checks["lock_sweep_recency"]
