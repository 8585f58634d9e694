#!/usr/bin/env bash
# Idempotent setup of Elementary's CLI (edr) in its own virtualenv: <repo>/.venv-edr.
# elementary-data pins its own dbt-core / adapter ranges, which need not agree with the
# project's (requirements/constraints.txt), so it never shares the project's .venv.
#
#   bash scripts/edr_setup.sh         (make edr; `eros monitoring report|alerts` use it)
#
# Pins: requirements/edr.txt (elementary-data 0.25.1 = the dbt package in packages.yml).
# Environment overrides:
#   EDR_VENV    path of the virtualenv   (default: <repo>/.venv-edr)
#   EDR_PYTHON  interpreter for the venv (default: python3)
set -euo pipefail

die() { echo "edr_setup: ERROR: $*" >&2; exit 1; }
log() { echo "edr_setup: $*"; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${EDR_VENV:-$REPO_ROOT/.venv-edr}"
PYTHON="${EDR_PYTHON:-python3}"
REQUIREMENTS="$REPO_ROOT/requirements/edr.txt"

command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found (set EDR_PYTHON)"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create virtualenv at $VENV"
fi
VPY="$VENV/bin/python"

if "$VPY" -c 'from importlib import metadata; import sys; sys.exit(metadata.version("elementary-data") != "0.25.1")' 2>/dev/null \
   && [[ -x "$VENV/bin/edr" ]]; then
  log "elementary-data 0.25.1 already installed"
else
  log "installing $(grep -v '^#' "$REQUIREMENTS" | xargs)"
  PIP_LOG="$(mktemp -t edr-pip.XXXXXX)"
  if ! "$VPY" -m pip install --disable-pip-version-check -r "$REQUIREMENTS" >"$PIP_LOG" 2>&1; then
    tail -n 40 "$PIP_LOG" >&2
    die "pip install failed (full log: $PIP_LOG)"
  fi
  rm -f "$PIP_LOG"
fi
"$VENV/bin/edr" --version >/dev/null 2>&1 || die "'$VENV/bin/edr --version' failed"
log "ready: $("$VENV/bin/edr" --version 2>/dev/null | tail -1) in $VENV"
