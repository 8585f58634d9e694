"""The health analyses (analyses/health/*.sql) compiled by dbt and run in the warehouse,
for the tests that compare them between engines and with the report's own reads
(``eros report`` reads the marts directly: :func:`eros.report.read_sections`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eros.dbt_invoke import first_error_line, invoke
from eros.errors import ErosRunError
from eros.report import REPORT_ANALYSES
from eros.warehouse import connect


def dbt_target_path(project: Path) -> Path:
    """dbt's target folder: ``DBT_TARGET_PATH`` (relative to the project) or ``<project>/target``."""
    configured = os.environ.get("DBT_TARGET_PATH")
    path = Path(configured).expanduser() if configured else Path("target")
    return path if path.is_absolute() else project / path


def compile_analyses(
    project: Path, target: str, variables: Mapping[str, Any], names: Sequence[str] = REPORT_ANALYSES,
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Compile the health analyses.

    Returns:
        (SQL by name, names of the project models each one reads, from dbt's manifest).

    Raises:
        ErosRunError: when dbt compile fails or a compiled file is missing.
    """
    run = invoke(["compile", "--select", "path:analyses/health"], project=project, target=target, variables=variables)
    if not run.ok:
        raise ErosRunError(f"could not compile the health analyses: {first_error_line(run) or f'dbt exited {run.returncode}'}")
    target_path = run.target_path or dbt_target_path(project)  # the invocation's own target folder
    folder = target_path / "compiled" / "eros" / "analyses" / "health"
    nodes = json.loads((target_path / "manifest.json").read_text()).get("nodes", {})
    queries: dict[str, str] = {}
    requires: dict[str, list[str]] = {}
    for name in names:
        path = folder / f"{name}.sql"
        if not path.is_file():
            raise ErosRunError(f"compiled analysis missing: {path}")
        queries[name] = path.read_text()
        depends = (nodes.get(f"analysis.eros.{name}") or {}).get("depends_on", {}).get("nodes", [])
        requires[name] = [uid.split(".")[-1] for uid in depends if uid.startswith("model.")]
    return queries, requires


def run_queries(
    project: Path, target: str, queries: Mapping[str, str], requires: Mapping[str, list[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run compiled queries in the target's warehouse, without dbt (:func:`eros.warehouse.connect`).

    Args:
        requires: model names each query reads; a query whose models are not built is
            skipped and reported with ``missing`` (in ``requires`` order).

    Returns:
        {name: {"columns": [...], "rows": [{column: value}], "missing": [...] (skipped only)}}.

    Raises:
        ErosRunError: when the warehouse rejects a query.
    """
    results: dict[str, dict[str, Any]] = {}
    with connect(project, target) as warehouse:
        for name, sql in queries.items():
            missing = [model for model in (requires or {}).get(name, []) if not warehouse.exists(model)]
            if missing:
                results[name] = {"columns": [], "rows": [], "missing": missing}
                continue
            rows = warehouse.query(sql)
            results[name] = {"columns": list(rows[0]) if rows else [], "rows": rows}
    return results
