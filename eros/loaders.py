"""Load generated CSV source tables into the local DuckDB warehouse.

The tables keep the exact names and columns of DOMAIN.md and land in the source schema
the dbt project reads (var ``eros_source_schema``, env ``EROS_SOURCE_SCHEMA``, default
``raw``). BigQuery loading (load jobs of the same CSV files) lives in
:mod:`eros.bigquery_load`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from eros.generate import COLUMN_TYPES

# One row per table per load (see load_duckdb); read by the mass_messages freshness check.
LOAD_LOG_TABLE = "eros_load_log"

DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "TIMESTAMP": "TIMESTAMP",
    "FLOAT": "DOUBLE",
    "INTEGER": "BIGINT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
}


def _columns_spec(table: str) -> str:
    types = COLUMN_TYPES[table]
    inner = ", ".join(f"'{name}': '{DUCKDB_TYPES[kind]}'" for name, kind in types.items())
    return "{" + inner + "}"


def load_duckdb(
    database: Path,
    csv_dir: Path,
    schema: str = "raw",
    tables: list[str] | None = None,
    mode: str = "replace",
) -> dict[str, int]:
    """Load ``<table>.csv`` files from ``csv_dir`` into DuckDB ``schema.<table>``.

    Args:
        database: DuckDB file (created if missing).
        csv_dir: folder written by :func:`eros.generate.generate`.
        schema: target schema of the source tables.
        tables: which tables to load; default every table whose CSV exists.
        mode: ``replace`` (create or replace the table) or ``append`` (insert the rows).

    Every call also appends one row per table to ``<schema>.eros_load_log`` (table_name,
    loaded_at UTC, load_mode, row_count): DuckDB keeps no modification time, so this log is
    what the ``mass_messages`` source freshness measures "by the load" (issue 6).

    Returns:
        Rows per table after the load.

    Raises:
        ValueError: on an unknown mode or table.
        FileNotFoundError: when a requested table has no CSV file.
    """
    if mode not in ("replace", "append"):
        raise ValueError(f"mode must be 'replace' or 'append', got {mode!r}")
    names = tables or [t for t in COLUMN_TYPES if (csv_dir / f"{t}.csv").exists()]
    for name in names:
        if name not in COLUMN_TYPES:
            raise ValueError(f"unknown source table {name!r}")
        if not (csv_dir / f"{name}.csv").exists():
            raise FileNotFoundError(csv_dir / f"{name}.csv")
    database.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f'create schema if not exists "{schema}"')
        for name in names:
            path = str(csv_dir / f"{name}.csv").replace("'", "''")
            select = (
                f"select * from read_csv('{path}', header = true, columns = {_columns_spec(name)}, "
                "quote = '\"', escape = '\"', nullstr = '')"
            )
            if mode == "replace":
                con.execute(f'create or replace table "{schema}"."{name}" as {select}')
            else:
                con.execute(f'insert into "{schema}"."{name}" {select}')
            counts[name] = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        con.execute(
            f'create table if not exists "{schema}"."{LOAD_LOG_TABLE}" '
            "(table_name varchar, loaded_at timestamp, load_mode varchar, row_count bigint)"
        )
        for name in names:
            con.execute(
                f'insert into "{schema}"."{LOAD_LOG_TABLE}" values (?, cast(timezone(\'UTC\', now()) as timestamp), ?, ?)',
                [name, mode, counts[name]],
            )
    return counts
