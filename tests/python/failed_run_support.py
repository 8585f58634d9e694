"""One FAILED daily run shared by the tests of the read commands (test_errors_cmd.py,
test_columns80.py): generated data with 6 pages planted to fail validation (the circuit
breaker trips at 5), then ``eros run daily`` at ``COLUMNS=80``, whose summary is kept.

Built once per pytest process (cached here), so the two modules pay for one dbt build.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from eros_test_support import EROS, EXEC_DATE, PROJECT, as_of_for

INVALID_PAGES = 6


@dataclasses.dataclass(frozen=True)
class FailedRun:
    """The warehouse of a FAILED daily run.

    Attributes:
        env: environment for eros processes (private warehouse and dbt folders).
        database: the DuckDB file.
        manifest: ``eros generate --json`` output (``invalid_pages`` among it).
        summary: stdout of ``eros run daily`` at COLUMNS=80 (the human summary).
        returncode: its exit code.
    """

    env: dict[str, str]
    database: Path
    manifest: dict[str, Any]
    summary: str
    returncode: int

    def eros(self, *args: str, columns: int | None = 80, **env: str) -> subprocess.CompletedProcess:
        """Run ``eros <args>`` on this warehouse (COLUMNS set unless ``columns`` is None)."""
        environment = {**self.env, **env}
        environment.pop("COLUMNS", None)
        if columns is not None:
            environment["COLUMNS"] = str(columns)
        return subprocess.run([EROS, *args], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=900)


_CACHE: dict[str, FailedRun] = {}


def failed_daily_run(base: Path, dbt_state_dir: Path) -> FailedRun:
    """The shared FAILED run (built under ``base`` on first use in this process)."""
    if "run" in _CACHE:
        return _CACHE["run"]
    env = dict(os.environ)
    env.update({
        "EROS_DUCKDB_PATH": str(base / "warehouse" / "failed.duckdb"), "EROS_TARGET": "local",
        "DBT_TARGET_PATH": str(dbt_state_dir / "target"), "DBT_LOG_PATH": str(dbt_state_dir / "logs"),
    })
    for name in ("EROS_SOURCE_SCHEMA", "EROS_ALERT_CONFIG", "EROS_NO_ALERTS"):
        env.pop(name, None)
    for name in [n for n in env if n.startswith("EROS_ALERT_") and n.endswith("_URL")]:
        env.pop(name)
    generated = subprocess.run(
        [EROS, "generate", "--pages", "14", "--days", "45", "--seed", "21", "--date", EXEC_DATE.isoformat(), "--captions", "300",
         "--invalid-pages", str(INVALID_PAGES), "--json"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert generated.returncode == 0, generated.stderr
    daily = subprocess.run(
        [EROS, "run", "daily", "--date", EXEC_DATE.isoformat(), "--as-of", as_of_for(EXEC_DATE)],
        cwd=PROJECT, env={**env, "COLUMNS": "80"}, capture_output=True, text=True, timeout=900,
    )
    assert daily.returncode == 1, daily.stderr + daily.stdout
    run = FailedRun(env=env, database=Path(env["EROS_DUCKDB_PATH"]), manifest=json.loads(generated.stdout), summary=daily.stdout,
                    returncode=daily.returncode)
    _CACHE["run"] = run
    return run
