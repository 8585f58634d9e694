"""Alert rule evaluation in the warehouse on a simulated clock (issue 7): cooldown, the
no-storm bound, auto-resolve, adoption of the job's own alert, acknowledgement.

The rows the rules read are written directly into etl_job_runs / automation_alerts at
chosen instants, then `eros alerts evaluate --as-of` runs the real run-operation."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from alerting_helpers import alerting_template, copy_template, execute, insert_daily_run, insert_job_alert, ts

T0 = dt.datetime(2026, 6, 17, 10, 0, 0)
NOT_RUN = "daily_automation_not_run"
FAILED = "daily_automation_failed"


@pytest.fixture(scope="module")
def template(tmp_path_factory, dbt_state_dir):
    return alerting_template(tmp_path_factory, dbt_state_dir)


@pytest.fixture
def alerting(template, eros_env):
    return copy_template(template, eros_env)


def _evaluate(run_eros, at: dt.datetime) -> dict:
    proc = run_eros("alerts", "evaluate", "--as-of", ts(at), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _condition(result: dict, rule_id: str) -> dict:
    return next(c for c in result["conditions"] if c["rule_id"] == rule_id)


def test_seed_ships_the_fourteen_rules_with_info_disabled(alerting, warehouse):
    rules = warehouse("select rule_id, rule_type, level, cooldown_minutes, auto_resolve, enabled from eros.alert_rules order by rule_id")
    assert len(rules) == 14
    by_type = {}
    for rule_id, rule_type, level, _, _, enabled in rules:
        by_type.setdefault((rule_type, level), []).append((rule_id, enabled))
    assert len(by_type[("condition", "CRITICAL")]) == 4
    # DOMAIN.md's 5 and the data-quality rules of issue 13
    assert len(by_type[("condition", "WARNING")]) == 7
    assert {"reference_data_quarantined", "non_canonical_page_handles"} <= {r for r, _ in by_type[("condition", "WARNING")]}
    assert by_type[("condition", "INFO")] == [("daily_automation_succeeded", False)]
    assert {r for r, _ in by_type[("escalation", "CRITICAL")] + by_type[("escalation", "WARNING")]} == {
        "escalate_unacknowledged_critical", "escalate_unacknowledged_warning"}
    auto = {r[0] for r in rules if r[4]}
    assert auto == {"caption_feedback_stale_critical", NOT_RUN}  # DOMAIN.md: only these two auto-resolve


def test_cooldown_caps_repeats_at_ceil_24h_over_cooldown_and_auto_resolve_closes_them(alerting, run_eros, warehouse):
    insert_daily_run(alerting, "run-1", T0, T0 + dt.timedelta(minutes=5), "SUCCESS")
    quiet = _evaluate(run_eros, T0 + dt.timedelta(hours=27))
    assert quiet["raised"] == []
    assert _condition(quiet, NOT_RUN)["condition_status"] == "CLEAR"
    assert _condition(quiet, NOT_RUN)["observed_value"] == pytest.approx(27.0)

    # the condition holds from 28 h after the run's start. The seed's cooldown (180 min)
    # is set to 480 min here so a 24 h stretch takes few evaluations: the bound is
    # ceil(24 h / cooldown) whatever the cooldown
    assert warehouse(f"select cooldown_minutes from eros.alert_rules where rule_id = '{NOT_RUN}'") == [(180,)]
    execute(alerting, f"update eros.alert_rules set cooldown_minutes = 480 where rule_id = '{NOT_RUN}'")
    start = T0 + dt.timedelta(hours=28, minutes=1)
    offsets = [0, 479, 480, 960, 1439]  # minutes into a 24 h stretch of holding
    raised_at = []
    for minutes in offsets:
        result = _evaluate(run_eros, start + dt.timedelta(minutes=minutes))
        assert _condition(result, NOT_RUN)["condition_status"] == "HOLDS"
        for alert in result["raised"]:
            assert alert["rule_id"] == NOT_RUN and alert["level"] == "CRITICAL" and not alert["adopted"]
            raised_at.append(minutes)
    assert raised_at == [0, 480, 960]
    assert len(raised_at) == math.ceil(24 * 60 / 480)
    rows = warehouse(f"select status, alert_source, condition_threshold from eros.automation_alerts where rule_id = '{NOT_RUN}'")
    assert rows == [("OPEN", "health_monitor", 28.0)] * 3

    # re-running an evaluation at the same instant adds nothing
    again = _evaluate(run_eros, start + dt.timedelta(minutes=960))
    assert again["raised"] == []

    # a new run clears the condition: every open alert of the auto-resolving rule resolves
    insert_daily_run(alerting, "run-2", start + dt.timedelta(hours=24), start + dt.timedelta(hours=24, minutes=5), "SUCCESS")
    cleared_at = start + dt.timedelta(hours=24, minutes=10)
    result = _evaluate(run_eros, cleared_at)
    assert _condition(result, NOT_RUN)["condition_status"] == "CLEAR"
    assert len(result["resolved"]) == 3
    rows = warehouse(f"select distinct status, resolved_at, condition_cleared_at from eros.automation_alerts where rule_id = '{NOT_RUN}'")
    assert rows == [("RESOLVED", cleared_at, cleared_at)]


def test_rule_adopts_the_job_alert_and_an_ack_silences_it_until_the_condition_clears(alerting, run_eros, warehouse):
    failed_at = dt.datetime(2026, 6, 17, 11, 0, 0)
    insert_daily_run(alerting, "job-1", failed_at - dt.timedelta(minutes=4), failed_at, "FAILED", processed=0, failed=0)
    insert_job_alert(alerting, "hook-1", failed_at, "CRITICAL", "daily_automation", "Daily automation FAILED for 2026-06-17: boom", "job-1")
    # the daily run started less than 28 h before every instant below: only the failure rule holds
    result = _evaluate(run_eros, failed_at + dt.timedelta(minutes=10))
    assert [(a["alert_id"], a["rule_id"], a["adopted"]) for a in result["raised"]] == [("hook-1", FAILED, True)]
    assert warehouse("select alert_id, rule_id, status, job_id from eros.automation_alerts") == [("hook-1", FAILED, "OPEN", "job-1")]

    assert _evaluate(run_eros, failed_at + dt.timedelta(minutes=20))["raised"] == []  # cooldown 60 min

    ack = run_eros("alerts", "ack", "hook-1", "--by", "ana", "--json")
    assert ack.returncode == 0, ack.stderr
    acked = json.loads(ack.stdout)
    assert acked["changed"] and acked["acknowledged_by"] == "ana" and acked["status"] == "RESOLVED"  # does not auto-resolve
    again = run_eros("alerts", "ack", "hook-1", "--by", "bo", "--json")
    assert json.loads(again.stdout)["changed"] is False
    assert warehouse("select acknowledged_by from eros.automation_alerts") == [("ana",)]

    # past the cooldown the condition still holds (failure within 2 h), but the ack silences it
    later = _evaluate(run_eros, failed_at + dt.timedelta(minutes=75))
    assert _condition(later, FAILED)["condition_status"] == "HOLDS"
    assert later["raised"] == []

    # seen clear once: the ack stops silencing, a new failure raises a new alert
    clear = _evaluate(run_eros, failed_at + dt.timedelta(hours=3))
    assert _condition(clear, FAILED)["condition_status"] == "CLEAR"
    assert warehouse("select condition_cleared_at from eros.automation_alerts where alert_id = 'hook-1'") == [
        (failed_at + dt.timedelta(hours=3),)]
    insert_daily_run(alerting, "job-2", failed_at + dt.timedelta(hours=4), failed_at + dt.timedelta(hours=4, minutes=3), "FAILED",
                     processed=0, failed=0)
    new = _evaluate(run_eros, failed_at + dt.timedelta(hours=4, minutes=5))
    assert [(a["rule_id"], a["adopted"]) for a in new["raised"]] == [(FAILED, False)]
    assert warehouse("select count(*) from eros.automation_alerts where rule_id = 'daily_automation_failed' and status = 'OPEN'") == [(1,)]


def test_missing_source_is_unknown_and_a_higher_level_supersedes_the_lower(alerting, run_eros, warehouse):
    now = dt.datetime(2026, 6, 17, 12, 0, 0)
    insert_daily_run(alerting, "run-1", now - dt.timedelta(hours=1), now - dt.timedelta(minutes=50), "SUCCESS")
    # sweeps of the last 6 h clean 150 on average (> 100); the 7 h old one is outside the window
    execute(alerting, *[
        "insert into eros.lock_sweep_log (sweep_id, sweep_time, business_date, locks_expired_stale, locks_expired_past_date, "
        f"total_locks_cleaned, sweep_duration_seconds, active_locks_after, pages_affected, parent_job_id) values ('s{i}', "
        f"'{now - dt.timedelta(hours=i):%Y-%m-%d %H:%M:%S}', '2026-06-17', 0, {cleaned}, {cleaned}, 1.0, 100, 3, null)"
        for i, cleaned in [(1, 120), (2, 180), (7, 5000)]
    ])
    first = _evaluate(run_eros, now)
    sweep = _condition(first, "lock_cleanup_volume_high")
    assert sweep["condition_status"] == "HOLDS" and sweep["observed_value"] == pytest.approx(150.0)
    stale = [_condition(first, r) for r in ("caption_feedback_stale_critical", "caption_feedback_stale_warning")]
    assert {c["condition_status"] for c in stale} == {"NO_SOURCE"}  # caption_bandit_stats not built: unknown, never raised
    assert [a["rule_id"] for a in first["raised"]] == ["lock_cleanup_volume_high"]

    # feedback 9 h old: the WARNING level holds alone and raises
    def feedback_age(hours: float, at: dt.datetime) -> None:
        execute(alerting, "create or replace table eros.caption_bandit_stats as select cast("
                          f"'{at - dt.timedelta(hours=hours):%Y-%m-%d %H:%M:%S}' as timestamp) as last_updated")

    feedback_age(9, now)
    early = _evaluate(run_eros, now)
    assert [a["rule_id"] for a in early["raised"]] == ["caption_feedback_stale_warning"]
    warning_id = early["raised"][0]["alert_id"]

    # feedback 13 h old: both levels hold, only the CRITICAL one raises; the WARNING's open
    # alert is superseded by it (issue 15: alerts that stay true)
    feedback_age(13, now)
    second = _evaluate(run_eros, now + dt.timedelta(minutes=1))
    critical, warning = (_condition(second, r) for r in ("caption_feedback_stale_critical", "caption_feedback_stale_warning"))
    assert critical["condition_status"] == warning["condition_status"] == "HOLDS"
    assert warning["superseded_by"] == "caption_feedback_stale_critical" and critical["superseded_by"] is None
    assert [a["rule_id"] for a in second["raised"]] == ["caption_feedback_stale_critical"]
    assert second["superseded"] == [warning_id]
    assert warehouse(f"select status, resolved_at, condition_cleared_at from eros.automation_alerts where alert_id = '{warning_id}'") == [
        ("SUPERSEDED", now + dt.timedelta(minutes=1), None)]

    # fresh feedback: the auto-resolving CRITICAL resolves, the superseded WARNING stays so
    feedback_age(1, now + dt.timedelta(minutes=2))
    third = _evaluate(run_eros, now + dt.timedelta(minutes=2))
    assert [a["rule_id"] for a in third["raised"]] == [] and len(third["resolved"]) == 1 and third["superseded"] == []
    rows = warehouse("select rule_id, status from eros.automation_alerts where rule_id like 'caption_feedback%' order by rule_id")
    assert rows == [("caption_feedback_stale_critical", "RESOLVED"), ("caption_feedback_stale_warning", "SUPERSEDED")]

    # 7 h later: no sweep in the last 6 h clears the cleanup-volume condition, but its alert
    # reports an event (sweeps that cleaned a lot): it stays OPEN until acknowledged. A new
    # 9 h-stale reading raises the WARNING again; the next reading (fresh) supersedes it.
    later = now + dt.timedelta(hours=7)
    feedback_age(9, later)
    fourth = _evaluate(run_eros, later)
    assert _condition(fourth, "lock_cleanup_volume_high")["condition_status"] == "CLEAR"
    assert warehouse("select status, condition_cleared_at from eros.automation_alerts where rule_id = 'lock_cleanup_volume_high'") == [
        ("OPEN", later)]
    assert [a["rule_id"] for a in fourth["raised"]] == ["caption_feedback_stale_warning"]
    feedback_age(1, later + dt.timedelta(minutes=5))
    fifth = _evaluate(run_eros, later + dt.timedelta(minutes=5))
    assert fifth["superseded"] == [fourth["raised"][0]["alert_id"]]
    assert warehouse("select status, resolved_at, condition_cleared_at from eros.automation_alerts "
                     f"where alert_id = '{fourth['raised'][0]['alert_id']}'") == [
        ("SUPERSEDED", later + dt.timedelta(minutes=5), later + dt.timedelta(minutes=5))]
    listed = run_eros("alerts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["rule_id"] for a in json.loads(listed.stdout)["alerts"]] == ["lock_cleanup_volume_high"]
