"""Elementary for real (issue 14), end to end on one DuckDB warehouse:

1. the daily job (Elementary on by default) fills <schema>_elementary: run results, the
   project's test results, the anomaly and schema-change tests (all passing on normal data);
2. a planted volume anomaly (one sending day of mass_messages with ten times the usual
   messages) makes Elementary's volume test warn on the next run, recorded in
   elementary_test_results, without failing the job (severity warn);
3. `eros monitoring report` (edr report, .venv-edr) writes Elementary's report, which headless
   Chromium renders and whose test list shows the project's tests;
4. `eros monitoring alerts` (edr monitor) delivers exactly one Slack message per failed or
   warned test to a webhook receiver on 127.0.0.1.

The packages come from the loopback hub mirror (make install; test_package_deps.py installs
them again from the mirror into a copy). edr runs from .venv-edr (make edr).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from eros_test_support import EROS, PROJECT

EDR = PROJECT / ".venv-edr" / "bin" / "edr"
ELEMENTARY_SCHEMA = "eros_elementary"
PLANT_FACTOR = 10


def _eros(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([EROS, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout)


def _query(path: str, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql).fetchall()


def _plant_volume_spike(path: str, day: dt.date) -> int:
    """Copy the messages sent on UTC ``day`` PLANT_FACTOR - 1 more times (new row_ids), so the day
    has ten times its usual volume; returns the number of rows added."""
    with duckdb.connect(path) as con:
        before = con.execute("select count(*) from raw.mass_messages").fetchone()[0]
        for copy in range(1, PLANT_FACTOR):
            con.execute(
                "insert into raw.mass_messages select * replace ('planted-' || ? || '-' || row_id as row_id) "
                "from raw.mass_messages where cast(sending_time as date) = ? and row_id not like 'planted-%'",
                [copy, day],
            )
        return con.execute("select count(*) from raw.mass_messages").fetchone()[0] - before


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Generated data up to today; the daily job twice, with a volume spike planted between."""
    if not EDR.exists():
        pytest.fail("Elementary's CLI is not installed: `make edr` (scripts/edr_setup.sh) creates .venv-edr", pytrace=False)
    tmp = tmp_path_factory.mktemp("elementary")
    env = dict(os.environ)
    env.update({"EROS_DUCKDB_PATH": str(tmp / "warehouse.duckdb"), "DBT_TARGET_PATH": str(tmp / "target"),
                "DBT_LOG_PATH": str(tmp / "logs"), "EROS_TARGET": "local", "EROS_NO_ALERTS": "1"})
    for key in ("EROS_SOURCE_SCHEMA", "EROS_ELEMENTARY_ENABLED", "EROS_ALERT_SLACK_URL", "EROS_EDR_SLACK_WEBHOOK"):
        env.pop(key, None)
    today_la = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    proc = _eros(env, "generate", "--pages", "8", "--days", "45", "--seed", "11", "--captions", "300",
                 "--date", today_la.isoformat(), "--json")
    assert proc.returncode == 0, proc.stderr
    first = _eros(env, "run", "daily", "--json")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    baseline = _query(env["EROS_DUCKDB_PATH"], f"select test_unique_id, test_type, test_sub_type, table_name, status "
                                               f"from {ELEMENTARY_SCHEMA}.elementary_test_results")
    # The newest sending day Elementary judges: 7 days of detection delay (late rows) before
    # today (UTC), i.e. the day that ends 7 days before the run. It is (re)computed on every run.
    spike_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=8)
    planted = _plant_volume_spike(env["EROS_DUCKDB_PATH"], spike_day)
    second = _eros(env, "run", "daily", "--json")
    return {"env": env, "tmp": tmp, "db": env["EROS_DUCKDB_PATH"], "baseline": baseline, "planted": planted,
            "spike_day": spike_day, "first": first, "second": second}


def test_a_job_fills_the_elementary_schema_and_its_tests_pass_on_normal_data(world):
    db = world["db"]
    tables = {r[0] for r in _query(db, f"select table_name from information_schema.tables where table_schema = '{ELEMENTARY_SCHEMA}'")}
    assert {"elementary_test_results", "dbt_run_results", "dbt_tests", "dbt_models", "data_monitoring_metrics",
            "schema_columns_snapshot", "dbt_invocations"} <= tables
    baseline = world["baseline"]
    kinds = {(r[1], r[2], r[3]) for r in baseline}
    # the project's own dbt tests (dbt_utils among them) and Elementary's, per table
    assert ("dbt_test", "generic", "schedule_generation_queue") in kinds
    for table in ("mass_messages", "etl_job_runs", "automation_alerts", "lock_sweep_log"):
        assert ("anomaly_detection", "row_count", table) in kinds, table
    for table in ("mass_messages", "caption_bank", "active_caption_assignments"):
        assert ("schema_change", "generic", table) in kinds, table
    elementary_statuses = {r[4] for r in baseline if r[1] in ("anomaly_detection", "schema_change")}
    assert elementary_statuses == {"pass"}
    tests = _query(db, f"select name, meta from {ELEMENTARY_SCHEMA}.dbt_tests where package_name = 'eros' and "
                       f"(name like '%anomalies%' or name like '%schema_changes%')")
    assert len(tests) == 7
    for name, meta in tests:
        assert json.loads(meta) == {"owner": "@eros-oncall", "channel": "eros-alerts"}, name


def test_a_planted_volume_anomaly_warns_and_is_recorded_without_failing_the_job(world):
    assert world["planted"] > 0
    second = world["second"]
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert json.loads(second.stdout)["status"] == "SUCCESS"
    rows = _query(world["db"], f"""
        select r.status, r.detected_at, r.test_results_description
        from {ELEMENTARY_SCHEMA}.elementary_test_results as r
        where r.test_type = 'anomaly_detection' and r.table_name = 'mass_messages'
        order by r.detected_at""")
    assert [r[0] for r in rows] == ["pass", "warn"], rows
    description = rows[-1][2]
    assert "row_count" in description.lower() or "volume" in description.lower(), description
    metrics = _query(world["db"], f"""
        select bucket_start, metric_value from {ELEMENTARY_SCHEMA}.data_monitoring_metrics
        where lower(full_table_name) like '%mass_messages' and metric_name = 'row_count'
          and cast(bucket_start as date) = ?
        order by updated_at desc limit 1""".replace("?", f"'{world['spike_day'].isoformat()}'"))
    assert metrics and metrics[0][1] >= PLANT_FACTOR * (world["planted"] / (PLANT_FACTOR - 1)) - 0.5


REPORT_PROBE = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 80 && document.body.innerText.length < 200; i++) await sleep(250);
  location.hash = '#/report/test-results';
  for (let i = 0; i < 80 && !document.body.innerText.includes('volume_anomalies'); i++) await sleep(250);
  await sleep(500);
  return {hash: location.hash, text: document.body.innerText};
})()"""


def test_edr_report_renders_in_chromium_and_lists_the_projects_tests(world):
    from eros_testing.chromium import find_chromium, render_page

    if find_chromium() is None:
        pytest.fail("chromium is not installed: `make chromium` (Debian package chromium) installs it", pytrace=False)
    out = world["tmp"] / "report" / "elementary_report.html"
    proc = _eros(world["env"], "monitoring", "report", "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ["Elementary report written to:", str(out)]
    assert out.stat().st_size > 100_000 and "window.elementaryData" in out.read_text()

    page = render_page(out, REPORT_PROBE, timeout=180)
    (PROJECT / "test-output").mkdir(exist_ok=True)
    (PROJECT / "test-output" / "elementary_report.png").write_bytes(page.screenshot_png)
    assert page.exceptions == []
    assert page.probe["hash"] == "#/report/test-results"
    text = page.probe["text"]
    assert "eros (local)" in text
    # the test list counts every test of the project that ran (the table itself is virtualised:
    # only the first rows are in the page)
    tests, warned = _query(world["db"], f"""
        with latest as (
            select test_unique_id, status,
                   row_number() over (partition by test_unique_id order by detected_at desc) as newest
            from {ELEMENTARY_SCHEMA}.elementary_test_results
        )
        select count(*), count(*) filter (where status = 'warn') from latest where newest = 1""")[0]
    assert tests > 40 and warned >= 1
    assert re.search(rf"All \({tests}\)\s+Passed \({tests - warned}\)\s+Warnings \({warned}\)\s+Errors \(0\)", text), text[:3000]
    rows = text.split("Last status", 1)[1]
    first_row = rows.split("\n\n\n")[0]
    assert "mass_messages" in first_row and "volume_anomalies" in first_row and "Warning" in first_row, first_row
    for name in ("accepted_values", "not_null", "unique"):
        assert name in rows, name
    # dbt_utils' tests are among the tests the report counts (the virtualised table may not
    # show them in its first rows)
    assert _query(world["db"], f"select count(*) from {ELEMENTARY_SCHEMA}.elementary_test_results "
                               "where test_short_name = 'unique_combination_of_columns'")[0][0] > 0
    for table in ("etl_job_runs", "lock_sweep_log", "automation_alerts"):
        assert table in rows, table


class _FakeSlack(http.server.ThreadingHTTPServer):
    messages: list[dict[str, Any]]


@pytest.fixture
def fake_slack() -> Iterator[_FakeSlack]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.server.messages.append(json.loads(body or b"{}"))  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = _FakeSlack(("127.0.0.1", 0), Handler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_edr_monitor_sends_exactly_one_slack_message_per_failed_test(world, fake_slack):
    db = world["db"]
    failed = _query(db, f"select distinct test_unique_id from {ELEMENTARY_SCHEMA}.elementary_test_results "
                        f"where status in ('warn', 'fail', 'error')")
    assert len(failed) >= 1
    url = f"http://127.0.0.1:{fake_slack.server_address[1]}/services/T000/B000/XXXX"
    proc = _eros(world["env"], "monitoring", "alerts", "--slack-webhook", url)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len(fake_slack.messages) == len(failed), json.dumps(fake_slack.messages)[:3000]
    text = json.dumps(fake_slack.messages)
    assert "mass_messages" in text and "volume" in text.lower()
