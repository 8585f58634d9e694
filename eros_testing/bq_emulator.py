"""Run the ``bqemulator`` BigQuery emulator as a subprocess for tests.

The emulator (PyPI package ``bqemulator``, DuckDB-backed) lives in its own
virtualenv, ``<repo>/.venv-bqemu`` (create it with
``scripts/bqemulator_setup.sh``).  This module only starts that executable as a
child process, so it needs nothing from that virtualenv; :meth:`client` needs
``google-cloud-bigquery`` in the *calling* interpreter.

Typical use::

    from eros_testing.bq_emulator import BigQueryEmulator

    with BigQueryEmulator(project="of-scheduler-proj") as emu:
        emu.create_dataset("staging")
        emu.load_csv("staging", "events", "events.csv",
                      [("ts", "TIMESTAMP"), ("amount", "FLOAT64")])
        rows = emu.query("select count(*) as n from `of-scheduler-proj`.staging.events")

dbt-bigquery reaches the emulator with a profile target such as::

    type: bigquery
    method: oauth-secrets
    token: unused
    project: of-scheduler-proj
    dataset: <dataset>
    api_endpoint: <emu.endpoint>

(see :meth:`BigQueryEmulator.dbt_target`). The project's own ``bq_emulator`` target
reads ``EROS_BQ_API_ENDPOINT`` / ``EROS_BQ_PROJECT`` / ``EROS_BQ_DATASET``;
:meth:`BigQueryEmulator.dbt_env` returns those variables for this emulator.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from google.cloud import bigquery

__all__ = [
    "BigQueryEmulator",
    "BigQueryEmulatorError",
    "DEFAULT_PROJECT",
    "default_venv_dir",
]

#: Project id used when none is given. It contains hyphens on purpose, so
#: that code under test has to quote it (`of-scheduler-proj`.dataset.table).
DEFAULT_PROJECT = "of-scheduler-proj"

#: Environment variable that overrides the emulator's virtualenv location.
VENV_ENV_VAR = "BQEMU_VENV"

#: A schema for :meth:`BigQueryEmulator.load_csv`: ``SchemaField`` objects,
#: ``(name, type)`` pairs, or a ``{name: type}`` mapping (kept in order).
SchemaLike = Sequence[Any] | Mapping[str, str]


class BigQueryEmulatorError(RuntimeError):
    """The emulator is missing, failed to start, is not running or crashed."""


def default_venv_dir() -> Path:
    """Return the emulator virtualenv: ``$BQEMU_VENV`` or ``<repo>/.venv-bqemu``."""
    override = os.environ.get(VENV_ENV_VAR)
    repo = Path(__file__).resolve().parent.parent
    if override:
        path = Path(override).expanduser()
        # a relative override (make exports BQEMU_VENV=.venv-bqemu) is relative to the repo,
        # not to whatever folder a test process runs in
        return path if path.is_absolute() else (repo / path).resolve()
    return repo / ".venv-bqemu"


#: urllib opener that ignores *_proxy environment variables (loopback only).
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


#: Log lines worth quoting in an error message.
_ERROR_LINE = re.compile(r"Errno|Error\b|error while|Exception\b|\"level\": \"(error|critical)\"")


def _free_port(host: str) -> int:
    """Ask the kernel for a currently free TCP port on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BigQueryEmulator:
    """A ``bqemulator`` server running as a child process on a loopback port.

    The server is ephemeral (in-memory DuckDB): every start begins empty.
    Use it as a context manager, or call :meth:`start` and :meth:`stop`
    yourself; :meth:`stop` is idempotent and is also registered with
    :mod:`atexit` so a forgotten emulator does not outlive the test run.

    Args:
        project: Default project id the emulator serves (and the client uses).
        port: REST port; ``None`` picks a free loopback port.
        host: Bind address; keep it on loopback.
        venv_dir: Virtualenv holding ``bin/bqemulator``; defaults to
            :func:`default_venv_dir`.
        log_path: File that receives the emulator's stdout and stderr;
            defaults to a new file in the system temp directory.
        startup_timeout: Seconds to wait for ``/readyz`` to answer.
        extra_env: Extra environment variables for the emulator process
            (for example ``{"BQEMU_LOG_LEVEL": "debug"}``).
    """

    def __init__(
        self,
        project: str = DEFAULT_PROJECT,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        venv_dir: str | os.PathLike[str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.project = project
        self.host = host
        self.requested_port = port
        self.venv_dir = Path(venv_dir) if venv_dir is not None else default_venv_dir()
        self.startup_timeout = startup_timeout
        self.extra_env = dict(extra_env or {})
        self._log_path: Path | None = Path(log_path) if log_path is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._client: bigquery.Client | None = None
        self._atexit_registered = False

    # ------------------------------------------------------------------ paths

    @property
    def executable(self) -> Path:
        """Path of the ``bqemulator`` console script inside the virtualenv."""
        return self.venv_dir / "bin" / "bqemulator"

    @property
    def log_path(self) -> Path | None:
        """File receiving the emulator's output (``None`` before the first start)."""
        return self._log_path

    # -------------------------------------------------------------- lifecycle

    def start(self) -> BigQueryEmulator:
        """Start the emulator and block until ``/readyz`` reports ready.

        Returns:
            ``self``, so ``emu = BigQueryEmulator().start()`` works.

        Raises:
            BigQueryEmulatorError: The executable is missing, the process
                exited during startup, or it did not answer within
                ``startup_timeout`` seconds.  The message includes the tail
                of the emulator log.  The process group is killed before
                the error propagates.
        """
        if self._proc is not None and self._proc.poll() is None:
            return self
        if not self.executable.exists():
            raise BigQueryEmulatorError(
                f"bqemulator executable not found at {self.executable}. "
                "Create the emulator virtualenv with scripts/bqemulator_setup.sh "
                f"(or point ${VENV_ENV_VAR} at an existing one)."
            )
        if self._log_path is None:
            fd, name = tempfile.mkstemp(prefix="bqemulator-", suffix=".log")
            os.close(fd)
            self._log_path = Path(name)
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

        # A port picked by _free_port can be taken before the emulator binds
        # it; retry with a new one in that (rare) case.
        attempts = 1 if self.requested_port is not None else 3
        for attempt in range(1, attempts + 1):
            port = self.requested_port or _free_port(self.host)
            try:
                self._launch(port)
                self._wait_until_ready()
                return self
            except BaseException as exc:  # incl. KeyboardInterrupt: never leak the process
                log_text = self._log_text()
                self.stop()
                retryable = isinstance(exc, BigQueryEmulatorError) and (
                    f"{port}): address already in use" in log_text
                )
                if attempt < attempts and retryable:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self, port: int) -> None:
        assert self._log_path is not None
        if self._workdir is None:
            # bqemulator reads ./.bqemu.toml; run it where there is none.
            self._workdir = tempfile.TemporaryDirectory(prefix="bqemulator-cwd-")
        env = dict(os.environ)
        env.update(
            {
                # The avro extension would be fetched from the network at
                # boot; it is only needed for Avro load/extract jobs.
                "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
                "BQEMU_LOG_FORMAT": "json",
            }
        )
        env.update(self.extra_env)
        cmd = [
            str(self.executable),
            "start",
            "--rest-host", self.host,
            "--rest-port", str(port),
            "--grpc-host", self.host,
            "--grpc-port", "0",
            "--project", self.project,
            "--ephemeral",
        ]
        with open(self._log_path, "ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._workdir.name,
                env=env,
                start_new_session=True,  # own process group -> killpg in stop()
            )
        self._port = port

    def _wait_until_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while True:
            code = self._proc.poll()
            if code is not None:
                raise BigQueryEmulatorError(
                    f"bqemulator exited with code {code} during startup.\n"
                    + self._describe_log()
                )
            try:
                with _NO_PROXY_OPENER.open(f"{self.endpoint}/readyz", timeout=2) as resp:
                    body = json.loads(resp.read() or b"{}")
                    if resp.status == 200 and body.get("status") == "ok":
                        return
                    last_error = f"HTTP {resp.status}: {body}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last_error = str(exc)
            if time.monotonic() >= deadline:
                raise BigQueryEmulatorError(
                    f"bqemulator did not become ready on {self.endpoint} within "
                    f"{self.startup_timeout:.0f}s (last probe: {last_error}).\n"
                    + self._describe_log()
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the emulator: SIGTERM its process group, then SIGKILL if needed.

        Safe to call more than once, on a never-started or crashed instance.
        """
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                pgid = os.getpgid(proc.pid)
            except ProcessLookupError:
                pgid = None
            if pgid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            # The server may leave helpers behind; the group goes either way.
            if pgid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)
        self._port = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- status

    @property
    def is_running(self) -> bool:
        """True while the emulator process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def _ensure_running(self) -> None:
        if self._proc is None:
            raise BigQueryEmulatorError(
                "the BigQuery emulator is not running: call start() or use "
                "'with BigQueryEmulator() as emu:'"
            )
        code = self._proc.poll()
        if code is not None:
            raise BigQueryEmulatorError(
                f"the BigQuery emulator process (pid {self._proc.pid}) has exited "
                f"with code {code}.\n" + self._describe_log()
            )

    @property
    def port(self) -> int:
        """The REST port the emulator listens on."""
        if self._port is None:
            raise BigQueryEmulatorError("the BigQuery emulator is not running: call start() first")
        return self._port

    @property
    def endpoint(self) -> str:
        """Base URL of the REST API, e.g. ``http://127.0.0.1:40123``.

        This is the value for ``api_endpoint`` in a dbt profile or in
        ``google.api_core.client_options.ClientOptions``.
        """
        return f"http://{self.host}:{self.port}"

    def _log_text(self, max_bytes: int = 256 * 1024) -> str:
        """Return (at most the last ``max_bytes`` of) the emulator log."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        with open(self._log_path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - max_bytes))
            return fh.read().decode("utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        """Return the last ``lines`` lines of the emulator log ('' if none)."""
        return "\n".join(self._log_text().splitlines()[-lines:])

    def _describe_log(self) -> str:
        """Error-looking log lines (tracebacks can push them out of the tail) + the tail."""
        text = self._log_text()
        key_lines: list[str] = []
        for line in text.splitlines():
            if _ERROR_LINE.search(line) and line.strip() not in key_lines:
                key_lines.append(line.strip())
        parts = []
        if key_lines:
            parts.append("--- error lines ---\n" + "\n".join(key_lines[-10:]))
        parts.append(f"--- last lines of {self._log_path} ---\n{self.log_tail()}")
        return "\n".join(parts)

    # ---------------------------------------------------------------- clients

    def client(self) -> bigquery.Client:
        """Return a ``google.cloud.bigquery.Client`` bound to this emulator.

        Uses anonymous credentials; the same client is returned on every
        call until :meth:`stop`.
        """
        self._ensure_running()
        if self._client is None:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials
            from google.auth.transport.requests import AuthorizedSession
            from google.cloud import bigquery

            credentials = AnonymousCredentials()
            session = AuthorizedSession(credentials)
            session.trust_env = False  # never send loopback traffic via *_proxy
            self._client = bigquery.Client(
                project=self.project,
                credentials=credentials,
                client_options=ClientOptions(api_endpoint=self.endpoint),
                _http=session,
            )
        return self._client

    def dbt_target(self, dataset: str, *, threads: int = 1) -> dict[str, Any]:
        """Return a dbt-bigquery profile target dict pointing at this emulator."""
        return {
            "type": "bigquery",
            "method": "oauth-secrets",
            "token": "unused-by-emulator",
            "project": self.project,
            "dataset": dataset,
            "api_endpoint": self.endpoint,
            "location": "US",
            "threads": threads,
            "job_retries": 0,
            "job_execution_timeout_seconds": 120,
        }

    def dbt_env(self, dataset: str, *, source_dataset: str = "raw") -> dict[str, str]:
        """Environment variables that point the ``bq_emulator`` target of the project's
        profiles.yml (and the ``eros`` CLI) at this emulator.

        Args:
            dataset: dataset the models build into (``EROS_BQ_DATASET``).
            source_dataset: dataset holding the source tables (``EROS_SOURCE_SCHEMA``).

        Returns:
            ``EROS_TARGET``, ``EROS_BQ_API_ENDPOINT``, ``EROS_BQ_PROJECT``,
            ``EROS_BQ_DATASET`` and ``EROS_SOURCE_SCHEMA`` to merge into a subprocess
            environment.
        """
        return {
            "EROS_TARGET": "bq_emulator",
            "EROS_BQ_API_ENDPOINT": self.endpoint,
            "EROS_BQ_PROJECT": self.project,
            "EROS_BQ_DATASET": dataset,
            "EROS_SOURCE_SCHEMA": source_dataset,
        }

    # ------------------------------------------------------------ convenience

    def create_dataset(self, name: str, *, exists_ok: bool = True) -> bigquery.Dataset:
        """Create dataset ``name`` in :attr:`project` and return it."""
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{name}")
        dataset.location = "US"
        return self.client().create_dataset(dataset, exists_ok=exists_ok)

    def load_csv(
        self,
        dataset: str,
        table: str,
        csv_path: str | os.PathLike[str],
        schema: SchemaLike,
        *,
        skip_leading_rows: int = 1,
        write_disposition: str = "WRITE_TRUNCATE",
        timeout: float = 60.0,
    ) -> bigquery.Table:
        """Load a CSV file into ``dataset.table`` with a load job.

        Args:
            dataset: Dataset id (created first if missing).
            table: Table id.
            csv_path: Local CSV file.
            schema: ``SchemaField`` objects, ``(name, type)`` pairs or a
                ``{name: type}`` mapping, in file column order.
            skip_leading_rows: Header rows to skip.
            write_disposition: ``WRITE_TRUNCATE`` (default),
                ``WRITE_APPEND`` or ``WRITE_EMPTY``.
            timeout: Seconds to wait for the load job.

        Returns:
            The loaded table's metadata.

        Raises:
            google.api_core.exceptions.GoogleAPICallError: The load job failed
                (for example a value that does not parse as its column type).
        """
        from google.cloud import bigquery

        client = self.client()
        self.create_dataset(dataset)
        job_config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.CSV,
            skip_leading_rows=skip_leading_rows,
            schema=_to_schema(schema),
            write_disposition=write_disposition,
        )
        table_id = f"{self.project}.{dataset}.{table}"
        with open(csv_path, "rb") as fh:
            # No size= argument: that keeps the client on the resumable
            # upload path. The multipart path (used whenever the size is
            # known, e.g. load_table_from_json/_dataframe) is rejected by
            # bqemulator 1.4.0 because the client sends Content-Type */*.
            job = client.load_table_from_file(fh, table_id, job_config=job_config)
        job.result(timeout=timeout)
        return client.get_table(table_id)

    def insert_rows(self, dataset: str, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Streaming-insert JSON rows into an existing table; raise on row errors."""
        errors = self.client().insert_rows_json(f"{self.project}.{dataset}.{table}", list(rows))
        if errors:
            raise BigQueryEmulatorError(f"streaming insert into {dataset}.{table} failed: {errors}")

    def query(self, sql: str, *, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Run ``sql`` and return the rows as dictionaries."""
        result = self.client().query(sql).result(timeout=timeout)
        return [dict(row.items()) for row in result]

    def __repr__(self) -> str:
        state = f"running on {self.endpoint}" if self.is_running else "stopped"
        return f"BigQueryEmulator(project={self.project!r}, {state})"


def _to_schema(schema: SchemaLike) -> list[bigquery.SchemaField]:
    """Normalise a :data:`SchemaLike` into a list of ``SchemaField``."""
    from google.cloud import bigquery

    if isinstance(schema, Mapping):
        items: Iterable[Any] = list(schema.items())
    else:
        items = schema
    fields: list[bigquery.SchemaField] = []
    for item in items:
        if isinstance(item, bigquery.SchemaField):
            fields.append(item)
        else:
            name, field_type = item
            fields.append(bigquery.SchemaField(name, field_type))
    return fields
