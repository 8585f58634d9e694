"""``eros health``: build the health checks and report them like a monitoring plugin.

Everything is computed inside dbt (issue 6): ``dbt build --selector health`` builds the
``int_health__*`` input views with their data tests (tag ``health``) and
``system_health_scorecard`` at ``as_of``. This module runs that build (the one dbt
process), reads the scorecard table straight from the warehouse (:func:`read_scorecard`,
no second dbt process) and maps it to an exit code.

Exit codes follow the Nagios / Icinga plugin convention, on purpose different from the
jobs' codes (:mod:`eros.jobs`):

* 0 every scorecard check PASS;
* 1 at least one WARN (and no FAIL);
* 2 at least one FAIL;
* 3 the checks could not be run: no warehouse, unknown target, bad ``--as-of``, a dbt
  build error (a model or a test that could not execute).

The health data tests' own verdicts (warn / fail) are reported next to the scorecard;
the exit code comes from the scorecard, which covers the same conditions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape

from eros import console
from eros.core import LA, TS_FORMAT
from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke
from eros.errors import ErosRunError, ErosUsageError
from eros.project import duckdb_path_problem, target_type
from eros.warehouse import Warehouse, connect, timestamp_text

HEALTH_SELECTOR = "health"
SCORECARD_MODEL = "system_health_scorecard"

EXIT_PASS = 0
EXIT_WARN = 1
EXIT_FAIL = 2
EXIT_UNKNOWN = 3
STATUS_EXIT_CODES = {"PASS": EXIT_PASS, "WARN": EXIT_WARN, "FAIL": EXIT_FAIL, "UNKNOWN": EXIT_UNKNOWN}
STATUS_STYLES = {"PASS": "green", "WARN": "yellow", "FAIL": "bold red", "UNKNOWN": "magenta"}

# Unit of observed_value per check (display only; the scorecard stores plain numbers).
CHECK_UNITS = {
    "daily_run_recency": "h",
    "caption_performance_recency": "h",
    "lock_sweep_recency": "h",
    "active_locks_volume": "",
    "failed_jobs_7d": "",
    "unacknowledged_critical_24h": "",
    "caption_attribution_share": "%",
    "mass_messages_freshness": "h",
}


@dataclasses.dataclass
class HealthReport:
    """Outcome of one ``eros health`` run (the ``--json`` output).

    Attributes:
        status: worst scorecard status, PASS / WARN / FAIL, or UNKNOWN when the checks
            could not run.
        exit_code: 0 / 1 / 2 / 3 (module docstring).
        as_of: reference instant of the checks, ``YYYY-MM-DD HH:MM:SS`` UTC.
        execution_date: its America/Los_Angeles date (ISO), passed to dbt as execution_date.
        target: dbt target.
        checks: scorecard rows (check_name, status, observed_value, threshold, detail,
            checked_at), in display order.
        tests: health data tests that did not pass: name, status (warn / fail / error),
            failing_rows (dbt's failure count), message.
        tests_total: data tests run by the build.
        duration_seconds: wall time of the whole command.
        error: why the checks could not run (UNKNOWN only).
    """

    status: str
    exit_code: int
    as_of: str
    execution_date: str
    target: str
    checks: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    tests_total: int
    duration_seconds: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


def health_variables(as_of: dt.datetime) -> dict[str, str]:
    """dbt vars of a health run: ``as_of_timestamp`` (naive UTC) and its LA date as
    ``execution_date``, so date windows (attribution) and hour windows agree."""
    local_date = as_of.replace(tzinfo=dt.UTC).astimezone(LA).date()
    return {"as_of_timestamp": as_of.strftime(TS_FORMAT), "execution_date": local_date.isoformat()}


def now_utc_ceiled() -> dt.datetime:
    """Now as naive UTC, rounded UP to the whole second: as_of is passed to dbt in whole
    seconds, and rounding down would put an event of the current second (a load a moment
    ago) after as_of, where the checks ignore it."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=0) + dt.timedelta(seconds=1 if now.microsecond else 0)


def worst_status(statuses: list[str]) -> str:
    """FAIL over WARN over PASS; PASS for an empty list."""
    for level in ("FAIL", "WARN"):
        if level in statuses:
            return level
    return "PASS"


def read_scorecard(warehouse: Warehouse) -> list[dict[str, Any]] | None:
    """The rows of system_health_scorecard, read without dbt, in display order
    (:data:`CHECK_UNITS` order, then any other check by name); None when the table does not
    exist.

    Returns:
        Rows of check_name, status, observed_value, threshold, detail, checked_at
        (``YYYY-MM-DD HH:MM:SS`` UTC text).

    Raises:
        ErosRunError: the query failed.
    """
    if not warehouse.exists(SCORECARD_MODEL):
        return None
    rows = warehouse.query(f"select check_name, status, observed_value, threshold, detail, checked_at from {warehouse.table(SCORECARD_MODEL)}")
    order = list(CHECK_UNITS)
    rows.sort(key=lambda r: (order.index(r["check_name"]) if r["check_name"] in order else len(order), str(r["check_name"])))
    for row in rows:
        row["checked_at"] = timestamp_text(row["checked_at"])
    return rows


def _error_detail(build: DbtRun, node_name: str) -> str | None:
    """The database's own words about a failed node (e.g. "Catalog Error: Table with name
    x does not exist!"), from dbt's error events."""
    for text in build.errors:
        if node_name not in text:
            continue
        for line in text.splitlines():
            line = line.strip()
            if "Error" in line and not line.startswith(("Runtime Error in", "Database Error in", "Compilation Error in")) \
                    and node_name not in line:
                return line
    return None


def _build_problem(build: DbtRun) -> str | None:
    """Why the build did not produce trustworthy checks, or None: a model that errored or
    was skipped, a test that could not execute, or dbt not starting at all."""
    if build.invocation_id is None:
        return f"dbt did not start: {first_error_line(build) or 'no output'}"
    for node in build.nodes:
        failed_model = node.resource_type == "model" and node.status in ("error", "skipped", "runtime error")
        failed_test = node.resource_type == "test" and node.status in ("error", "runtime error")
        if failed_model or failed_test:
            detail = _error_detail(build, node.name) or (node.message or node.status).strip().splitlines()[0]
            return f"{'test ' if failed_test else ''}{node.name} could not run: {detail}"
    if not build.ok and not any(n.resource_type == "test" and n.status == "fail" for n in build.nodes):
        return first_error_line(build) or f"dbt build exited {build.returncode}"
    return None


def run_health(
    *,
    project: Path,
    target: str,
    as_of: dt.datetime | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    duckdb_file: Path | None = None,
) -> HealthReport:
    """Build the health selector and return the scorecard.

    Args:
        project: dbt project directory.
        target: profile target (already validated).
        as_of: reference "now" (naive UTC); default the current time.
        on_event: progress callback for dbt events.
        duckdb_file: the local warehouse file, checked to exist when the target is DuckDB.

    Returns:
        A :class:`HealthReport`; status UNKNOWN (exit 3) when the checks could not run.
        dbt problems are reported in it, never raised.
    """
    started = time.monotonic()
    moment = as_of or now_utc_ceiled()
    variables = health_variables(moment)

    def unknown(reason: str, tests: list[dict[str, Any]] | None = None, total: int = 0) -> HealthReport:
        return HealthReport(
            status="UNKNOWN", exit_code=EXIT_UNKNOWN, as_of=variables["as_of_timestamp"],
            execution_date=variables["execution_date"], target=target, checks=[], tests=tests or [],
            tests_total=total, duration_seconds=round(time.monotonic() - started, 2), error=reason,
        )

    if target_type(project, target) == "duckdb" and duckdb_file is not None and not duckdb_file.exists():
        # a mistyped folder gets the one description of a bad path (as eros alerts list says it)
        problem = duckdb_path_problem(duckdb_file)
        if problem is not None:
            return unknown(f"warehouse {duckdb_file}: {problem}")
        return unknown(f"no warehouse at {duckdb_file} (run `eros generate` or `eros demo` first)")
    failures: dict[str, int] = {}

    def watch(event: DbtEvent) -> None:
        if event.name == "LogTestResult" and event.data.get("num_failures") is not None:
            failures[str(event.data.get("name"))] = int(event.data["num_failures"])
        if on_event is not None:
            on_event(event)

    build = invoke(["build", "--selector", HEALTH_SELECTOR], project=project, target=target, variables=variables, on_event=watch)
    tests = [n for n in build.nodes if n.resource_type == "test"]
    not_passing = [
        {
            "name": n.name,
            "status": n.status,
            "failing_rows": failures.get(n.name),
            "message": f"{failures.get(n.name, '?')} failing row(s)" if n.status in ("warn", "fail") else (n.message or n.status).strip(),
        }
        for n in tests if n.status not in ("pass", "success", "skipped")
    ]
    problem = _build_problem(build)
    checks = None
    if problem is None:
        try:
            with connect(project, target, read_only=True) as warehouse:
                checks = read_scorecard(warehouse)
        except (ErosRunError, ErosUsageError) as exc:
            problem = f"cannot read {SCORECARD_MODEL}: {exc}"
    if problem is None and checks is None:
        problem = f"{SCORECARD_MODEL} was not built"
    if problem is not None:
        return unknown(problem, not_passing, len(tests))
    assert checks is not None
    status = worst_status([str(c.get("status")) for c in checks])
    return HealthReport(
        status=status,
        exit_code=STATUS_EXIT_CODES[status],
        as_of=variables["as_of_timestamp"],
        execution_date=variables["execution_date"],
        target=target,
        checks=checks,
        tests=not_passing,
        tests_total=len(tests),
        duration_seconds=round(time.monotonic() - started, 2),
    )


def format_observed(check_name: str, value: Any) -> str:
    """observed_value for people (the one number format, eros.console.number): ``27.5 h``,
    ``728``, ``97.4%``; ``none`` when NULL."""
    if value is None:
        return "none"
    unit = CHECK_UNITS.get(check_name, "")
    if unit == "h":
        return f"{console.number(float(value), 1, fixed=True)} h"
    if unit == "%":  # as everywhere else: '97.4%' (alert messages, the report, page errors)
        return console.percent(value)
    return console.number(value, 2)


def print_health(report: HealthReport) -> None:
    """The scorecard as a rich table on stdout, then the tests that did not pass."""
    out = console.stdout
    if report.status == "UNKNOWN":
        out.print(f"[{STATUS_STYLES['UNKNOWN']}]HEALTH UNKNOWN[/]: could not check: {report.error}")
        return
    rows = []
    for check in report.checks:
        status = str(check.get("status"))
        detail = str(check.get("detail") or "")
        if console.is_wide() and check.get("threshold"):
            detail += f" (levels: {check.get('threshold')})"
        rows.append((str(check.get("check_name")), console.styled(status, STATUS_STYLES),
                     format_observed(str(check.get("check_name")), check.get("observed_value")), detail))
    hint = "" if console.is_wide() else " (--wide: levels)"
    table = console.fit_table(
        f"eros health · {report.status} · as of {report.as_of} UTC ({report.execution_date} LA) · target {report.target}{hint}",
        [("check", "id"), ("status", "fixed"), ("observed", "number"), ("detail", "text")], rows,
    )
    out.print(table)
    passed = report.tests_total - len(report.tests)
    out.print(f"health data tests: {console.number(passed)} of {console.number(report.tests_total)} passed; "
              f"checked in {console.seconds(report.duration_seconds)}", highlight=False)
    for test in report.tests:
        style = "yellow" if test["status"] == "warn" else "bold red"
        out.print(f"  [{style}]{test['status'].upper()}[/] {escape(str(test['name']))}: {escape(str(test['message']))}", highlight=False)
