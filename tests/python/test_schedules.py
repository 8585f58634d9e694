"""Schedules without a warehouse (issue 8): jobs.yml validation, cron slots over the
daylight-saving switches of 2026, a simulated year of run-due calls (in-memory record,
stand-in jobs), the planner's retry/catch-up/abandon rules, the UTC translation of the
dbt Cloud export, and the BigQuery permission check against a fake client."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from schedule_helpers import write_jobs_file

from eros.errors import ErosUsageError
from eros.jobs import JOBS
from eros.scheduling import planner
from eros.scheduling.config import load_schedules
from eros.scheduling.doctor import FAIL, PASS, check_bigquery_permissions
from eros.scheduling.exports import cron_in_utc, next_offset_change
from eros.scheduling.planner import Attempt, plan, run_id
from eros.scheduling.runner import StepResult, run_due
from eros.scheduling.slots import latest_slot, next_slots, slots_between
from eros.scheduling.store import MemoryStore

PROJECT = Path(__file__).resolve().parents[2]
LA = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC
SPRING = dt.date(2026, 3, 8)  # 02:00 PST -> 03:00 PDT
FALL = dt.date(2026, 11, 1)  # 02:00 PDT -> 01:00 PST
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=LA).astimezone(UTC)
YEAR_END = dt.datetime(2027, 1, 1, tzinfo=LA).astimezone(UTC)
SECOND = dt.timedelta(seconds=1)


def slots_2026(job: Any) -> list[dt.datetime]:
    """The job's slots from 2026-01-01 00:00 LA (included) to 2027-01-01 00:00 LA (excluded)."""
    return slots_between(job.cron, job.zone, YEAR_START - SECOND, YEAR_END - SECOND)


def la_days_2026() -> list[dt.date]:
    day, days = dt.date(2026, 1, 1), []
    while day.year == 2026:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


@pytest.fixture(scope="module")
def shipped() -> Any:
    return load_schedules(PROJECT / "jobs.yml")


# --- jobs.yml -------------------------------------------------------------------------


def test_shipped_jobs_file_has_the_three_domain_schedules(shipped: Any) -> None:
    jobs = shipped.jobs
    assert set(jobs) == {"daily", "caption-performance", "lock-sweep"}
    assert set(jobs) <= set(JOBS), "every schedule runs a job eros run knows"
    expected = {
        "daily": ("5 3 * * *", 2, 600, "CRITICAL"),
        "caption-performance": ("0 */6 * * *", 3, 300, "HIGH"),
        "lock-sweep": ("0 * * * *", 3, 180, "MEDIUM"),
    }
    for key, (cron, retries, delay, priority) in expected.items():
        job = jobs[key]
        assert (job.cron, job.retries, job.retry_delay_seconds, job.priority) == (cron, retries, delay, priority)
        assert job.timezone == "America/Los_Angeles"
        assert job.timeout_seconds > 0 and job.notify.on_failure
        assert job.step.startswith(f"eros run {key}")
    assert [j.key for j in shipped.by_priority()] == ["daily", "caption-performance", "lock-sweep"]
    assert jobs["daily"].step_command(dt.datetime(2026, 3, 8, 10, 5, tzinfo=UTC)) == ["run", "daily", "--date", "2026-03-08"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cron": "5 3 * *"}, "job 'daily': cron '5 3 * *' is not a valid 5-field cron expression"),
        ({"cron": "61 3 * * *"}, "job 'daily': cron '61 3 * * *' is not a valid"),
        ({"timezone": "America/Los_Angles"}, "job 'daily': timezone 'America/Los_Angles' is not a known IANA time zone"),
        ({"step": "eros run nightly"}, "job 'daily': step 'eros run nightly' names unknown job 'nightly' (eros run knows: "),
        ({"step": "dbt build --selector daily"}, "job 'daily': step 'dbt build --selector daily' must be an `eros run <job> [options]`"),
        ({"step": "eros run daily --date {slot_day}"}, "unknown placeholder(s) slot_day"),
        ({"step": "eros run daily --target prod"}, "step may not set --target"),
        ({"retries": -1}, "job 'daily': retries must be an integer >= 0"),
        ({"priority": "URGENT"}, "job 'daily': priority 'URGENT' must be one of CRITICAL, HIGH, MEDIUM, LOW"),
        ({"retry_delay": 5}, "job 'daily': unknown field(s) retry_delay"),
    ],
)
def test_jobs_file_errors_name_the_job_and_value(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = write_jobs_file(tmp_path / "jobs.yml", {"daily": {"cron": "5 3 * * *", **change}})
    with pytest.raises(ErosUsageError) as caught:
        load_schedules(path)
    assert message in str(caught.value)


def test_jobs_file_missing_field_is_named(tmp_path: Path) -> None:
    path = write_jobs_file(tmp_path / "jobs.yml", {"daily": {"cron": "5 3 * * *"}})
    data = yaml.safe_load(path.read_text())
    del data["jobs"]["daily"]["timeout_seconds"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ErosUsageError, match=r"jobs.yml: job 'daily': missing field\(s\) timeout_seconds"):
        load_schedules(path)


# --- slots over 2026 ---------------------------------------------------------------------


def test_daily_job_runs_once_per_la_day_at_0305_all_2026(shipped: Any) -> None:
    slots = slots_2026(shipped.jobs["daily"])
    local = [s.astimezone(LA) for s in slots]
    assert [s.date() for s in local] == la_days_2026()
    assert {(s.hour, s.minute) for s in local} == {(3, 5)}
    by_date = {s.date(): s for s in slots}
    assert by_date[SPRING].astimezone(UTC).hour == 10  # 03:05 PDT
    assert by_date[FALL].astimezone(UTC).hour == 11  # 03:05 PST
    assert by_date[SPRING - dt.timedelta(days=1)].astimezone(UTC).hour == 11
    assert by_date[FALL - dt.timedelta(days=1)].astimezone(UTC).hour == 10


def test_hourly_sweep_has_23_slots_in_spring_and_25_in_fall(shipped: Any) -> None:
    slots = slots_2026(shipped.jobs["lock-sweep"])
    per_day = Counter(s.astimezone(LA).date() for s in slots)
    assert per_day[SPRING] == 23 and per_day[FALL] == 25
    assert all(n == 24 for day, n in per_day.items() if day not in (SPRING, FALL))
    assert len(slots) == len(set(slots)) == 365 * 24
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(slots, slots[1:], strict=False)), "one slot per real hour"
    fall_local = [f"{s.astimezone(LA):%H:%M %Z}" for s in slots if s.astimezone(LA).date() == FALL]
    assert fall_local[:4] == ["00:00 PDT", "01:00 PDT", "01:00 PST", "02:00 PST"]
    spring_local = [f"{s.astimezone(LA):%H:%M %Z}" for s in slots if s.astimezone(LA).date() == SPRING]
    assert spring_local[:3] == ["00:00 PST", "01:00 PST", "03:00 PDT"]


def test_six_hourly_job_follows_the_la_wall_clock(shipped: Any) -> None:
    slots = slots_2026(shipped.jobs["caption-performance"])
    assert len(slots) == 4 * 365
    assert {s.astimezone(LA).hour for s in slots} == {0, 6, 12, 18}


def test_fixed_time_in_the_gap_or_the_repeated_hour_runs_once() -> None:
    spring_0230 = slots_between("30 2 * * *", LA, dt.datetime(2026, 3, 8, 8, tzinfo=UTC), dt.datetime(2026, 3, 9, 8, tzinfo=UTC))
    assert [f"{s.astimezone(LA):%H:%M %Z}" for s in spring_0230] == ["03:30 PDT"]  # shifted by the gap
    fall_0130 = slots_between("30 1 * * *", LA, dt.datetime(2026, 11, 1, 7, tzinfo=UTC), dt.datetime(2026, 11, 2, 7, tzinfo=UTC))
    assert [f"{s.astimezone(LA):%H:%M %Z}" for s in fall_0130] == ["01:30 PDT"]  # first occurrence only


def test_latest_and_next_slots_agree_with_the_enumeration_around_both_switches(shipped: Any) -> None:
    for job in shipped.jobs.values():
        every = slots_between(job.cron, job.zone, YEAR_START - dt.timedelta(days=2), YEAR_END)
        for base in (dt.datetime(2026, 3, 7, 12, tzinfo=UTC), dt.datetime(2026, 10, 31, 12, tzinfo=UTC)):
            for minutes in range(0, 36 * 60, 13):
                now = base + dt.timedelta(minutes=minutes, seconds=7)
                assert latest_slot(job.cron, job.zone, now) == max(s for s in every if s <= now)
                assert next_slots(job.cron, job.zone, now, 3) == [s for s in every if s > now][:3]


# --- a simulated year of run-due calls ----------------------------------------------------


def test_simulated_2026_every_slot_runs_once_and_on_time(shipped: Any) -> None:
    """run-due every 5 minutes for all of 2026 (in-memory record, stand-in jobs that succeed)."""
    store = MemoryStore()
    clock = [YEAR_START]
    runs: list[tuple[str, dt.datetime, int, dt.datetime]] = []

    def execute(job: Any, slot: dt.datetime, attempt: int, target: str) -> StepResult:
        runs.append((job.key, slot, attempt, clock[0]))
        return StepResult(planner.SUCCEEDED, 0)

    while clock[0] < YEAR_END:
        run_due(shipped, store=store, execute=execute, target="local", clock=lambda: clock[0], runner_id="sim")
        clock[0] += dt.timedelta(minutes=5)

    in_year = [r for r in runs if r[1] >= YEAR_START]
    caught_up = [(job, f"{slot.astimezone(LA):%Y-%m-%d %H:%M}") for job, slot, _, _ in runs if slot < YEAR_START]
    assert caught_up == [("daily", "2025-12-31 03:05")], "the first call catches up the daily job's latest slot only"
    assert all(attempt == 1 for _, _, attempt, _ in in_year)
    assert all(dt.timedelta(0) <= ran - slot < dt.timedelta(minutes=5) for _, slot, _, ran in in_year), "on time"
    for key in shipped.jobs:
        slots = [slot for job, slot, _, _ in in_year if job == key]
        assert len(slots) == len(set(slots)), f"{key}: a slot ran twice"
        assert slots == slots_2026(shipped.jobs[key])
    daily = [slot.astimezone(LA) for job, slot, _, _ in in_year if job == "daily"]
    assert [d.date() for d in daily] == la_days_2026() and {(d.hour, d.minute) for d in daily} == {(3, 5)}
    sweeps = Counter(slot.astimezone(LA).date() for job, slot, _, _ in in_year if job == "lock-sweep")
    assert (sweeps[SPRING], sweeps[FALL], sweeps[dt.date(2026, 6, 17)]) == (23, 25, 24)


# --- planner rules ------------------------------------------------------------------------


def _attempt(job: str, slot: dt.datetime, n: int, status: str, started: dt.datetime, finished: dt.datetime | None) -> Attempt:
    return Attempt(run_id(job, slot, n), job, slot, n, status, "runner-a", started, finished)


def test_retries_wait_for_the_delay_and_stop_at_the_retry_count(shipped: Any) -> None:
    job = shipped.jobs["lock-sweep"]  # 3 retries, 180 s
    slot = dt.datetime(2026, 6, 17, 10, tzinfo=UTC)
    ended = slot + dt.timedelta(seconds=20)
    failed_1 = [_attempt(job.key, slot, 1, planner.FAILED, slot, ended)]
    waiting = plan(job, ended + dt.timedelta(seconds=60), failed_1, slot)
    assert (waiting.action, waiting.not_before) == (planner.WAIT_RETRY, ended + dt.timedelta(seconds=180))
    retry = plan(job, ended + dt.timedelta(seconds=181), failed_1, slot)
    assert (retry.action, retry.attempt) == (planner.RUN, 2)
    all_failed = [_attempt(job.key, slot, n, planner.FAILED, slot, ended) for n in range(1, 5)]
    assert plan(job, slot + dt.timedelta(minutes=50), all_failed, slot).action == planner.DONE
    warned = [_attempt(job.key, slot, 1, planner.WARNING, slot, ended)]
    assert plan(job, slot + dt.timedelta(minutes=50), warned, slot).action == planner.DONE


def test_catch_up_runs_only_the_latest_missed_slot(shipped: Any) -> None:
    job = shipped.jobs["lock-sweep"]
    last = dt.datetime(2026, 6, 17, 10, tzinfo=UTC)
    decision = plan(job, dt.datetime(2026, 6, 17, 15, 2, tzinfo=UTC), [], last)
    assert (decision.action, decision.slot, decision.attempt, decision.missed_slots) == (planner.RUN, last + dt.timedelta(hours=5), 1, 4)
    older = [_attempt(job.key, last, 1, planner.FAILED, last, last + dt.timedelta(seconds=5))]
    assert plan(job, dt.datetime(2026, 6, 17, 11, 1, tzinfo=UTC), older, last).slot == last + dt.timedelta(hours=1), "new slot supersedes"


def test_running_attempt_is_left_alone_until_its_timeout_then_abandoned(shipped: Any) -> None:
    job = shipped.jobs["daily"]  # timeout 1800 s, 2 retries
    slot = dt.datetime(2026, 6, 17, 10, 5, tzinfo=UTC)
    running = [_attempt(job.key, slot, 1, planner.RUNNING, slot, None)]
    busy = plan(job, slot + dt.timedelta(minutes=20), running, slot)
    assert (busy.action, busy.runner_id) == (planner.IN_PROGRESS, "runner-a")
    late = plan(job, slot + dt.timedelta(minutes=30) + planner.ABANDON_GRACE + dt.timedelta(seconds=job.retry_delay_seconds + 1), running, slot)
    assert (late.action, late.attempt, late.abandon) == (planner.RUN, 2, running[0].run_id)


def test_runner_alerts_warning_on_retry_and_failure_when_retries_are_used_up(shipped: Any) -> None:
    store = MemoryStore()
    job = shipped.jobs["daily"]  # 2 retries, 600 s, CRITICAL
    now = [dt.datetime(2026, 6, 17, 10, 6, tzinfo=UTC)]

    def fail(job: Any, slot: dt.datetime, attempt: int, target: str) -> StepResult:
        return StepResult(planner.FAILED, 2, message="warehouse unreachable")

    for _ in range(3):
        reports = run_due([job], store=store, execute=fail, target="local", clock=lambda: now[0], runner_id="r")
        assert reports[0].action == planner.RUN
        now[0] += dt.timedelta(seconds=601)
    assert run_due([job], store=store, execute=fail, target="local", clock=lambda: now[0], runner_id="r")[0].action == planner.DONE
    assert [a["level"] for a in store.alerts] == ["WARNING", "WARNING", "CRITICAL"]
    assert "no retry left" in store.alerts[-1]["message"] and "warehouse unreachable" in store.alerts[-1]["message"]


# --- dbt Cloud UTC cron -------------------------------------------------------------------


def test_utc_cron_changes_with_daylight_saving(shipped: Any) -> None:
    summer, winter = dt.datetime(2026, 6, 17, tzinfo=UTC), dt.datetime(2026, 12, 17, tzinfo=UTC)
    assert cron_in_utc("5 3 * * *", LA, summer) == "5 10 * * *"
    assert cron_in_utc("5 3 * * *", LA, winter) == "5 11 * * *"
    assert cron_in_utc("0 */6 * * *", LA, summer) == "0 1,7,13,19 * * *"
    assert cron_in_utc("0 * * * *", LA, winter) == "0 * * * *"
    assert next_offset_change(LA, summer) == dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ErosUsageError, match="crosses midnight"):
        cron_in_utc("0 20 * * 1", LA, summer)
    # the exported UTC cron fires exactly at the LA slots while the offset holds
    utc_slots = slots_between("5 10 * * *", ZoneInfo("UTC"), summer, summer + dt.timedelta(days=30))
    assert utc_slots == slots_between("5 3 * * *", LA, summer, summer + dt.timedelta(days=30))


# --- doctor: BigQuery permissions against a fake client -----------------------------------


class FakeBigQuery:
    def __init__(self, granted: dict[str, list[str]], can_query: bool = True) -> None:
        self.granted, self.can_query, self.queries = granted, can_query, []

    def query(self, sql: str, job_config: Any = None) -> None:
        if not self.can_query:
            raise PermissionError("403 Access Denied: User does not have bigquery.jobs.create permission in project p")
        self.queries.append((sql, job_config.dry_run))

    def get_table(self, table: str) -> None:
        if table not in self.granted:
            raise LookupError(table)

    def test_iam_permissions(self, table: str, permissions: list[str]) -> dict[str, list[str]]:
        return {"permissions": [p for p in permissions if p in self.granted.get(table, [])]}


def test_bigquery_permission_check_names_the_missing_permission() -> None:
    payload = {
        "target": {"type": "bigquery", "database": "p", "schema": "eros"},
        "sources": [
            {"database": "p", "schema": "raw", "identifier": "mass_messages"},
            {"database": "p", "schema": "raw", "identifier": "caption_bank"},
            {"database": "p", "schema": "raw", "identifier": "active_caption_assignments"},
        ],
    }
    read = ["bigquery.tables.get", "bigquery.tables.getData"]
    full = read + ["bigquery.tables.update", "bigquery.tables.updateData"]
    locks = "p.raw.active_caption_assignments"
    ok = FakeBigQuery({"p.raw.mass_messages": read, "p.raw.caption_bank": read, locks: full, "p.eros.etl_job_runs": full})
    check = check_bigquery_permissions(payload, lambda project: ok)
    assert check.status == PASS and ok.queries == [("select 1", True)]
    lacking = FakeBigQuery({"p.raw.mass_messages": read, "p.raw.caption_bank": ["bigquery.tables.get"], locks: read})
    check = check_bigquery_permissions(payload, lambda project: lacking)
    assert check.status == FAIL
    assert check.detail == f"p.raw.caption_bank lacks bigquery.tables.getData; {locks} lacks bigquery.tables.updateData"
    check = check_bigquery_permissions(payload, lambda project: FakeBigQuery({}, can_query=False))
    assert check.status == FAIL and "bigquery.jobs.create" in check.detail
