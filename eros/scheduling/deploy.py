"""``eros deploy``: doctor, build the project for the scheduled jobs, then the exports.

Steps:

1. ``eros doctor`` (the write check is skipped with ``--dry-run``); any FAIL stops (exit 1).
2. The plan: ``dbt build --select alert_rules iana_time_zones`` (the seeds and their data
   tests first: a bad seed stops the deploy before any job's build; ``--full-refresh`` with
   ``--force``, so a seed whose columns changed reloads), ``dbt run --select
   scheduled_job_runs`` (run-due's record), then
   ``dbt build --selector <s>`` for every selector the jobs' ``dbt_steps`` build, in job
   priority order, with ``--full-refresh`` only with ``--force``. Building a job's selector
   runs that job's models and hooks, so it records a job row like a scheduled run.
   ``--full-refresh`` rebuilds the selectors' incremental models from their sources, except
   those with ``full_refresh=false`` (the history and builder-state tables:
   ``scheduled_job_runs``, ``etl_job_runs``, the queue, ...), which keep their rows.
3. ``--dry-run``: print the doctor, the plan and the files it would write; change nothing.
   Otherwise, without ``--force``, ask for confirmation (no terminal: refuse, exit 2).
4. Run the plan (stop at the first failing step, exit 1), then write the exports (dbt
   Cloud, crontab, GitHub Actions) to ``--export-dir`` or print them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from eros.dbt_invoke import DbtEvent, first_error_line, invoke
from eros.scheduling.config import Schedules
from eros.scheduling.doctor import Check, doctor_exit_code, run_doctor
from eros.scheduling.exports import EXPORT_FILE_NAMES, FORMATS, export

# The project's seeds: built and tested before any job's build (every job selector also
# loads and tests them).
SEEDS = ("alert_rules", "iana_time_zones")

EXIT_OK = 0
EXIT_FAILED = 1


@dataclasses.dataclass
class DeployPlan:
    """What a deploy runs and writes.

    Attributes:
        dbt_steps: dbt argument lists, in order.
        exports: format -> file it writes (None: printed).
    """

    dbt_steps: list[list[str]]
    exports: dict[str, Path | None]


def build_selectors(schedules: Schedules) -> list[str]:
    """Selectors built by the jobs' ``dbt build --selector`` steps, in priority order, unique."""
    seen: list[str] = []
    for job in schedules.by_priority():
        for step in job.dbt_steps:
            found = re.search(r"^dbt build\b.*--selector[ =](\S+)", step)
            if found and found.group(1) not in seen:
                seen.append(found.group(1))
    return seen


def make_plan(schedules: Schedules, *, force: bool, export_dir: Path | None) -> DeployPlan:
    """The deploy plan (module docstring)."""
    refresh = ["--full-refresh"] if force else []
    # --force: the seeds too (a seed whose columns changed loads only with --full-refresh)
    steps = [["build", "--select", *SEEDS, *refresh], ["run", "--select", "scheduled_job_runs"]]
    for selector in build_selectors(schedules):
        steps.append(["build", "--selector", selector, *refresh])
    exports = {fmt: (export_dir / EXPORT_FILE_NAMES[fmt] if export_dir else None) for fmt in FORMATS}
    return DeployPlan(steps, exports)


def deploy(
    *,
    project: Path,
    target: str,
    schedules: Schedules,
    dry_run: bool,
    force: bool,
    export_dir: Path | None,
    echo: Callable[[str], None],
    confirm: Callable[[str], bool],
    on_event: Callable[[DbtEvent], None] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Run a deploy (module docstring).

    Args:
        project: dbt project directory.
        target: profile target.
        schedules: the loaded jobs file.
        dry_run: only report.
        force: no confirmation, and ``--full-refresh``.
        export_dir: folder for the export files (None: print them).
        echo: prints one line.
        confirm: asks the user (returns True to go on); the CLI refuses without a terminal.
        on_event: dbt progress callback.
        now: instant of the dbt Cloud export's UTC offset (default now).

    Returns:
        0 done (or dry run with a healthy doctor), 1 doctor or build failure, or the user
        declined.
    """
    def show(check: Check) -> None:
        echo(f"  {check.status:4}  {check.name}: {check.detail}")

    echo(f"doctor (target {target}):")
    checks = run_doctor(project, target, schedules.path, check_write=not dry_run, on_check=show)
    if doctor_exit_code(checks):
        echo("deploy stopped: fix the FAIL checks above first" + (" (dry run)" if dry_run else ""))
        return EXIT_FAILED
    plan = make_plan(schedules, force=force, export_dir=export_dir)
    verb = "would run" if dry_run else "will run"
    echo(f"plan ({verb}, target {target}):")
    for step in plan.dbt_steps:
        echo(f"  dbt {' '.join(step)}")
    if force:
        echo("  note: --full-refresh rebuilds the selectors' incremental tables from their sources, "
             "except history tables configured full_refresh: false (scheduled_job_runs, etl_job_runs, the queue, ...)")
    for fmt, path in plan.exports.items():
        echo(f"  {'write' if path else 'print'} the {fmt} export" + (f" to {path}" if path else ""))
    if dry_run:
        echo("dry run: nothing was changed")
        return EXIT_OK
    if not force and not confirm(f"Build {len(plan.dbt_steps)} dbt step(s) on target '{target}'?"):
        echo("deploy cancelled: nothing was changed")
        return EXIT_FAILED
    for step in plan.dbt_steps:
        run = invoke(step, project=project, target=target, on_event=on_event)
        echo(f"  dbt {' '.join(step)}: {'ok' if run.ok else 'FAILED'} in {run.elapsed_seconds:.0f} s")
        if not run.ok:
            echo(f"deploy stopped: {first_error_line(run) or f'dbt exited {run.returncode}'}")
            return EXIT_FAILED
    for fmt, path in plan.exports.items():
        text = export(schedules, fmt, project=project, target=target, at=now)
        if path is None:
            echo(f"--- {fmt} export ---")
            echo(text.rstrip("\n"))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            echo(f"  wrote {path}")
    echo("deploy done")
    return EXIT_OK
