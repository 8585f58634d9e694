"""Benchmark of the reads without dbt (issue 11 target: `eros alerts list` under 1.5 s wall).

Runs `eros alerts list` (and `--json`, `eros alerts send --dry-run`) several times against a
warehouse and prints, per command, the wall time (median and worst), the CPU seconds
(user + sys, children included) and the peak RSS of one run, side by side.

    python scripts/bench_reads.py [--runs 5] [--warehouse path/to/eros_warehouse.duckdb]

Default warehouse: the demo one (`make demo`), i.e. EROS_DUCKDB_PATH or
warehouse/eros_warehouse.duckdb. The machine's load average is printed too: wall time
depends on other processes, CPU seconds much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
EROS = str(Path(sys.executable).parent / "eros")
COMMANDS = (("alerts", "list"), ("alerts", "list", "--json"), ("alerts", "send", "--dry-run"))


def measure(args: tuple[str, ...], env: dict[str, str]) -> tuple[float, float, int, int]:
    """(wall s, CPU s user+sys of the child, peak RSS KiB of the child, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([EROS, *args], cwd=PROJECT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warehouse", type=Path, default=None)
    options = parser.parse_args()
    env = dict(os.environ)
    if options.warehouse is not None:
        env["EROS_DUCKDB_PATH"] = str(options.warehouse.resolve())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {options.runs} runs per command")
    print(f"{'command':<28} {'wall median':>11} {'wall max':>9} {'CPU s':>7} {'peak RSS MiB':>13} {'exit':>5}")
    for args in COMMANDS:
        runs = [measure(args, env) for _ in range(options.runs)]
        walls = [r[0] for r in runs]
        cpu = statistics.median(r[1] for r in runs)
        print(f"{'eros ' + ' '.join(args):<28} {statistics.median(walls):>10.2f}s {max(walls):>8.2f}s {cpu:>7.2f} "
              f"{max(r[2] for r in runs) / 1024:>13.0f} {runs[-1][3]:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
