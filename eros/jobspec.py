"""``jobs.yml``, the job registry, validated with pydantic models (core layer).

One file defines each scheduled job once: what it is (``job_name`` in etl_job_runs, the dbt
``selector`` it builds, a ``description``, the ``options`` of its ``eros run`` command) and
when it runs (``cron``, ``timezone``, retries, ...). :data:`eros.jobs.JOBS` and the
``eros run <job>`` commands are generated from it; :mod:`eros.scheduling.config` reads the
schedules from the same models. A test checks selectors.yml and the job-name map of the
dbt project against it.

Every problem is one :class:`~eros.errors.ErosUsageError` line naming the file, the job and
the offending value, e.g. ``jobs.yml: job 'daily': cron '5 3 * *' is not a valid 5-field
cron expression (minute hour day-of-month month day-of-week)``.
"""

from __future__ import annotations

import functools
import shlex
import string
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from eros.errors import ErosUsageError

JOBS_FILE_NAME = "jobs.yml"
PRIORITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
PLACEHOLDERS = frozenset({"slot_date", "slot_utc"})
# Options run-due adds itself: a step may not set them.
RESERVED_OPTIONS = ("--target", "--json")
# Options an `eros run <job>` command can have (eros.cli builds them from these names).
JOB_OPTIONS = ("date", "as-of", "var", "dry-run")
# Fields the registry needs (a schedules-only file, e.g. --jobs-file, may leave them out).
REGISTRY_FIELDS = ("job_name", "selector", "description")


def valid_cron(expression: Any) -> bool:
    """True for a standard 5-field cron expression croniter accepts (no seconds field,
    no @-macros: every exported scheduler must understand it)."""
    from croniter import croniter

    return isinstance(expression, str) and len(expression.split()) == 5 and croniter.is_valid(expression)


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def _integer(field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{field} must be an integer >= {minimum}, got {value!r}")
    return value


class Notify(BaseModel):
    """When the runner raises an alert row (source ``scheduler``) for a job.

    Attributes:
        on_failure: when a slot fails for good (its retries used up).
        on_warning: when an attempt fails and a retry is scheduled.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    on_failure: bool = True
    on_warning: bool = False


class JobEntry(BaseModel):
    """One job of ``jobs.yml`` as written (field meanings: the comment at the top of jobs.yml).

    Attributes:
        name: label in listings, alerts and the dbt Cloud job name.
        description: one line for ``eros run --help`` (registry field).
        job_name: ``etl_job_runs.job_name`` (registry field).
        selector: the dbt selector of selectors.yml the job builds (registry field).
        options: options of ``eros run <job>``: date, as-of, var, dry-run.
        step: the ``eros run <job> [options]`` command run-due executes.
        dbt_steps: the same job as plain dbt commands.
        cron: 5-field cron expression on the wall clock of ``timezone``.
        timezone: IANA zone name.
        retries: extra attempts after a failed one.
        retry_delay_seconds: wait between a failed attempt and the next.
        priority: CRITICAL, HIGH, MEDIUM or LOW.
        timeout_seconds: an attempt running longer is killed and counts as failed.
        notify: alert settings.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str | None = None
    job_name: str | None = None
    selector: str | None = None
    options: tuple[Literal["date", "as-of", "var", "dry-run"], ...] = ("date", "as-of", "var")
    step: str
    dbt_steps: tuple[str, ...] = ()
    cron: str
    timezone: str
    retries: int
    retry_delay_seconds: int
    priority: str
    timeout_seconds: int
    notify: Notify

    @field_validator("name", "description", "job_name", "selector", mode="before")
    @classmethod
    def _text(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name != "name":
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{info.field_name} must be a non-empty string")
        return value.strip()

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        if not isinstance(value, list) or not all(v in JOB_OPTIONS for v in value):
            raise ValueError(f"options must be a list of {', '.join(JOB_OPTIONS)}, got {value!r}")
        return tuple(value)

    @field_validator("cron", mode="before")
    @classmethod
    def _cron(cls, value: Any) -> str:
        if not valid_cron(value):
            raise ValueError(f"cron {value!r} is not a valid 5-field cron expression (minute hour day-of-month month day-of-week)")
        return " ".join(value.split())

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> str:
        try:
            if not isinstance(value, str) or not value:
                raise ValueError
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {value!r} is not a known IANA time zone (e.g. America/Los_Angeles)") from None
        return value

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, value: Any) -> str:
        try:
            tokens = shlex.split(value) if isinstance(value, str) else []
        except ValueError as exc:
            raise ValueError(f"step {value!r} cannot be parsed: {exc}") from None
        if len(tokens) < 3 or tokens[:2] != ["eros", "run"]:
            raise ValueError(f"step {value!r} must be an `eros run <job> [options]` command")
        for arg in tokens[3:]:
            if arg.split("=")[0] in RESERVED_OPTIONS:
                raise ValueError(f"step may not set {arg.split('=')[0]} (run-due adds it)")
            bad = _placeholders(arg) - PLACEHOLDERS
            if bad:
                raise ValueError(f"step uses unknown placeholder(s) {', '.join(sorted(bad))} (allowed: {{slot_date}}, {{slot_utc}})")
        return value

    @field_validator("dbt_steps", mode="before")
    @classmethod
    def _dbt_steps(cls, value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(s, str) and s.split()[:1] == ["dbt"] for s in value):
            raise ValueError("dbt_steps must be a list of `dbt ...` commands")
        return tuple(value)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> str:
        if value not in PRIORITIES:
            raise ValueError(f"priority {value!r} must be one of {', '.join(PRIORITIES)}")
        return value

    @field_validator("retries", "retry_delay_seconds", mode="before")
    @classmethod
    def _non_negative(cls, value: Any, info: Any) -> int:
        return _integer(info.field_name, value, 0)

    @field_validator("timeout_seconds", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> int:
        return _integer("timeout_seconds", value, 1)

    @field_validator("notify", mode="before")
    @classmethod
    def _notify(cls, value: Any) -> Any:
        if not isinstance(value, dict) or set(value) - {"on_failure", "on_warning"} or not all(isinstance(v, bool) for v in value.values()):
            raise ValueError("notify must be a mapping with boolean on_failure and on_warning")
        return value

    @property
    def step_tokens(self) -> list[str]:
        """The step split like a shell would (``["eros", "run", "daily", "--date", ...]``)."""
        return shlex.split(self.step)

    @property
    def job(self) -> str:
        """The ``eros run`` job the step runs."""
        return self.step_tokens[2]


FIELD_ORDER = tuple(JobEntry.model_fields)
REQUIRED = tuple(name for name, field in JobEntry.model_fields.items() if field.is_required())


def _first_problem(error: ValidationError) -> str:
    """One line for a pydantic error of a job entry: missing fields first, then unknown
    fields, then the first bad value in field order."""
    errors = error.errors()
    missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing" and len(e["loc"]) == 1]
    if missing:
        return f"missing field(s) {', '.join(f for f in REQUIRED if f in missing)}"
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1)
    if unknown:
        return f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(FIELD_ORDER)})"
    errors.sort(key=lambda e: FIELD_ORDER.index(str(e["loc"][0])) if e["loc"] and e["loc"][0] in FIELD_ORDER else len(FIELD_ORDER))
    first = errors[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"


class JobsFile(BaseModel):
    """A validated jobs file.

    Attributes:
        path: the file read.
        version: format version (1).
        jobs: entries by key, in file order.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    version: int
    jobs: dict[str, JobEntry]


def parse_jobs_file(data: Any, path: Path) -> JobsFile:
    """Validate the parsed YAML of a jobs file.

    Raises:
        ErosUsageError: the first problem, as one line (module docstring).
    """
    name = path.name
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict) or not data["jobs"]:
        raise ErosUsageError(f"{name}: expected a top-level 'jobs:' mapping with at least one job")
    if data.get("version", 1) != 1:
        raise ErosUsageError(f"{name}: unsupported version {data.get('version')!r} (this eros reads version 1)")
    extra = sorted(set(data) - {"version", "jobs"})
    if extra:
        raise ErosUsageError(f"{name}: unknown top-level key(s) {', '.join(map(str, extra))}")
    jobs: dict[str, JobEntry] = {}
    for key, raw in data["jobs"].items():
        if not isinstance(key, str) or not key or not all(c.isalnum() or c in "-_" for c in key):
            raise ErosUsageError(f"{name}: job key {key!r} must be letters, digits, '-' or '_'")
        if not isinstance(raw, dict):
            raise ErosUsageError(f"{name}: job '{key}': expected a mapping of fields, got {type(raw).__name__}")
        try:
            jobs[key] = JobEntry.model_validate(raw)
        except ValidationError as exc:
            raise ErosUsageError(f"{name}: job '{key}': {_first_problem(exc)}") from None
    return JobsFile(path=path, version=1, jobs=jobs)


def read_jobs_file(path: Path) -> JobsFile:
    """Read and validate a jobs file.

    Raises:
        ErosUsageError: the file is missing or not YAML, or any check of :func:`parse_jobs_file`.
    """
    if not path.is_file():
        raise ErosUsageError(f"jobs file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ErosUsageError(f"{path.name}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_jobs_file(data, path)


class JobDefinition(BaseModel):
    """One job of the registry (what ``eros run <key>`` runs).

    Attributes:
        key: name on the command line and jobs.yml key.
        job_name: ``etl_job_runs.job_name``.
        selector: dbt selector of selectors.yml.
        description: one line for help texts.
        options: options of its ``eros run`` command.
        name: display label.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    job_name: str
    selector: str
    description: str
    options: tuple[str, ...]
    name: str


def registry_from(jobs_file: JobsFile) -> dict[str, JobDefinition]:
    """The job registry of a jobs file: every entry with the registry fields, whose step
    runs the entry's own key.

    Raises:
        ErosUsageError: an entry without job_name / selector / description, or whose step
            runs another job.
    """
    registry: dict[str, JobDefinition] = {}
    for key, entry in jobs_file.jobs.items():
        where = f"{jobs_file.path.name}: job '{key}'"
        missing = [f for f in REGISTRY_FIELDS if getattr(entry, f) is None]
        if missing:
            raise ErosUsageError(f"{where}: the job registry needs field(s) {', '.join(missing)}")
        if entry.job != key:
            raise ErosUsageError(f"{where}: step {entry.step!r} must run its own job ('eros run {key} ...')")
        assert entry.job_name and entry.selector and entry.description
        registry[key] = JobDefinition(
            key=key, job_name=entry.job_name, selector=entry.selector, description=entry.description,
            options=entry.options, name=entry.name,
        )
    return registry


@functools.cache
def _registry_of(path: Path, mtime_ns: int) -> dict[str, JobDefinition]:
    del mtime_ns  # part of the cache key only
    return registry_from(read_jobs_file(path))


def load_registry(project: Path) -> dict[str, JobDefinition]:
    """The job registry of the project: ``<project>/jobs.yml`` (cached per file version).

    Raises:
        ErosUsageError: the file is missing or invalid (one line).
    """
    path = project / JOBS_FILE_NAME
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise ErosUsageError(f"jobs file {path} does not exist") from None
    return dict(_registry_of(path, stamp))
