"""Benchmark of the caption-performance job (issue 4) on the local DuckDB target.

For each history length (default 90 and 360 days) it builds a fresh warehouse of
500 pages (DOMAIN.md "designed capacity: 500+ max") and prints, for
``eros run caption-performance``:

* the full first run (the bounded history is computed: var
  caption_performance_initial_history_days, 365 by default), and
* the 6-hourly incremental run after one more day of data has been loaded, and
* the next 6-hourly run, 6 hours later (the steady state: it re-merges the lookback days
  the previous incremental run had merged, the case where DuckDB's MERGE was slow),

each as wall time (seconds, the whole CLI including its report step, and the
``dbt build`` step alone), CPU seconds (user + sys of the CLI and all its children: wall
time is noisy on a shared machine) and peak memory (max RSS of the CLI and its dbt
subprocess, MB). Issue 12's target: 5,000 pages x 90 days with a 450,000-caption bank
(``--pages 5000 --histories 90 --captions 9000``: 50 chunks of 9,000 captions) at most
60 CPU s and 4 GB.
The incremental figure must not grow with history: the script prints the ratio of the
incremental build at the longest history to the shortest (target <= 1.5).

Data: :mod:`eros.generate` keeps every row in memory, so pages are generated in chunks
(default 100 pages each, each chunk its own seed). Chunks are made disjoint when loaded:
page names get a ``_c<k>`` suffix and caption ids an offset of ``k * 1_000_000`` (so the
bank has ``chunks * captions`` rows). Rows are generated up to execution date E (no weekly
batch withholding); the first run sees the LA days before D = E - 1 with execution date D,
then the rows of day D are appended and the incremental run uses execution date E.

Usage::

    .venv/bin/python scripts/bench_caption_performance.py [--pages 500] [--histories 90,360]
        [--captions 5000] [--chunk-pages 100] [--workdir DIR] [--keep]

Nothing is asserted: the figures are printed (and written as JSON with ``--json-out``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from eros.generate import GenerationConfig, generate  # noqa: E402
from eros.loaders import load_duckdb  # noqa: E402

LA = ZoneInfo("America/Los_Angeles")
EROS = str(Path(sys.executable).parent / "eros")
# Runs a command and prints the peak RSS (KB on Linux) of its process tree on stderr.
MEASURE = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:])\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write('EROS_BENCH_MAXRSS_KB %d\\n' % usage.ru_maxrss)\n"
    "sys.stderr.write('EROS_BENCH_CPU_S %.2f\\n' % (usage.ru_utime + usage.ru_stime))\n"
    "sys.exit(proc.returncode)\n"
)


@dataclasses.dataclass
class RunFigures:
    """One measured job run: wall seconds (CLI, dbt build step), CPU seconds (user + sys of
    the CLI and every child process), peak RSS in MB, status."""

    wall_seconds: float
    build_seconds: float
    cpu_seconds: float
    peak_mb: float
    status: str
    counts: dict


def _midnight_utc(day: dt.date) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=LA)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def build_source(database: Path, workdir: Path, *, pages: int, history: int, captions: int, chunk_pages: int,
                 run_date: dt.date) -> dict[str, int]:
    """Generate ``pages`` pages with ``history`` + 1 days up to ``run_date + 1`` into schema raw
    (days before ``run_date``) and raw_pending.mass_messages (day ``run_date`` and later).

    Returns row counts: loaded, pending, bank, locks.
    """
    end_date = run_date + dt.timedelta(days=1)
    chunks = (pages + chunk_pages - 1) // chunk_pages
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        for schema in ("raw", "raw_pending"):
            con.execute(f"create schema if not exists {schema}")
    for index in range(chunks):
        size = min(chunk_pages, pages - index * chunk_pages)
        folder = workdir / f"chunk{index}"
        generate(
            GenerationConfig(pages=size, days=history + 1, seed=1000 + index, execution_date=end_date,
                             captions=captions, weekly_batches=False, inactive_pages=0),
            folder,
        )
        load_duckdb(database, folder, schema=f"chunk{index}")
        shutil.rmtree(folder)
        offset = index * 1_000_000
        suffix = f"_c{index}"
        cutoff = _midnight_utc(run_date).strftime("%Y-%m-%d %H:%M:%S")
        with duckdb.connect(str(database)) as con:
            con.execute("set TimeZone = 'UTC'")
            src = f"chunk{index}"
            moved = (
                f"select row_id, case when page_name is null then null else page_name || '{suffix}' end as page_name, "
                f"message, sending_time, price, sent_count, viewed_count, purchased_count, earnings, message_type, "
                f"caption_id + {offset} as caption_id from {src}.mass_messages"
            )
            bank = (
                f"select caption_id + {offset} as caption_id, caption_text, content_category, price_tier, has_urgency, "
                f"usage_status, created_at, updated_at from {src}.caption_bank"
            )
            locks = (
                f"select assignment_key || '{suffix}' as assignment_key, page_name || '{suffix}' as page_name, "
                f"caption_id + {offset} as caption_id, caption_text, assigned_date, scheduled_send_date, "
                f"scheduled_send_hour, price_tier, is_active, assigned_at, schedule_id, deactivated_at, "
                f"deactivation_reason from {src}.active_caption_assignments"
            )
            verb = "create table" if index == 0 else "insert into"
            tail = " as " if index == 0 else " "
            con.execute(f"{verb} raw.mass_messages{tail}{moved} where sending_time < timestamp '{cutoff}'")
            con.execute(f"{verb} raw_pending.mass_messages{tail}{moved} where sending_time >= timestamp '{cutoff}'")
            con.execute(f"{verb} raw.caption_bank{tail}{bank}")
            con.execute(f"{verb} raw.active_caption_assignments{tail}{locks}")
            con.execute(f"drop schema {src} cascade")
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            "mass_messages_loaded": con.execute("select count(*) from raw.mass_messages").fetchone()[0],
            "mass_messages_pending": con.execute("select count(*) from raw_pending.mass_messages").fetchone()[0],
            "caption_bank": con.execute("select count(*) from raw.caption_bank").fetchone()[0],
            "active_caption_assignments": con.execute("select count(*) from raw.active_caption_assignments").fetchone()[0],
        }


def append_pending(database: Path) -> int:
    """Load the held-back day into raw.mass_messages; returns the rows appended."""
    with duckdb.connect(str(database)) as con:
        count = con.execute("select count(*) from raw_pending.mass_messages").fetchone()[0]
        con.execute("insert into raw.mass_messages select * from raw_pending.mass_messages")
        con.execute("drop table raw_pending.mass_messages")
    return int(count)


def run_job(env: dict[str, str], execution_date: dt.date, as_of: str) -> RunFigures:
    """``eros run caption-performance --json`` under the RSS probe."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, EROS, "run", "caption-performance", "--date", execution_date.isoformat(),
         "--as-of", as_of, "--json"],
        cwd=PROJECT, env=env, capture_output=True, text=True,
    )
    wall = time.monotonic() - started
    peak_kb, cpu = 0, float("nan")
    for line in proc.stderr.splitlines():
        if line.startswith("EROS_BENCH_MAXRSS_KB "):
            peak_kb = int(line.split()[1])
        elif line.startswith("EROS_BENCH_CPU_S "):
            cpu = float(line.split()[1])
    if proc.returncode != 0 or not proc.stdout.strip().startswith("{"):
        raise SystemExit(f"caption-performance run failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    outcome = json.loads(proc.stdout)
    build = next((s["seconds"] for s in outcome["steps"] if s["command"].startswith("build")), float("nan"))
    return RunFigures(round(wall, 1), round(build, 1), round(cpu, 1), round(peak_kb / 1024, 0), outcome["status"], outcome["counts"])


def bench_history(history: int, args: argparse.Namespace, root: Path) -> dict:
    """Build a warehouse with ``history`` days and measure the first and the incremental run."""
    workdir = root / f"h{history}"
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "bench.duckdb"
    env = dict(os.environ)
    env.update({
        "EROS_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(root / "dbt_target"),
        "DBT_LOG_PATH": str(root / "dbt_logs"),
        "EROS_TARGET": "local",
    })
    env.pop("EROS_SOURCE_SCHEMA", None)
    run_date = args.date
    started = time.monotonic()
    rows = build_source(database, workdir, pages=args.pages, history=history, captions=args.captions,
                        chunk_pages=args.chunk_pages, run_date=run_date)
    generated = time.monotonic() - started
    print(f"[{history} d] generated in {generated:.0f} s: {rows}", flush=True)
    first = run_job(env, run_date, f"{run_date.isoformat()}T23:00:00+00:00")
    print(f"[{history} d] first run: {first}", flush=True)
    appended = append_pending(database)
    next_day = run_date + dt.timedelta(days=1)
    incremental = run_job(env, next_day, f"{next_day.isoformat()}T11:00:00+00:00")
    print(f"[{history} d] incremental run after {appended} new rows: {incremental}", flush=True)
    steady = run_job(env, next_day, f"{next_day.isoformat()}T17:00:00+00:00")
    print(f"[{history} d] next incremental run, 6 hours later: {steady}", flush=True)
    if not args.keep:
        shutil.rmtree(workdir)
    return {"history_days": history, "rows": rows, "appended_rows": appended,
            "first_run": dataclasses.asdict(first), "incremental_run": dataclasses.asdict(incremental),
            "steady_run": dataclasses.asdict(steady)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--histories", default="90,360", help="comma-separated days of history")
    parser.add_argument("--captions", type=int, default=5000, help="bank rows per chunk")
    parser.add_argument("--chunk-pages", type=int, default=100)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 17), help="first run's execution date")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the warehouses")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="eros_bench_caption_"))
    root.mkdir(parents=True, exist_ok=True)
    results = [bench_history(int(h), args, root) for h in args.histories.split(",")]
    print()
    print(f"caption performance benchmark: {args.pages} pages, DuckDB, {os.cpu_count()} cores")
    print(f"{'history':>8} {'messages':>10} | {'first: wall s':>13} {'build s':>8} {'CPU s':>6} {'peak MB':>8} | "
          f"{'incremental: wall s':>19} {'build s':>8} {'CPU s':>6} {'peak MB':>8} | "
          f"{'6 h later: wall s':>17} {'CPU s':>6} {'peak MB':>8}")
    for r in results:
        f, i, n = r["first_run"], r["incremental_run"], r["steady_run"]
        print(f"{r['history_days']:>7}d {r['rows']['mass_messages_loaded'] + r['appended_rows']:>10,} | "
              f"{f['wall_seconds']:>13} {f['build_seconds']:>8} {f['cpu_seconds']:>6} {f['peak_mb']:>8.0f} | "
              f"{i['wall_seconds']:>19} {i['build_seconds']:>8} {i['cpu_seconds']:>6} {i['peak_mb']:>8.0f} | "
              f"{n['wall_seconds']:>17} {n['cpu_seconds']:>6} {n['peak_mb']:>8.0f}")
    if len(results) > 1:
        shortest, longest = results[0]["incremental_run"], results[-1]["incremental_run"]
        ratio_build = longest["build_seconds"] / shortest["build_seconds"]
        ratio_wall = longest["wall_seconds"] / shortest["wall_seconds"]
        print(f"incremental at {results[-1]['history_days']} d vs {results[0]['history_days']} d: "
              f"build x{ratio_build:.2f}, wall x{ratio_wall:.2f} (target <= 1.5)")
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    if not args.workdir and not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
