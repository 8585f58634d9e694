"""Run dbt as a subprocess and read its structured (JSON) log and ``run_results.json``.

Each dbt command runs in its own process: the DuckDB file lock is released when the
process ends, and no connection outlives a step (dbt-duckdb issues #616 and #203 are
about in-process reuse).

Parse once (issue 11):

* The job parameters ``execution_date`` and ``as_of_timestamp`` are passed as environment
  variables (``EROS_EXECUTION_DATE``, ``EROS_AS_OF_TIMESTAMP``), not ``--vars``: dbt
  re-parses the whole project whenever ``--vars`` change, while the macro
  ``eros_job_parameter`` (macros/utils/calendar.sql) reads the environment at execution
  time only. An explicit ``--vars`` value still wins, so plain dbt users pass them as vars.
* Every invocation gets its own ``--target-path`` (``<target>/eros-runs/<id>/``), seeded
  with the saved parse state (``partial_parse.msgpack``) of a shared parse folder
  (``<target>/eros-parse/<key>/``, one per profile target, connection settings and other
  vars, since dbt re-parses fully when those change). Concurrent commands never overwrite
  each other's ``run_results.json`` or parse state; the newest parse state is copied back
  atomically. Old run folders are removed (:data:`KEEP_RUN_DIRS`, :data:`RUN_DIR_MAX_AGE_SECONDS`).
* Node results come from ``run_results.json`` as :class:`NodeResult` objects (hooks, which
  it does not list, from the log). Success is exit 0 and no error-level event.

Macros of this project print machine-readable results as a log line that starts with
``EROS_JSON `` (see macros/automation/*.sql); :func:`invoke` collects them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eros.errors import ErosRunError
from eros.locks import die_with_parent
from eros.project import dbt_environment, dbt_executable

JSON_MARKER = "EROS_JSON "
# Job parameters passed through the environment instead of --vars (module docstring).
JOB_PARAMETER_ENV = {
    "execution_date": "EROS_EXECUTION_DATE",
    "as_of_timestamp": "EROS_AS_OF_TIMESTAMP",
}
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
FILE_LOG_LEVEL = "warn"
# Events saying dbt parsed the whole project ("Unable to do partial parsing ...").
FULL_PARSE_EVENTS = frozenset({"UnableToPartialParse", "PartialParsingNotEnabled"})
RUN_DIRS = "eros-runs"
PARSE_DIRS = "eros-parse"
# Run folders kept for inspection: the newest KEEP_RUN_DIRS, and any younger than the age
# limit (a concurrent command may still be writing to it; jobs time out after 30 min).
KEEP_RUN_DIRS = 20
RUN_DIR_MAX_AGE_SECONDS = 3 * 3600
# Environment variables that never change what dbt parses (the job parameters are read at
# execution time; the folders are ours).
_PARSE_NEUTRAL_ENV = frozenset({*JOB_PARAMETER_ENV.values(), "DBT_TARGET_PATH", "DBT_LOG_PATH"})
# Info-level events that close a node (NodeFinished is debug-level and not emitted).
RESULT_EVENTS = frozenset({
    "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult", "SkippingDetails",
    "LogHookEndLine", "LogNodeNoOpResult", "LogFunctionResult",
})


@dataclasses.dataclass
class NodeResult:
    """Outcome of one dbt node (model, test, seed, unit test, hook) in an invocation.

    Attributes:
        unique_id: dbt's unique id (``model.eros.x``, ``test.eros.y.<hash>``).
        name: node name (``x``, ``y``).
        resource_type: model, test, seed, unit_test, snapshot, operation (hooks).
        status: lower-case dbt status: success, error, skipped (models, seeds); pass,
            fail, warn, error, skipped (tests).
        message: dbt's result message (the error text of a failed node).
        execution_time: seconds dbt spent on the node.
        failures: failing rows of a test (None for other nodes).
    """

    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str | None
    execution_time: float | None
    failures: int | None = None


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
        target_path: the invocation's own dbt target folder (run_results.json, compiled SQL).
        full_parse: True when dbt parsed the whole project (no usable saved parse state).
    """

    args: list[str]
    returncode: int
    invocation_id: str | None
    nodes: list[NodeResult]
    payloads: list[dict[str, Any]]
    errors: list[str]
    elapsed_seconds: float
    show_rows: list[dict[str, Any]] | None = None
    target_path: Path | None = None
    full_parse: bool = False

    @property
    def ok(self) -> bool:
        """True when dbt exited 0 and logged no error-level event."""
        return self.returncode == 0 and not self.errors

    def failed_nodes(self) -> list[NodeResult]:
        """Nodes whose status is error or fail."""
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]


def _target_root(project: Path, env: Mapping[str, str]) -> Path:
    """dbt's target folder of this environment (DBT_TARGET_PATH, else <project>/target)."""
    configured = env.get("DBT_TARGET_PATH")
    root = Path(configured).expanduser() if configured else Path("target")
    return root if root.is_absolute() else (project / root)


def parse_key(target: str, cli_vars: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """Name of the shared parse folder for one parse state: dbt re-parses the whole project
    when the target, the ``--vars``, the connection settings or the project's env vars
    change, so each combination keeps its own ``partial_parse.msgpack``.

    Args:
        target: profile target name.
        cli_vars: the ``--vars`` of the invocation (job parameters excluded).
        env: the dbt subprocess environment (EROS_* and DBT_* entries count).

    Returns:
        ``<target>-<12 hex digits>``.
    """
    relevant = sorted(
        (k, v) for k, v in env.items()
        if k.startswith(("EROS_", "DBT_")) and k not in _PARSE_NEUTRAL_ENV
    )
    digest = hashlib.sha256(json.dumps([target, dict(cli_vars), relevant], sort_keys=True, default=str).encode())
    safe_target = "".join(c if c.isalnum() or c in "-_" else "_" for c in target)
    return f"{safe_target}-{digest.hexdigest()[:12]}"


def split_job_parameters(variables: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Split dbt vars into (``--vars``, environment): the job parameters of
    :data:`JOB_PARAMETER_ENV` go to the environment as text (empty values are dropped)."""
    cli_vars: dict[str, Any] = {}
    env: dict[str, str] = {}
    for name, value in (variables or {}).items():
        if name in JOB_PARAMETER_ENV:
            if value not in (None, ""):
                env[JOB_PARAMETER_ENV[name]] = str(value)
        else:
            cli_vars[name] = value
    return cli_vars, env


def _prepare_run_dir(target_root: Path, key: str) -> Path:
    """A fresh run folder seeded with the saved parse state of ``key`` (if any)."""
    run_dir = target_root / RUN_DIRS / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    run_dir.mkdir(parents=True)
    saved = target_root / PARSE_DIRS / key / PARTIAL_PARSE_FILE
    if saved.is_file():
        try:
            shutil.copyfile(saved, run_dir / PARTIAL_PARSE_FILE)
        except OSError:
            pass  # no saved state: dbt parses the whole project
    return run_dir


def _save_parse_state(run_dir: Path, target_root: Path, key: str) -> None:
    """Copy the run's parse state back to the shared folder, atomically (write, rename),
    when dbt wrote a new one."""
    produced = run_dir / PARTIAL_PARSE_FILE
    shared_dir = target_root / PARSE_DIRS / key
    shared = shared_dir / PARTIAL_PARSE_FILE
    try:
        if not produced.is_file():
            return
        if shared.is_file() and shared.stat().st_size == produced.stat().st_size and \
                _same_file_content(shared, produced):
            return
        shared_dir.mkdir(parents=True, exist_ok=True)
        scratch = shared_dir / f".{PARTIAL_PARSE_FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        shutil.copyfile(produced, scratch)
        os.replace(scratch, shared)
    except OSError:
        pass  # the next command parses again; never fail a run over a cache


def _same_file_content(a: Path, b: Path) -> bool:
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            chunk_a, chunk_b = fa.read(1 << 20), fb.read(1 << 20)
            if chunk_a != chunk_b:
                return False
            if not chunk_a:
                return True


def clean_run_dirs(target_root: Path, *, keep: int = KEEP_RUN_DIRS, max_age_seconds: float = RUN_DIR_MAX_AGE_SECONDS,
                   now: float | None = None) -> list[Path]:
    """Remove old run folders under ``<target_root>/eros-runs``: all but the newest ``keep``
    that are also older than ``max_age_seconds`` (a younger one may belong to a running
    command). Returns the removed folders."""
    base = target_root / RUN_DIRS
    if not base.is_dir():
        return []
    now = time.time() if now is None else now
    entries = []
    for entry in base.iterdir():
        try:
            entries.append((entry.stat().st_mtime, entry))
        except OSError:
            continue
    entries.sort(reverse=True)
    removed = []
    for mtime, entry in entries[keep:]:
        if now - mtime > max_age_seconds and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def read_run_results(path: Path) -> list[NodeResult]:
    """Typed node results of a ``run_results.json`` (empty when the file is missing or
    unreadable, e.g. dbt stopped before running any node)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    results = []
    for item in data.get("results", []) or []:
        unique_id = str(item.get("unique_id", ""))
        parts = unique_id.split(".")
        resource_type = parts[0] if parts else ""
        if resource_type == "test" and len(parts) >= 3:
            name = parts[2]
        elif resource_type == "unit_test" and len(parts) >= 2:
            name = parts[-1]
        else:
            name = parts[-1] if parts else ""
        failures = item.get("failures")
        results.append(NodeResult(
            unique_id=unique_id,
            name=name,
            resource_type=resource_type,
            status=str(item.get("status") or "").lower(),
            message=item.get("message"),
            execution_time=item.get("execution_time"),
            failures=int(failures) if isinstance(failures, int | float) and resource_type in ("test", "unit_test") else None,
        ))
    return results


def _merge_results(logged: list[NodeResult], recorded: list[NodeResult]) -> list[NodeResult]:
    """run_results.json's nodes (authoritative), named as the log named them, plus the
    logged nodes it does not list (hooks), in log order."""
    if not recorded:
        return logged
    by_id = {n.unique_id: n for n in recorded}
    merged: list[NodeResult] = []
    seen: set[str] = set()
    for node in logged:
        result = by_id.get(node.unique_id)
        if result is None:
            merged.append(node)
            continue
        seen.add(node.unique_id)
        merged.append(dataclasses.replace(result, name=node.name or result.name,
                                          message=result.message or node.message))
    merged.extend(n for n in recorded if n.unique_id not in seen)
    return merged


def invoke(
    args: list[str],
    *,
    project: Path,
    target: str,
    variables: Mapping[str, Any] | None = None,
    on_event: Callable[[DbtEvent], None] | None = None,
    timeout_seconds: float | None = None,
) -> DbtRun:
    """Run ``dbt <args> --target <target>`` in ``project`` in its own target folder.

    The job parameters among ``variables`` (execution_date, as_of_timestamp) are passed as
    environment variables, the others as one JSON ``--vars`` argument (module docstring).

    Args:
        args: dbt command and its own flags, e.g. ``["build", "--selector", "daily"]``.
        project: the dbt project directory (also the profiles directory).
        target: profile target name.
        variables: dbt vars.
        on_event: called for every structured log event (progress display).
        timeout_seconds: kill dbt after this long (None: no limit).

    Returns:
        A :class:`DbtRun`. dbt failures are reported in it, not raised.

    Raises:
        ErosRunError: when dbt cannot be started or times out.
    """
    cli_vars, parameter_env = split_job_parameters(variables)
    env = dbt_environment(project)
    for name in JOB_PARAMETER_ENV.values():
        env.pop(name, None)  # a parameter of an outer command must not leak into this one
    env.update(parameter_env)
    target_root = _target_root(project, env)
    key = parse_key(target, cli_vars, env)
    run_dir = _prepare_run_dir(target_root, key)
    # the run's own target folder through the environment: every command reads DBT_TARGET_PATH,
    # while `dbt debug` rejects a --target-path option (eros doctor failed with a usage error)
    env["DBT_TARGET_PATH"] = str(run_dir)
    command = [dbt_executable(), *args, "--target", target, "--log-format", "json", "--no-use-colors"]
    if "DBT_LOG_LEVEL_FILE" not in env:
        # dbt writes every SQL statement to logs/dbt.log at its default (debug) level: about
        # 1 CPU s of a daily run. Warnings and errors still go there; DBT_LOG_LEVEL_FILE=debug
        # restores the full file log (the JSON event stream on stdout is unchanged).
        command += ["--log-level-file", FILE_LOG_LEVEL]
    if cli_vars:
        command += ["--vars", json.dumps(cli_vars, default=str)]
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            preexec_fn=die_with_parent(),  # a killed eros (run-due, a job) leaves no dbt running on (issue 13)
        )
    except OSError as exc:  # pragma: no cover - depends on the install
        raise ErosRunError(f"cannot start dbt: {exc}") from exc

    invocation_id: str | None = None
    nodes: list[NodeResult] = []
    payloads: list[dict[str, Any]] = []
    errors: list[str] = []
    show_rows: list[dict[str, Any]] | None = None
    full_parse = False
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
                    failures=data.get("num_failures") if dbt_event.name == "LogTestResult" else None,
                ))
            elif dbt_event.name == "ShowNode" and "preview" in data:
                preview = data["preview"]
                show_rows = json.loads(preview) if isinstance(preview, str) else preview
            elif dbt_event.msg.startswith(JSON_MARKER):
                payloads.append(json.loads(dbt_event.msg[len(JSON_MARKER):]))
            elif dbt_event.name in FULL_PARSE_EVENTS:
                full_parse = True
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
    _save_parse_state(run_dir, target_root, key)
    clean_run_dirs(target_root)
    return DbtRun(
        args=list(args),
        returncode=returncode,
        invocation_id=invocation_id,
        nodes=_merge_results(nodes, read_run_results(run_dir / "run_results.json")),
        payloads=payloads,
        errors=errors,
        elapsed_seconds=time.monotonic() - started,
        show_rows=show_rows,
        target_path=run_dir,
        full_parse=full_parse,
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
