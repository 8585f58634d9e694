"""Benchmark of the daily job against the original system's per-page loop (issue 11 "Targets").

For each size (default 500 and 5,000 pages x 90 days) the script generates the same data
with the project's generator (eros.generate, cached in the work folder), loads it with
eros.loaders into a DuckDB file, and on separate copies of that file runs:

* ``job``: the real daily job, ``eros run daily --date D --as-of A --json`` (a subprocess,
  exactly what the scheduler runs, with every dbt process it starts);
* ``loop``: the original procedure's method, re-implemented faithfully with today's rules:
  a cursor over the pages and one SQL query per page (validation, activity, tier, health,
  saturation), then one insert per queued page and per failed page. It runs in its own
  process on DuckDB (the warehouse of the job), so both use the same engine. Its copy of
  the source tables is sorted by page first (untimed, like a table clustered by page), so
  each per-page query reads only its page's blocks;
* ``job, empty data``: the job on a warehouse whose source tables exist but hold no rows
  (its fixed cost: dbt start-up, parse, hooks, every node of the selector).

Every job figure is a normal day: the job first runs for the day before on the same
warehouse (measured and printed too, as "first run": it also creates every table), then
for the execution date; the targets compare the second run, as the scheduler sees it
every day.

Each is measured in a fresh wrapper process: CPU seconds (user + sys, all descendants
included: getrusage(RUSAGE_CHILDREN) of the wrapper) and peak RSS (the largest single
process), side by side, plus wall time (noisy: the machine is shared). The job and the
loop must queue the same pages: the script compares the two queues and prints any page
on one side only.

Before the timed runs, one untimed ``dbt parse`` saves the project's parse state (as any
installation has after its first command), so the job's figures are those of a normal
day, not of the first command after an upgrade.

Targets (printed with OK / MISSED): at 500 pages the job uses no more CPU than the loop; at
5,000 pages at most a fifth; at 5,000 pages within 3 CPU s of its empty-data run; the
empty-data run at most 6 CPU s.

Elementary (on by default in every job) is measured with its switch off and on
(``--elementary off on``, env EROS_ELEMENTARY_ENABLED); the loop runs once per size.

Usage::

    .venv/bin/python scripts/bench_daily.py [--pages 500 5000] [--days 90] [--workdir DIR]
        [--json-out FILE] [--skip-loop] [--elementary off on]

Nothing is asserted; figures are printed (and written as JSON with ``--json-out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

EXEC_DATE = dt.date(2026, 6, 17)
AS_OF = dt.datetime(2026, 6, 17, 11, 0)  # naive UTC: 04:00 in LA on EXEC_DATE
SEED = 42
LA = ZoneInfo("America/Los_Angeles")
SOURCE_TABLES = ("mass_messages", "caption_bank", "active_caption_assignments")
WAREHOUSE_NAME = "warehouse.duckdb"

# Rules of DOMAIN.md with the project's defaults (dbt_project.yml vars).
ACTIVE_DAYS = 30
HEALTH_DAYS = 30
TIER_DAYS = 90
MAX_HISTORY_DAYS = 400
FUTURE_SCAN_DAYS = 30
HORIZON_DAYS = 7
QUEUE_BELOW_PCT = 80.0
QUARANTINE_LIMIT_PCT = 20.0
CIRCUIT_BREAKER_PAGES = 5
TIERS = [(5_000, "MICRO", 8), (25_000, "SMALL", 10), (100_000, "MEDIUM", 15), (500_000, "LARGE", 22)]
MEGA = ("MEGA", 30)

# A wrapper that runs one command and prints the rusage of everything it started.
MEASURE = r"""
import json, resource, subprocess, sys, time
started = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": proc.returncode, "cpu": usage.ru_utime + usage.ru_stime,
                  "user": usage.ru_utime, "sys": usage.ru_stime, "max_rss_kb": usage.ru_maxrss,
                  "wall": wall, "stdout": proc.stdout[-20000:], "stderr": proc.stderr[-4000:]}))
"""


def local_midnight_utc(day: dt.date, offset_days: int = 0) -> dt.datetime:
    """Naive UTC instant of local (LA) midnight of day + offset_days (macro eros_local_midnight_utc)."""
    target = day + dt.timedelta(days=offset_days)
    return dt.datetime(target.year, target.month, target.day, tzinfo=LA).astimezone(dt.UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------
# The per-page loop (the original procedure's method, today's rules)
# ---------------------------------------------------------------------------------------

# One query per page. Same rules as the dbt models (stg_scheduler__mass_messages,
# int_pages__message_metrics, int_pages__lock_metrics, int_pages__daily_analysis):
# quarantine verdict per row (first failing rule; duplicate copies of (row_id, sending_time)
# beyond the most grown one), activity = any row of the page in the 30 LA days before the
# date, quarantine share over the same rows, revenue of valid rows by LA day windows, active
# locks with a send date in [date, date + 7) and active locks on captions missing from the bank.
PAGE_QUERY = """
with page_rows as (
    select
        row_id, page_name, sending_time, earnings, message_type, sent_count, viewed_count,
        purchased_count, price, message,
        cast(timezone('America/Los_Angeles', cast(sending_time as timestamptz)) as date) as sending_date_la,
        row_number() over (
            partition by row_id, sending_time
            order by earnings desc, viewed_count desc, sent_count desc, sending_time asc, message asc
        ) as copy_number
    from raw.mass_messages
    where page_name = $page
      and sending_time >= $scan_from and sending_time < $scan_to
),
verdicts as (
    select
        *,
        case
            when row_id is null then 'NULL_ROW_ID'
            when trim(page_name) = '' then 'NULL_PAGE_NAME'
            when copy_number > 1 then 'DUPLICATE_ROW_ID'
            when sending_time > $as_of then 'FUTURE_SENDING_TIME'
            when message_type is null or message_type not in ('PPV', 'Bump') then 'INVALID_MESSAGE_TYPE'
            when earnings < 0 then 'NEGATIVE_EARNINGS'
            when sent_count < 0 or viewed_count < 0 or purchased_count < 0 or price < 0 then 'NEGATIVE_COUNT'
            when viewed_count > sent_count then 'VIEWED_GT_SENT'
            when purchased_count > viewed_count then 'PURCHASED_GT_VIEWED'
        end as dq_reason
    from page_rows
    where sending_date_la >= $tier_from and sending_date_la < $exec_date
),
messages as (
    select
        count(*) filter (where sending_date_la >= $active_from) as rows_active,
        count(*) filter (where sending_date_la >= $active_from and dq_reason is not null) as quarantined_active,
        coalesce(sum(coalesce(earnings, 0)) filter (where dq_reason is null and sending_date_la >= $health_from), 0) as revenue_30d,
        coalesce(sum(coalesce(earnings, 0)) filter (
            where dq_reason is null and sending_date_la >= $previous_from and sending_date_la < $health_from), 0) as revenue_previous_30d,
        coalesce(sum(coalesce(earnings, 0)) filter (where dq_reason is null), 0) as revenue_90d,
        count(*) as rows_total
    from verdicts
),
locks as (
    select
        count(*) filter (where a.scheduled_send_date >= $exec_date and a.scheduled_send_date < $horizon_to) as upcoming,
        count(*) filter (where b.caption_id is null) as missing_caption
    from raw.active_caption_assignments as a
    left join (select distinct caption_id from raw.caption_bank) as b on a.caption_id = b.caption_id
    where a.page_name = $page and a.is_active
)
select messages.*, locks.upcoming, locks.missing_caption from messages cross join locks
"""


def run_loop(db: Path, exec_date: dt.date, as_of: dt.datetime) -> dict[str, Any]:
    """The per-page loop on DuckDB file ``db``: cursor over the pages, one query per page,
    one insert per queued or failed page; the circuit breaker stops before queueing.

    Returns:
        {"pages": analysed pages, "queued": [...], "failed": {page: reason}, "status": ...}.
    """
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema if not exists loop")
    con.execute("create or replace table loop.schedule_generation_queue "
                "(page_name varchar, execution_date date, saturation_pct double, queued_at timestamp, status varchar)")
    con.execute("create or replace table loop.creator_processing_errors "
                "(page_name varchar, execution_date date, error_message varchar, error_time timestamp)")
    scan_to = max(as_of + dt.timedelta(days=FUTURE_SCAN_DAYS), local_midnight_utc(exec_date, 1))
    tier_from = exec_date - dt.timedelta(days=max(ACTIVE_DAYS, 2 * HEALTH_DAYS, TIER_DAYS))
    params_common = {
        "scan_from": local_midnight_utc(exec_date, -MAX_HISTORY_DAYS),
        "scan_to": scan_to,
        "as_of": as_of,
        "exec_date": exec_date,
        "tier_from": tier_from,
        "active_from": exec_date - dt.timedelta(days=ACTIVE_DAYS),
        "health_from": exec_date - dt.timedelta(days=HEALTH_DAYS),
        "previous_from": exec_date - dt.timedelta(days=2 * HEALTH_DAYS),
        "horizon_to": exec_date + dt.timedelta(days=HORIZON_DAYS),
    }
    # The cursor: every page with a message in the widest window the rules read.
    pages = [row[0] for row in con.execute(
        "select distinct page_name from raw.mass_messages where page_name is not null "
        "and sending_time >= $from and sending_time < $to order by 1",
        {"from": local_midnight_utc(exec_date, -(TIER_DAYS + 1)), "to": local_midnight_utc(exec_date, 1)},
    ).fetchall()]
    queued: list[tuple[str, float]] = []
    failed: dict[str, str] = {}
    for page in pages:
        row = con.execute(PAGE_QUERY, {**params_common, "page": page}).fetchone()
        rows_active, quarantined, rev30, rev_prev, rev90, rows_total, upcoming, missing = row
        if rows_total == 0 or rows_active == 0:
            continue  # inactive: not analysed further
        cap = next((c for limit, _, c in TIERS if rev90 < limit), MEGA[1])
        errors = []
        if 100.0 * quarantined / rows_active > QUARANTINE_LIMIT_PCT:
            errors.append(f"QUARANTINE_RATE: {quarantined} of {rows_active} rows in the {ACTIVE_DAYS}-day window "
                          f"quarantined (limit {QUARANTINE_LIMIT_PCT:g}%)")
        if missing > 0:
            errors.append(f"LOCKS_ON_MISSING_CAPTIONS: {missing} active locks reference captions missing from caption_bank")
        if errors:
            failed[page] = "; ".join(errors)
            continue
        saturation = 100.0 * upcoming / (cap * HORIZON_DAYS)
        if saturation < QUEUE_BELOW_PCT:
            queued.append((page, saturation))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for page, reason in failed.items():
        con.execute("insert into loop.creator_processing_errors values (?, ?, ?, ?)", [page, exec_date, reason, now])
    status = "SUCCESS"
    if len(failed) >= CIRCUIT_BREAKER_PAGES:
        status = "FAILED"  # circuit breaker: stop before queueing
        queued = []
    for page, saturation in queued:
        con.execute("insert into loop.schedule_generation_queue values (?, ?, ?, ?, 'PENDING')",
                    [page, exec_date, round(saturation, 2), now])
    if status == "SUCCESS" and failed:
        status = "COMPLETED_WITH_ERRORS"
    elif status == "SUCCESS" and not pages:
        status = "COMPLETED_NO_WORK"
    con.close()
    return {"pages": len(pages), "queued": sorted(p for p, _ in queued), "failed": failed, "status": status}


# ---------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------

def measure(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command`` in a fresh wrapper; CPU (user+sys, descendants included), peak RSS, wall."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, *command], env=env, capture_output=True, text=True, cwd=PROJECT)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"measurement wrapper failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_env(workdir: Path, db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "EROS_DUCKDB_PATH": str(db),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "EROS_TARGET": "local",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    })
    for name in list(env):
        if name.startswith("EROS_ALERT_"):
            env.pop(name)  # no delivery to real channels from a benchmark
    env.pop("EROS_SOURCE_SCHEMA", None)
    return env


def prepare_base(workdir: Path, pages: int, days: int) -> Path:
    """Generated CSVs (cached) loaded into ``base_<pages>.duckdb``."""
    from eros.generate import GenerationConfig, generate
    from eros.loaders import load_duckdb

    csv_dir = workdir / f"csv_{pages}x{days}"
    if not (csv_dir / "manifest.json").is_file():
        print(f"  generating {pages:,} pages x {days} days ...", flush=True)
        generate(GenerationConfig(pages=pages, days=days, seed=SEED, execution_date=EXEC_DATE), csv_dir)
    base = workdir / f"base_{pages}x{days}.duckdb"
    if not base.is_file():
        load_duckdb(base, csv_dir)
    return base


def fresh_copy(base: Path, name: str) -> Path:
    """A copy of ``base`` at ``<workdir>/runs/<name>``."""
    target = base.parent / "runs" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(base, target)
    return target


def as_warehouse(db: Path) -> Path:
    """Move a prepared copy to the one warehouse path every timed run uses: dbt keys its
    saved parse state on the connection settings (the DuckDB path among them), and an
    installation runs every day against the same warehouse."""
    target = db.parent / WAREHOUSE_NAME
    for suffix in ("", ".wal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(db, target)
    return target


def empty_copy(base: Path, name: str) -> Path:
    import duckdb

    db = fresh_copy(base, name)
    with duckdb.connect(str(db)) as con:
        for table in SOURCE_TABLES:
            con.execute(f"delete from raw.{table}")
    return db


def run_job(workdir: Path, db: Path, day: dt.date = EXEC_DATE) -> dict[str, Any]:
    """``eros run daily`` for ``day`` (as of 11:00 UTC that day) on ``db``, measured."""
    env = bench_env(workdir, db)
    eros = str(Path(sys.executable).parent / "eros")
    as_of = dt.datetime(day.year, day.month, day.day, 11, 0)
    command = [eros, "run", "daily", "--date", day.isoformat(), "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "--json"]
    result = measure(command, env)
    try:
        result["outcome"] = json.loads(result["stdout"])
    except ValueError:
        result["outcome"] = None
    return result


def run_job_twice(workdir: Path, db: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The job for the day before (a first run on this warehouse: it creates the tables),
    then for EXEC_DATE (a normal day: the tables exist). Both measured."""
    first = run_job(workdir, db, EXEC_DATE - dt.timedelta(days=1))
    return first, run_job(workdir, db, EXEC_DATE)


def job_queue(db: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        try:
            rows = con.execute("select page_name from eros.schedule_generation_queue where execution_date = ? order by 1",
                               [EXEC_DATE]).fetchall()
        except duckdb.CatalogException:
            return []
    return [r[0] for r in rows]


def cluster_for_loop(db: Path) -> Path:
    """Sort the loop's copy of the source tables by page (untimed preparation), as a table
    clustered by page_name: DuckDB's min/max zone maps then let each per-page query read
    only its page's blocks. Without it every per-page query scans the whole table and the
    loop is slower than the method deserves."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("create or replace table raw.mass_messages as select * from raw.mass_messages order by page_name, sending_time")
        con.execute("create or replace table raw.active_caption_assignments as "
                    "select * from raw.active_caption_assignments order by page_name")
        con.execute("checkpoint")
    return db


def run_loop_measured(workdir: Path, db: Path) -> dict[str, Any]:
    env = bench_env(workdir, db)
    command = [sys.executable, str(Path(__file__).resolve()), "--loop-worker", str(db)]
    result = measure(command, env)
    out = Path(str(db) + ".loop.json")  # the worker's result (stdout is truncated by the wrapper)
    result["loop"] = json.loads(out.read_text()) if result["returncode"] == 0 and out.is_file() else None
    return result


def warm_parse(workdir: Path, db: Path) -> None:
    """Save the project's parse state once (untimed), as any installation has."""
    env = bench_env(workdir, db)
    code = ("from pathlib import Path; from eros.dbt_invoke import invoke; "
            f"r = invoke(['parse'], project=Path({str(PROJECT)!r}), target='local', "
            f"variables={{'execution_date': {EXEC_DATE.isoformat()!r}}}); raise SystemExit(0 if r.ok else 1)")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=PROJECT, capture_output=True)


def fmt(result: dict[str, Any]) -> str:
    return f"{result['cpu']:8.2f} {result['max_rss_kb'] / 1024:9.0f} {result['wall']:8.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--workdir", type=Path, default=None, help="keeps generated data between runs (default: a temp dir)")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--skip-loop", action="store_true", help="only the job (and its empty-data run)")
    parser.add_argument("--elementary", nargs="+", choices=["default", "on", "off"], default=["off", "on"],
                        help="Elementary switch of the job runs (EROS_ELEMENTARY_ENABLED); each setting is measured")
    parser.add_argument("--loop-worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.loop_worker is not None:  # inside the measurement wrapper
        Path(str(args.loop_worker) + ".loop.json").write_text(json.dumps(run_loop(args.loop_worker, EXEC_DATE, AS_OF)))
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="eros_bench_daily_"))
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"execution_date": EXEC_DATE.isoformat(), "as_of": AS_OF.isoformat(), "settings": {}}
    print(f"daily job benchmark: execution date {EXEC_DATE}, {args.days} days of history, seed {SEED}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    rows_out: list[tuple[str, dict[str, Any]]] = []
    loops: dict[int, dict[str, Any]] = {}
    checks: list[tuple[str, bool, str]] = []
    for setting in args.elementary:
        if setting == "default":
            os.environ.pop("EROS_ELEMENTARY_ENABLED", None)
        else:
            os.environ["EROS_ELEMENTARY_ENABLED"] = "true" if setting == "on" else "false"
        tag = f"elementary {setting}"
        print(f"[{tag}]", flush=True)
        empty: dict[str, Any] | None = None
        sizes: dict[str, Any] = {}
        for pages in args.pages:
            print(f"{pages:,} pages:", flush=True)
            base = prepare_base(workdir, pages, args.days)
            if empty is None:
                warm_parse(workdir, as_warehouse(empty_copy(base, "job_empty.duckdb")))
                empty_first, empty = run_job_twice(workdir, as_warehouse(empty_copy(base, "job_empty.duckdb")))
                rows_out.append((f"job, empty, first run [{setting}]", empty_first))
                rows_out.append((f"job, empty data [{setting}]", empty))
                empty_status = (empty["outcome"] or {}).get("status", f"no outcome, exit {empty['returncode']}")
                print(f"  job, empty data: {empty['cpu']:.2f} CPU s ({empty_status}); first run on the warehouse "
                      f"{empty_first['cpu']:.2f} CPU s", flush=True)
                checks.append((f"[{setting}] fixed cost (empty data) <= 6 CPU s", empty["cpu"] <= 6.0, f"{empty['cpu']:.2f}"))
            job_db = as_warehouse(fresh_copy(base, f"job_{pages}.duckdb"))
            job_first, job = run_job_twice(workdir, job_db)
            job["queued"] = job_queue(job_db)
            status = (job["outcome"] or {}).get("status", f"no outcome, exit {job['returncode']}")
            print(f"  job: {job['cpu']:.2f} CPU s, status {status}, {len(job['queued'])} pages queued; first run on the "
                  f"warehouse {job_first['cpu']:.2f} CPU s", flush=True)
            rows_out.append((f"job, {pages:,}, first run [{setting}]", job_first))
            rows_out.append((f"job, {pages:,} pages [{setting}]", job))
            entry: dict[str, Any] = {"job": {k: v for k, v in job.items() if k not in ("stdout", "stderr")},
                                     "job_first_run": {k: v for k, v in job_first.items() if k not in ("stdout", "stderr")}}
            if not args.skip_loop and pages not in loops:
                loop = run_loop_measured(workdir, cluster_for_loop(fresh_copy(base, f"loop_{pages}.duckdb")))
                if loop["loop"] is None:
                    print(f"  loop failed: {loop['stderr']}", file=sys.stderr)
                    return 2
                loops[pages] = loop
                print(f"  loop: {loop['cpu']:.2f} CPU s, status {loop['loop']['status']}, {len(loop['loop']['queued'])} "
                      f"pages queued, {len(loop['loop']['failed'])} failed", flush=True)
                rows_out.append((f"loop, {pages:,} pages", loop))
            if pages in loops:
                loop = loops[pages]
                queued_loop = loop["loop"]["queued"]
                only_job = sorted(set(job["queued"]) - set(queued_loop))
                only_loop = sorted(set(queued_loop) - set(job["queued"]))
                same = not only_job and not only_loop
                print(f"  same queue as the loop: {'yes' if same else 'NO'}"
                      + ("" if same else f" (job only: {only_job[:10]}, loop only: {only_loop[:10]})"))
                entry["loop"] = {k: v for k, v in loop.items() if k not in ("stdout", "stderr")}
                entry["same_queue"] = same
                if pages <= 500:
                    checks.append((f"[{setting}] {pages} pages: job <= loop", job["cpu"] <= loop["cpu"],
                                   f"{job['cpu']:.2f} vs {loop['cpu']:.2f}"))
                else:
                    checks.append((f"[{setting}] {pages} pages: job <= loop / 5", job["cpu"] <= loop["cpu"] / 5,
                                   f"{job['cpu']:.2f} vs {loop['cpu'] / 5:.2f}"))
            if pages >= 5000:
                checks.append((f"[{setting}] {pages} pages: job <= empty + 3 CPU s", job["cpu"] <= empty["cpu"] + 3,
                               f"{job['cpu']:.2f} vs {empty['cpu'] + 3:.2f}"))
            sizes[str(pages)] = entry
        report["settings"][setting] = {
            "empty": {k: v for k, v in (empty or {}).items() if k not in ("stdout", "stderr")}, "sizes": sizes,
        }

    print()
    print(f"{'run':<36} {'CPU s':>8} {'peak MiB':>9} {'wall s':>8}")
    for label, result in rows_out:
        print(f"{label:<36} {fmt(result)}")
    print()
    for label, ok, detail in checks:
        print(f"{'OK    ' if ok else 'MISSED'} {label} ({detail})")
    report["checks"] = [{"check": c, "ok": ok, "detail": d} for c, ok, d in checks]
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2, default=str))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
