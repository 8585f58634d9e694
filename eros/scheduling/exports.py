"""Exports of ``jobs.yml`` to other schedulers (``eros schedule export``).

* ``cron``: one crontab line that calls ``eros schedule run-due`` every few minutes. It is
  the exact option: run-due follows each job's wall clock (daylight saving included),
  records every slot in the warehouse and retries failures.
* ``github-actions``: a workflow whose schedule wakes ``eros schedule run-due`` (same logic;
  GitHub's cron is UTC and best effort, so it only triggers the runner).
* ``dbt-cloud``: YAML for dbt Labs' ``dbt-jobs-as-code`` (``validate`` / ``sync``). dbt Cloud
  cron is UTC and does not follow daylight saving, so a job at 03:05 LA is 10:05 UTC in summer
  (PDT) and 11:05 UTC in winter (PST). The export writes the UTC cron valid at ``--at`` (default
  now) and, per job, a comment with the date of the next switch and the UTC cron after it.
  To keep it right, export and ``dbt-jobs-as-code sync`` again after each switch (twice a year;
  ``eros deploy`` does the export), or run the schedules with run-due from cron instead.
  dbt Cloud has no automatic retry: retries of jobs.yml are listed in a comment only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from croniter import croniter

from eros.errors import ErosUsageError
from eros.scheduling.config import ScheduledJob, Schedules, default_jobs_file
from eros.scheduling.slots import next_slots

FORMATS = ("dbt-cloud", "cron", "github-actions")
# How often the cron / GitHub Actions exports wake run-due (minutes). Every job's minute
# field is a multiple of 5 and the shortest retry delay is 180 s, so a job starts at most
# 5 minutes late and a retry at most 5 minutes after its delay.
DEFAULT_EVERY_MINUTES = 5
EXPORT_FILE_NAMES = {
    "dbt-cloud": "eros-dbt-cloud-jobs.yml",
    "cron": "eros.crontab",
    "github-actions": "eros-schedules.github-actions.yml",
}
DBT_CLOUD_ID_ENV = {
    "account_id": "EROS_DBT_CLOUD_ACCOUNT_ID",
    "project_id": "EROS_DBT_CLOUD_PROJECT_ID",
    "environment_id": "EROS_DBT_CLOUD_ENVIRONMENT_ID",
}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text)


def _field(values: Iterable[int], full: int) -> str:
    ordered = sorted(set(values))
    if len(ordered) == full:
        return "*"
    return ",".join(str(v) for v in ordered)


def cron_in_utc(cron: str, zone: ZoneInfo, at: dt.datetime) -> str:
    """The UTC cron expression that fires at the same instants as ``cron`` on ``zone``'s wall
    clock while the UTC offset of ``at`` holds.

    Args:
        cron: 5-field cron (wall clock of ``zone``).
        zone: the job's zone.
        at: an aware instant whose offset is used.

    Returns:
        e.g. ``5 10 * * *`` for ``5 3 * * *`` in LA during PDT (UTC-7).

    Raises:
        ErosUsageError: the shift crosses midnight while the day fields are restricted, or
            the shifted times are not a minute x hour grid (fractional offsets).
    """
    offset = at.astimezone(zone).utcoffset()
    assert offset is not None
    offset_minutes = int(offset.total_seconds() // 60)
    fields = cron.split()
    expanded, _ = croniter.expand(cron)
    minutes = list(range(60)) if expanded[0] == ["*"] else [int(m) for m in expanded[0]]
    hours = list(range(24)) if expanded[1] == ["*"] else [int(h) for h in expanded[1]]
    shifted: set[tuple[int, int]] = set()
    wraps = False
    for hour in hours:
        for minute in minutes:
            total = hour * 60 + minute - offset_minutes
            wraps = wraps or not 0 <= total < 1440
            total %= 1440
            shifted.add((total // 60, total % 60))
    if wraps and fields[2:] != ["*", "*", "*"]:
        raise ErosUsageError(f"cron {cron!r} in {zone.key} crosses midnight in UTC with restricted day fields: cannot express it as one UTC cron")
    new_hours = {h for h, _ in shifted}
    new_minutes = {m for _, m in shifted}
    if len(shifted) != len(new_hours) * len(new_minutes):
        raise ErosUsageError(f"cron {cron!r} in {zone.key} (offset {offset}) is not a minute x hour grid in UTC")
    return " ".join([_field(new_minutes, 60), _field(new_hours, 24), *fields[2:]])


def next_offset_change(zone: ZoneInfo, after: dt.datetime, horizon_days: int = 400) -> dt.datetime | None:
    """First instant after ``after`` at which ``zone``'s UTC offset changes (to the minute),
    or None within ``horizon_days``."""
    def offset(instant: dt.datetime) -> dt.timedelta | None:
        return instant.astimezone(zone).utcoffset()

    start = offset(after)
    low = after
    for day in range(1, horizon_days + 1):
        high = after + dt.timedelta(days=day)
        if offset(high) != start:
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset(middle) == start:
                    low = middle
                else:
                    high = middle
            return high.replace(second=0, microsecond=0)
        low = high
    return None


def _eros_invocation(project: Path) -> str:
    beside = Path(sys.executable).parent / "eros"
    try:
        return str(beside.relative_to(project))
    except ValueError:
        return str(beside) if beside.exists() else "eros"


def _run_due_args(schedules: Schedules, project: Path, target: str) -> list[str]:
    args = ["schedule", "run-due", "--target", target]
    if schedules.path.resolve() != default_jobs_file(project).resolve():
        args += ["--jobs-file", str(schedules.path)]
    return args


def _job_summary(job: ScheduledJob) -> str:
    return (f"{job.key}: '{job.cron}' {job.timezone}, {job.priority}, {job.retries} retries {job.retry_delay_seconds} s apart, "
            f"timeout {job.timeout_seconds} s")


def export_cron(schedules: Schedules, *, project: Path, target: str, every_minutes: int = DEFAULT_EVERY_MINUTES,
                log_file: str = "warehouse/run-due.log") -> str:
    """Crontab text: comments and ONE line calling ``eros schedule run-due`` every
    ``every_minutes`` minutes from the project folder."""
    eros = _eros_invocation(project)
    command = " ".join(shlex.quote(a) for a in [eros, *_run_due_args(schedules, project, target)])
    lines = [
        "# eros schedules (generated by `eros schedule export --format cron` from jobs.yml).",
        "# One line runs every job on time: run-due reads each job's cron on its own time zone's wall",
        "# clock (daylight saving included), runs what is due once (recorded in scheduled_job_runs),",
        "# and retries failed attempts after their delay. Calling it often is safe.",
        "# cron starts commands with a minimal environment: set EROS_TARGET, EROS_BQ_* and the",
        "# EROS_ALERT_* destinations in this crontab (NAME=value lines) or in the shell profile.",
    ]
    lines += [f"#   {_job_summary(job)}" for job in schedules.by_priority()]
    lines.append(f"*/{every_minutes} * * * * cd {shlex.quote(str(project))} && {command} >> {shlex.quote(log_file)} 2>&1")
    return "\n".join(lines) + "\n"


def export_github_actions(schedules: Schedules, *, project: Path, target: str, every_minutes: int = DEFAULT_EVERY_MINUTES) -> str:
    """A GitHub Actions workflow (YAML text) that wakes ``eros schedule run-due``."""
    run_due = " ".join(shlex.quote(a) for a in ["eros", *_run_due_args(schedules, project, target)])
    total_timeout = sum(job.timeout_seconds for job in schedules.jobs.values()) // 60 + 10
    target_note = []
    if target == "local":
        target_note = [
            "# WARNING: target 'local' is a DuckDB file on the runner and is lost after each run, so",
            "# run-due would find no record of past slots. Export with --target prod (BigQuery).",
        ]
    jobs_comment = [f"#   {_job_summary(job)}" for job in schedules.by_priority()]
    return "\n".join([
        "# eros schedules as a GitHub Actions workflow (generated by `eros schedule export",
        "# --format github-actions` from jobs.yml). Save as .github/workflows/eros-schedules.yml.",
        "# GitHub's schedule is UTC and best effort (a run may start late or be dropped), so it only",
        "# wakes `eros schedule run-due`, which works out what is due on each job's own wall clock",
        "# (daylight saving included), runs it once (recorded in the warehouse) and retries failures;",
        "# a late or dropped wake-up is caught up by the next one.",
        *jobs_comment,
        *target_note,
        "# Repository variables: EROS_BQ_PROJECT, EROS_BQ_DATASET, EROS_BQ_LOCATION, EROS_SOURCE_DATABASE,",
        "# EROS_SOURCE_SCHEMA. Secrets: EROS_BQ_KEY_JSON (service-account key), EROS_ALERT_*_URL.",
        "name: eros schedules",
        "on:",
        "  schedule:",
        f"    - cron: {_q(f'*/{every_minutes} * * * *')}",
        "  workflow_dispatch: {}",
        "concurrency:",
        "  group: eros-schedule-run-due",
        "  cancel-in-progress: false",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  run-due:",
        "    runs-on: ubuntu-latest",
        f"    timeout-minutes: {total_timeout}",
        "    env:",
        f"      EROS_TARGET: {_q(target)}",
        "      EROS_BQ_PROJECT: ${{ vars.EROS_BQ_PROJECT }}",
        "      EROS_BQ_DATASET: ${{ vars.EROS_BQ_DATASET }}",
        "      EROS_BQ_LOCATION: ${{ vars.EROS_BQ_LOCATION }}",
        "      EROS_SOURCE_DATABASE: ${{ vars.EROS_SOURCE_DATABASE }}",
        "      EROS_SOURCE_SCHEMA: ${{ vars.EROS_SOURCE_SCHEMA }}",
        "      EROS_ALERT_SLACK_URL: ${{ secrets.EROS_ALERT_SLACK_URL }}",
        "      EROS_ALERT_EMAIL_URL: ${{ secrets.EROS_ALERT_EMAIL_URL }}",
        "      EROS_ALERT_PAGERDUTY_URL: ${{ secrets.EROS_ALERT_PAGERDUTY_URL }}",
        "      EROS_ALERT_GCHAT_URL: ${{ secrets.EROS_ALERT_GCHAT_URL }}",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        "          python-version: \"3.11\"",
        "      - name: Install eros",
        "        run: python -m pip install -c requirements/constraints.txt -e .",
        "      - name: BigQuery credentials",
        "        env:",
        "          EROS_BQ_KEY_JSON: ${{ secrets.EROS_BQ_KEY_JSON }}",
        "        run: |",
        "          printf '%s' \"$EROS_BQ_KEY_JSON\" > \"$RUNNER_TEMP/bq-key.json\"",
        "          echo \"EROS_BQ_KEYFILE=$RUNNER_TEMP/bq-key.json\" >> \"$GITHUB_ENV\"",
        "      - name: Run the due jobs",
        f"        run: {run_due}",
        "",
    ])


def _dbt_cloud_id(name: str) -> str:
    value = os.environ.get(DBT_CLOUD_ID_ENV[name], "").strip()
    if value and not value.isdigit():
        raise ErosUsageError(f"{DBT_CLOUD_ID_ENV[name]} must be a number, got {value!r}")
    return value or "0"


def _dst_comment(job: ScheduledJob, at: dt.datetime) -> list[str]:
    zone = job.zone
    now_cron = cron_in_utc(job.cron, zone, at)
    offset = at.astimezone(zone)
    lines = [f"# {job.key}: '{job.cron}' on the {job.timezone} wall clock = '{now_cron}' UTC while "
             f"{offset.tzname()} (UTC{offset:%z}) holds."]
    switch = next_offset_change(zone, at)
    if switch is None:
        lines.append("# No daylight-saving switch in the next 400 days: this UTC cron stays right.")
        return lines
    after_cron = cron_in_utc(job.cron, zone, switch)
    after = switch.astimezone(zone)
    if after_cron == now_cron:
        lines.append(f"# Unaffected by the switch to {after.tzname()} on {switch:%Y-%m-%d %H:%M} UTC (whole-hour offset, hour field '*').")
        return lines
    upcoming = next_slots(job.cron, zone, switch, 1)
    lines += [
        f"# The UTC hour CHANGES at the daylight-saving switch on {switch:%Y-%m-%d %H:%M} UTC: from then "
        f"({after.tzname()}, UTC{after:%z}) the cron must be '{after_cron}'",
        f"# (first slot after it: {upcoming[0].astimezone(zone):%Y-%m-%d %H:%M %Z} = {upcoming[0]:%Y-%m-%d %H:%M} UTC)." if upcoming else "#",
        "# Keep it right: after each switch run `eros schedule export --format dbt-cloud` (or `eros deploy`)",
        "# and `dbt-jobs-as-code sync` the file, or run the schedules with `eros schedule run-due` from",
        "# cron (exact all year). Left alone, this job runs one hour off in LA until the next export.",
    ]
    return lines


def export_dbt_cloud(schedules: Schedules, *, target: str, at: dt.datetime, threads: int = 4) -> str:
    """YAML for ``dbt-jobs-as-code`` (``validate`` offline, ``sync`` to dbt Cloud), one job per
    schedule, UTC cron valid at ``at`` with DST comments (module docstring).

    IDs come from ``EROS_DBT_CLOUD_ACCOUNT_ID`` / ``_PROJECT_ID`` / ``_ENVIRONMENT_ID`` (0 when unset).

    Raises:
        ErosUsageError: a job without ``dbt_steps``, a non-numeric id, or a cron that has no
            UTC equivalent (:func:`cron_in_utc`).
    """
    ids = {name: _dbt_cloud_id(name) for name in DBT_CLOUD_ID_ENV}
    lines = [
        "# eros jobs for dbt Cloud, in the format of dbt Labs' dbt-jobs-as-code (generated by",
        f"# `eros schedule export --format dbt-cloud` from jobs.yml at {at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC).",
        "#   dbt-jobs-as-code validate <this file>      # offline check",
        "#   dbt-jobs-as-code sync <this file>          # needs DBT_API_KEY (and DBT_BASE_URL)",
        "# dbt Cloud cron is UTC and does NOT follow daylight saving: each job below says when its",
        "# UTC hour changes and how to keep it right. dbt Cloud does not retry failed runs; the retries",
        "# of jobs.yml apply to `eros schedule run-due` only.",
    ]
    if ids["account_id"] == "0" or ids["project_id"] == "0" or ids["environment_id"] == "0":
        lines.append("# Set EROS_DBT_CLOUD_ACCOUNT_ID, EROS_DBT_CLOUD_PROJECT_ID and EROS_DBT_CLOUD_ENVIRONMENT_ID and export again (0 = unset).")
    lines.append("jobs:")
    for job in schedules.by_priority():
        if not job.dbt_steps:
            raise ErosUsageError(f"{schedules.path.name}: job '{job.key}' has no dbt_steps: nothing to run in dbt Cloud")
        utc_cron = cron_in_utc(job.cron, job.zone, at)
        description = (f"{job.name}: {job.cron} {job.timezone}, priority {job.priority}, {job.retries} retries "
                       f"{job.retry_delay_seconds} s apart (run-due only). Generated from jobs.yml by eros.")[:255]
        lines += [
            f"  eros-{job.key}:",
            f"    account_id: {ids['account_id']}",
            f"    project_id: {ids['project_id']}",
            f"    environment_id: {ids['environment_id']}",
            f"    name: {_q('eros ' + job.name)}",
            f"    description: {_q(description)}",
            "    settings:",
            f"      threads: {threads}",
            f"      target_name: {_q(target)}",
            "    execution:",
            f"      timeout_seconds: {job.timeout_seconds}",
            "    run_generate_sources: false",
            "    generate_docs: false",
            "    execute_steps:",
            *[f"      - {_q(step)}" for step in job.dbt_steps],
            "    triggers:",
            "      github_webhook: false",
            "      git_provider_webhook: false",
            "      schedule: true",
            "      on_merge: false",
            "    schedule:",
            *[f"      {line}" for line in _dst_comment(job, at)],
            f"      cron: {_q(utc_cron)}",
        ]
    return "\n".join(lines) + "\n"


def export(schedules: Schedules, fmt: str, *, project: Path, target: str, at: dt.datetime | None = None) -> str:
    """Dispatch on ``fmt`` (one of :data:`FORMATS`).

    Raises:
        ErosUsageError: unknown format, or an error of the chosen exporter.
    """
    if fmt == "cron":
        return export_cron(schedules, project=project, target=target)
    if fmt == "github-actions":
        return export_github_actions(schedules, project=project, target=target)
    if fmt == "dbt-cloud":
        return export_dbt_cloud(schedules, target=target, at=at or dt.datetime.now(dt.UTC))
    raise ErosUsageError(f"unknown export format '{fmt}' (choose from {', '.join(FORMATS)})")
