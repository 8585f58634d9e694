"""Runs a simulation: history, then day by day every policy's builder sends from its
current lists, and at every refresh the policies recompute their lists; for the policies
that read the product's tables (thompson, original, shipped) the real caption-performance
job runs first on their own warehouse, through the same command a user runs:
``eros run --no-alerts caption-performance --date <refresh day> --as-of <01:00 LA> --json``
(Elementary's models off: EROS_ELEMENTARY_ENABLED=false).

Measures (all in expected revenue, i.e. the planted value of each message sent, so the
comparison is not blurred by purchase noise):

* revenue and revenue as % of the oracle's, over all pages, and over the cold pages;
* top-20 capture at every refresh (value of the page's list / value of its true best 20),
  averaged over pages, and at the end (a last refresh after the final day);
* distinct captions sent per page during the simulation;
* the cold pages' first list (capture of the list they get at the first refresh).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eros.simulate import policies as pol
from eros.simulate.store import SimWarehouse
from eros.simulate.world import World, WorldConfig

LA = ZoneInfo("America/Los_Angeles")
DEFAULT_START = dt.date(2026, 3, 2)


class SimulationError(RuntimeError):
    """The caption-performance job failed inside a simulation (message names the policy and day)."""


@dataclasses.dataclass(frozen=True)
class SimulationConfig:
    """A simulation run.

    Attributes:
        world: the planted world.
        weeks: simulated weeks after the history.
        refresh_days: days between two runs of the caption-performance job (7: weekly).
        policies: policy names (eros.simulate.policies.POLICIES); the oracle is always run.
        start: first simulated day (LA); the history ends the day before.
        late: load rows with growing counters (eros.simulate.store).
        job_vars: extra dbt vars for the caption-performance job (``NAME=VALUE`` semantics).
    """

    world: WorldConfig = dataclasses.field(default_factory=WorldConfig)
    weeks: int = 8
    refresh_days: int = 7
    policies: tuple[str, ...] = tuple(pol.POLICIES)
    start: dt.date = DEFAULT_START
    late: bool = False
    job_vars: tuple[tuple[str, str], ...] = ()

    def validate(self) -> None:
        """Raises ValueError naming the first bad parameter."""
        self.world.validate()
        if not 1 <= self.weeks <= 52:
            raise ValueError("weeks must be 1..52")
        if not 1 <= self.refresh_days <= 28:
            raise ValueError("refresh_days must be 1..28")
        unknown = [p for p in self.policies if p not in pol.POLICIES]
        if unknown:
            raise ValueError(f"unknown policy {', '.join(unknown)} (known: {', '.join(pol.POLICIES)})")


@dataclasses.dataclass
class PolicyResult:
    """Figures of one policy (see the module docstring)."""

    policy: str
    revenue: float = 0.0
    cold_revenue: float = 0.0
    pct_of_oracle: float | None = None
    cold_pct_of_oracle: float | None = None
    capture_over_time: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    final_capture: float | None = None
    cold_first_capture: float | None = None
    distinct_captions_per_page: float = 0.0
    pages_without_list: int = 0
    job_runs: int = 0
    job_cpu_seconds: float = 0.0
    job_wall_seconds: float = 0.0


@dataclasses.dataclass
class SimulationResult:
    """A finished simulation: the config (as a dict) and one PolicyResult per policy."""

    config: dict[str, Any]
    policies: dict[str, PolicyResult]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``eros simulate --json``)."""
        return {"config": self.config, "seconds": round(self.seconds, 1),
                "policies": {k: dataclasses.asdict(v) for k, v in self.policies.items()}}


def _eros_executable() -> str:
    candidate = Path(sys.executable).parent / "eros"
    return str(candidate) if candidate.exists() else "eros"


def run_caption_job(database: Path, day: dt.date, *, project: Path, state_dir: Path,
                    job_vars: tuple[tuple[str, str], ...] = ()) -> tuple[dict[str, Any], float, float]:
    """Run ``eros run --no-alerts caption-performance`` for ``day`` on ``database``.

    Returns (the job's JSON outcome, CPU seconds user+sys of the process tree, wall seconds).

    Raises:
        SimulationError: the job did not end SUCCESS (its stderr tail in the message).
    """
    as_of = dt.datetime(day.year, day.month, day.day, 1, 0, tzinfo=LA).isoformat()
    env = dict(os.environ)
    env.update({
        "EROS_DUCKDB_PATH": str(database), "EROS_TARGET": "local", "EROS_SOURCE_SCHEMA": "raw",
        "DBT_TARGET_PATH": str(state_dir / "target"), "DBT_LOG_PATH": str(state_dir / "logs"),
        "EROS_NO_ALERTS": "1", "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Elementary's monitoring models ride along in every job selector; they do not change
        # what the policy sees, only the cost of each simulated run
        "EROS_ELEMENTARY_ENABLED": "false",
    })
    command = [_eros_executable(), "run", "--no-alerts", "caption-performance", "--date", day.isoformat(),
               "--as-of", as_of, "--json"]
    for name, value in job_vars:
        command += ["--var", f"{name}={value}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        outcome = json.loads(proc.stdout)
    except json.JSONDecodeError:
        outcome = {}
    if proc.returncode != 0 or outcome.get("status") != "SUCCESS":
        raise SimulationError(
            f"caption-performance job for {day} on {database.name} ended with exit {proc.returncode} "
            f"({outcome.get('status')}): {(outcome.get('error_message') or proc.stderr[-1500:] or proc.stdout[-1500:]).strip()}"
        )
    return outcome, cpu, wall


class _Runner:
    """State of one simulation run (one instance per call of :func:`run_simulation`)."""

    def __init__(self, config: SimulationConfig, workdir: Path, project: Path,
                 progress: Callable[[str, int], None]) -> None:
        self.config = config
        self.workdir = workdir
        self.project = project
        self.progress = progress
        self.world = World(config.world)
        self.names = ["oracle", *[p for p in config.policies if p != "oracle"]]
        self.results = {name: PolicyResult(policy=name) for name in self.names}
        self.lists: dict[str, dict[str, list[int]]] = {}
        self.sent: dict[str, dict[str, set[int]]] = {name: defaultdict(set) for name in self.names}
        self.logs = {name: pol.SendLog() for name in self.names}
        self.send_rng = {name: random.Random(f"sends|{config.world.seed}|{name}") for name in self.names}
        self.warehouses: dict[str, SimWarehouse] = {}
        self.cold = {p.name for p in self.world.pages if p.cold}

    # --- history ---------------------------------------------------------------------------

    def build_history(self) -> None:
        """The shared history: random captions for warm pages, unmatched custom texts in the
        last days for cold pages; written once, copied to each job policy's warehouse."""
        cfg = self.config.world
        template = self.workdir / "history.duckdb"
        store = SimWarehouse(template, self.world, late=self.config.late)
        rng = random.Random(f"history|{cfg.seed}")
        for offset in range(cfg.history_days, 0, -1):
            day = self.config.start - dt.timedelta(days=offset)
            for page in self.world.pages:
                for slot in range(cfg.ppv_per_day):
                    if page.cold:
                        if offset <= 5:
                            store.record(rng, page.name, day, slot, None, text=f"custom {page.name} {day} {slot}")
                    else:
                        cid = rng.choice(self.world.caption_ids)
                        row = store.record(rng, page.name, day, slot, cid)
                        for log in self.logs.values():  # the Python reference sees the same history
                            log.add(page.name, cid, int(row["sent_count"]), round(float(row["earnings"]) / float(row["price"])),
                                    float(row["earnings"]))
        store.load(self.config.start)
        for name in self.names:
            if name in pol.JOB_POLICIES:
                self.warehouses[name] = store.copy(self.workdir / f"{name}.duckdb")
        template.unlink()

    # --- refresh ---------------------------------------------------------------------------

    def refresh(self, index: int, day: dt.date) -> None:
        """Recompute every policy's lists for ``day`` and record capture."""
        for name in self.names:
            rng = pol.seeded_rng(self.config.world.seed, name, index)
            result = self.results[name]
            if name in pol.JOB_POLICIES:
                warehouse = self.warehouses[name]
                warehouse.load(day)
                self.progress(f"{name}: caption-performance job for {day}", 0)
                _, cpu, wall = run_caption_job(warehouse.path, day, project=self.project,
                                               state_dir=self.workdir / f"dbt_{name}", job_vars=self.config.job_vars)
                result.job_runs += 1
                result.job_cpu_seconds += cpu
                result.job_wall_seconds += wall
            if name == "oracle":
                lists = pol.oracle_lists(self.world)
            elif name == "random":
                lists = pol.random_lists(self.world, rng)
            elif name == "thompson":
                lists = pol.thompson_lists(self.world, self.warehouses[name].path, rng)
            elif name == "original":
                lists = pol.original_lists(self.world, self.warehouses[name].path, rng)
            elif name == "pooled_ts":
                lists = pol.pooled_ts_lists(self.world, self.logs[name], rng)
            else:
                lists = pol.shipped_lists(self.world, self.warehouses[name].path)
            self.lists[name] = lists
            captures = {p.name: self.world.capture(p.name, lists.get(p.name, [])) for p in self.world.pages}
            result.capture_over_time.append({
                "day": day.isoformat(),
                "capture": round(sum(captures.values()) / len(captures), 4),
                "cold_capture": round(sum(captures[p] for p in self.cold) / len(self.cold), 4) if self.cold else None,
            })
            if index == 0 and self.cold:
                result.cold_first_capture = round(sum(captures[p] for p in self.cold) / len(self.cold), 4)
            result.pages_without_list += sum(1 for p in self.world.pages if not lists.get(p.name))
            self.progress(f"{name}: lists for {day}", 1)

    # --- sending ---------------------------------------------------------------------------

    def send_day(self, day: dt.date, offset: int) -> None:
        """Every page sends ppv_per_day messages round-robin from each policy's list."""
        per_day = self.config.world.ppv_per_day
        for name in self.names:
            rng = self.send_rng[name]
            result = self.results[name]
            for page in self.world.pages:
                listed = self.lists[name].get(page.name) or []
                for slot in range(per_day):
                    if listed:
                        cid = listed[(offset * per_day + slot) % len(listed)]
                    else:  # no list: the builder picks any caption
                        cid = rng.choice(self.world.caption_ids)
                    value = self.world.value(page.name, cid)
                    result.revenue += value
                    if page.cold:
                        result.cold_revenue += value
                    self.sent[name][page.name].add(cid)
                    if name in self.warehouses:
                        self.warehouses[name].record(rng, page.name, day, slot, cid)
                    elif name == "pooled_ts":
                        out = self.world.outcome(rng, page, cid)
                        self.logs[name].add(page.name, cid, int(out["sent"]), int(out["purchases"]), float(out["earnings"]))

    def run(self) -> dict[str, PolicyResult]:
        cfg = self.config
        self.build_history()
        total_days = cfg.weeks * 7
        refresh_index = 0
        for offset in range(total_days):
            day = cfg.start + dt.timedelta(days=offset)
            if offset > 0 and offset % 7 == 0:
                self.world.step_drift()
            since = offset % cfg.refresh_days
            if since == 0:
                self.refresh(refresh_index, day)
                refresh_index += 1
            self.send_day(day, since)
            self.progress(f"day {day}", 0)
        self.refresh(refresh_index, cfg.start + dt.timedelta(days=total_days))
        oracle = self.results["oracle"]
        for name, result in self.results.items():
            result.revenue = round(result.revenue, 2)
            result.cold_revenue = round(result.cold_revenue, 2)
            result.pct_of_oracle = round(100 * result.revenue / oracle.revenue, 2) if oracle.revenue else None
            if self.cold and oracle.cold_revenue:
                result.cold_pct_of_oracle = round(100 * result.cold_revenue / oracle.cold_revenue, 2)
            result.final_capture = result.capture_over_time[-1]["capture"]
            pages = self.sent[name]
            result.distinct_captions_per_page = round(sum(len(v) for v in pages.values()) / max(1, len(pages)), 1)
            result.job_cpu_seconds = round(result.job_cpu_seconds, 1)
            result.job_wall_seconds = round(result.job_wall_seconds, 1)
        return self.results


def progress_steps(config: SimulationConfig) -> int:
    """How many progress advances a run makes (one per policy per refresh, plus the final one)."""
    refreshes = -(-config.weeks * 7 // config.refresh_days) + 1
    return refreshes * (1 + len([p for p in config.policies if p != "oracle"]))


def run_simulation(config: SimulationConfig, *, workdir: Path, project: Path,
                   progress: Callable[[str, int], None] | None = None) -> SimulationResult:
    """Run a simulation in ``workdir`` (one DuckDB warehouse per job policy is created there).

    Args:
        config: the world and the run.
        workdir: an empty or new directory (kept afterwards for inspection by the caller).
        project: the dbt project directory the caption-performance job runs in.
        progress: called with (description, steps done) as the run advances.

    Returns:
        A :class:`SimulationResult`; identical figures for the same config (seed).

    Raises:
        ValueError: a bad config value.
        SimulationError: the caption-performance job failed.
    """
    config.validate()
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    runner = _Runner(config, workdir, project, progress or (lambda _d, _n: None))
    results = runner.run()
    as_dict = dataclasses.asdict(config)
    as_dict["start"] = config.start.isoformat()
    return SimulationResult(config=as_dict, policies=results, seconds=time.monotonic() - started)
