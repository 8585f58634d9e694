"""Cost guard: every read of the source mass_messages in the compiled BigQuery SQL bounds
sending_time from below and above with constants (partition pruning).

`dbt compile --target prod` needs credentials (dbt-bigquery opens a client to resolve
is_incremental()), so the project is compiled against the emulator target: twice, into
an empty dataset (first-run branches) and into the dataset the daily job already built
(incremental branches). The checker itself (eros_testing.partition_filters) is proven
on hand-written SQL, including the compiled staging model with its bound removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eros_testing.bq_emulator import BigQueryEmulator
from eros_testing.daily_parity import EXEC_DATE, PROJECT_DIR, ParityRun, ParityScenario
from eros_testing.partition_filters import find_unbounded_reads, is_constant, unbounded_reads_in

DBT = str(Path(sys.executable).parent / "dbt")
SRC = "`of-scheduler-proj`.`raw`.`mass_messages`"
LOW = "cast('2026-05-01 07:00:00' as timestamp)"
HIGH = "cast('2026-06-18 07:00:00' as timestamp)"


def _reasons(sql: str) -> list[str]:
    return [f.reason for f in find_unbounded_reads(sql, "mass_messages", dataset="raw")]


# ------------------------------------------------------------------ the checker itself

@pytest.mark.parametrize(
    "sql",
    [
        f"select * from {SRC} where sending_time >= {LOW} and sending_time < {HIGH}",
        f"select * from {SRC} as m where m.sending_time between timestamp '2026-05-01' and timestamp '2026-06-18' and m.page_name = 'a'",
        f"select * from {SRC} where {HIGH} > sending_time and {LOW} <= sending_time",
        f"with s as (select * from {SRC} where (sending_time >= {LOW}) and (sending_time < timestamp_add({HIGH}, interval 1 day))) select * from s",
        f"select m.row_id from {SRC} m join `of-scheduler-proj`.raw.caption_bank b on m.caption_id = b.caption_id "
        f"where m.sending_time >= {LOW} and m.sending_time < {HIGH}",
        f"merge `p`.`eros`.`t` using (select * from {SRC} where sending_time >= {LOW} and sending_time < {HIGH}) s on false "
        "when not matched then insert (a) values (s.row_id)",
        "select * from `of-scheduler-proj`.raw.caption_bank",  # no reference at all
    ],
    ids=["cast-literals", "between-typed-literals", "reversed", "cte-parens-function-of-literals", "join-qualified", "merge-using",
         "not-referenced"],
)
def test_bounded_reads_pass(sql: str) -> None:
    assert _reasons(sql) == []


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (f"select * from {SRC}", "no WHERE on sending_time"),
        (f"select * from {SRC} where sending_time >= {LOW}", "no constant upper bound"),
        (f"select * from {SRC} where sending_time < {HIGH}", "no constant lower bound"),
        (f"select * from {SRC} where sending_time >= {LOW} or sending_time < {HIGH}", "no constant lower and upper bound"),
        (f"select * from {SRC} where sending_time >= timestamp_sub(current_timestamp(), interval 7 day) and sending_time < {HIGH}",
         "no constant lower bound"),
        (f"select * from {SRC} where row_id >= 'a' and row_id < 'b'", "no constant lower and upper bound"),
        (f"select * from (select * from {SRC}) s where s.sending_time >= {LOW} and s.sending_time < {HIGH}", "no WHERE"),
        (f"select * from {SRC} m join `of-scheduler-proj`.raw.mass_log l on m.row_id = l.row_id "
         f"where sending_time >= {LOW} and sending_time < {HIGH}", "no constant lower and upper bound"),
        (f"select * from {SRC} m, `p`.`raw`.`other` o where o.sending_time >= {LOW} and o.sending_time < {HIGH}",
         "no constant lower and upper bound"),
        (f"select * from {SRC} where sending_time >= (select min(x) from `p`.`d`.`t`) and sending_time < {HIGH}",
         "no constant lower bound"),
        (f"select * from {SRC} where sending_time >= {LOW} and sending_time < my_udf({HIGH})", "no constant upper bound"),
        (f"merge `p`.`eros`.`t` using {SRC} s on false when not matched then insert (a) values (s.row_id)",
         "not read as a FROM/JOIN source"),
    ],
    ids=["no-where", "lower-only", "upper-only", "or", "current-timestamp", "other-column", "bound-outside-the-reading-select",
         "unqualified-with-join", "bound-on-another-table", "subquery-bound", "unknown-function", "merge-using-table"],
)
def test_unbounded_reads_are_reported(sql: str, reason: str) -> None:
    reasons = _reasons(sql)
    assert len(reasons) == 1, reasons
    assert reason in reasons[0]


def test_every_reference_is_checked_and_other_datasets_ignored() -> None:
    sql = (
        f"select * from {SRC} where sending_time >= {LOW} and sending_time < {HIGH} "
        f"union all select * from {SRC} where sending_time >= {LOW} "
        "union all select * from `of-scheduler-proj`.`raw_copy`.`mass_messages`"
    )
    assert len(_reasons(sql)) == 1


def test_constants() -> None:
    import sqlglot

    assert is_constant(sqlglot.parse_one("timestamp_add(timestamp '2026-01-01', interval 1 day)", read="bigquery"))
    assert not is_constant(sqlglot.parse_one("current_timestamp()", read="bigquery"))
    assert not is_constant(sqlglot.parse_one("cast(x as timestamp)", read="bigquery"))


def test_sql_that_does_not_parse_is_a_finding() -> None:
    problems = unbounded_reads_in([("broken", f"select * from {SRC} where (((")], "mass_messages")
    assert list(problems) == ["broken"]


# --------------------------------------------------------------- the compiled project


def _compile(emulator: BigQueryEmulator, dataset: str, source_dataset: str, state: Path, *, seed_rules: bool = False) -> dict[str, Any]:
    """`dbt compile --target bq_emulator` into ``dataset``; returns the manifest.

    ``seed_rules``: load the alert_rules seed first. The health analyses read their thresholds
    from it at compile time (one home for thresholds); a first `dbt build` loads it before any
    node reads it, so a dataset with only that seed is still a first run for every model."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EROS_")}
    env.update(emulator.dbt_env(dataset, source_dataset=source_dataset))
    env.update({"DBT_PROFILES_DIR": str(PROJECT_DIR), "DBT_TARGET_PATH": str(state / "target"), "DBT_LOG_PATH": str(state / "logs")})
    variables = json.dumps({"execution_date": EXEC_DATE.isoformat(), "as_of_timestamp": f"{EXEC_DATE} 11:00:00"})
    commands = [["seed", "--select", "alert_rules"]] if seed_rules else []
    commands.append(["compile", "--exclude", "resource_type:unit_test"])
    for command in commands:
        proc = subprocess.run(
            [DBT, *command, "--target", "bq_emulator", "--vars", variables],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return json.loads((state / "target" / "manifest.json").read_text())


def _compiled_nodes(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    return [(uid, node["compiled_code"]) for uid, node in manifest["nodes"].items() if node.get("compiled_code")]


def _source_dataset(manifest: dict[str, Any]) -> str:
    source = manifest["sources"]["source.eros.scheduler.mass_messages"]
    return source["schema"]


@pytest.fixture(scope="module")
def compiled_manifests(
    bq_emulator: BigQueryEmulator, parity_scenario: ParityScenario, parity_first_run: ParityRun,
) -> dict[str, dict[str, Any]]:
    del parity_first_run  # only needed so that the incremental tables exist
    base = parity_scenario.root / "compile"
    return {
        "first run (empty dataset)": _compile(bq_emulator, "eros_compile_empty", parity_scenario.source_dataset, base / "empty", seed_rules=True),
        "incremental (built dataset)": _compile(bq_emulator, parity_scenario.dataset, parity_scenario.source_dataset, base / "built"),
    }


def test_compiled_project_bounds_every_mass_messages_read(compiled_manifests: dict[str, dict[str, Any]]) -> None:
    for label, manifest in compiled_manifests.items():
        nodes = _compiled_nodes(manifest)
        dataset = _source_dataset(manifest)
        readers = [uid for uid, sql in nodes if f"`{dataset}`.`mass_messages`" in sql]
        assert "model.eros.stg_scheduler__mass_messages" in readers, f"{label}: the staging model must read the source"
        problems = unbounded_reads_in(nodes, "mass_messages", dataset=dataset)
        assert not problems, f"{label}: unbounded reads of mass_messages:\n" + "\n".join(
            f"{uid}: {text}" for uid, texts in problems.items() for text in texts
        )


def test_checker_catches_the_compiled_staging_model_without_its_upper_bound(compiled_manifests: dict[str, dict[str, Any]]) -> None:
    manifest = next(iter(compiled_manifests.values()))
    sql = manifest["nodes"]["model.eros.stg_scheduler__mass_messages"]["compiled_code"]
    dataset = _source_dataset(manifest)
    assert find_unbounded_reads(sql, "mass_messages", dataset=dataset) == []
    lines = sql.splitlines()
    upper = [i for i, line in enumerate(lines) if line.strip().startswith("and sending_time <")]
    assert len(upper) == 1, "expected one upper-bound line in the compiled staging model"
    broken = "\n".join(lines[: upper[0]] + lines[upper[0] + 1:])
    reasons = [f.reason for f in find_unbounded_reads(broken, "mass_messages", dataset=dataset)]
    assert reasons == ["no constant upper bound on sending_time in the WHERE"]
