"""BigQuery test tier: the dbt project against the local BigQuery emulator (bqemulator).

Session fixtures install the emulator's virtualenv when it is missing
(scripts/bqemulator_setup.sh), start one emulator on a free loopback port, and stop it
at the end of the session, also when a test fails. When the emulator cannot be
installed or started the tier FAILS with the reason: it is never skipped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from eros.generate import GenerationConfig
from eros_testing.bq_emulator import BigQueryEmulator, BigQueryEmulatorError, default_venv_dir
from eros_testing.daily_parity import AS_OF, EXEC_DATE, PROJECT_DIR, ParityRun, ParityScenario

SETUP_SCRIPT = PROJECT_DIR / "scripts" / "bqemulator_setup.sh"
BQ_PROJECT = "of-scheduler-proj"  # hyphenated on purpose: every relation must be quoted


@pytest.fixture(scope="session")
def bqemu_venv() -> Path:
    """The emulator virtualenv; created with scripts/bqemulator_setup.sh when missing."""
    venv = default_venv_dir()
    executable = venv / "bin" / "bqemulator"
    if not executable.exists():
        try:
            proc = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=1200)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{SETUP_SCRIPT} did not finish within 20 minutes", pytrace=False)
        if proc.returncode != 0 or not executable.exists():
            output = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
            pytest.fail(
                f"the BigQuery emulator could not be installed into {venv} (exit {proc.returncode}):\n" + "\n".join(output),
                pytrace=False,
            )
    return venv


@pytest.fixture(scope="session")
def bq_emulator(bqemu_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigQueryEmulator]:
    """One running emulator for the session (project of-scheduler-proj), always stopped."""
    log_path = tmp_path_factory.mktemp("bqemu") / "emulator.log"
    emulator = BigQueryEmulator(project=BQ_PROJECT, venv_dir=bqemu_venv, log_path=log_path, startup_timeout=90)
    problem = None
    try:
        emulator.start()
    except BigQueryEmulatorError as exc:
        problem = str(exc)
    if problem is not None:
        pytest.fail(f"the BigQuery emulator did not start: {problem}", pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def parity_scenario(bq_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory) -> ParityScenario:
    """12 generated pages (45 days, 300 captions, 2 of them planted to fail validation)
    loaded into DuckDB and the emulator, plus a few bad rows of issue 13 on both."""
    config = GenerationConfig(pages=12, days=45, seed=7, execution_date=EXEC_DATE, captions=300, invalid_pages=2)
    scenario = ParityScenario.create(tmp_path_factory.mktemp("parity"), bq_emulator, name="parity", config=config)
    scenario.plant_bad_rows(AS_OF)
    return scenario


@pytest.fixture(scope="session")
def parity_first_run(parity_scenario: ParityScenario) -> ParityRun:
    """The first daily run of EXEC_DATE on both engines (tables created)."""
    return parity_scenario.run_daily(EXEC_DATE, AS_OF)
