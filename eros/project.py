"""Where the dbt project, its profiles and the local warehouse live.

The repo root is the dbt project. The CLI finds it from ``EROS_PROJECT_DIR``, else by
walking up from the working directory to a ``dbt_project.yml`` whose ``name`` is
``eros``, else next to this package (an editable install from a clone).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from eros.errors import ErosUsageError, file_problem

DEFAULT_DUCKDB_RELATIVE = Path("warehouse") / "eros_warehouse.duckdb"
# The target schema when the profile is not rendered: profiles.yml's own default,
# schema: "{{ env_var('EROS_SCHEMA', 'eros') }}" (tests/python/test_error_messages.py checks they agree).
SCHEMA_ENV = "EROS_SCHEMA"
DEFAULT_SCHEMA = "eros"
# Bytes 8-11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


def _is_eros_project(path: Path) -> bool:
    marker = path / "dbt_project.yml"
    if not marker.is_file():
        return False
    try:
        return (yaml.safe_load(marker.read_text()) or {}).get("name") == "eros"
    except yaml.YAMLError:
        return False


def project_dir() -> Path:
    """Absolute path of the eros dbt project.

    Raises:
        ErosUsageError: when no eros dbt project can be found.
    """
    env = os.environ.get("EROS_PROJECT_DIR")
    if env:
        path = Path(env).expanduser().resolve()
        if not _is_eros_project(path):
            raise ErosUsageError(f"EROS_PROJECT_DIR={env} is not the eros dbt project (no dbt_project.yml named eros)")
        return path
    here = Path.cwd().resolve()
    for candidate in [here, *here.parents]:
        if _is_eros_project(candidate):
            return candidate
    beside = Path(__file__).resolve().parent.parent
    if _is_eros_project(beside):
        return beside
    raise ErosUsageError("cannot find the eros dbt project: run inside the repo or set EROS_PROJECT_DIR")


def duckdb_path(project: Path | None = None) -> Path:
    """The local DuckDB warehouse file: ``EROS_DUCKDB_PATH`` (relative to the project) or
    ``<project>/warehouse/eros_warehouse.duckdb``."""
    project = project or project_dir()
    env = os.environ.get("EROS_DUCKDB_PATH")
    path = Path(env).expanduser() if env else DEFAULT_DUCKDB_RELATIVE
    return path if path.is_absolute() else (project / path).resolve()


def profile_outputs(project: Path | None = None) -> dict[str, dict[str, Any]]:
    """The targets of the project's ``profiles.yml`` (``eros`` profile, unrendered): target
    name to its output mapping.

    Raises:
        OSError / yaml.YAMLError: profiles.yml is missing or not YAML.
    """
    project = project or project_dir()
    data = yaml.safe_load((project / "profiles.yml").read_text()) or {}
    return dict((data.get("eros") or {}).get("outputs") or {})


def profile_targets(project: Path | None = None) -> list[str]:
    """Names of the targets in the project's ``profiles.yml`` (``eros`` profile)."""
    return sorted(profile_outputs(project))


def target_type(project: Path, target: str) -> str:
    """The adapter ``type`` of a profiles.yml target (``duckdb``, ``bigquery``); '' when the
    target is unknown or profiles.yml is unreadable."""
    try:
        output = profile_outputs(project).get(target) or {}
    except (OSError, yaml.YAMLError):
        return ""
    return str(output.get("type") or "")


def default_target() -> str:
    """``EROS_TARGET`` or ``local``."""
    return os.environ.get("EROS_TARGET", "local")


def check_target(target: str | None, project: Path | None = None) -> str:
    """Resolve and validate a target name.

    Raises:
        ErosUsageError: when the target is not in profiles.yml, or profiles.yml is missing
            or not YAML.
    """
    name = target or default_target()
    project = project or project_dir()
    try:
        known = profile_targets(project)
    except OSError as exc:
        raise ErosUsageError(f"cannot read {project / 'profiles.yml'}: {exc.strerror or exc} (eros needs the project's profiles.yml)") from None
    except yaml.YAMLError as exc:
        raise ErosUsageError(f"{project / 'profiles.yml'} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not name.strip():
        raise ErosUsageError(f"empty target name (EROS_TARGET or --target; profiles.yml has: {', '.join(known)})")
    if name not in known:
        where = " (from EROS_TARGET)" if target is None and "EROS_TARGET" in os.environ else ""
        raise ErosUsageError(f"unknown target '{name}'{where} (profiles.yml has: {', '.join(known)})")
    return name


def source_schema() -> str:
    """Schema of the source tables (``EROS_SOURCE_SCHEMA`` or ``raw``)."""
    return os.environ.get("EROS_SOURCE_SCHEMA", "raw")


def duckdb_catalog_clash(path: Path, schema: str | None = None) -> str | None:
    """Why DuckDB cannot use ``path`` as this project's warehouse name, or None.

    DuckDB names the attached database (its catalog) after the file's stem, so a file
    ``eros.duckdb`` makes every reference to the schema ``eros`` ambiguous ("Binder Error:
    Ambiguous reference to catalog or schema"). The project's schemas are the target
    schema, its ``<schema>_...`` custom schemas (Elementary's ``eros_elementary``) and the
    source schema (:func:`source_schema`).

    Args:
        path: the warehouse file.
        schema: the target schema as the profile renders it
            (:attr:`eros.warehouse.WarehouseConfig.schema`); None when the caller has no
            rendered profile: ``$EROS_SCHEMA`` or :data:`DEFAULT_SCHEMA`, profiles.yml's
            own default.

    Returns:
        A one-line cause and fix, or None when the name is free.
    """
    stem = path.stem.lower()
    schema = (schema or os.environ.get(SCHEMA_ENV, DEFAULT_SCHEMA)).lower()
    if stem in {schema, source_schema().lower()} or stem.startswith(f"{schema}_elementary"):
        return (f"DuckDB names the database after the file ('{path.stem}'), which is also a schema of this project, "
                f"so every query would be ambiguous: rename the file (for example {schema}_warehouse.duckdb)")
    return None


def _duckdb_content_problem(path: Path) -> str | None:
    """What an existing file that is not a DuckDB database is (its header does not say
    :data:`DUCKDB_MAGIC`), or None for a DuckDB file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not head:
        return "is an empty file, not a DuckDB database (delete it, or point EROS_DUCKDB_PATH elsewhere)"
    if len(head) >= 12 and head[8:12] == DUCKDB_MAGIC:
        return None
    try:
        head.decode("utf-8")
        kind = "a text file"
    except UnicodeDecodeError:
        kind = "a file of another format"
    return f"is {kind}, not a DuckDB database (point EROS_DUCKDB_PATH at a .duckdb file)"


def duckdb_path_problem(path: Path, *, schema: str | None = None, creatable_folder: Path | None = None) -> str | None:
    """Why ``path`` cannot be the DuckDB warehouse file, or None: the one description of a
    bad warehouse path, for the commands that run dbt (:func:`eros.preflight.check_duckdb_path`)
    and those that read without it (:func:`eros.warehouse.connect`). Reads the file's first
    bytes only; opens no database.

    In order: a folder; a name DuckDB confuses with a schema (:func:`duckdb_catalog_clash`);
    a missing folder, or a file where the folder should be; something that is not a
    regular file; a file that is not a DuckDB database (empty, text, another format) or
    cannot be read. A missing file in an existing folder is no problem here: dbt creates
    it, and the read commands say there is no warehouse yet.

    Args:
        path: the warehouse file (absolute: :func:`duckdb_path`).
        schema: the target schema, for :func:`duckdb_catalog_clash`.
        creatable_folder: the folder the caller creates when it is missing (the default
            ``<project>/warehouse``): missing, it is no problem; the message for another
            missing folder names it. None: any missing folder is a problem.

    Returns:
        One line to follow ``warehouse <path>: ``, ``<cause> (<fix>)``, for example
        ``is a folder, not a DuckDB file (EROS_DUCKDB_PATH must name a file inside it)``;
        None when DuckDB can use the path.
    """
    folder = path.parent
    if path.is_dir():
        return "is a folder, not a DuckDB file (EROS_DUCKDB_PATH must name a file inside it)"
    clash = duckdb_catalog_clash(path, schema)
    if clash:
        return clash
    if not folder.exists():
        if creatable_folder is not None and folder.resolve() == creatable_folder.resolve():
            return None
        creates = f" eros creates no folder but {creatable_folder}; create it first" if creatable_folder is not None else ""
        return f"the folder {folder} does not exist (mistyped EROS_DUCKDB_PATH?{creates})"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not path.exists():
        return None
    if not path.is_file():
        return "is not a regular file"
    return _duckdb_content_problem(path)


def dbt_executable() -> str:
    """The ``dbt`` executable of this Python environment (falls back to PATH).

    Raises:
        ErosRunError: when dbt is not installed.
    """
    from eros.errors import ErosRunError

    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise ErosRunError("dbt is not installed in this environment (pip install -e . installs it)")
    return found


def dbt_environment(project: Path) -> dict[str, str]:
    """Environment for dbt subprocesses: the caller's, plus the profile location and an
    absolute DuckDB path so every process agrees on the warehouse file."""
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = str(project)
    env["EROS_DUCKDB_PATH"] = str(duckdb_path(project))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


def project_vars(project: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``vars:`` of ``<project>/dbt_project.yml`` (their defaults), updated with
    ``overrides`` (the ``--vars`` a dbt command of the same run would get). Lets code that
    reads the warehouse without dbt use the thresholds dbt uses.

    Raises:
        ErosUsageError: dbt_project.yml is missing or not YAML.
    """
    try:
        data = yaml.safe_load((project / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ErosUsageError(f"cannot read {file_problem(exc, project / 'dbt_project.yml')}") from None
    values = dict(data.get("vars") or {})
    values.update(overrides or {})
    return values
