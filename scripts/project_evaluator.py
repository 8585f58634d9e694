"""dbt_project_evaluator (dbt Labs' rules for project structure) over the project's own models,
in `make lint` and CI (issue 14).

Builds the evaluator's models and runs its `is_empty` tests on a throw-away DuckDB file:

    dbt build --select package:dbt_project_evaluator
        --vars '{eros_project_evaluator_enabled: true, eros_elementary_enabled: false}'

(the evaluator, its tests and the project's exceptions seed exist only with that var; the
packages themselves are excluded by the var exclude_packages in dbt_project.yml). Exceptions
that are justified live in seeds/dbt_project_evaluator_exceptions.csv, each with its reason.
Prints every finding (rule, the rows of its fct_ table) and exits 1 when there is any.

    .venv/bin/python scripts/project_evaluator.py [--keep DIR]

Exit codes: 0 no finding; 1 findings (listed); 2 dbt itself failed (its last error line).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parent.parent
VARS = {"eros_project_evaluator_enabled": True, "eros_elementary_enabled": False}


def _dbt() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def run(workdir: Path) -> tuple[int, list[tuple[str, list[dict]]], str]:
    """Run the evaluator in ``workdir``; returns (dbt exit code, [(rule, rows)], dbt output)."""
    env = dict(os.environ)
    env.update({
        "DBT_PROFILES_DIR": str(PROJECT), "EROS_TARGET": "local", "EROS_DUCKDB_PATH": str(workdir / "evaluator.duckdb"),
        "DBT_TARGET_PATH": str(workdir / "target"), "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "EROS_ELEMENTARY_ENABLED": "false",
    })
    command = [_dbt(), "build", "--select", "package:dbt_project_evaluator", "dbt_project_evaluator_exceptions",
               "--vars", json.dumps(VARS), "--no-use-colors"]
    proc = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    failed = sorted(set(re.findall(r"(?:WARN|FAIL) \d+ is_empty_(fct_\w+?)_\b", output)))
    findings: list[tuple[str, list[dict]]] = []
    database = workdir / "evaluator.duckdb"
    if database.exists():
        with duckdb.connect(str(database), read_only=True) as con:
            tables = {name: schema for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables where table_name like 'fct_%'").fetchall()}
            for rule in failed:
                if rule not in tables:
                    continue
                cursor = con.execute(f'select * from "{tables[rule]}"."{rule}"')
                columns = [c[0] for c in cursor.description]
                findings.append((rule, [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]))
    return proc.returncode, findings, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        code, findings, output = run(args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="eros-evaluator-") as tmp:
            code, findings, output = run(Path(tmp))
    if not findings and code != 0:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if "error" in line.lower()), lines[-1] if lines else "no output")
        print(f"project_evaluator: dbt build failed: {reason}", file=sys.stderr)
        return 2
    for rule, rows in findings:
        print(f"{rule}: {len(rows)} finding(s)")
        for row in rows:
            print("  " + ", ".join(f"{k}={v}" for k, v in row.items() if v not in (None, "")))
    if findings:
        total = sum(len(rows) for _, rows in findings)
        print(f"project_evaluator: {len(findings)} rule(s) with {total} finding(s); fix them or record a justified "
              "exception in seeds/dbt_project_evaluator_exceptions.csv", file=sys.stderr)
        return 1
    print("project_evaluator: no findings (dbt_project_evaluator 1.3.2, exceptions: seeds/dbt_project_evaluator_exceptions.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
