"""``eros run <job>``: the job (:mod:`eros.jobs`), then the alerting step that ends every
job (:func:`eros.alerts.after_job`). Alerting layer: it imports the jobs, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eros.alerts import after_job, alerts_disabled
from eros.core import JobOutcome, job_variables
from eros.jobs import run_job


def run_job_with_alerts(key: str, *, alerts: bool = True, env: Mapping[str, str] | None = None, **kwargs: Any) -> JobOutcome:
    """``eros run <job>``: :func:`eros.jobs.run_job`, then (unless ``alerts`` is False,
    ``--no-alerts``, or ``EROS_NO_ALERTS`` is set, or the run was a dry run) :func:`eros.alerts.after_job`,
    whose result goes to ``outcome.alerting``.

    Args:
        key: job key (jobs.yml).
        alerts: False skips the alerting step.
        env: environment with the alert destinations (default os.environ).
        kwargs: :func:`eros.jobs.run_job`'s keyword arguments (project, target, ...).

    Raises:
        ErosUsageError / ErosRunError: as :func:`eros.jobs.run_job`.
    """
    outcome = run_job(key, **kwargs)
    if alerts and outcome.status != "DRY_RUN" and not alerts_disabled(env):
        # the job's own dbt vars, so dbt keeps its partial parse (the rules use the wall clock)
        date = kwargs.get("execution_date")
        variables = job_variables(date, kwargs.get("as_of"), kwargs.get("extra_vars")) if date else dict(kwargs.get("extra_vars") or {})
        outcome.alerting = after_job(project=kwargs["project"], target=kwargs["target"], on_event=kwargs.get("on_event"),
                                     env=env, variables=variables)
    return outcome
