"""Unit tests of the delivery planner and secret masking (eros/notify.py, issue 7): pure
functions, no dbt. The end-to-end behaviour is in test_alert_delivery.py."""

from __future__ import annotations

import datetime as dt

import pytest

from eros.errors import ErosUsageError
from eros.notify import Masker, delivery_id, load_destinations, mask_url, plan_deliveries

NOW = dt.datetime(2026, 6, 17, 12, 0, 0)
RULES = [
    {"rule_id": "r_crit", "rule_type": "condition", "level": "CRITICAL", "channels": "slack|gchat", "enabled": True,
     "threshold": 28, "window_minutes": None},
    {"rule_id": "esc_crit", "rule_type": "escalation", "level": "CRITICAL", "channels": "pagerduty", "enabled": True,
     "threshold": 30, "window_minutes": 1440},
    {"rule_id": "esc_warn", "rule_type": "escalation", "level": "WARNING", "channels": "email", "enabled": True,
     "threshold": 120, "window_minutes": 1440},
]
ALL = {"slack": ["json://h.example/s"], "gchat": ["json://h.example/g"], "email": ["json://h.example/e"], "pagerduty": ["json://h.example/p"]}


def _alert(alert_id: str, minutes_ago: float, level: str = "WARNING", rule_id: str | None = None, **extra) -> dict:
    at = NOW - dt.timedelta(minutes=minutes_ago)
    row = {"alert_id": alert_id, "alert_time": at.strftime("%Y-%m-%d %H:%M:%S"), "alert_level": level, "alert_source": "test",
           "alert_message": f"message {alert_id}", "rule_id": rule_id, "status": "OPEN", "acknowledged": False}
    row.update(extra)
    return row


def _outbox(alerts, deliveries=()):
    return {"rules": RULES, "alerts": alerts, "deliveries": list(deliveries), "default_channels": ["slack", "gchat"],
            "batch_window_minutes": 5, "max_age_hours": 24}


def _summary(plan):
    return [(b.channel, b.kind, [a["alert_id"] for a in b.alerts]) for b in plan.batches]


def test_batches_split_at_five_minutes_per_channel_and_mention_only_critical_on_slack():
    alerts = [_alert("a", 20, "CRITICAL", "r_crit"), _alert("b", 16), _alert("c", 15.5), _alert("d", 14)]
    plan = plan_deliveries(_outbox(alerts), {"slack": ALL["slack"], "gchat": ALL["gchat"]}, NOW)
    # a at -20, b at -16 (4 min later), c at -15.5: within 5 min of a; d at -14 is 6 min after a
    assert _summary(plan) == [("gchat", "notify", ["a", "b", "c"]), ("gchat", "notify", ["d"]),
                              ("slack", "notify", ["a", "b", "c"]), ("slack", "notify", ["d"])]
    slack = [b for b in plan.batches if b.channel == "slack"]
    assert slack[0].body.startswith("<!channel> ") and not slack[1].body.startswith("<!channel>")
    assert not any(b.body.startswith("<!channel>") for b in plan.batches if b.channel == "gchat")
    assert slack[0].notify_type == "failure" and slack[1].notify_type == "warning"


def test_identical_messages_in_a_batch_are_shown_once_with_a_count():
    alerts = [_alert("x1", 3, alert_message="disk full"), _alert("x2", 2, alert_message="disk full")]
    plan = plan_deliveries(_outbox(alerts), {"slack": ALL["slack"]}, NOW)
    (batch,) = plan.batches
    assert batch.body.count("disk full") == 1 and "(x2)" in batch.body


@pytest.mark.parametrize(("minutes", "expected"), [(29.9, []), (30, ["pagerduty"]), (1439, ["pagerduty"]), (1441, [])])
def test_critical_escalates_to_pagerduty_from_30_minutes_within_its_window(minutes, expected):
    plan = plan_deliveries(_outbox([_alert("c", minutes, "CRITICAL", "r_crit")]), {"pagerduty": ALL["pagerduty"]}, NOW)
    assert [b.channel for b in plan.batches if b.kind == "escalation"] == expected


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, ["email"]), ({"acknowledged": True}, []), ({"status": "RESOLVED"}, []),
])
def test_warning_escalates_to_email_after_120_minutes_unless_acknowledged_or_resolved(extra, expected):
    plan = plan_deliveries(_outbox([_alert("w", 121, **extra)]), {"email": ALL["email"]}, NOW)
    assert [b.channel for b in plan.batches] == expected
    early = plan_deliveries(_outbox([_alert("w", 119)]), {"email": ALL["email"]}, NOW)
    assert early.batches == []


def test_ledger_states_decide_what_is_sent_again():
    alert = _alert("a", 10)
    ledger = [
        {"delivery_id": delivery_id("a", "slack", "notify"), "alert_id": "a", "channel": "slack", "delivery_kind": "notify", "status": "SENT"},
        {"delivery_id": delivery_id("a", "gchat", "notify"), "alert_id": "a", "channel": "gchat", "delivery_kind": "notify", "status": "FAILED"},
    ]
    plan = plan_deliveries(_outbox([alert], ledger), ALL, NOW)
    assert _summary(plan) == [("gchat", "notify", ["a"])] and plan.retries == 1
    claimed = [dict(ledger[1], status="CLAIMED")]
    plan = plan_deliveries(_outbox([alert], [ledger[0], *claimed]), ALL, NOW)
    assert plan.batches == [] and [d["channel"] for d in plan.unconfirmed] == ["gchat"]


def test_unconfigured_channels_are_counted_and_old_alerts_not_sent():
    plan = plan_deliveries(_outbox([_alert("a", 10), _alert("old", 25 * 60)]), {"slack": ALL["slack"]}, NOW)
    assert _summary(plan) == [("slack", "notify", ["a"])]
    assert plan.no_destination == {"gchat": 1}


@pytest.mark.parametrize(("url", "masked"), [
    ("slack://T0AAA/B0BBB/XXXXCCCC", "slack://****/****"),
    ("json://user:pa55word@127.0.0.1:8080/hooks/abc123", "json://****@127.0.0.1:8080/****"),
    ("mailto://alerts:app-pass@gmail.com?to=oncall@example.com", "mailto://****@gmail.com/****"),
    ("pagerduty://integrationKEY@apiKEY123", "pagerduty://****"),
    ("gchat://workspace/key/token", "gchat://****/****"),
])
def test_mask_url_hides_every_secret(url, masked):
    assert mask_url(url) == masked
    text = f"failed to reach {url} (token in path)"
    assert url not in Masker([url])(text)
    for secret in ("pa55word", "abc123", "app-pass", "integrationKEY", "apiKEY123", "XXXXCCCC", "token"):
        if secret in url:
            assert secret not in Masker([url])(text)


def test_destinations_from_env_override_a_config_file_outside_the_repo(tmp_path):
    config = tmp_path / "alerts.yml"
    config.write_text("channels:\n  slack: json://file.example/s\n  email: [mailto://a:b@c.example]\n")
    found = load_destinations({"EROS_ALERT_CONFIG": str(config), "EROS_ALERT_SLACK_URL": "json://env.example/s1 json://env.example/s2"})
    assert found == {"slack": ["json://env.example/s1", "json://env.example/s2"], "email": ["mailto://a:b@c.example"]}
    inside = tmp_path / "repo"
    inside.mkdir()
    (inside / "alerts.yml").write_text("channels: {slack: x}\n")
    with pytest.raises(ErosUsageError, match="outside the repo"):
        load_destinations({"EROS_ALERT_CONFIG": str(inside / "alerts.yml")}, project=inside)
    config.write_text("channels:\n  sms: x\n")
    with pytest.raises(ErosUsageError, match="unknown channel"):
        load_destinations({"EROS_ALERT_CONFIG": str(config)})
