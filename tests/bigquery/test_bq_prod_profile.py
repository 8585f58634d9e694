"""The `prod` BigQuery target parses without credentials and takes its cost and reliability
settings (maximum_bytes_billed, job_retries, job_execution_timeout_seconds, priority,
location) from environment variables, with safe defaults.

No credentials are available here on purpose (an empty gcloud config and a key file path
that does not exist), so nothing can reach a real project: `dbt parse` must work, and
`dbt debug` must print the resolved settings before its connection test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eros_testing.daily_parity import PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def _dbt(args: list[str], tmp_path: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EROS_", "GOOGLE_", "CLOUDSDK_"))}
    (tmp_path / "gcloud").mkdir(exist_ok=True)
    env.update({
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),  # no gcloud user credentials
        "NO_GCE_CHECK": "True",  # do not probe a metadata server
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    env.update(extra_env)
    return subprocess.run([DBT, *args, "--target", "prod", "--no-use-colors"], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def test_prod_target_parses_without_credentials(tmp_path: Path) -> None:
    proc = _dbt(["parse"], tmp_path, {})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"database": "of-scheduler-proj", "schema": "eros", "location": "US", "priority": "interactive",
              "maximum_bytes_billed": "50000000000", "job_retries": "1", "job_execution_timeout_seconds": "600"}),
        ({"EROS_BQ_PROJECT": "acme-analytics-prod", "EROS_BQ_DATASET": "eros_prod", "EROS_BQ_LOCATION": "EU",
          "EROS_BQ_PRIORITY": "batch", "EROS_BQ_MAXIMUM_BYTES_BILLED": "1000000000", "EROS_BQ_JOB_RETRIES": "3",
          "EROS_BQ_JOB_TIMEOUT_SECONDS": "900"},
         {"database": "acme-analytics-prod", "schema": "eros_prod", "location": "EU", "priority": "batch",
          "maximum_bytes_billed": "1000000000", "job_retries": "3", "job_execution_timeout_seconds": "900"}),
    ],
    ids=["defaults", "from-environment"],
)
def test_prod_settings_come_from_the_environment(tmp_path: Path, env: dict[str, str], expected: dict[str, str]) -> None:
    proc = _dbt(["debug"], tmp_path, {"EROS_BQ_KEYFILE": str(tmp_path / "missing-key.json"), **env})
    output = proc.stdout + proc.stderr
    assert "profiles.yml file [OK found and valid]" in output, output[-3000:]
    shown = {}
    for line in output.splitlines():
        name, _, value = line.split("  ", 1)[-1].strip().partition(": ")
        if name in expected:
            shown[name] = value.strip()
    assert shown == expected, output[-3000:]
    assert "method: service-account" in output, "EROS_BQ_KEYFILE selects service-account authentication"
    assert proc.returncode != 0, "without credentials the connection test must fail"
