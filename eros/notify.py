"""Alert delivery (issue 7): Slack, Google Chat, email and PagerDuty through apprise.

What is sent, and when (DOMAIN.md "Alert rules"):

* every alert raised in the last ``alert_delivery_max_age_hours`` (dbt var, 24) that is
  OPEN and not acknowledged goes once to each channel of its rule (seed ``alert_rules``,
  column ``channels``) or, for an alert a job raised without a rule, to the var
  ``alert_default_channels`` (Slack and Google Chat);
* alerts whose ``alert_time`` lies within ``alert_batch_window_minutes`` (5) of a batch's
  first alert go out as ONE message per channel; identical messages in a batch are shown
  once with a count (duplicate suppression on top of the rules' cooldowns);
* a batch holding a CRITICAL alert mentions the channel on Slack (``<!channel>``);
* escalation rules (seed rows with ``rule_type = escalation``): an OPEN alert of the
  rule's level still unacknowledged ``threshold`` minutes after ``alert_time`` (and younger
  than ``window_minutes``) is sent once to the rule's channels: CRITICAL after 30 min to
  PagerDuty, WARNING after 120 min to email. Acknowledging (``eros alerts ack``) stops it.

Exactly-once as far as a webhook allows, recorded in the warehouse table
``alert_deliveries`` (one row per alert, channel and kind; key
``delivery_id = md5(alert_id|channel|kind)``):

1. read the outbox (:func:`read_outbox`: plain SQL on the warehouse, no dbt process);
2. rows still ``CLAIMED`` from an earlier send are turned ``UNCONFIRMED``: that send
   stopped after claiming, most likely between the HTTP call and recording its result,
   so the message probably arrived. They are NEVER re-sent (a duplicate page is worse
   than asking a person to check) and are reported;
3. per batch: its deliveries are written ``CLAIMED`` and committed BEFORE its HTTP call
   (in the same write that records the previous batch's result), then it is sent;
4. the last batch's ``SENT`` / ``FAILED`` (masked error) is recorded.
So a crash leaves at most the one batch that was in flight unconfirmed; batches after it
are still sent by the next run.
A ``FAILED`` delivery is retried by the next send while the alert is within its window.
One sender at a time (process lock ``alerts_send`` beside the warehouse).

Destinations come from the environment, never from the repo: ``EROS_ALERT_SLACK_URL``,
``EROS_ALERT_GCHAT_URL``, ``EROS_ALERT_EMAIL_URL``, ``EROS_ALERT_PAGERDUTY_URL`` (apprise
URLs, several separated by spaces), or a YAML file named by ``EROS_ALERT_CONFIG`` outside
the project (``channels: {slack: URL or [URLs], ...}``); the variables win. URLs hold
secrets (tokens, passwords): output and the ledger only ever show :func:`mask_url` forms.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from eros.core import TS_FORMAT
from eros.errors import ErosUsageError, file_problem
from eros.locks import job_lock
from eros.project import duckdb_path, project_vars
from eros.warehouse import Warehouse, connect, naive_utc, timestamp_text

CHANNELS = ("slack", "gchat", "email", "pagerduty")
CHANNEL_ENV = {channel: f"EROS_ALERT_{channel.upper()}_URL" for channel in CHANNELS}
CONFIG_ENV = "EROS_ALERT_CONFIG"
# Test hook: exit the process right after the first successful HTTP call, before the
# result is recorded (simulates a crash between send and record).
CRASH_ENV = "EROS_TEST_CRASH_AFTER_SEND"
CRASH_EXIT_CODE = 86
LEVEL_ORDER = {"CRITICAL": 0, "WARNING": 1, "INFO": 2}
MASK = "****"
RULES_TABLE = "alert_rules"
ALERTS_TABLE = "automation_alerts"
DELIVERIES_TABLE = "alert_deliveries"
# What creates the alerting tables when one is missing.
BUILD_HINT = "run a job first (`eros run daily`, or `dbt build --selector alerts`)"
DELIVERY_COLUMNS = (
    "delivery_id", "alert_id", "channel", "delivery_kind", "status", "attempts", "batch_id", "destination",
    "first_attempt_at", "last_attempt_at", "sent_at", "error_message",
)
# Process lock of a send (eros.locks), beside the warehouse.
SEND_LOCK = "alerts_send"
DELIVERY_TIMESTAMPS = ("first_attempt_at", "last_attempt_at", "sent_at")


# --- destinations and secrets -------------------------------------------------------


def mask_url(url: str) -> str:
    """A destination URL with every secret replaced by ``****``: the scheme, and the host
    only when it looks like a network host (has a dot, is ``localhost`` or an IP), kept so
    a person can tell destinations apart. ``slack://TOKEN_A/TOKEN_B/TOKEN_C`` ->
    ``slack://****``; ``json://u:p@127.0.0.1:8080/hook`` -> ``json://127.0.0.1:8080/****``.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return MASK
    authority, _, tail = rest.partition("/")
    authority, _, query = authority.partition("?")
    had_userinfo = "@" in authority
    hostport = authority.rsplit("@", 1)[-1]
    host = hostport.split(":", 1)[0]
    shown = hostport if host == "localhost" or "." in host or host.startswith("[") else MASK
    masked = f"{scheme}://{shown}"
    if had_userinfo and shown != MASK:
        masked = f"{scheme}://{MASK}@{shown}"
    if tail or query:
        masked += f"/{MASK}"
    return masked


def secret_fragments(url: str) -> list[str]:
    """Substrings of ``url`` that must never appear in output: the URL itself, its
    userinfo and password, path segments and query values of 4+ characters, and the host
    when :func:`mask_url` hides it. Longest first (for replacement)."""
    fragments = {url.strip()}
    _, sep, rest = url.strip().partition("://")
    if sep:
        authority, _, tail = rest.partition("/")
        authority, _, query = authority.partition("?")
        if "@" in authority:
            userinfo, hostport = authority.rsplit("@", 1)
            fragments.add(userinfo)
            fragments.update(part for part in userinfo.split(":") if len(part) >= 4)
        else:
            hostport = authority
        host = hostport.split(":", 1)[0]
        if not (host == "localhost" or "." in host or host.startswith("[")) and len(host) >= 4:
            fragments.add(host)
        tail, _, tail_query = tail.partition("?")
        fragments.update(segment for segment in re.split(r"[/,]", tail) if len(segment) >= 4)
        for pair in re.split(r"[&;]", "&".join(filter(None, [query, tail_query]))):
            value = pair.partition("=")[2]
            if len(value) >= 4:
                fragments.add(value)
    return sorted((f for f in fragments if f), key=len, reverse=True)


class Masker:
    """Replaces every secret fragment of the configured URLs in a text with ``****``."""

    def __init__(self, urls: list[str]) -> None:
        fragments: set[str] = set()
        for url in urls:
            fragments.update(secret_fragments(url))
        self._fragments = sorted(fragments, key=len, reverse=True)

    def __call__(self, text: str | None) -> str:
        """The text with secrets masked ('' for None)."""
        out = text or ""
        for fragment in self._fragments:
            out = out.replace(fragment, MASK)
        return out


def load_destinations(env: Mapping[str, str] | None = None, project: Path | None = None) -> dict[str, list[str]]:
    """Apprise URLs per channel: the YAML file ``EROS_ALERT_CONFIG`` (``channels: {slack:
    URL or [URLs], ...}``) overridden by ``EROS_ALERT_<CHANNEL>_URL`` variables (several
    URLs separated by whitespace). Channels without a destination are left out.

    Raises:
        ErosUsageError: the config file is missing, unreadable, inside the project
            (secrets stay out of the repo), or names an unknown channel.
    """
    env = os.environ if env is None else env
    destinations: dict[str, list[str]] = {}
    config_path = env.get(CONFIG_ENV, "").strip()
    if config_path:
        path = Path(config_path).expanduser().resolve()
        if project is not None and path.is_relative_to(project.resolve()):
            raise ErosUsageError(f"{CONFIG_ENV} points inside the project ({path}): keep alert destinations (secrets) outside the repo")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ErosUsageError(f"cannot read the {CONFIG_ENV} file {file_problem(exc, path)}") from None
        channels = data.get("channels", {}) if isinstance(data, dict) else None
        if not isinstance(channels, dict):
            raise ErosUsageError(f"{CONFIG_ENV} file {path} must hold a mapping 'channels: {{slack: URL, ...}}'")
        for channel, value in channels.items():
            if channel not in CHANNELS:
                raise ErosUsageError(f"{CONFIG_ENV} file {path}: unknown channel '{channel}' (known: {', '.join(CHANNELS)})")
            urls = [value] if isinstance(value, str) else list(value or [])
            if urls:
                destinations[channel] = [str(u).strip() for u in urls if str(u).strip()]
    for channel, name in CHANNEL_ENV.items():
        value = env.get(name, "").strip()
        if value:
            destinations[channel] = value.split()
    return {channel: urls for channel, urls in destinations.items() if urls}


# --- planning ---------------------------------------------------------------------------


def parse_ts(text: str | None) -> dt.datetime | None:
    """'YYYY-MM-DD HH:MM:SS' (the warehouse's text form) as a naive UTC datetime."""
    if not text:
        return None
    return dt.datetime.strptime(str(text)[:19].replace("T", " "), TS_FORMAT)


def delivery_id(alert_id: str, channel: str, kind: str) -> str:
    """Idempotency key of one delivery: md5 of ``alert_id|channel|kind``."""
    return hashlib.md5(f"{alert_id}|{channel}|{kind}".encode()).hexdigest()


@dataclasses.dataclass
class Batch:
    """One message to one channel.

    Attributes:
        channel: slack, gchat, email or pagerduty.
        kind: notify or escalation.
        alerts: the alert rows (outbox dicts), oldest first.
        batch_id: stable id (hash of channel, kind and alert ids).
        title: message title.
        body: message text (Slack CRITICAL batches start with ``<!channel>``).
        notify_type: apprise type: failure (CRITICAL), warning or info.
    """

    channel: str
    kind: str
    alerts: list[dict[str, Any]]
    batch_id: str
    title: str
    body: str
    notify_type: str


@dataclasses.dataclass
class Plan:
    """What a send at ``now`` does.

    Attributes:
        now: the decision instant (naive UTC).
        batches: messages to send, per configured channel.
        unconfirmed: CLAIMED ledger rows of an earlier, interrupted send (become UNCONFIRMED).
        no_destination: deliveries due on channels without a destination, per channel.
        retries: due deliveries that failed before (retried now).
    """

    now: dt.datetime
    batches: list[Batch]
    unconfirmed: list[dict[str, Any]]
    no_destination: dict[str, int]
    retries: int


def _short(alert_id: str) -> str:
    return alert_id[:12]


def _format_batch(channel: str, kind: str, alerts: list[dict[str, Any]], escalation: dict[str, Any] | None) -> tuple[str, str, str]:
    levels = sorted({a["alert_level"] for a in alerts}, key=lambda lv: LEVEL_ORDER.get(lv, 9))
    top = levels[0] if levels else "INFO"
    counts = ", ".join(f"{sum(1 for a in alerts if a['alert_level'] == lv)} {lv}" for lv in levels)
    if kind == "escalation":
        minutes = int(escalation["threshold"]) if escalation else 0
        title = f"eros ESCALATION: {counts} alert(s) unacknowledged for {minutes}+ min"
    else:
        title = f"eros {top}: {counts} alert(s)"
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for alert in alerts:
        grouped.setdefault((alert["alert_level"], alert["alert_message"]), []).append(alert)
    lines = []
    for (level, message), same in grouped.items():
        first = same[0]
        repeat = f" (x{len(same)})" if len(same) > 1 else ""
        lines.append(f"[{level}] {message} (alert {_short(first['alert_id'])}, {first['alert_time']} UTC, {first['alert_source']}){repeat}")
    body = "\n".join(lines)
    body += "\nAcknowledge: eros alerts ack <alert> --by <name>"
    if channel == "slack" and "CRITICAL" in levels:
        body = "<!channel> " + body
    notify_type = {"CRITICAL": "failure", "WARNING": "warning"}.get(top, "info")
    return title, body, notify_type


def plan_deliveries(outbox: Mapping[str, Any], destinations: Mapping[str, list[str]], now: dt.datetime) -> Plan:
    """Decide the messages of a send at ``now`` from the outbox (:func:`read_outbox`) and
    the configured destinations. Pure: no I/O.

    Rules: module docstring. Alert times and ``now`` are naive UTC.

    Returns:
        The :class:`Plan`.
    """
    rules = {r["rule_id"]: r for r in outbox.get("rules", [])}
    escalations = [r for r in rules.values() if r.get("rule_type") == "escalation" and r.get("enabled")]
    default_channels = [c for c in outbox.get("default_channels", ["slack", "gchat"]) if c]
    window = dt.timedelta(minutes=float(outbox.get("batch_window_minutes", 5)))
    max_age = dt.timedelta(hours=float(outbox.get("max_age_hours", 24)))
    ledger = {d["delivery_id"]: d for d in outbox.get("deliveries", [])}
    unconfirmed = [d for d in ledger.values() if d.get("status") == "CLAIMED"]
    due: dict[tuple[str, str], list[dict[str, Any]]] = {}
    escalation_of: dict[tuple[str, str], dict[str, Any]] = {}
    no_destination: dict[str, int] = {}
    retries = 0

    def _want(alert: dict[str, Any], channel: str, kind: str) -> None:
        nonlocal retries
        row = ledger.get(delivery_id(alert["alert_id"], channel, kind))
        if row is not None and row.get("status") != "FAILED":
            return  # SENT, CLAIMED (becomes UNCONFIRMED) or UNCONFIRMED: never again
        if channel not in destinations:
            no_destination[channel] = no_destination.get(channel, 0) + 1
            return
        retries += row is not None
        due.setdefault((channel, kind), []).append(alert)

    for alert in outbox.get("alerts", []):
        alert_time = parse_ts(alert["alert_time"])
        if alert_time is None or alert_time > now:
            continue
        if alert.get("acknowledged") or alert.get("status") != "OPEN":
            continue
        age = now - alert_time
        rule = rules.get(alert.get("rule_id") or "")
        channels = [c for c in str(rule["channels"]).split("|") if c] if rule else default_channels
        if age <= max_age:
            for channel in channels:
                _want(alert, channel, "notify")
        for escalation in escalations:
            if escalation["level"] != alert["alert_level"]:
                continue
            limit = dt.timedelta(minutes=float(escalation.get("window_minutes") or 1440))
            if dt.timedelta(minutes=float(escalation["threshold"])) <= age < limit:
                for channel in [c for c in str(escalation["channels"]).split("|") if c]:
                    _want(alert, channel, "escalation")
                    escalation_of[(alert["alert_id"], channel)] = escalation

    batches: list[Batch] = []
    for (channel, kind), alerts in sorted(due.items()):
        alerts = sorted(alerts, key=lambda a: (a["alert_time"], a["alert_id"]))
        groups: list[list[dict[str, Any]]] = []
        for alert in alerts:
            start = parse_ts(groups[-1][0]["alert_time"]) if groups else None
            if start is not None and parse_ts(alert["alert_time"]) < start + window:
                groups[-1].append(alert)
            else:
                groups.append([alert])
        for group in groups:
            ids = [a["alert_id"] for a in group]
            batch_id = hashlib.sha1("|".join([channel, kind, *ids]).encode()).hexdigest()[:16]
            escalation = escalation_of.get((ids[0], channel)) if kind == "escalation" else None
            title, body, notify_type = _format_batch(channel, kind, group, escalation)
            batches.append(Batch(channel, kind, group, batch_id, title, body, notify_type))
    return Plan(now=now, batches=batches, unconfirmed=unconfirmed, no_destination=no_destination, retries=retries)


# --- delivery ---------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _apprise_logs() -> Iterator[_Capture]:
    """Collect apprise's warnings (masked by the caller) instead of printing them."""
    logger = logging.getLogger("apprise")
    capture = _Capture()
    saved = (logger.propagate, logger.level)
    logger.addHandler(capture)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.propagate, logger.level = saved[0], saved[1]


def deliver(urls: list[str], title: str, body: str, notify_type: str) -> tuple[bool, str | None]:
    """Send one message to every URL of a channel with apprise.

    Returns:
        (ok, error): ok when every URL accepted it; error is apprise's own explanation
        (NOT masked: mask it before showing or storing it).
    """
    import apprise

    client = apprise.Apprise()
    bad = [url for url in urls if not client.add(url)]
    if bad:
        return False, f"{len(bad)} destination URL(s) not understood by apprise"
    with _apprise_logs() as capture:
        try:
            ok = bool(client.notify(title=title, body=body, notify_type=notify_type))
        except Exception as exc:  # noqa: BLE001 - a plugin error must not stop the other channels
            return False, f"{exc.__class__.__name__}: {exc}"
    if ok:
        return True, None
    return False, "; ".join(capture.messages[-3:]) or "the channel did not accept the message"


# --- the send -----------------------------------------------------------------------


@dataclasses.dataclass
class SendReport:
    """Outcome of ``eros alerts send``.

    Attributes:
        now: decision instant (ISO, UTC).
        dry_run: nothing was sent or written.
        destinations: configured channels with masked URLs.
        batches: per message: channel, kind, batch_id, alert ids, title, body, status
            (PLANNED / SENT / FAILED), masked error.
        sent: deliveries (alert x channel x kind) accepted.
        failed: deliveries that failed (retried by the next send).
        unconfirmed: deliveries left CLAIMED by an interrupted send (now UNCONFIRMED, not re-sent).
        no_destination: due deliveries per channel without a configured destination.
        retries: failed deliveries attempted again.
    """

    now: str
    dry_run: bool
    destinations: dict[str, list[str]]
    batches: list[dict[str, Any]]
    sent: int
    failed: int
    unconfirmed: list[dict[str, Any]]
    no_destination: dict[str, int]
    retries: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``--json``)."""
        return dataclasses.asdict(self)


def read_outbox(warehouse: Warehouse, now: dt.datetime, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What a send at ``now`` needs, read straight from the warehouse (no dbt): the rules
    (seed ``alert_rules``), the alerts raised since ``now - max(alert_delivery_max_age_hours,
    escalation windows)``, the ledger rows of those alerts, and every ``CLAIMED`` row (left by
    a send that stopped). SQL runs on DuckDB and BigQuery alike.

    Args:
        warehouse: an open connection.
        now: decision instant, naive UTC.
        settings: dbt vars (``alert_delivery_max_age_hours``, ``alert_default_channels``,
            ``alert_batch_window_minutes``), see :func:`eros.project.project_vars`.

    Returns:
        ``{"now", "since", "default_channels", "batch_window_minutes", "max_age_hours",
        "rules": [...], "alerts": [...], "deliveries": [...]}``, the input of :func:`plan_deliveries`
        (timestamps as ``YYYY-MM-DD HH:MM:SS`` text).

    Raises:
        ErosUsageError: an alerting table does not exist yet.
        ErosRunError: a query failed.
    """
    warehouse.require(RULES_TABLE, ALERTS_TABLE, DELIVERIES_TABLE, hint=BUILD_HINT)
    rules = warehouse.query(
        "select rule_id, rule_type, level, condition_source, threshold, window_minutes, cooldown_minutes, auto_resolve, "
        f"channels, enabled from {warehouse.table(RULES_TABLE)} order by rule_id"
    )
    max_age_hours = float(settings.get("alert_delivery_max_age_hours", 24))
    hours = [max_age_hours] + [
        float(r["window_minutes"]) / 60.0 for r in rules
        if r.get("rule_type") == "escalation" and r.get("enabled") and r.get("window_minutes") is not None
    ]
    since = now - dt.timedelta(hours=max(hours))
    alerts_table = warehouse.table(ALERTS_TABLE)
    alerts = warehouse.query(
        "select alert_id, alert_time, alert_level, alert_source, alert_message, job_id, rule_id, "
        "coalesce(status, 'OPEN') as status, coalesce(acknowledged, false) as acknowledged, acknowledged_at, acknowledged_by "
        f"from {alerts_table} where alert_time >= @since and alert_time <= @now order by alert_time, alert_id",
        {"since": since, "now": now},
    )
    deliveries = warehouse.query(
        f"select {', '.join(DELIVERY_COLUMNS)} from {warehouse.table(DELIVERIES_TABLE)} "
        f"where status = 'CLAIMED' or alert_id in (select alert_id from {alerts_table} where alert_time >= @since) "
        "order by delivery_id",
        {"since": since},
    )
    for row in alerts:
        row["alert_time"] = timestamp_text(row["alert_time"])
        row["acknowledged_at"] = timestamp_text(row["acknowledged_at"])
    for row in deliveries:
        for column in DELIVERY_TIMESTAMPS:
            row[column] = timestamp_text(row[column])
    return {
        "now": now.strftime(TS_FORMAT),
        "since": naive_utc(since).strftime(TS_FORMAT),
        "default_channels": list(settings.get("alert_default_channels") or ["slack", "gchat"]),
        "batch_window_minutes": settings.get("alert_batch_window_minutes", 5),
        "max_age_hours": max_age_hours,
        "rules": rules,
        "alerts": alerts,
        "deliveries": deliveries,
    }


def record_deliveries(warehouse: Warehouse, rows: list[Mapping[str, Any]]) -> int:
    """Upsert ledger rows (dicts with every column of ``alert_deliveries``; timestamps as
    ``YYYY-MM-DD HH:MM:SS`` text or None) in ONE ``MERGE`` on ``delivery_id``: a claim and the
    previous batch's result are committed together, or not at all.

    Returns:
        The number of rows written.

    Raises:
        ErosUsageError: alert_deliveries does not exist yet.
        ErosRunError: the statement failed (nothing was written).
    """
    if not rows:
        return 0
    warehouse.require(DELIVERIES_TABLE, hint=BUILD_HINT)
    types = {"attempts": "bigint", **{c: "timestamp" for c in DELIVERY_TIMESTAMPS}}
    params: dict[str, Any] = {}
    selects = []
    for index, row in enumerate(rows):
        values = dict(row, error_message=(str(row.get("error_message") or "")[:1000] or None), attempts=int(row.get("attempts") or 0))
        parts = []
        for column in DELIVERY_COLUMNS:
            name = f"r{index}_{column}"
            params[name] = values.get(column)
            parts.append(f"cast(@{name} as {types.get(column, 'string')}) as {column}")
        selects.append("select " + ", ".join(parts))
    updates = ", ".join(f"{c} = source.{c}" for c in DELIVERY_COLUMNS[1:])
    warehouse.execute(
        f"merge into {warehouse.table(DELIVERIES_TABLE)} as target using ({' union all '.join(selects)}) as source "
        f"on target.delivery_id = source.delivery_id when matched then update set {updates} "
        f"when not matched then insert ({', '.join(DELIVERY_COLUMNS)}) "
        f"values ({', '.join('source.' + c for c in DELIVERY_COLUMNS)})",
        params,
    )
    return len(rows)


def _ledger_row(existing: Mapping[str, Any] | None, alert_id: str, channel: str, kind: str, **values: Any) -> dict[str, Any]:
    row = {
        "delivery_id": delivery_id(alert_id, channel, kind),
        "alert_id": alert_id,
        "channel": channel,
        "delivery_kind": kind,
        "status": None,
        "attempts": int((existing or {}).get("attempts") or 0),
        "batch_id": (existing or {}).get("batch_id"),
        "destination": (existing or {}).get("destination"),
        "first_attempt_at": (existing or {}).get("first_attempt_at"),
        "last_attempt_at": (existing or {}).get("last_attempt_at"),
        "sent_at": (existing or {}).get("sent_at"),
        "error_message": (existing or {}).get("error_message"),
    }
    row.update(values)
    return row


def send_alerts(
    *,
    project: Path,
    target: str,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    variables: Mapping[str, Any] | None = None,
) -> SendReport:
    """``eros alerts send``: deliver due alerts and escalations (module docstring).

    Args:
        project: dbt project directory.
        target: profile target.
        now: decision instant, naive UTC (None: the wall clock). Ledger times use it too.
        dry_run: plan only: print what would go where (masked), write and send nothing.
        env: environment with the destinations (default os.environ).
        variables: dbt vars overriding dbt_project.yml's (alert_delivery_max_age_hours, ...).

    Returns:
        The :class:`SendReport`.

    One sender at a time: holds the process lock ``alerts_send`` beside the warehouse
    (waits up to 2 minutes for another sender).

    Raises:
        ErosUsageError: bad destination configuration.
        ErosUsageError: no warehouse or alerting tables yet.
        ErosRunError: another sender held the lock for 2 minutes.
        ErosRunError: the warehouse could not be read or the claim could not be recorded
            (then nothing was sent).
    """
    with job_lock(duckdb_path(project).parent / ".locks", SEND_LOCK, wait_seconds=120):
        return _send_alerts(project=project, target=target, now=now, dry_run=dry_run, env=env, variables=variables)


def _send_alerts(*, project: Path, target: str, now: dt.datetime | None, dry_run: bool, env: Mapping[str, str] | None,
                 variables: Mapping[str, Any] | None) -> SendReport:
    env = os.environ if env is None else env
    destinations = load_destinations(env, project)
    masker = Masker([url for urls in destinations.values() for url in urls])
    masked_destinations = {channel: [mask_url(u) for u in urls] for channel, urls in destinations.items()}
    now = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
    stamp = now.strftime(TS_FORMAT)
    with connect(project, target, read_only=True) as warehouse:
        outbox = read_outbox(warehouse, now, project_vars(project, variables))
    plan = plan_deliveries(outbox, destinations, now)
    ledger = {d["delivery_id"]: d for d in outbox.get("deliveries", [])}
    batches_out = [
        {
            "channel": b.channel, "kind": b.kind, "batch_id": b.batch_id, "alert_ids": [a["alert_id"] for a in b.alerts],
            "destinations": masked_destinations.get(b.channel, []), "title": masker(b.title), "body": masker(b.body),
            "status": "PLANNED", "error": None,
        }
        for b in plan.batches
    ]
    unconfirmed_out = [{"alert_id": d["alert_id"], "channel": d["channel"], "delivery_kind": d["delivery_kind"]} for d in plan.unconfirmed]
    report = SendReport(
        now=stamp, dry_run=dry_run, destinations=masked_destinations, batches=batches_out, sent=0, failed=0,
        unconfirmed=unconfirmed_out, no_destination=plan.no_destination, retries=plan.retries,
    )
    if dry_run:
        return report

    # Each batch is claimed (committed) right before its HTTP call, in the same write that
    # records the previous batch's result, so after a crash only the batch in flight is
    # CLAIMED (-> UNCONFIRMED, never re-sent) and later batches are still sent next time.
    pending: list[dict[str, Any]] = [
        _ledger_row(d, d["alert_id"], d["channel"], d["delivery_kind"], status="UNCONFIRMED",
                    error_message="an earlier send stopped between claiming and recording this delivery; not re-sent (check the channel)")
        for d in plan.unconfirmed
    ]
    crash = env.get(CRASH_ENV, "") not in ("", "0")

    def record(rows: list[dict[str, Any]]) -> None:
        # a connection per write: the DuckDB file is not held while the HTTP calls run
        with connect(project, target, read_only=False) as warehouse:
            record_deliveries(warehouse, rows)

    for batch, out in zip(plan.batches, batches_out, strict=True):
        destination = ", ".join(masked_destinations.get(batch.channel, []))
        claims = []
        for alert in batch.alerts:
            existing = ledger.get(delivery_id(alert["alert_id"], batch.channel, batch.kind))
            claims.append(_ledger_row(
                existing, alert["alert_id"], batch.channel, batch.kind, status="CLAIMED",
                attempts=int((existing or {}).get("attempts") or 0) + 1, batch_id=batch.batch_id, destination=destination,
                first_attempt_at=(existing or {}).get("first_attempt_at") or stamp, last_attempt_at=stamp, sent_at=None,
            ))
        record(pending + claims)
        ok, error = deliver(destinations[batch.channel], batch.title, batch.body, batch.notify_type)
        if crash and ok:
            os._exit(CRASH_EXIT_CODE)
        error = masker(error) if error else None
        out["status"] = "SENT" if ok else "FAILED"
        out["error"] = error
        pending = [dict(row, status="SENT" if ok else "FAILED", sent_at=stamp if ok else None, error_message=error) for row in claims]
        report.sent += len(batch.alerts) if ok else 0
        report.failed += 0 if ok else len(batch.alerts)
    if pending:
        record(pending)
    return report
