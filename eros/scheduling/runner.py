"""``eros schedule run-due``: run every job whose slot is due, once.

One call:

1. takes the process lock ``run-due-<target>`` (eros/locks.py) in the lock folder beside
   the local warehouse (``EROS_SCHEDULE_LOCK_DIR`` overrides it). When another run-due on
   this machine holds it, the call skips cleanly and names the holder (exit 0): cron may
   start a call while a long job of the previous one still runs.
2. reads the recorded attempts of each job's latest slot (one run-operation) and decides
   per job with :func:`eros.scheduling.planner.plan` (catch-up, retries, abandoned runs);
3. for each job to run, by priority: claims (job, slot, attempt) in the warehouse
   (:meth:`~eros.scheduling.store.WarehouseStore.claim`; a runner on another machine that
   claimed it first wins, and this one says who), runs the ``eros run`` step as a
   subprocess with the job's timeout, and records the outcome (and an alert row, per the
   job's ``notify``).

Retries happen on a later call once the delay has passed (run-due never sleeps), so call
it every few minutes: the README's cron line runs it every 5 minutes.

``--now`` pins the runner's clock (tests, replays): times recorded are on that clock
(``now`` plus the real time elapsed since the call started), and each step runs with
``--as-of <now>``, so the jobs record that instant (one clock, issue 13).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from eros.errors import ErosRunError
from eros.locks import die_with_parent, job_lock
from eros.scheduling import planner
from eros.scheduling.config import ScheduledJob, Schedules
from eros.scheduling.planner import Attempt, Decision, plan, run_id
from eros.scheduling.slots import slot_label
from eros.scheduling.store import Abandon, ClaimRequest, Finish, State, Store

Clock = Callable[[], dt.datetime]
# Grace between SIGTERM and SIGKILL of a step that ran past its timeout.
KILL_GRACE_SECONDS = 10.0


@dataclasses.dataclass
class StepResult:
    """What one attempt's step did.

    Attributes:
        status: SUCCEEDED, WARNING, FAILED or TIMED_OUT (planner statuses).
        exit_code: the step's exit code (None when killed).
        job_id: ``etl_job_runs.job_id`` the step reported (``--json``), if any.
        job_status: the job status it reported, if any.
        message: why it failed (one line), or None.
        seconds: wall time.
    """

    status: str
    exit_code: int | None
    job_id: str | None = None
    job_status: str | None = None
    message: str | None = None
    seconds: float = 0.0


Executor = Callable[[ScheduledJob, dt.datetime, int, str], StepResult]


@dataclasses.dataclass
class JobReport:
    """Outcome of one job in a run-due call (the CLI prints these).

    Attributes:
        job: schedule key.
        action: the planner's decision (RUN, WAIT_RETRY, IN_PROGRESS, DONE) or LOST
            (another runner claimed the attempt first).
        slot: the slot instant (ISO UTC).
        slot_local: the slot on the job's wall clock and in UTC.
        attempt: attempt number concerned.
        status: the attempt's status (after running it, for RUN).
        detail: one human line.
        missed_slots: slots skipped by the catch-up rule.
        result: the step result for RUN.
    """

    job: str
    action: str
    slot: str
    slot_local: str
    attempt: int
    status: str | None
    detail: str
    missed_slots: int = 0
    result: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


def new_runner_id() -> str:
    """``host:pid:random``: who claimed an attempt (shown when another runner holds it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def fixed_clock(start: dt.datetime | None) -> Clock:
    """The runner's clock: real UTC now, or ``start`` (aware) plus the real time elapsed."""
    if start is None:
        return lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
    origin = time.monotonic()
    return lambda: (start + dt.timedelta(seconds=time.monotonic() - origin)).replace(microsecond=0)


def lock_dir(default: Path) -> Path:
    """Folder of the process locks: ``EROS_SCHEDULE_LOCK_DIR`` or ``default``."""
    env = os.environ.get("EROS_SCHEDULE_LOCK_DIR")
    return Path(env).expanduser() if env else default


class RunnerBusy(Exception):
    """Another run-due on this machine holds the lock (the message names it)."""


@contextlib.contextmanager
def runner_lock(folder: Path, target: str) -> Iterator[None]:
    """Hold ``run-due-<target>`` for the block.

    Raises:
        RunnerBusy: another process holds it ("... (pid N on HOST since T)").
    """
    name = f"run-due-{target}"
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(job_lock(folder, name))
        except ErosRunError:
            raise RunnerBusy(f"another run-due holds the lock ({_lock_holder(folder, name)})") from None
        yield


def _lock_holder(folder: Path, name: str, wait_seconds: float = 3.0) -> str:
    """Who holds a lock of eros/locks.py, from its ``.owner`` file: ``pid N on HOST since T``.
    The holder writes that file just after taking the lock, so a runner that lost the race by
    a few milliseconds waits up to ``wait_seconds`` for it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with contextlib.suppress(OSError, ValueError, KeyError):
            info = json.loads((folder / f"{name}.owner").read_text())
            return f"pid {info['pid']} on {info['host']} since {info['since']}"
        if time.monotonic() > deadline:
            return "another process"
        time.sleep(0.1)


def eros_command() -> list[str]:
    """How to start ``eros``: ``EROS_SCHEDULE_EROS_BIN`` (tests put a stand-in job runner
    there), else the ``eros`` beside this Python, else on PATH, else ``python -m eros.cli``."""
    env = os.environ.get("EROS_SCHEDULE_EROS_BIN")
    if env:
        return [env]
    beside = Path(sys.executable).parent / "eros"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("eros")
    return [found] if found else [sys.executable, "-m", "eros.cli"]


def _last_line(text: str) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:500] if lines else None


def classify(exit_code: int, outcome: dict[str, Any] | None) -> str:
    """Attempt status from the step's exit code and ``--json`` outcome: 0 SUCCEEDED;
    1 with job status COMPLETED_WITH_ERRORS WARNING (the job ran; pages failed validation,
    a retry would meet the same data); anything else FAILED (retried)."""
    if exit_code == 0:
        return planner.SUCCEEDED
    if exit_code == 1 and (outcome or {}).get("status") == "COMPLETED_WITH_ERRORS":
        return planner.WARNING
    return planner.FAILED


def steps_dir(lock_folder: Path, target: str) -> Path:
    """Where run-due keeps one ``<run id>.pgid`` file per running step (its process group),
    beside its process lock: what a killed runner leaves there is reaped by the next one."""
    return lock_folder / f"run-due-{target}.steps"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphan_steps(folder: Path, grace_seconds: float = KILL_GRACE_SECONDS) -> list[str]:
    """Kill the steps a killed runner left running (issue 13, "scheduler faults"): for each
    ``<run id>.pgid`` file in ``folder`` whose process group still exists, SIGTERM, then
    SIGKILL after ``grace_seconds``; the files are removed. Call it holding the runner lock
    (no live runner of this target on this machine then owns a file).

    Returns:
        The run ids whose step was still running and was killed.
    """
    killed: list[str] = []
    if not folder.is_dir():
        return killed
    for marker in sorted(folder.glob("*.pgid")):
        with contextlib.suppress(OSError, ValueError):
            pgid = int(marker.read_text().strip())
            if pgid > 1 and _group_alive(pgid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGTERM)
                deadline = time.monotonic() + grace_seconds
                while _group_alive(pgid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _group_alive(pgid):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pgid, signal.SIGKILL)
                killed.append(marker.stem)
        with contextlib.suppress(OSError):
            marker.unlink()
    return killed


def runner_gone(runner_id: str, host: str | None = None) -> bool:
    """True when ``runner_id`` (``host:pid:random``, :func:`new_runner_id`) is a runner of this
    machine whose process no longer exists (killed), so its RUNNING attempt cannot finish."""
    parts = runner_id.split(":")
    if len(parts) != 3 or parts[0] != (host or socket.gethostname()) or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _wait_step(process: subprocess.Popen, job: ScheduledJob, started: float) -> StepResult:
    """Wait for a step (killing its group past the job's timeout) and classify its outcome."""
    try:
        out, err = process.communicate(timeout=job.timeout_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.communicate(timeout=KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        return StepResult(planner.TIMED_OUT, None, message=f"killed after timeout_seconds={job.timeout_seconds}",
                          seconds=round(time.monotonic() - started, 2))
    outcome: dict[str, Any] | None = None
    text = out.strip()
    if text.startswith("{"):
        with contextlib.suppress(json.JSONDecodeError):
            outcome = json.loads(text)
    status = classify(process.returncode, outcome)
    message = None
    if status != planner.SUCCEEDED:
        message = (outcome or {}).get("error_message") or _last_line(err) or _last_line(out) or f"exit {process.returncode}"
    return StepResult(
        status=status,
        exit_code=process.returncode,
        job_id=(outcome or {}).get("job_id"),
        job_status=(outcome or {}).get("status"),
        message=message,
        seconds=round(time.monotonic() - started, 2),
    )


def subprocess_executor(project: Path, env: dict[str, str] | None = None, as_of: dt.datetime | None = None,
                        steps: Path | None = None) -> Executor:
    """Run a job's step as ``eros run <job> ... --target T --json`` in ``project``; with
    ``as_of`` (aware; ``run-due --now``) also ``--as-of <as_of>``, so the job records that
    instant as every time it writes (one clock, issue 13).

    The step dies with the runner (:func:`eros.locks.die_with_parent`), and with ``steps``
    (:func:`steps_dir`) its process group is noted there while it runs, so the next runner
    kills a step a killed runner left behind (:func:`reap_orphan_steps`): a slot never runs
    twice at once.

    The step gets ``EROS_SCHEDULE_RUN_ID``, ``EROS_SCHEDULE_SLOT`` and
    ``EROS_SCHEDULE_ATTEMPT`` in its environment. Past ``timeout_seconds`` its process
    group gets SIGTERM, then SIGKILL after :data:`KILL_GRACE_SECONDS`: TIMED_OUT.
    """

    def execute(job: ScheduledJob, slot: dt.datetime, attempt: int, target: str) -> StepResult:
        command = [*eros_command(), *job.step_command(slot), "--target", target, "--json"]
        if as_of is not None:
            command += ["--as-of", as_of.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
        child_env = dict(env or os.environ)
        child_env.update({
            "EROS_SCHEDULE_RUN_ID": run_id(job.key, slot, attempt),
            "EROS_SCHEDULE_SLOT": slot.astimezone(dt.UTC).isoformat(),
            "EROS_SCHEDULE_ATTEMPT": str(attempt),
        })
        started = time.monotonic()
        try:
            process = subprocess.Popen(command, cwd=project, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, start_new_session=True, preexec_fn=die_with_parent())
        except OSError as exc:
            return StepResult(planner.FAILED, None, message=f"cannot start {command[0]}: {exc}")
        marker = None
        if steps is not None:
            with contextlib.suppress(OSError):
                steps.mkdir(parents=True, exist_ok=True)
                marker = steps / f"{run_id(job.key, slot, attempt)}.pgid"
                marker.write_text(str(process.pid))
        try:
            return _wait_step(process, job, started)
        finally:
            if marker is not None:
                with contextlib.suppress(OSError):
                    marker.unlink()

    return execute


def failure_level(job: ScheduledJob) -> str:
    """Alert level when a slot fails for good: CRITICAL for CRITICAL/HIGH jobs, else WARNING."""
    return "CRITICAL" if job.priority in ("CRITICAL", "HIGH") else "WARNING"


def _alert_after(job: ScheduledJob, decision: Decision, result: StepResult, finished: dt.datetime) -> dict[str, str] | None:
    if result.status not in planner.RETRYABLE:
        return None
    where = f"{job.name} ({job.key}) slot {slot_label(decision.slot, job.zone)}"
    if decision.attempt < job.max_attempts:
        if not job.notify.on_warning:
            return None
        retry_at = finished + dt.timedelta(seconds=job.retry_delay_seconds)
        return {"level": "WARNING", "message": f"{where}: attempt {decision.attempt} of {job.max_attempts} {result.status}: "
                f"{result.message}; retry after {retry_at:%Y-%m-%d %H:%M:%S} UTC"}
    if not job.notify.on_failure:
        return None
    return {"level": failure_level(job), "message": f"{where}: {result.status} after {decision.attempt} attempt(s), no retry left: {result.message}"}


def run_due(
    schedules: Schedules | Iterable[ScheduledJob],
    *,
    store: Store,
    execute: Executor,
    target: str,
    clock: Clock,
    runner_id: str,
    on_report: Callable[[JobReport], None] | None = None,
    gone: Callable[[str], bool] | None = None,
) -> list[JobReport]:
    """Run every due job once (module docstring); the caller holds the process lock.

    Store calls: the first reads the state of every job's latest slot and claims attempt 1
    of the first job due for a new slot; each later one records the previous attempt's
    outcome together with the next claim; a last one records the last outcome. So a call
    with nothing due costs one call, and k due jobs cost k + 1.

    Args:
        schedules: the jobs (all of a :class:`Schedules`, or a selection by priority).
        store: where attempts are recorded.
        execute: runs a step (:func:`subprocess_executor`, or a stand-in in tests).
        target: dbt target passed to the steps.
        clock: the runner's clock (aware UTC).
        runner_id: this runner (:func:`new_runner_id`).
        on_report: called with each job's report as soon as it is known.
        gone: tells whether a runner id is known to be gone (:func:`runner_gone`): its
            RUNNING attempt is abandoned at once instead of after its timeout.

    Returns:
        One :class:`JobReport` per job, in run order.

    Raises:
        ErosRunError: the store failed (dbt error), after retrying a locked DuckDB file.
    """
    jobs = schedules.by_priority() if isinstance(schedules, Schedules) else list(schedules)
    now = clock()
    slots = {job.key: planner.latest_slot(job.cron, job.zone, now) for job in jobs}

    def request(job: ScheduledJob, attempt: int, started: dt.datetime) -> ClaimRequest:
        slot = slots[job.key]
        row = Attempt(run_id(job.key, slot, attempt), job.key, slot, attempt, planner.RUNNING, runner_id, started, None)
        return ClaimRequest(row, " ".join(["eros", *job.step_command(slot)]), slot_label(slot, job.zone))

    first = store.sync(slots=[(job.key, slots[job.key]) for job in jobs], claim_first_new=[request(job, 1, now) for job in jobs])
    state = first.state or State([], {})
    pre_claim = first.claim
    pending_finish: Finish | None = None
    pending_abandon: list[Abandon] = []
    reports: list[JobReport] = []

    def report(job: ScheduledJob, decision: Decision, action: str, status: str | None, detail: str, result: StepResult | None = None) -> None:
        item = JobReport(job.key, action, decision.slot.isoformat(), slot_label(decision.slot, job.zone), decision.attempt, status,
                         detail, decision.missed_slots, dataclasses.asdict(result) if result else None)
        reports.append(item)
        if on_report is not None:
            on_report(item)

    for job in jobs:
        attempts = [a for a in state.attempts if a.job == job.key]
        decision = plan(job, now, attempts, state.last_slots.get(job.key), slots[job.key], runner_gone=gone)
        if decision.abandon:
            alert = None
            if decision.action == planner.DONE and job.notify.on_failure:
                alert = {"level": failure_level(job), "message": f"{job.name} ({job.key}) slot {slot_label(decision.slot, job.zone)}: "
                         f"attempt {decision.attempt} abandoned (its runner stopped), no retry left"}
            holder = next((a.runner_id for a in attempts if a.run_id == decision.abandon), "")
            if gone is not None and holder and gone(holder):
                note = f"abandoned: its runner {holder} stopped (killed) and its step with it; closed by {runner_id}"
            else:
                note = f"abandoned: still RUNNING past timeout_seconds={job.timeout_seconds}; closed by {runner_id}"
            pending_abandon.append(Abandon(decision.abandon, clock(), note, alert))
        if decision.action == planner.DONE:
            report(job, decision, decision.action, decision.status, f"slot done ({decision.status}, attempt {decision.attempt})")
            continue
        if decision.action == planner.IN_PROGRESS:
            report(job, decision, decision.action, decision.status, f"attempt {decision.attempt} is running on {decision.runner_id}")
            continue
        if decision.action == planner.WAIT_RETRY:
            assert decision.not_before is not None
            when = f"{decision.not_before:%Y-%m-%d %H:%M:%S} UTC"
            report(job, decision, decision.action, decision.status,
                   f"attempt {decision.attempt} {decision.status}; attempt {decision.attempt + 1} not before {when}")
            continue
        if pre_claim is not None and pre_claim.job == job.key and decision.attempt == 1:
            claim = pre_claim
        else:
            made = store.sync(finish=pending_finish, abandon=pending_abandon, claim=request(job, decision.attempt, clock())).claim
            pending_finish, pending_abandon = None, []
            assert made is not None
            claim = made
        if not claim.won:
            report(job, decision, "LOST", (claim.row or {}).get("status"), f"attempt {decision.attempt} was claimed first by {claim.owner}")
            continue
        result = execute(job, decision.slot, decision.attempt, target)
        finished = clock()
        pending_finish = Finish(claim.run_id, runner_id, result.status, finished, exit_code=result.exit_code, job_id=result.job_id,
                                job_status=result.job_status, message=result.message, alert=_alert_after(job, decision, result, finished))
        detail = f"attempt {decision.attempt}/{job.max_attempts}: {result.status} in {result.seconds:.0f} s"
        if result.job_status:
            detail += f" (job {result.job_status})"
        if decision.missed_slots:
            detail += f"; {decision.missed_slots} older missed slot(s) skipped (catch-up runs the latest only)"
        if result.status in planner.RETRYABLE:
            detail += f": {result.message}" + ("" if decision.attempt < job.max_attempts else "; no retry left")
        report(job, decision, decision.action, result.status, detail, result)
    if pending_finish is not None or pending_abandon:
        store.sync(finish=pending_finish, abandon=pending_abandon)
    return reports


def exit_code_of(reports: Iterable[JobReport]) -> int:
    """0 when every attempt run by the call succeeded (or nothing ran), else 1."""
    return 1 if any(r.action == planner.RUN and r.status != planner.SUCCEEDED for r in reports) else 0
