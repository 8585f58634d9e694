"""Writes a simulated world's messages into a DuckDB warehouse in the real source schema
(DOMAIN.md "Source tables"): ``raw.caption_bank``, ``raw.mass_messages`` and an empty
``raw.active_caption_assignments``, loaded with :func:`eros.loaders.load_duckdb` (which
also records ``raw.eros_load_log``), so the caption-performance job reads them exactly as
it reads a user's tables.

Like real data, most messages carry no ``caption_id`` (about 9% do): the others are
attributed by their text, which is sent with case, punctuation and emoji variations that
normalisation removes. Optional realism (``late=True``): messages are loaded in batches at
each refresh, the counters of the last ``GROWTH_DAYS`` days are loaded partially grown
(views, purchases and earnings keep growing for days, DOMAIN.md) and replaced by their
final values at the next load.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from eros.generate import ASSIGNMENT_COLUMNS, CAPTION_BANK_COLUMNS, MASS_MESSAGES_COLUMNS
from eros.loaders import load_duckdb
from eros.simulate.world import World

LA = ZoneInfo("America/Los_Angeles")
CAPTION_ID_SHARE = 0.09
GROWTH_DAYS = 3
SOURCE_SCHEMA = "raw"


def sending_time(day: dt.date, slot: int, per_day: int) -> dt.datetime:
    """UTC send time of the ``slot``-th PPV of an LA ``day``: spread over 10:00-22:00 LA."""
    minutes = 600 + (720 * slot) // max(1, per_day)
    local = dt.datetime(day.year, day.month, day.day, tzinfo=LA) + dt.timedelta(minutes=minutes)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def message_text(rng: random.Random, text: str) -> str:
    """The caption as a page sends it: the bank text or a variant that normalises to it."""
    variant = rng.random()
    if variant < 0.4:
        return text
    if variant < 0.6:
        return text.upper()
    if variant < 0.8:
        return f"{text} \U0001F525\U0001F525"
    return f"  {text.lower()}!! "


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in columns})


class SimWarehouse:
    """One policy's warehouse: a DuckDB file whose source schema receives the messages the
    policy's builder sent. ``pending`` rows are buffered until :meth:`load`."""

    def __init__(self, path: Path, world: World, *, late: bool = False) -> None:
        self.path = path
        self.world = world
        self.late = late
        self.pending: list[dict[str, Any]] = []
        self.partial: list[dict[str, Any]] = []  # rows loaded with partly grown counters
        self._seq = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        bank = [
            {"caption_id": c.caption_id, "caption_text": c.text, "content_category": c.category,
             "price_tier": c.price_tier, "has_urgency": "false",
             "usage_status": "available" if c.caption_id % 5 else "moderate_recency",
             "created_at": "2025-01-01 00:00:00", "updated_at": "2025-01-01 00:00:00"}
            for c in world.captions
        ]
        self._load({"caption_bank": (CAPTION_BANK_COLUMNS, bank), "active_caption_assignments": (ASSIGNMENT_COLUMNS, [])},
                   mode="replace")
        self._load({"mass_messages": (MASS_MESSAGES_COLUMNS, [])}, mode="replace")

    def copy(self, path: Path) -> SimWarehouse:
        """A copy of this warehouse (file and buffered rows) at ``path``."""
        import copy as _copy
        import shutil

        shutil.copyfile(self.path, path)
        twin = _copy.copy(self)
        twin.path = path
        twin.pending = list(self.pending)
        twin.partial = list(self.partial)
        return twin

    def _load(self, tables: dict[str, tuple[list[str], list[dict[str, Any]]]], mode: str) -> None:
        with tempfile.TemporaryDirectory(prefix="eros_sim_load_", dir=self.path.parent) as folder:
            for name, (columns, rows) in tables.items():
                _write_csv(Path(folder) / f"{name}.csv", columns, rows)
            load_duckdb(self.path, Path(folder), schema=SOURCE_SCHEMA, tables=list(tables), mode=mode)

    def record(self, rng: random.Random, page_name: str, day: dt.date, slot: int, caption_id: int | None,
               *, text: str | None = None) -> dict[str, Any]:
        """Send one PPV message (outcome drawn from the world) and buffer its row.

        ``caption_id`` None with ``text``: a custom caption outside the bank (never matched;
        it still feeds the page's activity). Returns the row.
        """
        page = next(p for p in self.world.pages if p.name == page_name)
        self._seq += 1
        if caption_id is None:
            sent = max(1, int(round(page.recipients * rng.uniform(0.9, 1.1))))
            outcome = {"sent": sent, "viewed": int(sent * 0.2), "purchases": 0, "price": 9.99, "earnings": 0.0}
            message, source_id = text or f"custom message {self._seq}", None
        else:
            outcome = self.world.outcome(rng, page, caption_id)
            message = message_text(rng, self.world.by_id[caption_id].text)
            source_id = caption_id if rng.random() < CAPTION_ID_SHARE else None
        row = {
            "row_id": f"sim-{page_name}-{day.isoformat()}-{slot}-{self._seq}",
            "page_name": page_name,
            "message": message,
            "sending_time": sending_time(day, slot, self.world.config.ppv_per_day).strftime("%Y-%m-%d %H:%M:%S"),
            "price": outcome["price"],
            "sent_count": outcome["sent"],
            "viewed_count": outcome["viewed"],
            # purchased_count is often NULL in real data: the job then uses earnings / price
            "purchased_count": outcome["purchases"] if rng.random() < 0.5 else None,
            "earnings": outcome["earnings"],
            "message_type": "PPV",
            "caption_id": source_id,
            "_day": day,
        }
        self.pending.append(row)
        return row

    def load(self, today: dt.date) -> int:
        """Load the buffered rows (messages sent before ``today``) into raw.mass_messages.

        With ``late``, rows of the last GROWTH_DAYS days before ``today`` are loaded with
        half-grown counters and corrected at the next load. Returns rows inserted.
        """
        rows = self.pending
        self.pending = []
        if self.partial:
            with duckdb.connect(str(self.path)) as con:
                ids = [r["row_id"] for r in self.partial]
                con.execute(f'delete from "{SOURCE_SCHEMA}".mass_messages where row_id in (select unnest(?))', [ids])
            rows = self.partial + rows
            self.partial = []
        out = []
        for row in rows:
            if self.late and (today - row["_day"]).days <= GROWTH_DAYS:
                young = dict(row)
                young["viewed_count"] = row["viewed_count"] // 2
                young["earnings"] = round(row["earnings"] / 2, 2)
                if row["purchased_count"] is not None:
                    young["purchased_count"] = row["purchased_count"] // 2
                    young["earnings"] = round(young["purchased_count"] * row["price"], 2)
                out.append(young)
                self.partial.append(row)
            else:
                out.append(row)
        if out:
            self._load({"mass_messages": (MASS_MESSAGES_COLUMNS, out)}, mode="append")
        return len(out)
