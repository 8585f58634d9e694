"""Plain helpers of the DuckDB test tier (fixtures live in conftest.py).

A uniquely named module, so test files import it unambiguously: tests/python and
tests/bigquery both have a conftest.py, and `from conftest import ...` would pick
whichever was imported first when both tiers run in one pytest session.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
EROS = str(Path(sys.executable).parent / "eros")
# A fixed Wednesday, far from DST switches; tests pass --as-of so "future" is stable.
EXEC_DATE = dt.date(2026, 6, 17)


def as_of_for(execution_date: dt.date) -> str:
    """A reference 'now' on the execution date in LA (its 03:05 run, roughly): 11:00 UTC."""
    return f"{execution_date.isoformat()}T11:00:00+00:00"


RunEros = Callable[..., subprocess.CompletedProcess]


def run_daily_json(run_eros: RunEros, date: dt.date = EXEC_DATE, *extra: str) -> tuple[int, dict[str, Any] | None, str]:
    """Run the daily job with --json; returns (exit code, outcome or None, stderr)."""
    proc = run_eros("run", "daily", "--date", date.isoformat(), "--as-of", as_of_for(date), "--json", *extra)
    outcome = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc.returncode, outcome, proc.stderr
