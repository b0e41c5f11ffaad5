"""Notifications on publish and on failure reach a real local HTTP endpoint through apprise; a failed
notification never fails the report; messages carry no personal data."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from cs_toolkit import demo
from cs_toolkit.errors import ReportFailed
from cs_toolkit.reports.jobs import run_registered_report
from cs_toolkit.reports.notify import send
from cs_toolkit.settings import Settings
from cs_toolkit.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture()
def endpoint():
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length).decode("utf-8")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_publish_and_failure_are_announced_and_a_dead_endpoint_changes_nothing(tmp_path, endpoint):
    url, received = endpoint
    inbox = tmp_path / "data" / "inbox"
    (inbox / "complaints").mkdir(parents=True)
    demo.make_complaints(400, seed=2, start="2026-10-01", weeks=6).to_csv(inbox / "complaints" / "c.csv", index=False)
    (tmp_path / "survey_config.yaml").write_text(yaml.safe_dump(demo.make_survey(seed=0).config), encoding="utf-8")
    settings = Settings(root=tmp_path, notify=[url])
    Store(settings.store_url).ingest(settings.inbox, settings.survey_config, progress=False)

    result = run_registered_report("monthly_complaints", "2026-10", settings)
    assert len(received) == 1
    message = received[0]
    assert message["title"] == "月度投诉分析 · 2026年10月 已发布"
    assert "投诉量" in message["message"] and str(result.html) in message["message"]

    broken = Settings(root=tmp_path, notify=[url], store=str(tmp_path / "empty.duckdb"))
    with pytest.raises(ReportFailed):
        run_registered_report("monthly_complaints", "2026-10", broken)
    assert len(received) == 2 and received[1]["title"].endswith("生成失败") and "上一期" in received[1]["message"]

    dead = Settings(root=tmp_path, notify=[f"json://127.0.0.1:{_closed_port()}/hook", "notaservice://x"])
    again = run_registered_report("monthly_complaints", "2026-10", dead)  # the report does not care
    assert again.html.exists()


def test_messages_are_redacted(endpoint):
    url, received = endpoint
    assert send([url], "失败", "客户 13912345678 的投诉导致报告失败")
    assert "13912345678" not in json.dumps(received, ensure_ascii=False) and "[PHONE]" in received[0]["message"]
