"""Settings of the whole test session (both tiers: tests/python and tests/bigquery).

- Elementary is off in the tests' dbt builds unless a test is about it: its models and
  on-run-end hooks cost several CPU seconds per build and no other test reads them. The
  Elementary tests (test_packages_elementary, test_package_deps, test_bq_elementary) set or
  remove EROS_ELEMENTARY_ENABLED themselves, so the product default (on) is what they test.
- Parallel runs (pytest-xdist, `make test` uses `-n 2 --dist loadgroup`): every test file is
  one unit of work, so its module fixtures are built once, on one worker; the BigQuery tier
  is one unit, so one emulator and one set of session scenarios serve all of it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("EROS_ELEMENTARY_ENABLED", "false")
    # pytest-xdist registers this marker itself; registered here too for runs without it (-p no:xdist)
    config.addinivalue_line("markers", "xdist_group(name): tests that run on one pytest-xdist worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path)).resolve()
        relative = path.relative_to(TESTS) if path.is_relative_to(TESTS) else path
        group = "bigquery" if relative.parts[0] == "bigquery" else relative.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))
