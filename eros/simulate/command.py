"""The ``eros simulate`` Click command (registered by eros.cli)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from eros.simulate.engine import SimulationConfig, SimulationError, progress_steps, run_simulation
from eros.simulate.policies import POLICIES
from eros.simulate.world import WorldConfig


def _parse_policies(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [p for p in names if p not in POLICIES]
    if unknown or not names:
        raise click.BadParameter(f"unknown policy {', '.join(unknown) or '(none)'}; known: {', '.join(POLICIES)}",
                                 param_hint="--policy")
    return names


@click.command(name="simulate")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (same seed, same figures).")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 52), help="Simulated weeks after the history.")
@click.option("--pages", default=20, show_default=True, type=click.IntRange(1, 2000), help="Pages with history.")
@click.option("--cold-pages", default=2, show_default=True, type=click.IntRange(0, 500), help="Pages that start without caption history.")
@click.option("--captions", default=300, show_default=True, type=click.IntRange(21, 500_000), help="Bank size.")
@click.option("--ppv-per-day", default=6, show_default=True, type=click.IntRange(1, 50), help="PPV messages per page per day.")
@click.option("--history-days", default=90, show_default=True, type=click.IntRange(0, 730), help="Days of random-caption history.")
@click.option("--refresh-days", default=7, show_default=True, type=click.IntRange(1, 28), help="Days between caption-performance runs.")
@click.option("--policy", "policy_text", default=",".join(POLICIES), show_default=True,
              help="Comma-separated policies to compare (the oracle always runs).")
@click.option("--sharing", default=0.8, show_default=True, type=click.FloatRange(0, 1),
              help="How much caption quality is shared across pages (0 page-specific, 1 identical).")
@click.option("--drift", default=0.0, show_default=True, type=click.FloatRange(0, 2), help="Weekly random-walk step of caption quality.")
@click.option("--skew", default=1.0, show_default=True, type=click.FloatRange(0.05, 4), help="Sigma of the log-normal caption quality.")
@click.option("--never-convert", default=0.3, show_default=True, type=click.FloatRange(0, 0.95), help="Share of captions that never sell.")
@click.option("--late", is_flag=True, help="Load rows in batches with counters that keep growing for days.")
@click.option("--var", "var_items", multiple=True, metavar="NAME=VALUE", help="Extra dbt var for the caption-performance job.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the warehouses go (default: a temporary directory, removed afterwards).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write an HTML chart of top-20 capture over time.")
def simulate_command(seed: int, weeks: int, pages: int, cold_pages: int, captions: int, ppv_per_day: int, history_days: int,
                     refresh_days: int, policy_text: str, sharing: float, drift: float, skew: float, never_convert: float,
                     late: bool, var_items: tuple[str, ...], workdir: Path | None, as_json: bool, html_path: Path | None) -> None:
    """Evaluate the caption policy offline: plant a world, run the real caption-performance
    job on its messages at the refresh cadence, and compare the shipped recommendations
    with the oracle, random, Thompson sampling, the original method and a pooled sampler."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from eros.project import project_dir
    from eros.simulate.output import print_results, write_html

    job_vars = []
    for item in var_items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        job_vars.append((name.strip(), value))
    try:
        config = SimulationConfig(
            world=WorldConfig(seed=seed, pages=pages, cold_pages=cold_pages, captions=captions, ppv_per_day=ppv_per_day,
                              history_days=history_days, skew=skew, never_convert=never_convert, sharing=sharing, drift=drift),
            weeks=weeks, refresh_days=refresh_days, policies=_parse_policies(policy_text), late=late, job_vars=tuple(job_vars),
        )
        config.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    err = Console(stderr=True)
    temporary = None
    if workdir is None:
        temporary = tempfile.TemporaryDirectory(prefix="eros_simulate_")
        workdir = Path(temporary.name)
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("simulating", total=progress_steps(config))

            def on_progress(description: str, steps: int) -> None:
                progress.update(task, description=description, advance=steps)

            result = run_simulation(config, workdir=workdir, project=project_dir(), progress=on_progress)
    except SimulationError as exc:
        click.echo(f"eros: error: {exc}", err=True)
        sys.exit(2)
    finally:
        if temporary is not None:
            temporary.cleanup()
    if html_path is not None:
        write_html(result, html_path)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from eros import console

        print_results(result, console.stdout)
        if html_path is not None:
            click.echo(f"chart: {html_path}")
