"""The schedules of the eros jobs, from ``jobs.yml`` (validated by the pydantic models of
:mod:`eros.jobspec`, the job registry).

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
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from eros.errors import ErosUsageError
from eros.jobspec import JOBS_FILE_NAME, PRIORITIES, JobEntry, JobsFile, load_registry, read_jobs_file, valid_cron  # noqa: F401
from eros.project import project_dir


class ScheduledJob(JobEntry):
    """One schedule of ``jobs.yml``: the validated entry (:class:`eros.jobspec.JobEntry`,
    whose fields and validation live there) with its key and the derived values the
    scheduler uses.

    Attributes:
        key: the schedule id (mapping key in ``jobs.yml``).
    """

    key: str

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
    def step_args(self) -> tuple[str, ...]:
        """Arguments after ``eros run <job>``, placeholders not yet filled."""
        return tuple(self.step_tokens[3:])

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


def schedule_of(key: str, entry: JobEntry, where: str, known_jobs: Iterable[str] | None) -> ScheduledJob:
    """The :class:`ScheduledJob` of a validated jobs.yml entry (:class:`eros.jobspec.JobEntry`).

    Raises:
        ErosUsageError: the step names a job ``eros run`` does not know.
    """
    job = entry.job
    known = sorted(known_jobs) if known_jobs is not None else None
    if known is not None and job not in known:
        raise ErosUsageError(f"{where}: step {entry.step!r} names unknown job '{job}' (eros run knows: {', '.join(known)})")
    return ScheduledJob.model_construct(key=key, **dict(entry))


def schedules_of(jobs_file: JobsFile, known_jobs: Iterable[str] | None) -> Schedules:
    """The :class:`Schedules` of a validated jobs file; see :func:`load_schedules`."""
    known = list(known_jobs) if known_jobs is not None else None
    jobs = {key: schedule_of(key, entry, f"{jobs_file.path.name}: job '{key}'", known) for key, entry in jobs_file.jobs.items()}
    return Schedules(path=jobs_file.path, jobs=jobs)


def load_schedules(path: Path, known_jobs: Iterable[str] | None = None, *, check_jobs: bool = True) -> Schedules:
    """Read and validate a jobs file.

    Args:
        path: the file (normally ``<project>/jobs.yml``).
        known_jobs: job keys ``eros run`` knows; default the project's job registry
            (:func:`eros.jobspec.load_registry`).
        check_jobs: False skips the job-key check (tests of the pure schedule logic).

    Returns:
        The :class:`Schedules`.

    Raises:
        ErosUsageError: the file is missing or not YAML, or any check of
            :func:`eros.jobspec.parse_jobs_file` and :func:`schedule_of`.
    """
    jobs_file = read_jobs_file(path)
    if check_jobs and known_jobs is None:
        known_jobs = list(load_registry(project_dir()))
    return schedules_of(jobs_file, known_jobs if check_jobs else None)
