"""`eros schedule run-due` against a real DuckDB warehouse (issue 8): the record in
scheduled_job_runs, daylight saving through the CLI, retries, two runners at once, and one
run of a real job. Jobs are stand-ins (schedule_helpers.FAKE_EROS) except in the last test."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from schedule_helpers import fake_calls, install_fake_eros, write_jobs_file

from eros_test_support import EROS, PROJECT, RunEros

Query = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture
def fake_env(eros_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The test environment with the stand-in job runner (FAKE_EROS_LOG records its calls)."""
    script, log = install_fake_eros(tmp_path / "fake")
    return {**eros_env, "EROS_SCHEDULE_EROS_BIN": str(script), "FAKE_EROS_LOG": str(log)}


def run_due(run_eros: RunEros, env: dict[str, str], jobs_file: Path, now: str) -> tuple[int, dict[str, Any], str]:
    proc = run_eros("schedule", "run-due", "--jobs-file", str(jobs_file), "--now", now, "--json", env=env)
    assert proc.stdout.strip().startswith("{"), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def by_job(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["job"]: item for item in outcome["jobs"]}


def recorded(warehouse: Query) -> list[tuple[Any, ...]]:
    return warehouse(
        "select job, strftime(slot_time, '%Y-%m-%dT%H:%MZ'), slot_local, attempt, status, runner_id, job_id, message "
        "from eros.scheduled_job_runs order by slot_time, job, attempt"
    )


def test_run_due_through_the_fall_back_night(run_eros: RunEros, fake_env: dict[str, str], warehouse: Query, tmp_path: Path) -> None:
    """Hourly and daily jobs on 2026-11-01 (LA falls back at 02:00 PDT -> 01:00 PST): both
    01:00 hours run, a repeated call runs nothing, the daily job runs once at 03:05 PST for
    its LA date, and a missed hourly slot is skipped (catch-up runs the latest only)."""
    jobs = write_jobs_file(tmp_path / "jobs.yml", {
        "lock-sweep": {"cron": "0 * * * *"},
        "daily": {"cron": "5 3 * * *", "step": "eros run daily --date {slot_date}", "priority": "CRITICAL"},
    })
    log = Path(fake_env["FAKE_EROS_LOG"])

    code, first, _ = run_due(run_eros, fake_env, jobs, "2026-11-01T08:10:00Z")  # 01:10 PDT
    assert code == 0 and [j["action"] for j in first["jobs"]] == ["RUN", "RUN"], first
    assert by_job(first)["daily"]["slot_local"].startswith("2026-10-31 03:05 PDT"), "first run catches up the latest daily slot"
    assert by_job(first)["lock-sweep"]["slot_local"].startswith("2026-11-01 01:00 PDT")

    code, second, _ = run_due(run_eros, fake_env, jobs, "2026-11-01T09:10:00Z")  # 01:10 PST
    assert code == 0 and by_job(second)["lock-sweep"]["action"] == "RUN" and by_job(second)["daily"]["action"] == "DONE"
    assert by_job(second)["lock-sweep"]["slot_local"].startswith("2026-11-01 01:00 PST")

    calls_before = len(fake_calls(log))
    code, again, _ = run_due(run_eros, fake_env, jobs, "2026-11-01T09:20:00Z")
    assert code == 0 and {j["action"] for j in again["jobs"]} == {"DONE"}
    assert len(fake_calls(log)) == calls_before, "a slot already run is never run again"

    code, later, _ = run_due(run_eros, fake_env, jobs, "2026-11-01T11:07:00Z")  # 03:07 PST
    assert code == 0
    assert by_job(later)["daily"]["slot_local"].startswith("2026-11-01 03:05 PST")
    assert by_job(later)["lock-sweep"]["slot_local"].startswith("2026-11-01 03:00 PST")
    assert by_job(later)["lock-sweep"]["missed_slots"] == 1, "02:00 PST was missed and skipped"

    calls = fake_calls(log)
    assert [c["run_id"] for c in calls] == [
        "daily@2026-10-31T10:05Z#1",
        "lock-sweep@2026-11-01T08:00Z#1",
        "lock-sweep@2026-11-01T09:00Z#1",
        "daily@2026-11-01T11:05Z#1",
        "lock-sweep@2026-11-01T11:00Z#1",
    ]
    daily_args = [c["args"] for c in calls if c["args"][1] == "daily"]
    # --now pins the steps' clock too: each job records that instant (one clock, issue 13)
    assert daily_args == [["run", "daily", "--date", "2026-10-31", "--target", "local", "--json", "--as-of", "2026-11-01T08:10:00Z"],
                          ["run", "daily", "--date", "2026-11-01", "--target", "local", "--json", "--as-of", "2026-11-01T11:07:00Z"]]
    rows = recorded(warehouse)
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("daily", "2026-10-31T10:05Z", 1, "SUCCEEDED"),
        ("lock-sweep", "2026-11-01T08:00Z", 1, "SUCCEEDED"),
        ("lock-sweep", "2026-11-01T09:00Z", 1, "SUCCEEDED"),
        ("lock-sweep", "2026-11-01T11:00Z", 1, "SUCCEEDED"),
        ("daily", "2026-11-01T11:05Z", 1, "SUCCEEDED"),
    ]
    assert [r[2] for r in rows if r[0] == "lock-sweep"][:2] == ["2026-11-01 01:00 PDT (08:00 UTC)", "2026-11-01 01:00 PST (09:00 UTC)"]
    assert all(r[6].startswith("fake-") for r in rows), "the job id the step reported is recorded"


def test_failed_attempt_is_retried_after_its_delay(run_eros: RunEros, fake_env: dict[str, str], warehouse: Query, tmp_path: Path) -> None:
    jobs = write_jobs_file(tmp_path / "jobs.yml", {"lock-sweep": {"cron": "0 * * * *", "retries": 1, "retry_delay_seconds": 180}})
    env = {**fake_env, "FAKE_EROS_FAIL_ATTEMPTS": "1"}

    code, first, _ = run_due(run_eros, env, jobs, "2026-06-17T10:01:00Z")
    assert code == 1 and first["jobs"][0]["status"] == "FAILED" and "injected failure" in first["jobs"][0]["detail"]
    code, waiting, _ = run_due(run_eros, env, jobs, "2026-06-17T10:03:00Z")
    assert code == 0 and waiting["jobs"][0]["action"] == "WAIT_RETRY" and "attempt 2 not before 2026-06-17 10:04" in waiting["jobs"][0]["detail"]
    code, retried, _ = run_due(run_eros, env, jobs, "2026-06-17T10:06:00Z")
    assert code == 0 and (retried["jobs"][0]["attempt"], retried["jobs"][0]["status"]) == (2, "SUCCEEDED")

    assert [c["attempt"] for c in fake_calls(Path(env["FAKE_EROS_LOG"]))] == ["1", "2"]
    rows = recorded(warehouse)
    assert [(r[3], r[4], r[7]) for r in rows] == [(1, "FAILED", "injected failure"), (2, "SUCCEEDED", None)]
    alerts = warehouse("select alert_level, alert_source, alert_message, job_id from eros.automation_alerts where alert_source = 'scheduler'")
    assert len(alerts) == 1 and alerts[0][0] == "WARNING" and alerts[0][3] == "lock-sweep@2026-06-17T10:00Z#1"
    assert "attempt 1 of 2 FAILED: injected failure; retry after 2026-06-17 10:04" in alerts[0][2]


def start_run_due(env: dict[str, str], jobs_file: Path, now: str) -> subprocess.Popen:
    return subprocess.Popen([EROS, "schedule", "run-due", "--jobs-file", str(jobs_file), "--now", now, "--json"],
                            cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runners_on_one_machine_one_runs_the_other_names_the_holder(fake_env: dict[str, str], warehouse: Query, tmp_path: Path) -> None:
    jobs = write_jobs_file(tmp_path / "jobs.yml", {"lock-sweep": {"cron": "0 * * * *"}})
    env = {**fake_env, "FAKE_EROS_SLEEP": "2"}
    runners = [start_run_due(env, jobs, "2026-06-17T10:02:00Z") for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in runners]  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0, 0], results
    outcomes = [json.loads(out) for _, out, _ in results]
    ran = [o for o in outcomes if o["jobs"]]
    skipped = [(o, err) for (_, _, err), o in zip(results, outcomes, strict=True) if not o["jobs"]]
    assert len(ran) == 1 and len(skipped) == 1, outcomes
    assert ran[0]["jobs"][0]["action"] == "RUN"
    assert "another run-due holds the lock (pid " in skipped[0][1] and " since " in skipped[0][1]
    assert len(fake_calls(Path(env["FAKE_EROS_LOG"]))) == 1
    assert [(r[4], r[5]) for r in recorded(warehouse)] == [("SUCCEEDED", ran[0]["runner_id"])]


def test_killed_runner_takes_its_step_along_and_the_slot_runs_once(run_eros: RunEros, fake_env: dict[str, str], warehouse: Query,
                                                                   tmp_path: Path) -> None:
    """SIGKILL of run-due while its step runs (issue 13, scheduler faults): the step dies with
    it (never finishes the slot), the next runner abandons the RUNNING attempt at once (its
    runner is gone) and the retry runs the slot: one completed run, never two."""
    import os
    import signal
    import time

    jobs = write_jobs_file(tmp_path / "jobs.yml", {"lock-sweep": {"cron": "0 * * * *", "retries": 1, "retry_delay_seconds": 180}})
    env = {**fake_env, "FAKE_EROS_SLEEP": "60"}
    steps = Path(env["EROS_DUCKDB_PATH"]).parent / ".locks" / "run-due-local.steps"
    runner = start_run_due(env, jobs, "2026-06-17T10:02:00Z")
    deadline = time.monotonic() + 120
    while not list(steps.glob("*.pgid")) and time.monotonic() < deadline:
        time.sleep(0.2)
    (marker,) = list(steps.glob("*.pgid"))
    step_pid = int(marker.read_text())
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait(timeout=30)
    gone_by = time.monotonic() + 20
    while time.monotonic() < gone_by:
        try:
            os.killpg(step_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the step outlived its killed runner")
    assert [(r[3], r[4]) for r in recorded(warehouse)] == [(1, "RUNNING")], "the killed runner's claim stays RUNNING"

    env = {**env, "FAKE_EROS_SLEEP": "0"}
    code, after, _ = run_due(run_eros, env, jobs, "2026-06-17T10:03:00Z")
    assert code == 0 and after["jobs"][0]["action"] == "WAIT_RETRY" and after["jobs"][0]["status"] == "ABANDONED", after
    rows = recorded(warehouse)
    assert [(r[3], r[4]) for r in rows] == [(1, "ABANDONED")] and "stopped (killed)" in rows[0][7], rows
    code, retried, _ = run_due(run_eros, env, jobs, "2026-06-17T10:07:00Z")
    assert code == 0 and (retried["jobs"][0]["attempt"], retried["jobs"][0]["status"]) == (2, "SUCCEEDED"), retried
    assert [c["attempt"] for c in fake_calls(Path(env["FAKE_EROS_LOG"]))] == ["2"], "the killed attempt never finished the slot"
    assert not list(steps.glob("*.pgid"))


def test_orphan_steps_are_reaped(tmp_path: Path) -> None:
    """What a runner killed without its step (no prctl) leaves is killed by the next runner."""
    import subprocess as sp
    import sys
    import time

    from eros.scheduling.runner import reap_orphan_steps

    orphan = sp.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    folder = tmp_path / "steps"
    folder.mkdir()
    (folder / "daily@2026-06-17T10:05Z#1.pgid").write_text(str(orphan.pid))
    (folder / "lock-sweep@2026-06-17T10:00Z#1.pgid").write_text("999999999")  # long gone
    started = time.monotonic()
    assert reap_orphan_steps(folder, grace_seconds=5) == ["daily@2026-06-17T10:05Z#1"]
    assert orphan.wait(timeout=10) == -15 and time.monotonic() - started < 10
    assert list(folder.iterdir()) == []


def test_two_runners_on_two_machines_the_warehouse_claim_decides(fake_env: dict[str, str], warehouse: Query, tmp_path: Path) -> None:
    """Separate lock folders (as on two hosts) and one DuckDB file: both read and claim; the
    DuckDB file lock makes one wait; exactly one attempt runs."""
    jobs = write_jobs_file(tmp_path / "jobs.yml", {"lock-sweep": {"cron": "0 * * * *"}})
    runners = []
    for name in ("host-a", "host-b"):
        env = {**fake_env, "FAKE_EROS_SLEEP": "2", "EROS_SCHEDULE_LOCK_DIR": str(tmp_path / name / "locks")}
        runners.append(start_run_due(env, jobs, "2026-06-17T10:02:00Z"))
    results = [(p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for p in runners]  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0, 0], results
    reports = [json.loads(out) for _, out, _ in results]
    actions = sorted(r["jobs"][0]["action"] for r in reports)
    # the loser either meets the winner's claim (IN_PROGRESS when it reads the state after
    # the claim, LOST when both read before claiming) or finds the slot done
    assert actions in (["IN_PROGRESS", "RUN"], ["LOST", "RUN"], ["DONE", "RUN"]), reports
    winner = next(r for r in reports if r["jobs"][0]["action"] == "RUN")
    loser = next(r for r in reports if r["jobs"][0]["action"] != "RUN")
    if loser["jobs"][0]["action"] in ("IN_PROGRESS", "LOST"):
        assert winner["runner_id"] in loser["jobs"][0]["detail"], "the loser says who holds the slot"
    assert len(fake_calls(Path(fake_env["FAKE_EROS_LOG"]))) == 1
    assert [(r[3], r[4], r[5]) for r in recorded(warehouse)] == [(1, "SUCCEEDED", winner["runner_id"])]


def test_run_due_runs_the_real_lock_sweep_job(run_eros: RunEros, generate: Callable[..., dict[str, Any]], warehouse: Query, tmp_path: Path) -> None:
    """No stand-in: the step is `eros run lock-sweep --target local --json`; its job row is linked."""
    generate()
    jobs = write_jobs_file(tmp_path / "jobs.yml", {"lock-sweep": {"cron": "0 * * * *", "timeout_seconds": 900}})
    proc = run_eros("schedule", "run-due", "--jobs-file", str(jobs), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)["jobs"][0]
    assert (report["action"], report["status"], report["result"]["job_status"]) == ("RUN", "SUCCEEDED", "SUCCESS"), report
    rows = recorded(warehouse)
    assert len(rows) == 1 and rows[0][4] == "SUCCEEDED" and rows[0][6] == report["result"]["job_id"]
    job_rows = warehouse(f"select job_name, job_status from eros.etl_job_runs where job_id = '{rows[0][6]}'")
    assert job_rows == [("lock_sweep", "SUCCESS")]
    proc = run_eros("schedule", "run-due", "--jobs-file", str(jobs), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["jobs"][0]["action"] == "DONE"
