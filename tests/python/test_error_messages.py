"""Errors that help (issue 15, item 4): each names the cause and the fix, in one line with
exit code 2: BigQuery credentials missing (and how to provide them), a key file that is
missing, a folder or not a key, files that cannot be read or written, no warehouse yet, an
alert id prefix that is too short. No dbt process is started for any of them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from eros.errors import ErosUsageError, file_problem
from eros.preflight import check_duckdb_path, check_target_ready
from eros.project import DEFAULT_SCHEMA, SCHEMA_ENV, duckdb_path_problem
from eros.report import check_report_destination
from eros.warehouse import WarehouseConfig, connect, credentials_problem, load_config

from eros_test_support import PROJECT, RunEros


@pytest.fixture
def no_google_credentials(tmp_path: Path, eros_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment with no application-default credentials (empty gcloud config)."""
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "EROS_BQ_KEYFILE", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
        eros_env.pop(name, None)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # google.auth must not probe the metadata server
    env = {**eros_env, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "NO_GCE_CHECK": "True",
           "DBT_LOG_PATH": str(tmp_path / "dbt-logs"), "DBT_TARGET_PATH": str(tmp_path / "dbt-target")}
    return env


def _bq(**kwargs: object) -> WarehouseConfig:
    return WarehouseConfig(target="prod", type="bigquery", schema="eros", project="p", **kwargs)  # type: ignore[arg-type]


def test_credentials_problem_names_the_credential_and_the_fix(no_google_credentials: dict[str, str], tmp_path: Path) -> None:
    missing = credentials_problem(_bq(method="oauth"))
    assert missing and "no BigQuery credentials" in missing and "EROS_BQ_KEYFILE" in missing
    assert "gcloud auth application-default login" in missing
    gone = credentials_problem(_bq(method="service-account", keyfile=str(tmp_path / "key.json")))
    assert gone and "key.json: no such file" in gone and "EROS_BQ_KEYFILE" in gone
    assert "is a folder" in str(credentials_problem(_bq(method="service-account", keyfile=str(tmp_path))))
    (tmp_path / "bad.json").write_text("{not json")
    assert "is not a service-account key" in str(credentials_problem(_bq(method="service-account", keyfile=str(tmp_path / "bad.json"))))
    assert credentials_problem(_bq(method="oauth-secrets", token="t")) is None
    assert credentials_problem(WarehouseConfig(target="local", type="duckdb", schema="eros")) is None


def test_prod_without_credentials_fails_fast_naming_them(run_eros: RunEros, no_google_credentials: dict[str, str], tmp_path: Path) -> None:
    env = no_google_credentials
    for args in (["run", "daily", "--target", "prod"], ["alerts", "list", "--target", "prod"], ["errors", "--target", "prod"],
                 ["alerts", "evaluate", "--target", "prod"], ["report", "--target", "prod"]):
        proc = run_eros(*args, env=env)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        (line,) = proc.stderr.strip().splitlines()
        assert "no BigQuery credentials" in line and "EROS_BQ_KEYFILE" in line, (args, line)
    health = run_eros("health", "--target", "prod", env=env)
    assert health.returncode == 3 and "no BigQuery credentials" in health.stderr
    keyfile = run_eros("run", "daily", "--target", "prod", env={**env, "EROS_BQ_KEYFILE": str(tmp_path / "nope.json")})
    assert keyfile.returncode == 2 and f"EROS_BQ_KEYFILE={tmp_path / 'nope.json'}: no such file" in keyfile.stderr
    assert not (tmp_path / "dbt-logs").exists(), "a dbt process ran"


def test_file_problems_say_what_and_how(run_eros: RunEros, tmp_path: Path, eros_env: dict[str, str]) -> None:
    assert "permission denied" in file_problem(PermissionError(13, "Permission denied", "/etc/x"))
    assert file_problem(FileNotFoundError(2, "No such file", "/nope/x")).startswith("/nope/x: no such file or folder")
    assert "is a folder" in file_problem(IsADirectoryError(21, "Is a directory", str(tmp_path)))
    (tmp_path / "file.txt").write_text("")
    unwritable = run_eros("schedule", "export", "--format", "cron", "--output", str(tmp_path / "file.txt" / "crontab"))
    assert unwritable.returncode == 2 and "Traceback" not in unwritable.stderr
    assert unwritable.stderr.startswith(f"eros: error: {tmp_path / 'file.txt'}") and "not a folder" in unwritable.stderr
    config = run_eros("alerts", "send", "--dry-run", env={**eros_env, "EROS_ALERT_CONFIG": str(tmp_path / "alerts.yml")})
    assert config.returncode == 2 and "EROS_ALERT_CONFIG file" in config.stderr and "no such file or folder" in config.stderr
    no_warehouse = run_eros("alerts", "list")
    assert no_warehouse.returncode == 2 and "no warehouse yet" in no_warehouse.stderr and "eros demo" in no_warehouse.stderr
    no_errors = run_eros("errors")
    assert no_errors.returncode == 2 and "no warehouse yet" in no_errors.stderr


def test_warehouse_paths_that_cannot_work_are_named_before_any_work(run_eros: RunEros, tmp_path: Path,
                                                                    eros_env: dict[str, str]) -> None:
    """Found by a new user (issue 15 item 4): a folder, a missing folder, a file that is not
    a database, a file DuckDB would name like a schema, and a report destination that cannot
    be written each get their own cause and fix, exit 2, and no dbt process."""
    env = {**eros_env, "DBT_LOG_PATH": str(tmp_path / "dbt-logs")}
    folder = tmp_path / "a_folder.duckdb"
    folder.mkdir()
    listed = run_eros("alerts", "list", env={**env, "EROS_DUCKDB_PATH": str(folder)})
    assert listed.returncode == 2 and "is a folder, not a DuckDB file" in listed.stderr, listed.stderr
    missing = run_eros("errors", env={**env, "EROS_DUCKDB_PATH": str(tmp_path / "nowhere" / "w.duckdb")})
    assert missing.returncode == 2 and f"the folder {tmp_path / 'nowhere'} does not exist" in missing.stderr, missing.stderr
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n")
    opened = run_eros("alerts", "list", env={**env, "EROS_DUCKDB_PATH": str(text)})
    assert opened.returncode != 0 and "point EROS_DUCKDB_PATH at" in opened.stderr and "Traceback" not in opened.stderr
    for name in ("eros.duckdb", "raw.duckdb", "eros_elementary.duckdb"):
        for args in (["alerts", "list"], ["run", "daily", "--date", "2026-06-17"]):
            clash = run_eros(*args, env={**env, "EROS_DUCKDB_PATH": str(tmp_path / name)})
            assert clash.returncode == 2, (name, args, clash.stderr)
            assert "DuckDB names the database after the file" in clash.stderr and "rename the file" in clash.stderr
    assert not (tmp_path / "eros.duckdb").exists()
    report = run_eros("report", "--out", str(tmp_path / "notes.duckdb" / "report.html"))
    assert report.returncode == 2 and "not a folder" in report.stderr and "Traceback" not in report.stderr, report.stderr
    assert not (tmp_path / "dbt-logs").exists(), "a dbt process ran"


def _refusal(call: object) -> str:
    """The message of the ErosUsageError ``call()`` raises."""
    with pytest.raises(ErosUsageError) as raised:
        call()  # type: ignore[operator]
    return str(raised.value)


def test_one_description_of_a_warehouse_path_for_dbt_runs_and_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """eros.project.duckdb_path_problem is the one description of a DuckDB path that cannot
    work: the pre-dbt check (eros.preflight) and the reads without dbt (eros.warehouse.connect)
    refuse each bad path with the same line, and opening nothing."""
    monkeypatch.delenv(SCHEMA_ENV, raising=False)
    monkeypatch.setenv("EROS_TARGET", "local")
    (tmp_path / "a_folder.duckdb").mkdir()
    (tmp_path / "notes.duckdb").write_text("page_name,caption_id\nalice,1\n")
    (tmp_path / "image.duckdb").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.duckdb").write_bytes(b"")
    (tmp_path / "plain").write_text("")
    with duckdb.connect(str(tmp_path / "good.duckdb")) as con:
        con.execute("create table kept as select 1 as x")
    expected = {
        "a_folder.duckdb": "is a folder, not a DuckDB file (EROS_DUCKDB_PATH must name a file inside it)",
        "nowhere/w.duckdb": f"the folder {tmp_path / 'nowhere'} does not exist (mistyped EROS_DUCKDB_PATH?)",
        "plain/w.duckdb": f"{tmp_path / 'plain'} is not a folder",
        "notes.duckdb": "is a text file, not a DuckDB database (point EROS_DUCKDB_PATH at a .duckdb file)",
        "image.duckdb": "is a file of another format, not a DuckDB database",
        "empty.duckdb": "is an empty file, not a DuckDB database",
        "eros.duckdb": "DuckDB names the database after the file ('eros')",
    }
    for name, cause in expected.items():
        path = tmp_path / name
        problem = duckdb_path_problem(path)
        assert problem is not None and problem.startswith(cause), (name, problem)
        monkeypatch.setenv("EROS_DUCKDB_PATH", str(path))
        read = _refusal(lambda: connect(PROJECT).__enter__())  # noqa: B023 (called at once)
        assert read == f"warehouse {path}: {problem}", name
        if name != "nowhere/w.duckdb":  # the pre-dbt check also says which folder eros creates
            assert _refusal(lambda: check_duckdb_path(path, project=PROJECT, env={})) == read, name  # noqa: B023
    assert "eros creates no folder but" in _refusal(lambda: check_duckdb_path(tmp_path / "nowhere" / "w.duckdb", project=PROJECT, env={}))
    assert not (tmp_path / "nowhere").exists()
    for fine in (tmp_path / "good.duckdb", tmp_path / "later.duckdb"):
        assert duckdb_path_problem(fine) is None
    assert duckdb_path_problem(tmp_path / "new" / "w.duckdb", creatable_folder=tmp_path / "new") is None



def test_health_and_report_name_a_mistyped_warehouse_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The health checks (eros health, and eros report, which runs them first) say what
    eros alerts list says of a warehouse path in a folder that does not exist; a missing file
    in an existing folder is "no warehouse yet". No dbt process starts either way."""
    from eros.health import run_health

    monkeypatch.setenv("EROS_TARGET", "local")
    mistyped = tmp_path / "nowhere" / "w.duckdb"
    report = run_health(project=PROJECT, target="local", duckdb_file=mistyped)
    assert report.status == "UNKNOWN" and report.error == f"warehouse {mistyped}: {duckdb_path_problem(mistyped)}"
    assert "does not exist (mistyped EROS_DUCKDB_PATH?)" in report.error
    missing = tmp_path / "w.duckdb"
    report = run_health(project=PROJECT, target="local", duckdb_file=missing)
    assert report.error == f"no warehouse at {missing} (run `eros generate` or `eros demo` first)"
    assert not (tmp_path / "nowhere").exists() and not missing.exists()

def test_the_schema_of_the_warehouse_name_check_is_the_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """duckdb_catalog_clash compares the file name with the target schema the profile
    renders (connect, the pre-dbt check of a target); without a rendered profile it falls
    back to EROS_SCHEMA or DEFAULT_SCHEMA, which is profiles.yml's own default."""
    monkeypatch.delenv(SCHEMA_ENV, raising=False)
    local = yaml.safe_load((PROJECT / "profiles.yml").read_text())["eros"]["outputs"]["local"]
    assert local["schema"].replace(" ", "") == f"{{{{env_var('{SCHEMA_ENV}','{DEFAULT_SCHEMA}')}}}}"
    assert load_config(PROJECT, "local").schema == DEFAULT_SCHEMA
    # a project whose profile names another schema: that schema's file name is refused, 'eros' is free
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT / name, project / name)
    profiles = project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace(f"{{{{ env_var('{SCHEMA_ENV}', '{DEFAULT_SCHEMA}') }}}}", "analytics"))
    assert load_config(project, "local").schema == "analytics"
    clash = tmp_path / "analytics.duckdb"
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(clash))
    assert "rename the file (for example analytics_warehouse.duckdb)" in _refusal(lambda: connect(project, "local").__enter__())
    assert "rename the file" in _refusal(lambda: check_target_ready(project, "local", clash, env={}))
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(tmp_path / "eros.duckdb"))
    assert "no warehouse yet" in _refusal(lambda: connect(project, "local").__enter__())
    check_target_ready(project, "local", tmp_path / "eros.duckdb", env={})
    assert not (tmp_path / "eros.duckdb").exists()


def test_the_report_destination_check_creates_nothing(tmp_path: Path) -> None:
    """eros report --out is checked before the build without creating its folder: a refused
    or failed run leaves no empty folder (write_report creates it with the page)."""
    before = sorted(tmp_path.iterdir())
    check_report_destination(tmp_path / "new" / "deeper" / "report.html")
    check_report_destination(tmp_path / "report.html")
    assert sorted(tmp_path.iterdir()) == before, "the check left a folder or a file behind"
    (tmp_path / "plain").write_text("")
    assert "a part of the path is a file, not a folder" in _refusal(lambda: check_report_destination(tmp_path / "plain" / "sub" / "r.html"))
    assert "is a folder" in _refusal(lambda: check_report_destination(tmp_path))
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            assert "permission denied" in _refusal(lambda: check_report_destination(locked / "new" / "report.html"))
            assert "permission denied" in _refusal(lambda: check_report_destination(locked / "report.html"))
        finally:
            locked.chmod(0o700)
        assert not (locked / "new").exists()
