"""One job = one dbt build (issue 11), on DuckDB.

* Every scheduled job, driven on a fresh warehouse with plain ``dbt build --selector <job>``
  only (no eros, no other dbt command), records the same rows as ``eros run <job>`` on an
  identical warehouse: job rows, page errors, queue, sweep log, lock state, alerts (ids and
  wall-clock times aside). The daily job is also re-run on the existing warehouse.
* ``eros run <job>`` starts exactly one dbt process.
* A SIGKILL of the single dbt process in the middle of the daily build loses and
  duplicates nothing: the re-run closes the abandoned job row and ends in the same state as
  an uninterrupted run.
* A bad execution date or as-of time given to plain dbt fails the build with a message that
  names where it was set (the var or the environment variable) and records no job.
* jobs.yml, selectors.yml, eros.jobs.JOBS and the job-name map of the hooks agree; the YAML
  contracts of the ops tables match their one column spec (macros/automation/ops_tables.sql).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest
import yaml

from eros.jobs import JOBS
from eros.scheduling.config import load_schedules

from eros_test_support import EROS, EXEC_DATE, PROJECT, as_of_for

DBT = str(Path(sys.executable).parent / "dbt")
AS_OF = as_of_for(EXEC_DATE)
AS_OF_VAR = "2026-06-17 11:00:00"  # AS_OF as the dbt var eros passes (naive UTC)
OPS_TABLES = (
    "etl_job_runs", "automation_alerts", "alert_deliveries", "lock_sweep_log", "scheduled_job_runs",
    "creator_processing_errors", "schedule_generation_queue",
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.sweep)?")


# ---- helpers ---------------------------------------------------------------------------

def _env(base: dict[str, str], db: Path) -> dict[str, str]:
    return dict(base, EROS_DUCKDB_PATH=str(db), DBT_PROFILES_DIR=str(PROJECT), PYTHONUNBUFFERED="1")


def plain_dbt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Plain dbt in the project, as a dbt Cloud step runs it."""
    return subprocess.run([DBT, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)


def eros(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EROS, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)


def _job_vars(job: str) -> str:
    """The vars a dbt Cloud user would pass for the same run as the eros command."""
    if job == "lock_sweep":
        return json.dumps({"as_of_timestamp": AS_OF_VAR})
    return json.dumps({"execution_date": EXEC_DATE.isoformat(), "as_of_timestamp": AS_OF_VAR})


def _eros_args(key: str) -> list[str]:
    if key == "lock-sweep":
        return ["run", key, "--as-of", AS_OF, "--json"]
    return ["run", key, "--date", EXEC_DATE.isoformat(), "--as-of", AS_OF, "--json"]


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return UUID.sub("<id>", value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(_norm(v) for v in row) for row in con.execute(sql).fetchall()), key=repr)


def snapshot(db: Path) -> dict[str, Any]:
    """What a job run leaves behind, without ids and wall-clock times."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'eros'").fetchall()}
        out: dict[str, Any] = {"ops_tables": sorted(t for t in OPS_TABLES if t in tables)}
        out["job_runs"] = _rows(con, "select job_name, job_status, execution_date, creators_processed, creators_failed, error_message, "
                                     "job_end_time is not null from eros.etl_job_runs")
        out["errors"] = _rows(con, "select job_id like '%-%', page_name, execution_date, error_message from eros.creator_processing_errors")
        out["queue"] = _rows(con, "select page_name, execution_date, saturation_pct, status, processed_at, schedule_id, error_message "
                                  "from eros.schedule_generation_queue")
        out["sweeps"] = _rows(con, "select sweep_time, business_date, locks_expired_stale, locks_expired_past_date, total_locks_cleaned, "
                                   "active_locks_after, pages_affected, parent_job_id is not null from eros.lock_sweep_log")
        out["alerts"] = _rows(con, "select alert_level, alert_source, alert_message, rule_id, status, acknowledged from eros.automation_alerts")
        out["locks"] = _rows(con, "select assignment_key, is_active, deactivated_at, deactivation_reason from raw.active_caption_assignments")
        for table in ("caption_bandit_stats", "caption_recommendations", "page_daily_analysis"):
            out[table] = con.execute(f"select count(*) from eros.{table}").fetchone()[0] if table in tables else None
    return out


@pytest.fixture
def twin_warehouses(tmp_path: Path, eros_env: dict[str, str]):
    """generate(...) -> (env of warehouse A, env of warehouse B) holding the same generated data."""

    def _make(*generate_args: str) -> tuple[dict[str, str], dict[str, str]]:
        a, b = tmp_path / "a" / "w.duckdb", tmp_path / "b" / "w.duckdb"
        env_a, env_b = _env(eros_env, a), _env(eros_env, b)
        proc = eros(env_a, "generate", "--pages", "8", "--days", "35", "--seed", "11", "--date", EXEC_DATE.isoformat(),
                    "--captions", "300", "--json", *generate_args)
        assert proc.returncode == 0, proc.stderr
        b.parent.mkdir(parents=True)
        shutil.copy(a, b)
        return env_a, env_b

    return _make


# ---- plain dbt = eros, per job, on a fresh warehouse ------------------------------------

@pytest.mark.parametrize(
    ("key", "generate_args"),
    [
        ("daily", ["--invalid-pages", "1"]),
        ("daily", ["--invalid-pages", "6"]),  # the circuit breaker trips on the very first run
        ("caption-performance", []),
        ("lock-sweep", []),
    ],
    ids=["daily", "daily-breaker", "caption-performance", "lock-sweep"],
)
def test_plain_dbt_build_records_what_eros_run_records(twin_warehouses, key: str, generate_args: list[str]) -> None:
    env_dbt, env_eros = twin_warehouses(*generate_args)
    selector = JOBS[key].selector

    build = plain_dbt(env_dbt, "build", "--selector", selector, "--vars", _job_vars(selector))
    ran = eros(env_eros, *_eros_args(key))
    assert ran.stdout.strip().startswith("{"), ran.stderr
    outcome = json.loads(ran.stdout)
    assert len(outcome["steps"]) == 1 and outcome["steps"][0]["command"] == f"build --selector {selector}"

    plain, via_eros = snapshot(Path(env_dbt["EROS_DUCKDB_PATH"])), snapshot(Path(env_eros["EROS_DUCKDB_PATH"]))
    assert plain == via_eros
    # the whole job happened in that one build, on a fresh warehouse
    assert plain["ops_tables"] == sorted(OPS_TABLES), "every ops table exists after the first build of any selector"
    job_names = [row[0] for row in plain["job_runs"]]
    assert JOBS[key].job_name in job_names
    assert all(row[1] != "RUNNING" for row in plain["job_runs"])
    if selector in ("daily", "lock_sweep"):
        assert job_names.count("lock_sweep") == 1 and len(plain["sweeps"]) == 1
        assert plain["sweeps"][0][7] == (selector == "daily")  # parent_job_id: the daily job
        assert any(row[3] == "PAST_SEND_DATE" for row in plain["locks"]), "the build swept the locks"
    if key == "daily" and generate_args[-1] == "6":
        assert outcome["status"] == "FAILED" and "circuit breaker" in outcome["error_message"]
        assert plain["queue"] == [] and build.returncode != 0
        assert ("CRITICAL", "daily_automation") in {row[:2] for row in plain["alerts"]}
    elif key == "daily":
        assert outcome["status"] == "COMPLETED_WITH_ERRORS" and plain["queue"] and len(plain["errors"]) == 1
        assert ("WARNING", "daily_automation") in {row[:2] for row in plain["alerts"]}
        # a re-run on the existing warehouse: still the same on both sides, and it adds nothing to the queue
        again = plain_dbt(env_dbt, "build", "--selector", selector, "--vars", _job_vars(selector))
        assert again.returncode == 0, again.stdout[-3000:]
        eros(env_eros, *_eros_args(key))
        plain2, via_eros2 = snapshot(Path(env_dbt["EROS_DUCKDB_PATH"])), snapshot(Path(env_eros["EROS_DUCKDB_PATH"]))
        assert plain2 == via_eros2
        assert plain2["queue"] == plain["queue"]
        assert [row[0] for row in plain2["job_runs"]].count("daily_automation") == 2
    else:
        assert build.returncode == 0, build.stdout[-3000:]
        assert outcome["status"] in ("SUCCESS", "COMPLETED_NO_WORK")


# ---- one dbt process per `eros run <job>` -------------------------------------------------

COUNTING_RUNNER = """
import subprocess, sys
from eros import cli
started = []
original = subprocess.Popen.__init__
def counting(self, args, *a, **k):
    if isinstance(args, (list, tuple)) and str(args[0]).endswith('dbt'):
        started.append(' '.join(str(x) for x in args[1:4]))
    original(self, args, *a, **k)
subprocess.Popen.__init__ = counting
try:
    cli.main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
finally:
    print('DBT_PROCESSES ' + repr(started), file=sys.stderr)
"""


@pytest.mark.parametrize("key", ["daily", "caption-performance", "lock-sweep"])
def test_eros_run_starts_exactly_one_dbt_process(generate, eros_env: dict[str, str], key: str) -> None:
    generate(4, 20)
    proc = subprocess.run([sys.executable, "-c", COUNTING_RUNNER, *_eros_args(key)], cwd=PROJECT, env=eros_env,
                          capture_output=True, text=True, timeout=900)
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("DBT_PROCESSES ")]
    started = eval(line.split(" ", 1)[1])  # noqa: S307 - a repr of a list of str written above
    assert started == [f"build --selector {JOBS[key].selector}"]
    outcome = json.loads(proc.stdout)
    assert outcome["job_row"]["job_status"] in ("SUCCESS", "COMPLETED_NO_WORK") and outcome["alerting"]["evaluated"]


# ---- kill -9 in the middle of the build, then re-run ------------------------------------

def _daily_state(db: Path) -> dict[str, Any]:
    """Queue, lock state and page errors (the rows a job must neither lose nor duplicate)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "queue": sorted(con.execute("select page_name, execution_date, saturation_pct, status from eros.schedule_generation_queue").fetchall()),
            "queue_keys_unique": con.execute("select count(*) = count(distinct page_name || cast(execution_date as varchar)) "
                                             "from eros.schedule_generation_queue").fetchone()[0],
            "locks": sorted(con.execute("select assignment_key, is_active, deactivated_at, deactivation_reason "
                                        "from raw.active_caption_assignments").fetchall()),
            "cleaned_total": con.execute("select coalesce(sum(total_locks_cleaned), 0) from eros.lock_sweep_log").fetchone()[0],
        }


@pytest.mark.parametrize("kill_at", ["eros.lock_sweep_run", "eros.schedule_generation_queue"])
def test_sigkill_of_the_dbt_process_loses_and_duplicates_nothing(twin_warehouses, kill_at: str) -> None:
    env_killed, env_clean = twin_warehouses("--invalid-pages", "1")
    vars_text = _job_vars("daily")
    process = subprocess.Popen([DBT, "build", "--selector", "daily", "--vars", vars_text], cwd=PROJECT, env=env_killed,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "START" in line and kill_at in line:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen[-20:])

    db = Path(env_killed["EROS_DUCKDB_PATH"])
    with duckdb.connect(str(db), read_only=True) as con:
        (killed_id,) = con.execute("select job_id from eros.etl_job_runs where job_name = 'daily_automation' and job_status = 'RUNNING'").fetchone()

    rerun = eros(env_killed, *_eros_args("daily"))
    outcome = json.loads(rerun.stdout)
    assert outcome["status"] == "COMPLETED_WITH_ERRORS", rerun.stderr
    reference = eros(env_clean, *_eros_args("daily"))
    assert json.loads(reference.stdout)["status"] == "COMPLETED_WITH_ERRORS"

    with duckdb.connect(str(db), read_only=True) as con:
        status, message, ended = con.execute(
            f"select job_status, error_message, job_end_time from eros.etl_job_runs where job_id = '{killed_id}'").fetchone()
        running = con.execute("select count(*) from eros.etl_job_runs where job_status = 'RUNNING'").fetchone()[0]
        errors = con.execute("select job_id, page_name from eros.creator_processing_errors").fetchall()
    assert status == "FAILED" and message.startswith("abandoned") and outcome["job_id"] in message and ended is not None
    assert running == 0
    # page errors: the killed run's (if it got that far) and the re-run's, never two per (job, page)
    assert len(errors) == len(set(errors))
    killed_state, clean_state = _daily_state(db), _daily_state(Path(env_clean["EROS_DUCKDB_PATH"]))
    assert killed_state == clean_state
    assert killed_state["queue_keys_unique"] and killed_state["queue"]


# ---- one home per concept: the job registry and the ops-table spec ----------------------

def _macro_value(path: Path, macro: str) -> Any:
    """Render a macro of this project that only `return`s a literal, with plain Jinja."""
    captured: list[Any] = []

    def _return(value: Any) -> str:
        captured.append(value)
        return ""

    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    env.globals["return"] = _return
    getattr(env.from_string(path.read_text()).module, macro)()
    return captured[0]


def test_jobs_yml_selectors_and_job_name_map_agree() -> None:
    schedules = load_schedules(PROJECT / "jobs.yml").jobs
    selectors = {s["name"]: s for s in yaml.safe_load((PROJECT / "selectors.yml").read_text())["selectors"]}
    names = _macro_value(PROJECT / "macros" / "automation" / "job_runs.sql", "eros_job_names")
    assert set(schedules) == set(JOBS)
    assert set(names) == {spec.selector for spec in JOBS.values()}
    for key, job in schedules.items():
        spec = JOBS[key]
        assert list(job.dbt_steps) == [f"dbt build --selector {spec.selector}"], key  # one step per job
        assert job.step.split()[:3] == ["eros", "run", key]
        assert spec.selector in selectors, key
        assert names[spec.selector] == spec.job_name, key
        # the hooks evaluate the alert rules at the end of every job: the seed is in every job selector
        assert "alert_rules" in json.dumps(selectors[spec.selector]["definition"]), key


def test_every_job_selector_selects_the_alert_rules_seed_and_its_models(eros_env: dict[str, str]) -> None:
    env = dict(eros_env, DBT_PROFILES_DIR=str(PROJECT))
    for spec in JOBS.values():
        proc = plain_dbt(env, "ls", "--selector", spec.selector, "--resource-type", "seed", "--resource-type", "model", "--output", "name")
        assert proc.returncode == 0, proc.stdout[-2000:]
        listed = set(proc.stdout.split())
        assert "alert_rules" in listed and {"etl_job_runs", "automation_alerts"} <= listed, spec.selector
        assert ("lock_sweep_run" in listed) == (spec.selector in ("daily", "lock_sweep")), spec.selector


def test_every_job_tests_the_alert_rules_seed_and_deploy_tests_the_seeds_first(eros_env: dict[str, str]) -> None:
    """Every job loads alert_rules from the checkout it runs in (a git push reaches dbt Cloud
    without `eros deploy`), so every job selector runs the seed's data tests: a bad CSV
    fails the next run, naming the seed's test, instead of silently disabling a rule (a
    NULL threshold never holds). `eros deploy` builds and tests the seeds before any job's
    build (test_doctor_deploy runs it), with --full-refresh under --force."""
    from eros.scheduling.deploy import SEEDS, make_plan

    env = dict(eros_env, DBT_PROFILES_DIR=str(PROJECT))

    def tests_on_seeds(*selection: str) -> set[str]:
        proc = plain_dbt(env, "ls", *selection, "--resource-type", "test", "--output", "name", "-q")
        assert proc.returncode == 0, proc.stdout[-2000:]
        return {name for name in proc.stdout.split() if any(seed in name for seed in SEEDS)}

    seed_tests = tests_on_seeds("--select", " ".join(SEEDS))
    alert_rules_tests = {name for name in seed_tests if "alert_rules" in name}
    assert len(alert_rules_tests) >= 11 and any(name.startswith("not_null_alert_rules_threshold") for name in seed_tests)
    for selector in [spec.selector for spec in JOBS.values()] + ["alerts", "health"]:
        assert alert_rules_tests <= tests_on_seeds("--selector", selector), selector
    schedules = load_schedules(PROJECT / "jobs.yml")
    assert make_plan(schedules, force=False, export_dir=None).dbt_steps[0] == ["build", "--select", *SEEDS]
    assert make_plan(schedules, force=True, export_dir=None).dbt_steps[0] == ["build", "--select", *SEEDS, "--full-refresh"]


def _contract_type(text: str) -> str:
    text = str(text)
    if "int64" in text or text == "bigint":
        return "int"
    if "float64" in text or text == "double":
        return "float"
    return {"string": "string", "timestamp": "timestamp", "date": "date", "boolean": "boolean"}[text]


def test_ops_table_contracts_and_shells_come_from_the_spec() -> None:
    spec = _macro_value(PROJECT / "macros" / "automation" / "ops_tables.sql", "eros_ops_table_spec")
    assert set(spec) == set(OPS_TABLES)
    contracts: dict[str, list[list[str]]] = {}
    for path in (PROJECT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            if model["name"] in spec:
                contracts[model["name"]] = [[c["name"], _contract_type(c["data_type"])] for c in model["columns"]]
    for name, table in spec.items():
        assert contracts[name] == table["columns"], name
        sql = next((PROJECT / "models").rglob(f"{name}.sql")).read_text()
        assert f"eros_ops_partition_by('{name}')" in sql, name
        if "where 1 = 0" in sql:  # a shell: its columns are generated from the spec
            assert f"eros_ops_shell('{name}')" in sql and "cast(null" not in sql, name


# Relations the hooks read besides the ops tables: the daily summary (page_daily_analysis)
# and what the alert rules evaluated at on-run-end read (macros/health/health_measures.sql).
HOOK_END_READS = ("alert_rules", "page_daily_analysis", "caption_bandit_stats", "caption_attribution_daily",
                  "reference_data_quarantine", "page_handle_variants")


def test_hook_refs_are_declared_in_the_hook_text(eros_env: dict[str, str], tmp_path: Path) -> None:
    """The hooks' ref()s stand in dbt_project.yml, not only inside macros, so a (partial)
    parse records them as the hooks' dependencies; the lists cover every ops table of the
    spec, and the parsed hook nodes depend on them."""
    spec = _macro_value(PROJECT / "macros" / "automation" / "ops_tables.sql", "eros_ops_table_spec")
    project = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())
    expected = {
        "on-run-start": set(spec),
        "on-run-end": set(spec) | set(HOOK_END_READS),
    }
    for key, names in expected.items():
        (text,) = project[key]
        assert all(f"'{name}'" in text for name in names), key
    env = dict(_env(eros_env, tmp_path / "w.duckdb"), DBT_TARGET_PATH=str(tmp_path / "target"))
    proc = plain_dbt(env, "parse", "--no-partial-parse")
    assert proc.returncode == 0, proc.stdout[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    hooks = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "operation"}
    for hook_name, names in (("eros-on-run-start-0", expected["on-run-start"]), ("eros-on-run-end-0", expected["on-run-end"])):
        depends = {uid.split(".")[-1] for uid in hooks[hook_name]["depends_on"]["nodes"]}
        assert names <= depends, (hook_name, sorted(names - depends))


def test_descriptions_become_duckdb_comments_only_when_asked(eros_env: dict[str, str]) -> None:
    """macros/utils/persist_docs.sql: on DuckDB dbt's persist_docs (every comment re-written
    on every run) is off unless var eros_duckdb_persist_docs is true."""
    env = dict(eros_env, DBT_PROFILES_DIR=str(PROJECT))
    sql = ("select comment from duckdb_columns() where schema_name = 'eros' and table_name = 'etl_job_runs' "
           "and column_name = 'job_id'")

    def comment() -> str | None:
        with duckdb.connect(env["EROS_DUCKDB_PATH"], read_only=True) as con:
            return con.execute(sql).fetchone()[0]

    proc = plain_dbt(env, "run", "--select", "etl_job_runs")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert comment() is None
    proc = plain_dbt(env, "run", "--select", "etl_job_runs", "--vars", "{eros_duckdb_persist_docs: true}")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "invocation_id" in (comment() or "")


# ---- a bad job parameter in plain dbt names what the user set ----------------------------

@pytest.mark.parametrize(
    ("selector", "setting", "expected"),
    [
        ("daily", {"env": ("EROS_EXECUTION_DATE", "11/29/2026")}, "environment variable EROS_EXECUTION_DATE must be YYYY-MM-DD, got '11/29/2026'"),
        ("daily", {"env": ("EROS_EXECUTION_DATE", "2026-02-30")}, "environment variable EROS_EXECUTION_DATE is not a calendar date: '2026-02-30'"),
        ("daily", {"vars": {"execution_date": "2026/11/29"}}, "var execution_date must be YYYY-MM-DD, got '2026/11/29'"),
        ("lock_sweep", {"env": ("EROS_AS_OF_TIMESTAMP", "yesterday")},
         "environment variable EROS_AS_OF_TIMESTAMP must be an ISO timestamp in UTC (YYYY-MM-DD HH:MM:SS), got 'yesterday'"),
    ],
    ids=["env-date-format", "env-date-not-calendar", "var-date-format", "env-as-of"],
)
def test_a_bad_job_parameter_names_where_it_was_set(tmp_path: Path, eros_env: dict[str, str], selector: str,
                                                    setting: dict[str, Any], expected: str) -> None:
    env = _env(eros_env, tmp_path / "w.duckdb")
    proc = eros(env, "generate", "--pages", "2", "--days", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    args = ["build", "--selector", selector]
    if "env" in setting:
        name, value = setting["env"]
        env = dict(env, **{name: value})
    else:
        args += ["--vars", json.dumps(setting["vars"])]
    build = plain_dbt(env, *args)
    assert build.returncode != 0
    assert expected in build.stdout, build.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'eros'").fetchall()}
        recorded = con.execute("select count(*) from eros.etl_job_runs").fetchone()[0] if "etl_job_runs" in tables else 0
    assert recorded == 0, "a run with a bad parameter records no job"
