"""The HTML of `eros report` (issue 15) in the system Chromium driven by Playwright, on
sections made by hand (no dbt, no warehouse: seconds): a FAILED daily run with page errors,
5,000 pages of saturation, open alerts, caption learning. Checked at 1400 and 390 CSS px:
what an on-call person reads first is there, nothing overflows the page, dates do not
wrap, no console error, no network request; every warehouse value is escaped.

Screenshots: test-output/report_page_<width>.png."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eros.health import HealthReport
from eros.report import REPORT_ANALYSES, SATURATION_BIN_PCT, TOP_OFFENDERS, render_html
from eros_testing.chromium import Browser, find_chromium

from eros_test_support import PROJECT

PAGES = 5000
SHOTS = PROJECT / "test-output"
HOSTILE = '<script>window.__pwned = 1</script><img src="https://example.com/x.png">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if find_chromium() is None:
        pytest.fail("chromium is not installed: `make chromium` (Debian package chromium) installs it", pytrace=False)
    with Browser() as opened:
        yield opened


def _health() -> HealthReport:
    checks = [
        {"check_name": "daily_run_recency", "status": "PASS", "observed_value": 2.5, "detail": "last run 2.5 h ago",
         "threshold": "FAIL > 28 h"},
        {"check_name": "failed_jobs_7d", "status": "WARN", "observed_value": 1, "detail": "1 FAILED job run", "threshold": "WARN if any"},
        {"check_name": "active_locks_volume", "status": "PASS", "observed_value": 4815, "detail": "4815 active locks",
         "threshold": "WARN > 5,000"},
    ]
    return HealthReport(status="WARN", exit_code=1, as_of="2026-06-17 12:00:00", execution_date="2026-06-17", target="local",
                        checks=checks, tests=[], tests_total=0, duration_seconds=1.0)


def _sections() -> dict[str, dict[str, Any]]:
    rng = random.Random(7)
    saturation = []
    for i in range(PAGES):
        pct = round(rng.uniform(0, 60), 1) if i % 10 else round(rng.uniform(60, 260), 1)
        cap = 10
        saturation.append({"page_name": f"page_{i:04d}", "page_tier": "SMALL", "daily_send_cap": cap, "active_locks": int(pct * 0.7) + 3,
                           "upcoming_locks": int(pct * 0.7), "saturation_pct": pct,
                           "saturation_level": "CRITICAL" if pct > 80 else "WARNING" if pct > 60 else "OK"})
    saturation.append({"page_name": "new_page", "page_tier": None, "daily_send_cap": None, "active_locks": 0, "upcoming_locks": 0,
                       "saturation_pct": None, "saturation_level": "NO_CAP"})
    saturation.sort(key=lambda r: (r["saturation_pct"] is None, -(r["saturation_pct"] or 0.0), r["page_name"]))
    failed_run = {"job_id": "run-failed-1", "job_name": "daily_automation", "job_start_time": "2026-06-17 10:05:00",
                  "job_end_time": "2026-06-17 10:06:00", "job_status": "FAILED", "execution_date": "2026-06-17", "creators_processed": 0,
                  "creators_failed": 6, "error_message": "circuit breaker tripped: 6 pages failed validation", "job_duration_seconds": 60.0,
                  "latest": True}
    errors = [{"page_name": f"bad_page_{i}", "reason": "QUARANTINE_RATE" if i < 4 else "INVALID_SETTINGS",
               "error_message": ("QUARANTINE_RATE: 35% of rows quarantined" if i < 4 else "INVALID_SETTINGS: unknown time zone Mars/Base"),
               "execution_date": "2026-06-17", "job_id": "run-failed-1"} for i in range(6)]
    errors[0]["page_name"] = HOSTILE
    alerts = [{"alert_time": "2026-06-17 10:06:00", "alert_level": "CRITICAL", "alert_source": "daily_automation",
               "alert_message": "Daily automation FAILED for 2026-06-17: circuit breaker tripped " + HOSTILE, "job_id": "run-failed-1",
               "age_hours": 1.9},
              {"alert_time": "2026-06-17 09:00:00", "alert_level": "WARNING", "alert_source": "health_monitor",
               "alert_message": "Average daily automation duration over the last 24 h is above 600 s: " + "very long text " * 20,
               "job_id": None, "age_hours": 3.0}]
    captions = [{"page_name": f"page_{p:04d}", "caption_rank": rank, "caption_id": 100000 + p * 10 + rank,
                 "caption_text": f"caption {rank} of page {p} " + "x" * 150, "total_observations": 10 - rank,
                 "total_revenue": 1000.0 * (p % 13 + 1) / rank, "avg_emv": 0.01, "confidence_lower_bound": 0.5 / rank,
                 "performance_percentile": 90.0, "last_used": "2026-06-16 10:00:00"} for p in range(40) for rank in range(1, 6)]
    learning = {"pages": 40, "pairs": 4000, "observed_pairs": 3500, "captions_observed": 1234, "captions_scored": 1300,
                "attribution_days": 14, "ppv_messages": 5000, "attributed_by_caption_id": 500, "attributed_by_text": 4300,
                "unmatched_messages": 200, "attributed_pct": 96.0, "recommendations": 800, "recommended_pages": 40,
                "recommendations_date": "2026-06-17", "explore": 300, "evidence_page": 100, "evidence_pooled": 690, "evidence_prior": 10,
                "recommended_sent_pairs": 100, "recommended_mean_emv": 0.03, "other_mean_emv": 0.01, "emv_ratio": 3.0}
    trends = [{"job_name": "daily_automation", "run_date_la": dt.date(2026, 6, 17) - dt.timedelta(days=d), "runs": 1,
               "succeeded": 0 if d == 0 else 1, "completed_with_issues": 0, "failed": 1 if d == 0 else 0, "running": 0,
               "avg_duration_seconds": 60.0 + d, "max_duration_seconds": 60.0 + d} for d in range(10)]
    queue = [{"execution_date": "2026-06-16", "status": "PENDING", "queue_rows": 4321, "oldest_queued_at": "2026-06-16 10:06:00",
              "oldest_age_hours": 25.9}]
    return {
        "health_job_duration_trends": {"rows": trends},
        "health_queue_status": {"rows": queue},
        "health_open_alerts": {"rows": alerts},
        "health_active_locks_saturation": {"rows": saturation},
        "health_top_captions_by_page": {"rows": captions},
        "latest_runs": {"rows": [failed_run]},
        "page_errors": {"rows": errors},
        "caption_learning": {"rows": [learning]},
        # issue 13: rows set aside; a hostile raw handle is shown as text
        "data_quality": {"rows": [
            {"finding": "quarantined", "source_table": "mass_messages", "detail": "NON_FINITE_NUMBER", "source_rows": 12},
            {"finding": "quarantined", "source_table": "caption_bank", "detail": "DUPLICATE_CAPTION_ID", "source_rows": 1},
            {"finding": "non-canonical handle", "source_table": "mass_messages", "detail": f" {HOSTILE} -> x", "source_rows": 3},
        ]},
    }


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sections = _sections()
    assert set(REPORT_ANALYSES) <= set(sections)
    out = tmp_path_factory.mktemp("report_page") / "eros_report.html"
    elementary = out.parent / "elementary_report.html"
    elementary.write_text("<html></html>")
    page = render_html(_health(), sections, generated_at=dt.datetime(2026, 6, 17, 12, 1, tzinfo=dt.UTC),
                       settings={"health_saturation_warning_pct": 60, "health_saturation_critical_pct": 80},
                       elementary_report="elementary_report.html")
    out.write_text(page, encoding="utf-8")
    return out


def test_warehouse_values_are_escaped(report_file: Path) -> None:
    page = report_file.read_text()
    assert HOSTILE not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "<script src" not in page and "https://" not in page.split("<script>")[0]


@pytest.mark.parametrize("width", [1400, 390])
def test_report_reads_in_the_browser(browser: Browser, report_file: Path, width: int) -> None:
    with browser.open(report_file, width=width) as opened:
        page = opened.page
        shot = opened.screenshot(SHOTS / f"report_page_{width}.png")
        assert shot[:8] == b"\x89PNG\r\n\x1a\n"
        assert opened.console_errors == [] and opened.exceptions == []
        assert opened.requested_urls == [report_file.resolve().as_uri()] and opened.blocked_urls == []
        assert page.evaluate("window.__pwned") is None

        # the verdict, then the run and what failed and why
        verdict = page.inner_text("#verdict")
        assert "Daily automation FAILED for 2026-06-17: 6 page(s) failed validation." in verdict
        assert "2 open alert(s), 1 CRITICAL." in verdict and "failed_jobs_7d" in verdict
        assert "circuit breaker tripped: 6 pages failed validation" in page.inner_text("#latest-runs")
        errors = page.locator("#page-errors tbody tr")
        assert errors.count() == 6
        # the reason once, in its column; the message column without the code (as eros errors)
        assert page.inner_text("#page-errors").count("INVALID_SETTINGS") == 2
        assert page.inner_text("#page-errors").count("unknown time zone Mars/Base") == 2
        assert "QUARANTINE_RATE: " not in page.inner_text("#page-errors")
        assert "QUARANTINE_RATE 4, INVALID_SETTINGS 2" in page.inner_text("#failures")
        assert HOSTILE in page.inner_text("#page-errors")  # shown as text

        # rows set aside (issue 13)
        quality = page.inner_text("#data-quality")
        assert "NON_FINITE_NUMBER" in quality and "DUPLICATE_CAPTION_ID" in quality and HOSTILE in quality
        assert page.locator("#data-quality-rows tbody tr").count() == 3

        # open alerts: CRITICAL first, times on one line
        levels = page.locator("#open-alerts tbody tr td:first-child").all_inner_texts()
        assert levels == ["CRITICAL", "WARNING"]
        for cell in page.locator("#open-alerts td.time").all():
            assert "\n" not in cell.inner_text()
            # one line box: the text of the cell lays out as a single client rect
            lines = cell.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }")
            assert lines == 1, (width, cell.inner_text())

        # saturation at 5,000 pages: counts, a histogram of bins, the top offenders, the 100% note
        assert "Saturation of 5,001 pages" in page.inner_text("#saturation")
        text = page.inner_text("#saturation")
        assert "Above 100%" in text and "over-booked" in text
        bars = page.locator("#chart-saturation .barlayer .point path").count()
        assert 10 <= bars <= 200 // SATURATION_BIN_PCT
        offenders = page.locator("#top-saturation tbody tr")
        assert offenders.count() == TOP_OFFENDERS
        first = offenders.first.inner_text()
        assert "CRITICAL" in first

        # caption learning and the top captions, visible without unfolding
        cards = page.inner_text("#learning-cards")
        assert "1,234" in cards and "96.0%" in cards and "3.00x" in cards
        assert page.locator("#top-captions tbody tr").count() == 10
        assert page.locator("#top-captions").is_visible()

        # the link to Elementary's report (not followed)
        assert page.get_attribute("#elementary-link", "href") == "elementary_report.html"

        # nothing wider than the viewport: wide tables scroll inside their section
        assert page.evaluate("document.documentElement.scrollWidth") <= width
