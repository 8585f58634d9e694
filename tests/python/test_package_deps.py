"""dbt packages (issue 14): scripts/dbt_deps.py installs packages.yml from the public hub or,
when it does not answer, from the loopback mirror ../shared/dbt-hub (started for the install
and stopped afterwards); with neither it says so in one line and exits 2. The project's YAML
uses dbt_utils' generic tests (no hand-written copies), and the Elementary switch
(var eros_elementary_enabled) turns its models and the project's Elementary tests on and off.

The installs run against a copy of the project (only what dbt deps reads), so the test never
touches the repository's dbt_packages/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alerting_helpers import closed_port

from eros.package_hub import package_hub

PROJECT = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).parent / "dbt")
DEPS = [sys.executable, str(PROJECT / "scripts" / "dbt_deps.py"), "--quiet"]


def _deps_copy(tmp_path: Path) -> Path:
    """The files dbt deps reads, plus the script and the eros package it imports."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("dbt_project.yml", "packages.yml", "package-lock.yml", "profiles.yml"):
        shutil.copy2(PROJECT / name, copy / name)
    shutil.copytree(PROJECT / "scripts", copy / "scripts")
    shutil.copytree(PROJECT / "eros", copy / "eros", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBT_PACKAGE_HUB_URL", "EROS_DBT_HUB_MIRROR")}
    env.update(extra)
    return env


def test_packages_are_pinned_in_packages_yml_and_the_lock_file():
    wanted = {"dbt-labs/dbt_utils": "1.3.0", "elementary-data/elementary": "0.25.1", "dbt-labs/dbt_project_evaluator": "1.3.2"}
    declared = {p["package"]: str(p["version"]) for p in yaml.safe_load((PROJECT / "packages.yml").read_text())["packages"]}
    locked = {p["package"]: str(p["version"]) for p in yaml.safe_load((PROJECT / "package-lock.yml").read_text())["packages"]}
    assert declared == wanted and locked == wanted


def test_deps_installs_from_the_mirror_when_the_hub_does_not_answer_and_stops_it(tmp_path):
    copy = _deps_copy(tmp_path)
    mirror = PROJECT.parent / "shared" / "dbt-hub"
    proc = subprocess.run(
        DEPS[:1] + [str(copy / "scripts" / "dbt_deps.py"), "--quiet"], cwd=copy, capture_output=True, text=True, timeout=300,
        env=_env(DBT_PACKAGE_HUB_URL=f"http://127.0.0.1:{closed_port()}/", EROS_DBT_HUB_MIRROR=str(mirror)),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "from the mirror hub" in proc.stdout
    installed = {p.name for p in (copy / "dbt_packages").iterdir() if p.is_dir()}
    assert installed == {"dbt_utils", "elementary", "dbt_project_evaluator"}
    assert yaml.safe_load((copy / "dbt_packages" / "elementary" / "dbt_project.yml").read_text())["version"] == "0.25.1"
    assert yaml.safe_load((copy / "package-lock.yml").read_text()) == yaml.safe_load((PROJECT / "package-lock.yml").read_text())
    # the mirror was stopped: nothing of it still runs
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(copy) not in ps


def test_package_hub_stops_the_mirror_when_the_block_ends(tmp_path, monkeypatch):
    import urllib.request

    monkeypatch.setenv("DBT_PACKAGE_HUB_URL", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.setenv("EROS_DBT_HUB_MIRROR", str(PROJECT.parent / "shared" / "dbt-hub"))
    with package_hub(PROJECT, probe_timeout_seconds=1) as (url, origin):
        assert origin == "mirror" and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/v1/dbt-labs/dbt_utils.json", timeout=5) as response:
            assert "1.3.0" in json.loads(response.read())["versions"]
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "api/v1/index.json", timeout=2)


def test_deps_with_neither_hub_nor_mirror_says_so_in_one_line_and_exits_2(tmp_path):
    copy = _deps_copy(tmp_path)
    proc = subprocess.run(
        DEPS[:1] + [str(copy / "scripts" / "dbt_deps.py")], cwd=copy, capture_output=True, text=True, timeout=60,
        env=_env(DBT_PACKAGE_HUB_URL=f"http://127.0.0.1:{closed_port()}/", EROS_DBT_HUB_MIRROR=str(tmp_path / "no-mirror")),
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not answer" in lines[0] and "no hub mirror" in lines[0], proc.stderr
    assert proc.stdout == ""
    assert not (copy / "dbt_packages").exists()


def _manifest(tmp_path: Path, *vars_: str, env_extra: dict[str, str] | None = None) -> dict:
    target = tmp_path / "target"
    env = _env(DBT_PROFILES_DIR=str(PROJECT), DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(tmp_path / "logs"),
               EROS_DUCKDB_PATH=str(tmp_path / "wh.duckdb"))
    env.pop("EROS_ELEMENTARY_ENABLED", None)
    env.update(env_extra or {})
    proc = subprocess.run([DBT, "parse", "--target", "local", *vars_], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return json.loads((target / "manifest.json").read_text())


def test_the_project_uses_dbt_utils_tests_and_no_hand_written_copies(tmp_path):
    manifest = _manifest(tmp_path)
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("test_metadata")]
    used = {(n["test_metadata"].get("namespace"), n["test_metadata"]["name"]) for n in tests}
    assert {("dbt_utils", "unique_combination_of_columns"), ("dbt_utils", "accepted_range"), ("dbt_utils", "expression_is_true")} <= used
    assert not [n for n in used if n[1].startswith("eros_") and n[1].split("eros_")[1] in
                ("unique_combination", "expression_is_true", "value_between")]
    assert not list((PROJECT / "macros").rglob("eros_unique_combination.sql"))



def test_one_switch_turns_elementary_off(tmp_path, monkeypatch):
    """Elementary is on by default (its models and the project's 7 Elementary tests, warn, with
    meta owner/channel); var eros_elementary_enabled / env EROS_ELEMENTARY_ENABLED turn it off."""
    on = _manifest(tmp_path / "on")
    models = [n for n in on["nodes"] if n.startswith("model.elementary.")]
    tests = [n for n in on["nodes"].values() if n["resource_type"] == "test"
             and (n.get("test_metadata") or {}).get("namespace") == "elementary"]
    assert len(models) > 20 and len(tests) == 7
    assert {n["test_metadata"]["name"] for n in tests} == {"volume_anomalies", "schema_changes"}
    for test in tests:
        assert test["config"]["severity"].lower() == "warn"
        assert test["config"]["meta"] == {"owner": "@eros-oncall", "channel": "eros-alerts"}
    assert on["nodes"][models[0]]["schema"] == "eros_elementary"
    for off in (_manifest(tmp_path / "var", "--vars", "{eros_elementary_enabled: false}"),
                _manifest(tmp_path / "env", env_extra={"EROS_ELEMENTARY_ENABLED": "false"})):
        assert not [n for n in off["nodes"] if "elementary" in n]
        assert len([n for n in off["disabled"] if n.startswith("model.elementary.")]) == len(models)
    # one switch: every place that reads it reads it the same way
    expression = ("(var('eros_elementary_enabled', env_var('EROS_ELEMENTARY_ENABLED', "
                  "'false' if target.name == 'bq_emulator' else 'true')) | string | lower == 'true')")
    files = [PROJECT / "dbt_project.yml", *(PROJECT / "models").rglob("*.yml")]
    uses = [(path, line) for path in files for line in path.read_text().splitlines() if "var('eros_elementary_enabled'" in line]
    assert len(uses) >= 5 and all(expression in line for _, line in uses), uses
