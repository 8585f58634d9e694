"""Regenerate seeds/iana_time_zones.csv from the IANA database shipped with Python.

Usage: python scripts/make_time_zone_seed.py

The seed is the reference list against which per-page settings are validated
(DOMAIN.md: "invalid settings (unknown time zone ...)"). It is committed so that both
engines validate against the same list.
"""

from __future__ import annotations

import csv
import zoneinfo
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "seeds" / "iana_time_zones.csv"


def main() -> None:
    """Write one row per IANA zone name, sorted, header `time_zone`."""
    names = sorted(n for n in zoneinfo.available_timezones() if not n.startswith(("posix/", "right/")))
    with OUT.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time_zone"])
        for name in names:
            writer.writerow([name])
    print(f"wrote {len(names)} zones to {OUT}")


if __name__ == "__main__":
    main()
