"""jobs.yml is the job registry (issue 11): eros.jobs.JOBS and the `eros run <job>`
commands are generated from it, and the dbt project's copies of a job's identity
(selectors.yml, the job-name map of macros/automation/job_runs.sql) agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml

from eros.cli import main
from eros.errors import ErosUsageError
from eros.jobs import JOBS, JobRegistry
from eros.jobspec import load_registry, read_jobs_file

from eros_test_support import PROJECT


def test_the_python_registry_and_the_run_commands_come_from_jobs_yml() -> None:
    registry = load_registry(PROJECT)
    assert list(JOBS) == list(registry) == list(read_jobs_file(PROJECT / "jobs.yml").jobs)
    for key, definition in registry.items():
        spec = JOBS[key]
        assert (spec.job_name, spec.selector, spec.description, spec.options) == (
            definition.job_name, definition.selector, definition.description, definition.options)
    run = main.commands["run"]
    ctx = click.Context(run)
    assert run.list_commands(ctx) == list(registry)
    for key, definition in registry.items():
        command = run.get_command(ctx, key)
        assert command is not None and command.help == definition.description
        options = {o for p in command.params for o in p.opts}
        assert ("--date" in options) == ("date" in definition.options)
        assert ("--dry-run" in options) == ("dry-run" in definition.options)
        assert {"--target", "--json"} <= options


def test_selectors_and_the_dbt_job_name_map_agree_with_the_registry() -> None:
    registry = load_registry(PROJECT)
    selectors = {s["name"] for s in yaml.safe_load((PROJECT / "selectors.yml").read_text())["selectors"]}
    for key, definition in registry.items():
        assert definition.selector in selectors, f"jobs.yml job '{key}': selector {definition.selector} is not in selectors.yml"
    macros = (PROJECT / "macros" / "automation" / "job_runs.sql").read_text()
    body = re.search(r"macro eros_job_names\(\).*?endmacro", macros, re.S)
    assert body is not None, "macros/automation/job_runs.sql no longer defines eros_job_names"
    pairs = dict(re.findall(r"'(\w+)'\s*:\s*'(\w+)'", body.group(0)))
    by_selector = {d.selector: d.job_name for d in registry.values()}
    assert pairs and all(by_selector.get(selector) == job_name for selector, job_name in pairs.items()), (pairs, by_selector)


def test_a_registry_entry_must_name_its_selector_and_run_itself(tmp_path: Path) -> None:
    data = yaml.safe_load((PROJECT / "jobs.yml").read_text())
    (tmp_path / "dbt_project.yml").write_text("name: eros\n")
    del data["jobs"]["daily"]["selector"]
    (tmp_path / "jobs.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(ErosUsageError, match=r"^jobs.yml: job 'daily': the job registry needs field\(s\) selector$"):
        dict(JobRegistry(tmp_path))
    data = yaml.safe_load((PROJECT / "jobs.yml").read_text())
    data["jobs"]["daily"]["step"] = "eros run lock-sweep"
    (tmp_path / "jobs.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(ErosUsageError, match=r"must run its own job \('eros run daily \.\.\.'\)"):
        load_registry(tmp_path)
    data["jobs"]["daily"]["step"] = "eros run daily"
    data["jobs"]["daily"]["options"] = ["date", "verbose"]
    (tmp_path / "jobs.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(ErosUsageError, match=r"^jobs.yml: job 'daily': options must be a list of date, as-of, var, dry-run"):
        load_registry(tmp_path)


def test_an_invalid_registry_is_one_line_and_exit_2(tmp_path: Path, run_eros, eros_env) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        (project / name).write_text((PROJECT / name).read_text())
    (project / "jobs.yml").write_text((PROJECT / "jobs.yml").read_text().replace('cron: "5 3 * * *"', 'cron: "5 3 * *"'))
    proc = run_eros("run", "daily", "--json", env={**eros_env, "EROS_PROJECT_DIR": str(project)})
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("eros: error: jobs.yml: job 'daily': cron '5 3 * *' is not a valid 5-field cron expression "
                                   "(minute hour day-of-month month day-of-week)")
