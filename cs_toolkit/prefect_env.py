"""Prefect for the project's own processes: ephemeral mode inside the project folder, offline and
without telemetry, unless a Prefect server is configured (``PREFECT_API_URL``).

- :func:`use_local_prefect` sets the environment; call it before importing prefect (it reads these
  variables when it loads).
- :func:`prepare_local_prefect` then makes the ephemeral mode safe when several processes start at
  once: Prefect's database in ``PREFECT_HOME`` is created and migrated by one process at a time (under a
  file lock), the ephemeral server is always stopped when the process ends (normal exit, an exception,
  SIGTERM or SIGHUP), and servers orphaned by an earlier process that was killed outright are stopped.

Without it, processes that start flows at the same moment on a fresh ``PREFECT_HOME`` each run Prefect's
migrations against the same SQLite file ("index ... already exists", "Application startup failed"): Prefect
recovers by restarting its server on another port, but the logs are alarming and the schema is built by
racing processes.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import re
import signal
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: How the ephemeral server shows in a process list (``python -m uvicorn ... prefect.server.api.server:create_app``).
SERVER_MARK = "prefect.server.api.server:create_app"
_READY_FILE = ".cs_toolkit-db-ready"
_LOCK_FILE = ".cs_toolkit-db.lock"
_guard_lock = threading.Lock()
_start_lock = threading.Lock()  # one server start with the own-session subprocess module at a time
_guards_installed = False


def use_local_prefect(root: str | Path) -> None:
    """Set Prefect's home inside ``root`` and turn off telemetry; values already set are kept."""
    os.environ.setdefault("PREFECT_HOME", str(Path(root).resolve() / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "cs_toolkit")  # our log records in the flow run logs
    # The default 20 s is too short for the ephemeral server's first start on a loaded 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def prepare_local_prefect(root: str | Path | None = None, *, lock_timeout: float = 600,
                          own_session: bool = False) -> bool:
    """Make Prefect's ephemeral mode safe for processes that start at the same time.

    Call it once per process, before the first flow runs (after :func:`use_local_prefect`, or pass
    ``root`` to have it called). With a Prefect server configured (``PREFECT_API_URL``) it does nothing
    and returns False. Otherwise, in ephemeral mode:

    1. stops ephemeral servers of this ``PREFECT_HOME`` left running by a process that was killed
       (SIGKILL leaves no chance to clean up);
    2. makes the ephemeral server stop whenever this process ends: at normal exit and after an exception
       (Prefect's own exit hook, plus a last check for any server it started and lost track of), and on
       SIGTERM and SIGHUP (turned into ``SystemExit`` in the main thread, so exit hooks run);
    3. under a file lock in ``PREFECT_HOME``, creates and migrates Prefect's database the first time by
       starting the ephemeral server (Prefect's own start-up: migrations and block registration). The
       server stays up and this process's flows use it; processes that were waiting for the lock find
       the database ready and start theirs without migrating anything.

    With ``own_session`` (long-running commands in a terminal: ``cs-toolkit serve``), the server is
    started now, in a session of its own. Ctrl-C goes to the terminal's whole process group: a server in
    that group stopped at once, before the runner could pause its deployments (a websocket traceback and
    a connection error on every stop). In its own session only this process gets the signal; it pauses
    the deployments, and its exit hooks stop the server. (After a SIGKILL, which no process survives to
    clean up after, the server outlives it until the next command in this folder stops it: step 1.)

    Returns True when ephemeral mode is in use.
    """
    if root is not None:
        use_local_prefect(root)
    if os.environ.get("PREFECT_API_URL"):
        return False
    import prefect
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        return False
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    stop_orphaned_servers(home)
    _install_exit_guards()
    url = settings.server.database.connection_url
    url = url.get_secret_value() if url is not None and hasattr(url, "get_secret_value") else url
    # which Prefect migrated which database (hashed: a PostgreSQL URL may hold a password)
    stamp = f"prefect {prefect.__version__}\n{hashlib.sha256((url or 'default').encode()).hexdigest()}\n"
    if not _database_ready(home, stamp, url):
        from filelock import FileLock

        with FileLock(str(home / _LOCK_FILE), timeout=lock_timeout):
            if not _database_ready(home, stamp, url):  # another process may have done it while we waited
                _start_server(own_session)  # the instance Prefect's clients use: it stays up for this process
                (home / _READY_FILE).write_text(stamp, encoding="utf-8")
    if own_session:
        _start_server(own_session=True)
    return True


def _start_server(own_session: bool) -> None:
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if server.running:
        return
    if not own_session:
        server.start()
        return
    import subprocess
    import types

    import prefect.server.api.server as server_module

    class _OwnSession(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("start_new_session", True)
            super().__init__(*args, **kwargs)

    # Prefect's server module alone sees a subprocess module whose Popen starts a new session, and only
    # while it starts the server: other threads' processes are not touched.
    own = types.ModuleType("subprocess")
    own.__dict__.update(vars(subprocess))
    own.Popen = _OwnSession
    with _start_lock:
        original = server_module.subprocess
        server_module.subprocess = own
        try:
            server.start()
        finally:
            server_module.subprocess = original


def _database_ready(home: Path, stamp: str, url: str | None) -> bool:
    ready = home / _READY_FILE
    try:
        if ready.read_text(encoding="utf-8") != stamp:
            return False
    except OSError:
        return False
    sqlite = re.match(r"^sqlite(?:\+\w+)?:///(.+?)(?:\?.*)?$", url) if url else None
    if url is None:
        return (home / "prefect.db").exists()
    if sqlite and ":memory:" not in sqlite.group(1):
        return Path(sqlite.group(1)).exists()
    return True


def _install_exit_guards() -> None:
    """Exit hooks that stop this process's ephemeral servers (once per process)."""
    global _guards_installed
    with _guard_lock:
        if _guards_installed:
            return
        _guards_installed = True
    # Registered before Prefect starts its server, so it runs after Prefect's own stop (exit hooks run last
    # registered first): it only finds servers Prefect lost track of (e.g. one started again after a start
    # that timed out, which replaces the process handle without stopping the first process).
    atexit.register(stop_own_servers)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
                signal.signal(sig, _exit_on_signal)


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _server_processes():
    """(psutil.Process, environ) of the Prefect ephemeral servers visible to this user."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        return
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = proc.info["cmdline"] or []
            if any(SERVER_MARK in part for part in cmdline):
                yield proc, proc.environ()
        except (psutil.Error, OSError):
            continue


def _stop(procs) -> None:
    import psutil

    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _gone, alive = psutil.wait_procs(procs, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def stop_own_servers() -> list[int]:
    """Stop the ephemeral servers this process started that are still running; returns their ids."""
    try:
        import psutil

        mine = [p for p in psutil.Process().children(recursive=False)
                if any(SERVER_MARK in part for part in (p.cmdline() or []))]
    except Exception:  # noqa: BLE001 - at exit: never fail the exit
        return []
    if mine:
        log.warning("stopping %d Prefect ephemeral server(s) left running by this process: %s", len(mine),
                    [p.pid for p in mine])
        _stop(mine)
    return [p.pid for p in mine]


def stop_orphaned_servers(home: str | Path) -> list[int]:
    """Stop ephemeral servers of Prefect home ``home`` whose parent process is gone (a parent killed with
    SIGKILL cannot stop its server; the server then belongs to process 1 and serves nobody). Returns their
    process ids."""
    home = str(Path(home).resolve())
    orphans = []
    for proc, environ in _server_processes() or ():
        try:
            if (environ.get("PREFECT__SERVER_EPHEMERAL") == "1" and environ.get("PREFECT_HOME")
                    and str(Path(environ["PREFECT_HOME"]).resolve()) == home and proc.ppid() == 1):
                orphans.append(proc)
        except Exception:  # noqa: BLE001 - a process that went away meanwhile
            continue
    if orphans:
        log.warning("stopping %d orphaned Prefect ephemeral server(s) of %s: %s", len(orphans), home,
                    [p.pid for p in orphans])
        _stop(orphans)
    return [p.pid for p in orphans]

