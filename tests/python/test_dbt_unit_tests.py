"""Run every dbt unit test of the project (they are left out of the job selectors).

Unit tests need their input relations to exist for column types, so the project is
first built empty (`dbt run --empty`) on a small generated warehouse.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eros_test_support import PROJECT

DBT = str(Path(sys.executable).parent / "dbt")


def _dbt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args], cwd=PROJECT, env={**env, "DBT_PROFILES_DIR": str(PROJECT)}, capture_output=True, text=True, timeout=900
    )


def test_all_dbt_unit_tests_pass(generate, eros_env):
    generate(4, 20, 1)
    listed = _dbt(eros_env, "ls", "--resource-type", "unit_test", "--output", "name", "--quiet")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    names = [line for line in listed.stdout.splitlines() if line.strip()]
    assert len(names) >= 5, names

    seeded = _dbt(eros_env, "seed")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    empty = _dbt(eros_env, "run", "--empty")
    assert empty.returncode == 0, empty.stdout[-3000:]

    run = _dbt(eros_env, "test", "--select", "resource_type:unit_test", "--log-format", "json")
    passed, failed = [], []
    for line in run.stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("info", {}).get("name") == "LogTestResult":
            node = event["data"]["node_info"]
            if node.get("resource_type") == "unit_test":
                (passed if event["data"]["status"] == "pass" else failed).append(node["node_name"])
    assert not failed, failed
    assert len(passed) == len(names), (passed, names)
    assert run.returncode == 0
