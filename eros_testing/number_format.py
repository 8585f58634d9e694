"""The warehouse's number format (macro ``eros_integer_text``) read back through plain dbt,
for the tests that check it against Python's (:func:`eros.console.number`) on each engine.
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
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, "show", "--quiet", "--output", "json", "--inline", sql, "--limit", str(len(values) + 1)],
        cwd=project, env={**env, "DBT_PROFILES_DIR": str(project)}, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    shown = json.loads(proc.stdout[proc.stdout.index("{"):])["show"]
    by_position = {int(row["position"]): row["t"] for row in shown}
    return [by_position[i] for i in range(len(values))]
