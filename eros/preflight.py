"""Checks eros makes before it starts dbt (issue 13, "Fail fast, with a reason"): a bad
target, warehouse path or job parameter stops the command at once with one line naming
the path or value and the cause (exit 2), instead of a dbt run that fails a minute later
or quietly creates an empty warehouse somewhere.

Core layer: it reads the file system, the environment and ``profiles.yml`` only (no dbt,
no warehouse query), so the CLI and the tests call the same functions.

Rules:

* DuckDB target: the warehouse path is a DuckDB file (its header says ``DUCK``), or does
  not exist yet in a folder that exists (:func:`eros.project.duckdb_path_problem`, which
  the read commands use too). Only the default folder
  (``<project>/warehouse``) is created when missing: a mistyped ``EROS_DUCKDB_PATH``
  folder is refused, not created. The file and its folder must be writable (DuckDB writes
  a ``.wal`` file beside the database), and the folder's file system must have at least
  ``EROS_MIN_FREE_MB`` (default :data:`DEFAULT_MIN_FREE_MB`) MB free.
* BigQuery target: the credentials the profile names exist (a service-account key file,
  a token, or application-default credentials), else the message says which one is
  missing and how to provide it.
* ``--var``: names eros sets itself (:data:`RESERVED_VARS`) and names the project does not
  declare are refused (the latter with a did-you-mean, :func:`check_var_names`).
* ``--date`` / ``--as-of``: more than :data:`MAX_FUTURE_DAYS` day after today in
  America/Los_Angeles is refused unless the caller allows the future (``--allow-future``):
  a run for a future date records a job row that would satisfy the health check "daily
  run within 28 h" for the wrong day.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from eros.core import LA, today_in_la
from eros.errors import ErosUsageError
from eros.project import DEFAULT_DUCKDB_RELATIVE, duckdb_path_problem, project_vars, target_type

# Floor of free disk space on the warehouse's file system, in MB (env EROS_MIN_FREE_MB).
MIN_FREE_ENV = "EROS_MIN_FREE_MB"
DEFAULT_MIN_FREE_MB = 100
# dbt vars eros sets from its own options: --var may not override them.
RESERVED_VARS = {"execution_date": "--date", "as_of_timestamp": "--as-of"}
# vars the project's macros read that dbt_project.yml leaves undeclared (set by eros or by
# tests): accepted by --var besides the declared ones.
UNDECLARED_KNOWN_VARS = ("eros_elementary_enabled", "eros_evaluate_alerts", "eros_job")
# How far after today (LA) a --date / --as-of may be without --allow-future.
MAX_FUTURE_DAYS = 1


def min_free_mb(env: Mapping[str, str] | None = None) -> float:
    """The free-disk floor in MB: ``EROS_MIN_FREE_MB`` (0 turns the check off), default
    :data:`DEFAULT_MIN_FREE_MB`.

    Raises:
        ErosUsageError: the variable is not a number >= 0.
    """
    env = os.environ if env is None else env
    text = env.get(MIN_FREE_ENV, "").strip()
    if not text:
        return float(DEFAULT_MIN_FREE_MB)
    try:
        value = float(text)
    except ValueError:
        raise ErosUsageError(f"{MIN_FREE_ENV}={text!r} is not a number of megabytes") from None
    if value < 0 or value != value:
        raise ErosUsageError(f"{MIN_FREE_ENV}={text!r} must be a number of megabytes >= 0")
    return value


def _writable(path: Path) -> bool:
    """True when ``path`` may be written. root passes os.access on any file, so a file or
    folder without any write permission bit counts as read-only for root too."""
    if not os.access(path, os.W_OK):
        return False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return bool(path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return True


def check_duckdb_path(path: Path, *, project: Path, schema: str | None = None, env: Mapping[str, str] | None = None,
                      create_default_folder: bool = True, create_any_folder: bool = False) -> Path:
    """Check a DuckDB warehouse path before dbt opens it (module docstring).

    Args:
        path: the warehouse file (absolute, :func:`eros.project.duckdb_path`).
        project: the dbt project (its ``warehouse/`` folder is the one folder created).
        schema: the target schema the profile renders (None: ``$EROS_SCHEMA`` or its
            default), for the name check of :func:`eros.project.duckdb_catalog_clash`.
        env: environment with ``EROS_MIN_FREE_MB`` (default os.environ).
        create_default_folder: create ``<project>/warehouse`` when it is the missing folder.
        create_any_folder: create any missing folder (``eros generate``, whose purpose is to
            create a warehouse where the user points).

    Returns:
        ``path``.

    Raises:
        ErosUsageError: ``warehouse <path>: <cause>``: what :func:`eros.project.duckdb_path_problem`
            says (a folder, a missing folder, a text or empty file, a file name DuckDB would
            confuse with a schema), or a read-only file, an unwritable folder, too little
            free disk.
    """
    folder = path.parent
    default_folder = (project / DEFAULT_DUCKDB_RELATIVE).parent.resolve()
    creatable = folder if create_any_folder else default_folder if create_default_folder else None
    problem = duckdb_path_problem(path, schema=schema, creatable_folder=creatable)
    if problem:
        raise ErosUsageError(f"warehouse {path}: {problem}")
    if path.exists() and not _writable(path):
        raise ErosUsageError(f"warehouse {path}: the file is read-only (make it writable: chmod u+w)")
    if not folder.exists():  # missing and let pass above: the one folder this check creates
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ErosUsageError(f"warehouse {path}: cannot create the folder {folder} ({exc.strerror or exc})") from None
    if folder.exists() and not _writable(folder):
        raise ErosUsageError(f"warehouse {path}: the folder {folder} is not writable (DuckDB writes its .wal file beside the database)")
    floor = min_free_mb(env)
    if floor > 0 and folder.exists():
        free_mb = shutil.disk_usage(folder).free / 1e6
        if free_mb < floor:
            raise ErosUsageError(f"warehouse {path}: only {free_mb:,.0f} MB free on its disk, below the floor of {floor:,.0f} MB "
                                 f"({MIN_FREE_ENV}; free some space or lower it)")
    return path


def check_bigquery_credentials(project: Path, target: str) -> None:
    """Resolve the BigQuery credentials a target's profile names, without any query.

    Raises:
        ErosUsageError: the key file, token or application-default credentials are missing
            (the message names the credential and how to provide it).
    """
    from eros.warehouse import require_credentials

    require_credentials(project, target)


def check_target_ready(project: Path, target: str, duckdb_file: Path, *, env: Mapping[str, str] | None = None) -> None:
    """Every check of the target before a command that runs dbt or writes the warehouse:
    :func:`check_duckdb_path` on a duckdb target, :func:`check_bigquery_credentials` on a
    bigquery one.

    Raises:
        ErosUsageError: one line naming the path or credential and the cause.
    """
    kind = target_type(project, target)
    if kind == "duckdb":
        from eros.warehouse import load_config  # the rendered profile: the schema dbt will use

        check_duckdb_path(duckdb_file, project=project, schema=load_config(project, target).schema, env=env)
    elif kind == "bigquery":
        check_bigquery_credentials(project, target)


def known_var_names(project: Path) -> list[str]:
    """Names ``--var`` accepts: the ``vars:`` of dbt_project.yml (minus :data:`RESERVED_VARS`)
    and :data:`UNDECLARED_KNOWN_VARS`."""
    names = set(project_vars(project)) | set(UNDECLARED_KNOWN_VARS)
    return sorted(names - set(RESERVED_VARS))


def check_var_names(names: Iterable[str], known: Iterable[str]) -> None:
    """Refuse ``--var`` names eros sets itself and names the project does not know.

    Raises:
        ErosUsageError: ``--var execution_date is set by eros: use --date``, or
            ``unknown --var 'x' (did you mean 'y'?)``.
    """
    known = list(known)
    for name in names:
        if name in RESERVED_VARS:
            raise ErosUsageError(f"--var {name} is set by eros itself: use {RESERVED_VARS[name]} instead")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else " (the vars of dbt_project.yml are the known names)"
            raise ErosUsageError(f"unknown --var '{name}'{hint}")


def check_not_future(execution_date: dt.date | None, as_of: dt.datetime | None, *, allow_future: bool,
                     now: dt.datetime | None = None) -> None:
    """Refuse a ``--date`` or ``--as-of`` more than :data:`MAX_FUTURE_DAYS` day after today
    in America/Los_Angeles unless ``allow_future``.

    Args:
        execution_date: the --date (or None).
        as_of: the --as-of, naive UTC (or None).
        allow_future: ``--allow-future``.
        now: the wall clock (aware; default now).

    Raises:
        ErosUsageError: naming the value, today in LA and the option that allows it.
    """
    if allow_future:
        return
    today = today_in_la(now)
    limit = today + dt.timedelta(days=MAX_FUTURE_DAYS)
    if execution_date is not None and execution_date > limit:
        raise ErosUsageError(f"--date {execution_date} is more than {MAX_FUTURE_DAYS} day after today ({today}) in America/Los_Angeles: "
                             "pass --allow-future to run a future date")
    if as_of is not None and as_of.replace(tzinfo=dt.UTC).astimezone(LA).date() > limit:
        raise ErosUsageError(f"--as-of {as_of:%Y-%m-%dT%H:%M:%S}Z is more than {MAX_FUTURE_DAYS} day after today ({today}) in "
                             "America/Los_Angeles: pass --allow-future to run at a future instant")


def check_positive(value: Any, option: str) -> None:
    """Refuse a numeric option <= 0.

    Raises:
        ErosUsageError: ``invalid <option> <value>: must be a positive number``.
    """
    if value is not None and (not isinstance(value, (int, float)) or value <= 0):
        raise ErosUsageError(f"invalid {option} {value}: must be a positive number")
