"""Alert rules: evaluation, listing, acknowledgement, and the delivery step after every job (issue 7).

All decisions about raising and resolving alerts are made inside dbt (the run-operation
``evaluate_alert_rules``, macros/alerting/), so a dbt Cloud job ending with
``dbt run-operation evaluate_alert_rules`` raises exactly what ``eros run`` raises. This
module runs that evaluation; listing and acknowledging read and write the warehouse
directly (no dbt process, :mod:`eros.warehouse`); delivery is :mod:`eros.notify`.
:func:`eros.job_alerts.run_job_with_alerts` is ``eros run <job>``: the job's one dbt build
(whose on-run-end evaluates the rules, issue 11), then :func:`deliver_after_job`.

Clock: ``eros alerts evaluate --as-of`` and ``eros alerts send --now`` take a simulated
instant (naive UTC). The step after a job uses the job's clock: its ``--as-of`` instant when
it has one (job rows and alert times are then that instant too, issue 13 "one clock"), else
the wall clock. Acknowledgements are wall-clock times.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eros.core import TS_FORMAT
from eros.dbt_invoke import DbtEvent, DbtRun, first_error_line, invoke, run_operation
from eros.errors import ErosRunError, ErosUsageError
from eros.notify import ALERTS_TABLE, BUILD_HINT, DELIVERIES_TABLE, RULES_TABLE, load_destinations, send_alerts
from eros.warehouse import Warehouse, connect, timestamp_text

EVALUATE_MACRO = "evaluate_alert_rules"
ALERTS_SELECTOR = "alerts"
NEEDS_BUILD_MARKER = "EROS_ALERTS_NEEDS_BUILD:"
# Set to 1 to skip the alerting step after jobs (same as `eros run --no-alerts`).
NO_ALERTS_ENV = "EROS_NO_ALERTS"


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
        rule_id, level, adopted, message, ...], "cleared": int, "resolved": [alert_id], "superseded": [alert_id]}``.

    Raises:
        ErosRunError: dbt failed.
    """
    args = {"as_of": as_of.strftime(TS_FORMAT)} if as_of is not None else None
    return _run_with_build(EVALUATE_MACRO, args, "alert_evaluation", project=project, target=target, variables=variables, on_event=on_event)


LIST_COLUMNS = (
    "alert_id", "alert_time", "alert_level", "alert_source", "alert_message", "job_id", "rule_id", "status",
    "acknowledged", "acknowledged_by", "acknowledged_at", "resolved_at", "condition_value", "condition_threshold",
)


def read_alerts(warehouse: Warehouse, *, include_all: bool = False, limit: int = 200) -> dict[str, Any]:
    """Alerts, newest first, read without dbt: unresolved ones, or every status with
    ``include_all``, at most ``limit``, and the delivery ledger rows of those alerts.
    Columns added by later versions (status, rule columns) read as their defaults when an
    older automation_alerts lacks them.

    Returns:
        ``{"alerts": [alert_id, alert_time, alert_level, alert_source, alert_message, job_id,
        rule_id, status, acknowledged, acknowledged_by, acknowledged_at, resolved_at,
        condition_value, condition_threshold], "deliveries": [alert_id, channel,
        delivery_kind, status, attempts]}``; timestamps as ``YYYY-MM-DD HH:MM:SS`` UTC text.

    Raises:
        ErosUsageError: automation_alerts does not exist yet.
        ErosRunError: a query failed.
    """
    warehouse.require(ALERTS_TABLE, hint=BUILD_HINT)
    present = set(warehouse.columns(ALERTS_TABLE))
    where = "where coalesce(status, 'OPEN') = 'OPEN'" if not include_all and "status" in present else ""
    rows = warehouse.query(
        f"select * from {warehouse.table(ALERTS_TABLE)} {where} order by alert_time desc, alert_id limit {int(limit)}"
    )
    alerts = []
    for row in rows:
        alert = {column: row.get(column) for column in LIST_COLUMNS}
        alert["status"] = alert["status"] or "OPEN"
        alert["acknowledged"] = bool(alert["acknowledged"])
        for column in ("alert_time", "acknowledged_at", "resolved_at"):
            alert[column] = timestamp_text(alert[column])
        alerts.append(alert)
    deliveries: list[dict[str, Any]] = []
    if alerts and warehouse.exists(DELIVERIES_TABLE):
        ids = {f"a{i}": a["alert_id"] for i, a in enumerate(alerts)}
        deliveries = warehouse.query(
            f"select alert_id, channel, delivery_kind, status, attempts from {warehouse.table(DELIVERIES_TABLE)} "
            f"where alert_id in ({', '.join('@' + name for name in ids)}) order by alert_id, channel, delivery_kind",
            ids,
        )
    return {"alerts": alerts, "deliveries": deliveries}


def list_alerts(*, project: Path, target: str, include_all: bool = False, limit: int = 200) -> dict[str, Any]:
    """``eros alerts list``: :func:`read_alerts` on a read-only connection (no dbt process).

    Raises:
        ErosUsageError: no warehouse or no alerts table yet.
        ErosRunError: the warehouse could not be read.
    """
    with connect(project, target, read_only=True) as warehouse:
        return read_alerts(warehouse, include_all=include_all, limit=limit)


def acknowledge_in(warehouse: Warehouse, *, alert_id: str, by: str, at: dt.datetime) -> dict[str, Any]:
    """Acknowledge one alert on an open (writable) connection; see :func:`acknowledge`.

    Raises:
        ErosUsageError: unknown or ambiguous id, no alerts table yet.
        ErosRunError: a statement failed.
    """
    warehouse.require(ALERTS_TABLE, hint=BUILD_HINT)
    key = alert_id.strip().lower()
    alerts = warehouse.table(ALERTS_TABLE)
    if warehouse.exists(RULES_TABLE):
        auto_resolve = "coalesce(rules.auto_resolve, false)"
        join = f"left join {warehouse.table(RULES_TABLE)} as rules on alerts.rule_id = rules.rule_id"
    else:
        auto_resolve, join = "false", ""
    found = warehouse.query(
        "select alerts.alert_id, alerts.alert_level, alerts.alert_message, alerts.rule_id, "
        "coalesce(alerts.status, 'OPEN') as status, coalesce(alerts.acknowledged, false) as acknowledged, "
        f"alerts.acknowledged_by, alerts.acknowledged_at, {auto_resolve} as auto_resolve "
        f"from {alerts} as alerts {join} "
        "where alerts.alert_id = @key or (@prefix_ok and alerts.alert_id like @prefix)",
        {"key": key, "prefix_ok": len(key) >= 6, "prefix": key + "%"},
    )
    exact = [row for row in found if row["alert_id"] == key]
    found = exact or found
    if not found and len(key) < 6:
        raise ErosUsageError(f"no alert with id '{key}': an id prefix needs at least 6 characters "
                             "(the id column of `eros alerts list` shows 12)")
    if not found:
        raise ErosUsageError(f"no alert with id or id prefix '{key}': `eros alerts list --all` shows the ids")
    if len(found) > 1:
        raise ErosUsageError(f"alert id prefix {key} matches {len(found)} alerts; give more characters")
    alert = found[0]
    alert["acknowledged"] = bool(alert["acknowledged"])
    alert["auto_resolve"] = bool(alert["auto_resolve"])
    alert["acknowledged_at"] = timestamp_text(alert["acknowledged_at"])
    changed = not alert["acknowledged"]
    if changed:
        resolves = not alert["auto_resolve"] and alert["status"] == "OPEN"
        resolution = ", status = 'RESOLVED', resolved_at = @at" if resolves else ""
        warehouse.execute(
            f"update {alerts} set acknowledged = true, acknowledged_at = @at, acknowledged_by = @by{resolution} where alert_id = @id",
            {"at": at, "by": by, "id": alert["alert_id"]},
        )
        alert.update(acknowledged=True, acknowledged_by=by, acknowledged_at=at.strftime(TS_FORMAT),
                     status="RESOLVED" if resolves else alert["status"])
    alert["changed"] = changed
    return alert


def acknowledge(*, project: Path, target: str, alert_id: str, by: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """Acknowledge an alert (its id, or a unique prefix of 6+ characters), straight in the
    warehouse (no dbt process). Stops its escalation; alerts that do not auto-resolve (job
    alerts, rules with auto_resolve false) are resolved by it; an auto-resolving one stays
    OPEN (silencing its rule) until its condition clears. Idempotent.

    Returns:
        The alert row after acknowledgement (alert_id, alert_level, alert_message, rule_id,
        status, acknowledged, acknowledged_by, acknowledged_at, auto_resolve), with
        ``changed`` (False when it was already acknowledged).

    Raises:
        ErosUsageError: empty name, unknown or ambiguous id, no warehouse or alerts table yet.
        ErosRunError: the warehouse could not be written.
    """
    if not by.strip():
        raise ErosUsageError("--by must name who acknowledges the alert")
    moment = (at or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
    with connect(project, target, read_only=False) as warehouse:
        return acknowledge_in(warehouse, alert_id=alert_id, by=by.strip(), at=moment)


def alerts_disabled(env: Mapping[str, str] | None = None) -> bool:
    """True when ``EROS_NO_ALERTS`` is set to something other than '' or '0'."""
    env = os.environ if env is None else env
    return env.get(NO_ALERTS_ENV, "") not in ("", "0")


def deliver_after_job(*, project: Path, target: str, env: Mapping[str, str] | None = None,
                      variables: Mapping[str, Any] | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The delivery step after a job whose build already evaluated the alert rules
    (on-run-end, issue 11): send due alerts when at least one channel has a destination.
    Never raises. ``now`` (naive UTC) is the job's as_of instant when it has one (one clock,
    issue 13: deliveries are decided and recorded at that instant), else the wall clock.

    Returns:
        ``{"send": SendReport dict | None, "send_skipped": reason | None, "error": str | None}``.
    """
    result: dict[str, Any] = {"send": None, "send_skipped": None, "error": None}
    try:
        if not load_destinations(env, project):
            result["send_skipped"] = "no alert channel configured (EROS_ALERT_*_URL or EROS_ALERT_CONFIG)"
            return result
        moment = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
        result["send"] = send_alerts(project=project, target=target, now=moment, env=env, variables=variables).to_dict()
    except (ErosRunError, ErosUsageError) as exc:
        result["error"] = str(exc)
    return result

