"""Output that fits (issue 15, item 2): every command's output at COLUMNS=80 has no line
wider than 80 columns, and --wide shows the full text.

The commands are enumerated from the Click command tree, so a new command without a case
here fails `test_every_command_has_a_case`. Commands that only read the warehouse run for
real on one FAILED daily run (failed_run_support.py; its summary is the `run daily`
case). Commands whose work is a dbt build or an outside tool (health, report, the other
jobs, doctor, deploy, run-due, simulate, monitoring) run in-process with that work
replaced by a result holding long values (long page names, 300-character messages, full
job ids), which is what the layout must survive; the work itself is tested elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from eros import cli, console
from eros.core import JobOutcome

from eros_test_support import EXEC_DATE, PROJECT
from failed_run_support import FailedRun, failed_daily_run

WIDTH = 80
JOB_ID = "4b6440f6-424a-4dad-bceb-099098f1b0ea"
LONG_PAGE = "annabelle_the_very_long_handle_name_paid"
LONG_TEXT = ("a message long enough to need cutting: " + "the quick brown fox jumps over the lazy dog; " * 7).strip()

# Commands whose output is a file format for another tool, not a table for people.
NOT_TABLES = {
    ("schedule", "export"): "prints a dbt Cloud YAML / crontab / GitHub Actions file for another scheduler (copied as is)",
}


def _leaves(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _leaves(command, click.Context(command, parent=ctx, info_name=name), (*path, name))
        else:
            yield (*path, name)


def all_commands() -> set[tuple[str, ...]]:
    """Every leaf command of `eros` (lazy commands and the generated `eros run <job>` too)."""
    return set(_leaves(cli.main, click.Context(cli.main, info_name="eros")))


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory, dbt_state_dir: Path) -> FailedRun:
    return failed_daily_run(tmp_path_factory.mktemp("failed_run"), dbt_state_dir)


@pytest.fixture
def invoke(failed: FailedRun, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """`eros <args>` in-process at COLUMNS=80 on the failed run's warehouse; returns stdout."""
    monkeypatch.chdir(PROJECT)
    for name, value in failed.env.items():
        if name.startswith(("EROS_", "DBT_")):
            monkeypatch.setenv(name, value)

    def _invoke(*args: str, codes: tuple[int, ...] = (0, 1), **env: str) -> str:
        console.set_wide(False)
        result = CliRunner().invoke(cli.main, list(args), env={"COLUMNS": str(WIDTH), **env}, catch_exceptions=False)
        assert result.exit_code in codes, (args, result.exit_code, result.output)
        return result.stdout

    return _invoke


def _outcome(job: str, job_name: str, **extra: Any) -> JobOutcome:
    return JobOutcome(
        job=job, job_name=job_name, job_id=JOB_ID, status="COMPLETED_WITH_ERRORS", execution_date=EXEC_DATE.isoformat(), exit_code=1,
        duration_seconds=1234.5, job_row={"creators_processed": 12345, "creators_failed": 7, "job_duration_seconds": 1234.5},
        counts={"pages_active": 12352, "pages_queued": 3, "locks_cleaned": 3082, "lock_sweep_job_id": JOB_ID + ".sweep",
                "lock_sweep_error": LONG_TEXT, "attributed_pct": 46.25, "dry_run": True},
        alerts=[{"alert_level": "CRITICAL", "alert_source": "daily_automation", "alert_message": LONG_TEXT}],
        steps=[], error_message=LONG_TEXT,
        alerting={"raised": [{"level": "WARNING", "rule_id": "page_failure_rate_high", "message": LONG_TEXT, "adopted": True}],
                  "resolved": 2, "send": {"sent": 1, "failed": 1, "unconfirmed": []}, "send_skipped": None, "error": None},
        page_errors=[{"page_name": f"{LONG_PAGE}{i}", "reason": "QUARANTINE_RATE", "error_message": "QUARANTINE_RATE: " + LONG_TEXT}
                     for i in range(5)],
        **extra,
    )


def _fake_job(monkeypatch: pytest.MonkeyPatch) -> None:
    import eros.job_alerts

    def run_job_with_alerts(key: str, **kwargs: Any) -> JobOutcome:
        outcome = _outcome(key, key.replace("-", "_"))
        if kwargs.get("dry_run"):
            outcome.counts["by_page"] = [{"page_name": LONG_PAGE, "locks_expired_past_date": 1234, "locks_expired_stale": 5}]
        return outcome

    monkeypatch.setattr(eros.job_alerts, "run_job_with_alerts", run_job_with_alerts)


def _health_report(status: str = "WARN") -> Any:
    from eros.health import HealthReport

    checks = [{"check_name": name, "status": status, "observed_value": value, "threshold": LONG_TEXT, "detail": LONG_TEXT}
              for name, value in [("daily_run_recency", 27.25), ("active_locks", 12345), ("unacked_critical_alerts", None)]]
    return HealthReport(status=status, exit_code=1, as_of="2026-06-17 11:00:00", execution_date=EXEC_DATE.isoformat(), target="local",
                        checks=checks, tests=[{"name": "health_" + LONG_PAGE, "status": "warn", "failing_rows": 2, "message": LONG_TEXT}],
                        tests_total=30, duration_seconds=9.5)


def _evaluation() -> dict[str, Any]:
    conditions = [
        {"rule_id": rule, "level": level, "enabled": enabled, "condition_status": status, "observed_value": value, "threshold": 10000,
         "unit": "active locks per page and day", "superseded_by": superseded, "detail": LONG_TEXT}
        for rule, level, enabled, status, value, superseded in [
            ("escalate_unacknowledged_critical", "CRITICAL", True, "HOLDS", 12345.678, None),
            ("daily_automation_succeeded", "INFO", False, "CLEAR", None, None),
            ("caption_feedback_stale_warning", "WARNING", True, "HOLDS", 13.5, "caption_feedback_stale_critical"),
        ]
    ]
    return {"as_of": "2026-06-17 11:00:00", "conditions": conditions, "cleared": 1, "resolved": ["x"],
            "raised": [{"alert_id": "0123456789abcdef", "level": "CRITICAL", "message": LONG_TEXT, "adopted": False}]}


def case_run_daily(failed: FailedRun, invoke: Callable[..., str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    _fake_job(monkeypatch)
    return [failed.summary, invoke("run", "daily", "--date", EXEC_DATE.isoformat())]


def case_run_caption_performance(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    _fake_job(monkeypatch)
    return [invoke("run", "caption-performance")]


def case_run_lock_sweep(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    _fake_job(monkeypatch)
    return [invoke("run", "lock-sweep"), invoke("run", "lock-sweep", "--dry-run")]


def case_demo(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    _fake_job(monkeypatch)
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(tmp_path / "demo.duckdb"))
    return [invoke("demo", "--pages", "2", "--days", "3")]


def case_generate(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(tmp_path / "a_rather_long_folder_name_for_the_warehouse" / "generated.duckdb"))
    return [invoke("generate", "--pages", "2", "--days", "3", "--captions", "60")]


def case_errors(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    return [invoke("errors"), invoke("errors", "--date", EXEC_DATE.isoformat())]


def case_alerts_list(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    return [invoke("alerts", "list"), invoke("alerts", "list", "--all")]


def case_alerts_ack(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    alerts = json.loads(invoke("alerts", "list", "--all", "--json"))["alerts"]
    return [invoke("alerts", "ack", alerts[-1]["alert_id"][:8], "--by", "on-call person with a long name")]


def case_alerts_send(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    # a webhook-shaped URL built from parts, so no credential-looking literal is committed
    slack = "https://hooks.slack.com/" + "/".join(["services", "T" + "0" * 8, "B" + "0" * 8, "X" * 40])
    return [invoke("alerts", "send", "--dry-run", EROS_ALERT_SLACK_URL=slack), invoke("alerts", "send", "--dry-run")]


def case_alerts_evaluate(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    import eros.alerts

    monkeypatch.setattr(eros.alerts, "evaluate", lambda **kwargs: _evaluation())
    return [invoke("alerts", "evaluate")]


def case_health(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    import eros.health

    monkeypatch.setattr(eros.health, "run_health", lambda **kwargs: _health_report())
    return [invoke("health", codes=(1,))]


def case_report(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    import eros.report

    class Written:
        path = tmp_path / "a_rather_long_folder_name_for_the_report" / "eros_report_with_a_long_name.html"
        size_bytes = 4_500_000
        duration_seconds = 12.25
        health = _health_report()

    monkeypatch.setattr(eros.report, "write_report", lambda **kwargs: Written())
    return [invoke("report")]


def case_doctor(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    from eros.scheduling import doctor

    def run_doctor(project: Path, target: str, jobs_file: Path, *, check_write: bool = True, on_check: Any = None) -> list[Any]:
        checks = [doctor.Check("profile", "FAIL", LONG_TEXT), doctor.Check("source tables", "SKIP", "needs a working profile")]
        for check in checks:
            if on_check is not None:
                on_check(check)
        return checks

    monkeypatch.setattr(doctor, "run_doctor", run_doctor)
    return [invoke("doctor")]


def case_deploy(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    from eros.scheduling import deploy

    def fake_deploy(*, echo: Callable[[str], None], **kwargs: Any) -> int:
        echo(f"doctor (target {kwargs['target']}):")
        echo(f"  FAIL  profile: {LONG_TEXT}")
        echo("deploy stopped: fix the FAIL checks above first (dry run)")
        return 1

    monkeypatch.setattr(deploy, "deploy", fake_deploy)
    return [invoke("deploy", "--dry-run", "--export-dir", str(tmp_path))]


def case_schedule_list(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    return [invoke("schedule", "list", "--now", "2026-06-17T11:00:00Z")]


def case_schedule_run_due(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    from eros.scheduling import runner

    def run_due(jobs: Any, *, on_report: Any, **kwargs: Any) -> list[Any]:
        report = runner.JobReport(job="caption-performance", action="WAIT_RETRY", slot="2026-06-17T10:00:00+00:00",
                                  slot_local="2026-06-17 03:00 PDT (10:00 UTC)", attempt=2, status="FAILED", detail=LONG_TEXT)
        on_report(report)
        return [report]

    monkeypatch.setattr(runner, "run_due", run_due)
    return [invoke("schedule", "run-due", "--now", "2026-06-17T11:00:00Z")]


def case_simulate(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    import eros.simulate.command
    from eros.simulate.engine import PolicyResult, SimulationResult

    def run_simulation(config: Any, **kwargs: Any) -> SimulationResult:
        capture = [{"day": (EXEC_DATE + dt.timedelta(days=7 * i)).isoformat(), "capture": 0.1 * i} for i in range(3)]
        policies = {name: PolicyResult(policy=name, pct_of_oracle=87.65, cold_pct_of_oracle=None, capture_over_time=capture,
                                       final_capture=0.61, cold_first_capture=0.3, distinct_captions_per_page=123.4, job_runs=12,
                                       job_cpu_seconds=1234.5)
                    for name in ("oracle", "shipped", "random", "thompson", "original", "pooled")}
        world = {"seed": 1, "pages": 2000, "cold_pages": 500, "captions": 500000, "sharing": 0.8, "drift": 0.25}
        return SimulationResult(config={"world": world, "weeks": 52}, policies=policies, seconds=3.0)

    monkeypatch.setattr(eros.simulate.command, "run_simulation", run_simulation)
    return [invoke("simulate")]


def case_monitoring_report(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    import eros.monitoring

    monkeypatch.setattr(eros.monitoring, "report", lambda *args, **kwargs: None)
    return [invoke("monitoring", "report", "--out", str(tmp_path / "a_rather_long_folder_name" / "elementary_report_long_name.html"))]


def case_monitoring_alerts(failed, invoke, monkeypatch, tmp_path) -> list[str]:
    import eros.monitoring

    monkeypatch.setattr(eros.monitoring, "alerts", lambda *args, **kwargs: None)
    return [invoke("monitoring", "alerts")]


CASES: dict[tuple[str, ...], Callable[..., list[str]]] = {
    ("run", "daily"): case_run_daily,
    ("run", "caption-performance"): case_run_caption_performance,
    ("run", "lock-sweep"): case_run_lock_sweep,
    ("demo",): case_demo,
    ("generate",): case_generate,
    ("errors",): case_errors,
    ("alerts", "list"): case_alerts_list,
    ("alerts", "ack"): case_alerts_ack,
    ("alerts", "send"): case_alerts_send,
    ("alerts", "evaluate"): case_alerts_evaluate,
    ("health",): case_health,
    ("report",): case_report,
    ("doctor",): case_doctor,
    ("deploy",): case_deploy,
    ("schedule", "list"): case_schedule_list,
    ("schedule", "run-due"): case_schedule_run_due,
    ("simulate",): case_simulate,
    ("monitoring", "report"): case_monitoring_report,
    ("monitoring", "alerts"): case_monitoring_alerts,
}


def test_every_command_has_a_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    commands = all_commands()
    assert ("errors",) in commands and ("run", "daily") in commands
    assert commands - set(NOT_TABLES) == set(CASES), "add a case for each new command (or say why it prints no table)"


def _is_path_line(line: str) -> bool:
    """A line that is one absolute file path and nothing else: printed whole, on a line of
    its own, so it can be copied; cutting or wrapping it would break that."""
    text = line.strip()
    return text.startswith("/") and " " not in text and line == text


@pytest.mark.parametrize("command", sorted(CASES), ids=" ".join)
def test_no_line_wider_than_80(command: tuple[str, ...], failed: FailedRun, invoke: Callable[..., str],
                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    outputs = CASES[command](failed, invoke, monkeypatch, tmp_path)
    assert outputs and all(text.strip() for text in outputs), "the command printed nothing"
    for text in outputs:
        wide = [line for line in text.splitlines() if len(line) > WIDTH and not _is_path_line(line)]
        assert not wide, f"{' '.join(command)}: {len(wide)} line(s) wider than {WIDTH}:\n" + "\n".join(wide)


def test_wide_shows_the_full_text(failed: FailedRun, invoke: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    alerts = json.loads(invoke("alerts", "list", "--all", "--json"))["alerts"]
    longest = max((a["alert_message"] for a in alerts), key=len)
    assert len(longest) > WIDTH
    narrow = invoke("alerts", "list", "--all")
    assert longest not in narrow and "…" in narrow
    for wide in (invoke("alerts", "list", "--all", "--wide"), invoke("--wide", "alerts", "list", "--all")):
        assert all(a["alert_message"] in wide and a["alert_id"][:12] in wide for a in alerts)
        assert max(len(line) for line in wide.splitlines()) > WIDTH
    # the job summary: the whole page error message with --wide, cut without
    _fake_job(monkeypatch)
    assert LONG_TEXT not in invoke("run", "caption-performance")
    assert LONG_TEXT in invoke("run", "caption-performance", "--wide")


def test_columns_is_honoured_off_a_terminal(failed: FailedRun) -> None:
    """A subprocess's stdout is a pipe: COLUMNS alone sets the width."""
    for columns in (60, 120):
        proc = failed.eros("alerts", "list", "--all", columns=columns)
        assert proc.returncode == 0, proc.stderr
        widths = [len(line) for line in proc.stdout.splitlines()]
        assert max(widths) == columns  # the message column takes the room there is


def test_words_and_one_number_format() -> None:
    assert [console.word(v) for v in (True, False, None, 7897, 46.25, "x")] == ["yes", "no", "none", "7,897", "46.2", "x"]
    assert console.number(7897.0) == "7,897" and console.number(1234.56, 2) == "1,234.56" and console.seconds(63.5) == "63.5 s"
