"""The warehouse's number formats read back through plain dbt, for the tests that check
them against Python's: macro ``eros_integer_text`` (SQL, on each engine) against
:func:`eros.console.number`, and macro ``eros_percent`` (the Jinja of dbt's log lines and
alert messages) against :func:`eros.console.percent`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Values around every group boundary, a negative and a missing value.
SAMPLE_INTEGERS: tuple[int | None, ...] = (
    0, 7, 999, 1000, 8359, 65432, 999999, 1000000, 1234567, -45678, 1000000000, 999999999999999, None,
)
# Whole and fractional percentages, both sides of a rounding half (97.44 / 97.45, 99.95),
# thousands, and a missing value.
SAMPLE_PERCENTS: tuple[float | int | None, ...] = (0, 0.5, 10, 97.44, 97.45, 99.95, 100, 100.0, 1234.5, None)


def _show_positions(project: Path, env: Mapping[str, str], sql: str, count: int) -> list[str | None]:
    """Column ``t`` of the ``count`` rows (``position`` 0 .. count - 1) of ``sql``, from one
    ``dbt show --inline`` on the warehouse ``env`` points at.

    Raises:
        AssertionError: when dbt fails or its output is not the JSON rows expected.
    """
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, "show", "--quiet", "--output", "json", "--inline", sql, "--limit", str(count + 1)],
        cwd=project, env={**env, "DBT_PROFILES_DIR": str(project)}, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    shown = json.loads(proc.stdout[proc.stdout.index("{"):])["show"]
    by_position = {int(row["position"]): row["t"] for row in shown}
    return [by_position[i] for i in range(count)]


def warehouse_integer_texts(project: Path, env: Mapping[str, str], values: Sequence[int | None]) -> list[str | None]:
    """``eros_integer_text`` of each value, computed by the warehouse ``env`` points at.

    Runs ``dbt show --inline`` (one dbt process) on a portable ``union all`` of the values.

    Returns:
        One text per value, in order (``None`` for a missing value).

    Raises:
        AssertionError: when dbt fails or its output is not the JSON rows expected.
    """
    rows = " union all ".join(
        f"select {i} as position, cast({'null' if v is None else v} as {{{{ dbt.type_bigint() }}}}) as v"
        for i, v in enumerate(values)
    )
    sql = f"select position, {{{{ eros_integer_text('v') }}}} as t from ({rows}) as numbers"
    return _show_positions(project, env, sql, len(values))


def jinja_percent_texts(project: Path, env: Mapping[str, str], values: Sequence[float | int | None]) -> list[str | None]:
    """``eros_percent`` of each value as dbt's Jinja renders it (the macro's text becomes a
    string literal of an inline query: one ``dbt show`` process, no table read).

    Returns:
        One text per value, in order (``'none'`` for a missing value, as the macro writes it).

    Raises:
        AssertionError: when dbt fails or its output is not the JSON rows expected.
    """
    sql = " union all ".join(
        f"select {i} as position, '{{{{ eros_percent({'none' if v is None else repr(v)}) }}}}' as t" for i, v in enumerate(values)
    )
    return _show_positions(project, env, sql, len(values))
