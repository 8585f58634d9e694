#!/usr/bin/env bash
# Idempotent setup of dbt Labs' dbt-jobs-as-code in its own virtualenv, used to validate the
# dbt Cloud export of `eros schedule export --format dbt-cloud` (tests/python/test_schedule_exports.py).
# It cannot live in .venv: it pins croniter<2 and importlib-metadata<7.
#
#   bash scripts/dbt_jobs_as_code_setup.sh      # prints the path of the executable
#
# Environment overrides:
#   DJAC_VENV    path of the virtualenv   (default: <repo>/.venv-dbt-jobs-as-code)
#   DJAC_PYTHON  interpreter for the venv (default: python3; needs >= 3.10)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DJAC_VENV:-$REPO_ROOT/.venv-dbt-jobs-as-code}"
PYTHON="${DJAC_PYTHON:-python3}"
REQUIREMENTS="$REPO_ROOT/requirements/dbt-jobs-as-code.txt"
EXE="$VENV/bin/dbt-jobs-as-code"
STAMP="$VENV/.installed"

if [[ -x "$EXE" && -f "$STAMP" && "$STAMP" -nt "$REQUIREMENTS" ]] && "$EXE" --version >/dev/null 2>&1; then
  echo "$EXE"
  exit 0
fi
command -v "$PYTHON" >/dev/null 2>&1 || { echo "dbt_jobs_as_code_setup: '$PYTHON' not found" >&2; exit 1; }
if ! "$VENV/bin/python" -c "" >/dev/null 2>&1; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
"$EXE" --version >&2
touch "$STAMP"
echo "$EXE"
