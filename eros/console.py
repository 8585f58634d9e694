"""Terminal presentation: live progress of dbt steps and end-of-run summaries (rich).

Progress goes to stderr so ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from eros.dbt_invoke import RESULT_EVENTS, DbtEvent

STATUS_STYLES = {
    "SUCCESS": "green",
    "COMPLETED_NO_WORK": "yellow",
    "COMPLETED_WITH_ERRORS": "yellow",
    "FAILED": "bold red",
    "RUNNING": "cyan",
}
LEVEL_STYLES = {"CRITICAL": "bold red", "WARNING": "yellow", "INFO": "cyan"}

# Pipes and cron get a wide fixed width instead of rich's 80-column fallback.
stdout = Console(width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


@contextlib.contextmanager
def dbt_progress(label: str, enabled: bool = True) -> Iterator[Any]:
    """Context manager yielding an ``on_event`` callback that drives a progress bar.

    Shown only when ``enabled`` and stderr is a terminal; otherwise the callback does
    nothing. The total is dbt's node count once dbt announces it.
    """
    if not enabled or not stderr.is_terminal:
        yield lambda event: None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=stderr,
        transient=True,
    )
    task = progress.add_task(label, total=None, current="")

    def on_event(event: DbtEvent) -> None:
        if event.name == "LogStartLine":
            node = event.data.get("node_info", {}) or {}
            if event.data.get("total"):
                progress.update(task, total=int(event.data["total"]))
            progress.update(task, current=node.get("node_name", ""))
        elif event.name in RESULT_EVENTS and event.name != "LogHookEndLine":
            progress.advance(task)

    with progress:
        yield on_event


def print_job_summary(outcome: dict[str, Any]) -> None:
    """Short summary table of a job run (pages active, queued, failed, duration, alerts)."""
    status = outcome["status"]
    table = Table(title=f"{outcome['job_name']} · {outcome['execution_date']}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("status", f"[{STATUS_STYLES.get(status, 'white')}]{status}[/]")
    row = outcome.get("job_row") or {}
    counts = outcome.get("counts") or {}
    for key, label in [
        ("pages_active", "pages active"),
        ("pages_queued", "pages queued (new)"),
        ("queue_rows_for_date", "queue rows for date"),
    ]:
        if counts.get(key) is not None:
            table.add_row(label, str(counts[key]))
    if row.get("creators_processed") is not None:
        table.add_row("pages processed", str(row["creators_processed"]))
    if row.get("creators_failed") is not None:
        table.add_row("pages failed", str(row["creators_failed"]))
    for key, value in counts.items():
        if key not in ("pages_active", "pages_queued", "queue_rows_for_date", "pages_analysed", "pages_below_threshold") and value is not None:
            table.add_row(key.replace("_", " "), str(value))
    table.add_row("duration", f"{outcome['duration_seconds']:.1f} s")
    table.add_row("job id", str(outcome.get("job_id")))
    if outcome.get("error_message"):
        table.add_row("message", str(outcome["error_message"]))
    stdout.print(table)
    for alert in outcome.get("alerts") or []:
        level = alert.get("alert_level", "")
        stdout.print(f"[{LEVEL_STYLES.get(level, 'white')}]{level}[/] {alert.get('alert_source')}: {alert.get('alert_message')}")
    print_alerting_summary(outcome.get("alerting"))


def print_alerting_summary(alerting: dict[str, Any] | None) -> None:
    """One or two lines about the alerting step after a job (issue 7): rule alerts raised
    and resolved, deliveries sent / failed, or why sending was skipped."""
    if not alerting:
        return
    if alerting.get("error"):
        stdout.print(f"[yellow]alerting step failed[/]: {escape(str(alerting['error']))}")
        return
    for alert in alerting.get("raised") or []:
        level = alert.get("level", "")
        note = " (adopted the job's alert)" if alert.get("adopted") else ""
        stdout.print(f"[{LEVEL_STYLES.get(level, 'white')}]{level}[/] rule {alert.get('rule_id')}{note}: {escape(str(alert.get('message')))}")
    send = alerting.get("send")
    parts = [f"{len(alerting.get('raised') or [])} rule alert(s) raised", f"{alerting.get('resolved', 0)} resolved"]
    if alerting.get("superseded"):
        parts.append(f"{alerting['superseded']} superseded (no longer true)")
    if send:
        parts.append(f"{send['sent']} delivered, {send['failed']} failed")
        if send.get("unconfirmed"):
            parts.append(f"{len(send['unconfirmed'])} unconfirmed (not re-sent)")
    elif alerting.get("send_skipped"):
        parts.append(f"not sent: {alerting['send_skipped']}")
    stdout.print("alerts: " + "; ".join(parts))


def print_alert_list(result: dict[str, Any]) -> None:
    """Table of alerts (``eros alerts list``): short id, time, level, status, rule or
    source, acknowledgement, deliveries per channel, message."""
    deliveries: dict[str, list[str]] = {}
    for d in result.get("deliveries") or []:
        kind = "" if d["delivery_kind"] == "notify" else "/esc"
        deliveries.setdefault(d["alert_id"], []).append(f"{d['channel']}{kind}:{d['status']}")
    alerts = result.get("alerts") or []
    table = Table(title=f"{len(alerts)} alert(s)", title_justify="left")
    for column in ("id", "time (UTC)", "level", "status", "rule / source", "ack", "delivered", "message"):
        table.add_column(column, overflow="fold")
    for a in alerts:
        level = a.get("alert_level", "")
        ack = f"{a['acknowledged_by']}" if a.get("acknowledged") else "-"
        table.add_row(
            a["alert_id"][:12], str(a.get("alert_time")), f"[{LEVEL_STYLES.get(level, 'white')}]{level}[/]", str(a.get("status")),
            escape(str(a.get("rule_id") or a.get("alert_source"))), escape(ack), ", ".join(deliveries.get(a["alert_id"], [])) or "-",
            escape(str(a.get("alert_message"))),
        )
    stdout.print(table)


def print_alert_evaluation(result: dict[str, Any]) -> None:
    """Per rule: status, observed value vs threshold; then the alerts raised and resolved."""
    table = Table(title=f"alert rules at {result.get('as_of')} UTC", title_justify="left")
    for column in ("rule", "level", "status", "observed", "threshold", "note"):
        table.add_column(column, overflow="fold")
    for c in result.get("conditions") or []:
        status = c["condition_status"] if c.get("enabled") else f"{c['condition_status']} (disabled)"
        if c.get("superseded_by"):
            status += f" (superseded by {c['superseded_by']})"
        observed = "-" if c.get("observed_value") is None else f"{c['observed_value']:,.2f}".rstrip("0").rstrip(".")
        style = "bold red" if c["condition_status"] == "HOLDS" and c.get("enabled") else "white"
        table.add_row(c["rule_id"], c["level"], f"[{style}]{escape(status)}[/]", observed, f"{c['threshold']:g} {escape(str(c.get('unit') or ''))}",
                      escape(str(c.get("detail") or "")))
    stdout.print(table)
    raised = result.get("raised") or []
    for a in raised:
        note = " (adopted the job's alert)" if a.get("adopted") else ""
        stdout.print(f"[{LEVEL_STYLES.get(a['level'], 'white')}]raised {a['level']}[/] {a['alert_id'][:12]}{note}: {escape(a['message'])}")
    stdout.print(f"{len(raised)} alert(s) raised, {len(result.get('resolved') or [])} resolved, "
                 f"{len(result.get('superseded') or [])} superseded, {result.get('cleared', 0)} marked condition-cleared")


def print_send_report(report: dict[str, Any]) -> None:
    """What ``eros alerts send`` did (or would do with --dry-run); destinations masked."""
    prefix = "[dry run] would send" if report.get("dry_run") else "sent"
    if not report.get("destinations"):
        stdout.print("no alert channel configured (EROS_ALERT_SLACK_URL, EROS_ALERT_GCHAT_URL, EROS_ALERT_EMAIL_URL, "
                     "EROS_ALERT_PAGERDUTY_URL or EROS_ALERT_CONFIG)")
    for channel, urls in (report.get("destinations") or {}).items():
        stdout.print(f"channel {channel}: {escape(', '.join(urls))}")
    for b in report.get("batches") or []:
        status = "" if report.get("dry_run") else f" -> {b['status']}"
        stdout.print(f"[bold]{prefix} {b['kind']} to {b['channel']}[/] ({len(b['alert_ids'])} alert(s), batch {b['batch_id']}){status}: "
                     f"{escape(b['title'])}")
        for line in str(b["body"]).splitlines():
            stdout.print(f"    {escape(line)}")
        if b.get("error"):
            stdout.print(f"    [red]error[/]: {escape(str(b['error']))}")
    for u in report.get("unconfirmed") or []:
        stdout.print(f"[yellow]unconfirmed[/] {u['delivery_kind']} of alert {u['alert_id'][:12]} to {u['channel']}: an earlier send stopped "
                     "between the HTTP call and recording it; not re-sent (check the channel)")
    for channel, count in (report.get("no_destination") or {}).items():
        stdout.print(f"{count} delivery(ies) due on {channel}, which has no destination configured")
    if not report.get("dry_run"):
        stdout.print(f"{report['sent']} delivered, {report['failed']} failed (retried by the next send), {report['retries']} retried")
