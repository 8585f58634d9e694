"""Direct warehouse connections: read (and, for the few writes eros does outside a job,
write) the project's tables without starting dbt (issue 11, "Reads without dbt").

The connection settings come from the same ``profiles.yml`` dbt uses: the target's
``type``, DuckDB ``path``/``schema``, BigQuery ``project``/``dataset``/``location`` and,
for the emulator tier, ``api_endpoint``. ``{{ env_var(...) }}`` in profiles.yml is
rendered the way dbt renders it.

SQL given to :meth:`Warehouse.query` runs on both engines: use named parameters written
``@name`` (BigQuery's syntax; translated to ``$name`` for DuckDB) and
:meth:`Warehouse.table` for relation names. Keep to SQL that both dialects accept.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eros.core import TS_FORMAT
from eros.errors import ErosRunError, ErosUsageError
from eros.project import check_target, duckdb_path, duckdb_path_problem, profile_outputs

_PARAM = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class WarehouseConfig:
    """Where a target's tables live.

    Attributes:
        target: profile target name.
        type: ``duckdb`` or ``bigquery``.
        schema: DuckDB schema or BigQuery dataset of the project's models.
        path: DuckDB file (absolute), None on BigQuery.
        project: BigQuery project, None on DuckDB.
        location: BigQuery location.
        api_endpoint: BigQuery REST endpoint override (emulator), or None.
        method: BigQuery auth method of the profile (oauth, service-account, oauth-secrets).
        keyfile: service-account key file, when the method uses one.
        token: static token of ``oauth-secrets`` (emulator).
    """

    target: str
    type: str
    schema: str
    path: Path | None = None
    project: str | None = None
    location: str | None = None
    api_endpoint: str | None = None
    method: str | None = None
    keyfile: str | None = None
    token: str | None = None


def _render(value: Any) -> Any:
    """Render dbt-style Jinja (``env_var``, ``as_number``) in a profiles.yml value."""
    if isinstance(value, dict):
        return {k: _render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise ErosUsageError(f"profiles.yml needs the environment variable {name}")
        return default

    import jinja2  # only profiles with templated values need it

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["as_number"] = lambda v: float(v) if "." in str(v) else int(v)
    env.filters["as_bool"] = lambda v: str(v).lower() in ("true", "1", "yes")
    return env.from_string(value).render(env_var=env_var)


def load_config(project: Path, target: str | None = None) -> WarehouseConfig:
    """The :class:`WarehouseConfig` of ``target`` in ``<project>/profiles.yml``.

    Args:
        project: dbt project directory (holds profiles.yml).
        target: target name; None for ``$EROS_TARGET`` or ``local``.

    Raises:
        ErosUsageError: unknown target, unsupported adapter type, or a profiles.yml
            environment variable without default that is not set.
    """
    name = check_target(target, project)
    output = _render(profile_outputs(project).get(name) or {})
    kind = str(output.get("type", ""))
    if kind == "duckdb":
        return WarehouseConfig(target=name, type="duckdb", schema=str(output.get("schema", "main")), path=duckdb_path(project))
    if kind == "bigquery":
        return WarehouseConfig(
            target=name,
            type="bigquery",
            schema=str(output.get("dataset") or output.get("schema")),
            project=str(output.get("project") or output.get("database")),
            location=output.get("location"),
            api_endpoint=output.get("api_endpoint") or None,
            method=output.get("method"),
            keyfile=output.get("keyfile") or None,
            token=output.get("token") or None,
        )
    raise ErosUsageError(f"target '{name}' has type '{kind}': eros reads duckdb and bigquery targets")




def _plain(value: Any) -> Any:
    """Decimal (DuckDB DECIMAL, BigQuery NUMERIC) as int when whole, else float."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def naive_utc(value: Any) -> Any:
    """A timestamp read from either engine as a naive UTC datetime (BigQuery and DuckDB
    TIMESTAMPTZ give aware values, DuckDB TIMESTAMP naive UTC ones); other values as they are."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def timestamp_text(value: Any) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) of a timestamp read from either engine; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return naive_utc(value).strftime(TS_FORMAT)
    return str(value)[:19].replace("T", " ")


class Warehouse:
    """One open connection to a target's warehouse. Use :func:`connect`."""

    def __init__(self, config: WarehouseConfig, client: Any) -> None:
        self.config = config
        self._client = client

    @property
    def dialect(self) -> str:
        """``duckdb`` or ``bigquery``."""
        return self.config.type

    def table(self, name: str, schema: str | None = None) -> str:
        """Quoted, fully qualified name of a table of the project (or of ``schema``)."""
        dataset = schema or self.config.schema
        if self.dialect == "bigquery":
            return f"`{self.config.project}.{dataset}.{name}`"
        return f'"{dataset}"."{name}"'

    def source_table(self, name: str, variables: Mapping[str, Any] | None = None) -> str:
        """Quoted name of a source table (models/staging/scheduler/_scheduler__sources.yml):
        schema from var ``eros_source_schema``, ``$EROS_SOURCE_SCHEMA`` or ``raw``; on BigQuery
        the project from var ``eros_source_database``, ``$EROS_SOURCE_DATABASE`` or the target's."""
        variables = variables or {}
        schema = str(variables.get("eros_source_schema") or os.environ.get("EROS_SOURCE_SCHEMA") or "raw")
        database = variables.get("eros_source_database") or os.environ.get("EROS_SOURCE_DATABASE") or None
        if self.dialect == "bigquery":
            return f"`{database or self.config.project}.{schema}.{name}`"
        return f'"{schema}"."{name}"'

    def exists(self, name: str, schema: str | None = None) -> bool:
        """True when the table or view ``name`` exists in the project's schema."""
        dataset = schema or self.config.schema
        if self.dialect == "bigquery":
            from google.api_core.exceptions import NotFound

            try:
                self._client.get_table(f"{self.config.project}.{dataset}.{name}")
            except NotFound:
                return False
            return True
        rows = self._client.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [dataset, name]
        ).fetchone()
        return bool(rows and rows[0])

    def require(self, *names: str, hint: str) -> None:
        """Check that the tables ``names`` exist.

        Raises:
            ErosUsageError: naming the first missing table and ``hint`` (what creates it),
                e.g. ``no automation_alerts table yet in eros: run `eros run daily` first``.
        """
        for name in names:
            if not self.exists(name):
                raise ErosUsageError(f"no {name} table yet in {self.config.schema}: {hint}")

    def columns(self, name: str, schema: str | None = None) -> list[str]:
        """Lower-case column names of the table ``name`` ([] when it does not exist)."""
        dataset = schema or self.config.schema
        if self.dialect == "bigquery":
            from google.api_core.exceptions import NotFound

            try:
                table = self._client.get_table(f"{self.config.project}.{dataset}.{name}")
            except NotFound:
                return []
            return [field.name.lower() for field in table.schema]
        rows = self._client.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
            [dataset, name],
        ).fetchall()
        return [str(r[0]).lower() for r in rows]

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of ``sql`` as dicts (lower-case column name to Python value; DECIMAL / NUMERIC
        as int or float, timestamps as the driver gives them: see :func:`naive_utc`).

        Args:
            sql: SQL with ``@name`` parameters.
            params: parameter values (str, int, float, bool, date, datetime, None).

        Raises:
            ErosRunError: the warehouse rejected the query (first line of its message).
        """
        params = dict(params or {})
        try:
            if self.dialect == "bigquery":
                return self._bq_query(sql, params)
            cursor = self._client.execute(_PARAM.sub(r"$\1", sql), params) if params else self._client.execute(sql)
            if cursor.description is None:
                return []
            columns = [d[0].lower() for d in cursor.description]
            return [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()]
        except ErosRunError:
            raise
        except Exception as exc:  # driver errors of either engine
            raise ErosRunError(f"warehouse query failed: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from exc

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement (DML); see :meth:`query`."""
        self.query(sql, params)

    def _bq_query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        from google.cloud import bigquery

        def parameter(name: str, value: Any) -> Any:
            if isinstance(value, bool):
                kind = "BOOL"
            elif isinstance(value, int):
                kind = "INT64"
            elif isinstance(value, float):
                kind = "FLOAT64"
            elif isinstance(value, dt.datetime):
                kind = "TIMESTAMP"
            elif isinstance(value, dt.date):
                kind = "DATE"
            else:
                kind = "STRING"
            return bigquery.ScalarQueryParameter(name, kind, value)

        config = bigquery.QueryJobConfig(query_parameters=[parameter(k, v) for k, v in params.items()])
        job = self._client.query(sql, job_config=config, location=self.config.location)
        return [{k.lower(): _plain(v) for k, v in row.items()} for row in job.result()]

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


KEYFILE_ENV = "EROS_BQ_KEYFILE"


def credentials_problem(config: WarehouseConfig) -> str | None:
    """What a BigQuery target lacks to authenticate, naming the credential and how to
    provide it; None when its credentials load (or the target is not BigQuery).

    Checks: the service-account key file (``$EROS_BQ_KEYFILE``) exists, is a readable
    file and is a key; else application-default credentials exist.
    """
    if config.type != "bigquery" or (config.method == "oauth-secrets" and config.token):
        return None
    how = (f"set {KEYFILE_ENV} to a service-account JSON key file (its IAM roles: README, Running on BigQuery), "
           "or run `gcloud auth application-default login`")
    if config.method == "service-account" and config.keyfile:
        key = Path(config.keyfile).expanduser()
        if not key.exists():
            return f"{KEYFILE_ENV}={config.keyfile}: no such file; {how}"
        if not key.is_file():
            return f"{KEYFILE_ENV}={config.keyfile} is a folder, not a key file; {how}"
        if not os.access(key, os.R_OK):
            return f"{KEYFILE_ENV}={config.keyfile} is not readable by this user (permission denied): fix its permissions (chmod 600, owned by you)"
        try:
            from google.oauth2 import service_account

            service_account.Credentials.from_service_account_file(str(key))
        except (ValueError, KeyError, OSError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"{KEYFILE_ENV}={config.keyfile} is not a service-account key ({why}); {how}"
        return None
    adc = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if adc and not Path(adc).expanduser().is_file():
        return f"GOOGLE_APPLICATION_CREDENTIALS={adc}: no such file (target '{config.target}'); point it at a credentials file, or {how}"
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        google.auth.default()
    except DefaultCredentialsError:
        return f"target '{config.target}' has no BigQuery credentials: {how}"
    return None


def require_credentials(project: Path, target: str | None) -> None:
    """Fail fast before starting dbt on a BigQuery target without usable credentials
    (dbt would only say "Database Error").

    Raises:
        ErosUsageError: naming the missing credential and how to provide it
            (:func:`credentials_problem`); unknown target.
    """
    problem = credentials_problem(load_config(project, target))
    if problem:
        raise ErosUsageError(problem)


def _bigquery_client(config: WarehouseConfig) -> Any:
    from google.cloud import bigquery

    options = {"api_endpoint": config.api_endpoint} if config.api_endpoint else None
    problem = credentials_problem(config)
    if problem:
        raise ErosUsageError(problem)
    if config.method == "oauth-secrets" and config.token:
        from google.oauth2.credentials import Credentials

        credentials: Any = Credentials(token=config.token)
    elif config.method == "service-account" and config.keyfile:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_file(str(Path(config.keyfile).expanduser()))
    else:
        import google.auth

        credentials, _ = google.auth.default()
    return bigquery.Client(project=config.project, credentials=credentials, location=config.location, client_options=options)


def _open_hint(exc: Exception) -> str:
    """The fix for a DuckDB file that passed :func:`eros.project.duckdb_path_problem` (its
    header says DuckDB) but does not open: locked, another DuckDB version, damaged (for
    :func:`connect`)."""
    text = str(exc).lower()
    if "lock" in text:
        return "another process holds the file: wait for the running eros or dbt command to end, or stop it"
    if "not a valid duckdb database" in text or "version" in text:
        return "point EROS_DUCKDB_PATH at the DuckDB warehouse eros built, or move this file away"
    return "check EROS_DUCKDB_PATH and the file's permissions"


@contextmanager
def connect(project: Path, target: str | None = None, *, read_only: bool = True) -> Iterator[Warehouse]:
    """Open the target's warehouse without dbt.

    Args:
        project: dbt project directory.
        target: profile target (None: ``$EROS_TARGET`` or ``local``).
        read_only: DuckDB only: open the file read-only (BigQuery ignores it).

    Yields:
        A :class:`Warehouse`, closed on exit.

    Raises:
        ErosUsageError: unknown target, no warehouse file yet, a path DuckDB cannot use
            (``warehouse <path>: <cause>``, :func:`eros.project.duckdb_path_problem`: a
            folder, a missing folder, a file that is not a DuckDB database, a file name
            DuckDB confuses with a schema), missing credentials.
        ErosRunError: the warehouse cannot be opened (locked, another DuckDB version), with the fix.
    """
    config = load_config(project, target)
    if config.type == "duckdb":
        import duckdb

        assert config.path is not None
        path = config.path
        problem = duckdb_path_problem(path, schema=config.schema)
        if problem:
            raise ErosUsageError(f"warehouse {path}: {problem}")
        if not path.exists():
            raise ErosUsageError(f"no warehouse yet at {path}: run 'eros demo' or 'eros run daily' first")
        try:
            client: Any = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise ErosRunError(f"cannot open the warehouse {path}: {str(exc).splitlines()[0]} ({_open_hint(exc)})") from exc
    else:
        client = _bigquery_client(config)
    warehouse = Warehouse(config, client)
    try:
        yield warehouse
    finally:
        warehouse.close()
