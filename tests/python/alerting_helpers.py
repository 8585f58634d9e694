"""Helpers of the alerting tests (issue 7): an alerting-only warehouse, direct SQL on it,
and a loopback HTTP receiver standing in for Slack / Google Chat / email / PagerDuty
webhooks (apprise's generic JSON target ``json://127.0.0.1:PORT/<path>``)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

PROJECT = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).parent / "dbt")


def build_alerting_tables(env: dict[str, str]) -> None:
    """Build only what the rules read and write (no source data needed): the job tables,
    the rules seed, alert_rule_conditions, automation_alerts and alert_deliveries."""
    Path(env["EROS_DUCKDB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [DBT, "build", "--select", "etl_job_runs", "lock_sweep_log", "alert_rules", "tag:alerts",
         "--exclude", "resource_type:unit_test", "--indirect-selection", "cautious", "--target", "local"],
        # Elementary's anomaly tests on the job tables need Elementary's models, which this
        # alerting-only build does not select
        cwd=PROJECT, env={"EROS_ELEMENTARY_ENABLED": "false", **env, "DBT_PROFILES_DIR": str(PROJECT)},
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


def alerting_template(tmp_path_factory, dbt_state_dir: Path) -> Path:
    """Build the alerting tables once into a template DuckDB file (session fixtures of the
    alerting tests copy it per test instead of building again)."""
    folder = tmp_path_factory.mktemp("alerting_template")
    env = dict(os.environ)
    env.update({
        "EROS_DUCKDB_PATH": str(folder / "template.duckdb"),
        "DBT_TARGET_PATH": str(dbt_state_dir / "target"),
        "DBT_LOG_PATH": str(dbt_state_dir / "logs"),
        "EROS_TARGET": "local",
    })
    build_alerting_tables(env)
    return folder / "template.duckdb"


def copy_template(template: Path, env: dict[str, str]) -> dict[str, str]:
    """Put a copy of the template warehouse at the test's EROS_DUCKDB_PATH."""
    target = Path(env["EROS_DUCKDB_PATH"])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return env


def execute(env: dict[str, str], *statements: str) -> None:
    """Run write statements on the test warehouse (connection closed before returning)."""
    with duckdb.connect(env["EROS_DUCKDB_PATH"]) as con:
        for statement in statements:
            con.execute(statement)


def ts(value: dt.datetime) -> str:
    """ISO UTC text for --as-of / --now."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def insert_daily_run(env: dict[str, str], job_id: str, start: dt.datetime, end: dt.datetime, status: str,
                     processed: int = 10, failed: int = 0, duration: float = 60.0) -> None:
    """One daily_automation row in etl_job_runs."""
    execute(env, (
        "insert into eros.etl_job_runs (job_id, job_name, job_start_time, job_end_time, job_status, execution_date, "
        "creators_processed, creators_failed, error_message, job_duration_seconds) values "
        f"('{job_id}', 'daily_automation', '{start:%Y-%m-%d %H:%M:%S}', '{end:%Y-%m-%d %H:%M:%S}', '{status}', "
        f"'{start:%Y-%m-%d}', {processed}, {failed}, null, {duration})"
    ))


def insert_job_alert(env: dict[str, str], alert_id: str, at: dt.datetime, level: str, source: str, message: str,
                     job_id: str | None = None) -> None:
    """A job-raised alert row as eros_raise_alert writes it (no rule columns)."""
    job = f"'{job_id}'" if job_id else "null"
    execute(env, (
        "insert into eros.automation_alerts (alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged) "
        f"values ('{alert_id}', '{at:%Y-%m-%d %H:%M:%S}', '{level}', '{source}', '{message}', {job}, false)"
    ))


class Receiver:
    """Requests received by the loopback webhook server: (path, JSON body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def url(self, path: str, userinfo: str = "") -> str:
        """apprise generic JSON webhook URL for ``path`` on this receiver."""
        return f"json://{userinfo}127.0.0.1:{self.port}/{path.lstrip('/')}"

    def on(self, path_prefix: str) -> list[dict[str, Any]]:
        """Bodies received on paths starting with ``path_prefix``."""
        with self.lock:
            return [body for path, body in self.requests if path.startswith(path_prefix)]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 (free port) in a thread, answering 200 to every POST."""
    holder: dict[str, Receiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"raw": raw.decode(errors="replace")}
            receiver = holder["receiver"]
            with receiver.lock:
                receiver.requests.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = Receiver(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
