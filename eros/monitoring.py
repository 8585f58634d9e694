"""Elementary opt-in (issue 7): ``eros monitoring enable``.

The core project never needs Elementary: its anomaly tests are declared in the YAML of
``mass_messages`` (source), ``etl_job_runs``, ``automation_alerts`` and ``lock_sweep_log``
with ``config: enabled: "{{ var('eros_elementary_enabled', false) }}"``, so they are
disabled nodes until the var is true, and the project parses and passes without the package.

``enable`` is all-or-nothing:

1. checks that the dbt package hub answers (``DBT_PACKAGE_HUB_URL``, dbt's own variable,
   default https://hub.getdbt.com/); when it does not, one line, exit 2, nothing touched;
2. ``dbt deps --add-package`` dbt_utils then Elementary (dbt writes packages.yml,
   package-lock.yml and dbt_packages/);
3. in dbt_project.yml: the Elementary model config (``models: elementary: +schema:
   elementary``), the two flags Elementary needs on dbt >= 1.8, and
   ``eros_elementary_enabled: true`` (turns the declared tests on);
4. ``dbt parse`` to prove the project still compiles.
Any failure restores every file it may have touched byte for byte (and removes files and
folders it created), then reports one line.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

from eros.dbt_invoke import DbtEvent, first_error_line, invoke
from eros.errors import ErosUsageError
from eros.project import dbt_environment, dbt_executable

ELEMENTARY_PACKAGE = "elementary-data/elementary@0.24.0"
DBT_UTILS_PACKAGE = "dbt-labs/dbt_utils@1.3.0"
HUB_ENV = "DBT_PACKAGE_HUB_URL"
DEFAULT_HUB = "https://hub.getdbt.com/"
# Files and folders `enable` may create or change (restored on failure).
TOUCHED_FILES = ("dbt_project.yml", "packages.yml", "package-lock.yml", "dependencies.yml")
TOUCHED_DIRS = ("dbt_packages",)
ENABLED_LINE = "  eros_elementary_enabled: false\n"
NEXT_STEPS = """Elementary is enabled. Next steps:
  1. dbt run --select elementary            # create Elementary's tables (schema <target>_elementary)
  2. dbt build                              # runs the anomaly tests (volume / freshness) with the jobs
  3. pip install 'eros[monitoring]'         # the edr CLI (elementary-data)
  4. edr report                             # HTML report of test results and anomalies
  5. edr monitor --slack-webhook "$EROS_ALERT_SLACK_URL"
     # alerts on failed tests; the tests' meta (owner: @eros-oncall, channel: eros-alerts)
     # routes them to their owner and Slack channel (edr monitor --slack-token ... uses meta.channel)
eros alerts (rules, escalation, acknowledgement) keeps working alongside Elementary."""


@dataclasses.dataclass
class _Snapshot:
    files: dict[str, bytes | None]
    dirs: dict[str, bool]


def _snapshot(project: Path) -> _Snapshot:
    files = {name: (project / name).read_bytes() if (project / name).is_file() else None for name in TOUCHED_FILES}
    dirs = {name: (project / name).exists() for name in TOUCHED_DIRS}
    return _Snapshot(files, dirs)


def _restore(project: Path, snapshot: _Snapshot) -> None:
    for name, content in snapshot.files.items():
        path = project / name
        if content is None:
            if path.exists():
                path.unlink()
        elif not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
    for name, existed in snapshot.dirs.items():
        path = project / name
        if not existed and path.exists():
            shutil.rmtree(path, ignore_errors=True)


def hub_url() -> str:
    """The dbt package hub dbt deps will use (``DBT_PACKAGE_HUB_URL`` or the public hub)."""
    url = os.environ.get(HUB_ENV, "").strip() or DEFAULT_HUB
    return url if url.endswith("/") else url + "/"


def hub_reachable(url: str, timeout_seconds: float = 5.0) -> bool:
    """True when the hub answers an HTTP request for its package index in time."""
    try:
        with urllib.request.urlopen(url + "api/v1/index.json", timeout=timeout_seconds) as response:  # noqa: S310 - fixed scheme from config
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _enable_project_config(text: str) -> str:
    """dbt_project.yml with Elementary switched on (pure text edits, so comments stay).

    Raises:
        ErosUsageError: a marker line is missing (the file was restructured).
    """
    if ENABLED_LINE not in text:
        if "  eros_elementary_enabled: true\n" in text:
            return text
        raise ErosUsageError("dbt_project.yml has no 'eros_elementary_enabled: false' var line to switch on")
    text = text.replace(ENABLED_LINE, "  eros_elementary_enabled: true\n", 1)
    if "\nmodels:\n" not in text or "\nflags:\n" not in text:
        raise ErosUsageError("dbt_project.yml has no top-level 'models:' or 'flags:' block to extend")
    if "\n  elementary:\n" not in text:
        text = text.replace(
            "\nmodels:\n",
            "\nmodels:\n  # Elementary's own models (eros monitoring enable)\n  elementary:\n    +schema: elementary\n",
            1,
        )
    if "require_explicit_package_overrides_for_builtin_materializations" not in text:
        text = text.replace(
            "\nflags:\n",
            "\nflags:\n  # needed by Elementary (eros monitoring enable)\n"
            "  require_explicit_package_overrides_for_builtin_materializations: false\n"
            "  source_freshness_run_project_hooks: true\n",
            1,
        )
    yaml.safe_load(text)  # must stay valid YAML
    return text


def _add_package(project: Path, package: str, timeout_seconds: float = 300.0) -> None:
    """``dbt deps --add-package <package>`` (dbt deps takes no --target, so not through invoke).

    Raises:
        ErosUsageError: dbt failed or timed out (its last meaningful output line).
    """
    try:
        proc = subprocess.run(
            [dbt_executable(), "deps", "--add-package", package, "--no-use-colors"],
            cwd=project, env=dbt_environment(project), capture_output=True, text=True, timeout=timeout_seconds,
        )
    except subprocess.TimeoutExpired:
        raise ErosUsageError(f"dbt deps --add-package {package} timed out after {timeout_seconds:.0f} s") from None
    if proc.returncode != 0:
        lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if "error" in line.lower()), lines[-1] if lines else "no output")
        raise ErosUsageError(f"dbt deps --add-package {package} failed: {reason[:300]}")


def enable(*, project: Path, target: str, on_event: Callable[[DbtEvent], None] | None = None) -> str:
    """Opt in to Elementary (module docstring). Returns the next-steps text.

    Raises:
        ErosUsageError: the hub is unreachable or any step failed; every file is then as
            it was before (one-line reason).
    """
    hub = hub_url()
    if not hub_reachable(hub):
        raise ErosUsageError(f"the dbt package hub ({hub}) is unreachable: Elementary was not added and nothing was changed")
    snapshot = _snapshot(project)
    try:
        for package in (DBT_UTILS_PACKAGE, ELEMENTARY_PACKAGE):
            _add_package(project, package)
        config = project / "dbt_project.yml"
        config.write_text(_enable_project_config(config.read_text()))
        run = invoke(["parse"], project=project, target=target, on_event=on_event)
        if not run.ok:
            raise ErosUsageError(f"dbt parse failed with Elementary enabled: {first_error_line(run) or 'see the dbt log'}")
    except BaseException as exc:
        _restore(project, snapshot)
        if isinstance(exc, ErosUsageError):
            raise ErosUsageError(f"{exc}; nothing was changed") from None
        raise
    return NEXT_STEPS
