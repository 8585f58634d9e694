"""The scheduled jobs and how one run of each is sequenced.

Every job is a dbt selector (``selectors.yml``) plus, for some, run-operations. The job
row, page errors, queue and alerts are written inside dbt (models and hooks), so a dbt
Cloud job running the same commands records the same rows. This module only sequences
the dbt steps, reads back what the run recorded, and maps it to an exit code:

* 0: SUCCESS or COMPLETED_NO_WORK;
* 1: COMPLETED_WITH_ERRORS or FAILED (circuit breaker, node failure);
* 2: the run could not be recorded (bad usage, missing source, dbt crash).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from eros.core import (  # noqa: F401  (re-exported: the pure pieces moved to eros.core)
    EXIT_JOB_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    LA,
    STATUS_EXIT_CODES,
    JobOutcome,
    job_variables,
    parse_execution_date,
    parse_timestamp,
    today_in_la,
)
from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke, run_operation
from eros.errors import ErosRunError, ErosUsageError
from eros.jobspec import load_registry
from eros.project import project_dir


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its registry entry in jobs.yml (:class:`eros.jobspec.JobDefinition`)
    plus how eros sequences it.

    Attributes:
        key: name on the command line (``eros run <key>``).
        job_name: ``etl_job_runs.job_name``.
        selector: dbt selector in selectors.yml built by the job.
        description: one line for help texts.
        runner: custom sequencing, called like :func:`run_build_job` minus ``spec``
            (None: plain ``dbt build --selector``).
        options: options of its ``eros run`` command (date, as-of, var, dry-run).
    """

    key: str
    job_name: str
    selector: str | None
    description: str
    runner: Callable[..., JobOutcome] | None = None
    options: tuple[str, ...] = ("date", "as-of", "var")


def _lock_sweep_module() -> Any:
    """eros.lock_sweep, imported on first use (it imports this module)."""
    import eros.lock_sweep

    return eros.lock_sweep


# Jobs sequenced by more than `dbt build --selector <job>` (by key of jobs.yml).
RUNNERS: dict[str, Callable[..., JobOutcome]] = {
    # ends with the lock sweep (issue 5); imported lazily: eros.lock_sweep imports this module
    "daily": lambda **kwargs: _lock_sweep_module().run_daily_with_sweep(**kwargs),
    "lock-sweep": lambda **kwargs: _lock_sweep_module().run_lock_sweep_job(**kwargs),
}


class JobRegistry(Mapping[str, JobSpec]):
    """The jobs of ``eros run``, generated from the project's jobs.yml on first use
    (:func:`eros.jobspec.load_registry`). Reading it raises ErosUsageError (one line) when
    jobs.yml is missing or invalid."""

    def __init__(self, project: Path | None = None) -> None:
        self._project = project
        self._specs: dict[str, JobSpec] | None = None

    def _load(self) -> dict[str, JobSpec]:
        if self._specs is None:
            definitions = load_registry(self._project or project_dir())
            self._specs = {
                key: JobSpec(key=key, job_name=d.job_name, selector=d.selector, description=d.description,
                             runner=RUNNERS.get(key), options=d.options)
                for key, d in definitions.items()
            }
        return self._specs

    def __getitem__(self, key: str) -> JobSpec:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


JOBS: Mapping[str, JobSpec] = JobRegistry()


def _step_record(run: DbtRun) -> dict[str, Any]:
    return {
        "command": " ".join(run.args[:3]),
        "returncode": run.returncode,
        "seconds": round(run.elapsed_seconds, 2),
        "failed_nodes": [f"{n.name}: {n.status}" for n in run.failed_nodes()],
    }


def report_job(job_id: str, *, project: Path, target: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """Read back the job row, its alerts and counts (macro eros_report_job).

    Raises:
        ErosRunError: when the report macro fails.
    """
    run = run_operation("eros_report_job", {"job_id": job_id}, project=project, target=target, variables=variables)
    if not run.ok or not run.payloads:
        raise ErosRunError(f"could not read the job's results: {first_error_line(run) or 'no report'}")
    return run.payloads[-1]


def run_build_job(
    spec: JobSpec,
    *,
    project: Path,
    target: str,
    execution_date: dt.date,
    as_of: dt.datetime | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    after_build: Callable[[str, dict[str, Any]], list[DbtRun]] | None = None,
) -> JobOutcome:
    """Run one job: ``dbt build --selector <job>``, optional follow-up steps, then read
    back what the hooks recorded.

    Args:
        spec: the job.
        project: dbt project directory.
        target: profile target.
        execution_date: business date to run for.
        as_of: reference "now" for validation rules (default: the run's start).
        extra_vars: more dbt vars.
        on_event: progress callback for dbt events.
        after_build: follow-up steps given (job_id, vars), returning their dbt runs.

    Returns:
        The :class:`JobOutcome`.

    Raises:
        ErosUsageError: a source table or column is missing (one line, exit 2).
        ErosRunError: dbt failed before the job row was recorded.
    """
    if spec.selector is None:
        raise ErosRunError(f"job {spec.key} has no selector")
    started = dt.datetime.now(dt.UTC)
    variables = job_variables(execution_date, as_of, extra_vars)
    build = invoke(["build", "--selector", spec.selector], project=project, target=target, variables=variables, on_event=on_event)
    steps = [_step_record(build)]
    problem = first_error_line(build)
    if any("EROS_SOURCE_MISSING:" in e for e in build.errors):
        raise ErosUsageError(problem or "a source table is missing")
    if build.invocation_id is None:
        raise ErosRunError(f"dbt did not start: {problem or 'no output'}")
    if after_build is not None:
        for run in after_build(build.invocation_id, variables):
            steps.append(_step_record(run))
    report = report_job(build.invocation_id, project=project, target=target, variables=variables)
    job_row = report.get("job")
    duration = (dt.datetime.now(dt.UTC) - started).total_seconds()
    if job_row is None:
        raise ErosRunError(f"dbt build did not record the job (exit {build.returncode}): {problem or 'no job row'}")
    status = str(job_row.get("job_status"))
    return JobOutcome(
        job=spec.key,
        job_name=spec.job_name,
        job_id=build.invocation_id,
        status=status,
        execution_date=execution_date.isoformat(),
        exit_code=STATUS_EXIT_CODES.get(status, EXIT_USAGE),
        duration_seconds=round(duration, 2),
        job_row=job_row,
        counts=report.get("counts", {}),
        alerts=report.get("alerts", []),
        steps=steps,
        error_message=job_row.get("error_message"),
    )


def run_job(key: str, **kwargs: Any) -> JobOutcome:
    """Run the job ``key`` (see :data:`JOBS`) with :func:`run_build_job`'s keyword args.
    The alerting step after it is :func:`eros.alerts.run_job_with_alerts`.

    Raises:
        ErosUsageError: unknown job.
    """
    spec = JOBS.get(key)
    if spec is None:
        raise ErosUsageError(f"unknown job '{key}' (known: {', '.join(sorted(JOBS))})")
    return spec.runner(**kwargs) if spec.runner is not None else run_build_job(spec, **kwargs)

