"""Where run-due records attempts: the warehouse table ``scheduled_job_runs`` (through the
run-operations of macros/scheduling/schedule_runs.sql), or memory (tests, simulations).

Both stores implement :class:`Store` (one ``sync`` call per runner step: record an outcome,
read the state, claim an attempt). All times are aware UTC datetimes.

DuckDB allows one writer process at a time: a dbt step that finds the file locked by
another process is retried (:data:`LOCK_ERROR_MARKERS`) for up to ``wait_seconds``,
so a second runner waits for its turn instead of failing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from eros.core import TS_FORMAT
from eros.dbt_invoke import DbtRun, first_error_line, invoke
from eros.errors import ErosRunError
from eros.scheduling.planner import RUNNING, Attempt

NEEDS_BUILD_MARKER = "EROS_SCHEDULE_NEEDS_BUILD"
# Errors of a dbt step that met another process's DuckDB file lock.
LOCK_ERROR_MARKERS = ("Could not set lock on file", "Conflicting lock is held")
DEFAULT_WAIT_SECONDS = 600.0


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
    """Result of a claim: ``won`` and the row as stored (its ``runner_id`` is the owner).

    Attributes:
        job: the job claimed.
        run_id: the attempt claimed.
        won: this runner owns the attempt and may run it.
        owner: the runner_id stored in the row (the winner).
        row: the stored row.
    """

    job: str
    run_id: str
    won: bool
    owner: str | None
    row: dict[str, Any] | None


@dataclasses.dataclass(frozen=True)
class Finish:
    """The outcome of an attempt to record (only the owner's row is updated).

    Attributes:
        run_id / runner_id: the attempt and its owner.
        status: final planner status (SUCCEEDED, WARNING, FAILED, TIMED_OUT).
        finished: end time (aware UTC).
        exit_code, job_id, job_status, message: what the step reported.
        alert: ``{level, message}`` to raise in automation_alerts (source scheduler), or None.
    """

    run_id: str
    runner_id: str
    status: str
    finished: dt.datetime
    exit_code: int | None = None
    job_id: str | None = None
    job_status: str | None = None
    message: str | None = None
    alert: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class Abandon:
    """An attempt whose runner died: ABANDONED at ``finished``, with an optional alert."""

    run_id: str
    finished: dt.datetime
    message: str
    alert: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class ClaimRequest:
    """An attempt to claim, with the text columns of its row."""

    attempt: Attempt
    job_step: str
    slot_local: str


@dataclasses.dataclass
class Sync:
    """Result of :meth:`Store.sync`: the state (when slots were asked for) and the claim made."""

    state: State | None
    claim: Claim | None


class Store(Protocol):
    """The record of scheduled attempts: one call does, in order, finish, abandon, read the
    state of ``slots``, claim attempt 1 of the first job in ``claim_first_new`` whose slot has
    no attempt (stopping at an unfinished one), and ``claim``."""

    def sync(self, *, finish: Finish | None = None, abandon: Sequence[Abandon] = (), slots: Sequence[tuple[str, dt.datetime]] = (),
             claim_first_new: Sequence[ClaimRequest] = (), claim: ClaimRequest | None = None) -> Sync: ...


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


def _claim_args(request: ClaimRequest) -> dict[str, Any]:
    a = request.attempt
    return {"run_id": a.run_id, "job": a.job, "slot": ts_text(a.slot_time), "attempt": a.attempt, "runner_id": a.runner_id,
            "started": ts_text(a.started_at), "job_step": request.job_step, "slot_local": request.slot_local}


class WarehouseStore:
    """``scheduled_job_runs`` in the target warehouse, through the run-operation
    ``eros_schedule_sync`` (macros/scheduling/schedule_runs.sql): one dbt call per sync.

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
        self.calls = 0

    def _dbt(self, args: list[str]) -> DbtRun:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            self.calls += 1
            run = invoke(args, project=self.project, target=self.target)
            busy = not run.ok and any(marker in text for text in run.errors for marker in LOCK_ERROR_MARKERS)
            if not busy:
                return run
            if time.monotonic() > deadline:
                raise ErosRunError(f"the warehouse stayed locked by another process for {self.wait_seconds:.0f} s: {first_error_line(run)}")
            self.lock_waits += 1
            time.sleep(random.uniform(0.5, 2.0))

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

    def sync(self, *, finish: Finish | None = None, abandon: Sequence[Abandon] = (), slots: Sequence[tuple[str, dt.datetime]] = (),
             claim_first_new: Sequence[ClaimRequest] = (), claim: ClaimRequest | None = None) -> Sync:
        """See :class:`Store`.

        Raises:
            ErosRunError: dbt failed (after waiting out a locked DuckDB file and building the
                table when it was missing).
        """
        args: dict[str, Any] = {}
        if finish is not None:
            args["finish"] = {"run_id": finish.run_id, "runner_id": finish.runner_id, "status": finish.status,
                              "finished": ts_text(finish.finished), "exit_code": finish.exit_code, "job_id": finish.job_id,
                              "job_status": finish.job_status, "message": finish.message,
                              "alert": dict(finish.alert) if finish.alert else None}
        if abandon:
            args["abandon"] = [{"run_id": a.run_id, "finished": ts_text(a.finished), "message": a.message,
                                "alert": dict(a.alert) if a.alert else None} for a in abandon]
        if slots:
            args["slots"] = [{"job": job, "slot": ts_text(slot)} for job, slot in slots]
        if claim_first_new:
            args["claim_first_new"] = [_claim_args(c) for c in claim_first_new]
        if claim is not None:
            args["claim"] = _claim_args(claim)
        command = ["run-operation", "eros_schedule_sync", "--args", json.dumps(args, default=str)]
        run = self._dbt(command)
        if not run.ok and any(NEEDS_BUILD_MARKER in text for text in run.errors):
            self.build_table()
            run = self._dbt(command)
        payload = next((p["schedule_sync"] for p in reversed(run.payloads) if "schedule_sync" in p), None)
        if payload is None:
            tail = "; ".join(text.strip().splitlines()[0][:200] for text in run.errors[-3:] if text.strip())
            raise ErosRunError(f"eros_schedule_sync failed (dbt exit {run.returncode}): {first_error_line(run) or tail or 'no result'}")
        self.alerts_exist = bool(payload.get("alerts_exist"))
        state = None
        if slots:
            last = {job: parse_ts(value) for job, value in (payload.get("last_slots") or {}).items()}
            state = State(
                attempts=[_attempt_from_row(row) for row in payload.get("attempts", [])],
                last_slots={job: value for job, value in last.items() if value is not None},
                table_exists=bool(payload.get("exists")),
            )
        made = payload.get("claim")
        result = None
        if made:
            row = made.get("row")
            result = Claim(job=made["job"], run_id=made["run_id"], won=bool(made.get("won")), owner=(row or {}).get("runner_id"), row=row)
        return Sync(state, result)


class MemoryStore:
    """The same record in memory (pure tests and the year simulation); indexed by
    (job, slot) so a simulated year stays fast."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.by_slot: dict[tuple[str, dt.datetime], list[str]] = {}
        self.last_slots: dict[str, dt.datetime] = {}
        self.alerts: list[dict[str, str]] = []
        self.calls = 0

    @staticmethod
    def _attempt(row: Mapping[str, Any]) -> Attempt:
        return Attempt(row["run_id"], row["job"], row["slot_time"], row["attempt"], row["status"], row["runner_id"],
                       row["started_at"], row["finished_at"])

    def _claim(self, request: ClaimRequest) -> Claim:
        attempt = request.attempt
        if attempt.run_id not in self.rows:
            self.rows[attempt.run_id] = {**dataclasses.asdict(attempt), "status": RUNNING, "finished_at": None,
                                         "job_step": request.job_step, "slot_local": request.slot_local}
            self.by_slot.setdefault((attempt.job, attempt.slot_time), []).append(attempt.run_id)
            if attempt.job not in self.last_slots or attempt.slot_time > self.last_slots[attempt.job]:
                self.last_slots[attempt.job] = attempt.slot_time
        row = self.rows[attempt.run_id]
        return Claim(attempt.job, attempt.run_id, row["runner_id"] == attempt.runner_id, row["runner_id"], dict(row))

    def sync(self, *, finish: Finish | None = None, abandon: Sequence[Abandon] = (), slots: Sequence[tuple[str, dt.datetime]] = (),
             claim_first_new: Sequence[ClaimRequest] = (), claim: ClaimRequest | None = None) -> Sync:
        """See :class:`Store`."""
        self.calls += 1
        if finish is not None:
            row = self.rows[finish.run_id]
            if row["runner_id"] == finish.runner_id:
                row.update(status=finish.status, finished_at=finish.finished, exit_code=finish.exit_code, job_id=finish.job_id,
                           job_status=finish.job_status, message=finish.message)
            if finish.alert:
                self.alerts.append({**finish.alert, "run_id": finish.run_id})
        for item in abandon:
            row = self.rows.get(item.run_id)
            if row is not None and row["status"] == RUNNING:
                row.update(status="ABANDONED", finished_at=item.finished, message=item.message)
            if item.alert:
                self.alerts.append({**item.alert, "run_id": item.run_id})
        state = None
        if slots:
            attempts = [self._attempt(self.rows[r]) for key in slots for r in self.by_slot.get(key, [])]
            last = {job: self.last_slots[job] for job, _ in slots if job in self.last_slots}
            state = State(sorted(attempts, key=lambda a: (a.job, a.attempt)), last, table_exists=True)
        made = None
        for request in claim_first_new:
            mine = [self.rows[r] for r in self.by_slot.get((request.attempt.job, request.attempt.slot_time), [])]
            if not mine:
                made = self._claim(request)
                break
            if any(r["status"] not in ("SUCCEEDED", "WARNING") for r in mine):
                break
        if claim is not None:
            made = self._claim(claim)
        return Sync(state, made)
