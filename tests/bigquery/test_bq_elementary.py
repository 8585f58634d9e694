"""Elementary on the BigQuery emulator (issue 14), as far as the emulator allows.

On the emulator target (bq_emulator) Elementary is off unless asked for (the default of var
eros_elementary_enabled there; the rest of this tier runs without it). Here it is asked for
(EROS_ELEMENTARY_ENABLED=true): the daily job builds Elementary's models in
<dataset>_elementary beside the project's, its on-run-end hook records the run, and its
anomaly / schema-change tests run. What the emulator cannot do is recorded in
docs/bigquery-emulator-gaps.md ("Elementary") and pinned here, so a change in either shows.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from eros.generate import GenerationConfig
from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import AS_OF, EROS, EXEC_DATE, PROJECT_DIR, ParityScenario

ELEMENTARY_TESTS = {
    ("anomaly_detection", "mass_messages"), ("anomaly_detection", "etl_job_runs"),
    ("anomaly_detection", "automation_alerts"), ("anomaly_detection", "lock_sweep_log"),
    ("schema_change", "mass_messages"), ("schema_change", "caption_bank"), ("schema_change", "active_caption_assignments"),
}


@pytest.fixture(scope="module")
def elementary_run(bq_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory) -> tuple[ParityScenario, subprocess.CompletedProcess]:
    config = GenerationConfig(pages=4, days=30, seed=23, execution_date=EXEC_DATE, captions=80, invalid_pages=0)
    scenario = ParityScenario.create(tmp_path_factory.mktemp("bq_elementary"), bq_emulator, name="elem", config=config)
    # gap: Elementary's on-run-start does not create its tests dataset on the emulator
    # (adapter.check_schema_exists answers yes); BigQuery users never need this
    bq_emulator.create_dataset(f"{scenario.dataset}_elementary__tests")
    env = scenario.env("bigquery")
    env["EROS_ELEMENTARY_ENABLED"] = "true"
    env["EROS_NO_ALERTS"] = "1"
    proc = subprocess.run([EROS, "run", "daily", "--target", "bq_emulator", "--date", EXEC_DATE.isoformat(), "--as-of", AS_OF,
                           "--json"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1800)
    return scenario, proc


def test_elementary_builds_and_records_the_run_on_the_emulator(elementary_run) -> None:
    scenario, proc = elementary_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads(proc.stdout)["status"] == "SUCCESS"
    emulator = scenario.emulator
    schema = f"`{emulator.project}`.{scenario.dataset}_elementary"
    models = emulator.query(f"select count(*) as n from {schema}.dbt_models where package_name = 'eros'")[0]["n"]
    assert models > 20
    results = emulator.query(f"select test_type, table_name, status, test_short_name from {schema}.elementary_test_results")
    project_tests = [r for r in results if r["test_type"] == "dbt_test"]
    assert len(project_tests) > 20 and {r["status"] for r in project_tests} == {"pass"}, project_tests
    elementary = {(r["test_type"], r["table_name"]): r["status"] for r in results if r["test_type"] != "dbt_test"}
    assert set(elementary) == ELEMENTARY_TESTS, elementary
    assert set(elementary.values()) == {"pass"}, elementary
