"""Alert delivery through apprise to a loopback webhook receiver (issue 7): batching,
Slack channel mention, escalation timing on a simulated clock (--now), acknowledgement,
no duplicate after a crash between send and record, retry of a failed delivery, masked
secrets in --dry-run, and the alerting step at the end of a job."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alerting_helpers import (
    alerting_template,
    closed_port,
    copy_template,
    insert_daily_run,
    insert_job_alert,
    ts,
    webhook_receiver,
)

T = dt.datetime(2026, 6, 17, 11, 0, 0)


@pytest.fixture(scope="module")
def template(tmp_path_factory, dbt_state_dir):
    return alerting_template(tmp_path_factory, dbt_state_dir)


@pytest.fixture
def alerting(template, eros_env):
    return copy_template(template, eros_env)


@pytest.fixture
def receiver():
    with webhook_receiver() as server:
        yield server


def _channels_env(env: dict[str, str], receiver, **overrides: str) -> dict[str, str]:
    out = dict(env)
    out.update({
        "EROS_ALERT_SLACK_URL": receiver.url("slack"),
        "EROS_ALERT_GCHAT_URL": receiver.url("gchat"),
        "EROS_ALERT_EMAIL_URL": receiver.url("email"),
        "EROS_ALERT_PAGERDUTY_URL": receiver.url("pagerduty"),
    })
    out.update(overrides)
    return out


def _send(run_eros, env, now: dt.datetime, *extra: str):
    proc = run_eros("alerts", "send", "--now", ts(now), "--json", *extra, env=env)
    report = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc, report


def _raise_not_run_critical(env, run_eros) -> str:
    """A daily run 30 h before T: the 28 h rule raises one CRITICAL alert at T."""
    insert_daily_run(env, "old-run", T - dt.timedelta(hours=30), T - dt.timedelta(hours=30) + dt.timedelta(minutes=5), "SUCCESS")
    proc = run_eros("alerts", "evaluate", "--as-of", ts(T), "--json")
    assert proc.returncode == 0, proc.stderr
    raised = json.loads(proc.stdout)["raised"]
    assert [(a["rule_id"], a["level"]) for a in raised] == [("daily_automation_not_run", "CRITICAL")]
    return raised[0]["alert_id"]


def test_batches_mention_escalate_on_time_and_stop_after_ack(alerting, run_eros, receiver, warehouse):
    env = _channels_env(alerting, receiver)
    critical = _raise_not_run_critical(alerting, run_eros)
    insert_job_alert(alerting, "warn-1", T + dt.timedelta(minutes=2), "WARNING", "lock_cleanup", "Lock sweep cleaned 1,500 locks")
    insert_job_alert(alerting, "warn-2", T + dt.timedelta(minutes=9), "WARNING", "lock_cleanup", "Lock sweep cleaned 1,700 locks")

    # T+10: the CRITICAL and warn-1 (2 min apart) go out as one message per channel,
    # warn-2 (9 min after the first) as a second one
    proc, report = _send(run_eros, env, T + dt.timedelta(minutes=10))
    assert proc.returncode == 0, proc.stderr
    assert report["sent"] == 6 and report["failed"] == 0
    slack, gchat = receiver.on("/slack"), receiver.on("/gchat")
    assert len(slack) == len(gchat) == 2
    assert slack[0]["message"].startswith("<!channel> ") and "<!channel>" not in gchat[0]["message"]
    for body in (slack[0], gchat[0]):
        assert critical[:12] in body["message"] and "warn-1" in body["message"] and "warn-2" not in body["message"]
        assert body["type"] == "failure" and "CRITICAL" in body["title"] and "1 WARNING" in body["title"]
        assert "Daily automation has not completed a run started in the last 28 h" in body["message"]
    for body in (slack[1], gchat[1]):  # no mention for a WARNING-only batch
        assert body["message"].startswith("[WARNING] Lock sweep cleaned 1,700 locks") and body["type"] == "warning"

    # nothing new: nothing sent; the CRITICAL is not escalated before 30 min
    _, quiet = _send(run_eros, env, T + dt.timedelta(minutes=29))
    assert quiet["batches"] == [] and len(receiver.requests) == 4

    # T+31: the unacknowledged CRITICAL is escalated to PagerDuty
    _send(run_eros, env, T + dt.timedelta(minutes=31))
    (page,) = receiver.on("/pagerduty")
    assert "ESCALATION" in page["title"] and critical[:12] in page["message"] and page["type"] == "failure"

    # warn-2 is acknowledged; at T+2h10 only warn-1 (128 min unacknowledged) goes to email
    ack = run_eros("alerts", "ack", "warn-2", "--by", "ana", env=env)
    assert ack.returncode == 0, ack.stderr
    _send(run_eros, env, T + dt.timedelta(hours=2, minutes=10))
    (mail,) = receiver.on("/email")
    assert "warn-1" in mail["message"] and "warn-2" not in mail["message"] and mail["type"] == "warning"
    assert len(receiver.on("/pagerduty")) == 1 and len(receiver.requests) == 6  # escalated once

    ledger = warehouse("select alert_id, channel, delivery_kind, status, attempts from eros.alert_deliveries order by 1, 2, 3")
    assert ledger == sorted([
        (critical, "gchat", "notify", "SENT", 1), (critical, "pagerduty", "escalation", "SENT", 1), (critical, "slack", "notify", "SENT", 1),
        ("warn-1", "email", "escalation", "SENT", 1), ("warn-1", "gchat", "notify", "SENT", 1), ("warn-1", "slack", "notify", "SENT", 1),
        ("warn-2", "gchat", "notify", "SENT", 1), ("warn-2", "slack", "notify", "SENT", 1),
    ])
    listed = json.loads(run_eros("alerts", "list", "--json", env=env).stdout)
    assert {a["alert_id"] for a in listed["alerts"]} == {critical, "warn-1"}  # warn-2 resolved by its ack


def test_crash_between_send_and_record_does_not_send_twice(alerting, run_eros, receiver, warehouse):
    env = _channels_env(alerting, receiver)
    critical = _raise_not_run_critical(alerting, run_eros)
    crashing = dict(env, EROS_TEST_CRASH_AFTER_SEND="1")
    proc, _ = _send(run_eros, crashing, T + dt.timedelta(minutes=1))
    assert proc.returncode == 86, proc.stderr  # exited right after the first HTTP call (gchat: batches go in channel order)
    assert len(receiver.on("/gchat")) == 1 and receiver.on("/slack") == []
    assert warehouse("select channel, status from eros.alert_deliveries") == [("gchat", "CLAIMED")]

    proc, report = _send(run_eros, env, T + dt.timedelta(minutes=2))
    assert proc.returncode == 0, proc.stderr
    assert report["unconfirmed"] == [{"alert_id": critical, "channel": "gchat", "delivery_kind": "notify"}]
    assert len(receiver.on("/gchat")) == 1, "the claimed-but-unconfirmed delivery must not be sent again"
    assert len(receiver.on("/slack")) == 1, "the batch after the crash is still delivered"
    assert warehouse("select channel, status from eros.alert_deliveries order by 1") == [("gchat", "UNCONFIRMED"), ("slack", "SENT")]

    _, last = _send(run_eros, env, T + dt.timedelta(minutes=3))
    assert last["batches"] == [] and last["unconfirmed"] == [] and len(receiver.requests) == 2


def test_dry_run_masks_secrets_and_a_failed_delivery_is_retried(alerting, run_eros, receiver, warehouse):
    secrets = ("Sup3rSecretPW", "TSECRET123", "BSECRET456", "GCHATKEY789")
    dead = closed_port()
    env = dict(alerting)
    env["EROS_ALERT_SLACK_URL"] = f"json://alerts:{secrets[0]}@127.0.0.1:{dead}/hooks/{secrets[1]}/{secrets[2]}"
    env["EROS_ALERT_GCHAT_URL"] = receiver.url(f"gchat/{secrets[3]}")
    _raise_not_run_critical(alerting, run_eros)

    for extra in ((), ("--json",)):
        proc = run_eros("alerts", "send", "--dry-run", "--now", ts(T + dt.timedelta(minutes=1)), *extra, env=env)
        assert proc.returncode == 0, proc.stderr
        output = proc.stdout + proc.stderr
        assert not [s for s in secrets if s in output], output
        assert f"json://****@127.0.0.1:{dead}/****" in output and f"json://127.0.0.1:{receiver.port}/****" in output
        assert "would send" in output or '"dry_run": true' in output
    assert receiver.requests == [] and warehouse("select count(*) from eros.alert_deliveries") == [(0,)]

    proc, report = _send(run_eros, env, T + dt.timedelta(minutes=1))
    assert proc.returncode == 1  # a delivery failed
    assert report["sent"] == 1 and report["failed"] == 1
    failed = next(b for b in report["batches"] if b["channel"] == "slack")
    assert failed["status"] == "FAILED" and failed["error"]
    assert not [s for s in secrets if s in proc.stdout + proc.stderr]
    assert warehouse("select channel, status, attempts from eros.alert_deliveries order by 1") == [("gchat", "SENT", 1), ("slack", "FAILED", 1)]
    stored = warehouse("select coalesce(error_message, '') || destination from eros.alert_deliveries")
    assert not [s for s in secrets for (text,) in stored if s in text]

    env["EROS_ALERT_SLACK_URL"] = receiver.url("slack")
    proc, report = _send(run_eros, env, T + dt.timedelta(minutes=20))
    assert proc.returncode == 0 and report["retries"] == 1 and report["sent"] == 1
    assert len(receiver.on("/slack")) == 1 and len(receiver.on("/gchat")) == 1
    assert warehouse("select channel, status, attempts from eros.alert_deliveries order by 1") == [("gchat", "SENT", 1), ("slack", "SENT", 2)]


def test_every_job_ends_with_the_alerting_step_unless_no_alerts(generate, run_eros, receiver, eros_env, warehouse):
    from alerting_helpers import execute

    generate(pages=6, days=20)
    env = _channels_env(eros_env, receiver)
    proc = run_eros("run", "lock-sweep", "--no-alerts", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["alerting"] is None
    # a daily run 40 h ago (wall clock): the 28 h rule holds when the next job ends
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    execute(eros_env, "delete from eros.etl_job_runs where job_name = 'daily_automation'")
    insert_daily_run(eros_env, "old-daily", now - dt.timedelta(hours=40), now - dt.timedelta(hours=40) + dt.timedelta(minutes=3), "SUCCESS")
    proc = run_eros("run", "lock-sweep", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    alerting = json.loads(proc.stdout)["alerting"]
    assert alerting["error"] is None and alerting["evaluated"]
    raised = {a["rule_id"]: a for a in alerting["raised"]}
    assert "daily_automation_not_run" in raised  # (the sweeps may also trip lock_cleanup_volume_high)
    assert alerting["send"]["failed"] == 0 and alerting["send"]["sent"] >= 2
    critical_id = raised["daily_automation_not_run"]["alert_id"][:12]
    for channel in ("/slack", "/gchat"):  # the rule's channels, one batch each
        (body,) = [b for b in receiver.on(channel) if critical_id in b["message"]]
        assert body["message"].startswith("<!channel> ") == (channel == "/slack")
    assert receiver.on("/pagerduty") == [] and receiver.on("/email") == []
