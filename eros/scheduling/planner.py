"""What is due for one job, given the attempts recorded for it (pure function).

Rules (README "Operations: schedules"):

* **Slots**: a job's slots are its cron times on its zone's wall clock
  (:mod:`eros.scheduling.slots`). At time ``now`` only the **latest slot at or before now**
  is considered.
* **Catch-up**: when the runner was down and several slots passed since the last recorded
  one, only the latest is run; the older ones are skipped (counted in ``missed_slots``, not
  recorded). A late run of the daily job therefore runs today's date once, not every
  missed day; an hourly sweep runs once, not 24 times.
* **Never the same slot twice**: a slot with a recorded attempt is never started again
  except as the next attempt of a failed one. Attempts are keyed (job, slot, attempt) in
  ``scheduled_job_runs``, so two runners cannot start the same attempt.
* **Retries**: a FAILED / TIMED_OUT / ABANDONED attempt ``n`` of a job with ``retries`` r is
  followed by attempt ``n + 1`` when ``n <= r``, no earlier than ``retry_delay_seconds``
  after attempt ``n`` finished, on the first run-due call after that (run-due does not
  sleep: call it every few minutes). When a newer slot arrives the older slot's remaining
  retries are dropped (the new slot supersedes it).
* **Abandoned attempts**: an attempt still RUNNING ``timeout_seconds`` + :data:`ABANDON_GRACE`
  after it started (its runner was killed) is ABANDONED and counts as failed; at once when
  its runner is known to be gone (a runner of this machine whose process no longer exists:
  its step died with it, or the next runner killed it, so it cannot finish the slot).
* A WARNING attempt (the job ran and recorded ``COMPLETED_WITH_ERRORS``: some pages failed
  validation) is final, like SUCCEEDED: a retry would meet the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from eros.scheduling.config import ScheduledJob
from eros.scheduling.slots import latest_slot, slots_between

# Attempt statuses in scheduled_job_runs.
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
WARNING = "WARNING"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
ABANDONED = "ABANDONED"
FINAL_OK = frozenset({SUCCEEDED, WARNING})
RETRYABLE = frozenset({FAILED, TIMED_OUT, ABANDONED})
ATTEMPT_STATUSES = (RUNNING, SUCCEEDED, WARNING, FAILED, TIMED_OUT, ABANDONED)
# How long after its timeout a RUNNING attempt is considered abandoned (its runner died).
ABANDON_GRACE = dt.timedelta(minutes=5)

# Decisions.
RUN = "RUN"  # start attempt `attempt` of `slot`
WAIT_RETRY = "WAIT_RETRY"  # attempt failed; the next one is not before `not_before`
IN_PROGRESS = "IN_PROGRESS"  # another runner is running the attempt
DONE = "DONE"  # the latest slot finished (ok, warning, or failed for good)


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One recorded attempt (a row of ``scheduled_job_runs``).

    Attributes:
        run_id: ``<job>@<slot UTC>#<attempt>``.
        job: schedule key.
        slot_time: the slot instant (aware UTC).
        attempt: 1-based.
        status: one of :data:`ATTEMPT_STATUSES`.
        runner_id: who claimed it.
        started_at: when it was claimed (aware UTC, runner clock).
        finished_at: when it ended (aware UTC), None while RUNNING.
    """

    run_id: str
    job: str
    slot_time: dt.datetime
    attempt: int
    status: str
    runner_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Decision:
    """What run-due should do for a job now.

    Attributes:
        job: schedule key.
        action: RUN, WAIT_RETRY, IN_PROGRESS or DONE.
        slot: the latest slot at or before now (aware UTC).
        attempt: the attempt to run (RUN) or the latest recorded one.
        not_before: earliest start of the next attempt (WAIT_RETRY).
        status: latest attempt's status (DONE, IN_PROGRESS, WAIT_RETRY).
        runner_id: the runner holding the attempt (IN_PROGRESS).
        missed_slots: slots skipped by the catch-up rule (between the last recorded slot
            and ``slot``).
        abandon: run_id of a RUNNING attempt to mark ABANDONED before running.
    """

    job: str
    action: str
    slot: dt.datetime
    attempt: int
    not_before: dt.datetime | None = None
    status: str | None = None
    runner_id: str | None = None
    missed_slots: int = 0
    abandon: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = dataclasses.asdict(self)
        for key in ("slot", "not_before"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        return out


def run_id(job: str, slot: dt.datetime, attempt: int) -> str:
    """Primary key of an attempt: ``daily@2026-03-08T10:05Z#1``."""
    return f"{job}@{slot.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}#{attempt}"


def plan(job: ScheduledJob, now: dt.datetime, attempts: Sequence[Attempt], last_recorded_slot: dt.datetime | None,
         slot: dt.datetime | None = None, runner_gone: Callable[[str], bool] | None = None) -> Decision:
    """Decide what to do for ``job`` at ``now``.

    Args:
        job: the schedule.
        now: the runner's clock (aware).
        attempts: recorded attempts of ``job`` for its latest slot (other slots ignored).
        last_recorded_slot: the newest slot with any recorded attempt (for the missed count).
        slot: ``latest_slot(job, now)`` when the caller already has it.
        runner_gone: tells whether a runner id is known to be gone (its RUNNING attempt is
            then abandoned now rather than after its timeout).

    Returns:
        The :class:`Decision` (rules in the module docstring).
    """
    slot = slot or latest_slot(job.cron, job.zone, now)
    mine = sorted((a for a in attempts if a.slot_time == slot), key=lambda a: a.attempt)
    if not mine:
        missed = 0
        if last_recorded_slot is not None and last_recorded_slot < slot:
            missed = len(slots_between(job.cron, job.zone, last_recorded_slot, slot)) - 1
        return Decision(job.key, RUN, slot, 1, missed_slots=max(missed, 0))
    last = mine[-1]
    if last.status in FINAL_OK:
        return Decision(job.key, DONE, slot, last.attempt, status=last.status)
    abandon = None
    finished = last.finished_at
    if last.status == RUNNING:
        deadline = last.started_at + dt.timedelta(seconds=job.timeout_seconds) + ABANDON_GRACE
        if runner_gone is not None and runner_gone(last.runner_id):
            deadline = min(deadline, now)
        if now < deadline:
            return Decision(job.key, IN_PROGRESS, slot, last.attempt, status=RUNNING, runner_id=last.runner_id)
        abandon, finished = last.run_id, deadline
    if last.attempt >= job.max_attempts:
        return Decision(job.key, DONE, slot, last.attempt, status=ABANDONED if abandon else last.status, abandon=abandon)
    not_before = (finished or last.started_at) + dt.timedelta(seconds=job.retry_delay_seconds)
    if now < not_before:
        return Decision(job.key, WAIT_RETRY, slot, last.attempt, not_before=not_before, status=ABANDONED if abandon else last.status, abandon=abandon)
    return Decision(job.key, RUN, slot, last.attempt + 1, status=last.status, abandon=abandon)
