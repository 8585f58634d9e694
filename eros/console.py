"""Terminal presentation: live progress of dbt steps and end-of-run summaries (rich).

Progress goes to stderr so ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rich.console import Console
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

stdout = Console()
stderr = Console(stderr=True)


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
