"""Cron slots on a time zone's wall clock, daylight saving included (pure functions).

A job's cron expression is read on the WALL CLOCK of its zone (``5 3 * * *`` in
America/Los_Angeles is 03:05 LA every day, whatever the UTC offset). croniter walks the
wall clock as naive datetimes (no offsets involved), and :func:`wall_to_instants` turns
each wall time into the UTC instants it denotes. The two daylight-saving edge cases follow
the rule of Vixie cron, the cron of most Linux systems (cron(8), "Daylight Saving Time"):

* **Spring forward** (a wall time that does not exist, e.g. 02:30 on 2026-03-08 in LA): the
  slot is shifted forward by the length of the gap (02:30 -> 03:30 PDT, Python's PEP 495
  reading with ``fold=0``). Two wall times that land on the same instant are one slot:
  an hourly job has 23 slots on that LA day (02:00 and 03:00 are both 03:00 PDT).
* **Fall back** (a wall time that happens twice, e.g. 01:30 on 2026-11-01 in LA): a job
  whose hour field is ``*`` runs at both instants (an hourly job has 25 slots that day);
  any other job runs once, at the first instant (PDT). So the daily job runs exactly once
  per LA day at 03:05 LA.

Slot instants are aware UTC datetimes. Assumes a zone's offset changes by at most
:data:`MAX_OFFSET_JUMP` at a time (true of every zone since 2012).
"""

from __future__ import annotations

import bisect
import datetime as dt
from zoneinfo import ZoneInfo

from croniter import croniter

UTC = dt.UTC
# Largest change of a zone's UTC offset at one transition that the enumeration allows for.
MAX_OFFSET_JUMP = dt.timedelta(hours=3)


def hour_is_wildcard(cron: str) -> bool:
    """True when the hour field is ``*``: such a job runs in both occurrences of a repeated
    (fall-back) hour, like Vixie cron's "wildcard" jobs."""
    return cron.split()[1] == "*"


def wall_to_instants(wall: dt.datetime, zone: ZoneInfo, both_in_fold: bool) -> list[dt.datetime]:
    """The UTC instants a naive wall-clock time denotes in ``zone``.

    Args:
        wall: naive local time.
        zone: the time zone.
        both_in_fold: for a time that happens twice (fall back), return both instants
            (True) or only the first (False).

    Returns:
        One instant (normal time; a nonexistent time shifted forward by the gap), or two
        (repeated time with ``both_in_fold``), aware UTC, ascending.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != wall:
        return [first]  # in a spring-forward gap: fold=0 reads it with the offset before the gap
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second != first and both_in_fold:
        return [first, second]
    return [first]


def _wall(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _margin(zone: ZoneInfo, *instants: dt.datetime) -> dt.timedelta:
    """How far around the wall-clock bounds the walk must look: MAX_OFFSET_JUMP when the
    zone's offset changes within that distance of any bound, else one minute (cron's
    resolution). Keeps the common case fast without missing slots near a transition."""
    for instant in instants:
        if (instant - MAX_OFFSET_JUMP).astimezone(zone).utcoffset() != (instant + MAX_OFFSET_JUMP).astimezone(zone).utcoffset():
            return MAX_OFFSET_JUMP
    return dt.timedelta(minutes=1)


def _require_aware(*values: dt.datetime) -> None:
    for value in values:
        if value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got naive {value.isoformat()}")


def slots_between(cron: str, zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Slot instants ``s`` with ``start < s <= end``.

    Args:
        cron: 5-field cron expression (wall clock of ``zone``).
        zone: the job's time zone.
        start: exclusive lower bound (aware).
        end: inclusive upper bound (aware).

    Returns:
        Aware UTC instants, ascending, without duplicates (module docstring for DST).

    Raises:
        ValueError: naive bounds.
    """
    _require_aware(start, end)
    both = hour_is_wildcard(cron)
    margin = _margin(zone, start, end)
    wall_end = _wall(end, zone) + margin
    walk = croniter(cron, _wall(start, zone) - margin)
    found: set[dt.datetime] = set()
    while True:
        wall = walk.get_next(dt.datetime)
        if wall > wall_end:
            break
        found.update(u for u in wall_to_instants(wall, zone, both) if start < u <= end)
    return sorted(found)


# Slots of a recent window per (cron, zone): (lo, hi, slots in (lo, hi]). A runner (or a
# simulation) asks for the latest slot again and again; bisecting a window computed once by
# slots_between gives the same answer as walking cron backwards, much faster.
_WINDOWS: dict[tuple[str, str], tuple[dt.datetime, dt.datetime, list[dt.datetime]]] = {}
WINDOW_SPAN = dt.timedelta(days=8)


def latest_slot(cron: str, zone: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """The most recent slot at or before ``now`` (aware UTC).

    Raises:
        ValueError: naive ``now``.
    """
    _require_aware(now)
    key = (cron, zone.key)
    window = _WINDOWS.get(key)
    if window is None or not window[0] < now <= window[1]:
        lo = now - dt.timedelta(days=1)
        window = (lo, lo + WINDOW_SPAN, slots_between(cron, zone, lo, lo + WINDOW_SPAN))
        _WINDOWS[key] = window
    lo, _, found = window
    index = bisect.bisect_right(found, now)
    if index > 0:
        return found[index - 1]
    return _latest_slot_walk(cron, zone, now)


def _latest_slot_walk(cron: str, zone: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """latest_slot by walking cron backwards (slots older than the cached window)."""
    both = hour_is_wildcard(cron)
    now_wall = _wall(now, zone)
    margin = _margin(zone, now)
    walk = croniter(cron, now_wall + margin)
    best: dt.datetime | None = None
    while True:
        wall = walk.get_prev(dt.datetime)
        for instant in wall_to_instants(wall, zone, both):
            if instant <= now and (best is None or instant > best):
                best = instant
        if best is not None and wall < now_wall - margin:
            return best


def next_slots(cron: str, zone: ZoneInfo, after: dt.datetime, count: int) -> list[dt.datetime]:
    """The first ``count`` slots strictly after ``after`` (aware UTC, ascending)."""
    _require_aware(after)
    span = dt.timedelta(days=2)
    while True:
        found = slots_between(cron, zone, after, after + span)
        if len(found) >= count or span > dt.timedelta(days=4 * 366):
            return found[:count]
        span *= 4


def slot_label(instant: dt.datetime, zone: ZoneInfo) -> str:
    """``2026-03-08 03:05 PDT (10:05 UTC)``: a slot in its zone and in UTC."""
    local = instant.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({instant.astimezone(UTC):%H:%M} UTC)"
