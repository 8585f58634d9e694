"""Install the project's dbt packages (packages.yml / package-lock.yml) into dbt_packages/.

Runs an unchanged ``dbt deps`` against the public dbt package hub when it answers, otherwise
against the loopback mirror ../shared/dbt-hub (started on a free port for the install and
stopped afterwards); see eros/package_hub.py. ``make install`` calls it.

    .venv/bin/python scripts/dbt_deps.py [--quiet]

Exit codes: 0 installed; 1 dbt deps failed (its last error line); 2 no hub reachable (one line).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from eros.package_hub import HUB_ENV, HubUnavailable, package_hub  # noqa: E402


def _dbt() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print only the one-line outcome")
    args = parser.parse_args()
    try:
        with package_hub(PROJECT) as (url, origin):
            env = dict(os.environ, **{HUB_ENV: url, "DBT_PROFILES_DIR": str(PROJECT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                                       "DO_NOT_TRACK": "1"})
            proc = subprocess.run([_dbt(), "deps", "--no-use-colors"], cwd=PROJECT, env=env, capture_output=True, text=True)
    except HubUnavailable as exc:
        print(f"dbt_deps: {exc}", file=sys.stderr)
        return 2
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if "error" in line.lower()), lines[-1] if lines else "no output")
        print(f"dbt_deps: dbt deps failed (hub {url}): {reason}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(output)
    print(f"dbt_deps: packages installed into dbt_packages/ from the {origin} hub ({url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
