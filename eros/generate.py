"""Deterministic synthetic source data, calibrated to DOMAIN.md "Volumes".

The generator writes the three real source tables (``mass_messages``, ``caption_bank``,
``active_caption_assignments``) and, optionally, ``page_settings``, as CSV files with
the exact column names of DOMAIN.md. :mod:`eros.loaders` puts them into a warehouse
(DuckDB directly, BigQuery through load jobs). Everything is drawn from one
``random.Random(seed)``, so the same arguments always give byte-identical files.

Quirks carried from the real dataset (DOMAIN.md):

* about 90% of messages have no ``caption_id`` but their text matches a bank caption
  after normalisation (case, punctuation, symbols and spacing are perturbed);
* a small share of PPV texts match nothing in the bank (custom one-off captions);
* bumps have NULL ``price`` and ``purchased_count``; PPV ``purchased_count`` is often NULL;
* rows arrive in weekly batches: messages sent after the last batch cut-off are withheld,
  and counters of messages sent in the 3 days before the cut-off are not fully grown;
* a few percent of invalid rows (each validation rule of the staging layer is planted);
* a few pages with no activity in the last 30 days;
* caption locks around the execution date, so saturation varies from empty to over-full.

The planted figures (per-page invalid rows, attribution share, inactive pages) are
returned in :class:`GenerationManifest` for tests to compare against.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import math
import random
from pathlib import Path
from zoneinfo import ZoneInfo

LA = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC

# Column order of each source table (DOMAIN.md "Source tables").
MASS_MESSAGES_COLUMNS = [
    "row_id", "page_name", "message", "sending_time", "price", "sent_count",
    "viewed_count", "purchased_count", "earnings", "message_type", "caption_id",
]
CAPTION_BANK_COLUMNS = [
    "caption_id", "caption_text", "content_category", "price_tier", "has_urgency",
    "usage_status", "created_at", "updated_at",
]
ASSIGNMENT_COLUMNS = [
    "assignment_key", "page_name", "caption_id", "caption_text", "assigned_date",
    "scheduled_send_date", "scheduled_send_hour", "price_tier", "is_active", "assigned_at",
    "schedule_id", "deactivated_at", "deactivation_reason",
]
PAGE_SETTINGS_COLUMNS = ["page_name", "time_zone", "page_type", "daily_send_cap", "is_active"]

# Warehouse column types, shared by the DuckDB and BigQuery loaders.
COLUMN_TYPES: dict[str, dict[str, str]] = {
    "mass_messages": {
        "row_id": "STRING", "page_name": "STRING", "message": "STRING",
        "sending_time": "TIMESTAMP", "price": "FLOAT", "sent_count": "INTEGER",
        "viewed_count": "INTEGER", "purchased_count": "FLOAT", "earnings": "FLOAT",
        "message_type": "STRING", "caption_id": "INTEGER",
    },
    "caption_bank": {
        "caption_id": "INTEGER", "caption_text": "STRING", "content_category": "STRING",
        "price_tier": "STRING", "has_urgency": "BOOLEAN", "usage_status": "STRING",
        "created_at": "TIMESTAMP", "updated_at": "TIMESTAMP",
    },
    "active_caption_assignments": {
        "assignment_key": "STRING", "page_name": "STRING", "caption_id": "INTEGER",
        "caption_text": "STRING", "assigned_date": "DATE", "scheduled_send_date": "DATE",
        "scheduled_send_hour": "INTEGER", "price_tier": "STRING", "is_active": "BOOLEAN",
        "assigned_at": "TIMESTAMP", "schedule_id": "STRING", "deactivated_at": "TIMESTAMP",
        "deactivation_reason": "STRING",
    },
    "page_settings": {
        "page_name": "STRING", "time_zone": "STRING", "page_type": "STRING",
        "daily_send_cap": "INTEGER", "is_active": "BOOLEAN",
    },
}
TABLE_COLUMNS = {
    "mass_messages": MASS_MESSAGES_COLUMNS,
    "caption_bank": CAPTION_BANK_COLUMNS,
    "active_caption_assignments": ASSIGNMENT_COLUMNS,
    "page_settings": PAGE_SETTINGS_COLUMNS,
}

CONTENT_CATEGORIES = [
    "solo", "couple", "lingerie", "bikini", "shower", "outdoor", "cosplay", "fitness",
    "feet", "tease", "bundle", "custom", "livestream", "behind_the_scenes", "holiday",
]
# Average PPV price by bank price tier (DOMAIN.md "Volumes").
PRICE_TIER_AVERAGE = {
    "low": 3.6, "budget": 6.6, "mid": 14.9, "high": 32.0, "premium": 35.5, "luxury": 70.4,
}
USAGE_STATUSES = ["available"] * 14 + ["moderate_recency"] * 4 + ["archived"] * 2
NAME_FIRST = [
    "luna", "mia", "ava", "zoe", "ivy", "ruby", "nova", "stella", "aria", "jade", "lola",
    "skye", "bella", "chloe", "daisy", "ella", "faye", "gigi", "hana", "isla", "kira",
    "lexi", "maya", "nina", "olive", "piper", "quinn", "rosa", "sara", "tess",
]
NAME_SECOND = [
    "rose", "bloom", "star", "moon", "dream", "belle", "grace", "fox", "kiss", "sky",
    "vibes", "angel", "honey", "peach", "storm", "wild", "sweet", "gold", "lace", "night",
]
CAPTION_OPENERS = [
    "hey babe", "surprise", "just for you", "finally", "guess what", "new set",
    "dont miss this", "you asked for it", "late night", "good morning", "sneak peek",
    "exclusive", "unlock me", "special treat", "only today",
]
CAPTION_BODIES = [
    "i made something special", "my hottest video yet", "a little shower fun",
    "this lingerie set is unreal", "i could not wait to show you", "a full bundle of pics",
    "my first time trying this", "a private show just for you", "my new favourite outfit",
    "something naughty from my bedroom", "a beach day you will love", "cosplay you begged for",
    "a workout that got steamy", "the video everyone is talking about",
    "behind the scenes of my shoot", "a custom clip made with love",
]
CAPTION_CLOSERS = [
    "open it now", "tell me what you think", "only for my favourites", "dont be shy",
    "its waiting in your inbox", "you will thank me later", "limited time", "xoxo",
    "unlock before its gone", "i cant wait to hear from you",
]
BUMP_TEXTS = [
    "good morning babe how did you sleep", "what are you up to today", "thinking about you",
    "did you see my last message", "happy weekend", "im bored entertain me",
    "new post on my wall go check it", "who wants to chat tonight",
]
# Symbols only: a digit (as in "<3") survives normalisation and would make a perturbed
# text unmatchable while the manifest counts it as matchable.
PERTURB_SYMBOLS = ["!", "!!", "...", " :)", " ♡", " 🔥", " 💕", "?!", " 😘", " ~"]


@dataclasses.dataclass
class GenerationConfig:
    """What to generate.

    Attributes:
        pages: number of pages (DOMAIN.md: 38-39 real, 100 typical, 500+ max).
        days: days of message history ending at ``execution_date`` (exclusive).
        seed: seed of the single random generator; same seed, same files.
        execution_date: the LA business date the daily job will run for; locks are placed
            around it and rows after the last weekly batch cut-off before it are withheld.
        captions: rows in ``caption_bank``.
        invalid_pages: pages whose last-30-day rows are more than 20% invalid (they must
            fail validation in the daily job).
        inactive_pages: pages with no message in the 30 days before ``execution_date``;
            ``None`` means about 5% of pages.
        invalid_row_share: share of ordinary rows made invalid (spread over the rules).
        with_settings: also write a ``page_settings`` table (all valid).
        weekly_batches: withhold rows sent after the last weekly cut-off (Monday 00:00 LA).
    """

    pages: int = 100
    days: int = 90
    seed: int = 42
    execution_date: dt.date | None = None
    captions: int = 5000
    invalid_pages: int = 0
    inactive_pages: int | None = None
    invalid_row_share: float = 0.01
    with_settings: bool = False
    weekly_batches: bool = True

    def resolved_execution_date(self) -> dt.date:
        """The configured execution date, or today in America/Los_Angeles."""
        return self.execution_date or dt.datetime.now(LA).date()


@dataclasses.dataclass
class GenerationManifest:
    """What the generator planted; tests compare pipeline outputs with it.

    Attributes:
        execution_date: ISO date the data was built around.
        batch_cutoff_utc: ISO UTC timestamp after which rows were withheld (late batch).
        row_counts: rows written per table.
        pages: every page name.
        inactive_pages: pages with no message in the active window.
        invalid_pages: pages planted to fail validation (> 20% invalid rows in 30 days).
        invalid_rows_by_reason: planted invalid rows per reason code.
        ppv_messages: valid PPV messages written.
        ppv_with_caption_id: of those, how many carry caption_id.
        ppv_text_matchable: of those without caption_id, how many have a text that
            normalises to a bank caption.
        ppv_unmatchable: PPV messages whose text matches no bank caption.
    """

    execution_date: str
    batch_cutoff_utc: str
    row_counts: dict[str, int]
    pages: list[str]
    inactive_pages: list[str]
    invalid_pages: list[str]
    invalid_rows_by_reason: dict[str, int]
    ppv_messages: int
    ppv_with_caption_id: int
    ppv_text_matchable: int
    ppv_unmatchable: int

    def to_json(self) -> str:
        """Serialise to pretty JSON."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)


def normalise_caption_text(text: str | None) -> str | None:
    """Normalise caption text the way attribution does (DOMAIN.md "Caption performance").

    Lowercase, trim, strip punctuation and symbols (anything not a letter, digit or
    whitespace), collapse runs of whitespace to one space. ``None`` stays ``None``.
    """
    if text is None:
        return None
    kept = "".join(ch if (ch.isalnum() or ch.isspace()) else " " for ch in text.lower())
    return " ".join(kept.split())


def _fmt_ts(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_float(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def _page_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        base = f"{rng.choice(NAME_FIRST)}{rng.choice(['', '_', '.'])}{rng.choice(NAME_SECOND)}"
        base = base.replace(".", "")
        roll = rng.random()
        if roll < 0.12:
            name = f"{base}_paid"
        elif roll < 0.18:
            name = f"{base}_free"
        else:
            name = base
        if name in seen:
            name = f"{name}{len(names)}"
        seen.add(name)
        names.append(name)
    return names


def _caption_text(rng: random.Random) -> str:
    parts = [rng.choice(CAPTION_OPENERS), rng.choice(CAPTION_BODIES), rng.choice(CAPTION_CLOSERS)]
    text = f"{parts[0].capitalize()}! {parts[1]}, {parts[2]}"
    if rng.random() < 0.5:
        text += f" #{rng.randint(1, 999)}"
    return text


def _perturb(rng: random.Random, text: str) -> str:
    """Change case, punctuation, symbols and spacing without changing the normal form."""
    out = text
    roll = rng.random()
    if roll < 0.3:
        out = out.upper()
    elif roll < 0.5:
        out = out.lower()
    if rng.random() < 0.6:
        out = out + rng.choice(PERTURB_SYMBOLS)
    if rng.random() < 0.4:
        out = "  " + out.replace(" ", "  ", 1) + " "
    if rng.random() < 0.2:
        out = out.replace(",", " ,").replace("!", "!!")
    return out


def generate(config: GenerationConfig, out_dir: Path) -> GenerationManifest:
    """Write the source tables as CSV files under ``out_dir``.

    Args:
        config: what to generate (see :class:`GenerationConfig`).
        out_dir: folder for ``<table>.csv`` files and ``manifest.json``; created if missing.

    Returns:
        The :class:`GenerationManifest` of planted figures (also written as JSON).

    Raises:
        ValueError: when a count is out of range (pages < 1, days < 1, captions < 50,
            invalid_pages + inactive_pages > pages).
    """
    if config.pages < 1:
        raise ValueError(f"pages must be at least 1, got {config.pages}")
    if config.days < 1:
        raise ValueError(f"days must be at least 1, got {config.days}")
    if config.captions < 50:
        raise ValueError(f"captions must be at least 50, got {config.captions}")
    inactive_count = (
        config.inactive_pages if config.inactive_pages is not None
        else max(1, round(config.pages * 0.05)) if config.pages >= 10 else 0
    )
    if config.invalid_pages + inactive_count > config.pages:
        raise ValueError(
            f"invalid_pages ({config.invalid_pages}) + inactive_pages ({inactive_count}) "
            f"exceed pages ({config.pages})"
        )

    rng = random.Random(config.seed)
    exec_date = config.resolved_execution_date()
    exec_midnight = dt.datetime(exec_date.year, exec_date.month, exec_date.day, tzinfo=LA)
    history_start = exec_midnight - dt.timedelta(days=config.days)
    # Weekly batches: the last load covered everything before the most recent Monday 00:00 LA
    # (on a Monday the previous week's batch has just landed).
    days_since_monday = exec_date.weekday()
    cutoff_date = exec_date - dt.timedelta(days=days_since_monday)
    batch_cutoff = dt.datetime(cutoff_date.year, cutoff_date.month, cutoff_date.day, tzinfo=LA)
    if not config.weekly_batches:
        batch_cutoff = exec_midnight
    now_utc = exec_midnight.astimezone(UTC)

    out_dir.mkdir(parents=True, exist_ok=True)

    # ---- caption bank -------------------------------------------------------------
    captions: list[dict[str, object]] = []
    texts: list[str] = []
    tiers = list(PRICE_TIER_AVERAGE)
    for index in range(config.captions):
        caption_id = 100000 + index
        if texts and rng.random() < 0.15:
            text = rng.choice(texts)  # the real bank repeats texts under several ids
        else:
            text = _caption_text(rng)
        texts.append(text)
        created = history_start - dt.timedelta(days=rng.randint(30, 600), seconds=rng.randint(0, 86399))
        captions.append({
            "caption_id": caption_id,
            "caption_text": text,
            "content_category": rng.choice(CONTENT_CATEGORIES),
            "price_tier": rng.choice(tiers),
            "has_urgency": "true" if rng.random() < 0.3 else "false",
            "usage_status": rng.choice(USAGE_STATUSES),
            "created_at": _fmt_ts(created),
            "updated_at": _fmt_ts(created + dt.timedelta(days=rng.randint(0, 30))),
        })
    # Bump texts live in the bank too, under the 'bump' tier.
    for offset, text in enumerate(BUMP_TEXTS):
        caption_id = 100000 + config.captions + offset
        created = history_start - dt.timedelta(days=400)
        captions.append({
            "caption_id": caption_id, "caption_text": text, "content_category": "tease",
            "price_tier": "bump", "has_urgency": "false", "usage_status": "available",
            "created_at": _fmt_ts(created), "updated_at": _fmt_ts(created),
        })
    ppv_captions = [c for c in captions if c["price_tier"] != "bump"]
    bank_normal_forms = {normalise_caption_text(str(c["caption_text"])) for c in captions}
    # Caption quality: heavy-tailed; most captions barely convert (DOMAIN.md: 63% never do).
    quality = {int(c["caption_id"]): rng.lognormvariate(-0.6, 1.1) for c in ppv_captions}

    # ---- pages ----------------------------------------------------------------------
    pages = _page_names(rng, config.pages)
    order = list(range(config.pages))
    rng.shuffle(order)
    inactive = {pages[i] for i in order[:inactive_count]}
    invalid = {pages[i] for i in order[inactive_count:inactive_count + config.invalid_pages]}
    page_scale: dict[str, float] = {}
    for name in pages:
        # Size class drives recipients and volume: most pages small, a few very large.
        page_scale[name] = min(12.0, rng.lognormvariate(0.0, 0.9))

    # ---- messages -------------------------------------------------------------------
    messages: list[dict[str, object]] = []
    invalid_by_reason: dict[str, int] = {}
    ppv_total = ppv_with_id = ppv_matchable = ppv_unmatchable = 0
    row_seq = 0

    def next_row_id() -> str:
        nonlocal row_seq
        row_seq += 1
        return f"m{config.seed}-{row_seq:08d}"

    for name in pages:
        scale = page_scale[name]
        recipients_base = int(rng.uniform(3000, 10000) * (scale if scale > 1 else 1.0))
        if scale > 4:
            recipients_base = max(recipients_base, int(rng.uniform(40000, 60000)))
        ppv_per_day = max(2, min(15, int(round(2 + scale * 3))))
        bumps_per_day = max(2, min(21, int(round(rng.uniform(2, 8) + scale * 2))))
        page_captions = rng.sample(ppv_captions, k=min(len(ppv_captions), rng.randint(60, 400)))
        last_active_day = config.days
        if name in inactive:
            # stop sending 35-80 days before the execution date
            last_active_day = max(0, config.days - rng.randint(35, 80))
        for day in range(last_active_day):
            day_start = history_start + dt.timedelta(days=day)
            slots = [("PPV", h) for h in range(ppv_per_day)] + [("Bump", h) for h in range(bumps_per_day)]
            for message_type, _ in slots:
                sending_local = day_start + dt.timedelta(
                    hours=rng.randint(6, 23), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
                )
                if sending_local >= batch_cutoff:
                    continue  # not loaded yet: arrives with the next weekly batch
                age_days = (batch_cutoff - sending_local).total_seconds() / 86400
                growth = 1.0 if age_days >= 3 else 0.6 + 0.13 * age_days
                sent = max(1, int(recipients_base * rng.uniform(0.85, 1.15)))
                caption_id: int | None
                if message_type == "PPV":
                    caption = rng.choice(page_captions)
                    caption_id = int(caption["caption_id"])
                    price_avg = PRICE_TIER_AVERAGE[str(caption["price_tier"])]
                    price = round(max(3.0, min(100.0, rng.gauss(price_avg, price_avg * 0.25))), 2)
                    views = int(sent * rng.uniform(0.19, 0.24) * growth)
                    rate = min(0.005, 0.0004 * quality[caption_id] * rng.uniform(0.5, 1.5))
                    purchases = _poisson(rng, views * rate)
                    earnings = round(purchases * price, 2)
                    purchased: float | None = float(purchases) if rng.random() < 0.6 else None
                    roll = rng.random()
                    ppv_total += 1
                    if roll < 0.10:
                        text = str(caption["caption_text"])
                        ppv_with_id += 1
                    elif roll < 0.97:
                        text = _perturb(rng, str(caption["caption_text"]))
                        caption_id = None
                        ppv_matchable += 1
                        if normalise_caption_text(text) != normalise_caption_text(str(caption["caption_text"])):  # pragma: no cover
                            raise AssertionError("a perturbation changed the caption's normal form")
                    else:
                        text = f"custom request for {name} number {rng.randint(1, 10**6)} ✨"
                        caption_id = None
                        ppv_unmatchable += 1
                        if normalise_caption_text(text) in bank_normal_forms:  # pragma: no cover
                            raise AssertionError("planted unmatchable text matches the bank")
                else:
                    text = _perturb(rng, rng.choice(BUMP_TEXTS))
                    caption_id = None
                    price = None
                    views = int(sent * rng.uniform(0.003, 0.08) * growth)
                    purchased = None
                    earnings = 0.0
                messages.append({
                    "row_id": next_row_id(),
                    "page_name": name,
                    "message": text,
                    "sending_time": sending_local,
                    "price": price,
                    "sent_count": sent,
                    "viewed_count": views,
                    "purchased_count": purchased,
                    "earnings": earnings,
                    "message_type": message_type,
                    "caption_id": caption_id,
                })

    # ---- invalid rows ---------------------------------------------------------------
    def plant(reason: str, row: dict[str, object]) -> None:
        invalid_by_reason[reason] = invalid_by_reason.get(reason, 0) + 1
        if row.get("message_type") == "PPV" and reason != "DUPLICATE_ROW_ID":
            # it no longer counts as a valid PPV message
            _unplant_ppv(row)

    def _unplant_ppv(row: dict[str, object]) -> None:
        nonlocal ppv_total, ppv_with_id, ppv_matchable, ppv_unmatchable
        ppv_total -= 1
        if row["caption_id"] is not None:
            ppv_with_id -= 1
        elif normalise_caption_text(str(row["message"])) in bank_normal_forms:
            ppv_matchable -= 1
        else:
            ppv_unmatchable -= 1

    reasons = ["VIEWED_GT_SENT", "PURCHASED_GT_VIEWED", "NEGATIVE_EARNINGS", "NEGATIVE_COUNT"]
    active_window_start = exec_midnight - dt.timedelta(days=30)
    for row in messages:
        page = str(row["page_name"])
        in_window = row["sending_time"] >= active_window_start  # type: ignore[operator]
        if page in invalid and in_window:
            make_invalid = rng.random() < 0.45
        else:
            make_invalid = rng.random() < config.invalid_row_share
        if not make_invalid:
            continue
        reason = rng.choice(reasons)
        plant(reason, row)
        if reason == "VIEWED_GT_SENT":
            row["viewed_count"] = int(row["sent_count"]) + rng.randint(1, 500)  # type: ignore[arg-type]
        elif reason == "PURCHASED_GT_VIEWED":
            row["purchased_count"] = float(int(row["viewed_count"]) + rng.randint(1, 50))  # type: ignore[arg-type]
        elif reason == "NEGATIVE_EARNINGS":
            row["earnings"] = -abs(float(row["earnings"]) or 5.0)  # type: ignore[arg-type]
        else:
            row["sent_count"] = -int(row["sent_count"])  # type: ignore[arg-type]
            row["viewed_count"] = 0

    # Rules that need extra rows: NULL page_name, future sending_time, duplicate row_id.
    extra: list[dict[str, object]] = []
    n_special = max(1, int(len(messages) * config.invalid_row_share / 4)) if messages else 0
    for _ in range(n_special):
        template = dict(rng.choice(messages))
        template["row_id"] = next_row_id()
        template["page_name"] = None
        invalid_by_reason["NULL_PAGE_NAME"] = invalid_by_reason.get("NULL_PAGE_NAME", 0) + 1
        extra.append(template)
    for _ in range(n_special):
        template = dict(rng.choice(messages))
        template["row_id"] = next_row_id()
        template["sending_time"] = now_utc + dt.timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 23))
        invalid_by_reason["FUTURE_SENDING_TIME"] = invalid_by_reason.get("FUTURE_SENDING_TIME", 0) + 1
        extra.append(template)
    for _ in range(n_special):
        original = rng.choice(messages)
        copy = dict(original)
        # an earlier snapshot of the same message: smaller counters, so it is the copy dropped
        copy["earnings"] = round(float(copy["earnings"]) * 0.5, 2) - 0.01  # type: ignore[arg-type]
        copy["viewed_count"] = max(0, int(copy["viewed_count"]) - 1)  # type: ignore[arg-type]
        invalid_by_reason["DUPLICATE_ROW_ID"] = invalid_by_reason.get("DUPLICATE_ROW_ID", 0) + 1
        extra.append(copy)
    messages.extend(extra)
    rng.shuffle(messages)

    # ---- locks ----------------------------------------------------------------------
    locks: list[dict[str, object]] = []
    for name in pages:
        if name in inactive:
            continue
        scale = page_scale[name]
        tier_cap = _default_cap_guess(scale)
        # fill factor of the next 7 days: 0 (empty) to 1.3 (over-full)
        fill = rng.choice([0.0, 0.1, 0.3, 0.5, 0.7, 0.75, 0.85, 0.95, 1.0, 1.2])
        for day_offset in range(-9, 10):
            send_date = exec_date + dt.timedelta(days=day_offset)
            per_day = int(round(tier_cap * (fill if day_offset >= 0 else rng.uniform(0.6, 1.0))))
            if day_offset >= 7:
                per_day = int(per_day * 0.3)
            for slot in range(per_day):
                caption = rng.choice(ppv_captions)
                hour = (8 + slot) % 24
                assigned_at = dt.datetime(send_date.year, send_date.month, send_date.day, tzinfo=LA) - dt.timedelta(
                    days=rng.randint(1, 6), hours=rng.randint(0, 12)
                )
                active = day_offset >= -2 or rng.random() < 0.2
                locks.append(_lock_row(name, caption, send_date, hour, assigned_at, active, exec_midnight))
        # a few locks with no send date
        for _ in range(rng.randint(0, 3)):
            caption = rng.choice(ppv_captions)
            assigned_at = exec_midnight - dt.timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 20))
            locks.append(_lock_row(name, caption, None, rng.randint(0, 23), assigned_at, True, exec_midnight))

    # ---- settings -------------------------------------------------------------------
    settings: list[dict[str, object]] = []
    if config.with_settings:
        for name in pages:
            settings.append({
                "page_name": name,
                "time_zone": "America/Los_Angeles" if rng.random() < 0.7 else "America/New_York",
                "page_type": "paid" if not name.endswith("_free") else "free",
                "daily_send_cap": "",
                "is_active": "true",
            })

    _write_csv(out_dir / "caption_bank.csv", CAPTION_BANK_COLUMNS, captions)
    _write_csv(out_dir / "mass_messages.csv", MASS_MESSAGES_COLUMNS, [_message_out(m) for m in messages])
    _write_csv(out_dir / "active_caption_assignments.csv", ASSIGNMENT_COLUMNS, locks)
    if config.with_settings:
        _write_csv(out_dir / "page_settings.csv", PAGE_SETTINGS_COLUMNS, settings)

    manifest = GenerationManifest(
        execution_date=exec_date.isoformat(),
        batch_cutoff_utc=_fmt_ts(batch_cutoff),
        row_counts={
            "mass_messages": len(messages),
            "caption_bank": len(captions),
            "active_caption_assignments": len(locks),
            **({"page_settings": len(settings)} if config.with_settings else {}),
        },
        pages=sorted(pages),
        inactive_pages=sorted(inactive),
        invalid_pages=sorted(invalid),
        invalid_rows_by_reason=dict(sorted(invalid_by_reason.items())),
        ppv_messages=ppv_total,
        ppv_with_caption_id=ppv_with_id,
        ppv_text_matchable=ppv_matchable,
        ppv_unmatchable=ppv_unmatchable,
    )
    (out_dir / "manifest.json").write_text(manifest.to_json())
    return manifest


def _default_cap_guess(scale: float) -> int:
    # Rough daily cap for lock placement; the pipeline derives the real cap from revenue.
    if scale < 0.6:
        return 8
    if scale < 1.5:
        return 10
    if scale < 4:
        return 15
    return 22


def _lock_row(
    page: str,
    caption: dict[str, object],
    send_date: dt.date | None,
    hour: int,
    assigned_at: dt.datetime,
    active: bool,
    exec_midnight: dt.datetime,
) -> dict[str, object]:
    key_source = f"{page}|{caption['caption_id']}|{send_date.isoformat() if send_date else ''}|{hour}"
    assigned_local = assigned_at.astimezone(LA)
    deactivated_at = ""
    reason = ""
    if not active:
        deactivated_at = _fmt_ts(exec_midnight - dt.timedelta(hours=6))
        reason = "PAST_SEND_DATE"
    return {
        "assignment_key": hashlib.md5(key_source.encode()).hexdigest(),
        "page_name": page,
        "caption_id": caption["caption_id"],
        "caption_text": caption["caption_text"],
        "assigned_date": assigned_local.date().isoformat(),
        "scheduled_send_date": send_date.isoformat() if send_date else "",
        "scheduled_send_hour": hour,
        "price_tier": caption["price_tier"],
        "is_active": "true" if active else "false",
        "assigned_at": _fmt_ts(assigned_at),
        "schedule_id": f"sch-{page}-{send_date.isoformat() if send_date else 'none'}",
        "deactivated_at": deactivated_at,
        "deactivation_reason": reason,
    }


def _message_out(row: dict[str, object]) -> dict[str, object]:
    out = dict(row)
    out["sending_time"] = _fmt_ts(row["sending_time"])  # type: ignore[arg-type]
    out["price"] = _fmt_float(row["price"])  # type: ignore[arg-type]
    out["purchased_count"] = _fmt_float(row["purchased_count"])  # type: ignore[arg-type]
    out["earnings"] = _fmt_float(row["earnings"])  # type: ignore[arg-type]
    out["page_name"] = "" if row["page_name"] is None else row["page_name"]
    out["caption_id"] = "" if row["caption_id"] is None else row["caption_id"]
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    limit = math.exp(-mean)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
