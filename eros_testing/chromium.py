"""Open local HTML files in the system's headless Chromium with Playwright (tests of
``eros report`` and of Elementary's report).

Playwright (PyPI ``playwright``, a dev dependency) drives the Debian ``chromium`` package
through ``executable_path``: no browser download (``playwright install`` is never needed;
``make chromium`` installs the Debian package when it is missing).

One :class:`Browser` per test module (start-up costs seconds); each :meth:`Browser.open`
gets a fresh context at the asked viewport, in which every network request other than
the file itself is aborted and recorded, and console errors and uncaught exceptions are
collected.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# --no-sandbox: the tests may run as root in a container, where Chromium's sandbox cannot start
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--disable-extensions", "--no-first-run", "--mute-audio")


class ChromiumError(RuntimeError):
    """Chromium is missing, crashed, or did not answer in time."""


def find_chromium() -> str | None:
    """Path of a system Chromium executable on PATH, or None."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclasses.dataclass
class OpenedPage:
    """A file open in the browser, and what the browser saw while loading it.

    Attributes:
        page: the Playwright page (``page.locator(...)``, ``page.screenshot(...)``...).
        console_errors: console messages of level error (console.error, failed loads).
        exceptions: uncaught JavaScript exceptions.
        requested_urls: every URL the page requested (the file itself included), in order.
        blocked_urls: requests that were aborted (anything but the file itself).
    """

    page: Any
    console_errors: list[str]
    exceptions: list[str]
    requested_urls: list[str]
    blocked_urls: list[str]

    def screenshot(self, path: Path) -> bytes:
        """Full-page PNG, written to ``path`` (parent folders created); returns its bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return bytes(self.page.screenshot(path=str(path), full_page=True))


class Browser:
    """One headless system Chromium driven by Playwright (use as a context manager)."""

    def __init__(self, executable: str | None = None, timeout_seconds: float = 60) -> None:
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise ChromiumError("chromium is not installed (Debian package `chromium`; `make chromium` installs it)")
        self.timeout_ms = timeout_seconds * 1000
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Browser:
        from playwright.sync_api import Error, sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=self.executable, args=list(CHROMIUM_ARGS),
                                                             headless=True, timeout=self.timeout_ms)
        except Error as exc:
            self._playwright.stop()
            raise ChromiumError(f"could not start {self.executable}: {exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    @contextmanager
    def open(self, html_path: Path, *, width: int = 1400, height: int = 900, settle_seconds: float = 0.5) -> Iterator[OpenedPage]:
        """Open ``html_path`` in a fresh context (viewport ``width`` x ``height`` CSS
        pixels), wait for the load event and ``settle_seconds`` for scripts to draw.
        Every request but the file itself is aborted (and listed in ``blocked_urls``)."""
        url = html_path.resolve().as_uri()
        context = self._browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                            service_workers="block")
        context.set_default_timeout(self.timeout_ms)
        opened = OpenedPage(page=None, console_errors=[], exceptions=[], requested_urls=[], blocked_urls=[])

        def guard(route: Any) -> None:
            if route.request.url == url:
                route.continue_()
            else:
                opened.blocked_urls.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        opened.page = page
        page.on("request", lambda request: opened.requested_urls.append(request.url))
        page.on("console", lambda message: opened.console_errors.append(f"{message.text} {message.location.get('url', '')}".strip())
                if message.type in ("error", "assert") else None)
        page.on("pageerror", lambda error: opened.exceptions.append(str(error)))
        try:
            page.goto(url, wait_until="load")
            page.wait_for_timeout(settle_seconds * 1000)
            yield opened
        finally:
            context.close()


@dataclasses.dataclass
class RenderedPage:
    """What :func:`render_page` saw: console errors, exceptions, requested URLs, the value
    of the JavaScript probe and a full-page screenshot (PNG)."""

    console_errors: list[str]
    exceptions: list[str]
    requested_urls: list[str]
    probe: Any
    screenshot_png: bytes


def render_page(html_path: Path, probe_js: str, *, width: int = 1400, height: int = 900, settle_seconds: float = 1.5,
                timeout: float = 60) -> RenderedPage:
    """Open ``html_path`` once in its own browser, evaluate ``probe_js`` (an expression,
    awaited when it is a promise; its value must be JSON) and take a full-page screenshot.

    Raises:
        ChromiumError: Chromium missing or could not start.
    """
    with Browser(timeout_seconds=timeout) as browser, browser.open(html_path, width=width, height=height,
                                                                   settle_seconds=settle_seconds) as opened:
        probe = opened.page.evaluate(probe_js)
        shot = bytes(opened.page.screenshot(full_page=True))
        return RenderedPage(console_errors=list(opened.console_errors), exceptions=list(opened.exceptions),
                            requested_urls=list(opened.requested_urls), probe=probe, screenshot_png=shot)
