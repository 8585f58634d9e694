"""``eros report``: one self-contained HTML page about the health of the automation.

Sequence (one dbt process in all, the checks' build; the same page on DuckDB and BigQuery):

1. :func:`eros.health.run_health` (``dbt build --selector health``): the scorecard;
2. :func:`read_sections` reads the marts directly (:mod:`eros.warehouse`, SQL that runs on
   both engines): what the health analyses of the same names (analyses/health/*.sql)
   compute, at the same ``as_of``; tests/python/test_health.py checks they agree;
3. :func:`read_sections` also reads what has no analysis of its own: the latest run of
   each job and the page errors of the latest daily run (what failed and why), and how the
   caption learning is doing (captions explored, attribution share, recommendations);
4. the page is rendered from the Jinja2 template eros/templates/report.html.j2
   (autoescaped), in the order an on-call person reads it: status and a one-sentence
   verdict, what failed and why, open alerts, the queue, the saturation distribution
   (histogram, counts by level, top offenders, what above 100% means), caption learning
   and top captions, the scorecard, daily durations over 30 days, and a link to
   Elementary's report when one exists. Charts are plotly figures; plotly.js is inlined
   once, so the file opens with no network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eros.core import LA, reason_detail
from eros.dbt_invoke import DbtEvent
from eros.errors import ErosRunError, ErosUsageError, file_problem
from eros.health import STATUS_EXIT_CODES, HealthReport, format_observed, now_utc_ceiled, run_health
from eros.project import project_vars
from eros.runs import read_page_errors
from eros.warehouse import Warehouse, connect, naive_utc, timestamp_text

# Sections the page shows, named after the health analyses they match (analyses/health/<name>.sql).
REPORT_ANALYSES = (
    "health_job_duration_trends",
    "health_queue_status",
    "health_open_alerts",
    "health_active_locks_saturation",
    "health_top_captions_by_page",
)
TOP_CAPTIONS_SHOWN = 3
DAY_MS = 86_400_000  # plotly date axes count milliseconds
STATUS_COLORS = {"PASS": "#1a7f37", "WARN": "#b35900", "FAIL": "#c62828", "UNKNOWN": "#6a1b9a"}
OUTCOME_COLORS = {"succeeded": "#2e7d32", "completed_with_issues": "#ef6c00", "failed": "#c62828", "running": "#1565c0"}
JOB_STATUS_COLORS = {"SUCCESS": "#1a7f37", "COMPLETED_WITH_ERRORS": "#b35900", "COMPLETED_NO_WORK": "#b35900", "FAILED": "#c62828",
                     "RUNNING": "#1565c0"}
LEVEL_COLORS = {"CRITICAL": "#c62828", "WARNING": "#ef6c00", "OK": "#2e7d32", "NO_CAP": "#9e9e9e"}


@dataclasses.dataclass
class ReportResult:
    """What ``eros report`` wrote.

    Attributes:
        path: the HTML file.
        health: the scorecard run (:class:`eros.health.HealthReport`).
        sections: rows per analysis shown.
        size_bytes: size of the file.
        duration_seconds: wall time of the command.
    """

    path: Path
    health: HealthReport
    sections: dict[str, int]
    size_bytes: int
    duration_seconds: float


# What each section reads (missing ones are named on the page: a job has not run yet).
SECTION_TABLES = {
    "health_job_duration_trends": ("etl_job_runs",),
    "health_queue_status": ("schedule_generation_queue",),
    "health_open_alerts": ("automation_alerts",),
    "health_active_locks_saturation": ("page_daily_analysis",),
    "health_top_captions_by_page": ("caption_bandit_stats", "stg_scheduler__caption_bank"),
}
LEVEL_RANK = {"CRITICAL": 1, "WARNING": 2}


def _hours(later: dt.datetime, earlier: Any) -> float | None:
    earlier = naive_utc(earlier)
    return None if earlier is None else round((later - earlier).total_seconds() / 3600.0, 1)


def _la_date(value: Any) -> dt.date:
    return naive_utc(value).replace(tzinfo=dt.UTC).astimezone(LA).date()


def _job_duration_trends(warehouse: Warehouse, now: dt.datetime, today: dt.date) -> list[dict[str, Any]]:
    """Runs per job and LA day over the 30 LA days ending ``today`` (analysis
    health_job_duration_trends): runs by outcome, average and longest duration."""
    rows = warehouse.query(
        f"select job_name, job_start_time, job_status, job_duration_seconds from {warehouse.table('etl_job_runs')} "
        "where job_start_time >= @since and job_start_time <= @now",
        {"since": now - dt.timedelta(days=31), "now": now},
    )
    groups: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for row in rows:
        day = _la_date(row["job_start_time"])
        if day >= today - dt.timedelta(days=29):
            groups.setdefault((row["job_name"], day), []).append(row)
    out = []
    for (job_name, day), runs in sorted(groups.items()):
        statuses = [r["job_status"] for r in runs]
        durations = [float(r["job_duration_seconds"]) for r in runs if r["job_duration_seconds"] is not None]
        out.append({
            "job_name": job_name, "run_date_la": day, "runs": len(runs),
            "succeeded": statuses.count("SUCCESS"),
            "completed_with_issues": statuses.count("COMPLETED_WITH_ERRORS") + statuses.count("COMPLETED_NO_WORK"),
            "failed": statuses.count("FAILED"), "running": statuses.count("RUNNING"),
            "avg_duration_seconds": round(sum(durations) / len(durations), 1) if durations else None,
            "max_duration_seconds": round(max(durations), 1) if durations else None,
        })
    return out


def _queue_status(warehouse: Warehouse, now: dt.datetime, today: dt.date) -> list[dict[str, Any]]:
    """schedule_generation_queue for today and the two LA days before, by execution date and
    status, with the age in hours of the oldest row (analysis health_queue_status)."""
    rows = warehouse.query(
        "select execution_date, status, count(*) as queue_rows, min(queued_at) as oldest_queued_at "
        f"from {warehouse.table('schedule_generation_queue')} where execution_date >= @first and execution_date <= @today "
        "group by execution_date, status order by execution_date desc, status",
        {"first": today - dt.timedelta(days=2), "today": today},
    )
    for row in rows:
        row["oldest_age_hours"] = _hours(now, row["oldest_queued_at"])
        row["oldest_queued_at"] = timestamp_text(row["oldest_queued_at"])
    return rows


def _open_alerts(warehouse: Warehouse, now: dt.datetime) -> list[dict[str, Any]]:
    """Unacknowledged alerts of the last 7 days, CRITICAL first, newest first, with their
    age in hours (analysis health_open_alerts)."""
    rows = warehouse.query(
        f"select alert_time, alert_level, alert_source, alert_message, job_id from {warehouse.table('automation_alerts')} "
        "where alert_time > @since and alert_time <= @now and not coalesce(acknowledged, false) and coalesce(status, 'OPEN') = 'OPEN'",
        {"since": now - dt.timedelta(days=7), "now": now},
    )
    rows.sort(key=lambda r: naive_utc(r["alert_time"]), reverse=True)
    rows.sort(key=lambda r: LEVEL_RANK.get(r["alert_level"], 3))
    for row in rows:
        row["age_hours"] = _hours(now, row["alert_time"])
        row["alert_time"] = timestamp_text(row["alert_time"])
    return rows


def _locks_saturation(warehouse: Warehouse, today: dt.date, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Active locks per page and saturation (DOMAIN.md; analysis
    health_active_locks_saturation): 100 * active locks scheduled in [today, today +
    horizon) / (daily send cap * horizon), the cap from the page's newest daily analysis of
    the last 35 days; CRITICAL / WARNING above the health_saturation_*_pct vars, NO_CAP
    without a cap."""
    horizon = int(settings.get("saturation_horizon_days", 7))
    critical = float(settings.get("health_saturation_critical_pct", 80))
    warning = float(settings.get("health_saturation_warning_pct", 60))
    locks = warehouse.query(
        "select page_name, count(*) as active_locks, "
        "sum(case when scheduled_send_date >= @today and scheduled_send_date < @horizon_end then 1 else 0 end) as upcoming_locks "
        f"from {warehouse.source_table('active_caption_assignments', settings)} where is_active group by page_name",
        {"today": today, "horizon_end": today + dt.timedelta(days=horizon)},
    )
    analyses = warehouse.query(
        f"select page_name, execution_date, daily_send_cap, page_tier from {warehouse.table('page_daily_analysis')} "
        "where execution_date <= @today and execution_date >= @first",
        {"today": today, "first": today - dt.timedelta(days=35)},
    )
    caps: dict[str, dict[str, Any]] = {}
    for row in sorted(analyses, key=lambda r: r["execution_date"]):
        caps[row["page_name"]] = row
    counts = {row["page_name"]: row for row in locks}
    out = []
    for page in sorted(set(counts) | set(caps)):
        active = int((counts.get(page) or {}).get("active_locks") or 0)
        upcoming = int((counts.get(page) or {}).get("upcoming_locks") or 0)
        cap = (caps.get(page) or {}).get("daily_send_cap")
        pct = 100.0 * upcoming / (cap * horizon) if cap is not None and cap > 0 else None
        level = "NO_CAP" if pct is None else "CRITICAL" if pct > critical else "WARNING" if pct > warning else "OK"
        out.append({
            "page_name": page, "page_tier": (caps.get(page) or {}).get("page_tier"), "daily_send_cap": cap,
            "active_locks": active, "upcoming_locks": upcoming, "saturation_pct": None if pct is None else round(pct, 1),
            "saturation_level": level,
        })
    out.sort(key=lambda r: (r["saturation_pct"] is None, -(r["saturation_pct"] or 0.0), r["page_name"]))
    return out


def _read_top_captions(warehouse: Warehouse) -> list[dict[str, Any]]:
    """The 5 captions per page with the highest Wilson lower bound in caption_bandit_stats,
    ties by revenue, with the caption text (analysis health_top_captions_by_page)."""
    rows = warehouse.query(
        "select ranked.page_name, ranked.caption_rank, ranked.caption_id, bank.caption_text, ranked.total_observations, "
        "ranked.total_revenue, ranked.avg_emv, ranked.confidence_lower_bound, ranked.performance_percentile, ranked.last_used "
        "from (select page_name, caption_id, total_observations, total_revenue, avg_emv, confidence_lower_bound, "
        "performance_percentile, last_used, row_number() over (partition by page_name "
        "order by confidence_lower_bound desc, total_revenue desc, caption_id) as caption_rank "
        f"from {warehouse.table('caption_bandit_stats')}) as ranked "
        f"left join {warehouse.table('stg_scheduler__caption_bank')} as bank on ranked.caption_id = bank.caption_id "
        "where ranked.caption_rank <= 5 order by ranked.page_name, ranked.caption_rank"
    )
    for row in rows:
        for column, digits in (("total_revenue", 2), ("avg_emv", 4), ("confidence_lower_bound", 3)):
            if row[column] is not None:
                row[column] = round(float(row[column]), digits)
        row["last_used"] = timestamp_text(row["last_used"])
    return rows


# Reads beside the health analyses: what the page says first (the latest runs and what
# failed), and how the caption learning is doing. Tables each one needs (missing: named on the page).
EXTRA_SECTIONS = ("latest_runs", "page_errors", "caption_learning", "data_quality")
EXTRA_TABLES = {
    "latest_runs": ("etl_job_runs",),
    "page_errors": ("etl_job_runs", "creator_processing_errors"),
    "caption_learning": ("caption_bandit_stats", "caption_recommendations", "caption_attribution_daily"),
    "data_quality": ("mass_messages_quarantine", "reference_data_quarantine", "page_handle_variants"),
}
PAGE_ERRORS_SHOWN = 200


def _latest_runs(warehouse: Warehouse, now: dt.datetime) -> list[dict[str, Any]]:
    """The newest run of each job started in the 7 days up to ``now``, and every FAILED run
    of those days: ``[{job_id, job_name, job_start_time, job_end_time, job_status,
    execution_date, creators_processed, creators_failed, error_message,
    job_duration_seconds, latest}]`` newest first (``latest`` True for the newest of its job)."""
    rows = warehouse.query(
        "select job_id, job_name, job_start_time, job_end_time, job_status, execution_date, creators_processed, creators_failed, "
        f"error_message, job_duration_seconds from {warehouse.table('etl_job_runs')} "
        "where job_start_time > @since and job_start_time <= @now",
        {"since": now - dt.timedelta(days=7), "now": now},
    )
    rows.sort(key=lambda r: (naive_utc(r["job_start_time"]), str(r["job_id"])), reverse=True)
    seen: set[str] = set()
    out = []
    for row in rows:
        latest = row["job_name"] not in seen
        seen.add(row["job_name"])
        if latest or row["job_status"] == "FAILED":
            out.append({**row, "latest": latest, "job_start_time": timestamp_text(row["job_start_time"]),
                        "job_end_time": timestamp_text(row["job_end_time"]),
                        "execution_date": None if row["execution_date"] is None else str(row["execution_date"])})
    return out


def _page_errors(warehouse: Warehouse, runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The page errors of the newest daily_automation run in ``runs``, at most
    PAGE_ERRORS_SHOWN, read by :func:`eros.runs.read_page_errors` (the reads of ``eros
    errors`` and the job summary: the same pages with the same reasons): ``[{page_name,
    reason, error_message, execution_date, error_time, job_id}]``."""
    daily = next((r for r in runs if r["job_name"] == "daily_automation" and r["latest"]), None)
    if daily is None:
        return []
    return read_page_errors(warehouse, str(daily["job_id"]), limit=PAGE_ERRORS_SHOWN)


def _data_quality(warehouse: Warehouse) -> list[dict[str, Any]]:
    """What the latest daily build set aside (issue 13), one row per finding with its row
    count: quarantined mass_messages by reason code, quarantined reference rows by table and
    reason, and raw page handles that are not canonical (``raw -> canonical``):
    ``[{finding, source_table, detail, source_rows}]``, quarantines first, most rows first."""
    rows = warehouse.query(
        "select 'quarantined' as finding, 'mass_messages' as source_table, quarantine_reason as detail, "
        f"count(*) as source_rows from {warehouse.table('mass_messages_quarantine')} group by quarantine_reason "
        "union all "
        "select 'quarantined' as finding, source_table, quarantine_reason as detail, count(*) as source_rows "
        f"from {warehouse.table('reference_data_quarantine')} group by source_table, quarantine_reason "
        "union all "
        "select 'non-canonical handle' as finding, source_table, concat(page_name_raw, ' -> ', page_name) as detail, "
        f"source_rows from {warehouse.table('page_handle_variants')}"
    )
    rows.sort(key=lambda r: (r["finding"] != "quarantined", -int(r["source_rows"] or 0), r["source_table"], str(r["detail"])))
    return rows


def _caption_learning(warehouse: Warehouse, today: dt.date, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """How the caption learning is doing, one row: captions explored (caption_bandit_stats),
    the share of PPV messages attributed to a caption over the health_attribution_window_days
    LA days ending ``today`` (caption_attribution_daily; DOMAIN.md "report the share
    attributed"), the latest caption_recommendations by selection reason and evidence, and
    how the recommended captions a page already sent earned (mean avg_emv, USD per
    recipient) against the page's other observed captions."""
    days = int(settings.get("health_attribution_window_days", 14))
    stats = warehouse.query(
        "select count(*) as pairs, sum(case when total_observations > 0 then 1 else 0 end) as observed_pairs, "
        "count(distinct page_name) as pages, count(distinct case when total_observations > 0 then caption_id end) as captions_observed, "
        f"count(distinct caption_id) as captions_scored from {warehouse.table('caption_bandit_stats')}"
    )[0]
    attribution = warehouse.query(
        "select sum(ppv_messages) as ppv_messages, sum(attributed_by_caption_id) as by_caption_id, "
        "sum(attributed_by_text) as by_text, sum(unmatched_messages) as unmatched "
        f"from {warehouse.table('caption_attribution_daily')} where sending_date_la > @first and sending_date_la <= @today",
        {"first": today - dt.timedelta(days=days), "today": today},
    )[0]
    recommended = warehouse.query(
        "select count(*) as recommendations, count(distinct page_name) as pages, max(execution_date) as execution_date, "
        "sum(case when selection_reason = 'EXPLORE' then 1 else 0 end) as explore, "
        "sum(case when evidence_source = 'PAGE' then 1 else 0 end) as evidence_page, "
        "sum(case when evidence_source = 'POOLED' then 1 else 0 end) as evidence_pooled, "
        "sum(case when evidence_source = 'PRIOR' then 1 else 0 end) as evidence_prior "
        f"from {warehouse.table('caption_recommendations')}"
    )[0]
    performance = warehouse.query(
        "select case when recs.caption_id is null then 'other' else 'recommended' end as caption_group, count(*) as pairs, "
        "avg(stats.avg_emv) as mean_emv "
        f"from {warehouse.table('caption_bandit_stats')} as stats "
        f"left join {warehouse.table('caption_recommendations')} as recs "
        "on stats.page_name = recs.page_name and stats.caption_id = recs.caption_id "
        "where stats.total_observations > 0 and stats.avg_emv is not null "
        f"and stats.page_name in (select distinct page_name from {warehouse.table('caption_recommendations')}) "
        "group by case when recs.caption_id is null then 'other' else 'recommended' end"
    )
    groups = {r["caption_group"]: r for r in performance}
    ppv = int(attribution["ppv_messages"] or 0)
    attributed = int(attribution["by_caption_id"] or 0) + int(attribution["by_text"] or 0)
    rec_emv = (groups.get("recommended") or {}).get("mean_emv")
    other_emv = (groups.get("other") or {}).get("mean_emv")
    return [{
        "pages": int(stats["pages"] or 0), "pairs": int(stats["pairs"] or 0), "observed_pairs": int(stats["observed_pairs"] or 0),
        "captions_observed": int(stats["captions_observed"] or 0), "captions_scored": int(stats["captions_scored"] or 0),
        "attribution_days": days, "ppv_messages": ppv, "attributed_by_caption_id": int(attribution["by_caption_id"] or 0),
        "attributed_by_text": int(attribution["by_text"] or 0), "unmatched_messages": int(attribution["unmatched"] or 0),
        "attributed_pct": round(100.0 * attributed / ppv, 1) if ppv else None,
        "recommendations": int(recommended["recommendations"] or 0), "recommended_pages": int(recommended["pages"] or 0),
        "recommendations_date": None if recommended["execution_date"] is None else str(recommended["execution_date"]),
        "explore": int(recommended["explore"] or 0), "evidence_page": int(recommended["evidence_page"] or 0),
        "evidence_pooled": int(recommended["evidence_pooled"] or 0), "evidence_prior": int(recommended["evidence_prior"] or 0),
        "recommended_sent_pairs": int((groups.get("recommended") or {}).get("pairs") or 0),
        "recommended_mean_emv": None if rec_emv is None else round(float(rec_emv), 4),
        "other_mean_emv": None if other_emv is None else round(float(other_emv), 4),
        "emv_ratio": round(float(rec_emv) / float(other_emv), 2) if rec_emv is not None and other_emv else None,
    }]


def read_sections(warehouse: Warehouse, as_of: dt.datetime, settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The data of the report's sections, read straight from the marts (no dbt process),
    with SQL that runs on DuckDB and BigQuery; each section computes what the health
    analysis of the same name (analyses/health/) computes, at ``as_of``.

    Args:
        warehouse: an open connection.
        as_of: reference instant, naive UTC.
        settings: dbt vars (saturation_horizon_days, health_saturation_*_pct,
            eros_source_schema / eros_source_database), see :func:`eros.project.project_vars`.

    Returns:
        ``{section: {"rows": [...]}}`` for the REPORT_ANALYSES and the EXTRA_SECTIONS
        (latest_runs, page_errors, caption_learning, data_quality: no analysis of their own), or ``{"rows":
        [], "missing": [tables]}`` for a section whose tables are not built yet (a job has
        not run).

    Raises:
        ErosRunError: a query failed.
    """
    today = as_of.replace(tzinfo=dt.UTC).astimezone(LA).date()
    readers: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "health_job_duration_trends": lambda: _job_duration_trends(warehouse, as_of, today),
        "health_queue_status": lambda: _queue_status(warehouse, as_of, today),
        "health_open_alerts": lambda: _open_alerts(warehouse, as_of),
        "health_active_locks_saturation": lambda: _locks_saturation(warehouse, today, settings),
        "health_top_captions_by_page": lambda: _read_top_captions(warehouse),
    }
    latest: list[dict[str, Any]] = []

    def runs() -> list[dict[str, Any]]:
        latest[:] = _latest_runs(warehouse, as_of)
        return latest

    readers.update({
        "latest_runs": runs,
        "page_errors": lambda: _page_errors(warehouse, latest),
        "caption_learning": lambda: _caption_learning(warehouse, today, settings),
        "data_quality": lambda: _data_quality(warehouse),
    })
    tables = {**SECTION_TABLES, **EXTRA_TABLES}
    results: dict[str, dict[str, Any]] = {}
    for name in (*REPORT_ANALYSES, *EXTRA_SECTIONS):
        missing = [table for table in tables[name] if not warehouse.exists(table)]
        results[name] = {"rows": [], "missing": missing} if missing else {"rows": readers[name]()}
    return results


ELEMENTARY_REPORT_NAME = "elementary_report.html"


def _elementary_link(out_path: Path, project: Path, given: Path | None) -> str | None:
    """The link from the report to Elementary's report: relative to the report's folder when
    possible, else a file URI; None when no such file exists."""
    candidates = [given] if given is not None else [out_path.parent / ELEMENTARY_REPORT_NAME, project / ELEMENTARY_REPORT_NAME]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            try:
                return Path(os.path.relpath(candidate.resolve(), out_path.parent.resolve())).as_posix()
            except ValueError:
                return candidate.resolve().as_uri()
    return None


def check_report_destination(out_path: Path) -> None:
    """Refuse an HTML destination that cannot be written, before any dbt work, creating
    nothing (:func:`write_report` creates the missing folders once the page is built, so a
    refused or failed run leaves no empty folder behind).

    The nearest existing folder of ``out_path`` (its own folder, else the closest ancestor
    that exists) must be a folder this user may write and enter (``os.access``); when
    ``out_path``'s own folder exists, a temporary file is also created and removed in it,
    which catches read-only and pseudo file systems that ``os.access`` passes (and root).

    Raises:
        ErosUsageError: ``<path>: <cause>: <fix>`` (:func:`eros.errors.file_problem`): the
            path is a folder, a part of it is a file, the folder or the file is not writable.
    """
    try:
        if out_path.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(out_path))
        folder = out_path.absolute().parent
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(existing))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(existing))
        if existing == folder:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".eros-report-", suffix=".tmp"):
                pass
        if out_path.exists() and not os.access(out_path, os.W_OK):
            raise PermissionError(13, "Permission denied", str(out_path))
    except OSError as exc:
        raise ErosUsageError(file_problem(exc, out_path)) from None


def write_report(
    *,
    project: Path,
    target: str,
    out_path: Path,
    as_of: dt.datetime | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    duckdb_file: Path | None = None,
    elementary_report: Path | None = None,
) -> ReportResult:
    """Build the checks, query the report sections and write the HTML file.

    Args:
        project: dbt project directory.
        target: profile target (validated).
        out_path: HTML file to write (parent folders are created).
        as_of: reference "now" (naive UTC); default the current time.
        on_event: progress callback for the health build.
        duckdb_file: local warehouse file (checked to exist on DuckDB targets).
        elementary_report: Elementary's report to link to; default the first existing of
            ``elementary_report.html`` beside ``out_path`` and in ``project`` (where
            ``eros monitoring report`` writes it by default). No link when none exists.

    Returns:
        A :class:`ReportResult`.

    Raises:
        ErosUsageError: ``out_path`` cannot be written (checked first: :func:`check_report_destination`).
        ErosRunError: when the checks could not run (health UNKNOWN) or a query failed.
    """
    check_report_destination(out_path)
    started = time.monotonic()
    moment = as_of or now_utc_ceiled()
    health = run_health(project=project, target=target, as_of=moment, on_event=on_event, duckdb_file=duckdb_file)
    if health.status == "UNKNOWN":
        raise ErosRunError(f"could not check the warehouse: {health.error}")
    settings = project_vars(project)
    with connect(project, target, read_only=True) as warehouse:
        results = read_sections(warehouse, moment, settings)
    page = render_html(health, results, generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0), settings=settings,
                       elementary_report=_elementary_link(out_path, project, elementary_report))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return ReportResult(
        path=out_path,
        health=health,
        sections={name: len(results.get(name, {}).get("rows", [])) for name in REPORT_ANALYSES},
        size_bytes=out_path.stat().st_size,
        duration_seconds=round(time.monotonic() - started, 2),
    )


# --- rendering ---------------------------------------------------------------------------

SATURATION_BIN_PCT = 10  # histogram bins of 10 percentage points
SATURATION_LAST_BIN_PCT = 200  # pages at or above 200% share the last bin
TOP_OFFENDERS = 10
TOP_PAGES = 10  # pages whose best caption is shown without unfolding


def _color(status: Any) -> str:
    return STATUS_COLORS.get(str(status)) or JOB_STATUS_COLORS.get(str(status)) or LEVEL_COLORS.get(str(status), "#57606a")


def _fmt(value: Any, kind: str = "text") -> str:
    """One number format for the page: integers with thousands separators, amounts with 2
    decimals, percentages with 1, ratios with 3 (earnings per recipient with 4), times as
    ``YYYY-MM-DD HH:MM`` (UTC); missing values as an empty cell, booleans as yes / no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "time":
        return str(value)[:16].replace("T", " ")
    if kind == "id":
        return str(value)
    if isinstance(value, (int, float)):
        if kind == "money":
            return f"{float(value):,.2f}"
        if kind == "pct":
            return f"{float(value):,.1f}"
        if kind == "ratio":
            return f"{float(value):,.2f}" if abs(float(value)) >= 1 else f"{float(value):.3f}"
        if kind == "emv":
            return f"{float(value):.4f}"
        if isinstance(value, int) or float(value).is_integer():
            return f"{int(value):,}"
        return f"{float(value):,.1f}"
    return str(value)


def _environment() -> Any:
    """The Jinja2 environment of the report templates (package data eros/templates/), autoescaped."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("eros", "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["color"] = _color
    return env


def _figure_html(figure: Any, element_id: str) -> str:
    return str(figure.to_html(full_html=False, include_plotlyjs=False, div_id=element_id, config={"displaylogo": False, "responsive": True}))


def _worst_outcome(row: Mapping[str, Any]) -> str:
    for key in ("failed", "completed_with_issues", "running"):
        if row.get(key):
            return key
    return "succeeded"


def _duration_chart(rows: Sequence[Mapping[str, Any]], last_day: dt.date) -> str:
    """Daily automation over the 30 LA days ending ``last_day``: one bar per day, its height
    the average run duration, its color the day's worst outcome; markers for the longest run."""
    import plotly.graph_objects as go

    daily = [r for r in rows if r.get("job_name") == "daily_automation"]
    if not daily:
        return '<p class="empty">No daily_automation run in the last 30 days.</p>'
    labels = {"succeeded": "SUCCESS", "completed_with_issues": "with errors / no work", "failed": "FAILED", "running": "RUNNING"}
    figure = go.Figure()
    for key, label in labels.items():
        days = [r for r in daily if _worst_outcome(r) == key]
        if not days:
            continue
        figure.add_trace(go.Bar(
            x=[r["run_date_la"] for r in days], y=[r.get("avg_duration_seconds") for r in days], name=label,
            marker_color=OUTCOME_COLORS[key], customdata=[[r.get("runs"), r.get("failed")] for r in days],
            width=[DAY_MS * 0.7] * len(days),  # else plotly sizes a sparse trace's bars by its point spacing
            hovertemplate="%{x}: avg %{y:.0f} s, %{customdata[0]} run(s), %{customdata[1]} failed<extra>" + label + "</extra>",
        ))
    figure.add_trace(go.Scatter(
        x=[r["run_date_la"] for r in daily], y=[r.get("max_duration_seconds") for r in daily], name="longest run",
        mode="markers", marker={"color": "#24292f", "symbol": "line-ew-open", "size": 12, "line": {"width": 2}},
        hovertemplate="%{x}: longest %{y:.0f} s<extra></extra>",
    ))
    half_day = dt.timedelta(hours=12)
    first_midnight = dt.datetime.combine(last_day - dt.timedelta(days=29), dt.time())
    last_midnight = dt.datetime.combine(last_day, dt.time())
    figure.update_layout(
        barmode="overlay", height=340, margin={"l": 60, "r": 20, "t": 10, "b": 40}, plot_bgcolor="#fff",
        legend={"orientation": "h", "y": -0.2}, bargap=0.25,
        xaxis={
            "title": "LA date", "type": "date", "gridcolor": "#eaeef2", "dtick": DAY_MS * 2, "tickformat": "%b %d",
            "range": [first_midnight - half_day, last_midnight + half_day],
        },
        yaxis={"title": "duration (s)", "rangemode": "tozero", "gridcolor": "#eaeef2"},
    )
    return _figure_html(figure, "chart-daily-durations")


def _saturation_chart(rows: Sequence[Mapping[str, Any]], warning: float, critical: float) -> str:
    """Histogram of saturation: pages per bin of SATURATION_BIN_PCT points (the last bin
    holds every page at or above SATURATION_LAST_BIN_PCT), colored by level; readable at any
    number of pages (the top offenders are a table beside it)."""
    import plotly.graph_objects as go

    values = [float(r["saturation_pct"]) for r in rows if r.get("saturation_pct") is not None]
    if not values:
        return ""
    width, last = SATURATION_BIN_PCT, SATURATION_LAST_BIN_PCT
    top = min(last, (int(max(values)) // width + 1) * width)
    edges = list(range(0, top, width))
    counts = [0] * len(edges)
    for value in values:
        counts[min(int(value // width), len(edges) - 1)] += 1
    labels = [f"{low}-{low + width}%" if low + width < last or top < last else f">= {low}%" for low in edges]
    if top < last:
        labels[-1] = f"{edges[-1]}-{edges[-1] + width}%"
    colors = [LEVEL_COLORS["CRITICAL"] if low >= critical else LEVEL_COLORS["WARNING"] if low >= warning else LEVEL_COLORS["OK"]
              for low in edges]
    figure = go.Figure(go.Bar(
        x=labels, y=counts, marker_color=colors, text=[f"{c:,}" if c else "" for c in counts], textposition="outside",
        hovertemplate="%{x}: %{y:,} page(s)<extra></extra>", cliponaxis=False,
    ))
    figure.update_layout(
        height=300, margin={"l": 50, "r": 10, "t": 20, "b": 60}, plot_bgcolor="#fff", showlegend=False, bargap=0.1,
        xaxis={"title": "saturation, next 7 days", "type": "category", "tickangle": -45},
        yaxis={"title": "pages", "rangemode": "tozero", "gridcolor": "#eaeef2"},
    )
    return _figure_html(figure, "chart-saturation")


def _verdict(health: HealthReport, daily: Mapping[str, Any] | None, errors: Sequence[Mapping[str, Any]],
             alerts: Sequence[Mapping[str, Any]]) -> str:
    """The header's one sentence: the latest daily run, its page failures, the open alerts."""
    parts = []
    if daily is None:
        parts.append("No daily automation run in the last 7 days.")
    else:
        failed = int(daily.get("creators_failed") or 0)
        parts.append(f"Daily automation {daily['job_status']} for {daily['execution_date']}"
                     + (f": {failed:,} page(s) failed validation." if failed else "."))
    critical = sum(1 for a in alerts if a.get("alert_level") == "CRITICAL")
    parts.append(f"{len(alerts):,} open alert(s)" + (f", {critical:,} CRITICAL." if critical else "."))
    failing = [str(c.get("check_name")) for c in health.checks if c.get("status") in ("FAIL", "WARN")]
    parts.append(f"Checks not passing: {', '.join(failing)}." if failing else "Every check passes.")
    del errors
    return " ".join(parts)


def render_html(health: HealthReport, results: Mapping[str, Mapping[str, Any]], generated_at: dt.datetime,
                settings: Mapping[str, Any] | None = None, elementary_report: str | None = None) -> str:
    """The whole page as one string, from the Jinja2 template eros/templates/report.html.j2
    (autoescaped; plotly.js inlined once, so the file opens with no network).

    Args:
        health: the scorecard run.
        results: :func:`read_sections`' result.
        generated_at: when the page is written (UTC).
        settings: dbt vars (saturation thresholds and horizon); defaults of dbt_project.yml otherwise.
        elementary_report: link to Elementary's report (relative to the page), when one exists.
    """
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    settings = settings or {}

    def section(name: str) -> dict[str, Any]:
        found = results.get(name) or {}
        return {"rows": list(found.get("rows") or []), "missing": list(found.get("missing") or [])}

    def rows(name: str) -> list[dict[str, Any]]:
        return list(section(name).get("rows") or [])

    runs = rows("latest_runs")
    latest = [r for r in runs if r.get("latest")]
    daily = next((r for r in latest if r.get("job_name") == "daily_automation"), None)
    # the message without its leading code, which the reason column shows (as eros errors)
    errors = [{**e, "detail": reason_detail(e.get("error_message"), e["reason"])} for e in rows("page_errors")]
    reasons: dict[str, int] = {}
    for error in errors:
        reasons[error["reason"]] = reasons.get(error["reason"], 0) + 1
    alerts = rows("health_open_alerts")
    trends = rows("health_job_duration_trends")
    warning = float(settings.get("health_saturation_warning_pct", 60))
    critical = float(settings.get("health_saturation_critical_pct", 80))
    saturation_rows = rows("health_active_locks_saturation")
    levels = {level: 0 for level in ("CRITICAL", "WARNING", "OK", "NO_CAP")}
    for row in saturation_rows:
        levels[str(row.get("saturation_level"))] = levels.get(str(row.get("saturation_level")), 0) + 1
    capped = [r for r in saturation_rows if r.get("saturation_pct") is not None]
    top_captions = [r for r in rows("health_top_captions_by_page") if int(r.get("caption_rank") or 0) <= TOP_CAPTIONS_SHOWN]
    revenue: dict[str, float] = {}
    for row in top_captions:
        revenue[row["page_name"]] = revenue.get(row["page_name"], 0.0) + float(row.get("total_revenue") or 0.0)
    best = sorted((r for r in top_captions if int(r.get("caption_rank") or 0) == 1),
                  key=lambda r: (-revenue.get(r["page_name"], 0.0), r["page_name"]))[:TOP_PAGES]
    checks = [{**c, "observed": format_observed(str(c.get("check_name")), c.get("observed_value"))} for c in health.checks]
    learning = rows("caption_learning")
    last_day = dt.date.fromisoformat(health.execution_date)
    context = {
        "health": health,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M:%S"),
        "verdict": _verdict(health, daily, errors, alerts),
        "counts": {s: sum(1 for c in health.checks if c.get("status") == s) for s in ("PASS", "WARN", "FAIL")},
        "exit_code": STATUS_EXIT_CODES[health.status],
        "sections": {name: section(name) for name in (*REPORT_ANALYSES, *EXTRA_SECTIONS)},
        "latest_runs": latest,
        "failed_runs": [r for r in runs if r.get("job_status") == "FAILED" and not r.get("latest")],
        "daily_run": daily,
        "page_errors": errors,
        "page_errors_shown": PAGE_ERRORS_SHOWN,
        "reasons": sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
        "alerts": alerts,
        "queue": rows("health_queue_status"),
        "saturation": {
            "pages": len(saturation_rows), "levels": levels, "warning": warning, "critical": critical,
            "queue_below": float(settings.get("saturation_queue_threshold_pct", 80)),
            "horizon": int(settings.get("saturation_horizon_days", 7)),
            "over_100": sum(1 for r in capped if float(r["saturation_pct"]) > 100),
            "offenders": capped[:TOP_OFFENDERS],
        },
        "saturation_chart": Markup(_saturation_chart(capped, warning, critical)),
        "learning": learning[0] if learning else None,
        "data_quality": rows("data_quality"),
        "top_pages": best,
        "top_shown": TOP_CAPTIONS_SHOWN,
        "top_captions": [{**r, "caption_text": _cut(r.get("caption_text"), 120)} for r in top_captions],
        "top_caption_pages": len({r["page_name"] for r in top_captions}),
        "checks": checks,
        "duration_chart": Markup("" if section("health_job_duration_trends").get("missing") else _duration_chart(trends, last_day)),
        "other_jobs": [r for r in trends if r.get("job_name") != "daily_automation"],
        "elementary_report": elementary_report,
        "plotly_js": Markup(get_plotlyjs()),
    }
    return str(_environment().get_template("report.html.j2").render(**context))


def _cut(text: Any, limit: int) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"
