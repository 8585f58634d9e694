"""Elementary's overhead per job (issue 14): CPU seconds and peak RSS of `eros run <job>` with
Elementary off (--var eros_elementary_enabled=false) and on, side by side.

For each job and mode: a fresh DuckDB warehouse in a temp folder (`eros generate`, fixed seed),
one warm-up run of the job (creates its tables, and Elementary's), then --runs measured runs.
CPU = user + sys of the `eros run` process and all its children (os.wait4); peak RSS = the
largest resident set of that process tree. Wall time is printed too but is noisy on a shared
machine. Extra dbt vars for the "on" mode can be tried with --on-var NAME=VALUE (jobs with --var).

    .venv/bin/python scripts/bench_elementary.py [--jobs daily,caption-performance,lock-sweep] [--runs 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
EROS = str(Path(sys.executable).parent / "eros")


def _run(args: list[str], env: dict[str, str]) -> tuple[int, float, float, float]:
    """(exit code, CPU s user+sys incl. children, peak RSS MiB, wall s)."""
    start = time.monotonic()
    proc = subprocess.Popen([EROS, *args], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"eros {' '.join(args)} exited {proc.returncode}: {err.strip().splitlines()[-1:]}")
    return proc.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="daily,caption-performance,lock-sweep")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--on-var", action="append", default=[], help="extra var for the 'on' mode (NAME=VALUE)")
    args = parser.parse_args()
    today = dt.datetime.now(dt.UTC).date()
    print(f"{'job':<20} {'mode':<4} {'exit':>4} {'CPU s':>7} {'RSS MiB':>8} {'wall s':>7}")
    for job in args.jobs.split(","):
        for mode in ("off", "on"):
            with tempfile.TemporaryDirectory(prefix="eros-bench-elementary-") as tmp:
                env = dict(os.environ, EROS_DUCKDB_PATH=f"{tmp}/wh.duckdb", DBT_TARGET_PATH=f"{tmp}/target",
                           DBT_LOG_PATH=f"{tmp}/logs", EROS_TARGET="local", EROS_NO_ALERTS="1",
                           EROS_ELEMENTARY_ENABLED="false" if mode == "off" else "true")
                _run(["generate", "--pages", str(args.pages), "--days", "45", "--seed", "7", "--captions", "300",
                      "--date", today.isoformat()], env)
                extra = [a for v in args.on_var for a in ("--var", v)] if mode == "on" else []
                _run(["run", job, *extra], env)  # warm-up: creates the tables
                for _ in range(args.runs):
                    code, cpu, rss, wall = _run(["run", job, *extra], env)
                    print(f"{job:<20} {mode:<4} {code:>4} {cpu:>7.1f} {rss:>8.0f} {wall:>7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
