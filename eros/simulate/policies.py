"""The policies a simulation compares. At every refresh each policy gives every page an
ordered list of captions; the builder sends them round-robin until the next refresh.

* ``oracle``: the true best 20 of the page (upper bound; knows the planted truth).
* ``random``: 20 captions drawn uniformly from the bank at every refresh.
* ``thompson``: textbook Thompson sampling on the job's counts: a Beta(successes, failures)
  draw per caption from ``caption_bandit_stats`` (Beta(1, 1) without a row), best 20.
* ``original``: the replaced system's method: a uniform draw between the Wilson bounds of
  ``caption_bandit_stats`` ((0, 1) without a row), best 20.
* ``pooled_ts``: a reference written here in Python, not in the product: Gamma-Poisson
  Thompson sampling on purchases per recipient with a prior pooled across pages, times
  the caption's price (what the issue says a textbook sampler reaches).
* ``shipped``: the product: the page's ``caption_recommendations`` in rank order.

Every draw comes from a ``random.Random`` seeded from (seed, policy, refresh), so a run is
reproducible.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from pathlib import Path

import duckdb

from eros.simulate.world import World

LIST_SIZE = 20
POLICIES = ["oracle", "random", "thompson", "original", "pooled_ts", "shipped"]
JOB_POLICIES = {"thompson", "original", "shipped"}


@dataclasses.dataclass
class SendLog:
    """What one policy's builder sent: per (page, caption) recipients, purchases and
    earnings, for the Python reference policy (pooled_ts)."""

    recipients: dict[tuple[str, int], float] = dataclasses.field(default_factory=lambda: defaultdict(float))
    purchases: dict[tuple[str, int], float] = dataclasses.field(default_factory=lambda: defaultdict(float))
    earnings: dict[tuple[str, int], float] = dataclasses.field(default_factory=lambda: defaultdict(float))

    def add(self, page: str, caption_id: int, sent: int, purchases: int, earnings: float) -> None:
        key = (page, caption_id)
        self.recipients[key] += sent
        self.purchases[key] += purchases
        self.earnings[key] += earnings


def _read(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def oracle_lists(world: World) -> dict[str, list[int]]:
    """The true best LIST_SIZE captions of every page."""
    return {p.name: world.oracle_list(p.name, LIST_SIZE) for p in world.pages}


def random_lists(world: World, rng: random.Random) -> dict[str, list[int]]:
    """LIST_SIZE captions per page drawn uniformly without replacement."""
    return {p.name: rng.sample(world.caption_ids, LIST_SIZE) for p in world.pages}


def _top(scores: dict[int, float]) -> list[int]:
    return [cid for cid, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:LIST_SIZE]]


def thompson_lists(world: World, database: Path, rng: random.Random) -> dict[str, list[int]]:
    """Beta(successes, failures) draws on caption_bandit_stats; Beta(1, 1) for unseen pairs."""
    stats: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)
    for page, cid, s, f in _read(database, "select page_name, caption_id, successes, failures from eros.caption_bandit_stats"):
        stats[page][cid] = (max(s, 1e-6), max(f, 1e-6))
    out = {}
    for p in world.pages:
        own = stats.get(p.name, {})
        out[p.name] = _top({cid: rng.betavariate(*own.get(cid, (1.0, 1.0))) for cid in world.caption_ids})
    return out


def original_lists(world: World, database: Path, rng: random.Random) -> dict[str, list[int]]:
    """Uniform draw between the Wilson bounds of caption_bandit_stats; (0, 1) for unseen pairs."""
    stats: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)
    for page, cid, low, high in _read(
        database, "select page_name, caption_id, confidence_lower_bound, confidence_upper_bound from eros.caption_bandit_stats"
    ):
        stats[page][cid] = (low, high)
    out = {}
    for p in world.pages:
        own = stats.get(p.name, {})
        out[p.name] = _top({cid: rng.uniform(*own.get(cid, (0.0, 1.0))) for cid in world.caption_ids})
    return out


def shipped_lists(world: World, database: Path) -> dict[str, list[int]]:
    """caption_recommendations in rank order; a page without recommendations gets []."""
    rows = _read(database, "select page_name, caption_id from eros.caption_recommendations order by page_name, recommendation_rank")
    out: dict[str, list[int]] = {p.name: [] for p in world.pages}
    for page, cid in rows:
        out.setdefault(page, []).append(int(cid))
    return out


def pooled_ts_lists(world: World, log: SendLog, rng: random.Random) -> dict[str, list[int]]:
    """Gamma-Poisson Thompson sampling on purchases per recipient with a pooled prior.

    Per caption c: pooled rate m_c = (P_c + a0 * m) / (N_c + a0) over all pages, with m the
    bank-wide rate and a0 = 2 / m recipients (two pseudo-purchases). Per page p:
    rate ~ Gamma(shape = P_pc + k, rate = N_pc + k / m_c) with k = 1 pseudo-purchase of
    pooled prior; score = rate x price of the caption on the page (mean price observed).
    """
    total_p = sum(log.purchases.values())
    total_n = sum(log.recipients.values())
    base = (total_p + 1) / (total_n + 1e4)
    by_caption_p: dict[int, float] = defaultdict(float)
    by_caption_n: dict[int, float] = defaultdict(float)
    for (_, cid), n in log.recipients.items():
        by_caption_n[cid] += n
        by_caption_p[cid] += log.purchases[(_, cid)]
    a0 = 2 / base
    pooled = {cid: (by_caption_p[cid] + 2) / (by_caption_n[cid] + a0) for cid in world.caption_ids}
    out = {}
    for p in world.pages:
        scores = {}
        for cid in world.caption_ids:
            key = (p.name, cid)
            shape = log.purchases.get(key, 0.0) + 1.0
            rate = log.recipients.get(key, 0.0) + 1.0 / max(pooled[cid], 1e-12)
            draw = rng.gammavariate(shape, 1.0 / rate)
            scores[cid] = draw * world.price(p, cid)
        out[p.name] = _top(scores)
    return out


def seeded_rng(seed: int, policy: str, refresh: int) -> random.Random:
    """The policy's random source at a refresh."""
    return random.Random(f"policy|{seed}|{policy}|{refresh}")
