"""Presentation of a simulation: a rich table, and an HTML chart of top-20 capture over
time (plotly, inlined so the file opens offline)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from eros.simulate.engine import SimulationResult


def _pct(value: float | None, scale: float = 1.0) -> str:
    return "-" if value is None else f"{value * scale:.1f}%"


def results_table(result: SimulationResult) -> Table:
    """One row per policy: revenue % of oracle (all pages, cold pages), final and first-refresh
    capture, the cold pages' first list, distinct captions sent per page, job CPU."""
    world = result.config["world"]
    title = (f"eros simulate · seed {world['seed']} · {world['pages']}+{world['cold_pages']} pages x "
             f"{world['captions']} captions · {result.config['weeks']} weeks · sharing {world['sharing']} · "
             f"drift {world['drift']}")
    table = Table(title=title, title_justify="left")
    for column, justify in [("policy", "left"), ("revenue % oracle", "right"), ("cold pages % oracle", "right"),
                            ("top-20 capture: first", "right"), ("final", "right"), ("cold first list", "right"),
                            ("distinct captions / page", "right"), ("job runs", "right"), ("job CPU s", "right")]:
        table.add_column(column, justify=justify)
    for name, r in result.policies.items():
        first = r.capture_over_time[0]["capture"] if r.capture_over_time else None
        table.add_row(
            name, _pct(r.pct_of_oracle), _pct(r.cold_pct_of_oracle), _pct(first, 100), _pct(r.final_capture, 100),
            _pct(r.cold_first_capture, 100), f"{r.distinct_captions_per_page:.0f}", str(r.job_runs),
            f"{r.job_cpu_seconds:.0f}" if r.job_runs else "-",
        )
    return table


def capture_table(result: SimulationResult) -> Table:
    """Top-20 capture at every refresh, one column per policy."""
    table = Table(title="top-20 capture over time (mean over pages)", title_justify="left")
    table.add_column("refresh")
    names = list(result.policies)
    for name in names:
        table.add_column(name, justify="right")
    rows = len(next(iter(result.policies.values())).capture_over_time)
    for i in range(rows):
        day = result.policies[names[0]].capture_over_time[i]["day"]
        table.add_row(day, *[_pct(result.policies[n].capture_over_time[i]["capture"], 100) for n in names])
    return table


def print_results(result: SimulationResult, console: Console) -> None:
    """Both tables."""
    console.print(results_table(result))
    console.print(capture_table(result))


def write_html(result: SimulationResult, path: Path) -> None:
    """An HTML page with the capture-over-time chart (one line per policy)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for name, r in result.policies.items():
        figure.add_trace(go.Scatter(
            x=[p["day"] for p in r.capture_over_time], y=[100 * p["capture"] for p in r.capture_over_time],
            mode="lines+markers", name=f"{name} ({r.pct_of_oracle:.1f}% of oracle revenue)",
        ))
    world = result.config["world"]
    figure.update_layout(
        title=f"Top-20 capture over time: seed {world['seed']}, {world['pages']}+{world['cold_pages']} pages, "
              f"{world['captions']} captions, sharing {world['sharing']}, drift {world['drift']}",
        xaxis_title="refresh (execution date)", yaxis_title="% of the oracle top-20 value", yaxis_range=[0, 105],
        template="plotly_white",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")
