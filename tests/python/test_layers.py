"""The Python layers import one way (issue 11): `lint-imports` keeps the contracts of
pyproject.toml ([tool.importlinter]: the layers cli > demo data > reporting > scheduling >
alerting > jobs > dbt runner > core, and no import cycle), and every eros module belongs to
a layer (a new module must be placed)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from eros_test_support import PROJECT

LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _contracts() -> list[dict]:
    return tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_import_contracts_are_kept() -> None:
    proc = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


def test_every_module_has_a_layer() -> None:
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    placed = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    package = PROJECT / "eros"
    modules = {f"eros.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {f"eros.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert modules - placed == set(), "place these modules in a layer of [tool.importlinter] in pyproject.toml"
    assert placed - modules == set(), "the contract names modules that do not exist"


def test_the_layers_are_in_the_documented_order() -> None:
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    first = [layer.replace("|", ":").split(":")[0].strip() for layer in layers]
    assert first == ["eros.cli", "eros.generate", "eros.health", "eros.scheduling", "eros.job_alerts", "eros.jobs", "eros.dbt_invoke", "eros.core"]


def test_a_broken_layer_is_reported(tmp_path: Path) -> None:
    """The contract can fail: a core module importing the CLI breaks it."""
    package = tmp_path / "eros"
    for source in (PROJECT / "eros").rglob("*.py"):
        target = package / source.relative_to(PROJECT / "eros")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    (package / "errors.py").write_text((package / "errors.py").read_text() + "\nimport eros.cli  # noqa\n")
    (tmp_path / "pyproject.toml").write_text((PROJECT / "pyproject.toml").read_text())
    proc = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "eros.errors -> eros.cli" in proc.stdout


def _imported_modules(source: Path) -> set[str]:
    """Absolute module names a file imports (``from a.b import c`` counts as a.b and a.b.c)."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_package_module_imports_its_own_submodules() -> None:
    """Importing a submodule first runs its package's __init__; a package __init__ that imports
    one of its submodules therefore makes a runtime cycle (e.g. eros.simulate <->
    eros.simulate.engine), which import-linter's sibling contract does not see."""
    offenders = []
    for init in (PROJECT / "eros").rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(PROJECT).parts)
        inner = sorted(name for name in _imported_modules(init) if name.startswith(package + "."))
        if inner:
            offenders.append(f"{package}: {', '.join(inner)}")
    assert offenders == []


def test_the_package_cycle_check_can_fail(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text("from eros.simulate.engine import run_simulation\n")
    assert "eros.simulate.engine" in _imported_modules(init)
