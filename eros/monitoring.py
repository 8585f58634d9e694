"""Elementary's CLI for the project's warehouse (issue 14): ``eros monitoring report`` runs
``edr report`` and ``eros monitoring alerts`` runs ``edr monitor``.

Elementary itself is always on (its dbt package is installed by ``make install``; every job's
build fills ``<target schema>_elementary``; var ``eros_elementary_enabled`` / env
``EROS_ELEMENTARY_ENABLED=false`` turns it off). This module only drives ``edr``:

- ``edr`` lives in its own virtualenv, ``<project>/.venv-edr`` (``make edr``, pins in
  requirements/edr.txt: elementary-data 0.25.1, the version of the dbt package), because its
  dbt/adapter pins need not match the project's. ``EROS_EDR`` names another executable.
- The profile ``elementary`` edr reads is generated from the project's target
  (profiles.yml ``eros`` -> ``outputs.<target>``) into a temporary folder: the same
  connection with the schema / dataset ``<schema>_elementary`` and, on DuckDB, the absolute
  warehouse path. ``env_var(...)`` placeholders stay for dbt to render.
- edr's own ``config.yml`` (temporary ``--config-dir``) turns its anonymous usage tracking and
  its version check off.
- edr runs ``dbt deps`` for its internal dbt project; it gets the same hub as the project's
  install (:func:`eros.package_hub.package_hub`: the public hub, else the loopback mirror).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eros.errors import ErosRunError, ErosUsageError
from eros.package_hub import HUB_ENV, HubUnavailable, package_hub
from eros.project import check_target, duckdb_path
from eros.warehouse import load_config

EDR_ENV = "EROS_EDR"
EDR_VENV = ".venv-edr"
ELEMENTARY_SUFFIX = "_elementary"
SLACK_WEBHOOK_ENV = "EROS_EDR_SLACK_WEBHOOK"
EDR_CONFIG = {"anonymous_usage_tracking": False, "disable_elementary_version_check": True}
EDR_TIMEOUT_SECONDS = 1800


@dataclass
class EdrResult:
    """Outcome of one edr command: exit code, the command line, its combined output."""

    returncode: int
    command: list[str]
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reason(self) -> str:
        """The last line of edr's output that names an error (else its last line)."""
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        errors = [line for line in lines if re.search(r"error|failed|exception", line, re.IGNORECASE)]
        return (errors or lines or ["no output"])[-1][:400]


def edr_executable(project: Path) -> str:
    """Path of ``edr``: ``$EROS_EDR``, else ``<project>/.venv-edr/bin/edr``, else beside this
    Python (``pip install 'eros[monitoring]'``), else ``edr`` on PATH.

    Raises:
        ErosUsageError: none found (says how to install it).
    """
    env = os.environ.get(EDR_ENV, "").strip()
    if env:
        return env
    for candidate in (project / EDR_VENV / "bin" / "edr", Path(sys.executable).parent / "edr"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("edr")
    if found:
        return found
    raise ErosUsageError("Elementary's CLI (edr) is not installed: run `make edr` (virtualenv .venv-edr, elementary-data 0.25.1)")


def elementary_profile(project: Path, target: str | None = None) -> dict[str, Any]:
    """The ``elementary`` profile for edr, from the project's target (module docstring).

    Returns:
        ``{"elementary": {"target": <target>, "outputs": {<target>: {...}}}}``.

    Raises:
        ErosUsageError: unknown target or a target type other than duckdb / bigquery.
    """
    name = check_target(target, project)
    config = load_config(project, name)  # rendered: the schema the project's models use
    raw = yaml.safe_load((project / "profiles.yml").read_text()) or {}
    output = copy.deepcopy(raw["eros"]["outputs"][name])
    schema = config.schema + ELEMENTARY_SUFFIX
    if config.type == "duckdb":
        output["path"] = str(duckdb_path(project))
        output["schema"] = schema
    else:
        output.pop("schema", None)
        output["dataset"] = schema
    output["threads"] = 1 if config.type == "duckdb" else output.get("threads", 1)
    return {"elementary": {"target": name, "outputs": {name: output}}}


def _run_edr(project: Path, target: str | None, args: Sequence[str], *, timeout_seconds: float = EDR_TIMEOUT_SECONDS) -> EdrResult:
    """Run ``edr <args>`` with the generated profile and config (temporary folder).

    Raises:
        ErosUsageError: edr missing, bad target, or no package hub for edr's dbt deps.
        ErosRunError: edr did not finish within ``timeout_seconds``.
    """
    edr = edr_executable(project)
    name = check_target(target, project)
    with tempfile.TemporaryDirectory(prefix="eros-edr-") as tmp:
        folder = Path(tmp)
        (folder / "profiles.yml").write_text(yaml.safe_dump(elementary_profile(project, name), sort_keys=False))
        (folder / "config.yml").write_text(yaml.safe_dump(EDR_CONFIG))
        command = [edr, args[0], "--profiles-dir", tmp, "--config-dir", tmp, "--profile-target", name,
                   "--target-path", str(folder / "edr_target"), *args[1:]]
        env = dict(os.environ)
        env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "EROS_DUCKDB_PATH": str(duckdb_path(project))})
        for key in ("DBT_PROFILES_DIR", "DBT_TARGET_PATH", "DBT_PROJECT_DIR"):
            env.pop(key, None)
        try:
            with package_hub(project) as (hub, _origin):
                env[HUB_ENV] = hub
                proc = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout_seconds)
        except HubUnavailable as exc:
            raise ErosUsageError(f"edr needs a dbt package hub for its internal project: {exc}") from None
        except subprocess.TimeoutExpired:
            raise ErosRunError(f"edr {args[0]} did not finish within {timeout_seconds:.0f} s") from None
    return EdrResult(proc.returncode, command, proc.stdout + proc.stderr)


def report(project: Path, target: str | None, out: Path, *, days_back: int | None = None) -> EdrResult:
    """``edr report``: write Elementary's self-contained HTML report of the target's
    Elementary schema (test results incl. anomaly tests, model runs, lineage) to ``out``.

    Raises:
        ErosUsageError: see :func:`_run_edr`.
        ErosRunError: edr failed or wrote no file (its last error line).
    """
    out = out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["report", "--file-path", str(out), "--open-browser", "false", "--env", check_target(target, project),
            "--project-name", "eros"]
    if days_back is not None:
        args += ["--days-back", str(days_back)]
    result = _run_edr(project, target, args)
    if not result.ok or not out.is_file():
        raise ErosRunError(f"edr report failed (exit {result.returncode}): {result.reason()}")
    return result


def slack_webhook_from_env() -> str | None:
    """A Slack incoming-webhook URL for edr: ``$EROS_EDR_SLACK_WEBHOOK``, else
    ``$EROS_ALERT_SLACK_URL`` when it is a webhook (``https://hooks.slack.com/services/...``
    or apprise's ``slack://A/B/C`` form, which names the same webhook)."""
    explicit = os.environ.get(SLACK_WEBHOOK_ENV, "").strip()
    if explicit:
        return explicit
    for url in os.environ.get("EROS_ALERT_SLACK_URL", "").split():
        if url.startswith(("https://", "http://")):
            return url
        match = re.fullmatch(r"slacks?://([A-Za-z0-9]+)/([A-Za-z0-9]+)/([A-Za-z0-9]+)/?", url)
        if match:
            return "https://hooks.slack.com/services/" + "/".join(match.groups())
    return None


def alerts(project: Path, target: str | None, slack_webhook: str | None, *, days_back: int | None = None) -> EdrResult:
    """``edr monitor``: send Elementary's alerts (failed / warned tests, model errors, with the
    tests' ``meta`` owner and channel) that were not sent yet to the Slack webhook.

    Raises:
        ErosUsageError: no webhook given or configured; see also :func:`_run_edr`.
        ErosRunError: edr failed (its last error line).
    """
    webhook = slack_webhook or slack_webhook_from_env()
    if not webhook:
        raise ErosUsageError(f"no Slack webhook for edr monitor: pass --slack-webhook or set {SLACK_WEBHOOK_ENV}")
    args = ["monitor", "--slack-webhook", webhook, "--env", check_target(target, project)]
    if days_back is not None:
        args += ["--days-back", str(days_back)]
    result = _run_edr(project, target, args)
    if not result.ok:
        raise ErosRunError(f"edr monitor failed (exit {result.returncode}): {result.reason()}")
    return result
