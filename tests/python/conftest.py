"""Shared fixtures: an isolated warehouse per test and the eros CLI as a subprocess.

Every test gets an empty DuckDB warehouse (EROS_DUCKDB_PATH, one path per test process,
emptied before each test) and the session its own dbt target/log folders (DBT_TARGET_PATH / DBT_LOG_PATH), so tests never touch the demo
warehouse and concurrent sessions do not share dbt's partial-parse state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from eros_test_support import EROS, EXEC_DATE, PROJECT, RunEros, as_of_for, run_daily_json  # noqa: F401  (re-exported)


@pytest.fixture(scope="session")
def dbt_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt_state")


@pytest.fixture
def eros_env(tmp_path: Path, dbt_state_dir: Path) -> dict[str, str]:
    """Environment for CLI subprocesses: private warehouse, private dbt target path."""
    env = dict(os.environ)
    # One warehouse path per test process, emptied before each test: eros keys dbt's saved
    # parse state on the connection settings (eros/dbt_invoke.py parse_key), so a new path per
    # test would make every test's first dbt command parse the whole project again. The folder
    # exists, as a user's would: eros creates no warehouse folder but the default one (issue 13).
    folder = dbt_state_dir / "warehouse"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    env["EROS_DUCKDB_PATH"] = str(folder / "test.duckdb")
    env["DBT_TARGET_PATH"] = str(dbt_state_dir / "target")
    env["DBT_LOG_PATH"] = str(dbt_state_dir / "logs")
    env["EROS_TARGET"] = "local"
    env.pop("EROS_SOURCE_SCHEMA", None)
    return env


@pytest.fixture
def run_eros(eros_env: dict[str, str]) -> RunEros:
    """Run `eros <args>` in the project with the test environment; returns the process."""

    def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [EROS, *args], cwd=PROJECT, env=env or eros_env, capture_output=True, text=True, timeout=timeout
        )

    return _run


@pytest.fixture
def warehouse(eros_env: dict[str, str]) -> Callable[[str], list[tuple[Any, ...]]]:
    """Read-only SQL against the test's DuckDB file (opened per query, so dbt can write)."""

    def _query(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(eros_env["EROS_DUCKDB_PATH"], read_only=True) as con:
            return con.execute(sql).fetchall()

    return _query


@pytest.fixture
def generate(run_eros: RunEros) -> Callable[..., dict[str, Any]]:
    """`eros generate --json` with small defaults; returns the manifest."""

    def _generate(pages: int = 12, days: int = 45, seed: int = 7, date: dt.date = EXEC_DATE, *extra: str) -> dict[str, Any]:
        proc = run_eros(
            "generate", "--pages", str(pages), "--days", str(days), "--seed", str(seed),
            "--date", date.isoformat(), "--captions", "300", "--json", *extra,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return _generate
