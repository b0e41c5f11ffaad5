"""Fault injection for report runs and for Prefect's ephemeral server.

Every fault must leave the last good report of the period byte-identical, record the failure (a failed
notebook for execution failures; a line in ``failures.jsonl`` for every failure) and leave no
``.staging-*`` or ``.old-*`` folder behind. Real kernels and real files; the only patched things are the
operating system's answers (a rename refused, a process killed at a chosen moment).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from cs_toolkit.reports import ReportFailed, run_report, runner
from cs_toolkit.reports.runner import FAILURES_LOG, published_report

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
NAME, PERIOD = "faulty", "p1"
PHONE = "13912345678"

# One template for every fault: ``fail`` chooses what goes wrong after the report wrote its token.
FAULTS = '''
import os, pathlib, subprocess, time
out = pathlib.Path(output_dir)
if fail == "raise":
    raise ValueError(f"customer {PHONE} broke run {token}")
if fail == "die":
    os._exit(1)
if fail == "slow":
    time.sleep(60)
if fail == "read_only":  # the report's folder turns read-only while the run is finishing
    if os.geteuid() == 0:  # root ignores permission bits: the immutable attribute stops root too
        subprocess.run(["chattr", "+i", str(out.parent)], check=True)
    else:
        os.chmod(out.parent, 0o555)
if fail == "html_is_a_folder":  # finishing fails: the HTML cannot be written
    (out / "faulty.html").mkdir()
'''.replace("{PHONE}", PHONE)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("templates")
    cells = [nbformat.v4.new_code_cell("period = 'x'\noutput_dir = '.'\ntoken = 'none'\nfail = ''"),
             nbformat.v4.new_code_cell("import pathlib\npathlib.Path(output_dir, 'token.txt').write_text(token)\n"
                                       "print('TOKEN', token)"),
             nbformat.v4.new_code_cell(FAULTS.strip())]
    cells[0].metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{NAME}.ipynb")
    return folder


def run(reports: Path, templates: Path, token: str, fail: str = "", timeout: int = 120):
    return run_report(NAME, PERIOD, parameters={"token": token, "fail": fail}, reports_dir=reports,
                      templates=templates, timeout=timeout)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a published folder, byte for byte."""
    assert folder.is_dir(), f"{folder} is missing"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith((".staging-", ".old-")))


def failures(root: Path) -> list[dict]:
    path = root / FAILURES_LOG
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def token_of(folder: Path) -> str:
    """The token of the run that wrote ``folder``, checked to be the same in every file of it."""
    token = (folder / "token.txt").read_text(encoding="utf-8")
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert meta["parameters"]["token"] == token
    assert f"TOKEN {token}" in (folder / f"{NAME}.html").read_text(encoding="utf-8")
    assert f"TOKEN {token}" in (folder / f"{NAME}.ipynb").read_text(encoding="utf-8")
    return token


@pytest.fixture
def good(tmp_path, templates):
    """A published good report of PERIOD: (reports dir, report root, its files)."""
    reports = tmp_path / "reports"
    result = run(reports, templates, "good")
    root = reports / NAME
    assert result.folder == root / PERIOD and token_of(result.folder) == "good"
    return reports, root, snapshot(result.folder)


# ------------------------------------------------------------------------------------- execution faults
@pytest.mark.parametrize(("fail", "named"), [("raise", "ValueError"), ("die", "DeadKernelError"),
                                             ("slow", "CellTimeoutError")])
def test_execution_fault_keeps_the_good_report_and_is_recorded(good, templates, fail, named):
    reports, root, before = good
    with pytest.raises(ReportFailed, match="the last good report is unchanged") as info:
        run(reports, templates, "bad", fail, timeout=5 if fail == "slow" else 120)
    err = info.value
    assert named in err.reason and err.report == NAME and err.period == PERIOD
    assert snapshot(root / PERIOD) == before and leftovers(root) == []
    first = nbformat.read(err.failed_notebook, as_version=4).cells[0].source
    assert "FAILED" in first and named in first
    [line] = failures(root)
    assert line["period"] == PERIOD and line["stage"] == "run" and line["time"]
    assert named in line["reason"] and line["failed_notebook"] == str(err.failed_notebook)
    if fail == "raise":  # the reason is redacted everywhere it goes
        assert "[PHONE]" in err.reason and PHONE not in err.reason and PHONE not in str(err)
        assert PHONE not in (root / FAILURES_LOG).read_text(encoding="utf-8")
        assert PHONE not in err.failed_notebook.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------- publish faults
def test_finishing_fault_keeps_the_good_report_and_is_recorded(good, templates):
    reports, root, before = good
    with pytest.raises(ReportFailed, match="could not be published") as info:
        run(reports, templates, "bad", "html_is_a_folder")
    assert "IsADirectoryError" in info.value.reason and info.value.failed_notebook is None
    assert snapshot(root / PERIOD) == before and leftovers(root) == []
    [line] = failures(root)
    assert line["stage"] == "publish" and line["failed_notebook"] is None and "IsADirectoryError" in line["reason"]


def test_publish_refused_by_the_file_system_becomes_report_failed(good, templates, monkeypatch):
    """The OS refuses every rename into the report's folder (the swap as well): a true external fault."""
    reports, root, before = good
    real_rename = Path.rename

    def refuse(self, target):
        if Path(target).parent == root or Path(self).parent == root:
            raise PermissionError(13, "Permission denied", str(target))
        return real_rename(self, target)

    def refuse_exchange(a, b):
        raise PermissionError(13, "Permission denied", str(b))

    monkeypatch.setattr(Path, "rename", refuse)
    monkeypatch.setattr(runner, "_exchange", refuse_exchange)
    with pytest.raises(ReportFailed, match="could not be published") as info:
        run(reports, templates, "bad")
    assert isinstance(info.value.__cause__, PermissionError) and "PermissionError" in info.value.reason
    assert snapshot(root / PERIOD) == before and leftovers(root) == []
    [line] = failures(root)
    assert line["stage"] == "publish" and "Permission denied" in line["reason"]


def _can_make_immutable(folder: Path) -> bool:
    probe = folder / "probe"
    probe.mkdir()
    try:
        if shutil.which("chattr") is None:
            return False
        made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        return made
    finally:
        probe.rmdir()


def test_report_folder_turns_read_only_mid_run(good, templates, tmp_path, caplog):
    """Really read-only, from inside the notebook: ``chattr +i`` as root (root ignores permission bits),
    ``chmod 555`` otherwise. The raw PermissionError never escapes; as the failures log cannot be created
    in a read-only folder either, the failure goes to the log; the leftover staging folder (which cannot
    be removed from a read-only folder) is removed by the next look once the folder is writable again."""
    reports, root, before = good
    if os.geteuid() == 0 and not _can_make_immutable(tmp_path):
        pytest.skip("running as root and this file system has no immutable attribute (chattr +i)")
    try:
        with caplog.at_level(logging.ERROR, logger="cs_toolkit.reports.runner"), \
                pytest.raises(ReportFailed, match="could not be published") as info:
            run(reports, templates, "bad", "read_only")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(root)], check=True)
        else:
            os.chmod(root, 0o755)
    assert isinstance(info.value.__cause__, PermissionError) and "PermissionError" in info.value.reason
    assert snapshot(root / PERIOD) == before
    assert any("could not record a failure" in r.getMessage() and "PermissionError" in r.getMessage()
               for r in caplog.records)
    assert published_report(reports, NAME, PERIOD) == root / PERIOD
    assert leftovers(root) == [] and snapshot(root / PERIOD) == before


def test_unwritable_failures_log_still_raises_and_logs(good, templates, caplog):
    reports, root, before = good
    (root / FAILURES_LOG).mkdir()  # what is expected to be a file is a folder: even root cannot append
    with caplog.at_level(logging.ERROR, logger="cs_toolkit.reports.runner"), pytest.raises(ReportFailed):
        run(reports, templates, "bad", "raise")
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not record a failure" in m and "ValueError" in m and PHONE not in m for m in messages)
    assert snapshot(root / PERIOD) == before and leftovers(root) == []


# --------------------------------------------------------------------------------- killed mid-publish
KILLER = '''
import os, signal, sys
from pathlib import Path
from cs_toolkit.reports import run_report, runner

reports, templates, moment = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if moment == "between_renames":  # the two-rename fallback, killed at its worst moment
    runner._exchange = lambda a, b: False
    real_rename = Path.rename

    def rename(self, target):
        if self.name.startswith(".staging-") and Path(target).name == "{PERIOD}":
            os.kill(os.getpid(), signal.SIGKILL)
        return real_rename(self, target)

    Path.rename = rename
else:  # right after the atomic exchange, before the old report is removed
    real_exchange = runner._exchange

    def exchange(a, b):
        done = real_exchange(a, b)
        os.kill(os.getpid(), signal.SIGKILL)
        return done

    runner._exchange = exchange
run_report("{NAME}", "{PERIOD}", parameters={"token": "killed"}, reports_dir=reports, templates=templates,
           timeout=120)
'''.replace("{PERIOD}", PERIOD).replace("{NAME}", NAME)


def kill_mid_publish(tmp_path: Path, reports: Path, templates: Path, moment: str) -> None:
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(reports), str(templates), moment],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == -signal.SIGKILL, done.stdout[-2000:] + done.stderr[-3000:]


def test_killed_between_the_two_renames_the_old_report_comes_back(good, templates, tmp_path):
    reports, root, before = good
    kill_mid_publish(tmp_path, reports, templates, "between_renames")
    # what a reader sees right after the kill: no period folder, the old report aside, the new one unpublished
    assert not (root / PERIOD).exists()
    [old] = [p for p in root.iterdir() if p.name.startswith(f".old-{PERIOD}-")]
    assert snapshot(old) == before and len([p for p in root.iterdir() if p.name.startswith(".staging-")]) == 1
    # a reader going through the helper gets the last good report back, and nothing is left over
    assert published_report(reports, NAME, PERIOD) == root / PERIOD
    assert snapshot(root / PERIOD) == before and leftovers(root) == []
    assert [f["stage"] for f in failures(root)] == ["interrupted", "interrupted"]
    # killed again; this time the next run (which fails) puts it back before it even starts
    kill_mid_publish(tmp_path, reports, templates, "between_renames")
    assert not (root / PERIOD).exists()
    with pytest.raises(ReportFailed):
        run(reports, templates, "bad", "raise")
    assert snapshot(root / PERIOD) == before and leftovers(root) == []
    assert [f["stage"] for f in failures(root)] == ["interrupted"] * 4 + ["run"]
    # and a good run after all that publishes normally
    assert token_of(run(reports, templates, "after").folder) == "after" and leftovers(root) == []


def test_killed_right_after_the_atomic_exchange_the_folder_is_never_missing(good, templates, tmp_path):
    reports, root, before = good
    a, b = tmp_path / "xa", tmp_path / "xb"
    a.mkdir()
    b.mkdir()
    if not runner._exchange(a, b):
        pytest.skip("this system or file system has no renameat2(RENAME_EXCHANGE): the fallback is tested above")
    kill_mid_publish(tmp_path, reports, templates, "after_exchange")
    assert token_of(root / PERIOD) == "killed"  # the new report, complete: the swap was one step
    assert len(leftovers(root)) == 1  # the old report, under the dead run's staging name
    assert published_report(reports, NAME, PERIOD) == root / PERIOD
    assert leftovers(root) == [] and token_of(root / PERIOD) == "killed"


# ----------------------------------------------------------------------------------- concurrent runs
def test_eight_concurrent_runs_of_one_period_some_failing(good, templates):
    reports, root, before = good
    outcomes: dict[str, object] = {}
    start = threading.Barrier(8)

    def go(token: str, fail: str) -> None:
        start.wait()
        try:
            outcomes[token] = run(reports, templates, token, fail)
        except Exception as exc:  # noqa: BLE001 - checked below
            outcomes[token] = exc

    jobs = [(f"ok{i}", "") for i in range(4)] + [(f"bad{i}", "raise") for i in range(4)]
    threads = [threading.Thread(target=go, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert len(outcomes) == 8
    errors = [outcomes[f"bad{i}"] for i in range(4)]
    assert all(isinstance(e, ReportFailed) for e in errors), errors
    assert all(not isinstance(outcomes[f"ok{i}"], Exception) for i in range(4)), outcomes
    kept = {e.failed_notebook for e in errors}
    assert len(kept) == 4 and all(p.exists() for p in kept)
    lines = failures(root)
    assert sorted(f["failed_notebook"] for f in lines) == sorted(str(p) for p in kept)
    assert {f["stage"] for f in lines} == {"run"} and all("ValueError" in f["reason"] for f in lines)
    assert token_of(root / PERIOD) in {f"ok{i}" for i in range(4)}  # one complete good run, not a mixture
    assert leftovers(root) == []


# ----------------------------------------------------------------------- Prefect's ephemeral server
FLOW = '''
import sys, time
from cs_toolkit.prefect_env import prepare_local_prefect

prepare_local_prefect(sys.argv[1])
from prefect import flow


@flow
def trivial(i: int) -> int:
    return i * 2


print("RESULT", trivial(int(sys.argv[2])), flush=True)
if len(sys.argv) > 3:  # stay up, to be killed
    print("WAITING", flush=True)
    time.sleep(600)
'''


def prefect_env() -> dict[str, str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PYTHONPATH": str(ROOT)}
    for name in ("PREFECT_API_URL", "PREFECT_HOME"):
        env.pop(name, None)
    return env


def servers_of(home: Path) -> dict[int, int]:
    """{pid: parent pid} of the Prefect ephemeral servers whose PREFECT_HOME is ``home``: other people's
    servers on the same machine are not ours to count."""
    import psutil

    from cs_toolkit.prefect_env import SERVER_MARK

    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(SERVER_MARK in part for part in proc.info["cmdline"] or []) \
                    and proc.environ().get("PREFECT_HOME") == str(home):
                found[proc.pid] = proc.ppid()
        except psutil.Error:
            continue
    return found


def wait_for(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_four_flow_processes_start_at_once_on_a_fresh_prefect_home(tmp_path):
    script = tmp_path / "flow.py"
    script.write_text(FLOW, encoding="utf-8")
    home = (tmp_path / "project" / ".prefect").resolve()
    assert servers_of(home) == {}
    start = time.monotonic()
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path / "project"), str(i)], env=prefect_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(4)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    print(f"4 concurrent flow processes: {time.monotonic() - start:.1f} s")
    for i, (p, out) in enumerate(zip(procs, outputs, strict=True)):
        assert p.returncode == 0 and f"RESULT {2 * i}" in out, out[-4000:]
        assert "Application startup failed" not in out and "Traceback" not in out, out[-4000:]
    assert wait_for(lambda: servers_of(home) == {}, 15), servers_of(home)


def test_ephemeral_server_is_stopped_on_sigterm_and_an_orphan_after_sigkill(tmp_path):
    script = tmp_path / "flow.py"
    script.write_text(FLOW, encoding="utf-8")
    project = tmp_path / "project"
    home = (project / ".prefect").resolve()

    def start_and_wait() -> tuple[subprocess.Popen, int]:
        proc = subprocess.Popen([sys.executable, str(script), str(project), "1", "stay"], env=prefect_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            if line.startswith("WAITING"):
                break
        [server] = [pid for pid, parent in servers_of(home).items() if parent == proc.pid]
        return proc, server

    from cs_toolkit.prefect_env import stop_orphaned_servers

    try:
        proc, server = start_and_wait()  # SIGTERM: Python dies without its exit hooks unless told otherwise
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        assert wait_for(lambda: server not in servers_of(home), 15), servers_of(home)
        proc, server = start_and_wait()  # SIGKILL: nothing runs in the process, the server is orphaned...
        proc.kill()
        proc.wait(timeout=60)  # (not communicate: the orphaned server still holds the output pipe)
        proc.stdout.close()
        assert wait_for(lambda: servers_of(home).get(server) not in (None, proc.pid), 15), servers_of(home)
        assert stop_orphaned_servers(home) == [server]  # ...until the next prepare_local_prefect() stops it
        assert wait_for(lambda: servers_of(home) == {}, 15), servers_of(home)
    finally:  # whatever failed above: no server of this test survives it
        for pid in servers_of(home):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
