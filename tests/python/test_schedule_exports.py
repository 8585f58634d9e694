"""`eros schedule list` and `eros schedule export` (issue 8): each export is validated by the
tool that reads it: the dbt Cloud YAML by dbt Labs' own `dbt-jobs-as-code validate` (offline,
in its own virtualenv: scripts/dbt_jobs_as_code_setup.sh), crontab lines by croniter, the
GitHub Actions workflow by a YAML parser and croniter."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from croniter import croniter

from eros.scheduling.config import load_schedules

from eros_test_support import PROJECT, RunEros

SETUP_SCRIPT = PROJECT / "scripts" / "dbt_jobs_as_code_setup.sh"


@pytest.fixture(scope="session")
def dbt_jobs_as_code() -> str:
    """The dbt-jobs-as-code executable (installed on first use; never skipped)."""
    proc = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        pytest.fail(f"{SETUP_SCRIPT} failed: {proc.stderr.strip().splitlines()[-1:]}", pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


def test_schedule_list_shows_next_runs_in_la_and_utc(run_eros: RunEros) -> None:
    proc = run_eros("schedule", "list", "--now", "2026-03-07T20:30:00Z", "--json")
    assert proc.returncode == 0, proc.stderr
    jobs = {j["job"]: j for j in json.loads(proc.stdout)["jobs"]}
    assert jobs["daily"]["next_runs"] == [
        {"local": "2026-03-08 03:05 PDT", "utc": "2026-03-08 10:05 UTC"},
        {"local": "2026-03-09 03:05 PDT", "utc": "2026-03-09 10:05 UTC"},
        {"local": "2026-03-10 03:05 PDT", "utc": "2026-03-10 10:05 UTC"},
    ]
    assert [r["local"] for r in jobs["caption-performance"]["next_runs"]] == ["2026-03-07 18:00 PST", "2026-03-08 00:00 PST",
                                                                             "2026-03-08 06:00 PDT"]
    text = run_eros("schedule", "list", "--now", "2026-03-07T20:30:00Z")
    assert text.returncode == 0 and "2026-03-08 03:05 PDT" in text.stdout and "2026-03-08 10:05 UTC" in text.stdout


def test_dbt_cloud_export_is_valid_for_dbt_jobs_as_code(run_eros: RunEros, dbt_jobs_as_code: str, tmp_path: Path) -> None:
    summer, winter = tmp_path / "summer.yml", tmp_path / "winter.yml"
    for path, at in ((summer, "2026-06-17T12:00:00Z"), (winter, "2026-12-17T12:00:00Z")):
        proc = run_eros("schedule", "export", "--format", "dbt-cloud", "--at", at, "--output", str(path))
        assert proc.returncode == 0, proc.stderr
        check = subprocess.run([dbt_jobs_as_code, "validate", str(path)], capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "valid YML format" in check.stdout + check.stderr
    jobs = yaml.safe_load(summer.read_text())["jobs"]
    assert jobs["eros-daily"]["schedule"]["cron"] == "5 10 * * *"
    assert yaml.safe_load(winter.read_text())["jobs"]["eros-daily"]["schedule"]["cron"] == "5 11 * * *"
    shipped = load_schedules(PROJECT / "jobs.yml").jobs
    for key in shipped:
        assert jobs[f"eros-{key}"]["execute_steps"] == list(shipped[key].dbt_steps)
    # one job = one dbt build (issue 11): the build also sweeps the locks and evaluates the alert rules
    assert jobs["eros-daily"]["execute_steps"] == ["dbt build --selector daily"]
    assert jobs["eros-lock-sweep"]["execute_steps"] == ["dbt build --selector lock_sweep"]
    assert jobs["eros-lock-sweep"]["schedule"]["cron"] == "0 * * * *"
    assert jobs["eros-caption-performance"]["settings"]["target_name"] == "prod"
    text = summer.read_text()
    assert "The UTC hour CHANGES at the daylight-saving switch on 2026-11-01 09:00 UTC" in text
    assert "the cron must be '5 11 * * *'" in text and "eros schedule run-due" in text
    # the validator is not a rubber stamp: a broken cron is rejected
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace('cron: "5 10 * * *"', 'cron: "5 25 * * *"'))
    assert subprocess.run([dbt_jobs_as_code, "validate", str(broken)], capture_output=True, text=True, timeout=300).returncode != 0


def test_cron_export_is_one_parseable_run_due_line(run_eros: RunEros) -> None:
    proc = run_eros("schedule", "export", "--format", "cron")
    assert proc.returncode == 0, proc.stderr
    entries = [line for line in proc.stdout.splitlines() if line.strip() and not line.startswith("#")]
    assert len(entries) == 1
    fields = entries[0].split(maxsplit=5)
    assert croniter.is_valid(" ".join(fields[:5])) and fields[:5] == ["*/5", "*", "*", "*", "*"]
    assert fields[5].startswith(f"cd {PROJECT} && ") and "eros schedule run-due --target local" in fields[5]
    assert "daily: '5 3 * * *' America/Los_Angeles" in proc.stdout


def test_github_actions_export_parses_and_wakes_run_due(run_eros: RunEros) -> None:
    proc = run_eros("schedule", "export", "--format", "github-actions")
    assert proc.returncode == 0, proc.stderr
    workflow = yaml.safe_load(proc.stdout)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert crons and all(croniter.is_valid(c) for c in crons)
    steps = workflow["jobs"]["run-due"]["steps"]
    assert any(step.get("run") == "eros schedule run-due --target prod" for step in steps)
    assert workflow["jobs"]["run-due"]["env"]["EROS_TARGET"] == "prod"
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_bad_jobs_file_is_one_clear_error(run_eros: RunEros, tmp_path: Path) -> None:
    bad = tmp_path / "jobs.yml"
    bad.write_text((PROJECT / "jobs.yml").read_text().replace('cron: "5 3 * * *"', 'cron: "5 3 * *"'))
    proc = run_eros("schedule", "list", "--jobs-file", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "eros: error: jobs.yml: job 'daily': cron '5 3 * *' is not a valid 5-field cron expression " \
                                  "(minute hour day-of-month month day-of-week)"
