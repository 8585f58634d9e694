"""Bad source rows (issue 13, "Every row accounted for", "Canonical handles"): a matrix of
bad mass_messages, caption_bank and active_caption_assignments rows, planted together in ONE
generated warehouse and judged by ONE daily job (plus one caption performance job); a copy
of the same warehouse without them is the clean run the other pages are compared with.

Each case asserts where its row went: the quarantine with the expected reason code, the
reference-data quarantine, the valid rows under the canonical handle, or (history before the
scan window) nowhere, by design. Then: the pages without bad rows get the same queue rows
and valid rows as in the clean run, every raw row of the bounded reads is valid or
quarantined (conservation, per source; also the data test assert_source_rows_conserved),
no page fails because of a bank or lock row, and no output carries a raw handle.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from eros_test_support import EROS, EXEC_DATE, PROJECT, as_of_for

AS_OF = dt.datetime(2026, 6, 17, 11, 0, 0)  # as_of_for(EXEC_DATE), naive UTC
NAN, INF = float("nan"), float("inf")
NEW_PAGE = "newpage"  # a page that exists only through handle variants
COLUMNS = ("row_id", "page_name", "message", "sending_time", "price", "sent_count", "viewed_count",
           "purchased_count", "earnings", "message_type", "caption_id")


@dataclass(frozen=True)
class Row:
    """A bad mass_messages row: changes applied to a clean in-window PPV row of the victim page.

    expect: the quarantine reason; None for a row that must be valid (handle variants) and
    'HISTORY' for a row older than the scan window (neither read nor quarantined)."""

    name: str
    changes: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None


def _plus(days: float) -> dt.datetime:
    return AS_OF + dt.timedelta(days=days)


MESSAGE_ROWS = [
    Row("nan_earnings", {"earnings": NAN}, "NON_FINITE_NUMBER"),
    Row("pos_inf_price", {"price": INF}, "NON_FINITE_NUMBER"),
    Row("neg_inf_earnings", {"earnings": -INF}, "NON_FINITE_NUMBER"),
    Row("nan_purchased", {"purchased_count": NAN}, "NON_FINITE_NUMBER"),
    Row("nan_price_on_bump", {"message_type": "Bump", "price": NAN}, "NON_FINITE_NUMBER"),
    Row("absurd_price", {"price": 1.0e7}, "PRICE_OUT_OF_RANGE"),
    Row("absurd_earnings", {"earnings": 5.0e9}, "EARNINGS_OUT_OF_RANGE"),
    Row("absurd_sent_count", {"sent_count": 5_000_000_000}, "COUNT_OUT_OF_RANGE"),
    Row("absurd_sent_and_viewed", {"sent_count": 2_000_000_000, "viewed_count": 2_000_000_000}, "COUNT_OUT_OF_RANGE"),
    Row("negative_sent_count", {"sent_count": -100, "viewed_count": 0}, "NEGATIVE_COUNT"),
    Row("negative_viewed_count", {"viewed_count": -1}, "NEGATIVE_COUNT"),
    Row("negative_price", {"price": -5.0}, "NEGATIVE_COUNT"),
    Row("negative_purchased", {"purchased_count": -1.0}, "NEGATIVE_COUNT"),
    Row("negative_earnings", {"earnings": -12.5}, "NEGATIVE_EARNINGS"),
    Row("viewed_gt_sent", {"sent_count": 100, "viewed_count": 101}, "VIEWED_GT_SENT"),
    Row("purchased_gt_viewed", {"sent_count": 100, "viewed_count": 5, "purchased_count": 6.0}, "PURCHASED_GT_VIEWED"),
    Row("null_sending_time", {"sending_time": None}, "NULL_SENDING_TIME"),
    Row("null_time_and_negative_earnings", {"sending_time": None, "earnings": -1.0}, "NULL_SENDING_TIME"),
    Row("far_future_time", {"sending_time": dt.datetime(2200, 1, 1)}, "SENDING_TIME_BEYOND_SCAN"),
    Row("infinity_time", {"sending_time": "infinity"}, "SENDING_TIME_BEYOND_SCAN"),
    Row("just_beyond_scan", {"sending_time": _plus(31)}, "SENDING_TIME_BEYOND_SCAN"),
    Row("near_future_time", {"sending_time": _plus(2)}, "FUTURE_SENDING_TIME"),
    Row("null_page_name", {"page_name": None}, "NULL_PAGE_NAME"),
    Row("blank_page_name", {"page_name": "   "}, "NULL_PAGE_NAME"),
    Row("empty_page_name", {"page_name": ""}, "NULL_PAGE_NAME"),
    Row("unknown_message_type", {"message_type": "Story"}, "INVALID_MESSAGE_TYPE"),
    Row("lowercase_message_type", {"message_type": "ppv"}, "INVALID_MESSAGE_TYPE"),
    Row("null_message_type", {"message_type": None}, "INVALID_MESSAGE_TYPE"),
    Row("null_row_id", {"row_id": None}, "NULL_ROW_ID"),
    # valid rows under a non-canonical handle: 0 earnings, so the victim page's numbers hold
    Row("handle_with_spaces", {"page_name": "  {victim} ", "message_type": "Bump", "price": None, "earnings": 0.0,
                               "purchased_count": None}, None),
    Row("handle_upper_case", {"page_name": "{VICTIM}", "message_type": "Bump", "price": None, "earnings": 0.0,
                              "purchased_count": None}, None),
    Row("handle_new_page_spaces", {"page_name": "  NewPage  "}, None),
    Row("handle_new_page_upper", {"page_name": "NEWPAGE"}, None),
    # older than the scan window (execution_date - mass_messages_max_history_days): history
    Row("history_before_scan", {"sending_time": dt.datetime(2024, 1, 1)}, "HISTORY"),
]

# Copies of an existing row (same row_id and sending_time): the most grown finite copy is kept.
COPY_ROWS = [
    Row("copy_smaller_counters", {"earnings": 0.01, "viewed_count": 0}, "DUPLICATE_ROW_ID"),
    Row("copy_with_nan_earnings", {"earnings": NAN}, "DUPLICATE_ROW_ID"),
]
# Two rows without sending_time under one row_id: both quarantined, with distinct keys.
NULL_TIME_TWINS = "null_time_twins"
# A row_id the loader reused for another message at another sending_time (not a copy: DOMAIN.md
# says row_id is unique, so this is the loader's defect): both rows stay valid, the unique
# tests on row_id warn, and no job fails.
REUSED_ROW_ID = "reused_row_id"

REFERENCE_CASES = {
    # name: (source_table, quarantine_reason)
    "bank_duplicate_older_copy": ("caption_bank", "DUPLICATE_CAPTION_ID"),
    "bank_duplicate_newer_copy": ("caption_bank", "DUPLICATE_CAPTION_ID"),
    "bank_exact_duplicate": ("caption_bank", "DUPLICATE_CAPTION_ID"),
    "bank_null_caption_id": ("caption_bank", "NULL_CAPTION_ID"),
    "lock_duplicate_assignment_key": ("active_caption_assignments", "DUPLICATE_ASSIGNMENT_KEY"),
    "lock_null_assignment_key": ("active_caption_assignments", "NULL_ASSIGNMENT_KEY"),
}


def _env(dbt_state_dir: Path) -> dict[str, str]:
    """The CLI environment: one warehouse path for both runs (dbt's saved parse state is
    keyed on it, so the second run does not parse the project again)."""
    env = dict(os.environ)
    folder = dbt_state_dir / "bad_rows"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    env.update({
        "EROS_DUCKDB_PATH": str(folder / "test.duckdb"),
        "DBT_TARGET_PATH": str(dbt_state_dir / "target"),
        "DBT_LOG_PATH": str(dbt_state_dir / "logs"),
        "EROS_TARGET": "local",
    })
    env.pop("EROS_SOURCE_SCHEMA", None)
    return env


def _eros(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EROS, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)


def _job(env: dict[str, str], job: str) -> dict[str, Any]:
    proc = _eros(env, "run", job, "--date", EXEC_DATE.isoformat(), "--as-of", as_of_for(EXEC_DATE), "--json")
    assert proc.stdout.strip().startswith("{"), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def _plant(db: str) -> dict[str, Any]:
    """Write every bad row into the warehouse's raw tables; returns what the assertions need."""
    with duckdb.connect(db) as con:
        window_start = AS_OF - dt.timedelta(days=25)
        victim = con.execute(
            "select page_name from raw.mass_messages where page_name is not null and sending_time >= ? "
            "group by 1 order by count(*) desc, 1 limit 1", [window_start]).fetchone()[0]
        template = con.execute(
            f"select {', '.join(COLUMNS)} from raw.mass_messages where page_name = ? and message_type = 'PPV' "
            "and sending_time between ? and ? and earnings > 0 and purchased_count > 0 and price > 0 "
            "and viewed_count <= sent_count and purchased_count <= viewed_count order by sending_time, row_id limit 1",
            [victim, AS_OF - dt.timedelta(days=10), AS_OF - dt.timedelta(days=2)]).fetchone()
        base = dict(zip(COLUMNS, template, strict=True))
        rows = []
        for i, case in enumerate(MESSAGE_ROWS):
            row = {**base, "row_id": f"bad-{case.name}", "message": f"bad-{case.name}",
                   "sending_time": base["sending_time"] + dt.timedelta(seconds=i + 1)}
            for key, value in case.changes.items():
                row[key] = value.format(victim=victim, VICTIM=victim.upper()) if isinstance(value, str) and "{" in value else value
            rows.append(row)
        for case in COPY_ROWS:
            original = con.execute(
                f"select {', '.join(COLUMNS)} from raw.mass_messages where page_name = ? and message_type = 'PPV' "
                "and sending_time between ? and ? and earnings > 1 and viewed_count > 0 and viewed_count <= sent_count "
                "and coalesce(purchased_count, 0) <= viewed_count and price > 0 and row_id not in "
                "(select row_id from raw.mass_messages group by 1 having count(*) > 1) "
                "and row_id not like 'bad-%' order by sending_time desc, row_id limit 1 offset ?",
                [victim, AS_OF - dt.timedelta(days=20), AS_OF - dt.timedelta(days=2), len(rows)]).fetchone()
            rows.append({**dict(zip(COLUMNS, original, strict=True)), **case.changes, "message": f"bad-{case.name}"})
        for n in (1, 2):
            rows.append({**base, "row_id": f"bad-{NULL_TIME_TWINS}", "message": f"bad-{NULL_TIME_TWINS}-{n}", "sending_time": None})
        # the template row's id again, one hour later, as a PPV that earned nothing (the
        # victim page's revenue holds)
        rows.append({**base, "message": f"bad-{REUSED_ROW_ID}", "sending_time": base["sending_time"] + dt.timedelta(hours=1),
                     "earnings": 0.0, "purchased_count": 0.0})
        # one statement per row: each binds its own types ('infinity' is text DuckDB casts)
        con.executemany(f"insert into raw.mass_messages ({', '.join(COLUMNS)}) values ({', '.join(['?'] * len(COLUMNS))})",
                        [[row[c] for c in COLUMNS] for row in rows])

        # caption bank: an older and a newer copy of two captions, an exact copy, a row without id
        bank_cols = "caption_id, caption_text, content_category, price_tier, has_urgency, usage_status, created_at, updated_at"
        captions = con.execute(f"select {bank_cols} from raw.caption_bank order by caption_id limit 3").fetchall()
        older, newer, exact = (list(c) for c in captions)
        older_copy = [older[0], "bad-bank_duplicate_older_copy", *older[2:6], older[6], older[7] - dt.timedelta(days=30)]
        newer_copy = [newer[0], "bad-bank_duplicate_newer_copy", *newer[2:6], newer[6], newer[7] + dt.timedelta(days=1)]
        null_id = [None, "bad-bank_null_caption_id", *exact[2:8]]
        con.executemany(f"insert into raw.caption_bank ({bank_cols}) values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [older_copy, newer_copy, exact, null_id])

        # locks: a copy of an existing key (assigned earlier), a row without key, a handle variant
        lock_cols = ("assignment_key, page_name, caption_id, caption_text, assigned_date, scheduled_send_date, "
                     "scheduled_send_hour, price_tier, is_active, assigned_at, schedule_id, deactivated_at, deactivation_reason")
        lock = list(con.execute(f"select {lock_cols} from raw.active_caption_assignments where is_active "
                                "and scheduled_send_date >= ? order by assignment_key limit 1", [EXEC_DATE]).fetchone())
        dup = [*lock]
        dup[3], dup[9] = "bad-lock_duplicate_assignment_key", lock[9] - dt.timedelta(hours=1)
        far = EXEC_DATE + dt.timedelta(days=20)
        null_key = [None, victim, older[0], "bad-lock_null_assignment_key", EXEC_DATE, far, 9, "mid", True,
                    AS_OF - dt.timedelta(days=1), None, None, None]
        variant = ["bad-lock_handle_variant", f" {victim.upper()} ", older[0], "bad-lock_handle_variant", EXEC_DATE, far, 10,
                   "mid", True, AS_OF - dt.timedelta(days=1), None, None, None]
        con.executemany(f"insert into raw.active_caption_assignments ({lock_cols}) values ({', '.join(['?'] * 13)})",
                        [dup, null_key, variant])
    return {"victim": victim, "older": older, "newer": newer, "exact": exact, "lock": lock, "reused_row_id": base["row_id"],
            "copies": {row["message"]: row["row_id"] for row in rows if row["message"] in {f"bad-{c.name}" for c in COPY_ROWS}}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dbt_state_dir: Path) -> dict[str, Any]:
    """One generated warehouse: its clean copy runs the daily job once; then the same data
    with the bad rows planted runs the daily job and the caption performance job once."""
    tmp = tmp_path_factory.mktemp("bad_rows")
    env = _env(dbt_state_dir)
    live = Path(env["EROS_DUCKDB_PATH"])
    proc = _eros(env, "generate", "--pages", "8", "--days", "40", "--seed", "7", "--date", EXEC_DATE.isoformat(),
                 "--captions", "300", "--json")
    assert proc.returncode == 0, proc.stderr
    pristine, clean = tmp / "pristine.duckdb", tmp / "clean.duckdb"
    shutil.copy(live, pristine)
    clean_daily = _job(env, "daily")
    shutil.move(live, clean)
    shutil.copy(pristine, live)
    planted = _plant(str(live))
    dirty_daily = _job(env, "daily")
    dirty_caption = _job(env, "caption-performance")
    return {"clean": str(clean), "dirty": str(live), "clean_daily": clean_daily,
            "dirty_daily": dirty_daily, "dirty_caption": dirty_caption, **planted}


def _q(db: str, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.parametrize("case", [c for c in MESSAGE_ROWS if c.expect not in (None, "HISTORY")], ids=lambda c: c.name)
def test_bad_message_row_is_quarantined_with_its_reason(runs, case):
    got = _q(runs["dirty"], "select quarantine_reason from eros.mass_messages_quarantine where message = ?", [f"bad-{case.name}"])
    assert got == [(case.expect,)]
    assert _q(runs["dirty"], "select count(*) from eros.int_mass_messages__valid where message = ?", [f"bad-{case.name}"]) == [(0,)]


@pytest.mark.parametrize("case", COPY_ROWS, ids=lambda c: c.name)
def test_a_copy_of_a_row_is_quarantined_and_the_finite_grown_copy_kept(runs, case):
    row_id = runs["copies"][f"bad-{case.name}"]
    quarantined = _q(runs["dirty"], "select message, quarantine_reason, row_copy_number from eros.mass_messages_quarantine "
                                    "where row_id = ?", [row_id])
    assert quarantined == [(f"bad-{case.name}", case.expect, 2)]
    kept = _q(runs["dirty"], "select message, earnings from eros.int_mass_messages__valid where row_id = ?", [row_id])
    assert len(kept) == 1 and kept[0][0] != f"bad-{case.name}" and math.isfinite(kept[0][1])


def test_rows_without_time_under_one_row_id_are_both_quarantined(runs):
    got = _q(runs["dirty"], "select quarantine_reason, row_copy_number from eros.mass_messages_quarantine where row_id = ? "
                            "order by 2", [f"bad-{NULL_TIME_TWINS}"])
    assert got == [("NULL_SENDING_TIME", 1), ("NULL_SENDING_TIME", 2)]


@pytest.mark.parametrize("case", [c for c in MESSAGE_ROWS if c.expect is None], ids=lambda c: c.name)
def test_a_non_canonical_handle_is_valid_under_the_canonical_handle(runs, case):
    got = _q(runs["dirty"], "select page_name, page_name_raw, dq_reason from eros.stg_scheduler__mass_messages where message = ?",
             [f"bad-{case.name}"])
    assert len(got) == 1 and got[0][2] is None
    page, raw = got[0][0], got[0][1]
    assert page == raw.strip().lower() and page != raw
    assert page in (runs["victim"], NEW_PAGE)


def test_history_before_the_scan_window_is_not_read(runs):
    """Rows older than execution_date - mass_messages_max_history_days are history outside the
    scan, not errors: neither staged nor quarantined (README "Row validation")."""
    assert _q(runs["dirty"], "select count(*) from raw.mass_messages where message = 'bad-history_before_scan'") == [(1,)]
    assert _q(runs["dirty"], "select count(*) from eros.stg_scheduler__mass_messages where message = 'bad-history_before_scan'") == [(0,)]


@pytest.mark.parametrize("name", sorted(REFERENCE_CASES))
def test_bad_reference_row_is_in_the_reference_quarantine(runs, name):
    table, reason = REFERENCE_CASES[name]
    rows = _q(runs["dirty"], "select source_table, quarantine_reason, caption_text, record_copy_number "
                             "from eros.reference_data_quarantine")
    if name == "bank_duplicate_newer_copy":
        # the newer copy wins: the original row is the extra one
        original = runs["newer"]
        assert (table, reason, original[1], 2) in rows
        kept = _q(runs["dirty"], "select caption_text from eros.stg_scheduler__caption_bank where caption_id = ?", [original[0]])
        assert kept == [(f"bad-{name}",)]
    elif name == "bank_exact_duplicate":
        exact = runs["exact"]
        assert (table, reason, exact[1], 2) in rows
        assert _q(runs["dirty"], "select caption_text from eros.stg_scheduler__caption_bank where caption_id = ?",
                  [exact[0]]) == [(exact[1],)]
    elif name == "lock_duplicate_assignment_key":
        lock = runs["lock"]
        assert (table, reason, f"bad-{name}", 2) in rows
        kept = _q(runs["dirty"], "select caption_text from eros.stg_scheduler__caption_assignments where assignment_key = ?", [lock[0]])
        assert kept == [(lock[3],)], "the later assignment (the original) is kept"
    else:
        matching = [r for r in rows if r[2] == f"bad-{name}"]
        assert matching and matching[0][:2] == (table, reason)
        if name == "bank_duplicate_older_copy":
            older = runs["older"]
            assert _q(runs["dirty"], "select caption_text from eros.stg_scheduler__caption_bank where caption_id = ?",
                      [older[0]]) == [(older[1],)]


def test_a_lock_under_a_handle_variant_belongs_to_the_canonical_page(runs):
    got = _q(runs["dirty"], "select page_name, page_name_raw from eros.stg_scheduler__caption_assignments "
                            "where assignment_key = 'bad-lock_handle_variant'")
    assert got == [(runs["victim"], f" {runs['victim'].upper()} ")]


def test_no_page_fails_and_other_pages_get_the_clean_runs_answer(runs):
    clean, dirty = runs["clean_daily"], runs["dirty_daily"]
    assert clean["status"] == "SUCCESS", clean.get("error_message")
    assert dirty["status"] == "SUCCESS", dirty.get("error_message")
    assert dirty["page_errors"] == []
    queue_sql = ("select page_name, execution_date, saturation_pct, status from eros.schedule_generation_queue "
                 "order by page_name")
    clean_queue = _q(runs["clean"], queue_sql)
    dirty_queue = _q(runs["dirty"], queue_sql)
    assert [r for r in dirty_queue if r[0] != NEW_PAGE] == clean_queue, "bad rows changed another page's queue row"
    assert [r[0] for r in dirty_queue].count(NEW_PAGE) == 1, "handle variants of one page are one page"
    # the valid rows of every page without planted rows are the clean run's
    others = "select row_id, page_name, sending_time, earnings from eros.int_mass_messages__valid where page_name not in (?, ?) order by 1, 3"
    assert _q(runs["dirty"], others, [runs["victim"], NEW_PAGE]) == _q(runs["clean"], others, [runs["victim"], NEW_PAGE])
    analysis = ("select page_name, page_tier, daily_send_cap, round(revenue_90d, 6), upcoming_locked_sends, saturation_pct, "
                "validation_error, needs_schedule from eros.page_daily_analysis where page_name <> ? order by 1")
    assert _q(runs["dirty"], analysis, [NEW_PAGE]) == _q(runs["clean"], analysis, [NEW_PAGE])


def test_every_row_is_accounted_for(runs):
    db = runs["dirty"]
    lower = AS_OF.replace(hour=7) - dt.timedelta(days=400)  # local midnight (PDT) of execution_date - 400 days
    raw = _q(db, "select count(*) from raw.mass_messages where sending_time >= ? or sending_time is null", [lower])[0][0]
    valid = _q(db, "select count(*) from eros.int_mass_messages__valid")[0][0]
    quarantined = _q(db, "select count(*) from eros.mass_messages_quarantine")[0][0]
    assert raw == valid + quarantined
    for table, staged in (("caption_bank", "stg_scheduler__caption_bank"),
                          ("active_caption_assignments", "stg_scheduler__caption_assignments")):
        raw = _q(db, f"select count(*) from raw.{table}")[0][0]
        kept = _q(db, f"select count(*) from eros.{staged}")[0][0]
        extra = _q(db, "select count(*) from eros.reference_data_quarantine where source_table = ?", [table])[0][0]
        assert raw == kept + extra, table
    # every planted message row is somewhere (history by design outside the scan)
    planted = [f"bad-{c.name}" for c in MESSAGE_ROWS if c.expect != "HISTORY"]
    seen = {r[0] for r in _q(db, "select message from eros.stg_scheduler__mass_messages where message like 'bad-%'")}
    assert set(planted) <= seen


def test_the_conservation_data_test_and_the_warn_tests_ran(runs, dbt_state_dir):
    results = (dbt_state_dir / "target" / "eros-runs").glob("*/run_results.json")
    daily = next(r for r in results if _invocation(r) == runs["dirty_daily"]["job_id"])
    by_name = {x["unique_id"].split(".")[2]: x for x in json.loads(daily.read_text())["results"]}
    assert by_name["assert_source_rows_conserved"]["status"] == "pass"
    for name in ("source_unique_scheduler_caption_bank_caption_id", "source_unique_scheduler_active_caption_assignments_assignment_key",
                 "source_not_null_scheduler_caption_bank_caption_id"):
        assert by_name[name]["status"] == "warn", name
    assert by_name["unique_stg_scheduler__caption_bank_caption_id"]["status"] == "pass"


def test_a_row_id_reused_at_another_time_warns_and_fails_no_job(runs, dbt_state_dir):
    db, reused = runs["dirty"], runs["reused_row_id"]
    both = "select count(*) from eros.{} where row_id = ?"
    assert _q(db, both.format("int_mass_messages__valid"), [reused]) == [(2,)]
    assert _q(db, both.format("int_caption_performance__window_messages"), [reused]) == [(2,)]
    assert runs["dirty_daily"]["status"] == "SUCCESS"
    assert runs["dirty_caption"]["status"] == "SUCCESS", runs["dirty_caption"].get("error_message")
    results = list((dbt_state_dir / "target" / "eros-runs").glob("*/run_results.json"))
    for job, test in (("dirty_daily", "unique_int_mass_messages__valid_row_id"),
                      ("dirty_caption", "unique_int_caption_performance__window_messages_row_id")):
        run = next(r for r in results if _invocation(r) == runs[job]["job_id"])
        by_name = {x["unique_id"].split(".")[2]: x for x in json.loads(run.read_text())["results"]}
        assert by_name[test]["status"] == "warn", (job, test)


def _invocation(path: Path) -> str:
    return json.loads(path.read_text())["metadata"]["invocation_id"]


def test_outputs_carry_only_canonical_handles(runs):
    db = runs["dirty"]
    for table in ("schedule_generation_queue", "page_daily_analysis", "creator_processing_errors", "caption_bandit_stats",
                  "caption_recommendations"):
        bad = _q(db, f"select distinct page_name from eros.{table} where page_name <> lower(trim(page_name))")
        assert bad == [], table
    assert runs["dirty_caption"]["status"] in ("SUCCESS", "COMPLETED_WITH_ERRORS"), runs["dirty_caption"].get("error_message")
    stats = _q(db, "select successes, failures, total_revenue, avg_emv, avg_conversion_rate, performance_percentile "
                   "from eros.caption_bandit_stats")
    assert stats and all(math.isfinite(v) for row in stats for v in row if v is not None)


def test_warning_alerts_report_reference_rows_and_handle_variants(runs):
    raised = {a["rule_id"]: a for a in runs["dirty_daily"]["alerting"]["raised"]}
    assert raised["reference_data_quarantined"]["level"] == "WARNING"
    assert raised["reference_data_quarantined"]["condition_value"] == len(REFERENCE_CASES)
    assert raised["non_canonical_page_handles"]["level"] == "WARNING"
    # 4 message rows (2 of the victim, 2 of the new page) and the lock row
    assert raised["non_canonical_page_handles"]["condition_value"] == 5
    variants = _q(runs["dirty"], "select source_table, page_name, page_name_raw, source_rows from eros.page_handle_variants order by 1, 3")
    victim = runs["victim"]
    assert variants == sorted([
        ("active_caption_assignments", victim, f" {victim.upper()} ", 1),
        ("mass_messages", victim, f"  {victim} ", 1),
        ("mass_messages", victim, victim.upper(), 1),
        ("mass_messages", NEW_PAGE, "  NewPage  ", 1),
        ("mass_messages", NEW_PAGE, "NEWPAGE", 1),
    ], key=lambda r: (r[0], r[2]))
    clean_rules = {a["rule_id"] for a in runs["clean_daily"]["alerting"]["raised"]}
    assert clean_rules.isdisjoint({"reference_data_quarantined", "non_canonical_page_handles"})
