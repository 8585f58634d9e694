"""Job runs and their page errors, read from the warehouse without dbt (issue 15).

The on-call person's first question after a FAILED or COMPLETED_WITH_ERRORS daily run is
"which pages, and why?". :func:`read_page_errors` answers it from
``creator_processing_errors`` (one row per page that failed validation, DOMAIN.md "Daily
automation"); ``eros errors``, the job summary and the HTML report all read it here, so
they name the same pages with the same reasons. Keep the names of this module's public
functions stable: other layers call them.

Reason codes are the text before the first ``:`` of ``error_message`` (QUARANTINE_RATE,
INVALID_SETTINGS, ORPHAN_LOCKS, ...; written by the daily job's models).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from eros.errors import ErosUsageError
from eros.warehouse import Warehouse, timestamp_text

RUNS_TABLE = "etl_job_runs"
PAGE_ERRORS_TABLE = "creator_processing_errors"
# The daily job's page-independent error row (a failed lock sweep at the end of the day).
SWEEP_PAGE = "__lock_sweep__"
DAILY_JOB_NAME = "daily_automation"
NO_RUN_HINT = "run `eros run daily` (or `dbt build --selector daily`) first"


def _text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timestamp_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def reason_code(error_message: str | None) -> str:
    """The reason code of a page error: the text before the first ``:`` (``UNKNOWN`` when
    the message is empty or has no code)."""
    head, sep, _ = str(error_message or "").partition(":")
    head = head.strip()
    return head if sep and head and " " not in head else "UNKNOWN"


def find_run(warehouse: Warehouse, *, job_name: str = DAILY_JOB_NAME, execution_date: dt.date | None = None,
             job_id: str | None = None) -> dict[str, Any] | None:
    """The ``etl_job_runs`` row of a run: ``job_id`` when given (a unique prefix of 6+
    characters is accepted), else the latest run (by job_start_time) of ``job_name``, on
    ``execution_date`` when given.

    Returns:
        ``{job_id, job_name, job_start_time, job_end_time, job_status, execution_date,
        creators_processed, creators_failed, error_message, job_duration_seconds}``
        (timestamps ``YYYY-MM-DD HH:MM:SS`` UTC text, the date ISO), or None when no run matches.

    Raises:
        ErosUsageError: etl_job_runs does not exist yet; a job id prefix shorter than 6
            characters or matching several runs.
        ErosRunError: a query failed.
    """
    warehouse.require(RUNS_TABLE, hint=NO_RUN_HINT)
    columns = ("job_id, job_name, job_start_time, job_end_time, job_status, execution_date, creators_processed, "
               "creators_failed, error_message, job_duration_seconds")
    params: dict[str, Any] = {}
    if job_id is not None:
        if len(job_id) < 6:
            raise ErosUsageError(f"job id '{job_id}' is too short: give the whole id or a prefix of at least 6 characters")
        where = "where starts_with(job_id, @job_id)"
        params["job_id"] = job_id
    else:
        where = "where job_name = @job_name"
        params["job_name"] = job_name
        if execution_date is not None:
            where += " and execution_date = @execution_date"
            params["execution_date"] = execution_date
    rows = warehouse.query(
        f"select {columns} from {warehouse.table(RUNS_TABLE)} {where} order by job_start_time desc, job_id desc limit 3", params)
    if job_id is not None and len(rows) > 1:
        # the exact id wins; else the one run of job_name (a daily id prefix also matches its `<id>.sweep`)
        rows = [r for r in rows if r["job_id"] == job_id] or [r for r in rows if r["job_name"] == job_name] or rows
        if len(rows) > 1:
            raise ErosUsageError(f"job id prefix '{job_id}' matches several runs ({rows[0]['job_id']}, {rows[1]['job_id']}): give more characters")
    return {k: _text(v) for k, v in rows[0].items()} if rows else None


def read_page_errors(warehouse: Warehouse, job_id: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The page errors of one run (``creator_processing_errors``), pages in name order, the
    page-independent row of a failed end-of-day sweep (page ``__lock_sweep__``) last.

    Args:
        warehouse: open connection (:func:`eros.warehouse.connect`).
        job_id: the run's job id (``etl_job_runs.job_id``).
        limit: at most this many rows (None: all).

    Returns:
        ``[{page_name, reason, error_message, execution_date, error_time, job_id}]``:
        ``reason`` is :func:`reason_code` of the message; error_time ``YYYY-MM-DD HH:MM:SS``
        UTC text, execution_date ISO. [] when the table does not exist yet.

    Raises:
        ErosRunError: a query failed.
    """
    if not warehouse.exists(PAGE_ERRORS_TABLE):
        return []
    top = f" limit {int(limit)}" if limit is not None else ""
    rows = warehouse.query(
        "select page_name, error_message, execution_date, error_time, job_id "
        f"from {warehouse.table(PAGE_ERRORS_TABLE)} where job_id = @job_id "
        f"order by case when page_name = '{SWEEP_PAGE}' then 1 else 0 end, page_name, error_time{top}",
        {"job_id": job_id},
    )
    return [
        {"page_name": r["page_name"], "reason": reason_code(r["error_message"]), "error_message": r["error_message"],
         "execution_date": _text(r["execution_date"]), "error_time": _text(r["error_time"]), "job_id": r["job_id"]}
        for r in rows
    ]


def run_errors(warehouse: Warehouse, *, job_name: str = DAILY_JOB_NAME, execution_date: dt.date | None = None,
               job_id: str | None = None) -> dict[str, Any]:
    """What ``eros errors`` shows: a run (:func:`find_run`) and all its page errors
    (:func:`read_page_errors`), with the count per reason code.

    Returns:
        ``{"run": job row, "errors": [page error], "reasons": {code: pages}}``.

    Raises:
        ErosUsageError: no such run (naming what was looked for and how to list runs), or
            as :func:`find_run`.
        ErosRunError: a query failed.
    """
    run = find_run(warehouse, job_name=job_name, execution_date=execution_date, job_id=job_id)
    if run is None:
        wanted = f"job id {job_id}" if job_id else f"{job_name} run" + (f" for {execution_date}" if execution_date else "")
        raise ErosUsageError(f"no {wanted} in {warehouse.table(RUNS_TABLE)}: check --date / --job, or {NO_RUN_HINT}")
    errors = read_page_errors(warehouse, str(run["job_id"]))
    reasons: dict[str, int] = {}
    for error in errors:
        reasons[error["reason"]] = reasons.get(error["reason"], 0) + 1
    return {"run": run, "errors": errors, "reasons": reasons}
