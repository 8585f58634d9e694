"""Bad command-line and environment input (issue 13, "Fail fast, with a reason"): each case
exits 2 with one line on stderr naming the cause, prints no traceback, starts no dbt and
changes nothing (no file or folder created, the warehouse file byte-for-byte the same).

The CLI runs in-process (click's CliRunner): every case fails before dbt starts, so the
whole matrix takes seconds. A case that reached dbt would fail the "nothing changed"
check (dbt writes the warehouse and its target folder) and the time budget.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from eros import cli, preflight
from eros.errors import ErosUsageError

from eros_test_support import PROJECT

PAST_DATE = "2026-06-17"
AS_OF = "2026-06-17T11:00:00Z"


@dataclass
class Case:
    """One bad input: the eros arguments, environment changes, a setup step in the test's
    folder, and a piece of the expected one-line message."""

    args: list[str]
    needle: str
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], dict[str, str]] | None = None
    code: int = 2


def _duckdb_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists eros; create table eros.kept as select 1 as x")
    return path


def _folder_as_path(root: Path) -> dict[str, str]:
    (root / "wh").mkdir()
    return {"EROS_DUCKDB_PATH": str(root / "wh")}


def _text_file(root: Path) -> dict[str, str]:
    (root / "notes.duckdb").write_text("page_name,caption_id\nalice,1\n")
    return {"EROS_DUCKDB_PATH": str(root / "notes.duckdb")}


def _binary_file(root: Path) -> dict[str, str]:
    (root / "image.duckdb").write_bytes(bytes(range(256)) * 8)
    return {"EROS_DUCKDB_PATH": str(root / "image.duckdb")}


def _empty_file(root: Path) -> dict[str, str]:
    (root / "empty.duckdb").write_bytes(b"")
    return {"EROS_DUCKDB_PATH": str(root / "empty.duckdb")}


def _read_only_file(root: Path) -> dict[str, str]:
    path = _duckdb_file(root / "ro" / "w.duckdb")
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    return {"EROS_DUCKDB_PATH": str(path)}


def _mistyped_folder(root: Path) -> dict[str, str]:
    _duckdb_file(root / "warehouse" / "w.duckdb")
    return {"EROS_DUCKDB_PATH": str(root / "warehuose" / "w.duckdb")}


def _unwritable_folder(root: Path) -> dict[str, str]:
    (root / "locked").mkdir()
    (root / "locked").chmod(stat.S_IRUSR | stat.S_IXUSR)
    return {"EROS_DUCKDB_PATH": str(root / "locked" / "w.duckdb")}


def _file_as_folder(root: Path) -> dict[str, str]:
    (root / "plain").write_text("not a folder\n")
    return {"EROS_DUCKDB_PATH": str(root / "plain" / "w.duckdb")}


def _good_warehouse(root: Path) -> dict[str, str]:
    return {"EROS_DUCKDB_PATH": str(_duckdb_file(root / "good" / "w.duckdb"))}


def _project_without_profiles(root: Path) -> dict[str, str]:
    copy = root / "project"
    copy.mkdir()
    for name in ("dbt_project.yml", "jobs.yml", "selectors.yml"):
        shutil.copy(PROJECT / name, copy / name)
    return {"EROS_PROJECT_DIR": str(copy), **_good_warehouse(root)}


def _not_a_project(root: Path) -> dict[str, str]:
    (root / "elsewhere").mkdir()
    return {"EROS_PROJECT_DIR": str(root / "elsewhere"), **_good_warehouse(root)}


def _no_credentials(root: Path) -> dict[str, str]:
    (root / "home").mkdir()
    return {"HOME": str(root / "home"), "CLOUDSDK_CONFIG": str(root / "home" / "gcloud"), "NO_GCE_CHECK": "true",
            "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9", **_good_warehouse(root)}


def _missing_keyfile(root: Path) -> dict[str, str]:
    return {"EROS_BQ_KEYFILE": str(root / "keys" / "sa.json"), **_good_warehouse(root)}


def _missing_adc_file(root: Path) -> dict[str, str]:
    return {"GOOGLE_APPLICATION_CREDENTIALS": str(root / "adc.json"), **_good_warehouse(root)}


DAILY = ["run", "daily", "--date", PAST_DATE, "--as-of", AS_OF]

CASES: dict[str, Case] = {
    # the warehouse path (EROS_DUCKDB_PATH)
    "folder as warehouse path": Case(DAILY, "is a folder, not a DuckDB file", setup=_folder_as_path),
    "text file as warehouse": Case(DAILY, "is a text file, not a DuckDB database", setup=_text_file),
    "binary non-DuckDB file": Case(DAILY, "is a file of another format", setup=_binary_file),
    "empty file as warehouse": Case(DAILY, "is an empty file", setup=_empty_file),
    "read-only warehouse file": Case(DAILY, "the file is read-only", setup=_read_only_file),
    "mistyped warehouse folder": Case(DAILY, "warehuose does not exist", setup=_mistyped_folder),
    "unwritable warehouse folder": Case(DAILY, "is not writable", setup=_unwritable_folder),
    "a file where the folder should be": Case(DAILY, "is not a folder", setup=_file_as_folder),
    "free disk below the floor (env)": Case(DAILY, "below the floor", env={"EROS_MIN_FREE_MB": "1e15"}, setup=_good_warehouse),
    "malformed disk floor (env)": Case(DAILY, "EROS_MIN_FREE_MB='lots' is not a number", env={"EROS_MIN_FREE_MB": "lots"},
                                       setup=_good_warehouse),
    "negative disk floor (env)": Case(DAILY, "must be a number of megabytes >= 0", env={"EROS_MIN_FREE_MB": "-5"},
                                      setup=_good_warehouse),
    "sweep job on a folder": Case(["run", "lock-sweep", "--as-of", AS_OF], "is a folder", setup=_folder_as_path),
    "run-due on a text file": Case(["schedule", "run-due", "--now", AS_OF], "is a text file", setup=_text_file),
    "generate into a read-only warehouse": Case(["generate", "--pages", "2", "--days", "3", "--date", PAST_DATE],
                                                "the file is read-only", setup=_read_only_file),
    # --var
    "--var execution_date": Case([*DAILY, "--var", "execution_date=2026-01-01"], "set by eros itself: use --date", setup=_good_warehouse),
    "--var as_of_timestamp": Case([*DAILY, "--var", "as_of_timestamp=2026-01-01 00:00:00"], "use --as-of", setup=_good_warehouse),
    "unknown --var with suggestion": Case([*DAILY, "--var", "circuit_breaker_failed_page=3"],
                                          "did you mean 'circuit_breaker_failed_pages'", setup=_good_warehouse),
    "unknown --var without suggestion": Case([*DAILY, "--var", "zzqx=1"], "unknown --var 'zzqx'", setup=_good_warehouse),
    "malformed --var": Case([*DAILY, "--var", "novalue"], "expected NAME=VALUE", setup=_good_warehouse),
    "--var with an empty name": Case([*DAILY, "--var", "=3"], "expected NAME=VALUE", setup=_good_warehouse),
    "--var of the wrong type": Case([*DAILY, "--var", "circuit_breaker_failed_pages=many"], "is a number", setup=_good_warehouse),
    # --date / --as-of
    "far-future --date": Case(["run", "daily", "--date", "2030-01-01"], "pass --allow-future", setup=_good_warehouse),
    "far-future --as-of": Case(["run", "lock-sweep", "--as-of", "2031-01-01T00:00:00Z"], "pass --allow-future", setup=_good_warehouse),
    "malformed --date": Case(["run", "daily", "--date", "17/06/2026"], "expected YYYY-MM-DD", setup=_good_warehouse),
    "impossible --date": Case(["run", "daily", "--date", "2026-02-30"], "not a calendar date", setup=_good_warehouse),
    "malformed --as-of": Case(["run", "daily", "--date", PAST_DATE, "--as-of", "yesterday"], "expected an ISO timestamp",
                              setup=_good_warehouse),
    "--as-of before the --date": Case(["run", "daily", "--date", PAST_DATE, "--as-of", "2026-06-01T00:00:00Z"],
                                      "before the execution date", setup=_good_warehouse),
    "malformed run-due --now": Case(["schedule", "run-due", "--now", "soon"], "invalid --now", setup=_good_warehouse),
    # commands, options, targets, project
    "unknown job name": Case(["run", "daly"], "unknown job 'daly' (did you mean 'daily'?", setup=_good_warehouse),
    "unknown option": Case(["run", "daily", "--dates", PAST_DATE], "No such option", setup=_good_warehouse),
    "bad EROS_TARGET": Case(DAILY, "unknown target 'nowhere' (from EROS_TARGET)", env={"EROS_TARGET": "nowhere"}, setup=_good_warehouse),
    "bad --target": Case([*DAILY, "--target", "prdo"], "unknown target 'prdo'", setup=_good_warehouse),
    "prod without credentials": Case([*DAILY, "--target", "prod"], "has no BigQuery credentials: set EROS_BQ_KEYFILE",
                                     setup=_no_credentials),
    "prod with a missing key file": Case([*DAILY, "--target", "prod"], "sa.json: no such file", setup=_missing_keyfile),
    "prod with a missing ADC file": Case([*DAILY, "--target", "prod"], "GOOGLE_APPLICATION_CREDENTIALS=", setup=_missing_adc_file),
    "missing profiles.yml": Case(DAILY, "profiles.yml", setup=_project_without_profiles),
    "EROS_PROJECT_DIR not the project": Case(DAILY, "is not the eros dbt project", setup=_not_a_project),
    "zero --limit": Case(["alerts", "list", "--limit", "0"], "Invalid value for '--limit'", setup=_good_warehouse),
    "negative --count": Case(["schedule", "list", "--count", "-1"], "Invalid value for '--count'", setup=_good_warehouse),
    "zero --pages": Case(["generate", "--pages", "0"], "Invalid value for '--pages'", setup=_good_warehouse),
}


def _tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every file and folder under root: size and content hash (folders: 'dir')."""
    out: dict[str, tuple[int, str]] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_dir():
            out[key] = (0, "dir")
        else:
            try:
                out[key] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
            except PermissionError:
                out[key] = (path.stat().st_size, "unreadable")
    return out


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An environment without the caller's eros settings; dbt folders inside tmp_path."""
    for name in list(os.environ):
        if name.startswith(("EROS_", "GOOGLE_APPLICATION")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EROS_TARGET", "local")
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt_logs"))
    monkeypatch.chdir(PROJECT)
    root = tmp_path / "case"
    root.mkdir()
    return root


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_with_one_line_and_changes_nothing(name: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    env = dict(case.setup(clean_env) if case.setup else {})
    env.update(case.env)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = _tree(clean_env.parent)
    default_warehouse = PROJECT / "warehouse"
    default_before = default_warehouse.exists()

    result = CliRunner().invoke(cli.main, case.args, catch_exceptions=False)

    stderr_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == case.code, (name, result.output, result.stderr)
    assert len(stderr_lines) == 1, (name, result.stderr)
    assert case.needle in stderr_lines[0], (name, stderr_lines[0])
    assert stderr_lines[0].startswith("eros: error: ")
    assert "Traceback" not in result.output + result.stderr
    assert _tree(clean_env.parent) == before, f"{name}: something under the test folder changed"
    assert default_warehouse.exists() == default_before


def test_the_matrix_has_at_least_15_kinds() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "WAL"),
    OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),  # a write() on a full disk names no file
    PermissionError(errno.EACCES, os.strerror(errno.EACCES), "WAL"),
    OSError(errno.EROFS, os.strerror(errno.EROFS)),
], ids=["disk full", "disk full, no file name", "permission denied", "read-only file system"])
def test_os_error_during_a_run_is_one_line_exit_2(error: OSError, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk filling (ENOSPC), a permission error or a read-only file system while the job
    runs: exit 2, one line naming the cause (and the path when there is one), no traceback."""
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(_duckdb_file(clean_env / "w" / "w.duckdb")))
    wal = str(clean_env / "w" / "w.duckdb.wal")
    if error.filename == "WAL":
        error = type(error)(error.errno, error.strerror, wal)

    def failing(*args: object, **kwargs: object) -> None:
        raise error

    import eros.job_alerts

    monkeypatch.setattr(eros.job_alerts, "run_job_with_alerts", failing)
    result = CliRunner().invoke(cli.main, [*DAILY, "--json"], catch_exceptions=False)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("eros: error: ")
    assert (wal in lines[0]) == (error.filename is not None)
    assert ("permission denied" in lines[0]) if isinstance(error, PermissionError) else (str(error.strerror) in lines[0])
    assert "Traceback" not in result.output + result.stderr


def test_a_job_row_left_running_records_the_reason(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """eros.jobs.close_unfinished_job: dbt stopped before its on-run-end (disk full), so the
    RUNNING row becomes FAILED with dbt's error line; other rows are untouched."""
    from eros.jobs import close_unfinished_job

    path = _duckdb_file(clean_env / "w" / "w.duckdb")
    monkeypatch.setenv("EROS_DUCKDB_PATH", str(path))
    with duckdb.connect(str(path)) as con:
        con.execute("create table eros.etl_job_runs (job_id varchar, job_name varchar, job_start_time timestamp, "
                    "job_end_time timestamp, job_status varchar, error_message varchar)")
        con.execute("insert into eros.etl_job_runs values ('j1', 'daily_automation', timestamp '2026-06-17 10:05:00', null, 'RUNNING', null), "
                    "('j0', 'daily_automation', timestamp '2026-06-16 10:05:00', timestamp '2026-06-16 10:06:00', 'SUCCESS', null)")
    import datetime as dt

    close_unfinished_job(PROJECT, "local", "j1", "IO Error: No space left on device", now=dt.datetime(2026, 6, 17, 11, 0))
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select job_id, job_status, job_end_time, error_message from eros.etl_job_runs order by job_id").fetchall()
    assert rows == [
        ("j0", "SUCCESS", dt.datetime(2026, 6, 16, 10, 6), None),
        ("j1", "FAILED", dt.datetime(2026, 6, 17, 11, 0), "IO Error: No space left on device"),
    ]


def test_the_default_warehouse_folder_is_the_one_folder_created(tmp_path: Path) -> None:
    """Only <project>/warehouse is created when missing; any other missing folder is refused."""
    project = tmp_path / "proj"
    project.mkdir()
    target = project / "warehouse" / "eros_warehouse.duckdb"
    assert preflight.check_duckdb_path(target, project=project, env={}) == target
    assert target.parent.is_dir() and not target.exists()
    with pytest.raises(ErosUsageError, match="does not exist"):
        preflight.check_duckdb_path(project / "other" / "w.duckdb", project=project, env={})
    assert not (project / "other").exists()


def test_var_names_and_future_dates_directly() -> None:
    import datetime as dt

    known = preflight.known_var_names(PROJECT)
    assert "execution_date" not in known and "circuit_breaker_failed_pages" in known
    preflight.check_var_names(["circuit_breaker_failed_pages", "eros_page_settings_enabled"], known)
    with pytest.raises(ErosUsageError, match="did you mean 'lock_stale_after_days'"):
        preflight.check_var_names(["lock_stale_after_day"], known)
    now = dt.datetime(2026, 12, 6, 7, 0, tzinfo=dt.UTC)  # 2026-12-05 23:00 in LA
    preflight.check_not_future(dt.date(2026, 12, 6), None, allow_future=False, now=now)
    with pytest.raises(ErosUsageError, match="after today \\(2026-12-05\\)"):
        preflight.check_not_future(dt.date(2026, 12, 7), None, allow_future=False, now=now)
    preflight.check_not_future(dt.date(2030, 1, 1), dt.datetime(2030, 1, 1, 11), allow_future=True, now=now)
