"""The published reports open in a real browser with the network off: headless Chromium (Debian's
``chromium``) driven over the DevTools protocol loads each HTML file and the test asserts that nothing was
requested from the network, nothing failed to load, the console logged no error, and a screenshot shows
a rendered page. The Excel workbooks open too."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from cs_toolkit import demo
from cs_toolkit.reports.jobs import run_registered_report
from cs_toolkit.settings import Settings
from cs_toolkit.store import Store

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """Headless Chromium over the DevTools protocol, offline: every host resolves to nothing and any
    request that would leave the machine goes to a closed proxy."""

    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1200,2000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.time() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        from websockets.sync.client import connect

        self.socket = connect(page["webSocketDebuggerUrl"], max_size=None)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", {})
            self.events.append(message)

    def open(self, url: str) -> list[dict]:
        """Navigate and wait for the load event; returns the events of this page."""
        self.events = []
        self.call("Page.navigate", url=url)
        deadline = time.time() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events) and time.time() < deadline:
            self.events.append(json.loads(self.socket.recv(timeout=60)))
        end = time.time() + 1.0  # late requests and console messages
        while time.time() < end:
            with contextlib.suppress(TimeoutError):
                self.events.append(json.loads(self.socket.recv(timeout=0.2)))
        return self.events

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    demo.write_demo_settings(root)
    settings = Settings(root=root)
    demo.write_demo_inbox(settings.inbox, settings.survey_config, seed=0)
    Store(settings.store_url).ingest(settings.inbox, settings.survey_config, progress=False)
    weekly = run_registered_report("weekly_satisfaction", "2026-11-16", settings.model_copy(update={"pdf": True}))
    monthly = run_registered_report("monthly_complaints", "2026-11", settings)
    return weekly, monthly


def test_reports_are_self_contained_and_render_offline_in_chromium(published, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (./dev.sh test installs it when run as root)")
    browser = Browser(tmp_path / "profile")
    try:
        for result in published:
            html = result.html.read_text(encoding="utf-8")
            assert "<script" not in html and "cdnjs" not in html and "mathjax" not in html.lower()
            assert 'class="cs-toc"' in html and "@media print" in html
            events = browser.open(result.html.as_uri())
            requests = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
            outside = [u for u in requests if not u.startswith(("file:", "data:"))]
            failed = [e["params"] for e in events if e.get("method") == "Network.loadingFailed"]
            errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"
                      or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
                      or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
            assert outside == [] and failed == [] and errors == [], (outside, failed, errors)
            images = browser.call("Runtime.evaluate", expression="Array.from(document.images).map(i => "
                                  "[i.naturalWidth, i.alt])", returnByValue=True)["result"]["value"]
            assert images and all(width > 0 and alt for width, alt in images)  # every chart drawn, with alt text
            shot = browser.screenshot(tmp_path / f"{result.name}.png")
            assert shot.stat().st_size > 50_000
    finally:
        browser.close()


def test_pdf_is_printed_when_asked(published):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (./dev.sh test installs it when run as root)")
    weekly, monthly = published
    pdf = weekly.folder / "weekly_satisfaction.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF" and pdf.stat().st_size > 50_000
    assert not (monthly.folder / "monthly_complaints.pdf").exists()  # only when the settings ask


def test_excel_workbooks_open_with_chinese_sheets(published):
    for result in published:
        book = result.folder / f"{result.name}.xlsx"
        sheets = pd.read_excel(book, sheet_name=None)
        assert sheets and all(len(name) <= 31 for name in sheets)
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in sheets)  # Chinese sheet names
    weekly, monthly = published
    assert "服务水平" in pd.read_excel(monthly.folder / "monthly_complaints.xlsx", sheet_name=None)


def test_the_call_back_list_stays_out_of_the_shared_folder(published):
    weekly, _ = published
    root = weekly.folder.parents[2]
    settings = Settings(root=root)
    lists = list(settings.restricted.rglob("*.xlsx"))
    assert lists and all(settings.reports not in p.parents for p in lists)
    follow = pd.read_excel(lists[0])
    assert {"phone", "reason"} <= set(follow.columns) and len(follow)
    shared = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in weekly.folder.glob("*")
                     if p.suffix in (".html", ".ipynb", ".json"))
    assert not any(str(phone) in shared for phone in follow["phone"].astype(str))
