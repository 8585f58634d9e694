"""Which dbt package hub ``dbt deps`` (and ``edr``) should use (issue 14).

dbt reads packages from the hub named by ``DBT_PACKAGE_HUB_URL`` (dbt's own variable; default
the public hub, https://hub.getdbt.com/). A real deployment uses the public hub. Where it cannot
be reached (CI and the development machines of this project), the loopback mirror
``../shared/dbt-hub`` beside the project serves the same package versions: :func:`package_hub`
probes the configured/public hub with a short timeout and, when it does not answer, starts the
mirror's ``serve.py`` on a free loopback port for as long as the ``with`` block lasts.

Errors: :class:`HubUnavailable` (one line) when neither answers.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HUB_ENV = "DBT_PACKAGE_HUB_URL"
PUBLIC_HUB = "https://hub.getdbt.com/"
MIRROR_ENV = "EROS_DBT_HUB_MIRROR"
# The mirror's folder, relative to the project (overridable with EROS_DBT_HUB_MIRROR).
MIRROR_RELATIVE = Path("..") / "shared" / "dbt-hub"
PROBE_TIMEOUT_SECONDS = 4.0
MIRROR_START_TIMEOUT_SECONDS = 15.0


class HubUnavailable(RuntimeError):
    """Neither the configured dbt package hub nor the loopback mirror can be used."""


def configured_hub() -> str:
    """The hub dbt would use: ``DBT_PACKAGE_HUB_URL`` or the public hub, always ending in ``/``."""
    url = os.environ.get(HUB_ENV, "").strip() or PUBLIC_HUB
    return url if url.endswith("/") else url + "/"


def hub_answers(url: str, timeout_seconds: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """True when ``<url>api/v1/index.json`` answers 2xx within ``timeout_seconds``."""
    try:
        with urllib.request.urlopen(url + "api/v1/index.json", timeout=timeout_seconds) as response:  # noqa: S310 - http(s) hub URL
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def mirror_dir(project: Path) -> Path:
    """The loopback mirror's folder: ``EROS_DBT_HUB_MIRROR`` or ``<project>/../shared/dbt-hub``."""
    env = os.environ.get(MIRROR_ENV, "").strip()
    path = Path(env).expanduser() if env else project / MIRROR_RELATIVE
    return (path if path.is_absolute() else project / path).resolve()


@contextlib.contextmanager
def _serve_mirror(folder: Path) -> Iterator[str]:
    """Run ``<folder>/serve.py`` on a free loopback port; yields its URL; stops it on exit.

    Raises:
        HubUnavailable: the server did not come up (or stopped) within the start timeout.
    """
    with tempfile.TemporaryDirectory(prefix="eros-dbt-hub-") as tmp:
        url_file = Path(tmp) / "hub.url"
        proc = subprocess.Popen(
            [sys.executable, str(folder / "serve.py"), "--port", "0", "--url-file", str(url_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + MIRROR_START_TIMEOUT_SECONDS
            while not (url_file.is_file() and url_file.read_text().strip()):
                if proc.poll() is not None:
                    reason = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
                    raise HubUnavailable(f"the dbt hub mirror {folder} stopped at start: {reason[-1] if reason else 'no output'}")
                if time.monotonic() > deadline:
                    raise HubUnavailable(f"the dbt hub mirror {folder} did not start within {MIRROR_START_TIMEOUT_SECONDS:.0f} s")
                time.sleep(0.05)
            yield url_file.read_text().strip()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def package_hub(project: Path, *, probe_timeout_seconds: float = PROBE_TIMEOUT_SECONDS) -> Iterator[tuple[str, str]]:
    """Yield ``(hub_url, origin)`` for ``dbt deps``: the configured hub when it answers
    (origin ``"configured"`` or ``"public"``), else the loopback mirror started for the block
    (origin ``"mirror"``), stopped when the block ends.

    Raises:
        HubUnavailable: neither the hub nor the mirror (one-line message naming both).
    """
    hub = configured_hub()
    if hub_answers(hub, probe_timeout_seconds):
        yield hub, "public" if hub == PUBLIC_HUB else "configured"
        return
    folder = mirror_dir(project)
    if not (folder / "serve.py").is_file():
        raise HubUnavailable(
            f"cannot install dbt packages: the dbt package hub {hub} does not answer and there is no hub mirror at {folder}"
        )
    with _serve_mirror(folder) as url:
        yield url, "mirror"
