"""The team route: a real Prefect server on 127.0.0.1 and a process work-pool worker; deployments come
from prefect.yaml, a report runs through the worker, then both are stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from cs_toolkit import demo
from cs_toolkit.reports.store import ingest

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_prefect_server_worker_and_prefect_yaml(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "complaints").mkdir(parents=True)
    demo.make_complaints(400, seed=9, start="2026-09-01", weeks=4).to_csv(inbox / "complaints" / "c.csv", index=False)
    survey = demo.make_survey(seed=9)
    (inbox / "cfg.yaml").write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
    ingest(inbox, tmp_path / "store", inbox / "cfg.yaml")

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base_env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1", "CS_TOOLKIT_ROOT": str(ROOT)}
    base_env.pop("PREFECT_API_URL", None)
    client_env = {**base_env, "PREFECT_API_URL": api}
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=base_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        wait_for(f"{api}/health", 120)

        def prefect(*args, timeout=300):
            result = subprocess.run([PREFECT, *args], env=client_env, cwd=ROOT, capture_output=True, text=True,
                                    timeout=timeout)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            return result.stdout

        prefect("work-pool", "create", "cs-toolkit", "--type", "process")
        prefect("--no-prompt", "deploy", "--all")
        listed = prefect("deployment", "ls")
        for name in ("ingest-hourly", "weekly-satisfaction", "monthly-complaints"):
            assert name in listed
        worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "cs-toolkit"], env=client_env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = prefect("deployment", "run", "monthly-complaints/monthly-complaints", "--param", "period=2026-09",
                      "--param", f"store={tmp_path / 'store'}", "--param", f"reports_dir={tmp_path / 'reports'}",
                      "--watch", timeout=600)
        assert "Completed" in out
        html = tmp_path / "reports" / "monthly_complaints" / "2026-09" / "monthly_complaints.html"
        assert html.exists() and "<table" in html.read_text(encoding="utf-8")
        good = html.read_bytes()
        # a run that fails (its store is missing) ends Failed and leaves the last good report alone
        failed = subprocess.run([PREFECT, "deployment", "run", "monthly-complaints/monthly-complaints",
                                 "--param", "period=2026-09", "--param", f"store={tmp_path / 'missing'}",
                                 "--param", f"reports_dir={tmp_path / 'reports'}", "--watch"],
                                env=client_env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert failed.returncode != 0 and "Failed" in failed.stdout + failed.stderr
        assert html.read_bytes() == good
        assert list((tmp_path / "reports" / "monthly_complaints" / "failed").glob("2026-09-*.ipynb"))
    finally:
        if worker is not None:
            stop(worker)
        stop(server)
