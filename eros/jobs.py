"""The scheduled jobs: one job = one dbt build.

Each job is ``dbt build --selector <selector>`` and that one command does the whole job
(selectors.yml, the hooks in macros/automation/job_runs.sql): the seeds it needs, the
models and tests, the lock sweep (node ``lock_sweep_run``), the job row, page errors,
job alerts and the alert-rule evaluation. A dbt Cloud job running the same command
records the same rows. This module starts that one dbt process, then reads what the run
recorded straight from the warehouse (:mod:`eros.warehouse`, no further dbt command) and
maps it to an exit code:

* 0: SUCCESS or COMPLETED_NO_WORK;
* 1: COMPLETED_WITH_ERRORS or FAILED (circuit breaker, node failure);
* 2: the run could not be recorded (bad usage, missing source, dbt crash).

The lock sweep's dry run is the one job form that is not a build: ``dbt run-operation
sweep_locks --args '{dry_run: true}'`` (one dbt process too), which writes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from eros.core import (  # noqa: F401  (re-exported: the pure pieces live in eros.core)
    EXIT_JOB_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    LA,
    STATUS_EXIT_CODES,
    TS_FORMAT,
    JobOutcome,
    parse_execution_date,
    parse_timestamp,
    today_in_la,
)
from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke
from eros.errors import ErosRunError, ErosUsageError
from eros.jobspec import load_registry
from eros.locks import job_lock
from eros.project import duckdb_path, project_dir
from eros.runs import read_page_errors
from eros.warehouse import timestamp_text

SOURCE_MISSING_MARKER = "EROS_SOURCE_MISSING:"
# The sweep that ends a daily job has job id `<daily job id>` + this suffix (macro
# eros_lock_sweep_job_ids); its parent_job_id is the daily job id.
DAILY_SWEEP_SUFFIX = ".sweep"
# How long the daily job waits for an hourly sweep (eros run lock-sweep) holding its lock.
DAILY_SWEEP_LOCK_WAIT_SECONDS = 300.0
# Page errors a daily run's summary names (`eros errors` lists them all).
SUMMARY_PAGE_ERRORS = 5
# dbt var that turns the alert-rule evaluation at the end of a job's build off.
EVALUATE_ALERTS_VAR = "eros_evaluate_alerts"
SWEEP_COUNT_KEYS = (
    "locks_expired_past_date",
    "locks_expired_stale",
    "total_locks_cleaned",
    "active_locks_after",
    "pages_affected",
    "sweep_duration_seconds",
    "business_date",
    "sweep_time",
)


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its registry entry in jobs.yml (:class:`eros.jobspec.JobDefinition`).
    Running it is always one ``dbt build --selector <selector>`` (:func:`run_job`).

    Attributes:
        key: name on the command line (``eros run <key>``).
        job_name: ``etl_job_runs.job_name``.
        selector: dbt selector in selectors.yml built by the job.
        description: one line for help texts.
        options: options of its ``eros run`` command (date, as-of, var, dry-run).
    """

    key: str
    job_name: str
    selector: str | None
    description: str
    options: tuple[str, ...] = ("date", "as-of", "var")


class JobRegistry(Mapping[str, JobSpec]):
    """The jobs of ``eros run``, generated from the project's jobs.yml on first use
    (:func:`eros.jobspec.load_registry`). Reading it raises ErosUsageError (one line) when
    jobs.yml is missing or invalid."""

    def __init__(self, project: Path | None = None) -> None:
        self._project = project
        self._specs: dict[str, JobSpec] | None = None

    def _load(self) -> dict[str, JobSpec]:
        if self._specs is None:
            definitions = load_registry(self._project or project_dir())
            self._specs = {
                key: JobSpec(key=key, job_name=d.job_name, selector=d.selector, description=d.description, options=d.options)
                for key, d in definitions.items()
            }
        return self._specs

    def __getitem__(self, key: str) -> JobSpec:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


JOBS: Mapping[str, JobSpec] = JobRegistry()


def job_variables(execution_date: dt.date | None, as_of: dt.datetime | None = None, extra: Mapping[str, Any] | None = None,
                  *, alerts: bool = True) -> dict[str, Any]:
    """dbt vars of a job run: the explicit execution date (None: the macros' default, today
    in LA), the optional reference time, ``eros_evaluate_alerts: false`` when alerting is
    off, and any extra vars (which win)."""
    variables: dict[str, Any] = {}
    if execution_date is not None:
        variables["execution_date"] = execution_date.isoformat()
    if as_of is not None:
        variables["as_of_timestamp"] = as_of.strftime(TS_FORMAT)
    if not alerts:
        variables[EVALUATE_ALERTS_VAR] = False
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


def _plain(value: Any) -> Any:
    """A value read by :meth:`eros.warehouse.Warehouse.query` (which already turns DECIMAL /
    NUMERIC into int or float) as a JSON-ready value: timestamps as 'YYYY-MM-DD HH:MM:SS'
    UTC (:func:`eros.warehouse.timestamp_text`), dates ISO, other non-JSON types as text."""
    if isinstance(value, dt.datetime):
        return timestamp_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    return str(value)


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row.items()}


def _one(warehouse: Any, sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    rows = warehouse.query(sql, params)
    return _row(rows[0]) if rows else {}


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    return {key: int(value or 0) for key, value in row.items()}


def read_job(warehouse: Any, job_id: str) -> dict[str, Any] | None:
    """The ``etl_job_runs`` row of ``job_id`` (JSON-ready), or None."""
    if not warehouse.exists("etl_job_runs"):
        return None
    rows = warehouse.query(
        "select job_id, job_name, job_start_time, job_end_time, job_status, execution_date, creators_processed, "
        f"creators_failed, error_message, job_duration_seconds from {warehouse.table('etl_job_runs')} where job_id = @job_id",
        {"job_id": job_id},
    )
    return _row(rows[0]) if rows else None


def read_alerts(warehouse: Any, job_ids: list[str]) -> list[dict[str, Any]]:
    """Alert rows raised under any of ``job_ids``, oldest first."""
    if not warehouse.exists("automation_alerts"):
        return []
    if not job_ids:
        return []
    ids = {f"job{i}": job_id for i, job_id in enumerate(job_ids)}
    rows = warehouse.query(
        f"select alert_id, alert_time, alert_level, alert_source, alert_message, job_id from {warehouse.table('automation_alerts')} "
        f"where job_id in ({', '.join('@' + name for name in ids)}) order by alert_time, alert_id",
        ids,
    )
    return [_row({k: v for k, v in r.items() if k != "alert_time"}) for r in rows]


def read_sweep(warehouse: Any, sweep_id: str) -> dict[str, Any] | None:
    """The ``lock_sweep_log`` row of ``sweep_id`` (the counts of :data:`SWEEP_COUNT_KEYS`), or None."""
    if not warehouse.exists("lock_sweep_log"):
        return None
    rows = warehouse.query(
        f"select {', '.join(SWEEP_COUNT_KEYS)} from {warehouse.table('lock_sweep_log')} where sweep_id = @sweep_id",
        {"sweep_id": sweep_id},
    )
    return _row(rows[0]) if rows else None


def close_unfinished_job(project: Path, target: str, job_id: str, reason: str, *, now: dt.datetime | None = None) -> None:
    """Mark a job row dbt left RUNNING as FAILED with ``reason`` (the job's own end never
    ran: disk full, permission denied, a crash), so the row says why the run stopped.

    Args:
        project: dbt project directory.
        target: profile target.
        job_id: the row's job id.
        reason: one line (the dbt error), kept to 2000 characters.
        now: end time written (naive UTC; default the wall clock).

    Raises:
        ErosRunError: the row could not be written either (the message carries ``reason``).
    """
    from eros.warehouse import connect

    end = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
    try:
        with connect(project, target, read_only=False) as warehouse:
            warehouse.execute(
                f"update {warehouse.table('etl_job_runs')} set job_status = 'FAILED', job_end_time = @end, error_message = @reason "
                "where job_id = @job_id and job_status = 'RUNNING'",
                {"end": end, "reason": reason[:2000], "job_id": job_id},
            )
    except (ErosRunError, ErosUsageError, OSError) as exc:
        raise ErosRunError(f"job {job_id} stopped ({reason}) and its row could not be closed: {exc}") from None


def daily_counts(warehouse: Any, job_id: str, execution_date: str) -> dict[str, Any]:
    """Counts of a daily run: pages analysed / active / below the saturation threshold
    (page_daily_analysis of the job), pages it queued and the queue rows of its date, and
    the sweep that ended it (status, job id, locks cleaned, active locks after)."""
    counts: dict[str, Any] = {}
    if warehouse.exists("page_daily_analysis"):
        counts.update(_ints(_one(
            warehouse,
            "select count(*) as pages_analysed, sum(case when is_active then 1 else 0 end) as pages_active, "
            "sum(case when needs_schedule then 1 else 0 end) as pages_below_threshold "
            f"from {warehouse.table('page_daily_analysis')} where job_id = @job_id",
            {"job_id": job_id},
        )))
    if warehouse.exists("schedule_generation_queue"):
        counts.update(_ints(_one(
            warehouse,
            "select sum(case when queued_by_job_id = @job_id then 1 else 0 end) as pages_queued, count(*) as queue_rows_for_date, "
            "sum(case when status = 'PENDING' then 1 else 0 end) as queue_pending_for_date "
            f"from {warehouse.table('schedule_generation_queue')} where execution_date = @execution_date",
            {"job_id": job_id, "execution_date": dt.date.fromisoformat(execution_date)},
        )))
    sweep_id = job_id + DAILY_SWEEP_SUFFIX
    sweep_job = read_job(warehouse, sweep_id)
    if sweep_job is not None:
        counts["lock_sweep_status"] = sweep_job["job_status"]
        counts["lock_sweep_job_id"] = sweep_id
        sweep = read_sweep(warehouse, sweep_id)
        if sweep_job["job_status"] == "SUCCESS" and sweep is not None:
            counts["locks_cleaned"] = sweep["total_locks_cleaned"]
            counts["active_locks_after"] = sweep["active_locks_after"]
        elif sweep_job["error_message"]:
            counts["lock_sweep_error"] = sweep_job["error_message"]
    return counts


def caption_counts(warehouse: Any, job_id: str) -> dict[str, Any]:
    """Counts of a caption-performance run (the same as the job hook's,
    macros/caption_performance/caption_job.sql): pages with stats and captions updated,
    this run's recommendations and daily-grain rows, and the attribution of the PPV
    messages of the days it recomputed (attributed_pct None without messages)."""
    counts: dict[str, Any] = {}
    if warehouse.exists("caption_bandit_stats"):
        counts.update(_ints(_one(
            warehouse,
            f"select count(distinct page_name) as pages_with_stats, count(*) as captions_updated from {warehouse.table('caption_bandit_stats')}",
            {},
        )))
    if warehouse.exists("caption_recommendations"):
        counts.update(_ints(_one(
            warehouse, f"select count(*) as recommendations from {warehouse.table('caption_recommendations')} where job_id = @job_id",
            {"job_id": job_id},
        )))
    if warehouse.exists("int_caption_performance__daily"):
        counts.update(_ints(_one(
            warehouse, f"select count(*) as grain_rows_merged from {warehouse.table('int_caption_performance__daily')} where job_id = @job_id",
            {"job_id": job_id},
        )))
    if warehouse.exists("caption_attribution_daily"):
        row = _ints(_one(
            warehouse,
            "select sum(ppv_messages) as ppv_messages_window, sum(attributed_by_caption_id) as attributed_by_caption_id, "
            "sum(attributed_by_text) as attributed_by_text, sum(unmatched_messages) as unmatched_messages "
            f"from {warehouse.table('caption_attribution_daily')} where job_id = @job_id",
            {"job_id": job_id},
        ))
        total = row["ppv_messages_window"]
        row["attributed_pct"] = round(100.0 * (row["attributed_by_caption_id"] + row["attributed_by_text"]) / total, 2) if total else None
        counts.update(row)
    return counts


def _payload(run: DbtRun, key: str) -> Any:
    for payload in reversed(run.payloads):
        if key in payload:
            return payload[key]
    return None


def _evaluation(build: DbtRun) -> dict[str, Any]:
    """The alert-rule evaluation the build's on-run-end printed (EROS_JSON alert_evaluation)."""
    evaluation = _payload(build, "alert_evaluation")
    if evaluation is None:
        return {"evaluated": False, "raised": [], "resolved": 0, "send": None, "send_skipped": None,
                "error": f"the alert rules were not evaluated: {first_error_line(build) or 'no evaluation in the dbt log'}"}
    return {"evaluated": True, "raised": evaluation.get("raised", []), "resolved": len(evaluation.get("resolved", [])),
            "superseded": len(evaluation.get("superseded", [])), "send": None, "send_skipped": None, "error": None}


def _dry_run(spec: JobSpec, *, project: Path, target: str, as_of: dt.datetime | None, extra_vars: Mapping[str, Any] | None,
             on_event: Callable[[DbtEvent], None] | None, started: dt.datetime) -> JobOutcome:
    """``dbt run-operation sweep_locks --args '{dry_run: true}'``: what the sweep would
    deactivate, by reason and by page; writes nothing (no job row, no table)."""
    args: dict[str, Any] = {"dry_run": True}
    if as_of is not None:
        args["as_of"] = as_of.strftime(TS_FORMAT)
    run = invoke(["run-operation", "sweep_locks", "--args", json.dumps(args)], project=project, target=target,
                 variables=dict(extra_vars or {}), on_event=on_event)
    if any(SOURCE_MISSING_MARKER in e for e in run.errors):
        raise ErosUsageError(first_error_line(run) or "the source table active_caption_assignments is missing")
    result = _payload(run, "lock_sweep")
    if not run.ok or result is None:
        raise ErosRunError(f"the dry run failed: {first_error_line(run) or 'no result'}")
    counts = {key: result[key] for key in SWEEP_COUNT_KEYS if key in result}
    counts["dry_run"] = True
    counts["by_page"] = result.get("by_page", [])
    return JobOutcome(
        job=spec.key, job_name=spec.job_name, job_id=None, status="DRY_RUN",
        execution_date=str(result.get("business_date")), exit_code=EXIT_OK,
        duration_seconds=round((dt.datetime.now(dt.UTC) - started).total_seconds(), 2),
        job_row=None, counts=counts, alerts=[], steps=[_step_record(run)], error_message=None,
    )


def run_job(
    key: str,
    *,
    project: Path,
    target: str,
    execution_date: dt.date | None = None,
    as_of: dt.datetime | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    dry_run: bool = False,
    alerts: bool = True,
    deliver: Callable[[JobOutcome], dict[str, Any]] | None = None,
) -> JobOutcome:
    """Run the job ``key`` (see :data:`JOBS`): one ``dbt build --selector <selector>``
    process, then read the job row, its alerts and counts from the warehouse.

    Args:
        key: job key (``daily``, ``caption-performance``, ``lock-sweep``).
        project: dbt project directory.
        target: profile target.
        execution_date: business date (daily, caption-performance; None: today in LA). The
            lock sweep's business date is the LA date of ``as_of``.
        as_of: reference "now" (naive UTC) for validation rules and the sweep (None: the
            run's start).
        extra_vars: more dbt vars.
        on_event: progress callback for dbt events.
        dry_run: lock-sweep only: report what would be deactivated; change nothing.
        alerts: evaluate the alert rules at the end of the build (var eros_evaluate_alerts).
        deliver: called with the outcome after the build when ``alerts`` is on; returns the
            delivery result merged into ``outcome.alerting`` (``send``, ``send_skipped``,
            ``error``). It must not start dbt for the job again.

    Returns:
        The :class:`JobOutcome`.

    Raises:
        ErosUsageError: unknown job, ``dry_run`` on another job, a missing source table or
            column (one line, exit 2).
        ErosRunError: dbt failed before the job row was recorded.
    """
    spec = JOBS.get(key)
    if spec is None:
        raise ErosUsageError(f"unknown job '{key}' (known: {', '.join(sorted(JOBS))})")
    started = dt.datetime.now(dt.UTC)
    if dry_run:
        if "dry-run" not in spec.options:
            raise ErosUsageError(f"job {spec.key} has no dry run")
        return _dry_run(spec, project=project, target=target, as_of=as_of, extra_vars=extra_vars, on_event=on_event, started=started)

    # a job without --date (the lock sweep) takes its business date from as_of
    date = (execution_date or today_in_la()) if "date" in spec.options else None
    variables = job_variables(date, as_of, extra_vars, alerts=alerts)
    with contextlib.ExitStack() as stack:
        if spec.key == "daily":
            # the daily build ends its day with a sweep: wait for an hourly sweep to finish
            stack.enter_context(job_lock(duckdb_path(project).parent / ".locks", JOBS["lock-sweep"].job_name,
                                         wait_seconds=DAILY_SWEEP_LOCK_WAIT_SECONDS))
        build = invoke(["build", "--selector", spec.selector], project=project, target=target, variables=variables, on_event=on_event)
    problem = first_error_line(build)
    if any(SOURCE_MISSING_MARKER in e for e in build.errors):
        raise ErosUsageError(problem or "a source table is missing")
    if build.invocation_id is None:
        raise ErosRunError(f"dbt did not start: {problem or 'no output'}")
    job_id = build.invocation_id

    from eros.warehouse import connect

    page_errors: list[dict[str, Any]] = []
    with connect(project, target) as warehouse:
        job_row = read_job(warehouse, job_id)
    if job_row is None:
        raise ErosRunError(f"dbt build did not record the job (exit {build.returncode}): {problem or 'no job row'}")
    if job_row.get("job_status") == "RUNNING":
        # dbt stopped before its on-run-end recorded the end (disk full, permission denied,
        # a crash): the row says why, and the command fails with that one line (exit 2)
        reason = problem or f"dbt exited {build.returncode} before the job recorded its end"
        close_unfinished_job(project, target, job_id, reason, now=as_of)
        raise ErosRunError(f"job {spec.job_name} {job_id} failed: {reason}")
    with connect(project, target) as warehouse:
        business_date = str(job_row.get("execution_date"))
        if spec.key == "daily":
            counts = daily_counts(warehouse, job_id, business_date)
            alert_rows = read_alerts(warehouse, [job_id, job_id + DAILY_SWEEP_SUFFIX])
            page_errors = read_page_errors(warehouse, job_id, limit=SUMMARY_PAGE_ERRORS)
        elif spec.key == "lock-sweep":
            counts = dict(read_sweep(warehouse, job_id) or {})
            alert_rows = read_alerts(warehouse, [job_id])
        else:
            counts = caption_counts(warehouse, job_id)
            alert_rows = read_alerts(warehouse, [job_id])
    status = str(job_row.get("job_status"))
    outcome = JobOutcome(
        job=spec.key,
        job_name=spec.job_name,
        job_id=job_id,
        status=status,
        execution_date=business_date,
        exit_code=STATUS_EXIT_CODES.get(status, EXIT_USAGE),
        duration_seconds=0.0,
        job_row=job_row,
        counts=counts,
        alerts=alert_rows,
        steps=[_step_record(build)],
        error_message=job_row.get("error_message"),
        page_errors=page_errors,
    )
    if alerts:
        outcome.alerting = _evaluation(build)
        if deliver is not None:
            outcome.alerting.update(deliver(outcome))
    # one duration per job (issue 15): the job row's, which the report and health checks read too
    recorded = job_row.get("job_duration_seconds")
    wall = (dt.datetime.now(dt.UTC) - started).total_seconds()
    outcome.duration_seconds = round(float(recorded if recorded is not None else wall), 2)
    return outcome
