"""Render a local HTML file in headless Chromium and inspect it (tests of ``eros report``).

Chromium is driven through the Chrome DevTools Protocol over ``--remote-debugging-pipe``
(JSON messages separated by NUL bytes on file descriptors 3 and 4), so no websocket
library, driver or npm package is needed: only the Debian ``chromium`` package.

:func:`render_page` opens the file with no network access expected, waits for the load
event and for the page's own rendering to settle, and returns the console errors, uncaught
exceptions, every requested URL, the result of a JavaScript probe and a full-page PNG.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


_TRAMPOLINE = (
    "import fcntl, os, sys\n"
    "ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]\n"
    "os.dup2(ends[0], 3)\n"
    "os.dup2(ends[1], 4)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class ChromiumError(RuntimeError):
    """Chromium is missing, crashed, or did not answer in time."""


def find_chromium() -> str | None:
    """Path of a Chromium executable on PATH, or None."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclasses.dataclass
class RenderedPage:
    """What the browser saw.

    Attributes:
        console_errors: console messages of level error (console.error, failed loads).
        exceptions: uncaught JavaScript exceptions.
        requested_urls: every URL the page requested (the file itself included).
        probe: value returned by the JavaScript probe expression.
        screenshot_png: full-page screenshot.
    """

    console_errors: list[str]
    exceptions: list[str]
    requested_urls: list[str]
    probe: Any
    screenshot_png: bytes


class _Pipe:
    """CDP over the two pipes: send commands, read responses and events."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.process = process
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise ChromiumError("Chromium did not answer in time")
            if self.process.poll() is not None:
                raise ChromiumError(f"Chromium exited with code {self.process.returncode}")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise ChromiumError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error']}")
                return dict(reply.get("result") or {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event


def render_page(html_path: Path, probe_js: str, *, width: int = 1400, height: int = 900, settle_seconds: float = 1.5,
                timeout: float = 60) -> RenderedPage:
    """Open ``html_path`` in a fresh headless Chromium profile and inspect it.

    Args:
        html_path: the HTML file.
        probe_js: a JavaScript expression evaluated after load (its value must be JSON).
        width, height: viewport in CSS pixels (the screenshot covers the whole page).
        settle_seconds: extra time after the load event for scripts to draw.
        timeout: limit for each step.

    Raises:
        ChromiumError: Chromium missing, crashed or too slow.
    """
    executable = find_chromium()
    if executable is None:
        raise ChromiumError("chromium is not installed (Debian package `chromium`; `make chromium` installs it)")
    with tempfile.TemporaryDirectory(prefix="eros-chromium-") as profile:
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()

        # Chromium reads commands on fd 3 and writes replies on fd 4. A tiny Python trampoline
        # moves the pipe ends there and execs the browser (a shell cannot: dash refuses fd
        # numbers above 9; preexec_fn cannot: close_fds runs after it).
        command = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"]
        process = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_browser_read), str(from_browser_write), *command],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_browser_read, from_browser_write),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        pipe = _Pipe(process, to_browser_write, from_browser_read)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
            session = pipe.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, timeout=timeout)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.call(f"{domain}.enable", session=session, timeout=timeout)
            pipe.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session, timeout=timeout)
            pipe.events.clear()
            pipe.call("Page.navigate", {"url": html_path.resolve().as_uri()}, session=session, timeout=timeout)
            pipe.wait_for("Page.loadEventFired", timeout)
            time.sleep(settle_seconds)
            probe = pipe.call("Runtime.evaluate", {"expression": probe_js, "returnByValue": True, "awaitPromise": True},
                              session=session, timeout=timeout)
            metrics = pipe.call("Page.getLayoutMetrics", session=session, timeout=timeout)
            size = metrics.get("cssContentSize") or metrics.get("contentSize") or {"width": width, "height": height}
            shot = pipe.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": float(size["height"]), "scale": 1},
            }, session=session, timeout=timeout)
        finally:
            try:
                pipe.call("Browser.close", timeout=5)
            except ChromiumError:
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            os.close(to_browser_write)
            os.close(from_browser_read)
    console_errors: list[str] = []
    exceptions: list[str] = []
    urls: list[str] = []
    for event in pipe.events:
        method, params = event.get("method"), event.get("params") or {}
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and (params.get("entry") or {}).get("level") == "error":
            entry = params["entry"]
            console_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails") or {}
            exceptions.append(str((details.get("exception") or {}).get("description") or details.get("text")))
        elif method == "Network.requestWillBeSent":
            urls.append(str((params.get("request") or {}).get("url")))
    result = probe.get("result") or {}
    if probe.get("exceptionDetails"):
        exceptions.append(f"probe: {probe['exceptionDetails'].get('text')}")
    return RenderedPage(
        console_errors=console_errors,
        exceptions=exceptions,
        requested_urls=urls,
        probe=result.get("value"),
        screenshot_png=base64.b64decode(shot["data"]),
    )
