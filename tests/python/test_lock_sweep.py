"""End-to-end tests of the lock sweep (issue 5) through the CLI and plain dbt, on DuckDB.

Expected outcomes are written here from DOMAIN.md "Lock sweep" (and the precedence rule of
macros/locks/sweep_locks.sql: PAST_SEND_DATE wins over STALE_7DAY), not from the project's
SQL: "today" is the America/Los_Angeles date of the sweep, stale means assigned_at more than
7 x 24 h before the sweep.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from eros_test_support import EXEC_DATE, PROJECT, as_of_for, run_daily_json

LA = ZoneInfo("America/Los_Angeles")
DBT = str(Path(sys.executable).parent / "dbt")
LOCKS = "raw.active_caption_assignments"
COLUMNS = (
    "assignment_key, page_name, caption_id, caption_text, assigned_date, scheduled_send_date, scheduled_send_hour, "
    "price_tier, is_active, assigned_at, schedule_id, deactivated_at, deactivation_reason"
)


# ---- helpers ---------------------------------------------------------------------------

def utc(text: str) -> dt.datetime:
    """Naive UTC datetime from an ISO text with an offset (or Z)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)


def lock(key: str, page: str, send_date: dt.date | None, assigned_at: dt.datetime, active: bool = True,
         deactivated_at: dt.datetime | None = None, reason: str | None = None) -> tuple[Any, ...]:
    """One raw lock row (assigned_at naive UTC)."""
    assigned_local = assigned_at.replace(tzinfo=dt.UTC).astimezone(LA)
    return (key, page, 1, "hand made", assigned_local.date(), send_date, 12, "mid", active, assigned_at,
            f"sch-{key}", deactivated_at, reason)


def replace_locks(db_path: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Replace every row of the source lock table by ``rows``."""
    with duckdb.connect(db_path) as con:
        con.execute(f"delete from {LOCKS}")
        rows = list(rows)
        if rows:
            con.executemany(f"insert into {LOCKS} ({COLUMNS}) values ({', '.join(['?'] * 13)})", rows)


def all_locks(db_path: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(db_path, read_only=True) as con:
        return con.execute(f"select {COLUMNS} from {LOCKS} order by assignment_key").fetchall()


def locks_by_key(db_path: str) -> dict[str, dict[str, Any]]:
    with duckdb.connect(db_path, read_only=True) as con:
        rows = con.execute(f"select assignment_key, is_active, deactivated_at, deactivation_reason from {LOCKS}").fetchall()
    return {r[0]: {"is_active": r[1], "deactivated_at": r[2], "reason": r[3]} for r in rows}


def query(db_path: str, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(db_path, read_only=True) as con:
        return con.execute(sql).fetchall()


def table_exists(db_path: str, name: str) -> bool:
    sql = f"select count(*) from information_schema.tables where table_schema = 'eros' and table_name = '{name}'"
    return query(db_path, sql) == [(1,)]


def sweep(run_eros: Any, as_of: str, *extra: str, expect: int = 0) -> dict[str, Any]:
    """``eros run lock-sweep --as-of ... --json``; asserts the exit code, returns the outcome."""
    proc = run_eros("run", "lock-sweep", "--as-of", as_of, "--json", *extra)
    outcome = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    assert proc.returncode == expect, (proc.stderr, outcome and outcome.get("error_message"))
    assert outcome is not None, proc.stderr
    return outcome


def dbt(eros_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Plain dbt in the project with the test's warehouse (what a dbt Cloud user runs)."""
    env = dict(eros_env, DBT_PROFILES_DIR=str(PROJECT))
    return subprocess.run([DBT, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)


def expected_by_reason(rows: list[tuple[Any, ...]], sweep_at: dt.datetime) -> dict[str, set[str]]:
    """Keys the sweep at ``sweep_at`` (naive UTC) must deactivate, by reason (DOMAIN.md)."""
    today = sweep_at.replace(tzinfo=dt.UTC).astimezone(LA).date()
    cutoff = sweep_at - dt.timedelta(days=7)
    out: dict[str, set[str]] = {"PAST_SEND_DATE": set(), "STALE_7DAY": set()}
    for key, _page, _cid, _text, _adate, send_date, _hour, _tier, active, assigned_at, *_ in rows:
        if not active:
            continue
        if send_date is not None and send_date < today:
            out["PAST_SEND_DATE"].add(key)
        elif assigned_at is not None and assigned_at < cutoff:
            out["STALE_7DAY"].add(key)
    return out


def sweep_log(db_path: str) -> list[dict[str, Any]]:
    """Rows of lock_sweep_log in sweep_time order ([] when the table was never built)."""
    if not table_exists(db_path, "lock_sweep_log"):
        return []
    rows = query(db_path, "select sweep_id, sweep_time, business_date, locks_expired_stale, locks_expired_past_date, total_locks_cleaned, "
                          "active_locks_after, pages_affected, parent_job_id, sweep_duration_seconds from eros.lock_sweep_log order by sweep_time")
    names = ["sweep_id", "sweep_time", "business_date", "stale", "past", "total", "active_after", "pages", "parent_job_id", "duration"]
    return [dict(zip(names, row, strict=True)) for row in rows]


def sweep_jobs(db_path: str) -> list[tuple[Any, ...]]:
    """lock_sweep rows of etl_job_runs ([] when the table was never built)."""
    if not table_exists(db_path, "etl_job_runs"):
        return []
    return query(db_path, "select job_id, job_status, creators_processed, execution_date, error_message from eros.etl_job_runs "
                          "where job_name = 'lock_sweep' order by job_start_time, job_end_time")


def alerts_of(db_path: str, job_id: str) -> list[tuple[str, str, str]]:
    return query(db_path, f"select alert_level, alert_source, alert_message from eros.automation_alerts where job_id = '{job_id}' "
                          "order by alert_level")


# ---- rules: generated locks vs an independent computation, idempotency, each reason ------

def test_sweep_rules_idempotency_and_each_reason(generate: Any, run_eros: Any, eros_env: dict[str, str]) -> None:
    generate()
    db = eros_env["EROS_DUCKDB_PATH"]

    # 1. generated locks: exactly the rows DOMAIN.md names are deactivated, the others untouched
    as_of = as_of_for(EXEC_DATE)
    before = all_locks(db)
    expected = expected_by_reason(before, utc(as_of))
    assert expected["PAST_SEND_DATE"], "the generator should leave past-dated active locks"
    first = sweep(run_eros, as_of)
    assert first["status"] == "SUCCESS"
    state = locks_by_key(db)
    cleaned = {reason: {k for k, v in state.items() if v["reason"] == reason and v["deactivated_at"] == utc(as_of)}
               for reason in expected}
    assert cleaned == expected
    assert first["counts"]["locks_expired_past_date"] == len(expected["PAST_SEND_DATE"])
    assert first["counts"]["locks_expired_stale"] == len(expected["STALE_7DAY"])
    swept = expected["PAST_SEND_DATE"] | expected["STALE_7DAY"]
    after_by_key = {row[0]: row for row in all_locks(db)}
    assert len(after_by_key) == len(before), "the sweep must never delete a lock"
    assert all(after_by_key[row[0]] == row for row in before if row[0] not in swept), "rows not swept must not change"

    # 2. idempotent: a second sweep right after cleans nothing and logs zeros
    snapshot = all_locks(db)
    second = sweep(run_eros, as_of)
    assert second["status"] == "SUCCESS"
    assert all_locks(db) == snapshot
    log = sweep_log(db)
    assert [e["sweep_id"] for e in log] == [first["job_id"], second["job_id"]]
    assert (log[1]["past"], log[1]["stale"], log[1]["total"], log[1]["pages"]) == (0, 0, 0, 0)
    assert log[1]["active_after"] == log[0]["active_after"] == sum(1 for row in snapshot if row[8])
    assert [job[1] for job in sweep_jobs(db)] == ["SUCCESS", "SUCCESS"]

    # 3. hand-made locks: each reason, PAST_SEND_DATE winning over STALE_7DAY, the boundaries
    as_of = "2026-06-18T18:00:00Z"  # 11:00 in LA: today is 2026-06-18
    now, today, day = utc(as_of), dt.date(2026, 6, 18), dt.timedelta(days=1)
    earlier = dt.datetime(2026, 6, 2, 9, 0)
    rows = [
        lock("sent_yesterday", "page_a", today - day, now - 3 * day),
        lock("stale_future", "page_a", today + 3 * day, now - 8 * day),
        lock("stale_no_date", "page_b", None, now - 8 * day),
        lock("fresh_tomorrow", "page_b", today + day, now - 6 * day),
        lock("past_and_stale", "page_c", today - 7 * day, now - 10 * day),
        lock("fresh_no_date", "page_c", None, now - 6 * day),
        lock("send_today", "page_c", today, now - 2 * day),
        lock("exactly_7_days", "page_c", today + day, now - 7 * day),
        lock("already_inactive", "page_a", today - 15 * day, now - 20 * day, active=False, deactivated_at=earlier, reason="MANUAL"),
    ]
    replace_locks(db, rows)
    outcome = sweep(run_eros, as_of)
    assert outcome["status"] == "SUCCESS"
    state = locks_by_key(db)
    assert len(state) == len(rows)
    for key, reason in [("sent_yesterday", "PAST_SEND_DATE"), ("past_and_stale", "PAST_SEND_DATE"),
                        ("stale_future", "STALE_7DAY"), ("stale_no_date", "STALE_7DAY")]:
        assert state[key] == {"is_active": False, "deactivated_at": now, "reason": reason}, key
    for key in ("fresh_tomorrow", "fresh_no_date", "send_today", "exactly_7_days"):
        assert state[key] == {"is_active": True, "deactivated_at": None, "reason": None}, key
    assert state["already_inactive"] == {"is_active": False, "deactivated_at": earlier, "reason": "MANUAL"}
    entry = {e["sweep_id"]: e for e in sweep_log(db)}[outcome["job_id"]]
    assert (entry["sweep_time"], entry["business_date"]) == (now, today)
    assert (entry["past"], entry["stale"], entry["total"], entry["active_after"], entry["pages"]) == (2, 2, 4, 4, 3)
    assert entry["parent_job_id"] is None and entry["duration"] >= 0
    job = {j[0]: j for j in sweep_jobs(db)}[outcome["job_id"]]
    assert job[1:4] == ("SUCCESS", 3, today)
    assert alerts_of(db, outcome["job_id"]) == []


# ---- "today" across daylight-saving switches -------------------------------------------

def test_today_is_the_la_date_around_dst_switches(generate: Any, run_eros: Any, eros_env: dict[str, str]) -> None:
    generate(3, 10, 7, dt.date(2026, 3, 8))
    db = eros_env["EROS_DUCKDB_PATH"]
    cases = [
        # spring forward (2026-03-08): 00:30 PST = 08:30 UTC; 23:30 PST the evening before = 07:30 UTC
        ("2026-03-08T00:30:00-08:00", dt.date(2026, 3, 8)),
        ("2026-03-08T07:30:00Z", dt.date(2026, 3, 7)),
        # fall back (2026-11-01): 00:30 PDT = 07:30 UTC (a fixed -08:00 would say Oct 31);
        # 23:30 PDT the evening before = 06:30 UTC (the UTC date would say Nov 1)
        ("2026-11-01T00:30:00-07:00", dt.date(2026, 11, 1)),
        ("2026-11-01T06:30:00Z", dt.date(2026, 10, 31)),
    ]
    for as_of, today in cases:
        now = utc(as_of)
        replace_locks(db, [
            lock("yesterday", "p", today - dt.timedelta(days=1), now - dt.timedelta(days=2)),
            lock("today", "p", today, now - dt.timedelta(days=2)),
            lock("stale_by_a_minute", "p", today + dt.timedelta(days=2), now - dt.timedelta(days=7, minutes=1)),
            lock("fresh_by_a_minute", "p", today + dt.timedelta(days=2), now - dt.timedelta(days=7) + dt.timedelta(minutes=1)),
        ])
        outcome = sweep(run_eros, as_of)
        assert outcome["counts"]["business_date"] == today.isoformat(), as_of
        assert outcome["execution_date"] == today.isoformat(), as_of
        state = locks_by_key(db)
        assert state["yesterday"]["reason"] == "PAST_SEND_DATE", as_of
        assert state["today"]["is_active"] is True, as_of
        assert state["stale_by_a_minute"]["reason"] == "STALE_7DAY", as_of
        assert state["fresh_by_a_minute"]["is_active"] is True, as_of
        assert {e["sweep_id"]: e["business_date"] for e in sweep_log(db)}[outcome["job_id"]] == today, as_of


# ---- dry run, then a failure injected between the update and the log -------------------

def test_dry_run_and_injected_failure_change_nothing(generate: Any, run_eros: Any, eros_env: dict[str, str]) -> None:
    generate()
    db = eros_env["EROS_DUCKDB_PATH"]
    as_of = as_of_for(EXEC_DATE)
    before = all_locks(db)
    expected = expected_by_reason(before, utc(as_of))
    assert expected["PAST_SEND_DATE"], "the sweep must have work to do"

    # dry run: reports by reason and by page, writes nothing (not even a job row or a table)
    dry = sweep(run_eros, as_of, "--dry-run")
    assert dry["status"] == "DRY_RUN" and dry["job_id"] is None and dry["job_row"] is None
    counts = dry["counts"]
    assert counts["locks_expired_past_date"] == len(expected["PAST_SEND_DATE"])
    assert counts["locks_expired_stale"] == len(expected["STALE_7DAY"])
    assert sum(p["locks_expired_past_date"] + p["locks_expired_stale"] for p in counts["by_page"]) == counts["total_locks_cleaned"]
    assert all_locks(db) == before
    assert sweep_log(db) == [] and sweep_jobs(db) == []

    # injected failure (plain dbt run-operation, ad-hoc; it creates the tables it writes on a
    # fresh warehouse): the update is rolled back, no log row
    failed = dbt(eros_env, "run-operation", "sweep_locks", "--args", json.dumps({"as_of": as_of}),
                 "--vars", json.dumps({"lock_sweep_inject_failure": True}))
    assert failed.returncode != 0
    assert "EROS_INJECTED_FAILURE" in failed.stdout, failed.stdout[-2000:]
    assert all_locks(db) == before, "the update must be rolled back"
    assert sweep_log(db) == []
    (job,) = sweep_jobs(db)
    assert job[1] == "RUNNING"  # the macro cannot catch its own error: the next sweep closes it

    # the next sweep cleans what the dry run announced and closes the abandoned row
    real = sweep(run_eros, as_of)
    for key in ("locks_expired_past_date", "locks_expired_stale", "total_locks_cleaned", "active_locks_after"):
        assert real["counts"][key] == counts[key], key
    statuses = {row[0]: (row[1], row[4]) for row in sweep_jobs(db)}
    assert statuses[job[0]][0] == "FAILED" and statuses[job[0]][1].startswith("abandoned")
    assert statuses[real["job_id"]] == ("SUCCESS", None)


# ---- bloat and volume alerts ------------------------------------------------------------

def _add_locks(db: str, count: int, prefix: str, send_date: dt.date, assigned_at: dt.datetime) -> None:
    with duckdb.connect(db) as con:
        con.execute(
            f"insert into {LOCKS} ({COLUMNS}) "
            "select ? || cast(range as varchar), 'bulk_page_' || cast(range % 40 as varchar), 1, 'bulk', "
            "cast(? as date), cast(? as date), 10, 'mid', true, cast(? as timestamp), 'sch-bulk', null, null from range(?)",
            [prefix, assigned_at.date(), send_date, assigned_at, count],
        )


def test_bloat_and_volume_alerts_at_their_thresholds(generate: Any, run_eros: Any, eros_env: dict[str, str]) -> None:
    generate(3, 10)
    db = eros_env["EROS_DUCKDB_PATH"]
    as_of = as_of_for(EXEC_DATE)
    now = utc(as_of)
    future, past = EXEC_DATE + dt.timedelta(days=2), EXEC_DATE - dt.timedelta(days=1)
    replace_locks(db, [])

    def run_and_alerts() -> tuple[dict[str, Any], list[tuple[str, str]]]:
        outcome = sweep(run_eros, as_of)
        return outcome, sorted((a["alert_level"], a["alert_message"]) for a in outcome["alerts"])

    # exactly at the thresholds: 5,000 left active, 1,000 cleaned -> no alert
    _add_locks(db, 5_000, "keep_a_", future, now - dt.timedelta(days=1))
    _add_locks(db, 1_000, "past_a_", past, now - dt.timedelta(days=2))
    outcome, alerts = run_and_alerts()
    assert (outcome["counts"]["total_locks_cleaned"], outcome["counts"]["active_locks_after"]) == (1_000, 5_000)
    assert alerts == []

    # one over each: 5,001 active -> WARNING; 1,001 cleaned -> WARNING
    _add_locks(db, 1, "keep_b_", future, now - dt.timedelta(days=1))
    _add_locks(db, 1_001, "past_b_", past, now - dt.timedelta(days=2))
    outcome, alerts = run_and_alerts()
    assert (outcome["counts"]["total_locks_cleaned"], outcome["counts"]["active_locks_after"]) == (1_001, 5_001)
    assert [level for level, _ in alerts] == ["WARNING", "WARNING"]
    assert any("1,001 locks" in message for _, message in alerts)
    assert any("5,001 active locks" in message for _, message in alerts)
    assert {a[1] for a in alerts_of(db, outcome["job_id"])} == {"lock_cleanup"}

    # 10,001 active -> CRITICAL only (not also the 5,000 WARNING)
    _add_locks(db, 5_000, "keep_c_", future, now - dt.timedelta(days=1))
    outcome, alerts = run_and_alerts()
    assert outcome["counts"]["active_locks_after"] == 10_001
    assert [level for level, _ in alerts] == ["CRITICAL"] and "10,001 active locks" in alerts[0][1]
    assert len(alerts_of(db, outcome["job_id"])) == 1


# ---- the daily job ends with a sweep -----------------------------------------------------

def test_daily_job_ends_with_a_sweep(generate: Any, run_eros: Any, eros_env: dict[str, str]) -> None:
    generate()
    db = eros_env["EROS_DUCKDB_PATH"]
    expected = expected_by_reason(all_locks(db), utc(as_of_for(EXEC_DATE)))
    code, outcome, err = run_daily_json(run_eros)
    assert code == 0, err
    # one job = one dbt build (issue 11): the sweep is the build's node lock_sweep_run
    assert [step["command"] for step in outcome["steps"]] == ["build --selector daily"]
    assert outcome["counts"]["lock_sweep_status"] == "SUCCESS"
    assert outcome["counts"]["locks_cleaned"] == len(expected["PAST_SEND_DATE"]) + len(expected["STALE_7DAY"])
    (entry,) = sweep_log(db)
    assert entry["parent_job_id"] == outcome["job_id"] and entry["sweep_id"] == outcome["counts"]["lock_sweep_job_id"]
    assert query(db, f"select count(*) from {LOCKS} where is_active and scheduled_send_date < date '{EXEC_DATE}'") == [(0,)]


# ---- a failing sweep: recorded, all-or-nothing, and not fatal to the daily job -----------

def _reject_writes_at(db: str, instant: dt.datetime) -> None:
    """Recreate the source lock table with a CHECK constraint that rejects any row deactivated
    at ``instant`` (as if the scheduling application refused the sweep's update)."""
    with duckdb.connect(db) as con:
        columns = con.execute(f"describe {LOCKS}").fetchall()
        spec = ", ".join(f"{name} {kind}" for name, kind, *_ in columns)
        stamp = instant.strftime("%Y-%m-%d %H:%M:%S")
        con.execute(f"create table raw.locks_guarded ({spec}, check (deactivated_at is null or deactivated_at <> timestamp '{stamp}'))")
        con.execute(f"insert into raw.locks_guarded select * from {LOCKS}")
        con.execute(f"drop table {LOCKS}")
        con.execute("alter table raw.locks_guarded rename to active_caption_assignments")


def test_failed_sweep_is_recorded_and_does_not_fail_the_daily_job(generate: Any, run_eros: Any, eros_env: dict[str, str]) -> None:
    generate()
    db = eros_env["EROS_DUCKDB_PATH"]
    as_of = as_of_for(EXEC_DATE)
    _reject_writes_at(db, utc(as_of))
    before = all_locks(db)

    # standalone: exit 1, FAILED job row, CRITICAL alert, nothing changed, no log row
    outcome = sweep(run_eros, as_of, expect=1)
    assert outcome["status"] == "FAILED"
    assert "CHECK constraint" in outcome["error_message"] and "nothing was changed" in outcome["error_message"]
    assert [(a["alert_level"], a["alert_source"]) for a in outcome["alerts"]] == [("CRITICAL", "lock_cleanup")]
    assert all_locks(db) == before and sweep_log(db) == []

    # at the end of the daily job: the daily job keeps its status and exit code
    code, daily, err = run_daily_json(run_eros)
    assert code == 0, err
    assert daily["status"] == "SUCCESS" and daily["job_row"]["creators_failed"] == 0
    assert daily["counts"]["lock_sweep_status"] == "FAILED"
    assert all_locks(db) == before and sweep_log(db) == []
    (error,) = query(db, "select job_id, page_name, execution_date, error_message from eros.creator_processing_errors "
                         "where page_name = '__lock_sweep__'")
    assert error[:3] == (daily["job_id"], "__lock_sweep__", EXEC_DATE)
    assert error[3].startswith("LOCK_SWEEP_FAILED") and "CHECK constraint" in error[3]
    jobs = {row[0]: row[1] for row in sweep_jobs(db)}
    assert jobs == {outcome["job_id"]: "FAILED", daily["counts"]["lock_sweep_job_id"]: "FAILED"}
    assert query(db, f"select job_status from eros.etl_job_runs where job_id = '{daily['job_id']}'") == [("SUCCESS",)]


# ---- usage errors ------------------------------------------------------------------------

def test_bad_as_of_is_a_usage_error(run_eros: Any) -> None:
    proc = run_eros("run", "lock-sweep", "--as-of", "yesterday")
    assert proc.returncode == 2
    assert "invalid --as-of" in proc.stderr


def test_missing_source_is_a_usage_error(run_eros: Any, eros_env: dict[str, str]) -> None:
    Path(eros_env["EROS_DUCKDB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    proc = run_eros("run", "lock-sweep", "--json")
    assert proc.returncode == 2
    assert "active_caption_assignments" in proc.stderr and "does not exist" in proc.stderr
    assert proc.stdout == ""
