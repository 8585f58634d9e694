"""The lock sweep job (issue 5) and the sweep that ends the daily job.

The sweep itself is the dbt run-operation ``sweep_locks`` (macros/locks/sweep_locks.sql):
it deactivates expired locks and appends its ``lock_sweep_log`` row in one transaction,
and records its own job row (job_name ``lock_sweep``) and ``lock_cleanup`` alerts. This
module only sequences dbt steps:

1. ``dbt run-operation sweep_locks`` (args ``as_of``, ``dry_run``, ``parent_job_id``);
2. only when the macro reports ``EROS_SWEEP_NEEDS_BUILD`` (a table it writes is missing or
   lacks a column): ``dbt build --selector lock_sweep``, then the run-operation once more;
3. when the run-operation failed: ``dbt run-operation eros_lock_sweep_record_failure``
   (the macro cannot catch its own error), which completes the sweep's job row as FAILED,
   raises a CRITICAL alert and, for the daily job's sweep, writes the page-independent
   error row (``creator_processing_errors``, page_name ``__lock_sweep__``);
4. the job row and alerts are read back with the macro ``eros_report_job``, which the sweep
   and the failure recorder call at their end (one dbt process less per sweep); when that
   payload is missing, ``dbt run-operation eros_report_job`` reads them.

Exit codes are those of :mod:`eros.jobs`. A dry run writes nothing (no job row): its
outcome has status ``DRY_RUN``, exit code 0, and the counts it would have cleaned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke, run_operation
from eros.errors import ErosRunError, ErosUsageError
from eros.jobs import EXIT_OK, EXIT_USAGE, JOBS, STATUS_EXIT_CODES, JobOutcome, _step_record, report_job, run_build_job
from eros.locks import job_lock
from eros.project import duckdb_path

SWEEP_MACRO = "sweep_locks"
FAILURE_MACRO = "eros_lock_sweep_record_failure"
SWEEP_SELECTOR = "lock_sweep"
SWEEP_JOB_NAME = "lock_sweep"
NEEDS_BUILD_MARKER = "EROS_SWEEP_NEEDS_BUILD:"
SOURCE_MISSING_MARKER = "EROS_SOURCE_MISSING:"
# page_name of the creator_processing_errors row that records a failed end-of-day sweep.
DAILY_SWEEP_ERROR_PAGE = "__lock_sweep__"
# How long the daily job waits for an hourly sweep that holds the lock_sweep lock.
DAILY_SWEEP_LOCK_WAIT_SECONDS = 300.0
# Keys of the sweep's EROS_JSON payload reported as job counts.
COUNT_KEYS = (
    "locks_expired_past_date",
    "locks_expired_stale",
    "total_locks_cleaned",
    "active_locks_after",
    "pages_affected",
    "sweep_duration_seconds",
    "business_date",
    "sweep_time",
)


@dataclasses.dataclass
class SweepAttempt:
    """What one sweep attempt did (all dbt steps, in order).

    Attributes:
        runs: dbt invocations: optional build, the run-operation(s), optional failure record.
        job_id: the sweep's ``etl_job_runs.job_id`` (invocation id of its run-operation, or of
            the failure recorder when the sweep never started); None for a dry run.
        ok: the sweep's run-operation succeeded.
        result: the sweep's ``lock_sweep`` payload (counts, business_date, alerts raised).
        failure: the failure recorder's payload, when it ran.
        error: one line saying why the sweep failed (None when ok).
        source_missing: the failure was a missing source table or column.
    """

    runs: list[DbtRun]
    job_id: str | None
    ok: bool
    result: dict[str, Any] | None
    failure: dict[str, Any] | None
    error: str | None
    source_missing: bool = False


def _has_marker(run: DbtRun, marker: str) -> bool:
    return any(marker in text for text in run.errors)


def _payload(run: DbtRun, key: str) -> dict[str, Any] | None:
    for payload in reversed(run.payloads):
        if key in payload:
            return payload[key]
    return None


def sweep_once(
    *,
    project: Path,
    target: str,
    as_of: dt.datetime | None = None,
    dry_run: bool = False,
    parent_job_id: str | None = None,
    variables: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
) -> SweepAttempt:
    """Run the sweep run-operation, building its tables first only when the macro says they
    are missing (``EROS_SWEEP_NEEDS_BUILD``). A failure is reported, not recorded: callers
    decide (:func:`record_sweep_failure`).

    Args:
        project: dbt project directory.
        target: profile target.
        as_of: the sweep's reference instant, naive UTC (None: when dbt starts). Its LA date
            is the sweep's "today" (DOMAIN.md "Lock sweep").
        dry_run: only compute what would be deactivated, by reason; write nothing.
        parent_job_id: the daily job this sweep ends (logged in lock_sweep_log; a failure is
            recorded as that job's page-independent error).
        variables: dbt vars for every step (e.g. the daily job's vars).
        on_event: progress callback for dbt events.

    Returns:
        A :class:`SweepAttempt`; dbt failures are reported in it, not raised.

    Raises:
        ErosRunError: when dbt cannot be started at all.
    """
    macro_args: dict[str, Any] = {}
    if as_of is not None:
        macro_args["as_of"] = as_of.strftime("%Y-%m-%d %H:%M:%S")
    if dry_run:
        macro_args["dry_run"] = True
    if parent_job_id:
        macro_args["parent_job_id"] = parent_job_id
    runs: list[DbtRun] = []

    def _sweep() -> DbtRun:
        run = invoke(
            ["run-operation", SWEEP_MACRO, *(["--args", _json(macro_args)] if macro_args else [])],
            project=project, target=target, variables=variables, on_event=on_event,
        )
        runs.append(run)
        return run

    sweep = _sweep()
    build: DbtRun | None = None
    if not sweep.ok and _has_marker(sweep, NEEDS_BUILD_MARKER):
        build = invoke(["build", "--selector", SWEEP_SELECTOR], project=project, target=target, variables=variables, on_event=on_event)
        runs.append(build)
        # retried even when a data test of the build failed: the macro itself checks the tables
        sweep = _sweep()
    result = _payload(sweep, "lock_sweep") if sweep.ok else None
    if sweep.ok and result is not None:
        return SweepAttempt(runs, None if dry_run else sweep.invocation_id, True, result, None, None)
    error = first_error_line(sweep) or "the lock sweep failed (no error message)"
    if build is not None and not build.ok and _has_marker(sweep, NEEDS_BUILD_MARKER):
        error = f"dbt build --selector {SWEEP_SELECTOR} failed: {first_error_line(build) or 'no error message'}"
    source_missing = _has_marker(sweep, SOURCE_MISSING_MARKER)
    return SweepAttempt(runs, None if dry_run else sweep.invocation_id, False, None, None, error, source_missing)


def _json(value: Mapping[str, Any]) -> str:
    import json

    return json.dumps(dict(value), default=str)


def record_sweep_failure(
    attempt: SweepAttempt,
    *,
    project: Path,
    target: str,
    as_of: dt.datetime | None,
    parent_job_id: str | None,
    variables: Mapping[str, Any] | None = None,
) -> None:
    """Record a failed sweep with ``dbt run-operation eros_lock_sweep_record_failure``: the
    sweep's job row FAILED (job_id = ``attempt.job_id``, or the recorder's invocation id when
    None, which is then stored in ``attempt.job_id``), a CRITICAL ``lock_cleanup`` alert, and
    for a daily job's sweep a ``creator_processing_errors`` row (page_name ``__lock_sweep__``).
    Updates ``attempt`` in place (``runs``, ``failure``, ``job_id``); never raises for a dbt failure.
    """
    args: dict[str, Any] = {"message": attempt.error or "the lock sweep failed"}
    if attempt.job_id:
        args["job_id"] = attempt.job_id
    if parent_job_id:
        args["parent_job_id"] = parent_job_id
    if as_of is not None:
        args["as_of"] = as_of.strftime("%Y-%m-%d %H:%M:%S")
    record = run_operation(FAILURE_MACRO, args, project=project, target=target, variables=variables)
    attempt.runs.append(record)
    attempt.failure = _payload(record, "lock_sweep_failure")
    if attempt.job_id is None and attempt.failure is not None:
        attempt.job_id = attempt.failure.get("job_id")


def _report_payload(run: DbtRun, job_id: str) -> dict[str, Any] | None:
    """The eros_report_job payload of ``job_id`` printed by ``run``, if any."""
    for payload in reversed(run.payloads):
        job = payload.get("job") if "alerts" in payload else None
        if isinstance(job, dict) and job.get("job_id") == job_id:
            return payload
    return None


def _counts(result: Mapping[str, Any] | None) -> dict[str, Any]:
    if not result:
        return {}
    return {key: result[key] for key in COUNT_KEYS if key in result}


def run_lock_sweep_job(
    *,
    project: Path,
    target: str,
    execution_date: dt.date | None = None,
    as_of: dt.datetime | None = None,
    dry_run: bool = False,
    extra_vars: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
) -> JobOutcome:
    """``eros run lock-sweep``: one sweep, read back like the other jobs.

    Args:
        project: dbt project directory.
        target: profile target.
        execution_date: not used: the sweep's business date is the LA date of ``as_of``
            (accepted so :func:`eros.jobs.run_job` can pass the common arguments).
        as_of: reference instant, naive UTC (None: when the run-operation starts).
        dry_run: report what would be deactivated, by reason; change nothing, record no job.
        extra_vars: more dbt vars.
        on_event: progress callback for dbt events.

    Returns:
        The :class:`JobOutcome` (job_name ``lock_sweep``; counts: locks cleaned by reason,
        active locks after, pages affected, business_date). Dry run: status ``DRY_RUN``, exit 0,
        no job row, the counts it would clean plus ``by_page``.

    Raises:
        ErosUsageError: the source table or one of its columns is missing (exit 2).
        ErosRunError: dbt failed before the sweep could be recorded, or a dry run failed (exit 2).
    """
    del execution_date
    started = dt.datetime.now(dt.UTC)
    variables = dict(extra_vars or {})
    attempt = sweep_once(project=project, target=target, as_of=as_of, dry_run=dry_run, variables=variables, on_event=on_event)
    if attempt.source_missing:
        raise ErosUsageError(attempt.error or "the source table active_caption_assignments is missing")
    if dry_run:
        if not attempt.ok or attempt.result is None:
            raise ErosRunError(f"the dry run failed: {attempt.error}")
        counts = _counts(attempt.result)
        counts["dry_run"] = True
        counts["by_page"] = attempt.result.get("by_page", [])
        return JobOutcome(
            job="lock-sweep", job_name=SWEEP_JOB_NAME, job_id=None, status="DRY_RUN",
            execution_date=str(attempt.result.get("business_date")), exit_code=EXIT_OK,
            duration_seconds=round((dt.datetime.now(dt.UTC) - started).total_seconds(), 2),
            job_row=None, counts=counts, alerts=[], steps=[_step_record(run) for run in attempt.runs], error_message=None,
        )
    if not attempt.ok:
        if attempt.job_id is None and not any(run.invocation_id for run in attempt.runs):
            raise ErosRunError(f"dbt did not start: {attempt.error}")
        record_sweep_failure(attempt, project=project, target=target, as_of=as_of, parent_job_id=None, variables=variables)
    if attempt.job_id is None:
        raise ErosRunError(f"the lock sweep could not be recorded: {attempt.error}")
    # the sweep (or the failure recorder) ends with eros_report_job: use its payload when
    # present, else read the job back with one more dbt run-operation
    report = _report_payload(attempt.runs[-1], attempt.job_id)
    if report is None:
        report = report_job(attempt.job_id, project=project, target=target, variables=variables)
    job_row = report.get("job")
    if job_row is None:
        raise ErosRunError(f"the lock sweep did not record its job: {attempt.error or 'no job row'}")
    status = str(job_row.get("job_status"))
    return JobOutcome(
        job="lock-sweep",
        job_name=SWEEP_JOB_NAME,
        job_id=attempt.job_id,
        status=status,
        execution_date=str(job_row.get("execution_date")),
        exit_code=STATUS_EXIT_CODES.get(status, EXIT_USAGE),
        duration_seconds=round((dt.datetime.now(dt.UTC) - started).total_seconds(), 2),
        job_row=job_row,
        counts=_counts(attempt.result),
        alerts=report.get("alerts", []),
        steps=[_step_record(run) for run in attempt.runs],
        error_message=job_row.get("error_message"),
    )


def daily_sweep(
    daily_job_id: str,
    *,
    project: Path,
    target: str,
    as_of: dt.datetime | None,
    variables: Mapping[str, Any] | None,
    on_event: Callable[[DbtEvent], None] | None = None,
    lock_wait_seconds: float = DAILY_SWEEP_LOCK_WAIT_SECONDS,
) -> SweepAttempt:
    """The sweep that ends the daily job (DOMAIN.md "Lock sweep": hourly and at the end of
    the daily job), with ``parent_job_id`` = the daily job id. Never raises: any failure
    (source missing, dbt error, another sweep holding the lock for ``lock_wait_seconds``) is
    recorded by the failure recorder as the sweep's FAILED job row, a CRITICAL alert and the
    daily job's page-independent error row; the daily job's own status is not changed.
    """
    try:
        with job_lock(duckdb_path(project).parent / ".locks", SWEEP_JOB_NAME, wait_seconds=lock_wait_seconds):
            attempt = sweep_once(project=project, target=target, as_of=as_of, parent_job_id=daily_job_id, variables=variables,
                                 on_event=on_event)
    except (ErosRunError, ErosUsageError) as exc:
        attempt = SweepAttempt([], None, False, None, None, f"the lock sweep did not run: {exc}")
    if not attempt.ok:
        try:
            record_sweep_failure(attempt, project=project, target=target, as_of=as_of, parent_job_id=daily_job_id, variables=variables)
        except ErosRunError as exc:  # dbt could not even start: keep the daily outcome, report it
            attempt.error = f"{attempt.error}; recording the failure failed too: {exc}"
    return attempt


def run_daily_with_sweep(
    *,
    project: Path,
    target: str,
    execution_date: dt.date,
    as_of: dt.datetime | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    after_build: Callable[[str, dict[str, Any]], list[DbtRun]] | None = None,
) -> JobOutcome:
    """The daily job (:func:`eros.jobs.run_build_job` on the ``daily`` spec) ending with a lock
    sweep (:func:`daily_sweep`). Same arguments, return value and errors as run_build_job;
    the outcome's counts gain ``lock_sweep_status``, ``lock_sweep_job_id``, ``locks_cleaned``
    and ``active_locks_after``, its alerts gain the sweep's alerts, and its steps the sweep's
    dbt steps. The exit code is the daily job's: a failed sweep does not change it.
    """
    attempts: list[SweepAttempt] = []

    def _after(job_id: str, variables: dict[str, Any]) -> list[DbtRun]:
        runs = list(after_build(job_id, variables)) if after_build is not None else []
        attempt = daily_sweep(job_id, project=project, target=target, as_of=as_of, variables=variables, on_event=on_event)
        attempts.append(attempt)
        return runs + attempt.runs

    outcome = run_build_job(
        JOBS["daily"], project=project, target=target, execution_date=execution_date, as_of=as_of,
        extra_vars=extra_vars, on_event=on_event, after_build=_after,
    )
    if attempts:
        attempt = attempts[-1]
        outcome.counts["lock_sweep_status"] = "SUCCESS" if attempt.ok else "FAILED"
        outcome.counts["lock_sweep_job_id"] = attempt.job_id
        if attempt.ok and attempt.result is not None:
            outcome.counts["locks_cleaned"] = attempt.result.get("total_locks_cleaned")
            outcome.counts["active_locks_after"] = attempt.result.get("active_locks_after")
            for alert in attempt.result.get("alerts", []):
                outcome.alerts.append({"alert_level": alert.get("level"), "alert_source": "lock_cleanup",
                                       "alert_message": alert.get("message"), "job_id": attempt.job_id})
        else:
            outcome.counts["lock_sweep_error"] = attempt.error
            outcome.alerts.append({"alert_level": "CRITICAL", "alert_source": "lock_cleanup",
                                   "alert_message": f"Lock sweep FAILED: {attempt.error}", "job_id": attempt.job_id})
    return outcome
