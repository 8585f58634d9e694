"""Benchmark of the lock sweep (issue 5) on the local DuckDB target.

Target (issue 5 "Performance"): with 10,000 active locks the sweep's dbt step takes under
5 s on DuckDB. The script builds a throwaway warehouse (``eros generate`` for the schema and
the other source tables), replaces the lock table with ``--active`` active locks that must
stay active plus ``--past`` past-dated and ``--stale`` stale ones, runs the job once (not
timed), then for each of ``--repeat`` rounds restores the locks and times the lock-sweep job
``eros.jobs.run_job("lock-sweep")``: its one dbt process ``dbt build --selector lock_sweep``
(issue 11: one job = one dbt build), i.e. what a scheduler waits for. It prints per round
and the median:

* ``dbt step``: wall time of the build subprocess (seconds);
* ``cpu``: user + system CPU seconds of that subprocess (a figure that does not grow when
  other processes load the machine: on an idle machine the wall time is close to it);
* ``in transaction``: the log's sweep_duration_seconds (macro start to the log insert);
* locks cleaned and active after (checked against the numbers planted).

Usage::

    .venv/bin/python scripts/bench_lock_sweep.py [--active 10000] [--past 1500] [--stale 500]
        [--repeat 3] [--workdir DIR] [--keep]

Nothing is asserted: the figures are printed (and written as JSON with ``--json-out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

EXEC_DATE = dt.date(2026, 6, 17)
AS_OF = dt.datetime(2026, 6, 17, 11, 0)  # naive UTC: 04:00 in LA on EXEC_DATE
COLUMNS = (
    "assignment_key, page_name, caption_id, caption_text, assigned_date, scheduled_send_date, scheduled_send_hour, "
    "price_tier, is_active, assigned_at, schedule_id, deactivated_at, deactivation_reason"
)


def plant_locks(db: Path, active: int, past: int, stale: int) -> None:
    """Replace raw.active_caption_assignments by the planted locks (over 100 pages)."""
    groups = [
        ("keep", active, EXEC_DATE + dt.timedelta(days=3), AS_OF - dt.timedelta(days=2)),
        ("past", past, EXEC_DATE - dt.timedelta(days=1), AS_OF - dt.timedelta(days=3)),
        ("stale", stale, EXEC_DATE + dt.timedelta(days=2), AS_OF - dt.timedelta(days=9)),
    ]
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.active_caption_assignments")
        for prefix, count, send_date, assigned_at in groups:
            con.execute(
                f"insert into raw.active_caption_assignments ({COLUMNS}) "
                "select ? || '_' || cast(range as varchar), 'page_' || cast(range % 100 as varchar), range % 5000, 'text', "
                "cast(? as date), cast(? as date), cast(range % 24 as bigint), 'mid', true, cast(? as timestamp), "
                "'sch', null, null from range(?)",
                [prefix, assigned_at.date(), send_date, assigned_at, count],
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--active", type=int, default=10_000, help="active locks that stay active")
    parser.add_argument("--past", type=int, default=1_500, help="active locks with a past send date")
    parser.add_argument("--stale", type=int, default=500, help="active locks assigned 9 days ago, future send date")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="eros_bench_lock_sweep_"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "bench.duckdb"
    os.environ.update({
        "EROS_DUCKDB_PATH": str(db),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "EROS_TARGET": "local",
    })
    from eros.generate import GenerationConfig, generate
    from eros.jobs import run_job
    from eros.loaders import load_duckdb

    try:
        folder = workdir / "generated"
        generate(GenerationConfig(pages=5, days=10, seed=1, execution_date=EXEC_DATE, captions=300), folder)
        load_duckdb(db, folder)
        warm = run_job("lock-sweep", project=PROJECT, target="local", as_of=AS_OF, alerts=False)
        if warm.status != "SUCCESS":
            print(f"dbt build --selector lock_sweep failed: {warm.error_message}", file=sys.stderr)
            return 2
        total = args.active + args.past + args.stale
        print(f"lock sweep benchmark: {total:,} active locks ({args.active:,} stay, {args.past:,} past-dated, "
              f"{args.stale:,} stale), DuckDB {duckdb.__version__}, {args.repeat} rounds")
        rounds = []
        for index in range(args.repeat):
            plant_locks(db, args.active, args.past, args.stale)
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            outcome = run_job("lock-sweep", project=PROJECT, target="local", as_of=AS_OF, alerts=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
            if outcome.status != "SUCCESS":
                print(f"round {index + 1}: sweep failed: {outcome.error_message}", file=sys.stderr)
                return 2
            step = outcome.steps[-1]["seconds"]
            result = outcome.counts
            rounds.append({
                "dbt_step_seconds": round(step, 3),
                "dbt_step_cpu_seconds": round(cpu, 3),
                "in_transaction_seconds": result["sweep_duration_seconds"],
                "locks_cleaned": result["total_locks_cleaned"],
                "active_after": result["active_locks_after"],
            })
            ok = result["total_locks_cleaned"] == args.past + args.stale and result["active_locks_after"] == args.active
            print(f"  round {index + 1}: dbt step {step:.2f} s (cpu {cpu:.2f} s), in transaction {result['sweep_duration_seconds']:.3f} s, "
                  f"cleaned {result['total_locks_cleaned']:,}, active after {result['active_locks_after']:,}"
                  f"{'' if ok else '  (UNEXPECTED COUNTS)'}")
        median = statistics.median(r["dbt_step_seconds"] for r in rounds)
        median_cpu = statistics.median(r["dbt_step_cpu_seconds"] for r in rounds)
        load = os.getloadavg()[0]
        print(f"median job (one dbt build --selector lock_sweep): {median:.2f} s wall, {median_cpu:.2f} s cpu (target < 5 s): "
              f"{'OK' if median < 5 else 'OVER TARGET'}; load average {load:.1f} on {os.cpu_count()} cores")
        if args.json_out:
            args.json_out.write_text(json.dumps({"rounds": rounds, "median_dbt_step_seconds": median,
                                                 "median_dbt_step_cpu_seconds": median_cpu, "load_average": load}, indent=2))
        return 0
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
