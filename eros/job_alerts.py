"""``eros run <job>``: the job (:mod:`eros.jobs`: one ``dbt build --selector <job>``, whose
on-run-end already evaluated the alert rules), then the delivery of due alerts
(:func:`eros.alerts.deliver_after_job`, no dbt process for the evaluation). Alerting layer:
it imports the jobs, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eros.alerts import alerts_disabled, deliver_after_job
from eros.core import JobOutcome
from eros.jobs import run_job


def run_job_with_alerts(key: str, *, alerts: bool = True, env: Mapping[str, str] | None = None, **kwargs: Any) -> JobOutcome:
    """``eros run <job>``: :func:`eros.jobs.run_job` with the alert-rule evaluation at the
    end of its build, then the delivery of due alerts; both are skipped when ``alerts`` is
    False (``--no-alerts``) or ``EROS_NO_ALERTS`` is set (``outcome.alerting`` is then None,
    as for a dry run).

    Args:
        key: job key (jobs.yml).
        alerts: False skips the evaluation (dbt var eros_evaluate_alerts: false) and the delivery.
        env: environment with the alert destinations (default os.environ).
        kwargs: :func:`eros.jobs.run_job`'s keyword arguments (project, target, ...).

    Raises:
        ErosUsageError / ErosRunError: as :func:`eros.jobs.run_job`.
    """
    enabled = alerts and not alerts_disabled(env)
    project, target = kwargs["project"], kwargs["target"]

    def deliver(outcome: JobOutcome) -> dict[str, Any]:
        del outcome
        # one clock (issue 13): a run with --as-of delivers at that instant
        return deliver_after_job(project=project, target=target, env=env, now=kwargs.get("as_of"))

    return run_job(key, alerts=enabled, deliver=deliver if enabled else None, **kwargs)
