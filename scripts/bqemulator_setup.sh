#!/usr/bin/env bash
# Idempotent setup of the local BigQuery emulator (bqemulator) in its own
# virtualenv: <repo>/.venv-bqemu.
#
#   bash scripts/bqemulator_setup.sh
#
# What it does:
#   1. creates .venv-bqemu (Python >= 3.11) if it is missing or broken;
#   2. installs the pinned packages below (skipped when already installed);
#   3. installs DuckDB's `spatial` extension from the duckdb-extension-spatial
#      wheel into DuckDB's extension folder
#      (~/.duckdb/extensions/v1.5.5/<platform>/spatial.duckdb_extension),
#      because bqemulator runs `INSTALL spatial; LOAD spatial` at startup and
#      must not need the network for it;
#   4. checks that `bqemulator --version` runs and that `LOAD spatial` works.
#
# Environment overrides:
#   BQEMU_VENV    path of the virtualenv   (default: <repo>/.venv-bqemu)
#   BQEMU_PYTHON  interpreter for the venv (default: python3; needs >= 3.11)
set -euo pipefail

die() { echo "bqemulator_setup: ERROR: $*" >&2; exit 1; }
log() { echo "bqemulator_setup: $*"; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BQEMU_VENV:-$REPO_ROOT/.venv-bqemu}"
PYTHON="${BQEMU_PYTHON:-python3}"

# Exact versions this harness was verified with. duckdb and the spatial
# extension wheel must carry the same version; sqlglot drives the
# BigQuery->DuckDB translation, so it is pinned too.
PINNED=(
  "bqemulator==1.4.0"
  "duckdb==1.5.5"
  "duckdb-extension-spatial==1.5.5"
  "numpy==2.4.6"
  "sqlglot==30.11.0"
)

command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found (set BQEMU_PYTHON to a Python >= 3.11)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$PYTHON is $("$PYTHON" -V 2>&1); bqemulator needs Python >= 3.11 (set BQEMU_PYTHON)"

# 1. virtualenv -------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create virtualenv at $VENV"
fi
VPY="$VENV/bin/python"

# 2. pinned packages ----------------------------------------------------------
pins_satisfied() {
  "$VPY" - "${PINNED[@]}" <<'PYEOF'
import sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, _, version = spec.partition("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PYEOF
}

if pins_satisfied; then
  log "pinned packages already installed"
else
  log "installing ${PINNED[*]}"
  PIP_LOG="$(mktemp -t bqemu-pip.XXXXXX)"
  if ! "$VPY" -m pip install --disable-pip-version-check "${PINNED[@]}" >"$PIP_LOG" 2>&1; then
    tail -n 40 "$PIP_LOG" >&2
    die "pip install failed (full log: $PIP_LOG)"
  fi
  rm -f "$PIP_LOG"
  pins_satisfied || die "pip finished but the pinned versions are not what is installed"
fi

# 3 + 4. spatial extension and sanity checks --------------------------------
"$VPY" - <<'PYEOF' || die "installing/loading the DuckDB spatial extension failed (see above)"
import pathlib
import sys

import duckdb
import duckdb_extension_spatial

wheel_dir = pathlib.Path(duckdb_extension_spatial.__file__).parent / "extensions"
src = wheel_dir / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
if not src.is_file():
    found = sorted(str(p.relative_to(wheel_dir)) for p in wheel_dir.rglob("*.duckdb_extension"))
    sys.exit(f"no spatial extension for duckdb {duckdb.__version__} in the wheel (found: {found})")

con = duckdb.connect()
row = con.execute(
    "select installed, install_path from duckdb_extensions() where extension_name = 'spatial'"
).fetchone()
if not (row and row[0]):
    # INSTALL from a local file copies it into the extension directory
    # (~/.duckdb/extensions/<version>/<platform>/) -- no network involved.
    con.execute(f"INSTALL '{src}'")
    row = con.execute(
        "select installed, install_path from duckdb_extensions() where extension_name = 'spatial'"
    ).fetchone()
    print(f"bqemulator_setup: installed spatial extension -> {row[1]}")
else:
    print(f"bqemulator_setup: spatial extension already installed at {row[1]}")
con.close()

# Same statements bqemulator runs at startup, on a fresh connection.
con = duckdb.connect()
con.execute("INSTALL spatial")
con.execute("LOAD spatial")
con.execute("select ST_AsText(ST_Point(1, 2))").fetchone()
con.close()
PYEOF

"$VENV/bin/bqemulator" --version >/dev/null 2>&1 || die "'$VENV/bin/bqemulator --version' failed"
log "ready: $("$VENV/bin/bqemulator" --version) in $VENV"
