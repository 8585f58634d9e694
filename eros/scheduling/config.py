"""Load and validate ``jobs.yml`` (the schedules of the eros jobs).

Every problem is reported as one :class:`~eros.errors.ErosUsageError` line that names the
file, the job and the offending value, e.g.
``jobs.yml: job 'daily': cron '5 3 * *' is not a valid 5-field cron expression``.
Schedules, retries and priorities come from DOMAIN.md "Schedules"; the file format is
described at the top of ``jobs.yml``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shlex
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter

from eros.errors import ErosUsageError

JOBS_FILE_NAME = "jobs.yml"
PRIORITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
PLACEHOLDERS = frozenset({"slot_date", "slot_utc"})
REQUIRED_FIELDS = ("name", "step", "cron", "timezone", "retries", "retry_delay_seconds", "priority", "timeout_seconds", "notify")
OPTIONAL_FIELDS = ("dbt_steps",)
# Options run-due adds itself: a step may not set them.
RESERVED_OPTIONS = ("--target", "--json")


@dataclasses.dataclass(frozen=True)
class Notify:
    """When the runner raises an alert row (source ``scheduler``) for a job.

    Attributes:
        on_failure: when a slot fails for good (its retries used up).
        on_warning: when an attempt fails and a retry is scheduled.
    """

    on_failure: bool
    on_warning: bool


@dataclasses.dataclass(frozen=True)
class ScheduledJob:
    """One schedule of ``jobs.yml``.

    Attributes:
        key: the schedule id (mapping key in ``jobs.yml``).
        name: label for listings, alerts and the dbt Cloud job name.
        job: the ``eros run`` job the step runs (a key of ``eros.jobs.JOBS``).
        step_args: arguments after ``eros run <job>``, placeholders not yet filled.
        dbt_steps: the same job as plain dbt commands (exports).
        cron: 5-field cron expression, read on the wall clock of ``timezone``.
        timezone: IANA zone name.
        retries: extra attempts after a failed one (0 = no retry).
        retry_delay_seconds: wait between a failed attempt's end and the next attempt.
        priority: CRITICAL, HIGH, MEDIUM or LOW.
        timeout_seconds: an attempt running longer is killed and counts as failed.
        notify: alert settings.
    """

    key: str
    name: str
    job: str
    step_args: tuple[str, ...]
    dbt_steps: tuple[str, ...]
    cron: str
    timezone: str
    retries: int
    retry_delay_seconds: int
    priority: str
    timeout_seconds: int
    notify: Notify

    @property
    def zone(self) -> ZoneInfo:
        """The job's :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.timezone)

    @property
    def max_attempts(self) -> int:
        """1 + retries."""
        return 1 + self.retries

    @property
    def priority_rank(self) -> int:
        """0 for CRITICAL ... 3 for LOW (run order within one run-due call)."""
        return PRIORITIES.index(self.priority)

    @property
    def step(self) -> str:
        """The step as written in ``jobs.yml``."""
        return shlex.join(["eros", "run", self.job, *self.step_args])

    def step_command(self, slot_utc: dt.datetime) -> list[str]:
        """Arguments after ``eros`` for the slot (placeholders filled), e.g.
        ``["run", "daily", "--date", "2026-03-08"]``.

        Args:
            slot_utc: the slot instant (aware, UTC).
        """
        values = {
            "slot_date": slot_utc.astimezone(self.zone).date().isoformat(),
            "slot_utc": slot_utc.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return ["run", self.job, *(arg.format(**values) for arg in self.step_args)]


@dataclasses.dataclass(frozen=True)
class Schedules:
    """The loaded ``jobs.yml``.

    Attributes:
        path: the file read.
        jobs: schedules by key, in file order.
    """

    path: Path
    jobs: dict[str, ScheduledJob]

    def by_priority(self) -> list[ScheduledJob]:
        """Jobs in run order: priority, then file order."""
        order = list(self.jobs)
        return sorted(self.jobs.values(), key=lambda j: (j.priority_rank, order.index(j.key)))

    def select(self, keys: Iterable[str] | None) -> list[ScheduledJob]:
        """Jobs by priority, restricted to ``keys`` when given.

        Raises:
            ErosUsageError: a key that is not a schedule of the file.
        """
        wanted = list(keys or [])
        for key in wanted:
            if key not in self.jobs:
                raise ErosUsageError(f"{self.path.name}: no schedule '{key}' (has: {', '.join(self.jobs)})")
        return [j for j in self.by_priority() if not wanted or j.key in wanted]


def default_jobs_file(project: Path) -> Path:
    """``EROS_JOBS_FILE`` (relative to the project) or ``<project>/jobs.yml``."""
    env = os.environ.get("EROS_JOBS_FILE")
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else project / path
    return project / JOBS_FILE_NAME


def valid_cron(expression: str) -> bool:
    """True for a standard 5-field cron expression croniter accepts (no seconds field,
    no @-macros: every exported scheduler must understand it)."""
    return isinstance(expression, str) and len(expression.split()) == 5 and croniter.is_valid(expression)


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def _int_field(where: str, field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ErosUsageError(f"{where}: {field} must be an integer >= {minimum}, got {value!r}")
    return value


def parse_job(where: str, key: str, raw: Any, known_jobs: Iterable[str] | None) -> ScheduledJob:
    """Validate one job entry of ``jobs.yml``.

    Args:
        where: prefix for error messages (``jobs.yml: job 'daily'``).
        key: the schedule id.
        raw: the entry as parsed YAML.
        known_jobs: job keys of ``eros run`` (None: do not check).

    Raises:
        ErosUsageError: missing or unknown field, bad cron, unknown time zone, unknown
            job, bad number, unknown priority or placeholder.
    """
    if not isinstance(raw, Mapping):
        raise ErosUsageError(f"{where}: expected a mapping of fields, got {type(raw).__name__}")
    missing = [f for f in REQUIRED_FIELDS if f not in raw]
    if missing:
        raise ErosUsageError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(raw) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ErosUsageError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)})")
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        raise ErosUsageError(f"{where}: name must be a non-empty string")

    cron = raw["cron"]
    if not valid_cron(cron):
        raise ErosUsageError(f"{where}: cron {cron!r} is not a valid 5-field cron expression (minute hour day-of-month month day-of-week)")

    zone_name = raw["timezone"]
    try:
        if not isinstance(zone_name, str) or not zone_name:
            raise ValueError
        ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ErosUsageError(f"{where}: timezone {zone_name!r} is not a known IANA time zone (e.g. America/Los_Angeles)") from None

    step = raw["step"]
    try:
        tokens = shlex.split(step) if isinstance(step, str) else []
    except ValueError as exc:
        raise ErosUsageError(f"{where}: step {step!r} cannot be parsed: {exc}") from None
    if len(tokens) < 3 or tokens[:2] != ["eros", "run"]:
        raise ErosUsageError(f"{where}: step {step!r} must be an `eros run <job> [options]` command")
    job = tokens[2]
    known = sorted(known_jobs) if known_jobs is not None else None
    if known is not None and job not in known:
        raise ErosUsageError(f"{where}: step {step!r} names unknown job '{job}' (eros run knows: {', '.join(known)})")
    args = tuple(tokens[3:])
    for arg in args:
        if arg.split("=")[0] in RESERVED_OPTIONS:
            raise ErosUsageError(f"{where}: step may not set {arg.split('=')[0]} (run-due adds it)")
        bad = _placeholders(arg) - PLACEHOLDERS
        if bad:
            raise ErosUsageError(f"{where}: step uses unknown placeholder(s) {', '.join(sorted(bad))} (allowed: {{slot_date}}, {{slot_utc}})")

    dbt_steps = raw.get("dbt_steps", [])
    if not isinstance(dbt_steps, list) or not all(isinstance(s, str) and s.split()[:1] == ["dbt"] for s in dbt_steps):
        raise ErosUsageError(f"{where}: dbt_steps must be a list of `dbt ...` commands")

    priority = raw["priority"]
    if priority not in PRIORITIES:
        raise ErosUsageError(f"{where}: priority {priority!r} must be one of {', '.join(PRIORITIES)}")

    notify = raw["notify"]
    if not isinstance(notify, Mapping) or set(notify) - {"on_failure", "on_warning"} or not all(isinstance(v, bool) for v in notify.values()):
        raise ErosUsageError(f"{where}: notify must be a mapping with boolean on_failure and on_warning")

    return ScheduledJob(
        key=key,
        name=raw["name"].strip(),
        job=job,
        step_args=args,
        dbt_steps=tuple(dbt_steps),
        cron=" ".join(cron.split()),
        timezone=zone_name,
        retries=_int_field(where, "retries", raw["retries"], 0),
        retry_delay_seconds=_int_field(where, "retry_delay_seconds", raw["retry_delay_seconds"], 0),
        priority=priority,
        timeout_seconds=_int_field(where, "timeout_seconds", raw["timeout_seconds"], 1),
        notify=Notify(on_failure=notify.get("on_failure", True), on_warning=notify.get("on_warning", False)),
    )


def parse_schedules(data: Any, path: Path, known_jobs: Iterable[str] | None) -> Schedules:
    """Validate the parsed YAML of a jobs file; see :func:`load_schedules`."""
    name = path.name
    if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), Mapping) or not data["jobs"]:
        raise ErosUsageError(f"{name}: expected a top-level 'jobs:' mapping with at least one job")
    if data.get("version", 1) != 1:
        raise ErosUsageError(f"{name}: unsupported version {data.get('version')!r} (this eros reads version 1)")
    extra = sorted(set(data) - {"version", "jobs"})
    if extra:
        raise ErosUsageError(f"{name}: unknown top-level key(s) {', '.join(map(str, extra))}")
    known = list(known_jobs) if known_jobs is not None else None
    jobs: dict[str, ScheduledJob] = {}
    for key, raw in data["jobs"].items():
        if not isinstance(key, str) or not key or not all(c.isalnum() or c in "-_" for c in key):
            raise ErosUsageError(f"{name}: job key {key!r} must be letters, digits, '-' or '_'")
        jobs[key] = parse_job(f"{name}: job '{key}'", key, raw, known)
    return Schedules(path=path, jobs=jobs)


def load_schedules(path: Path, known_jobs: Iterable[str] | None = None, *, check_jobs: bool = True) -> Schedules:
    """Read and validate a jobs file.

    Args:
        path: the file (normally ``<project>/jobs.yml``).
        known_jobs: job keys ``eros run`` knows; default ``eros.jobs.JOBS`` at call time.
        check_jobs: False skips the job-key check (tests of the pure schedule logic).

    Returns:
        The :class:`Schedules`.

    Raises:
        ErosUsageError: the file is missing or not YAML, or any check of :func:`parse_job`.
    """
    if not path.is_file():
        raise ErosUsageError(f"jobs file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ErosUsageError(f"{path.name}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if check_jobs and known_jobs is None:
        from eros.jobs import JOBS

        known_jobs = list(JOBS)
    return parse_schedules(data, path, known_jobs if check_jobs else None)
