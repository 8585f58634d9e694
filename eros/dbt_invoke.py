"""Run dbt as a subprocess and read its structured (JSON) log.

Each dbt command runs in its own process: the DuckDB file lock is released when the
process ends, and no connection outlives a step (dbt-duckdb issues #616 and #203 are
about in-process reuse). dbt's ``partial_parse.msgpack`` keeps re-parsing cheap.

Macros of this project print machine-readable results as a log line that starts with
``EROS_JSON `` (see macros/automation/*.sql); :func:`invoke` collects them.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eros.errors import ErosRunError
from eros.project import dbt_environment, dbt_executable

JSON_MARKER = "EROS_JSON "
# Info-level events that close a node (NodeFinished is debug-level and not emitted).
RESULT_EVENTS = frozenset({
    "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult", "SkippingDetails",
    "LogHookEndLine", "LogNodeNoOpResult", "LogFunctionResult",
})


@dataclasses.dataclass
class NodeResult:
    """Outcome of one dbt node (model, test, seed, hook) in an invocation."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str | None
    execution_time: float | None


@dataclasses.dataclass
class DbtEvent:
    """A structured dbt log event (``name`` like NodeStart, NodeFinished, JinjaLogInfo)."""

    name: str
    level: str
    msg: str
    data: dict[str, Any]


@dataclasses.dataclass
class DbtRun:
    """Result of one dbt invocation.

    Attributes:
        args: the dbt arguments (after ``dbt``).
        returncode: dbt's exit code (0 ok, 1 node failures, 2 dbt error).
        invocation_id: dbt's invocation id (the job_id of a job run), if dbt got that far.
        nodes: finished nodes in completion order.
        payloads: objects printed by project macros with the ``EROS_JSON`` marker.
        errors: text of error-level events (for one-line reporting).
        elapsed_seconds: wall time of the subprocess.
        show_rows: rows of a ``dbt show --output json`` invocation.
    """

    args: list[str]
    returncode: int
    invocation_id: str | None
    nodes: list[NodeResult]
    payloads: list[dict[str, Any]]
    errors: list[str]
    elapsed_seconds: float
    show_rows: list[dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        """True when dbt exited 0."""
        return self.returncode == 0

    def failed_nodes(self) -> list[NodeResult]:
        """Nodes whose status is error or fail."""
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]


def invoke(
    args: list[str],
    *,
    project: Path,
    target: str,
    variables: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    timeout_seconds: float | None = None,
) -> DbtRun:
    """Run ``dbt <args> --target <target> --vars <variables>`` in ``project``.

    Args:
        args: dbt command and its own flags, e.g. ``["build", "--selector", "daily"]``.
        project: the dbt project directory (also the profiles directory).
        target: profile target name.
        variables: dbt vars, passed as one JSON ``--vars`` argument.
        on_event: called for every structured log event (progress display).
        timeout_seconds: kill dbt after this long (None: no limit).

    Returns:
        A :class:`DbtRun`. dbt failures are reported in it, not raised.

    Raises:
        ErosRunError: when dbt cannot be started or times out.
    """
    command = [dbt_executable(), *args, "--target", target, "--log-format", "json", "--no-use-colors"]
    if variables:
        command += ["--vars", json.dumps(dict(variables), default=str)]
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=dbt_environment(project),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
    except OSError as exc:  # pragma: no cover - depends on the install
        raise ErosRunError(f"cannot start dbt: {exc}") from exc

    invocation_id: str | None = None
    nodes: list[NodeResult] = []
    payloads: list[dict[str, Any]] = []
    errors: list[str] = []
    show_rows: list[dict[str, Any]] | None = None
    assert process.stdout is not None
    try:
        for raw in process.stdout:
            line = raw.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                # dbt printed something that is not an event (a crash trace): keep it
                errors.append(line)
                continue
            info = event.get("info", {})
            data = event.get("data", {}) or {}
            invocation_id = invocation_id or info.get("invocation_id")
            dbt_event = DbtEvent(info.get("name", ""), info.get("level", ""), info.get("msg", "") or "", data)
            if dbt_event.name in RESULT_EVENTS and "node_info" in data:
                node = data.get("node_info", {}) or {}
                status = str(node.get("node_status") or data.get("status") or "").lower()
                nodes.append(NodeResult(
                    unique_id=node.get("unique_id", ""),
                    name=node.get("node_name", ""),
                    resource_type=node.get("resource_type", ""),
                    status="skipped" if dbt_event.name == "SkippingDetails" else status,
                    message=data.get("result_message") or (dbt_event.msg if status in ("error", "fail") else None),
                    execution_time=data.get("execution_time"),
                ))
            elif dbt_event.name == "ShowNode" and "preview" in data:
                preview = data["preview"]
                show_rows = json.loads(preview) if isinstance(preview, str) else preview
            elif dbt_event.msg.startswith(JSON_MARKER):
                payloads.append(json.loads(dbt_event.msg[len(JSON_MARKER):]))
            if dbt_event.level == "error" and dbt_event.msg:
                errors.append(dbt_event.msg)
            if on_event is not None:
                on_event(dbt_event)
            if timeout_seconds is not None and time.monotonic() - started > timeout_seconds:
                process.kill()
                raise ErosRunError(f"dbt {' '.join(args[:1])} timed out after {timeout_seconds:.0f} s")
        returncode = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return DbtRun(
        args=list(args),
        returncode=returncode,
        invocation_id=invocation_id,
        nodes=nodes,
        payloads=payloads,
        errors=errors,
        elapsed_seconds=time.monotonic() - started,
        show_rows=show_rows,
    )


def run_operation(
    macro: str,
    macro_args: Mapping[str, Any] | None,
    *,
    project: Path,
    target: str,
    variables: Mapping[str, Any] | None = None,
) -> DbtRun:
    """``dbt run-operation <macro> --args <json>``; see :func:`invoke`."""
    args = ["run-operation", macro]
    if macro_args:
        args += ["--args", json.dumps(dict(macro_args), default=str)]
    return invoke(args, project=project, target=target, variables=variables)


def query(sql: str, *, project: Path, target: str, variables: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a SQL query (Jinja allowed: ``{{ ref('x') }}``) through ``dbt show``.

    Returns:
        Rows as dicts, column name to JSON value (timestamps as ISO strings).

    Raises:
        ErosRunError: when dbt reports an error (the first error line is included).
    """
    run = invoke(
        ["show", "--inline", sql, "--output", "json", "--limit", "-1"],
        project=project,
        target=target,
        variables=variables,
        on_event=None,
    )
    if not run.ok:
        raise ErosRunError(first_error_line(run) or "dbt show failed")
    return run.show_rows or []


def first_error_line(run: DbtRun) -> str | None:
    """The most telling single line of a failed invocation (for one-line CLI errors)."""
    for text in run.errors:
        for line in text.splitlines():
            line = line.strip()
            if "EROS_SOURCE_MISSING:" in line:
                return line[line.index("EROS_SOURCE_MISSING:") + len("EROS_SOURCE_MISSING:"):].strip()
    for node in run.failed_nodes():
        if node.message:
            return f"{node.name}: {node.message.strip().splitlines()[0]}"
    for text in run.errors:
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith(("Encountered an error", ">", "Compilation Error")):
                return line
    return None
