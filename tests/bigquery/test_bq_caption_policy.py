"""The caption-performance job (issue 12's policy) on the BigQuery emulator and on DuckDB
from the same generated data: the same statistics and the same recommendations, draw for
draw (md5 uniforms, Box-Muller, Wilson-Hilferty are engine-neutral SQL)."""

from __future__ import annotations

import json
import subprocess

import pytest

from eros.generate import GenerationConfig
from eros_testing.daily_parity import AS_OF, EROS, EXEC_DATE, PROJECT_DIR, ParityScenario


@pytest.fixture(scope="module")
def caption_scenario(bq_emulator, tmp_path_factory) -> ParityScenario:
    config = GenerationConfig(pages=6, days=40, seed=12, execution_date=EXEC_DATE, captions=200)
    return ParityScenario.create(tmp_path_factory.mktemp("captions"), bq_emulator, name="captions", config=config)


def _run(scenario: ParityScenario, engine: str) -> dict:
    target = "bq_emulator" if engine == "bigquery" else "local"
    proc = subprocess.run(
        [EROS, "run", "--no-alerts", "caption-performance", "--target", target, "--date", EXEC_DATE.isoformat(),
         "--as-of", AS_OF, "--json"],
        cwd=PROJECT_DIR, env=scenario.env(engine), capture_output=True, text=True, timeout=900,
    )
    assert proc.stdout.strip().startswith("{"), proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_caption_policy_same_on_both_engines(caption_scenario: ParityScenario):
    outcomes = {engine: _run(caption_scenario, engine) for engine in ("duckdb", "bigquery")}
    assert {o["status"] for o in outcomes.values()} == {"SUCCESS"}, outcomes
    columns = ("page_name, recommendation_rank, caption_id, selection_reason, evidence_source, "
               "expected_earnings_per_recipient, sampled_earnings_per_recipient")
    rows = {}
    for engine in ("duckdb", "bigquery"):
        found = caption_scenario.query(
            engine, f"select {columns} from {caption_scenario.table(engine, 'caption_recommendations')}"
        )
        rows[engine] = sorted((r["page_name"], r["recommendation_rank"], r["caption_id"], r["selection_reason"], r["evidence_source"],
                               round(r["expected_earnings_per_recipient"], 8), round(r["sampled_earnings_per_recipient"], 8))
                              for r in found)
    assert rows["duckdb"] and len(rows["duckdb"]) == 20 * len({r[0] for r in rows["duckdb"]})
    assert rows["bigquery"] == rows["duckdb"]
