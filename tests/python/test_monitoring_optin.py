"""Elementary opt-in (issue 7): `eros monitoring enable` with the package hub unreachable
(or failing mid-way) changes nothing, byte for byte; with monitoring off the project's
Elementary tests are disabled nodes and the project parses without the package.

The command runs against a copy of the project (EROS_PROJECT_DIR), so the test can hash
every file without racing other work in the repository."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alerting_helpers import closed_port

PROJECT = Path(__file__).resolve().parents[2]
EROS = str(Path(sys.executable).parent / "eros")
DBT = str(Path(sys.executable).parent / "dbt")
SKIP = shutil.ignore_patterns(".venv", ".git", "target", "logs", "warehouse", "dbt_packages", "__pycache__", "*.egg-info",
                              "test-output", ".pytest_cache", ".ruff_cache")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy, ignore=SKIP)
    return copy


def _tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file (and every folder, as 'dir')."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _enable(copy: Path, env_extra: dict[str, str], eros_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(eros_env)
    env.update({"EROS_PROJECT_DIR": str(copy), **env_extra})
    return subprocess.run([EROS, "monitoring", "enable"], cwd=copy, env=env, capture_output=True, text=True, timeout=600)


def test_enable_with_the_hub_unreachable_says_so_and_changes_nothing(project_copy, eros_env):
    before = _tree(project_copy)
    proc = _enable(project_copy, {"DBT_PACKAGE_HUB_URL": f"http://127.0.0.1:{closed_port()}/"}, eros_env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unreachable" in lines[0] and "nothing was changed" in lines[0], proc.stderr
    assert _tree(project_copy) == before
    assert not (project_copy / "packages.yml").exists() and not (project_copy / "package-lock.yml").exists()


@contextmanager
def _stub_hub() -> Iterator[str]:
    """A 'hub' that answers its index but has no package: dbt deps fails after the
    reachability check passed (exercises the rollback)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path.rstrip("/").endswith("api/v1/index.json"):
                body = json.dumps(["dbt-labs/dbt_utils", "elementary-data/elementary"]).encode()
                self.send_response(200)
            else:
                body = b'{"error": "not here"}'
                self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_enable_failing_inside_dbt_deps_restores_every_file(project_copy, eros_env):
    before = _tree(project_copy)
    with _stub_hub() as hub:
        proc = _enable(project_copy, {"DBT_PACKAGE_HUB_URL": hub}, eros_env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "dbt deps --add-package" in lines[0] and "nothing was changed" in lines[0], proc.stderr
    assert _tree(project_copy) == before


def test_with_monitoring_off_the_elementary_tests_are_disabled_nodes(eros_env, tmp_path):
    env = {**eros_env, "DBT_PROFILES_DIR": str(PROJECT), "DBT_TARGET_PATH": str(tmp_path / "target")}
    proc = subprocess.run([DBT, "parse", "--target", "local"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert not [n for n in manifest["nodes"] if "anomalies" in n]
    disabled = {n.split(".")[2].split("_anomalies")[0] for n in manifest["disabled"] if "anomalies" in n}
    assert disabled == {
        "elementary_source_volume", "elementary_source_freshness",  # mass_messages
        "elementary_volume", "elementary_freshness",  # etl_job_runs, automation_alerts, lock_sweep_log
    }
    tables = {n for n in manifest["disabled"] if "anomalies" in n}
    assert len(tables) == 8
    for name in ("mass_messages", "etl_job_runs", "automation_alerts", "lock_sweep_log"):
        assert any(name in n for n in tables), name
    assert not (PROJECT / "packages.yml").exists() or "elementary" not in (PROJECT / "packages.yml").read_text()


def test_enable_edits_only_the_elementary_lines_of_dbt_project_yml():
    import difflib

    import yaml

    from eros.monitoring import _enable_project_config

    original = (PROJECT / "dbt_project.yml").read_text()
    enabled = _enable_project_config(original)
    config = yaml.safe_load(enabled)
    assert config["vars"]["eros_elementary_enabled"] is True
    assert config["models"]["elementary"] == {"+schema": "elementary"}
    assert config["flags"]["require_explicit_package_overrides_for_builtin_materializations"] is False
    changed = [line for line in difflib.unified_diff(original.splitlines(), enabled.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert [line for line in changed if line.startswith("-")] == ["-  eros_elementary_enabled: false"]
    assert len(changed) == 8  # the var line swapped (2), a comment + 2 model-config lines, a comment + 2 flags
    assert _enable_project_config(enabled) == enabled  # idempotent
