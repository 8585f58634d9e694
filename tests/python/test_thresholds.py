"""Each threshold lives in one place (issue 11): a test that fails when a threshold appears
in two places that disagree.

Homes (README "Where thresholds live"): a level that an alert rule watches is that rule's
``threshold`` / ``window_minutes`` in ``seeds/alert_rules.csv`` (health_measures, the
scorecard, the health tests and the analyses read it from there); a level no rule watches
is a var of ``dbt_project.yml``. What is checked here, without dbt:

* no var repeats a level the seed holds (the vars the seed replaced stay gone, and the
  measure specs read no var for a rule-backed measure);
* the copies that remain are equal to their home: the lock sweep's own alerts (vars
  ``lock_sweep_active_critical`` / ``_warning``) and the numbers written in each rule's
  description;
* the seed is consistent with the measures: every ``condition_source`` is a measure, rules
  of one measure share its window, and the CRITICAL level is beyond the WARNING one;
* ``dbt source freshness`` of mass_messages reads the same vars as the freshness measure.

The built side (the numbers in ``health_measures`` equal the seed's) is asserted in
tests/python/test_health.py::test_checks_flip_at_their_thresholds (pass scenario).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
SEED = PROJECT / "seeds" / "alert_rules.csv"
MEASURES_MACRO = PROJECT / "macros" / "health" / "health_measures.sql"

# vars that held a copy of an alert rule's level before issue 11 (now read from the seed)
RETIRED_VARS = {
    "health_daily_run_fail_hours": "daily_automation_not_run",
    "health_caption_performance_warn_hours": "caption_feedback_stale_warning",
    "health_caption_performance_fail_hours": "caption_feedback_stale_critical",
    "health_active_locks_warn": "active_locks_warning",
    "health_active_locks_fail": "active_locks_critical",
    "health_lock_cleanup_high_volume": "lock_cleanup_volume_high",
    "health_lock_cleanup_window_hours": "lock_cleanup_volume_high",
}
# var copies of a rule's threshold that other code reads, and the rule they copy
VAR_COPIES = {
    "lock_sweep_active_critical": "active_locks_critical",
    "lock_sweep_active_warning": "active_locks_warning",
}


def load_rules(path: Path = SEED) -> dict[str, dict[str, Any]]:
    """The seed's rows by rule_id (threshold as float, window_minutes as int or None)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rules = {}
    for row in rows:
        row["threshold"] = float(row["threshold"])
        row["window_minutes"] = int(row["window_minutes"]) if row["window_minutes"] else None
        rules[row["rule_id"]] = row
    return rules


def load_vars() -> dict[str, Any]:
    return yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]


def measure_specs() -> dict[str, str]:
    """measure id -> the text of its spec in macros/health/health_measures.sql."""
    text = MEASURES_MACRO.read_text()
    body = text[text.index("{% macro eros_health_measure_specs() %}"):]
    body = body[: body.index("{% endmacro %}")]
    specs = {}
    for chunk in re.split(r"\n\s*\{'id': ", body)[1:]:
        measure_id = re.match(r"'([a-z0-9_]+)'", chunk).group(1)
        specs[measure_id] = chunk
    return specs


def number_text(value: float) -> str:
    """How a description writes a threshold: 10,000 / 28 / 0.5."""
    return f"{int(value):,}" if value == int(value) else f"{value:,}"


def disagreements(rules: dict[str, dict[str, Any]], variables: dict[str, Any], specs: dict[str, str]) -> list[str]:
    """Every place where a threshold and a copy of it disagree (empty: consistent)."""
    problems = []
    for name, rule_id in RETIRED_VARS.items():
        if name in variables:
            problems.append(f"var {name} repeats the threshold of rule {rule_id} (seeds/alert_rules.csv is its home)")
    for name, rule_id in VAR_COPIES.items():
        if rule_id not in rules:
            problems.append(f"var {name} copies rule {rule_id}, which the seed does not have")
        elif float(variables.get(name, "nan")) != rules[rule_id]["threshold"]:
            problems.append(f"var {name} = {variables.get(name)} but rule {rule_id} has threshold {rules[rule_id]['threshold']:g}")
    by_source: dict[str, list[dict[str, Any]]] = {}
    for rule in rules.values():
        by_source.setdefault(rule["condition_source"], []).append(rule)
        if rule["condition_source"] not in specs:
            problems.append(f"rule {rule['rule_id']}: condition_source {rule['condition_source']} is not a measure of health_measures")
        threshold = rule["threshold"]
        if threshold > 0 and number_text(threshold) not in rule["description"]:
            problems.append(f"rule {rule['rule_id']}: description {rule['description']!r} does not say its threshold {number_text(threshold)}")
    for source, group in by_source.items():
        conditions = [r for r in group if r["rule_type"] == "condition"]
        windows = {r["window_minutes"] for r in conditions}
        if len(windows) > 1:
            problems.append(f"measure {source}: its rules disagree on window_minutes {sorted(windows, key=str)}")
        levels = {r["level"]: r["threshold"] for r in conditions}
        if "WARNING" in levels and "CRITICAL" in levels and not levels["CRITICAL"] > levels["WARNING"]:
            problems.append(f"measure {source}: CRITICAL threshold {levels['CRITICAL']:g} is not above WARNING {levels['WARNING']:g}")
    for measure_id, spec in specs.items():
        if "'levels': 'rules'" in spec:
            if measure_id not in by_source:
                problems.append(f"measure {measure_id} takes its levels from rules, but no rule watches it")
            read = re.findall(r"var\('([a-z0-9_]+)'\)", spec.split("'threshold_text'")[0])
            if read:
                problems.append(f"measure {measure_id} takes its levels from the seed but also reads vars {read}")
    return problems


def test_every_threshold_has_one_home_and_copies_agree() -> None:
    assert disagreements(load_rules(), load_vars(), measure_specs()) == []


def test_a_disagreeing_copy_is_caught(tmp_path: Path) -> None:
    """The check above can fail: each kind of disagreement is reported."""
    rules, variables, specs = load_rules(), load_vars(), measure_specs()
    variables = {**variables, "lock_sweep_active_critical": 12000, "health_active_locks_warn": 5000}
    changed = {k: dict(v) for k, v in rules.items()}
    changed["caption_feedback_stale_critical"]["threshold"] = 14.0  # description still says 12 h
    changed["active_locks_warning"]["window_minutes"] = 60
    problems = disagreements(changed, variables, specs)
    assert any("lock_sweep_active_critical = 12000" in p for p in problems)
    assert any("health_active_locks_warn repeats" in p for p in problems)
    assert any("caption_feedback_stale_critical: description" in p for p in problems)
    assert any("active_locks_volume: its rules disagree on window_minutes" in p for p in problems)
    swapped = {k: dict(v) for k, v in rules.items()}
    swapped["active_locks_warning"]["threshold"], swapped["active_locks_critical"]["threshold"] = 10000.0, 5000.0
    assert any("CRITICAL threshold 5000 is not above WARNING 10000" in p for p in disagreements(swapped, load_vars(), specs))


def test_every_measure_spec_is_parsed() -> None:
    specs = measure_specs()
    assert {"daily_run_recency", "active_locks_volume", "caption_attribution_share", "lock_cleanup_per_sweep"} <= set(specs)
    assert len(specs) == 18  # 16, and issue 13's reference_data_quarantined and non_canonical_page_handles


@pytest.mark.parametrize("level", ["warn", "error"])
def test_source_freshness_reads_the_freshness_vars(level: str) -> None:
    sources = (PROJECT / "models" / "staging" / "scheduler" / "_scheduler__sources.yml").read_text()
    assert f"var('mass_messages_freshness_{level}_hours')" in sources
    assert f"var('mass_messages_freshness_{level}_hours')" in MEASURES_MACRO.read_text()
