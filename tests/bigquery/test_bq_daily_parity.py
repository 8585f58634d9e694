"""The daily job through the CLI on the BigQuery emulator gives the same rows as on DuckDB.

Same generated data, execution date and as-of time on both engines; compared: the CLI
outcome (status, exit code, job row, counts, alerts) and the tables etl_job_runs,
automation_alerts, schedule_generation_queue, creator_processing_errors,
page_daily_analysis, mass_messages_quarantine, reference_data_quarantine and
page_handle_variants (every column except run-time stamps;
job ids mapped to run numbers). Each scenario also checks the expected business result,
so the two engines cannot agree on a wrong answer unnoticed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from eros.generate import GenerationConfig
from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import AS_OF, EXEC_DATE, ParityRun, ParityScenario, table_differences
from eros_testing.partition_filters import unbounded_reads_in

JOB_ROW_FIELDS = ("job_name", "job_status", "execution_date", "creators_processed", "creators_failed", "error_message")


def _comparable_outcome(outcome: dict[str, Any] | None) -> dict[str, Any]:
    """The parts of a CLI outcome that must not depend on the engine."""
    assert outcome is not None
    ids = {outcome["job_id"]: "<job>", outcome["counts"].get("lock_sweep_job_id"): "<sweep>"}

    def text(message: str | None) -> str | None:
        for job_id, name in ids.items():
            if job_id and message:
                message = message.replace(job_id, name)
        return message

    return {
        "status": outcome["status"],
        "exit_code": outcome["exit_code"],
        "execution_date": outcome["execution_date"],
        "job_row": {k: outcome["job_row"][k] for k in JOB_ROW_FIELDS},
        # job ids differ per engine (the sweep's id is compared through the tables)
        "counts": {k: v for k, v in outcome["counts"].items() if not k.endswith("job_id")},
        "alerts": [(a["alert_level"], a["alert_source"], text(a["alert_message"])) for a in outcome["alerts"]],
    }


def _assert_same_outcome(run: ParityRun) -> None:
    assert run.duckdb.outcome is not None, run.duckdb.describe()
    assert run.bigquery.outcome is not None, run.bigquery.describe()
    assert run.bigquery.returncode == run.duckdb.returncode, run.bigquery.describe() + "\n" + run.duckdb.describe()
    bigquery, duck = _comparable_outcome(run.bigquery.outcome), _comparable_outcome(run.duckdb.outcome)
    differences = [
        f"{part}.{key}: bigquery={bigquery[part].get(key)!r} duckdb={duck[part].get(key)!r}"
        for part in ("job_row", "counts")
        for key in sorted(set(bigquery[part]) | set(duck[part]))
        if bigquery[part].get(key) != duck[part].get(key)
    ]
    assert not differences, "outcomes differ:\n" + "\n".join(differences)
    assert bigquery == duck


def outcome_sweep_cleaned(run: ParityRun) -> int:
    """Locks the closing sweep of a BigQuery run deactivated."""
    assert run.bigquery.outcome is not None
    assert run.bigquery.outcome["counts"].get("lock_sweep_status") == "SUCCESS", run.bigquery.describe()
    return int(run.bigquery.outcome["counts"]["locks_cleaned"])


def _assert_same_tables(scenario: ParityScenario) -> dict[str, list[tuple[Any, ...]]]:
    duck = scenario.snapshot("duckdb")
    differences = table_differences(duck, scenario.snapshot("bigquery"))
    assert not differences, "tables differ between DuckDB and the BigQuery emulator:\n" + "\n".join(differences)
    return duck


# --------------------------------------------------------------------------- normal day


def test_first_run_outcome_is_the_same_on_both_engines(parity_scenario: ParityScenario, parity_first_run: ParityRun) -> None:
    _assert_same_outcome(parity_first_run)
    outcome = parity_first_run.bigquery.outcome
    assert outcome is not None
    # 2 planted invalid pages: the run completes with errors and raises one WARNING
    assert outcome["status"] == "COMPLETED_WITH_ERRORS", parity_first_run.bigquery.describe()
    assert outcome["exit_code"] == 1
    assert outcome["job_row"]["creators_failed"] == len(parity_scenario.manifest.invalid_pages) == 2
    assert [a["alert_level"] for a in outcome["alerts"]] == ["WARNING"]
    assert outcome["counts"]["pages_queued"] > 0


def test_first_run_tables_are_the_same_on_both_engines(parity_scenario: ParityScenario, parity_first_run: ParityRun) -> None:
    tables = _assert_same_tables(parity_scenario)
    assert tables["schedule_generation_queue"], "something must be queued"
    assert {row[1] for row in tables["creator_processing_errors"]} == set(parity_scenario.manifest.invalid_pages)
    assert [row[1:3] for row in tables["etl_job_runs"]] == [("daily_automation", "COMPLETED_WITH_ERRORS"), ("lock_sweep", "SUCCESS")]
    assert outcome_sweep_cleaned(parity_first_run) > 0, "the sweep that ends the job deactivated locks"
    planted = sum(parity_scenario.manifest.invalid_rows_by_reason.values())
    assert len(tables["mass_messages_quarantine"]) >= planted


def test_bad_rows_get_the_same_reason_on_both_engines(parity_scenario: ParityScenario, parity_first_run: ParityRun) -> None:
    """issue 13: non-finite (is_nan / is_inf on BigQuery) and absurd numbers, NULL and far-future
    sending_time (the NULL partition and a constant-bounded read), a non-canonical handle, a
    duplicated caption_id and assignment_key; the tables above already compared both engines."""
    del parity_first_run
    assert parity_scenario.bad_rows
    messages = parity_scenario.table("bigquery", "mass_messages_quarantine")
    reasons = {r["row_id"]: r["quarantine_reason"] for r in parity_scenario.query(
        "bigquery", f"select row_id, quarantine_reason from {messages} where row_id like 'pb-%'")}
    reference = parity_scenario.table("bigquery", "reference_data_quarantine")
    reasons |= {r["caption_text"]: r["quarantine_reason"] for r in parity_scenario.query(
        "bigquery", f"select caption_text, quarantine_reason from {reference}")}
    assert reasons == {key: reason for key, reason in parity_scenario.bad_rows.items() if reason is not None}
    variants = parity_scenario.table("bigquery", "page_handle_variants")
    (handle,) = parity_scenario.query("bigquery", f"select page_name, page_name_raw from {variants}")
    assert handle["page_name"] == handle["page_name_raw"].strip().lower() != handle["page_name_raw"]


def test_rerun_keeps_builder_rows_and_matches(parity_scenario: ParityScenario, parity_first_run: ParityRun) -> None:
    queued = parity_scenario.query("duckdb", f"select page_name from {parity_scenario.table('duckdb', 'schedule_generation_queue')} order by 1")
    assert len(queued) >= 2
    processing, completed = queued[0]["page_name"], queued[1]["page_name"]
    for engine in ("duckdb", "bigquery"):
        queue = parity_scenario.table(engine, "schedule_generation_queue")
        parity_scenario.execute(engine, f"update {queue} set status = 'PROCESSING', schedule_id = 'sch-1' where page_name = '{processing}'")
        parity_scenario.execute(
            engine,
            f"update {queue} set status = 'COMPLETED', schedule_id = 'sch-2', "
            f"processed_at = cast('2026-06-17 12:00:00' as timestamp) where page_name = '{completed}'",
        )

    second = parity_scenario.run_daily(EXEC_DATE, AS_OF)

    _assert_same_outcome(second)
    assert second.bigquery.outcome is not None
    assert second.bigquery.outcome["counts"]["pages_queued"] == 0
    tables = _assert_same_tables(parity_scenario)
    by_page = {row[0]: row for row in tables["schedule_generation_queue"]}
    assert by_page[processing][4:6] == ("PROCESSING", "sch-1")
    assert by_page[completed][4:6] == ("COMPLETED", "sch-2")
    assert {row[7] for row in tables["schedule_generation_queue"]} == {"run1"}, "a re-run never re-queues"
    assert [(row[0], row[1]) for row in tables["etl_job_runs"]] == [
        ("run1", "daily_automation"), ("run1-sweep", "lock_sweep"), ("run2", "daily_automation"), ("run2-sweep", "lock_sweep"),
    ]


def test_every_query_sent_to_bigquery_bounds_mass_messages(bq_emulator: BigQueryEmulator, parity_first_run: ParityRun) -> None:
    """Runtime side of the cost guard: the queries the emulator actually received (models,
    hooks, tests, run-operations) read mass_messages only within a constant window. The test's
    own INSERT of bad rows (ParityScenario.plant_bad_rows, marked 'parity bad row') is no read."""
    jobs = [(job.job_id, job.query) for job in bq_emulator.client().list_jobs(max_results=100_000, all_users=True)
            if getattr(job, "query", None) and "parity bad row" not in job.query]
    readers = [job_id for job_id, sql in jobs if "`mass_messages`" in sql or ".mass_messages" in sql]
    assert readers, "no query read mass_messages: the check would be vacuous"
    problems = unbounded_reads_in(jobs, "mass_messages")
    assert not problems, "\n".join(f"{job_id}: {text}" for job_id, texts in problems.items() for text in texts)


# ------------------------------------------------------------------- circuit breaker


@pytest.fixture(scope="module")
def breaker(bq_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory) -> tuple[ParityScenario, ParityRun]:
    config = GenerationConfig(pages=14, days=45, seed=21, execution_date=EXEC_DATE, captions=300, invalid_pages=6)
    scenario = ParityScenario.create(tmp_path_factory.mktemp("breaker"), bq_emulator, name="breaker", config=config)
    return scenario, scenario.run_daily(EXEC_DATE, AS_OF)


def test_circuit_breaker_fails_the_run_on_both_engines(breaker: tuple[ParityScenario, ParityRun]) -> None:
    scenario, run = breaker
    _assert_same_outcome(run)
    outcome = run.bigquery.outcome
    assert outcome is not None
    assert outcome["status"] == "FAILED", run.bigquery.describe()
    assert outcome["exit_code"] == 1
    assert "circuit breaker" in outcome["error_message"]
    assert [(a["alert_level"], a["alert_source"]) for a in outcome["alerts"]] == [("CRITICAL", "daily_automation")]
    tables = _assert_same_tables(scenario)
    # the queue model was skipped; its table exists all the same (created at on-run-start from the
    # ops-table spec, issue 11: the queue exists even when the breaker trips on the first run) and is empty
    assert tables["schedule_generation_queue"] == [], "the queue model was skipped, its table stays empty"
    assert {row[1] for row in tables["creator_processing_errors"]} == set(scenario.manifest.invalid_pages)
    assert [(row[1], row[2], row[5]) for row in tables["etl_job_runs"]] == [("daily_automation", "FAILED", 6), ("lock_sweep", "SUCCESS", 0)]


def test_job_rows_carry_the_execution_date(parity_first_run: ParityRun) -> None:
    assert parity_first_run.bigquery.outcome is not None
    assert parity_first_run.bigquery.outcome["job_row"]["execution_date"] == EXEC_DATE.isoformat()
    started = dt.datetime.fromisoformat(parity_first_run.bigquery.outcome["job_row"]["job_start_time"])
    assert started.tzinfo is None, "job times are reported as naive UTC text on every engine"
