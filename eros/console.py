"""Terminal presentation: live progress of dbt steps, end-of-run summaries and the tables
of the read commands (rich).

Output that fits (issue 15): every table is readable at 80 columns. The width is
``$COLUMNS`` when set (also off a terminal, re-read at every print), else the terminal's,
else 80. Ids and times are never cut; long text is cut with an ellipsis (``--wide`` shows
everything, however wide). One number format (:func:`number`: thousands separators, one
decimal), one duration format (:func:`seconds`), and words for booleans and missing
values (:func:`word`: yes / no / none).

Progress goes to stderr so ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from rich import box
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from eros.core import reason_detail
from eros.dbt_invoke import RESULT_EVENTS, DbtEvent

STATUS_STYLES = {
    "SUCCESS": "green",
    "COMPLETED_NO_WORK": "yellow",
    "COMPLETED_WITH_ERRORS": "yellow",
    "FAILED": "bold red",
    "RUNNING": "cyan",
}
LEVEL_STYLES = {"CRITICAL": "bold red", "WARNING": "yellow", "INFO": "cyan"}
# Width of the output with --wide: wide enough for any cell, so nothing is cut or wrapped.
WIDE_WIDTH = 100_000
# How many page errors a job summary names (eros errors lists them all).
SUMMARY_PAGE_ERRORS = 5

_wide = False


def set_wide(wide: bool = True) -> None:
    """``--wide``: tables show every cell in full (lines may exceed the terminal)."""
    global _wide
    _wide = wide


def is_wide() -> bool:
    """True after :func:`set_wide` (``--wide``)."""
    return _wide


class FitConsole(Console):
    """A rich Console whose width is ``$COLUMNS`` (read at every print, on a terminal or
    not), else the terminal's, else 80; :data:`WIDE_WIDTH` with ``--wide``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # rich freezes $COLUMNS at construction; with no fixed width it reads it at every print
        self._width = None

    @property
    def size(self) -> ConsoleDimensions:  # type: ignore[override]
        size = super().size
        return ConsoleDimensions(WIDE_WIDTH, size.height) if _wide else size


stdout = FitConsole()
stderr = FitConsole(stderr=True)


def path_line(path: Any) -> None:
    """Print a file path on a line of its own, never wrapped or highlighted, so it can be
    copied whole at any terminal width (test_columns80 allows such a line past 80 columns).

    Args:
        path: a ``pathlib.Path`` or string; printed as ``str(path)``.
    """
    stdout.print(str(path), highlight=False, markup=False, soft_wrap=True)


def number(value: Any, decimals: int = 1, *, fixed: bool = False) -> str:
    """The one number format: ``7,897``; ``46.2`` (floats with ``decimals`` places, a whole
    float without them unless ``fixed``); ``none`` for a missing value."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return word(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return str(value)
    if as_float == int(as_float) and abs(as_float) < 1e15 and not fixed:
        return f"{int(as_float):,}"
    return f"{as_float:,.{decimals}f}"


def percent(value: Any) -> str:
    """The one percent format: one decimal always, ``97.4%``, ``100.0%``, ``0.5%``; ``none``
    for a missing value. The warehouse's alert messages use the same (macro ``eros_percent``,
    macros/utils/formatting.sql)."""
    if value is None:
        return "none"
    return f"{number(float(value), 1, fixed=True)}%"


def seconds(value: Any) -> str:
    """A duration: ``43.0 s`` (``1,234.5 s``); ``none`` when missing."""
    if value is None:
        return "none"
    return f"{float(value):,.1f} s"


def word(value: Any) -> str:
    """A value for people: ``yes`` / ``no`` for booleans, ``none`` for a missing value,
    :func:`number` for numbers, else its text."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


def cell(value: Any, style: str = "") -> Text:
    """A table cell: :func:`word` of the value as plain text (no markup), with ``style``."""
    if isinstance(value, Text):
        return value
    return Text(word(value), style=style)


# Column kinds of :func:`fit_table`: "id" / "fixed" / "number" are never cut; "label" (a rule
# name, a source) is cut with an ellipsis past LABEL_WIDTH, or sooner when the width needs it;
# "text" is cut with an ellipsis to fit the width; "wrap" is wrapped onto more lines (a
# key/value table's values).
KEEP_KINDS = ("id", "fixed", "number")
LABEL_WIDTH = 20
# The narrowest a cut column gets (its ellipsis included).
MIN_CUT_WIDTH = 6


def fit_table(title: str | None, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], *,
              show_header: bool = True, out: Console | None = None) -> Table:
    """A rich Table that fits the console width in one line per row.

    Args:
        title: shown above the table (cut with an ellipsis when too long).
        columns: ``(header, kind)``; kind "id", "fixed" or "number" (right-aligned) are
            shown whole; "label" columns get up to LABEL_WIDTH of what is left, "text"
            columns share the rest and end in an ellipsis when cut; "wrap" columns share it too
            and wrap onto more lines.
        rows: cell values (:func:`cell`: None and booleans become words, numbers
            :func:`number`; a rich Text keeps its style).
        show_header: print the header line.
        out: console whose width the table fits (default :data:`stdout`).

    Returns:
        The table; with ``--wide`` (:func:`set_wide`) nothing is cut.
    """
    out = out or stdout
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_header=show_header, show_edge=False,
                  pad_edge=False, padding=(0, 1, 0, 0), title_style="bold")
    for header, kind in columns:
        overflow = {"text": "ellipsis", "label": "ellipsis", "wrap": "fold"}.get(kind, "ignore")
        table.add_column(header, no_wrap=kind != "wrap", overflow=overflow, justify="right" if kind == "number" else "left")
    cells = [[cell(v) for v in row] for row in rows]
    for row in cells:
        for text, (_, kind) in zip(row, columns, strict=True):
            if kind == "number":
                text.justify = "right"
    for row in cells:
        table.add_row(*row)
    if _wide:
        return table
    natural = [max([_header_width(header) if show_header else 0] + [row[i].cell_len for row in cells]) for i, (header, _) in enumerate(columns)]
    measured = Measurement.get(out, out.options.update(width=WIDE_WIDTH), table).maximum
    overhead = max(0, measured - sum(natural))
    kinds = [kind for _, kind in columns]
    cut = [i for i, kind in enumerate(kinds) if kind not in KEEP_KINDS]
    room = out.width - overhead - sum(w for i, w in enumerate(natural) if i not in cut)
    labels = [i for i in cut if kinds[i] == "label"]
    texts = [i for i in cut if kinds[i] != "label"]
    # labels first (up to LABEL_WIDTH each, leaving the text columns MIN_CUT_WIDTH at least) ...
    widths = {i: min(natural[i], LABEL_WIDTH) for i in labels}
    spare = room - sum(min(natural[i], MIN_CUT_WIDTH) for i in texts)
    while labels and sum(widths.values()) > spare and max(widths.values()) > MIN_CUT_WIDTH:
        widest = max(widths, key=lambda i: widths[i])
        widths[widest] -= 1
    room -= sum(widths.values())
    # ... then the text columns: short ones keep their width, the long ones share the rest equally
    for position, i in enumerate(sorted(texts, key=lambda i: natural[i])):
        widths[i] = min(natural[i], max(MIN_CUT_WIDTH, room // (len(texts) - position)))
        room -= widths[i]
    for i, width in widths.items():
        table.columns[i].max_width = width
    return table


def _header_width(header: str) -> int:
    return max(Text(line).cell_len for line in header.split("\n"))


def print_table(title: str | None, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], **kwargs: Any) -> None:
    """:func:`fit_table` printed on :data:`stdout`."""
    stdout.print(fit_table(title, columns, rows, **kwargs))


def styled(value: Any, styles: dict[str, str]) -> Text:
    """A cell in the style its value has in ``styles`` (statuses, alert levels)."""
    return Text(word(value), style=styles.get(str(value), ""))


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
    """Summary of a job run (status, pages active / queued / failed, the job's duration, job
    id, message), the first page errors with the command that lists them all, then the
    job's alerts and the alerting step."""
    status = outcome["status"]
    rows: list[tuple[Any, Any]] = [("status", styled(status, STATUS_STYLES))]
    row = outcome.get("job_row") or {}
    counts = dict(outcome.get("counts") or {})
    counts.pop("by_page", None)
    for key, label in [
        ("pages_active", "pages active"),
        ("pages_queued", "pages queued (new)"),
        ("queue_rows_for_date", "queue rows for date"),
    ]:
        if counts.get(key) is not None:
            rows.append((label, counts[key]))
    if row.get("creators_processed") is not None:
        rows.append(("pages processed", row["creators_processed"]))
    if row.get("creators_failed") is not None:
        rows.append(("pages failed", row["creators_failed"]))
    for key, value in counts.items():
        if key not in ("pages_active", "pages_queued", "queue_rows_for_date", "pages_analysed", "pages_below_threshold") and value is not None:
            if key.endswith("_seconds"):
                rows.append((key.replace("_", " "), seconds(value)))
            elif key.endswith("_pct"):  # one percent format: '97.0%', as in the report and alerts
                rows.append((key[: -len("_pct")].replace("_", " "), percent(value)))
            else:
                rows.append((key.replace("_", " "), value))
    rows.append(("duration", seconds(outcome.get("duration_seconds"))))
    rows.append(("job id", outcome.get("job_id")))
    if outcome.get("error_message"):
        rows.append(("message", outcome["error_message"]))
    print_table(f"{outcome['job_name']} · {outcome['execution_date']}", [("what", "fixed"), ("value", "wrap")], rows, show_header=False)
    print_page_errors_brief(outcome)
    for alert in outcome.get("alerts") or []:
        level = alert.get("alert_level", "")
        source, message = escape(str(alert.get("alert_source"))), escape(str(alert.get("alert_message")))
        stdout.print(f"[{LEVEL_STYLES.get(level, 'white')}]{level}[/] {source}: {message}")
    print_alerting_summary(outcome.get("alerting"))


def print_page_errors_brief(outcome: dict[str, Any]) -> None:
    """The first page errors of a run (``outcome["page_errors"]``, eros.runs.read_page_errors)
    and the ``eros errors`` command that lists them all."""
    errors = outcome.get("page_errors") or []
    if not errors:
        return
    failed = int((outcome.get("job_row") or {}).get("creators_failed") or len(errors))
    pages = sum(1 for e in errors if e.get("page_name") != "__lock_sweep__")
    shown = f"the first {len(errors)}" if failed > len(errors) else "all of them" if failed > 1 else "it"
    stdout.print(f"{number(failed)} page(s) failed validation; {shown}:" if pages else "the run recorded an error:", highlight=False)
    stdout.print(fit_table(None, [("page", "id"), ("reason", "text")], [(e["page_name"], e["error_message"]) for e in errors],
                           show_header=False))
    stdout.print(f"all page errors: [bold]eros errors --job {escape(str(outcome.get('job_id')))}[/]", highlight=False)


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
    """Table of alerts (``eros alerts list``), one line per alert: the 12-character id that
    ``eros alerts ack`` takes (the whole id with ``--wide``), time, level, status, rule or source, who acknowledged, the
    deliveries per channel and the message (cut with an ellipsis; ``--wide`` for all)."""
    deliveries: dict[str, list[str]] = {}
    for d in result.get("deliveries") or []:
        kind = "" if d["delivery_kind"] == "notify" else "/esc"
        deliveries.setdefault(d["alert_id"], []).append(f"{d['channel']}{kind}:{d['status']}")
    alerts = result.get("alerts") or []
    wide = is_wide()
    rows = []
    for a in alerts:
        status = str(a.get("status"))
        if not wide and a.get("acknowledged") and status == "OPEN":
            status = "ACKED"
        time = str(a.get("alert_time"))
        row = [a["alert_id"] if wide else a["alert_id"][:12], time if wide else time[5:16], styled(a.get("alert_level"), LEVEL_STYLES), status]
        if wide:
            row += [a.get("rule_id") or a.get("alert_source"), a["acknowledged_by"] if a.get("acknowledged") else "no",
                    ", ".join(deliveries.get(a["alert_id"], [])) or "none"]
        rows.append((*row, a.get("alert_message")))
    columns = [("id", "id"), ("time (UTC)", "fixed"), ("level", "fixed"), ("status", "fixed")]
    if wide:
        columns += [("rule / source", "text"), ("acked by", "text"), ("delivered", "text")]
    hint = "" if wide or not alerts else " (--wide: rule, acknowledgement, deliveries, whole messages)"
    print_table(f"{number(len(alerts))} alert(s){hint}", [*columns, ("message", "text")], rows)


def print_alert_evaluation(result: dict[str, Any]) -> None:
    """Per rule: status, observed value vs threshold; then the alerts raised and resolved."""
    rows = []
    for c in result.get("conditions") or []:
        status = c["condition_status"] if c.get("enabled") else f"{c['condition_status']} (disabled)"
        if c.get("superseded_by"):
            status += f" (superseded by {c['superseded_by']})"
        style = "bold red" if c["condition_status"] == "HOLDS" and c.get("enabled") else ""
        threshold = f"{number(c['threshold'])} {c.get('unit') or ''}".strip()
        if is_wide():
            rows.append((c["rule_id"], c["level"], Text(status, style=style), number(c.get("observed_value")), threshold, c.get("detail") or ""))
        else:
            rows.append((c["rule_id"], c["level"], Text(status, style=style), f"{number(c.get('observed_value'))} / {threshold}"))
    columns = [("rule", "id"), ("level", "fixed"), ("status", "label")]
    columns += [("observed", "number"), ("threshold", "text"), ("note", "text")] if is_wide() else [("observed / threshold", "text")]
    print_table(f"alert rules at {result.get('as_of')} UTC" + ("" if is_wide() else " (--wide: notes)"), columns, rows)
    raised = result.get("raised") or []
    for a in raised:
        note = " (adopted the job's alert)" if a.get("adopted") else ""
        stdout.print(f"[{LEVEL_STYLES.get(a['level'], 'white')}]raised {a['level']}[/] {a['alert_id'][:12]}{note}: {escape(a['message'])}")
    stdout.print(f"{number(len(raised))} alert(s) raised, {number(len(result.get('resolved') or []))} resolved, "
                 f"{number(len(result.get('superseded') or []))} superseded, {number(result.get('cleared', 0))} marked condition-cleared",
                 highlight=False)


def print_page_errors(result: dict[str, Any]) -> None:
    """``eros errors``: the run (job, status, date, pages processed / failed, duration,
    message), the count per reason code, then one line per page error (page whole, the
    message cut with an ellipsis; ``--wide`` for all). ``result`` is eros.runs.run_errors'."""
    run = result["run"]
    errors = result.get("errors") or []
    print_table(None, [("what", "fixed"), ("value", "wrap")], [
        ("run", f"{run['job_name']} · {run['execution_date']}"),
        ("status", styled(run.get("job_status"), STATUS_STYLES)),
        ("job id", run["job_id"]),
        ("started (UTC)", run.get("job_start_time")),
        ("duration", seconds(run.get("job_duration_seconds"))),
        ("pages processed", run.get("creators_processed")),
        ("pages failed", run.get("creators_failed")),
        ("message", run.get("error_message")),
    ], show_header=False)
    if not errors:
        stdout.print("no page errors in this run", highlight=False)
        return
    reasons = ", ".join(f"{code} {number(count)}" for code, count in sorted((result.get("reasons") or {}).items()))
    print_table(f"{number(len(errors))} page error(s): {reasons}", [("page", "id"), ("reason", "fixed"), ("message", "text")],
                [(e["page_name"], e["reason"], reason_detail(e["error_message"], e["reason"])) for e in errors])


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
