"""``eros doctor``: is this install, profile and warehouse ready to run the jobs?

Checks, in order, each PASS, FAIL or SKIP (not applicable, or needs an earlier check):

1. ``install``: Python, dbt-core within the project's ``require-dbt-version``, the adapter of
   the target's type, croniter; versions listed.
2. ``jobs file``: ``jobs.yml`` loads (cron, zones, known ``eros run`` jobs) and the selectors
   its ``dbt_steps`` name exist in ``selectors.yml``.
3. ``profile``: ``dbt debug`` for the target (profile, credentials, connection).
4. ``source tables``: the source tables and columns the project reads (macro
   ``eros_source_problems``); names every missing table and column.
5. ``write access``: create and drop a scratch table in the target schema.
6. ``bigquery permissions``: on BigQuery, the IAM roles README "Running on BigQuery" lists:
   a dry-run query for ``bigquery.jobs.create``; ``testIamPermissions`` for read on each
   source table, plus ``updateData`` on ``active_caption_assignments`` (the lock sweep), and
   for read/update on the target's ``etl_job_runs``; SKIP on DuckDB and on the emulator.
7. ``alert destinations``: which channels are configured (names only, never URLs). None on
   a production (non-DuckDB) target is a FAIL; on DuckDB alerts stay in ``automation_alerts``.

Exit code of the command: 1 when any check FAILs, else 0.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import platform
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from eros.dbt_invoke import DbtRun, first_error_line, invoke
from eros.errors import ErosUsageError
from eros.project import target_type
from eros.scheduling.config import load_schedules

PASS = "PASS"
FAIL = "FAIL"
SKIP = "SKIP"
ADAPTER_PACKAGES = {"duckdb": "dbt-duckdb", "bigquery": "dbt-bigquery"}
SOURCE_PERMISSIONS = ["bigquery.tables.get", "bigquery.tables.getData"]
# The lock sweep deactivates rows of this source table (README "Running on BigQuery", IAM roles).
SOURCE_WRITTEN = {"active_caption_assignments": ["bigquery.tables.updateData"]}
TARGET_TABLE_PERMISSIONS = ["bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.update", "bigquery.tables.updateData"]
# The job-log table whose permissions stand for the target dataset's tables.
TARGET_PROBE_TABLE = "etl_job_runs"


@dataclasses.dataclass
class Check:
    """One doctor check: ``name``, ``status`` (PASS / FAIL / SKIP) and a one-line ``detail``."""

    name: str
    status: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_install(project: Path, adapter_type: str) -> Check:
    """Versions of dbt, the adapters, duckdb and croniter; FAIL when dbt-core is outside the
    project's ``require-dbt-version`` or the target's adapter is missing."""
    from packaging.specifiers import SpecifierSet

    packages = ["dbt-core", "dbt-duckdb", "dbt-bigquery", "duckdb", "croniter"]
    versions = {p: _version(p) for p in packages}
    listed = ", ".join(f"{p} {v or 'missing'}" for p, v in versions.items())
    detail = f"python {platform.python_version()}, {listed}"
    problems = []
    try:
        required = (yaml.safe_load((project / "dbt_project.yml").read_text()) or {}).get("require-dbt-version", [])
    except (OSError, yaml.YAMLError):
        required = []
    spec = SpecifierSet(",".join(required if isinstance(required, list) else [required]))
    if versions["dbt-core"] is None:
        problems.append("dbt-core is not installed")
    elif versions["dbt-core"] not in spec:
        problems.append(f"dbt-core {versions['dbt-core']} is outside require-dbt-version {spec}")
    adapter = ADAPTER_PACKAGES.get(adapter_type)
    if adapter and versions[adapter] is None:
        problems.append(f"{adapter} is not installed (target type {adapter_type})")
    if versions["croniter"] is None:
        problems.append("croniter is not installed")
    if problems:
        return Check("install", FAIL, "; ".join(problems) + f" ({detail})")
    return Check("install", PASS, detail)


def _selectors(project: Path) -> set[str]:
    data = yaml.safe_load((project / "selectors.yml").read_text()) or {}
    return {s["name"] for s in data.get("selectors", []) if isinstance(s, dict) and "name" in s}


def check_jobs_file(project: Path, jobs_file: Path) -> Check:
    """``jobs.yml`` loads, and every ``--selector`` of its ``dbt_steps`` exists."""
    try:
        schedules = load_schedules(jobs_file)
    except ErosUsageError as exc:
        return Check("jobs file", FAIL, str(exc))
    known = _selectors(project)
    missing = []
    for job in schedules.jobs.values():
        for step in job.dbt_steps:
            found = re.search(r"--selector[ =](\S+)", step)
            if found and found.group(1) not in known:
                missing.append(f"{job.key}: selector '{found.group(1)}'")
    if missing:
        return Check("jobs file", FAIL, f"{jobs_file.name}: dbt_steps name selectors missing from selectors.yml: {'; '.join(missing)}")
    return Check("jobs file", PASS, f"{jobs_file.name}: {len(schedules.jobs)} jobs ({', '.join(schedules.jobs)})")


def _debug_problem(run: DbtRun, said: list[str]) -> str:
    """Why ``dbt debug`` failed: what it said after "check failed" (its DebugCmdResult
    lines, without the generic advice), else the first error line, else the exit code."""
    text = " ".join(" ".join(said).split())
    for noise in ("Check your database credentials and try again.", "For more information, visit:", "The database returned the following error:"):
        text = text.replace(noise, " ")
    text = re.sub(r"https?://\S+", "", re.sub(r"\x1b\[[0-9;]*m", "", text))
    text = " ".join(text.split()).strip(" :>")
    return text or first_error_line(run) or f"dbt debug exited {run.returncode}"


def credential_problem(project: Path, target: str) -> str | None:
    """The BigQuery credential the target lacks, and how to provide it (None when the
    target is not BigQuery or its credentials load): a key file that is missing or
    unreadable, or no application-default credentials."""
    from eros.warehouse import credentials_problem, load_config

    try:
        config = load_config(project, target)
    except ErosUsageError as exc:
        return str(exc)
    return credentials_problem(config) if config.type == "bigquery" else None


def check_profile(project: Path, target: str) -> Check:
    """``dbt debug`` for the target; on failure the reason (a missing BigQuery credential
    first: dbt's own message for it does not name it)."""
    said: list[str] = []

    def keep(event: Any) -> None:
        if event.name == "DebugCmdResult" or (event.name == "DebugCmdOut" and "ERROR" in event.msg):
            said.append(event.msg)

    run = invoke(["debug"], project=project, target=target, on_event=keep)
    if run.ok:
        return Check("profile", PASS, f"dbt debug: profile 'eros', target '{target}', connection ok")
    reason = credential_problem(project, target) or _debug_problem(run, said)
    return Check("profile", FAIL, f"dbt debug (target '{target}') cannot connect: {reason}")


def _format_source_problems(problems: Mapping[str, Any]) -> str:
    parts = [f"missing table {t}" for t in problems.get("missing_tables", [])]
    parts += [f"{table} lacks column(s) {', '.join(cols)}" for table, cols in (problems.get("missing_columns") or {}).items()]
    return "; ".join(parts)


def warehouse_checks(project: Path, target: str, check_write: bool) -> tuple[list[Check], dict[str, Any] | None]:
    """Source tables and write access (run-operation ``eros_doctor_checks``).

    Returns:
        The two checks, and the macro's payload (source relations, target) when it ran.
    """
    def operation(write: bool) -> tuple[DbtRun, dict[str, Any] | None]:
        run = invoke(["run-operation", "eros_doctor_checks", "--args", json.dumps({"check_write": write})], project=project, target=target)
        payload = next((p["doctor"] for p in reversed(run.payloads) if "doctor" in p), None)
        return run, payload

    run, payload = operation(check_write)
    write_error = None
    if payload is None and check_write:
        write_error = first_error_line(run) or f"dbt exited {run.returncode}"
        run, payload = operation(False)
    if payload is None:
        reason = first_error_line(run) or f"dbt exited {run.returncode}"
        return [Check("source tables", FAIL, reason), Check("write access", FAIL if check_write else SKIP, reason)], None
    problems = payload.get("source_problems") or {}
    text = _format_source_problems(problems)
    names = ", ".join(f"{s['schema']}.{s['identifier']}" for s in payload.get("sources", []))
    sources = Check("source tables", FAIL, text) if text else Check("source tables", PASS, f"{names}: present with the columns the project reads")
    schema = (payload.get("target") or {}).get("schema")
    if not check_write:
        write = Check("write access", SKIP, "dry run: nothing is written")
    elif write_error:
        write = Check("write access", FAIL, f"cannot create and drop a table in schema {schema}: {write_error}")
    else:
        scratch = (payload.get("write_access") or {}).get("scratch_table")
        write = Check("write access", PASS, f"created and dropped {schema}.{scratch}")
    return [sources, write], payload


def _bigquery_client(project_id: str) -> Any:
    from google.cloud import bigquery

    keyfile = os.environ.get("EROS_BQ_KEYFILE", "")
    location = os.environ.get("EROS_BQ_LOCATION", "US")
    if keyfile:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_file(keyfile)
        return bigquery.Client(project=project_id, credentials=credentials, location=location)
    return bigquery.Client(project=project_id, location=location)


def check_bigquery_permissions(payload: Mapping[str, Any], client_factory: Callable[[str], Any] = _bigquery_client) -> Check:
    """The IAM permissions of README "Running on BigQuery" (roles) on BigQuery.

    * ``bigquery.jobs.create`` on the project: a dry-run query (it needs that permission);
    * ``bigquery.tables.get`` / ``getData`` on every source table (``testIamPermissions``),
      and ``updateData`` on ``active_caption_assignments`` (the lock sweep updates it);
    * ``bigquery.tables.get`` / ``getData`` / ``update`` / ``updateData`` on the target's
      ``etl_job_runs`` when it exists (create/delete: the write access check).

    Args:
        payload: ``eros_doctor_checks`` output (source relations, target).
        client_factory: project id -> ``google.cloud.bigquery.Client`` (tests pass a fake).
    """
    target = payload.get("target") or {}
    project_id = str(target.get("database") or "")
    try:
        client = client_factory(project_id)
        from google.cloud import bigquery

        client.query("select 1", job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False))
    except Exception as exc:  # noqa: BLE001 - any client error is the finding
        return Check("bigquery permissions", FAIL, f"bigquery.jobs.create on project {project_id}: {str(exc).splitlines()[0][:300]}")
    missing: list[str] = []
    resources = [(f"{s['database']}.{s['schema']}.{s['identifier']}", SOURCE_PERMISSIONS + SOURCE_WRITTEN.get(s["identifier"], []))
                 for s in payload.get("sources", [])]
    probe = f"{project_id}.{target.get('schema')}.{TARGET_PROBE_TABLE}"
    try:
        client.get_table(probe)
        resources.append((probe, TARGET_TABLE_PERMISSIONS))
    except Exception:  # noqa: BLE001 - not built yet: covered by the write access check
        pass
    for table, permissions in resources:
        try:
            granted = set((client.test_iam_permissions(table, permissions) or {}).get("permissions", []))
        except Exception as exc:  # noqa: BLE001
            missing.append(f"{table}: {str(exc).splitlines()[0][:200]}")
            continue
        lacking = [p for p in permissions if p not in granted]
        if lacking:
            missing.append(f"{table} lacks {', '.join(lacking)}")
    if missing:
        return Check("bigquery permissions", FAIL, "; ".join(missing))
    return Check("bigquery permissions", PASS, f"jobs.create on {project_id}; table permissions on {len(resources)} table(s)")


def check_alert_destinations(project: Path, adapter_type: str, env: Mapping[str, str] | None = None) -> Check:
    """Which alert channels are configured (issue 7: ``EROS_ALERT_<CHANNEL>_URL`` or
    ``EROS_ALERT_CONFIG``); names only, never the URLs."""
    env = os.environ if env is None else env
    try:
        from eros.notify import load_destinations  # issue 7

        channels = sorted(load_destinations(env, project))
    except ImportError:
        channels = sorted(k[len("EROS_ALERT_"):-len("_URL")].lower() for k, v in env.items()
                          if k.startswith("EROS_ALERT_") and k.endswith("_URL") and v.strip())
    except ErosUsageError as exc:
        return Check("alert destinations", FAIL, str(exc))
    if channels:
        return Check("alert destinations", PASS, f"configured: {', '.join(channels)}")
    hint = "set EROS_ALERT_SLACK_URL / _EMAIL_URL / _PAGERDUTY_URL / _GCHAT_URL or EROS_ALERT_CONFIG"
    if adapter_type == "duckdb":
        return Check("alert destinations", PASS, f"none configured: alerts are only recorded in automation_alerts ({hint})")
    return Check("alert destinations", FAIL, f"none configured for a production target: nobody would be told of a failure ({hint})")


def run_doctor(project: Path, target: str, jobs_file: Path, *, check_write: bool = True,
               on_check: Callable[[Check], None] | None = None) -> list[Check]:
    """Run every check (module docstring) and return them in order.

    Args:
        project: dbt project directory.
        target: profile target.
        jobs_file: the jobs file to validate.
        check_write: False skips the write check (``eros deploy --dry-run``).
        on_check: called with each check as soon as it is known.
    """
    checks: list[Check] = []

    def add(check: Check) -> None:
        checks.append(check)
        if on_check is not None:
            on_check(check)

    adapter_type = target_type(project, target)
    add(check_install(project, adapter_type))
    add(check_jobs_file(project, jobs_file))
    profile = check_profile(project, target)
    add(profile)
    payload = None
    if profile.status == PASS:
        found, payload = warehouse_checks(project, target, check_write)
        for check in found:
            add(check)
    else:
        add(Check("source tables", SKIP, "needs a working profile"))
        add(Check("write access", SKIP, "needs a working profile"))
    if adapter_type != "bigquery":
        add(Check("bigquery permissions", SKIP, f"not applicable on {adapter_type or 'this target'}"))
    elif target == "bq_emulator" or os.environ.get("EROS_BQ_API_ENDPOINT"):
        add(Check("bigquery permissions", SKIP, "the BigQuery emulator has no IAM"))
    elif payload is None:
        add(Check("bigquery permissions", SKIP, "needs a working profile"))
    else:
        add(check_bigquery_permissions(payload))
    add(check_alert_destinations(project, adapter_type))
    return checks


def doctor_exit_code(checks: list[Check]) -> int:
    """1 when any check FAILed, else 0."""
    return 1 if any(c.status == FAIL for c in checks) else 0
