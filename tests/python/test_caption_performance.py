"""End-to-end tests of the caption-performance job through the CLI on DuckDB (issue 4).

caption_bandit_stats is compared with an independent computation from the raw rows
(validation, attribution, success rule, decay and Wilson bounds written here from
DOMAIN.md and the issue, not from the project's SQL), after runs that see late rows and
grown counters, so a message counted once is never counted twice.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from eros.generate import normalise_caption_text

from eros_test_support import EXEC_DATE, as_of_for

LA = ZoneInfo("America/Los_Angeles")
Z = 1.96
HALF_LIFE_DAYS = 28
BASELINE_DAYS = 30
STATS_DAYS = 365
STATS_COLUMNS = [
    "page_name", "caption_id", "successes", "failures", "total_observations", "total_revenue",
    "avg_conversion_rate", "avg_emv", "confidence_lower_bound", "confidence_upper_bound",
    "exploration_score", "last_used", "last_updated", "performance_percentile",
]


def _run_caption(run_eros, date: dt.date, as_of: str) -> tuple[int, dict[str, Any] | None, str]:
    proc = run_eros("run", "caption-performance", "--date", date.isoformat(), "--as-of", as_of, "--json")
    outcome = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc.returncode, outcome, proc.stderr


def _utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _la_date(ts: dt.datetime) -> dt.date:
    return ts.replace(tzinfo=dt.UTC).astimezone(LA).date()


def _valid_rows(messages: list[tuple], as_of: dt.datetime) -> list[tuple]:
    """The staging validation rules, from DOMAIN.md / the quarantine reason codes."""
    by_id: dict[Any, list[tuple]] = defaultdict(list)
    for row in messages:
        by_id[row[0]].append(row)

    def grown(row: tuple) -> tuple:
        # most grown copy first: earnings, views, sends (desc), then sending_time, message (asc)
        return (-(row[8] if row[8] is not None else -1e18), -(row[6] or 0), -(row[5] or 0), row[3], row[2] or "")

    kept = {id(min(copies, key=grown)) for copies in by_id.values()}
    valid = []
    for row in messages:
        row_id, page, _, sent_at, price, sent, viewed, purchased, earnings, mtype, _ = row
        if row_id is None or page is None or not page.strip() or id(row) not in kept:
            continue
        if sent_at > as_of or mtype not in ("PPV", "Bump"):
            continue
        if earnings is not None and earnings < 0:
            continue
        if any(v is not None and v < 0 for v in (sent, viewed, purchased, price)):
            continue
        if viewed is not None and sent is not None and viewed > sent:
            continue
        if purchased is not None and viewed is not None and purchased > viewed:
            continue
        valid.append(row)
    return valid


def _wilson(s: float, f: float) -> tuple[float, float]:
    n = s + f
    if n <= 0:
        return 0.0, 1.0
    p = s / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    margin = Z * math.sqrt(max(0.0, p * (1 - p) / n + Z * Z / (4 * n * n))) / denom
    return max(0.0, centre - margin), min(1.0, centre + margin)


def expected_stats(db_path: str, execution_date: dt.date, as_of: dt.datetime) -> tuple[dict[tuple[str, int], dict[str, Any]], int]:
    """caption_bandit_stats computed in Python from raw.mass_messages and raw.caption_bank.

    Returns (rows keyed by (page_name, caption_id), attributed valid PPV messages counted).
    """
    with duckdb.connect(db_path, read_only=True) as con:
        messages = con.execute(
            "select row_id, page_name, message, sending_time, price, sent_count, viewed_count, purchased_count, "
            "earnings, message_type, caption_id from raw.mass_messages"
        ).fetchall()
        bank = con.execute("select caption_id, caption_text from raw.caption_bank").fetchall()
    bank_ids = {cid for cid, _ in bank}
    by_text: dict[str, int] = {}
    for cid, text in bank:
        key = normalise_caption_text(text)
        if key:
            by_text[key] = min(cid, by_text.get(key, cid))

    ppv = []
    for row in _valid_rows(messages, as_of):
        if row[9] != "PPV":
            continue
        caption = row[10] if row[10] in bank_ids else by_text.get(normalise_caption_text(row[2]) or "")
        sent, earnings = row[5], row[8] or 0.0
        epr = earnings / sent if sent else None
        ppv.append({"page": row[1], "caption": caption, "day": _la_date(row[3]), "sent_at": row[3], "epr": epr,
                    "earnings": earnings, "sent": sent, "price": row[4], "purchased": row[7]})

    history: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for m in ppv:
        if m["epr"] is not None:
            history[m["page"]].append((m["day"], m["epr"]))
    baseline_cache: dict[tuple[str, dt.date], float | None] = {}

    def baseline(page: str, day: dt.date) -> float | None:
        if (page, day) not in baseline_cache:
            window = [v for d, v in history[page] if day - dt.timedelta(days=BASELINE_DAYS) <= d < day]
            baseline_cache[(page, day)] = statistics.median(window) if window else None
        return baseline_cache[(page, day)]

    pairs: dict[tuple[str, int], dict[str, Any]] = {}
    counted = 0
    first_day = execution_date - dt.timedelta(days=STATS_DAYS)
    for m in ppv:
        if m["caption"] is None or not (first_day <= m["day"] <= execution_date):
            continue
        counted += 1
        acc = pairs.setdefault((m["page"], m["caption"]), {
            "s": 0.0, "f": 0.0, "obs": 0, "revenue": 0.0, "epr_sum": 0.0, "epr_n": 0, "conv_sum": 0.0, "conv_n": 0,
            "last_used": m["sent_at"],
        })
        acc["revenue"] += m["earnings"]
        acc["last_used"] = max(acc["last_used"], m["sent_at"])
        if m["epr"] is None:
            continue
        acc["epr_sum"] += m["epr"]
        acc["epr_n"] += 1
        purchases = m["purchased"] if m["purchased"] is not None else (m["earnings"] / m["price"] if m["price"] and m["price"] > 0 else None)
        if purchases is not None:
            acc["conv_sum"] += purchases / m["sent"]
            acc["conv_n"] += 1
        base = baseline(m["page"], m["day"])
        if base is None:
            continue
        weight = 0.5 ** ((execution_date - m["day"]).days / HALF_LIFE_DAYS)
        acc["obs"] += 1
        if m["epr"] > base:
            acc["s"] += weight
        else:
            acc["f"] += weight

    out: dict[tuple[str, int], dict[str, Any]] = {}
    for key, acc in pairs.items():
        lower, upper = _wilson(acc["s"], acc["f"])
        out[key] = {
            "successes": 1 + acc["s"], "failures": 1 + acc["f"], "total_observations": acc["obs"],
            "total_revenue": acc["revenue"],
            "avg_conversion_rate": acc["conv_sum"] / acc["conv_n"] if acc["conv_n"] else None,
            "avg_emv": acc["epr_sum"] / acc["epr_n"] if acc["epr_n"] else None,
            "confidence_lower_bound": lower, "confidence_upper_bound": upper,
            "exploration_score": 1 / math.sqrt(acc["s"] + acc["f"] + 1), "last_used": acc["last_used"],
        }
    by_page: dict[str, list[float]] = defaultdict(list)
    for (page, _), row in out.items():
        if row["avg_emv"] is not None:
            by_page[page].append(row["avg_emv"])
    for (page, _), row in out.items():
        values = by_page[page]
        if row["avg_emv"] is None:
            row["performance_percentile"] = None
        elif len(values) == 1:
            row["performance_percentile"] = 0.0
        else:
            below = sum(1 for v in values if v < row["avg_emv"] and not math.isclose(v, row["avg_emv"], rel_tol=1e-12))
            row["performance_percentile"] = 100.0 * below / (len(values) - 1)
    return out, counted


def actual_stats(warehouse) -> dict[tuple[str, int], dict[str, Any]]:
    rows = warehouse(f"select {', '.join(STATS_COLUMNS)} from eros.caption_bandit_stats")
    return {(r[0], r[1]): dict(zip(STATS_COLUMNS[2:], r[2:], strict=True)) for r in rows}


def assert_stats_match(actual: dict, expected: dict) -> None:
    assert set(actual) == set(expected), (sorted(set(actual) - set(expected))[:5], sorted(set(expected) - set(actual))[:5])
    tolerances = {
        "successes": 2e-6, "failures": 2e-6, "confidence_lower_bound": 2e-6, "confidence_upper_bound": 2e-6,
        "exploration_score": 2e-6, "total_revenue": 1e-3, "avg_emv": 1e-9, "avg_conversion_rate": 1e-9,
        "performance_percentile": 1e-3,
    }
    for key, want in expected.items():
        got = actual[key]
        assert got["total_observations"] == want["total_observations"], (key, got, want)
        assert got["last_used"] == want["last_used"], (key, got["last_used"], want["last_used"])
        for column, tol in tolerances.items():
            if want[column] is None:
                assert got[column] is None, (key, column, got[column])
            else:
                assert got[column] is not None and abs(got[column] - want[column]) <= tol, (key, column, got[column], want[column])


def numbers(stats: dict) -> dict:
    """The stats without last_updated (the only column allowed to move between re-runs)."""
    return {key: {c: v for c, v in row.items() if c != "last_updated"} for key, row in stats.items()}


def check_first_run(outcome: dict[str, Any], manifest: dict[str, Any], warehouse, as_of: str) -> None:
    """Job row, attribution against what the generator planted, recommendation rules."""
    assert outcome is not None and outcome["status"] == "SUCCESS", outcome
    assert outcome["job_name"] == "caption_performance"
    job = warehouse(f"select job_name, job_status, creators_processed from eros.etl_job_runs where job_id = '{outcome['job_id']}'")
    assert job == [("caption_performance", "SUCCESS", outcome["counts"]["pages_with_stats"])]
    assert outcome["counts"]["captions_updated"] == warehouse("select count(*) from eros.caption_bandit_stats")[0][0] > 0

    # every valid PPV message of the generated history is accounted for, by method
    totals = warehouse(
        "select sum(ppv_messages), sum(attributed_by_caption_id), sum(attributed_by_text), sum(unmatched_messages) "
        "from eros.caption_attribution_daily"
    )[0]
    assert totals == (
        manifest["ppv_messages"], manifest["ppv_with_caption_id"], manifest["ppv_text_matchable"], manifest["ppv_unmatchable"]
    )
    share = 100 * (manifest["ppv_with_caption_id"] + manifest["ppv_text_matchable"]) / manifest["ppv_messages"]
    assert 90 < share < 100  # the generator plants ~3% unmatchable texts

    # recommendations (issue 12): 20 per page for every page with a valid PPV message in the
    # last 30 days, usable captions only, deterministic order: ranks 1-15 by expected value,
    # the last 5 (caption_explore_slots) by sampled value among the other candidates
    recs = warehouse(
        "select r.page_name, count(*), "
        "sum(case when b.usage_status not in ('available', 'moderate_recency') or b.price_tier = 'bump' then 1 else 0 end), "
        "bool_and(r.sampled_earnings_per_recipient >= 0 and r.expected_earnings_per_recipient > 0) "
        "from eros.caption_recommendations r join raw.caption_bank b using (caption_id) group by r.page_name"
    )
    assert recs and all(n == 20 and unusable == 0 and valued for _, n, unusable, valued in recs), recs
    raw = warehouse(
        "select row_id, page_name, message, sending_time, price, sent_count, viewed_count, purchased_count, "
        "earnings, message_type, caption_id from raw.mass_messages"
    )
    active = {
        row[1] for row in _valid_rows(raw, _utc(as_of))
        if row[9] == "PPV" and EXEC_DATE - dt.timedelta(days=30) <= _la_date(row[3]) <= EXEC_DATE
    }
    assert {page for page, *_ in recs} == active
    order = warehouse(
        "select count(*) from (select page_name, recommendation_rank, selection_reason, "
        "case when selection_reason = 'EXPLOIT' then expected_earnings_per_recipient else sampled_earnings_per_recipient end as value, "
        "lag(case when selection_reason = 'EXPLOIT' then expected_earnings_per_recipient else sampled_earnings_per_recipient end) "
        "over (partition by page_name, selection_reason order by recommendation_rank) as previous "
        "from eros.caption_recommendations) where previous < value"
    )
    assert order == [(0,)]
    split = warehouse(
        "select page_name, "
        "max(case when selection_reason = 'EXPLOIT' then recommendation_rank end), "
        "min(case when selection_reason = 'EXPLORE' then recommendation_rank end), "
        "sum(case when selection_reason = 'EXPLORE' then 1 else 0 end), "
        "min(case when selection_reason = 'EXPLOIT' then expected_earnings_per_recipient end) "
        ">= max(case when selection_reason = 'EXPLORE' then expected_earnings_per_recipient end) "
        "from eros.caption_recommendations group by page_name"
    )
    assert split and all(row[1:] == (15, 16, 5, True) for row in split), split
    locked = warehouse(
        "select count(*) from eros.caption_recommendations r join raw.active_caption_assignments a "
        "on a.page_name = r.page_name and a.caption_id = r.caption_id "
        f"where a.assigned_date >= date '{EXEC_DATE - dt.timedelta(days=7)}' or a.scheduled_send_date >= date '{EXEC_DATE - dt.timedelta(days=7)}'"
    )
    assert locked == [(0,)]


def test_caption_job_end_to_end_late_rows_and_grown_counters_counted_once(generate, run_eros, warehouse, eros_env):
    manifest = generate()
    db = eros_env["EROS_DUCKDB_PATH"]
    as_of = as_of_for(EXEC_DATE)

    code, outcome, stderr = _run_caption(run_eros, EXEC_DATE, as_of)
    assert code == 0, stderr
    check_first_run(outcome, manifest, warehouse, as_of)
    first = actual_stats(warehouse)
    expected, _ = expected_stats(db, EXEC_DATE, _utc(as_of))
    assert_stats_match(first, expected)

    # same execution date, nothing new: identical numbers, only last_updated may move
    recommendations_sql = "select page_name, recommendation_rank, caption_id, selection_reason from eros.caption_recommendations order by 1, 2"
    recommended = warehouse(recommendations_sql)
    later = f"{EXEC_DATE.isoformat()}T17:00:00+00:00"
    code, outcome, stderr = _run_caption(run_eros, EXEC_DATE, later)
    assert code == 0, stderr
    again = actual_stats(warehouse)
    assert numbers(again) == numbers(first)
    assert warehouse(recommendations_sql) == recommended  # same seed, same data: same picks in the same order
    assert all(again[k]["last_updated"] >= first[k]["last_updated"] for k in first)

    # a counter increase three days after sending, and rows that arrive late
    counter_day = EXEC_DATE - dt.timedelta(days=3)
    target = warehouse(
        "select row_id, page_name, caption_id, sent_count from eros.int_caption_performance__window_messages "
        f"where sending_date_la = date '{counter_day}' and attribution_method = 'caption_id' and sent_count > 0 "
        "order by earnings, row_id limit 1"
    )
    assert target, "the generated data has a PPV message with caption_id three days before the execution date"
    row_id, page, caption, sent = target[0]
    late_day = EXEC_DATE - dt.timedelta(days=1)
    templates = warehouse(
        "select row_id, page_name, caption_id from eros.int_caption_performance__window_messages "
        f"where attribution_method = 'caption_id' and page_name != '{page}' and sending_date_la < date '{counter_day}' "
        "order by row_id limit 3"
    )
    assert len(templates) == 3
    with duckdb.connect(db) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"update raw.mass_messages set earnings = earnings + {sent} * 0.5, viewed_count = viewed_count + 1 where row_id = '{row_id}'")
        for index, (template_id, _, _) in enumerate(templates):
            con.execute(
                f"insert into raw.mass_messages select 'late-{index}', page_name, message, timestamp '{late_day} 19:00:00', price, "
                f"sent_count, viewed_count, purchased_count, earnings + 1000, message_type, caption_id "
                f"from raw.mass_messages where row_id = '{template_id}'"
            )
    grown_key = (page, caption)
    late_keys = {(p, c) for _, p, c in templates}

    as_of = f"{EXEC_DATE.isoformat()}T23:00:00+00:00"
    code, outcome, stderr = _run_caption(run_eros, EXEC_DATE, as_of)
    assert code == 0, stderr
    updated = actual_stats(warehouse)
    assert updated[grown_key]["total_revenue"] == pytest.approx(first[grown_key]["total_revenue"] + sent * 0.5, abs=1e-3)
    assert updated[grown_key]["successes"] > first[grown_key]["successes"]
    for key in late_keys:
        assert updated[key]["total_observations"] > first[key]["total_observations"], key
        assert updated[key]["last_used"] == dt.datetime.fromisoformat(f"{late_day} 19:00:00")
    expected, counted = expected_stats(db, EXEC_DATE, _utc(as_of))
    assert_stats_match(updated, expected)

    # later runs (the next day, then after the changed days left the lookback): still every
    # message exactly once, decay measured from each run's execution date
    for offset in (1, 9):
        day = EXEC_DATE + dt.timedelta(days=offset)
        as_of = as_of_for(day)
        code, outcome, stderr = _run_caption(run_eros, day, as_of)
        assert code == 0 and outcome["status"] == "SUCCESS", stderr
        expected, counted = expected_stats(db, day, _utc(as_of))
        assert_stats_match(actual_stats(warehouse), expected)
        grain_messages = warehouse("select sum(messages) from eros.int_caption_performance__daily")[0][0]
        assert grain_messages == counted
    runs = warehouse(
        "select count(*), sum(case when job_status = 'SUCCESS' then 1 else 0 end) from eros.etl_job_runs "
        "where job_name = 'caption_performance'"
    )
    assert runs == [(5, 5)]


def test_caption_job_without_messages_is_no_work(generate, run_eros, eros_env):
    generate()
    with duckdb.connect(eros_env["EROS_DUCKDB_PATH"]) as con:
        con.execute("delete from raw.mass_messages")
    code, outcome, stderr = _run_caption(run_eros, EXEC_DATE, as_of_for(EXEC_DATE))
    assert code == 0, stderr
    assert outcome["status"] == "COMPLETED_NO_WORK"
    assert [a["alert_level"] for a in outcome["alerts"]] == ["WARNING"]
    assert outcome["counts"]["captions_updated"] == 0


def test_low_attribution_warns_with_the_counts(generate, run_eros):
    """A share of attributed PPV messages below caption_attribution_warning_pct raises a
    WARNING and leaves the status SUCCESS; its counts use the one number format (eros_number)."""
    generate(6, 40)
    # the first run recomputes the whole history: enough messages for a thousands separator
    proc = run_eros("run", "caption-performance", "--date", EXEC_DATE.isoformat(), "--as-of", as_of_for(EXEC_DATE),
                    "--var", "caption_attribution_warning_pct=99.9", "--json")
    outcome = json.loads(proc.stdout)
    assert proc.returncode == 0 and outcome["status"] == "SUCCESS", proc.stderr
    counts = outcome["counts"]
    assert counts["ppv_messages_window"] >= 1000, counts
    (alert,) = [a for a in outcome["alerts"] if "attribution" in a["alert_message"]]
    assert alert["alert_level"] == "WARNING"
    assert alert["alert_message"] == (
        f"Caption attribution low for {EXEC_DATE}: {counts['attributed_pct']:.1f}% of {counts['ppv_messages_window']:,} PPV messages "
        f"of the recomputed days matched a caption (threshold 99.9%; {counts['unmatched_messages']:,} unmatched)"
    )

    # at the default threshold (80%) the same data (about 97% attributed) raises no such alert
    code, outcome, stderr = _run_caption(run_eros, EXEC_DATE, as_of_for(EXEC_DATE))
    assert code == 0 and outcome["status"] == "SUCCESS", stderr
    assert outcome["counts"]["attributed_pct"] > 80
    assert [a for a in outcome["alerts"] if "attribution" in a["alert_message"]] == []
