"""The scheduled jobs and how one run of each is sequenced.

Every job is a dbt selector (``selectors.yml``) plus, for some, run-operations. The job
row, page errors, queue and alerts are written inside dbt (models and hooks), so a dbt
Cloud job running the same commands records the same rows. This module only sequences
the dbt steps, reads back what the run recorded, and maps it to an exit code:

* 0: SUCCESS or COMPLETED_NO_WORK;
* 1: COMPLETED_WITH_ERRORS or FAILED (circuit breaker, node failure);
* 2: the run could not be recorded (bad usage, missing source, dbt crash).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke, run_operation
from eros.errors import ErosRunError, ErosUsageError

LA = ZoneInfo("America/Los_Angeles")

EXIT_OK = 0
EXIT_JOB_ERRORS = 1
EXIT_USAGE = 2

STATUS_EXIT_CODES = {
    "SUCCESS": EXIT_OK,
    "COMPLETED_NO_WORK": EXIT_OK,
    "COMPLETED_WITH_ERRORS": EXIT_JOB_ERRORS,
    "FAILED": EXIT_JOB_ERRORS,
}


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """A scheduled job.

    Attributes:
        key: name on the command line (``eros run <key>``).
        job_name: ``etl_job_runs.job_name``.
        selector: dbt selector in selectors.yml built by the job (None: run-operation only).
        description: one line for help texts.
        runner: custom sequencing, called like :func:`run_build_job` minus ``spec``
            (None: plain ``dbt build --selector``).
    """

    key: str
    job_name: str
    selector: str | None
    description: str
    runner: Callable[..., JobOutcome] | None = None


JOBS: dict[str, JobSpec] = {}  # filled below, once JobOutcome exists


def _lock_sweep_module() -> Any:
    """eros.lock_sweep, imported on first use (it imports this module)."""
    import eros.lock_sweep

    return eros.lock_sweep


def _register(*specs: JobSpec) -> None:
    for spec in specs:
        JOBS[spec.key] = spec


_JOB_SPECS = [
    JobSpec(
        key="daily",
        job_name="daily_automation",
        selector="daily",
        description="Analyse every page, record failures, queue pages under 80% saturation, then sweep locks.",
        # ends with the lock sweep (issue 5); imported lazily: eros.lock_sweep imports this module
        runner=lambda **kwargs: _lock_sweep_module().run_daily_with_sweep(**kwargs),
    ),
    # --- caption-performance job (issue 4) ---
    JobSpec(
        key="caption-performance",
        job_name="caption_performance",
        selector="caption_performance",
        description="Attribute PPV messages to captions, merge the daily grain, recompute caption_bandit_stats and recommendations.",
    ),
    # --- lock-sweep job (issue 5) ---
    JobSpec(
        key="lock-sweep",
        job_name="lock_sweep",
        selector="lock_sweep",
        description="Deactivate past-date and stale caption locks in one transaction; log the sweep, alert on bloat.",
        runner=lambda **kwargs: _lock_sweep_module().run_lock_sweep_job(**kwargs),
    ),
]


@dataclasses.dataclass
class JobOutcome:
    """What a job run recorded, as the CLI reports it.

    Attributes:
        job: job key.
        job_name: ``etl_job_runs.job_name``.
        job_id: the run's job id (dbt invocation id of the build).
        status: final ``job_status``.
        execution_date: ISO business date.
        exit_code: 0, 1 or 2 (module docstring).
        duration_seconds: wall time of the whole job as the CLI saw it.
        job_row: the ``etl_job_runs`` row.
        counts: job-specific counts (pages_active, pages_queued, ...).
        alerts: alert rows raised by the run.
        steps: per dbt step: command, return code, seconds, failed nodes.
        error_message: the job row's error message, or why the run was not recorded.
        alerting: what the alerting step after the job did (eros.alerts.after_job), or None
            when it was skipped (--no-alerts, dry run).
    """

    job: str
    job_name: str
    job_id: str | None
    status: str
    execution_date: str
    exit_code: int
    duration_seconds: float
    job_row: dict[str, Any] | None
    counts: dict[str, Any]
    alerts: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    error_message: str | None
    alerting: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``--json`` output)."""
        return dataclasses.asdict(self)


def today_in_la(now: dt.datetime | None = None) -> dt.date:
    """Business date: today in America/Los_Angeles (DOMAIN.md)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(LA).date()


def parse_execution_date(text: str | None) -> dt.date:
    """Parse ``--date``.

    Args:
        text: ``YYYY-MM-DD`` or None for today in LA.

    Raises:
        ErosUsageError: not ISO, or not a calendar date.
    """
    if text is None:
        return today_in_la()
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or [len(p) for p in parts] != [4, 2, 2]:
        raise ErosUsageError(f"invalid --date '{text}': expected YYYY-MM-DD")
    try:
        value = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ErosUsageError(f"invalid --date '{text}': not a calendar date") from None
    if not 2000 <= value.year <= 2100:
        raise ErosUsageError(f"invalid --date '{text}': outside the supported years 2000-2100")
    return value


def parse_timestamp(text: str | None, option: str = "--as-of") -> dt.datetime | None:
    """Parse an ISO timestamp option; naive values are UTC. Returns naive UTC.

    Raises:
        ErosUsageError: when the text is not an ISO timestamp.
    """
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ErosUsageError(f"invalid {option} '{text}': expected an ISO timestamp like 2026-03-08T00:30:00-08:00") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def job_variables(execution_date: dt.date, as_of: dt.datetime | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """dbt vars of a job run: the explicit execution date (so every step agrees on it),
    the optional reference time, and any extra vars."""
    variables: dict[str, Any] = {"execution_date": execution_date.isoformat()}
    if as_of is not None:
        variables["as_of_timestamp"] = as_of.strftime("%Y-%m-%d %H:%M:%S")
    if extra:
        variables.update(extra)
    return variables


def _step_record(run: DbtRun) -> dict[str, Any]:
    return {
        "command": " ".join(run.args[:3]),
        "returncode": run.returncode,
        "seconds": round(run.elapsed_seconds, 2),
        "failed_nodes": [f"{n.name}: {n.status}" for n in run.failed_nodes()],
    }


def report_job(job_id: str, *, project: Path, target: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """Read back the job row, its alerts and counts (macro eros_report_job).

    Raises:
        ErosRunError: when the report macro fails.
    """
    run = run_operation("eros_report_job", {"job_id": job_id}, project=project, target=target, variables=variables)
    if not run.ok or not run.payloads:
        raise ErosRunError(f"could not read the job's results: {first_error_line(run) or 'no report'}")
    return run.payloads[-1]


def run_build_job(
    spec: JobSpec,
    *,
    project: Path,
    target: str,
    execution_date: dt.date,
    as_of: dt.datetime | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    after_build: Callable[[str, dict[str, Any]], list[DbtRun]] | None = None,
) -> JobOutcome:
    """Run one job: ``dbt build --selector <job>``, optional follow-up steps, then read
    back what the hooks recorded.

    Args:
        spec: the job.
        project: dbt project directory.
        target: profile target.
        execution_date: business date to run for.
        as_of: reference "now" for validation rules (default: the run's start).
        extra_vars: more dbt vars.
        on_event: progress callback for dbt events.
        after_build: follow-up steps given (job_id, vars), returning their dbt runs.

    Returns:
        The :class:`JobOutcome`.

    Raises:
        ErosUsageError: a source table or column is missing (one line, exit 2).
        ErosRunError: dbt failed before the job row was recorded.
    """
    if spec.selector is None:
        raise ErosRunError(f"job {spec.key} has no selector")
    started = dt.datetime.now(dt.UTC)
    variables = job_variables(execution_date, as_of, extra_vars)
    build = invoke(["build", "--selector", spec.selector], project=project, target=target, variables=variables, on_event=on_event)
    steps = [_step_record(build)]
    problem = first_error_line(build)
    if any("EROS_SOURCE_MISSING:" in e for e in build.errors):
        raise ErosUsageError(problem or "a source table is missing")
    if build.invocation_id is None:
        raise ErosRunError(f"dbt did not start: {problem or 'no output'}")
    if after_build is not None:
        for run in after_build(build.invocation_id, variables):
            steps.append(_step_record(run))
    report = report_job(build.invocation_id, project=project, target=target, variables=variables)
    job_row = report.get("job")
    duration = (dt.datetime.now(dt.UTC) - started).total_seconds()
    if job_row is None:
        raise ErosRunError(f"dbt build did not record the job (exit {build.returncode}): {problem or 'no job row'}")
    status = str(job_row.get("job_status"))
    return JobOutcome(
        job=spec.key,
        job_name=spec.job_name,
        job_id=build.invocation_id,
        status=status,
        execution_date=execution_date.isoformat(),
        exit_code=STATUS_EXIT_CODES.get(status, EXIT_USAGE),
        duration_seconds=round(duration, 2),
        job_row=job_row,
        counts=report.get("counts", {}),
        alerts=report.get("alerts", []),
        steps=steps,
        error_message=job_row.get("error_message"),
    )


def run_job(key: str, **kwargs: Any) -> JobOutcome:
    """Run the job ``key`` (see :data:`JOBS`) with :func:`run_build_job`'s keyword args.
    The alerting step after it is :func:`eros.alerts.run_job_with_alerts`.

    Raises:
        ErosUsageError: unknown job.
    """
    spec = JOBS.get(key)
    if spec is None:
        raise ErosUsageError(f"unknown job '{key}' (known: {', '.join(sorted(JOBS))})")
    return spec.runner(**kwargs) if spec.runner is not None else run_build_job(spec, **kwargs)


_register(*_JOB_SPECS)
