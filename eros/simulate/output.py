"""Presentation of a simulation: a rich table, and an HTML chart of top-20 capture over
time (plotly, inlined so the file opens offline)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from eros.console import fit_table, number
from eros.simulate.engine import SimulationResult


def _pct(value: float | None, scale: float = 1.0) -> str:
    return "none" if value is None else f"{number(value * scale)}%"


def results_table(result: SimulationResult) -> Table:
    """One row per policy: revenue % of oracle (all pages, cold pages), first and final
    top-20 capture, the cold pages' first list, distinct captions sent per page, job runs
    and CPU; fits 80 columns (eros.console.fit_table)."""
    world = result.config["world"]
    title = (f"eros simulate · seed {world['seed']} · {world['pages']}+{world['cold_pages']} pages x "
             f"{world['captions']} captions · {result.config['weeks']} weeks · sharing {world['sharing']} · "
             f"drift {world['drift']}")
    rows = []
    for name, r in result.policies.items():
        first = r.capture_over_time[0]["capture"] if r.capture_over_time else None
        rows.append((
            name, _pct(r.pct_of_oracle), _pct(r.cold_pct_of_oracle), _pct(first, 100), _pct(r.final_capture, 100),
            _pct(r.cold_first_capture, 100), number(r.distinct_captions_per_page, 0), number(r.job_runs),
            number(r.job_cpu_seconds, 0) if r.job_runs else "none",
        ))
    return fit_table(title, [("policy", "label"), ("revenue\n% oracle", "number"), ("cold pages\n% oracle", "number"),
                             ("top-20\nfirst", "number"), ("top-20\nfinal", "number"), ("cold\nfirst", "number"),
                             ("captions\n/ page", "number"), ("job\nruns", "number"), ("job\nCPU s", "number")], rows)


def capture_table(result: SimulationResult) -> Table:
    """Top-20 capture at every refresh, one column per policy."""
    names = list(result.policies)
    count = len(next(iter(result.policies.values())).capture_over_time)
    rows = []
    for i in range(count):
        day = result.policies[names[0]].capture_over_time[i]["day"]
        rows.append((day, *[_pct(result.policies[n].capture_over_time[i]["capture"], 100) for n in names]))
    return fit_table("top-20 capture over time (mean over pages)", [("refresh", "fixed"), *[(n, "number") for n in names]], rows)


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
