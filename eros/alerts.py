"""Alert rules: evaluation, listing, acknowledgement, and the step that ends every job (issue 7).

All decisions about raising and resolving alerts are made inside dbt (the run-operation
``evaluate_alert_rules``, macros/alerting/), so a dbt Cloud job ending with
``dbt run-operation evaluate_alert_rules`` raises exactly what ``eros run`` raises. This
module sequences those dbt steps; delivery is :mod:`eros.notify`.

Clock: ``eros alerts evaluate --as-of`` and ``eros alerts send --now`` take a simulated
instant (naive UTC). The step after a job uses the wall clock, not the job's ``--as-of``:
job rows, alert times and acknowledgements are wall-clock times.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke, run_operation
from eros.errors import ErosRunError, ErosUsageError

EVALUATE_MACRO = "evaluate_alert_rules"
ALERTS_SELECTOR = "alerts"
NEEDS_BUILD_MARKER = "EROS_ALERTS_NEEDS_BUILD:"
# Set to 1 to skip the alerting step after jobs (same as `eros run --no-alerts`).
NO_ALERTS_ENV = "EROS_NO_ALERTS"
TS_FORMAT = "%Y-%m-%d %H:%M:%S"


def _payload(run: DbtRun, key: str) -> Any:
    for payload in reversed(run.payloads):
        if key in payload:
            return payload[key]
    return None


def build_alerting(*, project: Path, target: str, on_event: Callable[[DbtEvent], None] | None = None,
                   variables: Mapping[str, Any] | None = None) -> DbtRun:
    """``dbt build --selector alerts``: the rules seed, alert_rule_conditions and the alert
    tables (adds the alerting columns to an existing automation_alerts).

    Raises:
        ErosRunError: the build failed (first error line).
    """
    run = invoke(["build", "--selector", ALERTS_SELECTOR], project=project, target=target, variables=variables, on_event=on_event)
    if not run.ok:
        raise ErosRunError(f"dbt build --selector {ALERTS_SELECTOR} failed: {first_error_line(run) or 'see dbt log'}")
    return run


def _run_with_build(macro: str, args: Mapping[str, Any] | None, key: str, *, project: Path, target: str,
                    variables: Mapping[str, Any] | None = None, on_event: Callable[[DbtEvent], None] | None = None) -> Any:
    run = run_operation(macro, args, project=project, target=target, variables=variables)
    if not run.ok and any(NEEDS_BUILD_MARKER in e for e in run.errors):
        build_alerting(project=project, target=target, on_event=on_event, variables=variables)
        run = run_operation(macro, args, project=project, target=target, variables=variables)
    result = _payload(run, key)
    if not run.ok or result is None:
        raise ErosRunError(f"{macro} failed: {first_error_line(run) or 'no result'}")
    return result


def evaluate(*, project: Path, target: str, as_of: dt.datetime | None = None,
             on_event: Callable[[DbtEvent], None] | None = None, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate every rule at ``as_of`` and raise / resolve alerts
    (``dbt run-operation evaluate_alert_rules``; rules in macros/alerting/evaluate_alert_rules.sql).
    Builds the alerting tables first when they are missing.

    Args:
        project: dbt project directory.
        target: profile target.
        as_of: evaluation instant, naive UTC (None: var as_of_timestamp, else when dbt starts).
        on_event: progress callback for dbt events.
        variables: dbt vars (a job passes its own so dbt keeps its partial parse).

    Returns:
        ``{"as_of": str, "conditions": [per rule: rule_id, level, condition_status, holds,
        observed_value, threshold, unit, superseded_by, detail, ...], "raised": [alert_id,
        rule_id, level, adopted, message, ...], "cleared": int, "resolved": [alert_id]}``.

    Raises:
        ErosRunError: dbt failed.
    """
    args = {"as_of": as_of.strftime(TS_FORMAT)} if as_of is not None else None
    return _run_with_build(EVALUATE_MACRO, args, "alert_evaluation", project=project, target=target, variables=variables, on_event=on_event)


def list_alerts(*, project: Path, target: str, include_all: bool = False, limit: int = 200) -> dict[str, Any]:
    """Alerts, newest first: unresolved ones, or every status with ``include_all``.

    Returns:
        ``{"alerts": [alert rows], "deliveries": [alert_id, channel, delivery_kind, status, attempts]}``.

    Raises:
        ErosRunError: dbt failed.
    """
    return _run_with_build("eros_list_alerts", {"all_statuses": include_all, "limit": limit}, "alert_list", project=project, target=target)


def acknowledge(*, project: Path, target: str, alert_id: str, by: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """Acknowledge an alert (its id, or a unique prefix of 6+ characters). Stops its
    escalation; alerts that do not auto-resolve are resolved by it; an auto-resolving
    one stays OPEN (silencing its rule) until its condition clears.

    Returns:
        The alert row after acknowledgement, with ``changed`` (False when it was already acknowledged).

    Raises:
        ErosUsageError: empty name, unknown or ambiguous id.
        ErosRunError: dbt failed.
    """
    if not by.strip():
        raise ErosUsageError("--by must name who acknowledges the alert")
    stamp = (at or dt.datetime.now(dt.UTC).replace(tzinfo=None)).strftime(TS_FORMAT)
    result = _run_with_build("eros_ack_alert", {"alert_id": alert_id, "by": by.strip(), "at": stamp}, "alert_ack", project=project, target=target)
    if "error" in result:
        raise ErosUsageError(str(result["error"]))
    return result


def alerts_disabled(env: Mapping[str, str] | None = None) -> bool:
    """True when ``EROS_NO_ALERTS`` is set to something other than '' or '0'."""
    env = os.environ if env is None else env
    return env.get(NO_ALERTS_ENV, "") not in ("", "0")


def after_job(*, project: Path, target: str, on_event: Callable[[DbtEvent], None] | None = None,
              env: Mapping[str, str] | None = None, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The alerting step that ends every job (``eros run ...`` without ``--no-alerts``):
    evaluate the rules at the wall clock (not the job's --as-of), then send due alerts when
    at least one channel has a destination. ``variables`` are the job's dbt vars (same vars,
    so dbt reuses its partial parse). Never raises: a failure is reported in the result and
    does not change the job's outcome or exit code.

    Returns:
        ``{"evaluated": bool, "raised": [...], "resolved": int, "send": SendReport dict |
        None, "send_skipped": reason | None, "error": str | None}``.
    """
    from eros.notify import load_destinations, send_alerts

    result: dict[str, Any] = {"evaluated": False, "raised": [], "resolved": 0, "send": None, "send_skipped": None, "error": None}
    try:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        evaluation = evaluate(project=project, target=target, as_of=now, on_event=on_event, variables=variables)
        result.update(evaluated=True, raised=evaluation.get("raised", []), resolved=len(evaluation.get("resolved", [])))
        if not load_destinations(env, project):
            result["send_skipped"] = "no alert channel configured (EROS_ALERT_*_URL or EROS_ALERT_CONFIG)"
            return result
        from eros.locks import job_lock
        from eros.project import duckdb_path

        with job_lock(duckdb_path(project).parent / ".locks", "alerts_send", wait_seconds=120):
            result["send"] = send_alerts(project=project, target=target, now=now, env=env, variables=variables).to_dict()
    except (ErosRunError, ErosUsageError) as exc:
        result["error"] = str(exc)
    return result
