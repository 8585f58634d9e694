"""Run the daily job through the ``eros`` CLI on DuckDB and on the BigQuery emulator with
the same generated data, and read back what each engine recorded, in one comparable form.

Used by tests/bigquery: the two engines must give the same queue, job row, alerts, page
errors, per-page analysis and quarantine for the same data, date and as-of time.

Typical use::

    scenario = ParityScenario.create(root, emulator, name="parity", config=GenerationConfig(...))
    first = scenario.run_daily(date, as_of)          # both engines, concurrently
    assert first.duckdb.outcome["status"] == first.bigquery.outcome["status"]
    diff = table_differences(scenario.snapshot("duckdb"), scenario.snapshot("bigquery"))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from eros.bigquery_load import load_bigquery
from eros.generate import GenerationConfig, GenerationManifest, generate
from eros.loaders import load_duckdb
from eros_testing.bq_emulator import BigQueryEmulator

PROJECT_DIR = Path(__file__).resolve().parent.parent
EROS = str(Path(sys.executable).parent / "eros")
#: Execution date and as-of time of the tier: the same fixed Wednesday (far from DST
#: switches) and 11:00 UTC reference time as the DuckDB tier (tests/python/conftest.py).
EXEC_DATE = dt.date(2026, 6, 17)
AS_OF = f"{EXEC_DATE.isoformat()}T11:00:00+00:00"

#: Environment variables of the caller that would redirect a run; cleared for every run.
_ISOLATED_VARS = (
    "EROS_TARGET", "EROS_SOURCE_SCHEMA", "EROS_SOURCE_DATABASE", "EROS_SCHEMA", "EROS_DUCKDB_PATH",
    "EROS_BQ_API_ENDPOINT", "EROS_BQ_PROJECT", "EROS_BQ_DATASET", "EROS_BQ_KEYFILE", "EROS_PROJECT_DIR",
)

#: Tables compared between engines: columns read, and the columns forming the sort key.
#: Columns holding a job id are mapped to run numbers (ids differ per engine).
#: Run-time stamps (queued_at, analysed_at, error_time, job times) are left out.
COMPARED_TABLES: dict[str, dict[str, Sequence[str]]] = {
    "etl_job_runs": {
        "columns": ("job_id", "job_name", "job_status", "execution_date", "creators_processed", "creators_failed", "error_message"),
        "key": ("job_id",),
    },
    "automation_alerts": {
        "columns": ("job_id", "alert_level", "alert_source", "alert_message", "acknowledged", "acknowledged_at", "acknowledged_by"),
        "key": ("job_id", "alert_level", "alert_source", "alert_message"),
    },
    "schedule_generation_queue": {
        "columns": ("page_name", "execution_date", "saturation_pct", "processed_at", "status", "schedule_id", "error_message",
                    "queued_by_job_id"),
        "key": ("page_name", "execution_date"),
    },
    "creator_processing_errors": {
        "columns": ("job_id", "page_name", "execution_date", "error_message"),
        "key": ("job_id", "page_name"),
    },
    "page_daily_analysis": {
        "columns": (
            "execution_date", "page_name", "is_active", "page_tier", "health_status", "page_type", "page_time_zone",
            "daily_send_cap", "daily_send_cap_source", "tier_daily_send_cap", "messages_active_window",
            "rows_active_window", "quarantined_rows_active_window", "quarantined_pct", "revenue_30d",
            "revenue_previous_30d", "revenue_90d", "last_message_at", "active_locks", "upcoming_locked_sends",
            "locks_missing_caption", "saturation_pct", "validation_error", "needs_schedule", "job_id",
        ),
        "key": ("execution_date", "page_name"),
    },
    "mass_messages_quarantine": {
        "columns": ("quarantine_key", "row_id", "row_copy_number", "page_name", "page_name_raw", "sending_time",
                    "quarantine_reason"),
        "key": ("quarantine_key",),
    },
    # issue 13: bad reference rows and non-canonical handles (ParityScenario.plant_bad_rows)
    "reference_data_quarantine": {
        "columns": ("quarantine_key", "source_table", "record_key", "record_copy_number", "page_name", "caption_id",
                    "caption_text", "quarantine_reason"),
        "key": ("quarantine_key",),
    },
    "page_handle_variants": {
        "columns": ("source_table", "page_name", "page_name_raw", "source_rows"),
        "key": ("source_table", "page_name_raw"),
    },
    # the lock sweep that ends the daily job (issue 5)
    "lock_sweep_log": {
        "columns": ("sweep_id", "sweep_time", "business_date", "locks_expired_stale", "locks_expired_past_date",
                    "total_locks_cleaned", "active_locks_after", "pages_affected", "parent_job_id"),
        "key": ("sweep_id",),
    },
    # the one source table the project writes (the sweep deactivates locks in place)
    "active_caption_assignments": {
        "columns": ("assignment_key", "page_name", "caption_id", "scheduled_send_date", "is_active", "assigned_at",
                    "deactivated_at", "deactivation_reason"),
        # assigned_at too: plant_bad_rows adds a second row under one assignment_key
        "key": ("assignment_key", "assigned_at"),
        "source": ("yes",),
    },
}
_JOB_ID_COLUMNS = ("job_id", "queued_by_job_id", "sweep_id", "parent_job_id")


@dataclasses.dataclass
class CliRun:
    """One ``eros run daily --json`` subprocess.

    Attributes:
        engine: ``duckdb`` or ``bigquery``.
        returncode: the CLI's exit code (0, 1 or 2).
        outcome: the parsed ``--json`` outcome (None when stdout was not JSON).
        stderr: the CLI's stderr (progress is off with --json; errors land here).
        seconds: wall time.
    """

    engine: str
    returncode: int
    outcome: dict[str, Any] | None
    stderr: str
    seconds: float

    def describe(self) -> str:
        """One paragraph for assertion messages."""
        return f"[{self.engine}] exit {self.returncode}; outcome={json.dumps(self.outcome)[:1500]}; stderr={self.stderr[-1500:]}"


@dataclasses.dataclass
class ParityRun:
    """The same daily run on both engines."""

    duckdb: CliRun
    bigquery: CliRun


def normalise(value: Any) -> Any:
    """Engine-neutral Python value: aware datetimes to naive UTC, Decimals to int/float,
    floats rounded to 9 places (BigQuery and DuckDB may differ in the last bits)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, decimal.Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return round(value, 9)
    return value


@dataclasses.dataclass
class ParityScenario:
    """Generated data loaded into a DuckDB file and an emulator dataset, plus the CLI
    environment for each engine.

    Attributes:
        name: scenario name; BigQuery datasets are ``raw_<name>`` (sources) and
            ``eros_<name>`` (models).
        root: private folder (DuckDB file, CSVs, dbt state).
        emulator: the running emulator.
        manifest: what the generator planted.
        job_ids: job ids of each engine's runs, in run order.
        bad_rows: the rows :meth:`plant_bad_rows` planted, with their expected reason code.
    """

    name: str
    root: Path
    emulator: BigQueryEmulator
    manifest: GenerationManifest
    job_ids: dict[str, list[str]] = dataclasses.field(default_factory=lambda: {"duckdb": [], "bigquery": []})
    bad_rows: dict[str, str | None] = dataclasses.field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, emulator: BigQueryEmulator, *, name: str, config: GenerationConfig) -> ParityScenario:
        """Generate the CSVs once and load them into both engines.

        Raises:
            google.api_core.exceptions.GoogleAPICallError: a BigQuery load job failed.
        """
        csv_dir = root / "generated"
        manifest = generate(config, csv_dir)
        scenario = cls(name=name, root=root, emulator=emulator, manifest=manifest)
        load_duckdb(scenario.duckdb_path, csv_dir, schema="raw")
        load_bigquery(emulator.client(), csv_dir, scenario.source_dataset, project=emulator.project)
        emulator.create_dataset(scenario.dataset)
        return scenario

    @property
    def duckdb_path(self) -> Path:
        """The scenario's DuckDB warehouse file."""
        return self.root / "duckdb" / "warehouse.duckdb"

    @property
    def source_dataset(self) -> str:
        """BigQuery dataset of the source tables."""
        return f"raw_{self.name}"

    @property
    def dataset(self) -> str:
        """BigQuery dataset the models build into."""
        return f"eros_{self.name}"

    def env(self, engine: str) -> dict[str, str]:
        """Subprocess environment of the CLI for ``engine`` (own dbt target/log folders)."""
        env = {k: v for k, v in os.environ.items() if k not in _ISOLATED_VARS}
        state = self.root / f"dbt_{engine}"
        env.update({"DBT_TARGET_PATH": str(state / "target"), "DBT_LOG_PATH": str(state / "logs")})
        if engine == "duckdb":
            env.update({"EROS_TARGET": "local", "EROS_DUCKDB_PATH": str(self.duckdb_path)})
        else:
            env.update(self.emulator.dbt_env(self.dataset, source_dataset=self.source_dataset))
            # the CLI keeps its job locks next to the (unused) DuckDB file
            env["EROS_DUCKDB_PATH"] = str(self.root / "bigquery" / "unused.duckdb")
        return env

    def run_daily(self, execution_date: dt.date, as_of: str, timeout: float = 600) -> ParityRun:
        """Run ``eros run daily --date --as-of --json`` on both engines at the same time."""
        processes: dict[str, tuple[subprocess.Popen[str], float]] = {}
        for engine, target in (("bigquery", "bq_emulator"), ("duckdb", "local")):
            command = [EROS, "run", "daily", "--target", target, "--date", execution_date.isoformat(), "--as-of", as_of, "--json"]
            process = subprocess.Popen(command, cwd=PROJECT_DIR, env=self.env(engine), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            processes[engine] = (process, dt.datetime.now().timestamp())
        runs: dict[str, CliRun] = {}
        for engine, (process, started) in processes.items():
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
                stderr += f"\n(killed after {timeout:.0f} s)"
            outcome = json.loads(stdout) if stdout.strip().startswith("{") else None
            runs[engine] = CliRun(engine, process.returncode, outcome, stderr, dt.datetime.now().timestamp() - started)
            if outcome and outcome.get("job_id"):
                self.job_ids[engine].append(outcome["job_id"])
                sweep_id = (outcome.get("counts") or {}).get("lock_sweep_job_id")
                self.job_ids[engine].append(sweep_id or "")
        return ParityRun(duckdb=runs["duckdb"], bigquery=runs["bigquery"])

    def plant_bad_rows(self, as_of: str) -> dict[str, str]:
        """Insert the same few bad source rows (issue 13) into both engines: non-finite and
        absurd numbers, a NULL and a far-future sending_time, a non-canonical handle, a
        duplicated caption_id and a duplicated assignment_key. Returns {row_id or caption
        text: expected reason code} (None: valid under the canonical handle)."""
        page = next(p for p in self.manifest.pages if p not in self.manifest.invalid_pages + self.manifest.inactive_pages)
        sent = (dt.datetime.fromisoformat(as_of).astimezone(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=3))
        expected: dict[str, str] = {}
        for engine, float_type in (("duckdb", "double"), ("bigquery", "float64")):
            def num(text: str, float_type: str = float_type) -> str:
                return f"cast('{text}' as {float_type})"

            def ts(moment: dt.datetime | None) -> str:
                return "cast(null as timestamp)" if moment is None else f"cast('{moment:%Y-%m-%d %H:%M:%S}' as timestamp)"

            rows = [
                # row_id, page_name, sending_time, price, earnings, message_type, reason
                ("pb-nan-earnings", page, ts(sent), num("10"), num("nan"), "PPV", "NON_FINITE_NUMBER"),
                ("pb-inf-price", page, ts(sent), num("inf"), num("10"), "PPV", "NON_FINITE_NUMBER"),
                ("pb-neg-inf-earnings", page, ts(sent), num("10"), num("-inf"), "PPV", "NON_FINITE_NUMBER"),
                ("pb-null-time", page, ts(None), num("10"), num("10"), "PPV", "NULL_SENDING_TIME"),
                ("pb-far-future", page, ts(dt.datetime(2200, 1, 1)), num("10"), num("10"), "PPV", "SENDING_TIME_BEYOND_SCAN"),
                ("pb-absurd-price", page, ts(sent), num("10000000"), num("10"), "PPV", "PRICE_OUT_OF_RANGE"),
                ("pb-handle", f"  {page.upper()} ", ts(sent), f"cast(null as {float_type})", num("0"), "Bump", None),
            ]
            values = ", ".join(
                f"('{row_id}', '{handle}', 'parity bad row', {sent_at}, {price}, 100, 10, cast(null as {float_type}), "
                f"{earnings}, '{mtype}', cast(null as {'int64' if engine == 'bigquery' else 'bigint'}))"
                for row_id, handle, sent_at, price, earnings, mtype, _ in rows
            )
            self.execute(engine, f"insert into {self.table(engine, 'mass_messages', source=True)} (row_id, page_name, message, "
                                 "sending_time, price, sent_count, viewed_count, purchased_count, earnings, message_type, "
                                 f"caption_id) values {values}")
            expected.update({row[0]: row[6] for row in rows})
            bank = self.table(engine, "caption_bank", source=True)
            (caption,) = self.query(engine, f"select caption_id, content_category, price_tier, usage_status from {bank} "
                                            "order by caption_id limit 1")
            self.execute(engine, f"insert into {bank} (caption_id, caption_text, content_category, price_tier, has_urgency, "
                                 f"usage_status, created_at, updated_at) values ({caption['caption_id']}, 'parity duplicate caption', "
                                 f"'{caption['content_category']}', '{caption['price_tier']}', false, '{caption['usage_status']}', "
                                 "cast('2020-01-01 00:00:00' as timestamp), cast('2020-01-01 00:00:00' as timestamp))")
            expected["parity duplicate caption"] = "DUPLICATE_CAPTION_ID"
            locks = self.table(engine, "active_caption_assignments", source=True)
            (lock,) = self.query(engine, f"select assignment_key, page_name, caption_id from {locks} order by assignment_key limit 1")
            self.execute(engine, f"insert into {locks} (assignment_key, page_name, caption_id, caption_text, assigned_date, "
                                 "scheduled_send_date, scheduled_send_hour, price_tier, is_active, assigned_at) values "
                                 f"('{lock['assignment_key']}', '{lock['page_name']}', {lock['caption_id']}, 'parity duplicate lock', "
                                 "cast('2020-01-01' as date), cast('2020-01-02' as date), 9, 'mid', false, "
                                 "cast('2020-01-01 00:00:00' as timestamp))")
            expected["parity duplicate lock"] = "DUPLICATE_ASSIGNMENT_KEY"
        self.bad_rows = expected
        return expected

    def table(self, engine: str, name: str, *, source: bool = False) -> str:
        """Fully qualified name of a model table (or, with ``source``, a source table) on ``engine``."""
        if engine == "duckdb":
            return f"{'raw' if source else 'eros'}.{name}"
        return f"`{self.emulator.project}`.{self.source_dataset if source else self.dataset}.{name}"

    def exists(self, engine: str, name: str, *, source: bool = False) -> bool:
        """Whether the table exists on ``engine`` (a skipped model has no table yet)."""
        if engine == "duckdb":
            with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
                found = con.execute(
                    "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                    ["raw" if source else "eros", name],
                ).fetchone()
            return bool(found and found[0])
        from google.api_core.exceptions import NotFound

        try:
            self.emulator.client().get_table(f"{self.emulator.project}.{self.source_dataset if source else self.dataset}.{name}")
        except NotFound:
            return False
        return True

    def query(self, engine: str, sql: str) -> list[dict[str, Any]]:
        """Rows of ``sql`` (use ``{t:<model>}``-free plain SQL built with :meth:`table`)."""
        if engine == "duckdb":
            with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
                cursor = con.execute(sql)
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return self.emulator.query(sql)

    def execute(self, engine: str, sql: str) -> None:
        """Run a statement that changes data (the schedule builder's side)."""
        if engine == "duckdb":
            with duckdb.connect(str(self.duckdb_path)) as con:
                con.execute(sql)
        else:
            self.emulator.query(sql)

    def snapshot(self, engine: str) -> dict[str, list[tuple[Any, ...]]]:
        """Every compared table of ``engine`` as sorted tuples of normalised values; job ids
        become ``run1``, ``run2``, ... in the engine's run order (``run1-sweep`` for the lock
        sweep that ended run 1), in id columns and inside texts."""
        ids = self.job_ids[engine]
        run_names = {job_id: f"run{i // 2 + 1}{'-sweep' if i % 2 else ''}" for i, job_id in enumerate(ids) if job_id}
        result: dict[str, list[tuple[Any, ...]]] = {}
        for name, spec in COMPARED_TABLES.items():
            columns = list(spec["columns"])
            source = bool(spec.get("source"))
            if not self.exists(engine, name, source=source):
                result[name] = [("<table does not exist>",)]
                continue
            rows = self.query(engine, f"select {', '.join(columns)} from {self.table(engine, name, source=source)}")
            values = []
            for row in rows:
                record = []
                for column in columns:
                    value = normalise(row[column])
                    if column in _JOB_ID_COLUMNS and value is not None:
                        value = run_names.get(value, f"unknown job {value}")
                    elif isinstance(value, str):
                        # messages may quote a job id (e.g. "latest job <id>")
                        for job_id, run_name in run_names.items():
                            value = value.replace(job_id, run_name)
                    record.append(value)
                values.append(tuple(record))
            key_index = [columns.index(k) for k in spec["key"]]
            result[name] = sorted(values, key=lambda r: tuple(str(r[i]) for i in key_index))
        return result


def table_differences(left: Mapping[str, list[tuple[Any, ...]]], right: Mapping[str, list[tuple[Any, ...]]],
                      labels: tuple[str, str] = ("duckdb", "bigquery"), limit: int = 8) -> list[str]:
    """Human-readable differences between two :meth:`ParityScenario.snapshot` results
    (empty when they match)."""
    problems: list[str] = []
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name, []), right.get(name, [])
        if a == b:
            continue
        columns = COMPARED_TABLES.get(name, {}).get("columns", ())
        only_a = [r for r in a if r not in b]
        only_b = [r for r in b if r not in a]
        lines = [f"{name}: {len(a)} rows on {labels[0]}, {len(b)} on {labels[1]}; columns {list(columns)}"]
        lines += [f"  only on {labels[0]}: {r}" for r in only_a[:limit]]
        lines += [f"  only on {labels[1]}: {r}" for r in only_b[:limit]]
        problems.append("\n".join(lines))
    return problems
