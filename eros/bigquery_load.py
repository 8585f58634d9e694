"""Load generated CSV source tables into BigQuery with load jobs.

The BigQuery counterpart of :func:`eros.loaders.load_duckdb`: the same CSV files written by
:func:`eros.generate.generate`, the same table names and the column types of
:data:`eros.generate.COLUMN_TYPES`, landed in one dataset (the source dataset the dbt
project reads, ``raw`` by default). Used by the BigQuery test tier against the local
emulator, and usable against a real sandbox project with any authenticated client.

Load jobs (not streaming inserts) are used on purpose: rows land outside the streaming
buffer, so the lock sweep's UPDATE can change them at once, as in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from eros.generate import COLUMN_TYPES

if TYPE_CHECKING:  # pragma: no cover - typing only
    from google.cloud import bigquery

#: Write disposition of a load job per loader mode.
_DISPOSITIONS = {"replace": "WRITE_TRUNCATE", "append": "WRITE_APPEND"}


def bigquery_schema(table: str) -> list[bigquery.SchemaField]:
    """BigQuery schema of a source table, from :data:`eros.generate.COLUMN_TYPES`.

    Args:
        table: ``mass_messages``, ``caption_bank``, ``active_caption_assignments`` or
            ``page_settings``.

    Returns:
        ``SchemaField`` list in CSV column order (all NULLABLE, like the real tables).

    Raises:
        ValueError: on an unknown table.
    """
    from google.cloud import bigquery

    if table not in COLUMN_TYPES:
        raise ValueError(f"unknown source table {table!r}")
    return [bigquery.SchemaField(name, kind) for name, kind in COLUMN_TYPES[table].items()]


def load_bigquery(
    client: bigquery.Client,
    csv_dir: Path,
    dataset: str,
    *,
    project: str | None = None,
    location: str = "US",
    tables: Iterable[str] | None = None,
    mode: str = "replace",
    timeout_seconds: float = 300.0,
) -> dict[str, int]:
    """Load ``<table>.csv`` files from ``csv_dir`` into ``project.dataset.<table>``.

    The dataset is created when missing. ``mass_messages`` is created partitioned by day
    of ``sending_time`` (as in production), so bounded reads prune partitions.

    Args:
        client: an authenticated ``google.cloud.bigquery.Client`` (or one bound to the
            emulator, see ``eros_testing.bq_emulator``).
        csv_dir: folder written by :func:`eros.generate.generate`.
        dataset: target dataset id (the project's source dataset).
        project: project id; default the client's project.
        location: dataset location when it has to be created.
        tables: which tables to load; default every table whose CSV exists.
        mode: ``replace`` (WRITE_TRUNCATE) or ``append`` (WRITE_APPEND).
        timeout_seconds: how long to wait for each load job.

    Returns:
        Rows per table after the load.

    Raises:
        ValueError: on an unknown mode or table.
        FileNotFoundError: when a requested table has no CSV file.
        google.api_core.exceptions.GoogleAPICallError: a load job failed (for example a
            value that does not parse as its column type).
    """
    from google.cloud import bigquery

    if mode not in _DISPOSITIONS:
        raise ValueError(f"mode must be 'replace' or 'append', got {mode!r}")
    names = list(tables) if tables is not None else [t for t in COLUMN_TYPES if (csv_dir / f"{t}.csv").exists()]
    for name in names:
        if name not in COLUMN_TYPES:
            raise ValueError(f"unknown source table {name!r}")
        if not (csv_dir / f"{name}.csv").exists():
            raise FileNotFoundError(csv_dir / f"{name}.csv")
    project = project or client.project
    target_dataset = bigquery.Dataset(f"{project}.{dataset}")
    target_dataset.location = location
    client.create_dataset(target_dataset, exists_ok=True)
    counts: dict[str, int] = {}
    for name in names:
        table_id = f"{project}.{dataset}.{name}"
        job_config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.CSV,
            skip_leading_rows=1,
            schema=bigquery_schema(name),
            write_disposition=_DISPOSITIONS[mode],
            allow_quoted_newlines=True,
        )
        if name == "mass_messages":
            job_config.time_partitioning = bigquery.TimePartitioning(
                type_=bigquery.TimePartitioningType.DAY, field="sending_time"
            )
        with open(csv_dir / f"{name}.csv", "rb") as handle:
            # No size= argument: the resumable upload path works on BigQuery and on the
            # emulator (which rejects the multipart path; docs/bigquery-emulator-gaps.md).
            job = client.load_table_from_file(handle, table_id, job_config=job_config)
        job.result(timeout=timeout_seconds)
        counts[name] = int(client.get_table(table_id).num_rows or 0)
    return counts
