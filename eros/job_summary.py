"""What a job run recorded, read back without dbt (jobs layer): the ``etl_job_runs`` row,
the alerts the run raised and the job's counts, through :mod:`eros.warehouse` with SQL that
runs on DuckDB and BigQuery. ``eros run`` prints it as the job summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from eros.warehouse import Warehouse, timestamp_text


def _one(warehouse: Warehouse, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    rows = warehouse.query(sql, params)
    return {k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in (rows[0] if rows else {}).items()}


def _caption_counts(warehouse: Warehouse, job_id: str) -> dict[str, Any]:
    """Counts of a caption-performance run: pages with stats and captions in
    caption_bandit_stats, its recommendations, merged grain rows and attribution shares."""
    counts: dict[str, Any] = {}
    if warehouse.exists("caption_bandit_stats"):
        counts.update(_one(warehouse, "select count(distinct page_name) as pages_with_stats, count(*) as captions_updated "
                                      f"from {warehouse.table('caption_bandit_stats')}", {}))
    if warehouse.exists("caption_recommendations"):
        counts.update(_one(warehouse, f"select count(*) as recommendations from {warehouse.table('caption_recommendations')} "
                                      "where job_id = @job_id", {"job_id": job_id}))
    if warehouse.exists("int_caption_performance__daily"):
        counts.update(_one(warehouse, f"select count(*) as grain_rows_merged from {warehouse.table('int_caption_performance__daily')} "
                                      "where job_id = @job_id", {"job_id": job_id}))
    if warehouse.exists("caption_attribution_daily"):
        row = _one(warehouse, (
            "select coalesce(sum(ppv_messages), 0) as ppv_messages_window, coalesce(sum(attributed_by_caption_id), 0) as attributed_by_caption_id, "
            "coalesce(sum(attributed_by_text), 0) as attributed_by_text, coalesce(sum(unmatched_messages), 0) as unmatched_messages "
            f"from {warehouse.table('caption_attribution_daily')} where job_id = @job_id"), {"job_id": job_id})
        total = int(row.get("ppv_messages_window") or 0)
        attributed = int(row.get("attributed_by_caption_id") or 0) + int(row.get("attributed_by_text") or 0)
        row["attributed_pct"] = round(100.0 * attributed / total, 2) if total > 0 else None
        counts.update(row)
    return counts


def read_job_report(warehouse: Warehouse, job_id: str, execution_date: str | dt.date | None = None) -> dict[str, Any]:
    """The job row, its alerts and counts of the run ``job_id``.

    Args:
        warehouse: an open connection.
        job_id: the run's job id (dbt invocation id of its build).
        execution_date: business date of the run (queue counts); default the job row's.

    Returns:
        ``{"job": etl_job_runs row (timestamps and execution_date as text) or None,
        "alerts": [alert_id, alert_level, alert_source, alert_message], "counts": {...}}``;
        counts: caption performance: pages_with_stats, captions_updated, recommendations,
        grain_rows_merged, ppv_messages_window, attributed_by_caption_id, attributed_by_text,
        unmatched_messages, attributed_pct; other jobs: pages_analysed, pages_active,
        pages_below_threshold, pages_queued, queue_rows_for_date, queue_pending_for_date.
        Tables not built yet are left out.

    Raises:
        ErosRunError: a query failed.
    """
    report: dict[str, Any] = {"job": None, "alerts": [], "counts": {}}
    if warehouse.exists("etl_job_runs"):
        rows = warehouse.query(
            "select job_id, job_name, job_start_time, job_end_time, job_status, execution_date, creators_processed, creators_failed, "
            f"error_message, job_duration_seconds from {warehouse.table('etl_job_runs')} where job_id = @job_id",
            {"job_id": job_id},
        )
        if rows:
            job = rows[-1]
            for column in ("job_start_time", "job_end_time"):
                job[column] = timestamp_text(job[column])
            job["execution_date"] = None if job["execution_date"] is None else str(job["execution_date"])[:10]
            report["job"] = job
    if warehouse.exists("automation_alerts"):
        report["alerts"] = warehouse.query(
            f"select alert_id, alert_level, alert_source, alert_message from {warehouse.table('automation_alerts')} "
            "where job_id = @job_id order by alert_time",
            {"job_id": job_id},
        )
    job_name = (report["job"] or {}).get("job_name")
    if job_name == "caption_performance":
        report["counts"].update(_caption_counts(warehouse, job_id))
        return report
    if warehouse.exists("page_daily_analysis"):
        report["counts"].update(_one(warehouse, (
            "select count(*) as pages_analysed, coalesce(sum(case when is_active then 1 else 0 end), 0) as pages_active, "
            "coalesce(sum(case when needs_schedule then 1 else 0 end), 0) as pages_below_threshold "
            f"from {warehouse.table('page_daily_analysis')} where job_id = @job_id"), {"job_id": job_id}))
    date = execution_date or (report["job"] or {}).get("execution_date")
    if warehouse.exists("schedule_generation_queue") and date is not None:
        report["counts"].update(_one(warehouse, (
            "select coalesce(sum(case when queued_by_job_id = @job_id then 1 else 0 end), 0) as pages_queued, count(*) as queue_rows_for_date, "
            "coalesce(sum(case when status = 'PENDING' then 1 else 0 end), 0) as queue_pending_for_date "
            f"from {warehouse.table('schedule_generation_queue')} where execution_date = @date"),
            {"job_id": job_id, "date": dt.date.fromisoformat(str(date)[:10])}))
    return report
