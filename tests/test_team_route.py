"""The team route end to end, on PostgreSQL: a real Prefect server whose own database is PostgreSQL, the
deployments of ``prefect.yaml`` in a process work pool, one worker with the project's ``CS_TOOLKIT_*``
settings, and the store in a PostgreSQL database. Ingest and a monthly report run through the worker; runs
that fail end Failed and leave the last good report alone. Worker, then server, are stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cs_toolkit.demo import write_demo_inbox
from cs_toolkit.store import Store
from tests.conftest import free_port, new_database

ROOT = Path(__file__).resolve().parents[1]  # the repository, where prefect.yaml is
PREFECT = str(Path(sys.executable).with_name("prefect"))
PERIOD = "2026-10"
MONTHLY = "monthly-complaints/monthly-complaints"
pytestmark = pytest.mark.slow


def tail(path: Path, n: int = 4000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-n:] if path.exists() else f"({path} missing)"


def api_call(api: str, path: str, body: dict | None = None) -> object:
    """GET (no body) or POST ``body`` to the Prefect REST API; the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{api}{path}", data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def wait_for_health(api: str, server: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"prefect server exited with {server.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{api}/health did not answer within {seconds} s:\n{tail(log)}")


def stop(proc: subprocess.Popen | None, seconds: float = 30) -> None:
    """Terminate a process started with ``start_new_session=True`` and its children (a worker's flow-run
    processes, a server's helpers); kill them when they do not end within ``seconds``."""
    if proc is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # its own process group: ours, nobody else's
        try:
            proc.wait(timeout=seconds)
            return
        except subprocess.TimeoutExpired:
            continue


def test_team_route_on_postgresql(tmp_path, postgres_url):
    # -- the project folder: settings from the environment, demo exports in its inbox, store in PostgreSQL
    project = tmp_path / "project"
    write_demo_inbox(project / "data" / "inbox", project / "survey_config.yaml")
    reports = project / "reports"
    store_url = new_database(postgres_url, "cs_store")
    prefect_db = new_database(postgres_url, "prefect").replace("postgresql://", "postgresql+asyncpg://")

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CS_TOOLKIT_"))}
    base_env.update(PREFECT_HOME=str(tmp_path / ".prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                    DO_NOT_TRACK="1", COLUMNS="200")
    server_env = {**base_env, "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db}
    project_env = {**base_env, "PREFECT_API_URL": api, "CS_TOOLKIT_ROOT": str(project),
                   "CS_TOOLKIT_STORE": store_url,
                   "PREFECT_WORKER_QUERY_SECONDS": "1"}  # the worker picks a run up within a second

    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    server = worker = None

    def logs() -> str:
        return f"\n--- worker log\n{tail(worker_log)}\n--- server log\n{tail(server_log, 2000)}"

    def prefect(*args: str, ok: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run([PREFECT, *args], env=project_env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
        if ok:
            assert done.returncode == 0, (
                f"prefect {' '.join(args)} exited with {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n"
                f"--- stderr\n{done.stderr[-3000:]}{logs()}")
        return done

    def run_failing(*params: str) -> None:
        done = prefect("deployment", "run", MONTHLY, "--param", f"period={PERIOD}", *params, "--watch",
                       ok=False, timeout=600)
        assert done.returncode != 0 and "Failed" in done.stdout + done.stderr, (
            f"expected a Failed run; exit {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n"
            f"{done.stderr[-2000:]}{logs()}")

    try:
        with open(server_log, "wb") as out:
            # no scheduler: the hourly/monthly cron schedules must not start runs of their own in the test
            server = subprocess.Popen(
                [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler",
                 "--no-ui"], env=server_env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        wait_for_health(api, server, server_log, 120)

        prefect("work-pool", "create", "cs-toolkit", "--type", "process")
        prefect("--no-prompt", "deploy", "--all")
        listed = prefect("deployment", "ls").stdout
        for name in ("ingest/ingest-hourly", "weekly-satisfaction/weekly-satisfaction", MONTHLY):
            assert name in listed, listed
        with open(worker_log, "wb") as out:
            worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "cs-toolkit"], env=project_env,
                                      cwd=project, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)

        # -- ingest through the worker: the rows land in PostgreSQL, the exports move to processed/
        ran = prefect("deployment", "run", "ingest/ingest-hourly", "--watch")
        assert "Completed" in ran.stdout, ran.stdout[-3000:] + logs()
        store = Store(store_url)
        assert {"surveys", "complaints", "ingests", "rejected_rows"} <= set(store.tables()), store.tables()
        ingests = store.read("ingests")
        assert set(ingests["status"]) == {"processed"} and len(ingests) == 4, ingests.to_string()  # + 2 post exports
        kept = ingests.groupby("kind")["kept"].sum().astype(int).to_dict()
        rejected = ingests.groupby("kind")["rejected"].sum().astype(int).to_dict()
        assert kept["complaints"] == 3000 and kept["surveys"] > 0, ingests.to_string()
        assert rejected["surveys"] > 0, ingests.to_string()  # the demo export's deliberately bad rows
        def count(table: str) -> int:
            return int(store.sql(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0])

        # a survey's kept rows are its interviews and its calls without one (the demo is a call system's export)
        assert count("surveys") + count("survey_attempts") == kept["surveys"], ingests.to_string()
        assert count("survey_attempts") > 0
        for table in ("complaints", "posts"):
            assert count(table) == kept[table], (table, count(table), ingests.to_string())
        inbox = project / "data" / "inbox"
        processed = sorted(p.name for p in (inbox / "processed").iterdir())
        assert processed == ["complaint_log.csv", "posts_export.csv", "posts_export.json", "survey_export.csv"], processed
        assert not list((inbox / "surveys").iterdir()) and not list((inbox / "complaints").iterdir())

        # -- a monthly report through the worker, published under the project's reports folder
        ran = prefect("deployment", "run", MONTHLY, "--param", f"period={PERIOD}", "--watch", timeout=600)
        assert "Completed" in ran.stdout, ran.stdout[-3000:] + logs()
        folder = reports / "monthly_complaints" / PERIOD
        html = folder / "monthly_complaints.html"
        assert html.exists(), sorted(str(p) for p in reports.rglob("*"))
        assert "<table" in html.read_text(encoding="utf-8")
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert run["data_fingerprint"], run
        assert "complaints" in {entry["table"] for entry in run["inputs"]}, run["inputs"]
        runs = {r["name"]: r["state_type"] for r in api_call(api, "/flow_runs/filter", {"limit": 50})}
        assert runs == {"ingest": "COMPLETED", f"monthly-complaints-{PERIOD}": "COMPLETED"}, runs
        good = html.read_bytes()

        # -- runs that fail end Failed and leave the last good report byte for byte
        # (1) the store cannot be reached: the flow fails before the template runs
        run_failing("--param", "store=postgresql://postgres@127.0.0.1:1/nope")
        assert html.read_bytes() == good
        # (2) the store is empty: the template itself fails, its executed notebook is kept under failed/
        run_failing("--param", f"store={new_database(postgres_url, 'cs_empty')}")
        assert html.read_bytes() == good
        failed = list((reports / "monthly_complaints" / "failed").glob(f"{PERIOD}-*.ipynb"))
        assert len(failed) == 1, (failed, logs())
        assert not list((reports / "monthly_complaints").glob(".staging-*"))
        states = sorted(r["state_type"] for r in api_call(api, "/flow_runs/filter", {"limit": 50}))
        assert states == ["COMPLETED", "COMPLETED", "FAILED", "FAILED"], states
    finally:
        stop(worker)
        stop(server)
