"""``eros report``: one self-contained HTML page about the health of the automation.

Sequence (one dbt process in all, the checks' build; the same page on DuckDB and BigQuery):

1. :func:`eros.health.run_health` (``dbt build --selector health``): the scorecard;
2. :func:`read_sections` reads the marts directly (:mod:`eros.warehouse`, SQL that runs on
   both engines): what the health analyses of the same names (analyses/health/*.sql)
   compute, at the same ``as_of``; tests/python/test_health.py checks they agree;
3. the page is rendered here: the scorecard, daily job durations and outcomes over 30
   days (chart), the queue by status over the last 3 LA days, open alerts, saturation per
   page (chart) and the top captions per page. Charts are plotly figures; plotly.js is
   inlined once, so the file opens with no network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eros.core import LA
from eros.dbt_invoke import DbtEvent
from eros.errors import ErosRunError
from eros.health import STATUS_EXIT_CODES, HealthReport, format_observed, now_utc_ceiled, run_health
from eros.project import project_vars
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
# Above this many pages the saturation chart turns vertical and the caption table folds.
MANY_PAGES = 40
STATUS_COLORS = {"PASS": "#1a7f37", "WARN": "#b35900", "FAIL": "#c62828", "UNKNOWN": "#6a1b9a"}
OUTCOME_COLORS = {"succeeded": "#2e7d32", "completed_with_issues": "#ef6c00", "failed": "#c62828", "running": "#1565c0"}
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
        ``{section: {"rows": [...]}}``, or ``{"rows": [], "missing": [tables]}`` for a section
        whose tables are not built yet (a job has not run).

    Raises:
        ErosRunError: a query failed.
    """
    today = as_of.replace(tzinfo=dt.UTC).astimezone(LA).date()
    readers = {
        "health_job_duration_trends": lambda: _job_duration_trends(warehouse, as_of, today),
        "health_queue_status": lambda: _queue_status(warehouse, as_of, today),
        "health_open_alerts": lambda: _open_alerts(warehouse, as_of),
        "health_active_locks_saturation": lambda: _locks_saturation(warehouse, today, settings),
        "health_top_captions_by_page": lambda: _read_top_captions(warehouse),
    }
    results: dict[str, dict[str, Any]] = {}
    for name in REPORT_ANALYSES:
        missing = [table for table in SECTION_TABLES[name] if not warehouse.exists(table)]
        results[name] = {"rows": [], "missing": missing} if missing else {"rows": readers[name]()}
    return results


def write_report(
    *,
    project: Path,
    target: str,
    out_path: Path,
    as_of: dt.datetime | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    duckdb_file: Path | None = None,
) -> ReportResult:
    """Build the checks, query the report sections and write the HTML file.

    Args:
        project: dbt project directory.
        target: profile target (validated).
        out_path: HTML file to write (parent folders are created).
        as_of: reference "now" (naive UTC); default the current time.
        on_event: progress callback for the health build.
        duckdb_file: local warehouse file (checked to exist on DuckDB targets).

    Returns:
        A :class:`ReportResult`.

    Raises:
        ErosRunError: when the checks could not run (health UNKNOWN) or a query failed.
    """
    started = time.monotonic()
    moment = as_of or now_utc_ceiled()
    health = run_health(project=project, target=target, as_of=moment, on_event=on_event, duckdb_file=duckdb_file)
    if health.status == "UNKNOWN":
        raise ErosRunError(f"could not check the warehouse: {health.error}")
    with connect(project, target, read_only=True) as warehouse:
        results = read_sections(warehouse, moment, project_vars(project))
    page = render_html(health, results, generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
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

CSS = """
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; margin: 0;
       color: #1f2328; background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 18px 32px; display: flex; align-items: center; gap: 20px; }
header h1 { font-size: 22px; margin: 0; font-weight: 600; }
header .meta { color: #c9d1d9; font-size: 13px; }
main { padding: 20px 32px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 20px; margin-bottom: 20px; }
section h2 { font-size: 17px; margin: 0 0 4px; }
section p.note { color: #57606a; font-size: 13px; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; background: #f6f8fa; color: #57606a; font-weight: 600; border-bottom: 1px solid #d0d7de; padding: 6px 8px; }
td { border-bottom: 1px solid #eaeef2; padding: 6px 8px; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pill { display: inline-block; min-width: 52px; text-align: center; padding: 2px 8px; border-radius: 10px;
        color: #fff; font-weight: 600; font-size: 12px; }
.badge { font-size: 15px; padding: 4px 14px; border-radius: 14px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.empty { color: #57606a; font-style: italic; }
.small { color: #57606a; font-size: 12px; }
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _pill(status: str, big: bool = False) -> str:
    color = STATUS_COLORS.get(status) or LEVEL_COLORS.get(status, "#57606a")
    extra = " badge" if big else ""
    return f'<span class="pill{extra}" style="background:{color}">{_esc(status)}</span>'


IDENTIFIER_COLUMNS = frozenset({"caption_id", "caption_rank", "job_id"})


def _table(columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]], empty: str, pills: Sequence[str] = ()) -> str:
    """HTML table of ``rows`` with (key, header) columns; numbers right-aligned (identifiers
    such as caption_id without thousands separators)."""
    if not rows:
        return f'<p class="empty">{_esc(empty)}</p>'
    head = "".join(f"<th>{_esc(label)}</th>" for _, label in columns)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            if key in pills and value is not None:
                cells.append(f"<td>{_pill(str(value))}</td>")
            elif key in IDENTIFIER_COLUMNS and value is not None:
                cells.append(f'<td class="num">{_esc(value)}</td>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{_esc(value if value is not None else '')}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


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


def _saturation_chart(rows: Sequence[Mapping[str, Any]]) -> str:
    """Saturation per page, colored by level, with the 60% / 80% lines: horizontal bars with
    the page names for up to MANY_PAGES pages, else vertical bars sorted high to low (names
    on hover) so a hundred pages still fit one screen."""
    import plotly.graph_objects as go

    shown = [r for r in rows if r.get("saturation_pct") is not None]
    if not shown:
        return '<p class="empty">No page has a daily send cap yet (the daily job has not analysed any page).</p>'
    many = len(shown) > MANY_PAGES
    shown = sorted(shown, key=lambda r: float(r["saturation_pct"]), reverse=many)
    values = [r["saturation_pct"] for r in shown]
    pages = [r["page_name"] for r in shown]
    figure = go.Figure(go.Bar(
        x=pages if many else values, y=values if many else pages, orientation="v" if many else "h",
        marker_color=[LEVEL_COLORS.get(str(r.get("saturation_level")), "#57606a") for r in shown],
        text=None if many else [f"{float(v):.0f}%" for v in values], textposition="outside",
        customdata=[[r["page_name"], r["saturation_pct"], r.get("upcoming_locks"), r.get("daily_send_cap"), r.get("active_locks")]
                    for r in shown],
        hovertemplate=(
            "%{customdata[0]}: %{customdata[1]:.1f}%<br>upcoming locks %{customdata[2]}, cap %{customdata[3]}/day, "
            "active locks %{customdata[4]}<extra></extra>"
        ),
    ))
    axis = {"title": "saturation % (next 7 days)", "rangemode": "tozero", "gridcolor": "#eaeef2"}
    for level, pct in (("WARNING", 60), ("CRITICAL", 80)):
        line = {"line_dash": "dash", "line_color": LEVEL_COLORS[level], "annotation_text": f"{pct}%"}
        if many:
            figure.add_hline(y=pct, annotation_position="right", **line)
        else:
            figure.add_vline(x=pct, annotation_position="top", **line)
    if many:
        figure.update_layout(
            height=420, margin={"l": 60, "r": 40, "t": 20, "b": 110}, plot_bgcolor="#fff", showlegend=False, bargap=0.15,
            yaxis=axis, xaxis={"title": f"{len(shown)} pages, most saturated first", "tickangle": -60, "tickfont": {"size": 9}},
        )
    else:
        figure.update_layout(
            height=max(260, 22 * len(shown) + 80), margin={"l": 140, "r": 40, "t": 24, "b": 40}, plot_bgcolor="#fff",
            xaxis=axis, showlegend=False,
        )
    return _figure_html(figure, "chart-saturation")


def _scorecard_table(health: HealthReport) -> str:
    rows = []
    for check in health.checks:
        name = str(check.get("check_name"))
        rows.append(
            "<tr>"
            f"<td><b>{_esc(name)}</b></td>"
            f"<td>{_pill(str(check.get('status')))}</td>"
            f'<td class="num">{_esc(format_observed(name, check.get("observed_value")))}</td>'
            f"<td>{_esc(check.get('detail'))}</td>"
            f'<td class="small">{_esc(check.get("threshold"))}</td>'
            "</tr>"
        )
    head = "<tr><th>check</th><th>status</th><th>observed</th><th>detail</th><th>levels</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _fold(pages: int, content: str) -> str:
    """Wrap a long per-page table in a closed <details> when there are many pages."""
    if pages <= MANY_PAGES:
        return content
    return f'<details><summary class="small">{pages} pages: show the table</summary>{content}</details>'


def _top_captions(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if int(row.get("caption_rank") or 0) <= TOP_CAPTIONS_SHOWN:
            text = str(row.get("caption_text") or "")
            out.append({**row, "caption_text": text if len(text) <= 90 else text[:87] + "..."})
    return out


def render_html(health: HealthReport, results: Mapping[str, Mapping[str, Any]], generated_at: dt.datetime) -> str:
    """The whole page as one string (plotly.js inlined)."""
    from plotly.offline import get_plotlyjs

    def rows(name: str) -> list[dict[str, Any]]:
        return list((results.get(name) or {}).get("rows") or [])

    def missing(name: str) -> str:
        """A note when the section's tables are not built yet (a job never ran), else ''."""
        tables = (results.get(name) or {}).get("missing") or []
        return f'<p class="empty">Not available yet: {_esc(", ".join(tables))} not built (a job has not run yet).</p>' if tables else ""

    trends = rows("health_job_duration_trends")
    top_captions = _top_captions(rows("health_top_captions_by_page"))
    other_jobs = [r for r in trends if r.get("job_name") != "daily_automation"]
    counts = {s: sum(1 for c in health.checks if c.get("status") == s) for s in ("PASS", "WARN", "FAIL")}
    sections = [
        f"""<section id="scorecard"><h2>Scorecard</h2>
<p class="note">{counts['PASS']} PASS, {counts['WARN']} WARN, {counts['FAIL']} FAIL · as of {_esc(health.as_of)} UTC
({_esc(health.execution_date)} in Los Angeles) · exit code of <code>eros health</code>: {STATUS_EXIT_CODES[health.status]}</p>
{_scorecard_table(health)}</section>""",
        f"""<section><h2>Daily automation: runs and durations, last 30 days</h2>
<p class="note">One bar per LA day: average run duration, colored by the worst outcome of the day;
black tick: the longest run. Target 2-5 min, 10 max.</p>
{missing("health_job_duration_trends") or _duration_chart(trends, dt.date.fromisoformat(health.execution_date))}
<details><summary class="small">Other jobs ({len(other_jobs)} job-days)</summary>
{_table([("job_name", "job"), ("run_date_la", "LA date"), ("runs", "runs"), ("succeeded", "ok"), ("failed", "failed"),
         ("avg_duration_seconds", "avg s"), ("max_duration_seconds", "max s")], other_jobs, "No other job ran.")}
</details></section>""",
        f"""<div class="grid"><section><h2>Schedule queue, last 3 LA days</h2>
<p class="note">Rows of schedule_generation_queue by execution date and status; age of the oldest row.</p>
{missing("health_queue_status") or _table(
    [("execution_date", "execution date"), ("status", "status"), ("queue_rows", "rows"), ("oldest_age_hours", "oldest (h)")],
    rows("health_queue_status"), "Nothing queued in the last 3 days.")}</section>
<section><h2>Open alerts</h2>
<p class="note">Unacknowledged alerts of the last 7 days, CRITICAL first.</p>
{missing("health_open_alerts") or _table([("alert_level", "level"), ("alert_source", "source"), ("alert_time", "raised (UTC)"),
                                         ("age_hours", "age (h)"), ("alert_message", "message")], rows("health_open_alerts"),
                                        "No open alert.", pills=("alert_level",))}</section></div>""",
        f"""<section><h2>Saturation per page</h2>
<p class="note">Active locks scheduled in the next 7 days / (daily send cap x 7). Pages below 80% are queued for scheduling;
above 60% WARNING, above 80% CRITICAL (health check 4).</p>
{missing("health_active_locks_saturation") or _saturation_chart(rows("health_active_locks_saturation"))}</section>""",
        f"""<section><h2>Top captions per page</h2>
<p class="note">The {TOP_CAPTIONS_SHOWN} captions per page with the highest Wilson lower bound in caption_bandit_stats.</p>
{missing("health_top_captions_by_page") or _fold(len({r.get("page_name") for r in top_captions}), _table(
    [("page_name", "page"), ("caption_rank", "#"), ("caption_id", "caption"), ("caption_text", "text"),
     ("total_observations", "obs"), ("total_revenue", "revenue $"), ("confidence_lower_bound", "lower bound")],
    top_captions, "caption_bandit_stats is empty: caption performance has not run."))}</section>""",
    ]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>eros health report · {_esc(health.status)} · {_esc(health.as_of)} UTC</title>
<style>{CSS}</style>
<script>{get_plotlyjs()}</script>
</head><body>
<header><h1>eros health report</h1>{_pill(health.status, big=True)}
<span class="meta">target {_esc(health.target)} · checked {_esc(health.as_of)} UTC ·
generated {_esc(generated_at.strftime('%Y-%m-%d %H:%M:%S'))} UTC</span></header>
<main>{''.join(sections)}</main>
</body></html>
"""
