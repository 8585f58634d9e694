"""Where run-due records attempts: the warehouse table ``scheduled_job_runs`` (through the
run-operations of macros/scheduling/schedule_runs.sql), or memory (tests, simulations).

Both stores implement the same small interface used by :mod:`eros.scheduling.runner`:
``state``, ``claim``, ``finish`` and ``abandon``. All times are aware UTC datetimes.

DuckDB allows one writer process at a time: a dbt step that finds the file locked by
another process is retried (:data:`LOCK_ERROR_MARKERS`) for up to ``wait_seconds``,
so a second runner waits for its turn instead of failing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from eros.dbt_invoke import DbtRun, first_error_line, invoke
from eros.errors import ErosRunError
from eros.scheduling.planner import RUNNING, Attempt

NEEDS_BUILD_MARKER = "EROS_SCHEDULE_NEEDS_BUILD"
# Errors of a dbt step that met another process's DuckDB file lock.
LOCK_ERROR_MARKERS = ("Could not set lock on file", "Conflicting lock is held")
DEFAULT_WAIT_SECONDS = 600.0
TS_FORMAT = "%Y-%m-%d %H:%M:%S"


def ts_text(value: dt.datetime) -> str:
    """An aware datetime as the 'YYYY-MM-DD HH:MM:SS' UTC text the macros read."""
    return value.astimezone(dt.UTC).strftime(TS_FORMAT)


def parse_ts(text: str | None) -> dt.datetime | None:
    """A timestamp from the warehouse ('2026-03-08 10:05:00' or with an offset) as aware UTC."""
    if text in (None, ""):
        return None
    value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclasses.dataclass
class State:
    """What the store holds for the slots asked for.

    Attributes:
        attempts: attempts of the (job, slot) pairs asked for.
        last_slots: newest recorded slot per job.
        table_exists: False before the first claim created the table.
    """

    attempts: list[Attempt]
    last_slots: dict[str, dt.datetime]
    table_exists: bool = True


@dataclasses.dataclass
class Claim:
    """Result of a claim: ``won`` and the row as stored (its ``runner_id`` is the owner)."""

    won: bool
    owner: str | None
    row: dict[str, Any] | None


class Store(Protocol):
    """The record of scheduled attempts."""

    def state(self, slots: Sequence[tuple[str, dt.datetime]]) -> State: ...

    def claim(self, attempt: Attempt, job_step: str, slot_local: str) -> Claim: ...

    def finish(self, run_id: str, runner_id: str, status: str, finished: dt.datetime, *, exit_code: int | None, job_id: str | None,
               job_status: str | None, message: str | None, alert: Mapping[str, str] | None) -> None: ...

    def abandon(self, run_id: str, finished: dt.datetime, message: str, alert: Mapping[str, str] | None) -> None: ...


def _attempt_from_row(row: Mapping[str, Any]) -> Attempt:
    slot = parse_ts(row["slot_time"])
    started = parse_ts(row["started_at"])
    assert slot is not None and started is not None
    return Attempt(
        run_id=str(row["run_id"]),
        job=str(row["job"]),
        slot_time=slot,
        attempt=int(row["attempt"]),
        status=str(row["status"]),
        runner_id=str(row["runner_id"]),
        started_at=started,
        finished_at=parse_ts(row.get("finished_at")),
    )


class WarehouseStore:
    """``scheduled_job_runs`` in the target warehouse, through dbt run-operations.

    Args:
        project: dbt project directory.
        target: profile target.
        wait_seconds: how long a step retries while another process holds the DuckDB file.
    """

    def __init__(self, project: Path, target: str, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        self.project = project
        self.target = target
        self.wait_seconds = wait_seconds
        self.alerts_exist = False
        self.lock_waits = 0

    def _dbt(self, args: list[str]) -> DbtRun:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            run = invoke(args, project=self.project, target=self.target)
            busy = not run.ok and any(marker in text for text in run.errors for marker in LOCK_ERROR_MARKERS)
            if not busy:
                return run
            if time.monotonic() > deadline:
                raise ErosRunError(f"the warehouse stayed locked by another process for {self.wait_seconds:.0f} s: {first_error_line(run)}")
            self.lock_waits += 1
            time.sleep(random.uniform(0.5, 2.0))

    def _operation(self, macro: str, args: Mapping[str, Any], key: str) -> dict[str, Any]:
        import json

        run = self._dbt(["run-operation", macro, "--args", json.dumps(dict(args), default=str)])
        if not run.ok and any(NEEDS_BUILD_MARKER in text for text in run.errors):
            self.build_table()
            run = self._dbt(["run-operation", macro, "--args", json.dumps(dict(args), default=str)])
        for payload in reversed(run.payloads):
            if key in payload:
                return payload[key]
        raise ErosRunError(f"{macro} failed: {first_error_line(run) or 'no result'}")

    def build_table(self) -> None:
        """Create ``scheduled_job_runs`` (and ``automation_alerts`` when missing, for the
        scheduler's alerts) with ``dbt run --select``.

        Raises:
            ErosRunError: when dbt cannot build them.
        """
        models = ["scheduled_job_runs"] + ([] if self.alerts_exist else ["automation_alerts"])
        run = self._dbt(["run", "--select", *models])
        if not run.ok:
            raise ErosRunError(f"could not create {', '.join(models)}: {first_error_line(run)}")
        self.alerts_exist = True

    def state(self, slots: Sequence[tuple[str, dt.datetime]]) -> State:
        """Attempts of the given (job, slot) pairs and the newest recorded slot per job."""
        payload = self._operation("eros_schedule_state", {"slots": [{"job": j, "slot": ts_text(s)} for j, s in slots]}, "schedule_state")
        self.alerts_exist = bool(payload.get("alerts_exist"))
        last = {job: parse_ts(value) for job, value in (payload.get("last_slots") or {}).items()}
        return State(
            attempts=[_attempt_from_row(row) for row in payload.get("attempts", [])],
            last_slots={job: value for job, value in last.items() if value is not None},
            table_exists=bool(payload.get("exists")),
        )

    def claim(self, attempt: Attempt, job_step: str, slot_local: str) -> Claim:
        """MERGE the attempt's row (status RUNNING) and read back who owns it."""
        payload = self._operation("eros_schedule_claim", {
            "run_id": attempt.run_id, "job": attempt.job, "slot": ts_text(attempt.slot_time), "attempt": attempt.attempt,
            "runner_id": attempt.runner_id, "started": ts_text(attempt.started_at), "job_step": job_step, "slot_local": slot_local,
        }, "schedule_claim")
        row = payload.get("row")
        return Claim(won=bool(payload.get("won")), owner=(row or {}).get("runner_id"), row=row)

    def finish(self, run_id: str, runner_id: str, status: str, finished: dt.datetime, *, exit_code: int | None, job_id: str | None,
               job_status: str | None, message: str | None, alert: Mapping[str, str] | None) -> None:
        """Record the attempt's outcome (only the owner's row is updated) and raise ``alert``."""
        self._operation("eros_schedule_finish", {
            "run_id": run_id, "runner_id": runner_id, "status": status, "finished": ts_text(finished), "exit_code": exit_code,
            "job_id": job_id, "job_status": job_status, "message": message, "alert": dict(alert) if alert else None,
        }, "schedule_finish")

    def abandon(self, run_id: str, finished: dt.datetime, message: str, alert: Mapping[str, str] | None) -> None:
        """Mark a RUNNING attempt whose runner died as ABANDONED."""
        self._operation("eros_schedule_abandon", {
            "run_id": run_id, "finished": ts_text(finished), "message": message, "alert": dict(alert) if alert else None,
        }, "schedule_abandon")


class MemoryStore:
    """The same record in memory (pure tests and the year simulation); indexed by
    (job, slot) so a simulated year stays fast."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.by_slot: dict[tuple[str, dt.datetime], list[str]] = {}
        self.last_slots: dict[str, dt.datetime] = {}
        self.alerts: list[dict[str, str]] = []

    def state(self, slots: Sequence[tuple[str, dt.datetime]]) -> State:
        """See :meth:`WarehouseStore.state`."""
        attempts = [self._attempt(self.rows[r]) for key in slots for r in self.by_slot.get(key, [])]
        last = {job: self.last_slots[job] for job, _ in slots if job in self.last_slots}
        return State(sorted(attempts, key=lambda a: (a.job, a.attempt)), last, table_exists=True)

    @staticmethod
    def _attempt(row: Mapping[str, Any]) -> Attempt:
        return Attempt(row["run_id"], row["job"], row["slot_time"], row["attempt"], row["status"], row["runner_id"],
                       row["started_at"], row["finished_at"])

    def claim(self, attempt: Attempt, job_step: str, slot_local: str) -> Claim:
        """See :meth:`WarehouseStore.claim`."""
        if attempt.run_id not in self.rows:
            self.rows[attempt.run_id] = {**dataclasses.asdict(attempt), "status": RUNNING, "finished_at": None,
                                         "job_step": job_step, "slot_local": slot_local}
            self.by_slot.setdefault((attempt.job, attempt.slot_time), []).append(attempt.run_id)
            if attempt.job not in self.last_slots or attempt.slot_time > self.last_slots[attempt.job]:
                self.last_slots[attempt.job] = attempt.slot_time
        row = self.rows[attempt.run_id]
        return Claim(won=row["runner_id"] == attempt.runner_id, owner=row["runner_id"], row=dict(row))

    def finish(self, run_id: str, runner_id: str, status: str, finished: dt.datetime, *, exit_code: int | None, job_id: str | None,
               job_status: str | None, message: str | None, alert: Mapping[str, str] | None) -> None:
        """See :meth:`WarehouseStore.finish`."""
        row = self.rows[run_id]
        if row["runner_id"] == runner_id:
            row.update(status=status, finished_at=finished, exit_code=exit_code, job_id=job_id, job_status=job_status, message=message)
        if alert:
            self.alerts.append({**alert, "run_id": run_id})

    def abandon(self, run_id: str, finished: dt.datetime, message: str, alert: Mapping[str, str] | None) -> None:
        """See :meth:`WarehouseStore.abandon`."""
        row = self.rows.get(run_id)
        if row is not None and row["status"] == RUNNING:
            row.update(status="ABANDONED", finished_at=finished, message=message)
        if alert:
            self.alerts.append({**alert, "run_id": run_id})
