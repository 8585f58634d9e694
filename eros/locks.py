"""Process locks: one run of a job at a time on this machine (filelock), and child
processes that die with their parent (:func:`die_with_parent`).

The lock file sits beside the local warehouse (``warehouse/.locks/<job>.lock``) and a
sidecar ``.owner`` file says who holds it, so a refused run can name the holder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from eros.errors import ErosRunError


@contextlib.contextmanager
def job_lock(lock_dir: Path, job: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lock of ``job`` for the duration of the block.

    Raises:
        ErosRunError: when another process holds it (naming pid, host and start time).
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{job}.lock"
    owner_file = lock_dir / f"{job}.owner"
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        holder = "another process"
        with contextlib.suppress(OSError, ValueError):
            info = json.loads(owner_file.read_text())
            holder = f"pid {info['pid']} on {info['host']} since {info['since']}"
        raise ErosRunError(f"job {job} is already running ({holder})") from None
    try:
        owner_file.write_text(json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }))
        yield
    finally:
        with contextlib.suppress(OSError):
            owner_file.unlink()
        lock.release()


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``subprocess.Popen`` ``preexec_fn`` after which the child gets ``sig`` when this
    process dies, even by SIGKILL (Linux ``prctl(PR_SET_PDEATHSIG)``): a killed
    ``eros schedule run-due`` takes its running job with it, and a killed ``eros run`` its
    dbt process, so no orphan finishes a slot the next runner runs again (issue 13).
    Returns None where prctl does not exist (the child then outlives its parent).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return preexec
