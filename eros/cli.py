"""The ``eros`` command line: a thin layer over the library modules (the top layer: it
imports every other, none imports it).

Exit codes (all commands): 0 success, 1 the job ran and recorded errors or failed,
2 bad usage or the job could not run (one line on stderr, no traceback).

Options shared by many commands are declared once (:func:`target_option`,
:func:`json_option`, :func:`as_of_option`, :data:`JOBS_FILE_OPTION`); the ``eros run <job>``
commands are generated from the job registry (jobs.yml, :mod:`eros.jobspec`), one per job.
Heavy modules are imported inside the commands, so ``eros alerts list`` starts quickly.
"""

from __future__ import annotations

import errno
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from eros import console
from eros.core import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    check_as_of_for_date,
    parse_execution_date,
    parse_timestamp,
)
from eros.core import parse_var_items as _parse_var_items
from eros.errors import ErosRunError, ErosUsageError, file_problem
from eros.locks import job_lock
from eros.preflight import check_duckdb_path, check_not_future, check_target_ready, check_var_names, known_var_names
from eros.project import check_target, duckdb_path, project_dir, project_vars, source_schema
from eros.warehouse import require_credentials

F = Callable[..., Any]


# --- shared options -----------------------------------------------------------------------


def target_option(help_text: str = "dbt target from profiles.yml (default: $EROS_TARGET or local).") -> Callable[[F], F]:
    """``--target NAME`` (one declaration for every command that talks to a warehouse)."""
    return click.option("--target", default=None, help=help_text)


def json_option(what: str = "the outcome") -> Callable[[F], F]:
    """``--json``: print ``what`` as JSON."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


def as_of_option(help_text: str = "Reference 'now' (ISO; UTC unless it has an offset). Default: now.") -> Callable[[F], F]:
    """``--as-of TIMESTAMP``."""
    return click.option("--as-of", "as_of_text", metavar="TIMESTAMP", help=help_text)


def date_option() -> Callable[[F], F]:
    """``--date YYYY-MM-DD`` (the execution date)."""
    return click.option("--date", "date_text", metavar="YYYY-MM-DD", help="Execution date (default: today in America/Los_Angeles).")


def var_option() -> Callable[[F], F]:
    """``--var NAME=VALUE`` (repeatable dbt var)."""
    return click.option("--var", "var_items", multiple=True, metavar="NAME=VALUE",
                        help="Extra dbt var (repeatable), e.g. eros_page_settings_enabled=true.")


def _set_wide(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        console.set_wide(True)


def wide_option() -> Callable[[F], F]:
    """``--wide``: tables show every cell in full instead of fitting the width (issue 15)."""
    return click.option("--wide", is_flag=True, expose_value=False, is_eager=True, callback=_set_wide,
                        help="Show every table cell in full (lines may be wider than the terminal).")


def allow_future_option() -> Callable[[F], F]:
    """``--allow-future``: accept a --date / --as-of more than one day after today in LA."""
    return click.option("--allow-future", is_flag=True,
                        help="Accept a --date or --as-of more than one day after today in America/Los_Angeles.")


def dry_run_option(help_text: str) -> Callable[[F], F]:
    """``--dry-run``."""
    return click.option("--dry-run", is_flag=True, help=help_text)


JOBS_FILE_OPTION = click.option(
    "--jobs-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Schedules file (default: $EROS_JOBS_FILE or jobs.yml in the project).",
)


def parse_var_items(items: tuple[str, ...]) -> dict[str, Any]:
    """:func:`eros.core.parse_var_items` against the vars declared in the project's
    dbt_project.yml (their defaults fix their types), then
    :func:`eros.preflight.check_var_names` (no var eros sets itself, no unknown name).

    Raises:
        ErosUsageError: an item without ``=``, an empty name, a value of the wrong type,
            a reserved or unknown name.
    """
    if not items:
        return {}
    project = project_dir()
    variables = _parse_var_items(items, project_vars(project))
    check_var_names(variables, known_var_names(project))
    return variables


def ready_target(target: str | None) -> tuple[Path, str]:
    """The project and the checked target name, after the checks of
    :func:`eros.preflight.check_target_ready` (warehouse file, folder, free disk,
    credentials), before anything creates a folder or starts dbt.

    Raises:
        ErosUsageError: unknown target, bad warehouse path, missing credentials.
    """
    project = project_dir()
    target_name = check_target(target, project)
    check_target_ready(project, target_name, duckdb_path(project))
    return project, target_name


# --- groups ---------------------------------------------------------------------------------


# OSErrors of the machine, not of eros: disk full or over quota, no permission, a read-only
# file system, an I/O error. They become one line and exit 2 even without a file name.
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO})


class ErosGroup(click.Group):
    """Click group that turns ErosUsageError / ErosRunError / OSError into one line and
    exit 2, and loads the commands listed in ``lazy`` (name -> "module:attribute") on first
    use. As the top-level group it also prints click's usage errors (unknown command or
    option, bad option value) as one line (``eros: error: <command>: <problem>``)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "eros"
            click.echo(f"eros: error: {where}: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ErosUsageError, ErosRunError) as exc:
            click.echo(f"eros: error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except OSError as exc:
            # disk full, permission denied, a read-only file system (issue 13: one line, exit 2; a job
            # row dbt left RUNNING is closed with the reason by eros.jobs.run_job); an OSError about
            # nothing the user or the machine controls is a bug: keep the traceback
            if exc.filename is None and exc.errno not in ENVIRONMENT_ERRNOS:
                raise
            click.echo(f"eros: error: {file_problem(exc)}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            # dbt got the same signal; the job's RUNNING row is closed as abandoned by its next run
            click.echo("eros: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


# Commands defined in other modules, imported when used.
LAZY_COMMANDS = {
    "simulate": "eros.simulate.command:simulate_command",  # issue 12
}


@click.group(cls=ErosGroup, lazy=LAZY_COMMANDS)
@click.version_option(package_name="eros")
@wide_option()
def main() -> None:
    """eros: caption-performance learning, daily schedule queueing and lock cleanup
    for creator mass messages, on dbt (DuckDB locally, BigQuery in production)."""


# --- run: one command per job of the registry (jobs.yml) ----------------------------------------


def _emit(outcome: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(outcome, indent=2, default=str))
    else:
        console.print_job_summary(outcome)


def run_job_command(key: str, *, alerts: bool, target: str | None, as_json: bool, date_text: str | None = None,
                    as_of_text: str | None = None, var_items: tuple[str, ...] = (), dry_run: bool = False,
                    allow_future: bool = False) -> int:
    """What ``eros run <key>`` does: check the parameters, take the job's process lock, run
    the job with a progress display, then the alerting step (unless ``alerts`` is False),
    print the summary. Returns the exit code (:mod:`eros.core`).

    Raises:
        ErosUsageError: bad parameters, unknown target or job.
        ErosRunError: the job could not run.
    """
    from eros.job_alerts import run_job_with_alerts
    from eros.jobs import JOBS

    spec = JOBS[key]
    as_of = parse_timestamp(as_of_text)
    arguments: dict[str, Any] = {"as_of": as_of}
    if "date" in spec.options:
        arguments["execution_date"] = parse_execution_date(date_text)
        check_as_of_for_date(as_of, arguments["execution_date"])
    check_not_future(arguments.get("execution_date"), as_of, allow_future=allow_future)
    if "var" in spec.options:
        arguments["extra_vars"] = parse_var_items(var_items)
    if "dry-run" in spec.options:
        arguments["dry_run"] = dry_run
    project, target_name = ready_target(target)
    label = spec.job_name.replace("_", " ")
    label = f"{label} {arguments['execution_date']}" if "execution_date" in arguments else label + (" (dry run)" if dry_run else "")
    with job_lock(duckdb_path(project).parent / ".locks", spec.job_name):
        with console.dbt_progress(label, enabled=not as_json) as on_event:
            outcome = run_job_with_alerts(key, alerts=alerts, project=project, target=target_name, on_event=on_event, **arguments)
    result = outcome.to_dict()
    by_page = result["counts"].pop("by_page", None) if dry_run and not as_json else None
    _emit(result, as_json)
    for row in by_page or []:
        console.stdout.print(f"  {row['page_name']}: {console.number(row['locks_expired_past_date'])} PAST_SEND_DATE, "
                             f"{console.number(row['locks_expired_stale'])} STALE_7DAY", highlight=False, markup=False)
    return outcome.exit_code


def job_command(spec: Any) -> click.Command:
    """The ``eros run <job>`` command of one registry entry (options from its ``options``)."""

    @click.pass_context
    def callback(ctx: click.Context, **options: Any) -> None:
        alerts = bool((ctx.find_object(dict) or {}).get("alerts", True))
        sys.exit(run_job_command(spec.key, alerts=alerts, **options))

    decorators: list[Callable[[F], F]] = []
    if "date" in spec.options:
        decorators.append(date_option())
    if "date" in spec.options or "as-of" in spec.options:
        decorators.append(allow_future_option())
    decorators.append(target_option())
    if "as-of" in spec.options:
        decorators.append(as_of_option("Reference 'now' for validation (ISO; UTC unless it has an offset; default: the run's start)."))
    if "dry-run" in spec.options:
        decorators.append(dry_run_option("Show what would be done; change nothing and record no job."))
    decorators.append(json_option())
    decorators.append(wide_option())
    if "var" in spec.options:
        decorators.append(var_option())
    command: Any = callback
    for decorator in reversed(decorators):
        command = decorator(command)
    return click.command(name=spec.key, help=spec.description)(command)


class RunGroup(ErosGroup):
    """``eros run``: one command per job of jobs.yml (generated when used); also accepts
    ``--no-alerts`` after the job name (issue 7)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--no-alerts" in args[1:]:
            args = ["--no-alerts", *[a for a in args if a != "--no-alerts"]]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        from eros.jobs import JOBS

        return list(JOBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from eros.jobs import JOBS

        spec = JOBS.get(cmd_name)
        return job_command(spec) if spec is not None else None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        from eros.jobs import JOBS

        name = args[0] if args else ""
        if name and not name.startswith("-") and JOBS.get(name) is None:
            import difflib

            close = difflib.get_close_matches(name, list(JOBS), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise click.UsageError(f"unknown job '{name}' ({hint}jobs.yml has: {', '.join(JOBS)})", ctx)
        return super().resolve_command(ctx, args)


@main.group(name="run", cls=RunGroup)
@click.option("--no-alerts", is_flag=True, help="Do not evaluate the alert rules or send alerts at the end of the job.")
@click.pass_context
def run_group(ctx: click.Context, no_alerts: bool) -> None:
    """Run one scheduled job now (each ends by evaluating the alert rules and sending due alerts)."""
    ctx.obj = {"alerts": not no_alerts}


# --- health / report commands (issue 6) ---


class NagiosCommand(click.Command):
    """A command whose usage errors exit 3 (UNKNOWN), as monitoring plugins do."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = 3
            raise


@main.command(name="health", cls=NagiosCommand)
@target_option()
@as_of_option("Judge the checks at this instant (ISO; UTC unless it has an offset). Default: now.")
@json_option("the result")
@wide_option()
def health_command(target: str | None, as_of_text: str | None, as_json: bool) -> None:
    """Health checks: build them in dbt (selector health), print the scorecard.

    Exit codes follow the Nagios/Icinga plugin convention (unlike the jobs): 0 all PASS,
    1 any WARN, 2 any FAIL, 3 could not check (no warehouse, bad usage, build error).
    """
    from eros import health

    try:
        as_of = parse_timestamp(as_of_text)
        project = project_dir()
        target_name = check_target(target, project)
        require_credentials(project, target_name)
    except (ErosUsageError, ErosRunError) as exc:
        if as_json:
            click.echo(json.dumps({"status": "UNKNOWN", "exit_code": health.EXIT_UNKNOWN, "error": str(exc)}))
        click.echo(f"eros: error: {exc}", err=True)
        sys.exit(health.EXIT_UNKNOWN)
    with console.dbt_progress("health checks", enabled=not as_json) as on_event:
        report = health.run_health(project=project, target=target_name, as_of=as_of, on_event=on_event, duckdb_file=duckdb_path(project))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        health.print_health(report)
    sys.exit(report.exit_code)


@main.command(name="report")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write (default: eros_report.html beside the local warehouse).")
@target_option()
@as_of_option("Judge the checks at this instant (ISO; UTC unless it has an offset). Default: now.")
def report_command(out_path: Path | None, target: str | None, as_of_text: str | None) -> None:
    """Write one self-contained HTML health report (opens with no network): scorecard,
    daily job durations, queue, open alerts, saturation per page, top captions."""
    from eros.report import write_report

    as_of = parse_timestamp(as_of_text)
    project = project_dir()
    target_name = check_target(target, project)
    require_credentials(project, target_name)
    destination = (out_path or duckdb_path(project).parent / "eros_report.html").resolve()
    with console.dbt_progress("health report") as on_event:
        result = write_report(project=project, target=target_name, out_path=destination, as_of=as_of, on_event=on_event,
                              duckdb_file=duckdb_path(project))
    console.stdout.print(
        f"health {result.health.status} as of {result.health.as_of} UTC; report "
        f"({console.number(result.size_bytes / 1e6, fixed=True)} MB) written in {console.seconds(result.duration_seconds)} to:"
    )
    console.path_line(result.path)


@main.command(name="errors")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="The latest daily run of this execution date (default: the latest daily run).")
@click.option("--job", "job_id", metavar="JOB_ID", help="This run (its job id, or a unique prefix of 6+ characters).")
@target_option()
@json_option("the run and its page errors")
@wide_option()
def errors_command(date_text: str | None, job_id: str | None, target: str | None, as_json: bool) -> None:
    """Page errors of a daily run: each page that failed validation with its reason
    (creator_processing_errors; read without dbt)."""
    from eros.runs import run_errors
    from eros.warehouse import connect

    if date_text is not None and job_id is not None:
        raise ErosUsageError("give --date or --job, not both: --job names one run, --date picks the latest run of a date")
    execution_date = parse_execution_date(date_text) if date_text is not None else None
    project = project_dir()
    with connect(project, check_target(target, project)) as warehouse:
        result = run_errors(warehouse, execution_date=execution_date, job_id=job_id)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        console.print_page_errors(result)


# --- alerts / monitoring commands (issue 7) ---


@main.group(name="alerts", cls=ErosGroup)
def alerts_group() -> None:
    """Alert rules (seed alert_rules), delivery to Slack / Google Chat / email / PagerDuty, acknowledgement."""


@alerts_group.command(name="list")
@click.option("--all", "include_all", is_flag=True, help="Include resolved alerts.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1), help="Newest alerts shown.")
@target_option()
@json_option("the alerts")
@wide_option()
def alerts_list(include_all: bool, limit: int, target: str | None, as_json: bool) -> None:
    """Open alerts (or all with --all), newest first, with their deliveries."""
    from eros.alerts import list_alerts

    project = project_dir()
    result = list_alerts(project=project, target=check_target(target, project), include_all=include_all, limit=limit)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        console.print_alert_list(result)


@alerts_group.command(name="ack")
@click.argument("alert_id")
@click.option("--by", "by", required=True, metavar="NAME", help="Who acknowledges it.")
@target_option()
@json_option("the alert")
def alerts_ack(alert_id: str, by: str, target: str | None, as_json: bool) -> None:
    """Acknowledge ALERT_ID (or a unique prefix of 6+ characters): stops its escalation."""
    from eros.alerts import acknowledge

    project = project_dir()
    alert = acknowledge(project=project, target=check_target(target, project), alert_id=alert_id, by=by)
    if as_json:
        click.echo(json.dumps(alert, indent=2, default=str))
        return
    state = "acknowledged" if alert["changed"] else "was already acknowledged"
    console.stdout.print(
        f"alert {alert['alert_id']} {state} by {alert['acknowledged_by']} at {alert['acknowledged_at']} UTC; status {alert['status']}"
    )


@alerts_group.command(name="evaluate")
@as_of_option("Evaluation instant (ISO; UTC unless it has an offset). Default: now.")
@target_option()
@json_option("the evaluation")
@wide_option()
def alerts_evaluate(as_of_text: str | None, target: str | None, as_json: bool) -> None:
    """Evaluate every rule now (or --as-of): raise alerts past their cooldown, resolve cleared ones."""
    from eros.alerts import evaluate

    as_of = parse_timestamp(as_of_text)
    project = project_dir()
    target_name = check_target(target, project)
    require_credentials(project, target_name)
    with job_lock(duckdb_path(project).parent / ".locks", "alerts_evaluate", wait_seconds=120):
        result = evaluate(project=project, target=target_name, as_of=as_of)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        console.print_alert_evaluation(result)


@alerts_group.command(name="send")
@click.option("--dry-run", is_flag=True, help="Show what would be sent where (secrets masked); send and record nothing.")
@click.option("--now", "now_text", metavar="TIMESTAMP", help="Decision instant for batching and escalation (ISO; default: now).")
@target_option()
@json_option("the report")
@wide_option()
def alerts_send(dry_run: bool, now_text: str | None, target: str | None, as_json: bool) -> None:
    """Send unsent alerts (batched per 5 minutes) and due escalations; retry failed deliveries.
    Exit 1 when a delivery failed (it is retried by the next send)."""
    from eros.notify import send_alerts

    now = parse_timestamp(now_text, "--now")
    project = project_dir()
    target_name = check_target(target, project)
    report = send_alerts(project=project, target=target_name, now=now, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        console.print_send_report(report.to_dict())
    sys.exit(1 if report.failed else 0)


@main.group(name="monitoring", cls=ErosGroup)
def monitoring_group() -> None:
    """Elementary data monitoring (edr report / edr monitor over the project's test results)."""


@monitoring_group.command(name="report")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("elementary_report.html"),
              show_default=True, help="HTML file to write.")
@click.option("--days-back", type=click.IntRange(min=1), default=None, help="Days of results in the report (edr's default: 7).")
@click.option("--target", default=None, help="dbt target from profiles.yml (default: $EROS_TARGET or local).")
def monitoring_report(out: Path, days_back: int | None, target: str | None) -> None:
    """Write Elementary's HTML report (edr report) for the target's warehouse."""
    from eros import monitoring

    monitoring.report(project_dir(), target, out, days_back=days_back)
    # the path on a line of its own, never wrapped: it is copied as a whole
    console.stdout.print("Elementary report written to:", highlight=False, markup=False)
    console.path_line(out)


@monitoring_group.command(name="alerts")
@click.option("--slack-webhook", default=None,
              help="Slack incoming-webhook URL (default: $EROS_EDR_SLACK_WEBHOOK, or $EROS_ALERT_SLACK_URL when it is a webhook).")
@click.option("--days-back", type=click.IntRange(min=1), default=None, help="How far back edr looks for unsent alerts.")
@click.option("--target", default=None, help="dbt target from profiles.yml (default: $EROS_TARGET or local).")
def monitoring_alerts(slack_webhook: str | None, days_back: int | None, target: str | None) -> None:
    """Send Elementary's alerts for failed and warned tests (edr monitor) to Slack."""
    from eros import monitoring

    monitoring.alerts(project_dir(), target, slack_webhook, days_back=days_back)
    click.echo("edr monitor: Elementary alerts sent")


# --- schedule / doctor / deploy commands (issue 8) ---


def _schedules(jobs_file: Path | None, project: Path) -> Any:
    from eros.scheduling.config import default_jobs_file, load_schedules

    return load_schedules(jobs_file or default_jobs_file(project))


def _aware(text: str | None, option: str) -> Any:
    import datetime as dt

    value = parse_timestamp(text, option)
    return None if value is None else value.replace(tzinfo=dt.UTC)


@main.group(name="schedule", cls=ErosGroup)
def schedule_group() -> None:
    """Job schedules (jobs.yml): list them, run what is due, export them to other schedulers."""


@schedule_group.command(name="list")
@click.option("--now", "now_text", metavar="TIMESTAMP", help="List the runs after this instant (ISO; UTC unless it has an offset). Default: now.")
@click.option("--count", default=3, show_default=True, type=click.IntRange(min=1), help="Next runs per job.")
@JOBS_FILE_OPTION
@json_option("the schedules")
@wide_option()
def schedule_list(now_text: str | None, count: int, jobs_file: Path | None, as_json: bool) -> None:
    """The next runs of every job, on its own time zone's clock and in UTC."""
    import datetime as dt

    from eros.scheduling.slots import next_slots

    schedules = _schedules(jobs_file, project_dir())
    now = _aware(now_text, "--now") or dt.datetime.now(dt.UTC)
    listing = []
    for job in schedules.by_priority():
        runs = next_slots(job.cron, job.zone, now, count)
        listing.append({
            "job": job.key, "name": job.name, "step": job.step, "cron": job.cron, "timezone": job.timezone,
            "priority": job.priority, "retries": job.retries, "retry_delay_seconds": job.retry_delay_seconds,
            "timeout_seconds": job.timeout_seconds,
            "next_runs": [{"local": f"{r.astimezone(job.zone):%Y-%m-%d %H:%M %Z}", "utc": f"{r:%Y-%m-%d %H:%M} UTC"} for r in runs],
        })
    if as_json:
        click.echo(json.dumps({"now": now.isoformat(), "jobs": listing}, indent=2))
        return
    for item in listing:
        console.stdout.print(f"{item['job']} ({item['name']}): '{item['cron']}' {item['timezone']}, {item['priority']}, "
                             f"{item['retries']} retries {item['retry_delay_seconds']} s apart, timeout {item['timeout_seconds']} s",
                             highlight=False, markup=False)
        for run in item["next_runs"]:
            console.stdout.print(f"  {run['local']:<24} {run['utc']}", highlight=False, markup=False)


@schedule_group.command(name="run-due")
@click.option("--now", "now_text", metavar="TIMESTAMP", help="Pin the runner's clock (ISO; UTC unless it has an offset). Default: now.")
@target_option()
@click.option("--job", "job_keys", multiple=True, metavar="KEY", help="Only this schedule (repeatable).")
@JOBS_FILE_OPTION
@json_option("the outcome")
@wide_option()
def schedule_run_due(now_text: str | None, target: str | None, job_keys: tuple[str, ...], jobs_file: Path | None, as_json: bool) -> None:
    """Run every job whose latest slot is due and not yet run (once), retry failed attempts
    after their delay; call it from cron every few minutes. Exit 1 when an attempt failed."""
    from eros.scheduling import runner
    from eros.scheduling.store import WarehouseStore

    project, target_name = ready_target(target)  # creates the default warehouse folder only (dbt-duckdb does not)
    jobs = _schedules(jobs_file, project).select(job_keys)
    runner_id = runner.new_runner_id()
    pinned = _aware(now_text, "--now")
    clock = runner.fixed_clock(pinned)

    def show(report: Any) -> None:
        if not as_json:
            console.stdout.print(f"{report.job} {report.slot_local}: {report.action}, {report.detail}", highlight=False, markup=False)

    locks = runner.lock_dir(duckdb_path(project).parent / ".locks")
    steps = runner.steps_dir(locks, target_name)
    try:
        with runner.runner_lock(locks, target_name):
            runner.reap_orphan_steps(steps)  # steps a killed runner left running (issue 13)
            reports = runner.run_due(jobs, store=WarehouseStore(project, target_name),
                                     execute=runner.subprocess_executor(project, as_of=pinned, steps=steps),
                                     target=target_name, clock=clock, runner_id=runner_id, on_report=show, gone=runner.runner_gone)
    except runner.RunnerBusy as exc:
        if as_json:
            click.echo(json.dumps({"runner_id": runner_id, "skipped": str(exc), "jobs": []}, indent=2))
        click.echo(f"eros: run-due skipped: {exc}", err=True)
        sys.exit(0)
    if as_json:
        click.echo(json.dumps({"runner_id": runner_id, "now": clock().isoformat(), "jobs": [r.to_dict() for r in reports]}, indent=2))
    sys.exit(runner.exit_code_of(reports))


@schedule_group.command(name="export")
@click.option("--format", "fmt", required=True, type=click.Choice(["dbt-cloud", "cron", "github-actions"]), help="Target scheduler.")
@target_option("dbt target the exported schedule runs (cron: default $EROS_TARGET or local; dbt-cloud, github-actions: prod).")
@click.option("--at", "at_text", metavar="TIMESTAMP", help="dbt-cloud: the instant whose UTC offset the UTC cron uses (default: now).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to this file instead of stdout.")
@JOBS_FILE_OPTION
def schedule_export(fmt: str, target: str | None, at_text: str | None, output: Path | None, jobs_file: Path | None) -> None:
    """Export jobs.yml for dbt Cloud (dbt-jobs-as-code YAML, UTC cron with daylight-saving
    notes), crontab (one run-due line) or GitHub Actions (a workflow waking run-due)."""
    from eros.scheduling.exports import export

    project = project_dir()
    schedules = _schedules(jobs_file, project)
    if fmt == "cron":
        target_name = check_target(target, project)
    else:
        target_name = target or "prod"
        if fmt == "github-actions":
            check_target(target_name, project)
    text = export(schedules, fmt, project=project, target=target_name, at=_aware(at_text, "--at"))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        click.echo(f"wrote {output}", err=True)


@main.command(name="doctor")
@target_option()
@JOBS_FILE_OPTION
@json_option("the checks")
@wide_option()
def doctor_command(target: str | None, jobs_file: Path | None, as_json: bool) -> None:
    """Check the install, profile, source tables, write access, BigQuery permissions and alert
    destinations; PASS/FAIL/SKIP per check, exit 1 on any FAIL."""
    from eros.scheduling.config import default_jobs_file
    from eros.scheduling.doctor import doctor_exit_code, run_doctor

    project = project_dir()
    target_name = check_target(target, project)

    def show(check: Any) -> None:
        if not as_json:
            style = {"PASS": "green", "FAIL": "bold red", "SKIP": "yellow"}[check.status]
            from rich.markup import escape

            console.stdout.print(f"[{style}]{check.status:4}[/]  {escape(check.name)}: {escape(check.detail)}", highlight=False)

    checks = run_doctor(project, target_name, jobs_file or default_jobs_file(project), on_check=show)
    code = doctor_exit_code(checks)
    if as_json:
        click.echo(json.dumps({"target": target_name, "ok": code == 0, "checks": [c.to_dict() for c in checks]}, indent=2))
    sys.exit(code)


@main.command(name="deploy")
@target_option("dbt target from profiles.yml (default: $EROS_TARGET or local), e.g. prod.")
@click.option("--dry-run", is_flag=True, help="Run the doctor (without the write check) and say what deploy would do; change nothing.")
@click.option("--force", is_flag=True, help="Do not ask for confirmation, and build with --full-refresh.")
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the dbt Cloud, crontab and GitHub Actions exports here (default: print them).")
@JOBS_FILE_OPTION
def deploy_command(target: str | None, dry_run: bool, force: bool, export_dir: Path | None, jobs_file: Path | None) -> None:
    """Doctor, then build the project for the scheduled jobs, then the schedule exports."""
    from eros.scheduling.deploy import deploy

    project = project_dir()
    target_name = check_target(target, project)
    schedules = _schedules(jobs_file, project)
    if not dry_run and not force and not sys.stdin.isatty():
        raise ErosUsageError(f"eros deploy changes target '{target_name}' and needs confirmation, but there is no terminal: "
                             "pass --force to deploy without asking, or --dry-run to see the plan")
    code = deploy(
        project=project, target=target_name, schedules=schedules, dry_run=dry_run, force=force, export_dir=export_dir,
        echo=lambda line: console.stdout.print(line, highlight=False, markup=False),
        confirm=lambda question: click.confirm(question, default=False),
    )
    sys.exit(code)


@main.command(name="generate")
@click.option("--pages", default=100, show_default=True, type=click.IntRange(min=1), help="Pages to generate.")
@click.option("--days", default=90, show_default=True, type=click.IntRange(min=1), help="Days of message history.")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed (same seed, same data).")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="Execution date the data is built around (default: today in LA).")
@click.option("--captions", default=5000, show_default=True, type=click.IntRange(min=50), help="Rows in caption_bank.")
@click.option("--invalid-pages", default=0, show_default=True, type=click.IntRange(min=0), help="Pages planted to fail validation.")
@click.option("--inactive-pages", default=None, type=click.IntRange(min=0), help="Pages with no recent activity (default ~5%).")
@click.option("--with-settings", is_flag=True, help="Also write a page_settings table.")
@click.option("--no-late-batches", is_flag=True, help="Load every row up to the execution date (no weekly batch cut-off).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder for the CSV files (default: warehouse/generated).")
@json_option("the generation manifest")
def generate_command(
    pages: int, days: int, seed: int, date_text: str | None, captions: int, invalid_pages: int,
    inactive_pages: int | None, with_settings: bool, no_late_batches: bool, out_dir: Path | None, as_json: bool,
) -> None:
    """Write deterministic synthetic source data into the local DuckDB warehouse."""
    from eros.generate import GenerationConfig, generate
    from eros.loaders import load_duckdb

    execution_date = parse_execution_date(date_text)
    project = project_dir()
    database = duckdb_path(project)
    check_duckdb_path(database, project=project, create_any_folder=True)  # generate creates a warehouse where it is told
    folder = out_dir or database.parent / "generated"
    started = time.monotonic()
    try:
        manifest = generate(
            GenerationConfig(
                pages=pages, days=days, seed=seed, execution_date=execution_date, captions=captions,
                invalid_pages=invalid_pages, inactive_pages=inactive_pages, with_settings=with_settings,
                weekly_batches=not no_late_batches,
            ),
            folder,
        )
    except ValueError as exc:
        raise ErosUsageError(str(exc)) from None
    counts = load_duckdb(database, folder, schema=source_schema())
    if as_json:
        click.echo(manifest.to_json())
        return
    console.stdout.print(
        f"generated {pages} pages x {days} days (seed {seed}, execution date {execution_date}) "
        f"into {database} schema {source_schema()} in {console.seconds(time.monotonic() - started)}"
    )
    for table, rows in counts.items():
        console.stdout.print(f"  {table}: {rows:,} rows")


# Jobs `eros demo` runs after generating data, in order (caption performance feeds the
# recommendations the daily job's builder uses; the daily job ends with a lock sweep).
DEMO_SEQUENCE = ["caption-performance", "daily"]


@main.command(name="demo")
@click.option("--pages", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--days", default=90, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=42, show_default=True, type=int)
@click.pass_context
def demo_command(ctx: click.Context, pages: int, days: int, seed: int) -> None:
    """Generate data, then run the jobs for today in LA and print the summaries."""
    started = time.monotonic()
    ctx.invoke(generate_command, pages=pages, days=days, seed=seed, date_text=None, captions=5000,
               invalid_pages=0, inactive_pages=None, with_settings=False, no_late_batches=False,
               out_dir=None, as_json=False)
    project = project_dir()
    target_name = check_target("local", project)
    execution_date = parse_execution_date(None)
    from eros.job_alerts import run_job_with_alerts
    from eros.jobs import JOBS

    exit_code = 0
    for key in DEMO_SEQUENCE:
        spec = JOBS[key]
        with job_lock(duckdb_path(project).parent / ".locks", spec.job_name):
            with console.dbt_progress(f"{spec.job_name} {execution_date}") as on_event:
                outcome = run_job_with_alerts(key, project=project, target=target_name, execution_date=execution_date, on_event=on_event)
        console.print_job_summary(outcome.to_dict())
        exit_code = max(exit_code, outcome.exit_code)
    console.stdout.print(f"demo finished in {console.seconds(time.monotonic() - started)}; warehouse:", highlight=False)
    console.path_line(duckdb_path(project))
    sys.exit(exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
