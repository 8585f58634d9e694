"""The planted truth of a simulation: pages, a shared caption bank, and for every
(page, caption) a purchase rate per recipient and a price.

Calibration (DOMAIN.md "Volumes to calibrate synthetic data"): recipients per PPV message
3k-10k on most pages and 40k+ on a few large ones; PPV view rate 19-24%; purchases per view
0.04-0.5% (so about 0.0001-0.001 purchases per recipient); prices by bank price tier
(low 3.6 ... luxury 70.4); a share of captions never converts; revenue per caption is
skewed. Everything is drawn from ``random.Random`` seeded from the config's seed, so a
world is identical for a seed.

Model of the purchase rate of caption c on page p (per recipient):

    rate[p, c] = 0                                   when c never converts (share never_convert)
    rate[p, c] = base[p] * (price[c] / 15) ** -price_elasticity
                 * exp(sigma * (s * g[c] + sqrt(1 - s^2) * l[p, c]) - sigma^2 / 2)

with g[c], l[p, c] ~ N(0, 1), sigma = skew and s = sharing (1: a caption is equally good
on every page, 0: quality is page-specific). Drift: at the start of every simulated week
g and l take a random-walk step of standard deviation ``drift`` (then rescaled so their
variance stays 1), so the best captions change over time.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence

# Average PPV price by bank price tier (DOMAIN.md "Volumes"); the simulated bank uses these.
PRICE_TIERS: dict[str, float] = {
    "low": 3.6, "budget": 6.6, "mid": 14.9, "high": 32.0, "premium": 35.5, "luxury": 70.4,
}
# how often each tier occurs in the simulated bank (mostly $5-$35, DOMAIN.md)
TIER_WEIGHTS: dict[str, float] = {"low": 0.1, "budget": 0.25, "mid": 0.3, "high": 0.15, "premium": 0.15, "luxury": 0.05}
CATEGORIES = [
    "solo", "couple", "lingerie", "bikini", "shower", "outdoor", "cosplay", "fitness",
    "feet", "tease", "bundle", "custom", "livestream", "behind_the_scenes", "holiday",
]
WORDS = (
    "new exclusive tonight special private unlock see full video naughty sweet surprise just for you "
    "hot spicy tease wet shower bed morning late night secret only fans favourite custom set bundle "
    "deal limited drop fresh first time never seen before behind scenes outfit pink black lace red "
    "beach pool gym sweaty cosplay holiday gift treat reward open now quick peek full length uncut "
    "vip bonus extra long close up slow teasing playful shy bold wild soft"
).split()


@dataclasses.dataclass(frozen=True)
class WorldConfig:
    """Parameters of a planted world (defaults: the issue's default world).

    Attributes:
        seed: random seed; the same seed gives the same world and the same run.
        pages: pages with history (plus ``cold_pages`` without).
        cold_pages: pages that start with no attributed caption history (only a few
            unmatched PPV messages in the last days, so they are active).
        captions: bank size (all usable, PPV price tiers).
        ppv_per_day: PPV messages per page per day.
        history_days: days of history before the simulation, captions chosen at random.
        skew: sigma of the log-normal caption quality (higher: a few captions earn most).
        never_convert: share of captions whose purchase rate is 0 on every page.
        sharing: 0..1, how much of a caption's quality is common to all pages.
        drift: weekly random-walk step of the quality components (0: no drift).
        price_elasticity: cheaper captions convert more: rate ~ price ** -elasticity.
    """

    seed: int = 1
    pages: int = 20
    cold_pages: int = 2
    captions: int = 300
    ppv_per_day: int = 6
    history_days: int = 90
    skew: float = 1.0
    never_convert: float = 0.3
    sharing: float = 0.8
    drift: float = 0.0
    price_elasticity: float = 0.5

    def validate(self) -> None:
        """Raises ValueError naming the first out-of-range parameter."""
        checks = [
            (self.pages >= 1, "pages must be >= 1"),
            (self.cold_pages >= 0, "cold_pages must be >= 0"),
            (self.captions >= 21, "captions must be >= 21 (lists hold 20)"),
            (1 <= self.ppv_per_day <= 50, "ppv_per_day must be 1..50"),
            (0 <= self.history_days <= 730, "history_days must be 0..730"),
            (0 < self.skew <= 4, "skew must be in (0, 4]"),
            (0 <= self.never_convert < 1, "never_convert must be in [0, 1)"),
            (0 <= self.sharing <= 1, "sharing must be in [0, 1]"),
            (0 <= self.drift <= 2, "drift must be in [0, 2]"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclasses.dataclass
class Caption:
    """A bank caption: id, text, category, tier and the tier's price (USD)."""

    caption_id: int
    text: str
    category: str
    price_tier: str
    price: float


@dataclasses.dataclass
class Page:
    """A simulated page: name, mean recipients per message, base purchase rate, price
    multiplier, and whether it starts without history (cold)."""

    name: str
    recipients: int
    base_rate: float
    price_multiplier: float
    cold: bool


class World:
    """A planted truth. ``value(page, caption_id)`` is the expected revenue (USD) of one
    PPV message; ``oracle_list(page)`` the true best ``n`` captions."""

    def __init__(self, config: WorldConfig) -> None:
        config.validate()
        self.config = config
        rng = random.Random(f"world|{config.seed}")
        self.captions = self._make_bank(rng, config.captions)
        self.caption_ids = [c.caption_id for c in self.captions]
        self.by_id = {c.caption_id: c for c in self.captions}
        total = config.pages + config.cold_pages
        self.pages: list[Page] = []
        for index in range(total):
            large = rng.random() < 0.1
            recipients = int(rng.uniform(40_000, 60_000) if large else math.exp(rng.uniform(math.log(3000), math.log(10_000))))
            self.pages.append(Page(
                name=f"sim_page_{index + 1:03d}",
                recipients=recipients,
                # purchases per recipient of an average caption: view rate ~0.2 x 0.04-0.5% per view
                base_rate=0.2 * math.exp(rng.uniform(math.log(0.0008), math.log(0.004))),
                price_multiplier=round(math.exp(rng.gauss(0, 0.15)), 3),
                cold=index >= config.pages,
            ))
        self.never = {cid for cid in self.caption_ids if rng.random() < config.never_convert}
        self.global_quality = {cid: rng.gauss(0, 1) for cid in self.caption_ids}
        self.local_quality = {(p.name, cid): rng.gauss(0, 1) for p in self.pages for cid in self.caption_ids}
        self._drift_rng = random.Random(f"drift|{config.seed}")
        self._values: dict[tuple[str, int], float] = {}
        self._recompute()

    @staticmethod
    def _make_bank(rng: random.Random, size: int) -> list[Caption]:
        tiers = list(TIER_WEIGHTS)
        weights = [TIER_WEIGHTS[t] for t in tiers]
        seen: set[str] = set()
        captions = []
        while len(captions) < size:
            words = rng.sample(WORDS, 6)
            text = " ".join(words).capitalize()
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            tier = rng.choices(tiers, weights)[0]
            captions.append(Caption(
                caption_id=1001 + len(captions), text=text, category=rng.choice(CATEGORIES),
                price_tier=tier, price=PRICE_TIERS[tier],
            ))
        return captions

    # --- truth ---------------------------------------------------------------------------

    def price(self, page: Page, caption_id: int) -> float:
        """PPV price (USD) of the caption on the page: tier price x page multiplier."""
        return round(self.by_id[caption_id].price * page.price_multiplier, 2)

    def rate(self, page: Page, caption_id: int) -> float:
        """True purchases per recipient of the caption on the page (model in the module doc)."""
        if caption_id in self.never:
            return 0.0
        cfg = self.config
        s = cfg.sharing
        z = s * self.global_quality[caption_id] + math.sqrt(max(0.0, 1 - s * s)) * self.local_quality[(page.name, caption_id)]
        price_factor = (self.by_id[caption_id].price / 15.0) ** (-cfg.price_elasticity)
        return page.base_rate * price_factor * math.exp(cfg.skew * z - cfg.skew ** 2 / 2)

    def _recompute(self) -> None:
        self._values = {
            (p.name, cid): p.recipients * self.rate(p, cid) * self.price(p, cid)
            for p in self.pages for cid in self.caption_ids
        }

    def value(self, page: str, caption_id: int) -> float:
        """Expected revenue (USD) of one PPV message of the caption on the page, now."""
        return self._values[(page, caption_id)]

    def oracle_list(self, page: str, n: int = 20) -> list[int]:
        """The page's true best ``n`` captions now, best first."""
        return sorted(self.caption_ids, key=lambda cid: (-self._values[(page, cid)], cid))[:n]

    def list_value(self, page: str, captions: Sequence[int], n: int = 20) -> float:
        """Sum of the expected revenue per message of the first ``n`` distinct captions."""
        distinct = list(dict.fromkeys(captions))[:n]
        return sum(self._values[(page, cid)] for cid in distinct)

    def capture(self, page: str, captions: Sequence[int], n: int = 20) -> float:
        """Top-n capture: list value / oracle list value (1.0 when the oracle earns 0)."""
        best = self.list_value(page, self.oracle_list(page, n), n)
        return 1.0 if best <= 0 else self.list_value(page, captions, n) / best

    def step_drift(self) -> None:
        """One week of drift: a random-walk step on every quality component (no-op at 0)."""
        step = self.config.drift
        if step <= 0:
            return
        rng = self._drift_rng
        keep = 1 / math.sqrt(1 + step * step)
        for cid in self.caption_ids:
            self.global_quality[cid] = (self.global_quality[cid] + rng.gauss(0, step)) * keep
        for key in self.local_quality:
            self.local_quality[key] = (self.local_quality[key] + rng.gauss(0, step)) * keep
        self._recompute()

    # --- outcomes ------------------------------------------------------------------------

    def outcome(self, rng: random.Random, page: Page, caption_id: int) -> dict[str, float | int]:
        """One sent PPV message: recipients, views, purchases and earnings drawn from the truth."""
        sent = max(1, int(round(page.recipients * rng.uniform(0.9, 1.1))))
        viewed = int(round(sent * rng.uniform(0.19, 0.24)))
        price = self.price(page, caption_id)
        purchases = min(viewed, poisson(rng, sent * self.rate(page, caption_id)))
        return {"sent": sent, "viewed": viewed, "purchases": purchases, "price": price,
                "earnings": round(purchases * price, 2)}


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's product method below 30, a rounded normal above)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
