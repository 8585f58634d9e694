"""Helpers of the schedule tests (issue 8): a stand-in for `eros` that run-due starts as a
job step (EROS_SCHEDULE_EROS_BIN), jobs files, and readers of scheduled_job_runs.

The stand-in records each call (args, the run id run-due gave it, pid, start/end times)
as one JSON line in $FAKE_EROS_LOG, sleeps $FAKE_EROS_SLEEP seconds, and fails the
attempts listed in $FAKE_EROS_FAIL_ATTEMPTS (e.g. "1": every first attempt) with the
exit code and --json outcome of a FAILED job; otherwise it succeeds like `eros run`.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

FAKE_EROS = r'''
import datetime as dt, json, os, sys, time
start = dt.datetime.now(dt.timezone.utc).isoformat()
time.sleep(float(os.environ.get("FAKE_EROS_SLEEP", "0")))
attempt = os.environ.get("EROS_SCHEDULE_ATTEMPT", "")
failing = [a for a in os.environ.get("FAKE_EROS_FAIL_ATTEMPTS", "").split(",") if a]
fail = attempt in failing
record = {"args": sys.argv[1:], "run_id": os.environ.get("EROS_SCHEDULE_RUN_ID"), "attempt": attempt,
          "pid": os.getpid(), "start": start, "end": dt.datetime.now(dt.timezone.utc).isoformat(), "failed": fail}
with open(os.environ["FAKE_EROS_LOG"], "a") as log:
    log.write(json.dumps(record) + "\n")
job = sys.argv[2] if len(sys.argv) > 2 else "?"
if fail:
    print(json.dumps({"job": job, "status": "FAILED", "job_id": "fake-" + str(os.getpid()), "error_message": "injected failure"}))
    sys.exit(1)
print(json.dumps({"job": job, "status": "SUCCESS", "job_id": "fake-" + str(os.getpid()), "error_message": None}))
'''


def install_fake_eros(folder: Path) -> tuple[Path, Path]:
    """Write the stand-in executable and its (empty) log; returns (executable, log)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "fake-eros"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(FAKE_EROS))
    script.chmod(0o755)
    log = folder / "fake-eros.log"
    log.write_text("")
    return script, log


def fake_calls(log: Path) -> list[dict[str, Any]]:
    """Calls the stand-in recorded, in order."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def write_jobs_file(path: Path, jobs: dict[str, dict[str, Any]]) -> Path:
    """A jobs file with the given entries (defaults filled: LA zone, notify on)."""
    import yaml

    full = {}
    for key, entry in jobs.items():
        full[key] = {
            "name": key.replace("-", " ").title(),
            "step": f"eros run {key}",
            "dbt_steps": [],
            "timezone": "America/Los_Angeles",
            "retries": 0,
            "retry_delay_seconds": 60,
            "priority": "MEDIUM",
            "timeout_seconds": 600,
            "notify": {"on_failure": True, "on_warning": True},
            **entry,
        }
    path.write_text(yaml.safe_dump({"version": 1, "jobs": full}, sort_keys=False))
    return path
