"""The core layer: what every other layer may use and that depends on nothing of eros but
:mod:`eros.errors` and :mod:`eros.project`: exit codes, the business clock, parsing of the
job parameters (``--date``, ``--as-of``, ``--var``) and :class:`JobOutcome`.

Exit codes of the jobs (``eros run``; DOMAIN.md job statuses):

* 0: SUCCESS or COMPLETED_NO_WORK;
* 1: COMPLETED_WITH_ERRORS or FAILED (circuit breaker, node failure);
* 2: the run could not be recorded (bad usage, missing source, dbt crash).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from eros.errors import ErosUsageError

# Business time zone (DOMAIN.md).
LA = ZoneInfo("America/Los_Angeles")

EXIT_OK = 0
EXIT_JOB_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

STATUS_EXIT_CODES = {
    "SUCCESS": EXIT_OK,
    "COMPLETED_NO_WORK": EXIT_OK,
    "COMPLETED_WITH_ERRORS": EXIT_JOB_ERRORS,
    "FAILED": EXIT_JOB_ERRORS,
}
TS_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclasses.dataclass
class JobOutcome:
    """What a job run recorded, as the CLI reports it.

    Attributes:
        job: job key.
        job_name: ``etl_job_runs.job_name``.
        job_id: the run's job id (dbt invocation id of the build).
        status: final ``job_status``.
        execution_date: ISO business date.
        exit_code: 0, 1 or 2 (module docstring).
        duration_seconds: the job's duration, ``etl_job_runs.job_duration_seconds`` (start of its dbt
            build to its final job row; macro eros_write_job_row), the one duration the summary, the
            report and the health checks show; a dry run (no job row) has its wall time. The dbt
            process's own wall time is in ``steps``.
        job_row: the ``etl_job_runs`` row.
        counts: job-specific counts (pages_active, pages_queued, ...).
        alerts: alert rows raised by the run.
        steps: per dbt step: command, return code, seconds, failed nodes.
        error_message: the job row's error message, or why the run was not recorded.
        alerting: what the delivery step after the job did (eros.alerts.deliver_after_job), or None
            when it was skipped (--no-alerts, dry run).
        page_errors: the first page errors of the run (eros.runs.read_page_errors; the daily job
            only), which the summary names; ``eros errors`` lists them all.
    """

    job: str
    job_name: str
    job_id: str | None
    status: str
    execution_date: str
    exit_code: int
    duration_seconds: float
    job_row: dict[str, Any] | None
    counts: dict[str, Any]
    alerts: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    error_message: str | None
    alerting: dict[str, Any] | None = None
    page_errors: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``--json`` output)."""
        return dataclasses.asdict(self)


def reason_detail(error_message: Any, code: str) -> str:
    """A page error's message without its leading reason code, for display beside the code
    (``eros errors``, the report): ``("QUARANTINE_RATE: 3 of 4 rows ...", "QUARANTINE_RATE")``
    gives ``"3 of 4 rows ..."``; a message that does not start with ``<code>:`` is returned
    whole ("" for None)."""
    text = str(error_message or "")
    return text[len(code) + 1:].strip() if text.startswith(code + ":") else text


def today_in_la(now: dt.datetime | None = None) -> dt.date:
    """Business date: today in America/Los_Angeles (DOMAIN.md)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(LA).date()


def parse_execution_date(text: str | None) -> dt.date:
    """Parse ``--date``.

    Args:
        text: ``YYYY-MM-DD`` or None for today in LA.

    Raises:
        ErosUsageError: not ISO, not a calendar date, or outside 2000-2100.
    """
    if text is None:
        return today_in_la()
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or [len(p) for p in parts] != [4, 2, 2]:
        raise ErosUsageError(f"invalid --date '{text}': expected YYYY-MM-DD")
    try:
        value = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ErosUsageError(f"invalid --date '{text}': not a calendar date") from None
    if not 2000 <= value.year <= 2100:
        raise ErosUsageError(f"invalid --date '{text}': outside the supported years 2000-2100")
    return value


def parse_timestamp(text: str | None, option: str = "--as-of") -> dt.datetime | None:
    """Parse an ISO timestamp option; naive values are UTC. Returns naive UTC.

    Raises:
        ErosUsageError: when the text is not an ISO timestamp.
    """
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ErosUsageError(f"invalid {option} '{text}': expected an ISO timestamp like 2026-03-08T00:30:00-08:00") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def check_as_of_for_date(as_of: dt.datetime | None, execution_date: dt.date) -> None:
    """A reference time before the execution date would make every row of the date look
    like it was sent in the future (quarantined as FUTURE_SENDING_TIME).

    Raises:
        ErosUsageError: when ``as_of`` (naive UTC) is before local midnight of the date in LA.
    """
    if as_of is None:
        return
    start = dt.datetime.combine(execution_date, dt.time(), LA).astimezone(dt.UTC).replace(tzinfo=None)
    if as_of < start:
        raise ErosUsageError(
            f"invalid --as-of {as_of.isoformat()}Z: it is before the execution date {execution_date} starts in America/Los_Angeles"
        )


def parse_var_items(items: tuple[str, ...] | list[str], declared: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parse repeated ``--var NAME=VALUE`` options into dbt vars (VALUE parsed as YAML,
    so ``true``/``5`` become a bool/int).

    A var declared in dbt_project.yml (``declared``: its ``vars:``) must keep the type of its
    default there (a number stays a number, a flag stays true/false), so a typo fails here
    and not half-way through a job.

    Raises:
        ErosUsageError: an item without ``=``, an empty name, or a value of the wrong type.
    """
    import yaml

    declared = declared or {}
    variables: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ErosUsageError(f"invalid --var '{item}': expected NAME=VALUE")
        try:
            parsed = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            raise ErosUsageError(f"invalid --var '{item}': the value is not valid YAML") from None
        default = declared.get(name)
        if isinstance(default, bool) and not isinstance(parsed, bool):
            raise ErosUsageError(f"invalid --var '{item}': {name} is a flag (true or false)")
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
            isinstance(parsed, bool) or not isinstance(parsed, (int, float))
        ):
            raise ErosUsageError(f"invalid --var '{item}': {name} is a number (default {default})")
        variables[name] = parsed
    return variables


def job_variables(execution_date: dt.date, as_of: dt.datetime | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """dbt vars of a job run: the explicit execution date (so every step agrees on it),
    the optional reference time, and any extra vars."""
    variables: dict[str, Any] = {"execution_date": execution_date.isoformat()}
    if as_of is not None:
        variables["as_of_timestamp"] = as_of.strftime(TS_FORMAT)
    if extra:
        variables.update(extra)
    return variables
