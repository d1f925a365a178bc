"""Load a page in headless Chromium through the DevTools protocol (websocket-client) and report
console errors, uncaught exceptions, network requests, script results and a screenshot."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    results: dict[str, object] = field(default_factory=dict)
    screenshot: bytes = b""


class _Session:
    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > end:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv()))


def load_page(
    path: Path, profile: Path, scripts: dict[str, str], focus: bool = False
) -> PageReport:
    """Open ``path``; evaluate each of ``scripts`` (name -> JS expression) after load.
    ``focus``: the page behaves as the focused window (headless has none), so ``:focus``
    styles apply."""
    profile.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1400,1000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > end or proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t["type"] == "page")
        session = _Session(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            session.call(f"{domain}.enable")
        if focus:
            session.call("Emulation.setFocusEmulationEnabled", enabled=True)
        session.call("Page.navigate", url=path.resolve().as_uri())
        session.wait_for("Page.loadEventFired")
        report = PageReport()
        for name, expression in scripts.items():
            result = session.call("Runtime.evaluate", expression=expression, returnByValue=True)
            if "exceptionDetails" in result:
                report.errors.append(f"{name}: {result['exceptionDetails']}")
            report.results[name] = result.get("result", {}).get("value")
        shot = session.call("Page.captureScreenshot", format="png")
        report.screenshot = base64.b64decode(shot["data"])
        session.call("Runtime.evaluate", expression="1")  # drain late events
        for event in session.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                report.errors.append(str(params["exceptionDetails"]))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.errors.append(str(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                report.errors.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"])
        with contextlib.suppress(websocket.WebSocketException, OSError, RuntimeError):
            session.call("Browser.close")
        return report
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
