"""Open the HTML report of a real run in headless Chromium and check what a reader gets.

Chromium is driven through the Chrome DevTools Protocol over --remote-debugging-pipe: commands
go to its file descriptor 3 and replies come from descriptor 4, as JSON messages ended by a NUL
byte. No port is opened. The checks: the page loads with no console message of level error and
no request besides the page itself, the charts are in the DOM with a size, a name containing
<script> shows as text, and a screenshot is a real picture. A control page with a planted error
and a planted request proves that the checks see both. The tests skip when Chromium is absent.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report_runs import real_run_file

from pytest_statbench.report.html import THEMES, render_html
from pytest_statbench.schema import load_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs chromium or chromium-browser on PATH (CI installs it)"
    ),
    pytest.mark.skipif(
        sys.platform == "win32", reason="hands pipes to Chromium as file descriptors 3 and 4"
    ),
]

# Seconds to wait for one reply or one page load. A cold start of Chromium 156 took about 1 s
# on a 2-CPU machine.
REPLY_TIMEOUT = 30.0
SCRIPT_NAME = "<script>x</script>"
VIEWPORT = {"width": 1280, "height": 1600}

# Flags that keep a headless Chromium from contacting any host on its own.
QUIET_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-domain-reliability",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--metrics-recording-only",
    "--no-pings",
)


# Copying both pipe ends above 9 first keeps one from being overwritten when it is 3 or 4.
LAUNCHER = """
import fcntl, os, sys
commands = fcntl.fcntl(int(sys.argv[1]), fcntl.F_DUPFD, 10)
replies = fcntl.fcntl(int(sys.argv[2]), fcntl.F_DUPFD, 10)
os.dup2(commands, 3)
os.dup2(replies, 4)
os.closerange(5, 64)
os.execv(sys.argv[3], sys.argv[3:])
"""


class DevToolsPipe:
    """A Chromium process and its DevTools Protocol connection over two pipes."""

    def __init__(self, executable: str, profile: Path) -> None:
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        flags = [*QUIET_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Chromium does not start its sandbox as root, and CI runs as root.
            flags.append("--no-sandbox")
        # A short Python launcher moves the pipe ends to the descriptors 3 and 4 that Chromium
        # reads and writes, and then becomes Chromium.
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                LAUNCHER,
                str(commands_read),
                str(replies_write),
                executable,
                *flags,
                "about:blank",
            ],
            pass_fds=(commands_read, replies_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and return its result, keeping the events that arrive meanwhile."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(time.monotonic() + REPLY_TIMEOUT)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Return the first event named method, waiting for it when it has not arrived yet."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(self._receive(deadline))

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within seconds, such as late console messages."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.events.append(self._receive(deadline))
            except TimeoutError:
                return

    def close(self) -> None:
        try:
            os.write(
                self._commands, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0"
            )
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._commands)
        os.close(self._replies)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium sent no DevTools message in time")
            readable, _, _ = select.select([self._replies], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                stderr = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise RuntimeError(
                    f"Chromium closed the DevTools pipe. Its output:\n{stderr[-2000:]}"
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(message)
        return decoded


class Page:
    """One tab, with the console messages, errors and requests of the last navigation."""

    def __init__(self, browser: DevToolsPipe) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})
        attached = browser.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {**VIEWPORT, "deviceScaleFactor": 1, "mobile": False},
        )

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def open(self, path: Path) -> dict[str, list[str]]:
        """Load a file and return its error messages and the URLs it requested."""
        self.browser.events.clear()
        self.send("Page.navigate", {"url": path.as_uri()})
        self.browser.wait_for("Page.loadEventFired")
        self.browser.drain(0.3)
        events = [event for event in self.browser.events if event.get("sessionId") == self.session]

        errors = []
        requests = []
        for event in events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append(" ".join(str(argument.get("value")) for argument in params["args"]))
            elif method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"]["text"])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
            elif (
                method == "Network.requestWillBeSent" and params["request"]["url"] != path.as_uri()
            ):
                requests.append(params["request"]["url"])
        return {"errors": errors, "requests": requests}

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        path.write_bytes(data)
        return data


# The DOM facts the tests check, gathered by one script in the page.
DOM_FACTS = """JSON.stringify({
  scripts: document.querySelectorAll("script").length,
  heatMaps: document.querySelectorAll("figure.heat-map svg").length,
  forests: document.querySelectorAll("figure.forest svg").length,
  boxPlots: document.querySelectorAll("figure.box-plot svg").length,
  barCharts: document.querySelectorAll("figure.bar-chart svg").length,
  narrowestChart: Math.min(...Array.from(document.querySelectorAll("figure.chart svg"))
    .filter(svg => svg.closest("details:not([open])") === null)
    .map(svg => svg.getBoundingClientRect().width)),
  text: document.body.innerText,
  background: getComputedStyle(document.body).backgroundColor,
})"""


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Render a real run in each theme, and a control page with a planted error and request."""
    folder = tmp_path_factory.mktemp("browser")
    run = load_run(real_run_file(tmp_path_factory))
    files = {}
    for theme in THEMES:
        files[theme] = folder / f"report-{theme}.html"
        files[theme].write_text(render_html(run, theme=theme), encoding="utf-8")
    files["control"] = folder / "control.html"
    files["control"].write_text(
        "<!DOCTYPE html><title>control</title>"
        '<script>console.error("planted error")</script><img src="planted.png">',
        encoding="utf-8",
    )
    return files


@pytest.fixture(scope="module")
def loaded(
    report_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, dict[str, Any]]]:
    """Open every page in one Chromium and collect messages, requests, DOM facts, screenshots."""
    assert CHROMIUM is not None
    browser = DevToolsPipe(CHROMIUM, tmp_path_factory.mktemp("profile"))
    try:
        page = Page(browser)
        results: dict[str, dict[str, Any]] = {}
        for name, path in report_files.items():
            result: dict[str, Any] = dict(page.open(path))
            if name != "control":
                result["dom"] = json.loads(page.evaluate(DOM_FACTS))
                result["screenshot"] = page.screenshot(path.with_suffix(".png"))
            results[name] = result
        yield results
    finally:
        browser.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_control_page_error_seen(loaded: dict[str, dict[str, Any]]) -> None:
    assert "planted error" in loaded["control"]["errors"]


def test_control_page_request_seen(loaded: dict[str, dict[str, Any]]) -> None:
    assert [url.rsplit("/", 1)[-1] for url in loaded["control"]["requests"]] == ["planted.png"]


@pytest.mark.parametrize("theme", THEMES)
def test_no_console_errors(loaded: dict[str, dict[str, Any]], theme: str) -> None:
    assert loaded[theme]["errors"] == []


@pytest.mark.parametrize("theme", THEMES)
def test_no_network_requests(loaded: dict[str, dict[str, Any]], theme: str) -> None:
    assert loaded[theme]["requests"] == []


def test_charts_in_dom(loaded: dict[str, dict[str, Any]]) -> None:
    dom = loaded["professional"]["dom"]

    assert dom["heatMaps"] == 1
    assert dom["forests"] >= 2
    assert dom["boxPlots"] >= 2
    assert dom["barCharts"] >= 1


def test_charts_have_width(loaded: dict[str, dict[str, Any]]) -> None:
    assert loaded["professional"]["dom"]["narrowestChart"] > 200


def test_script_name_shown_as_text(loaded: dict[str, dict[str, Any]]) -> None:
    dom = loaded["professional"]["dom"]

    assert SCRIPT_NAME in dom["text"]
    assert dom["scripts"] == 0


def test_dark_theme_background(loaded: dict[str, dict[str, Any]]) -> None:
    assert loaded["dark"]["dom"]["background"] == "rgb(13, 17, 23)"
    assert loaded["professional"]["dom"]["background"] == "rgb(255, 255, 255)"


@pytest.mark.parametrize("theme", THEMES)
def test_screenshot_rendered(loaded: dict[str, dict[str, Any]], theme: str) -> None:
    data = loaded[theme]["screenshot"]

    assert png_size(data) == (VIEWPORT["width"], VIEWPORT["height"])
    # A blank page of this size was a 9 KB PNG in Chromium 156, and the reports were 200 KB.
    assert len(data) > 50_000
