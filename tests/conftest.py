"""Shared fixtures: paths to ../shared/data (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data {relative} not available (expected beside the project in ../shared/data)")
    return path


# ---------------------------------------------------------------------------------------------- PostgreSQL
# A real PostgreSQL server for the session (one per xdist worker, each on its own port). initdb/pg_ctl refuse
# to run as root: as root (CI) they run as the ``postgres`` user in a folder that user owns.

import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

PG_USER = "postgres"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(text: str | bytes | None, n: int = 3000) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return (text or "")[-n:]


class _PostgresServer:
    """initdb + pg_ctl start/stop in a temporary folder; ``url`` once started."""

    def __init__(self) -> None:
        self.initdb = shutil.which("initdb")
        self.pg_ctl = shutil.which("pg_ctl")
        self.as_root = os.geteuid() == 0
        self.base: Path | None = None
        self.data: Path | None = None
        self.url: str | None = None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", PG_USER, "--"] if self.as_root else []
        # cwd: a folder the server's user may enter (root's working folder may be closed to it)
        return subprocess.run([*prefix, *args], cwd=self.base, capture_output=True, text=True,
                              timeout=timeout)

    def start(self) -> str:
        # under /tmp: a folder the postgres user can reach (not $TMPDIR inside root's home), and a short
        # path for the unix socket (at most 107 bytes)
        tmp = "/tmp" if os.path.isdir("/tmp") else None
        self.base = Path(tempfile.mkdtemp(prefix="cs_toolkit_pg_", dir=tmp))
        if self.as_root:
            import pwd

            try:
                user = pwd.getpwnam(PG_USER)
            except KeyError:
                raise RuntimeError(f"running as root: initdb/pg_ctl refuse root and there is no {PG_USER!r} "
                                   f"user to run them as (useradd --system {PG_USER})") from None
            os.chown(self.base, user.pw_uid, user.pw_gid)
        self.base.chmod(0o700)
        self.data = self.base / "data"
        done = self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", PG_USER, "-E", "UTF8",
                         "--locale=C", "--no-sync", "--no-instructions")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{_tail(done.stdout)}\n"
                               f"{_tail(done.stderr)}")
        last = None
        for _attempt in range(5):  # another process may take the port between free_port() and the bind
            port = free_port()
            options = (f"-p {port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                       f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            log = self.base / f"server-{port}.log"
            last = self._run(self.pg_ctl, "-D", str(self.data), "-l", str(log), "-o", options, "-w",
                             "-t", "60", "start", timeout=90)
            if last.returncode == 0:
                self.url = f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres"
                self._wait_ready()
                return self.url
            server_log = log.read_text(errors="replace") if log.exists() else ""
            if not re.search(r"could not bind|address already in use", server_log, re.I):
                break
        raise RuntimeError(f"pg_ctl start failed ({last.returncode}):\n{_tail(last.stdout)}\n"
                           f"{_tail(last.stderr)}\n{_tail(server_log)}")

    def _wait_ready(self, seconds: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + seconds
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=5) as con:
                    con.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.base is None:
            return
        try:
            if self.data is not None and (self.data / "postmaster.pid").exists():
                stopped = self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop",
                                    timeout=90)
                if stopped.returncode != 0:  # last resort: immediate shutdown
                    self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None


@pytest.fixture(scope="session")
def postgres_url():
    """``postgresql://postgres@127.0.0.1:PORT/postgres`` of a PostgreSQL server started for this session
    (trust authentication, socket inside its data folder); stopped and removed at the end."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not on the PATH; install PostgreSQL 15 "
                    "(Debian: postgresql-15, with /usr/lib/postgresql/15/bin on the PATH) to run these tests")
    server = _PostgresServer()
    try:
        url = server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield url
    finally:
        server.stop()


def new_database(postgres_url: str, name: str) -> str:
    """Create (or re-create) database ``name`` on the server of ``postgres_url``; returns its URL.

    ``name`` is cut to PostgreSQL's 63 characters and may hold only lowercase letters, digits and ``_``
    (anything else becomes ``_``), so a test's node name can be used as is."""
    import psycopg
    from psycopg import sql

    name = re.sub(r"[^a-z0-9_]", "_", name.lower())[:63]
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_database(postgres_url, request) -> str:
    """URL of a fresh, empty database for this test (named after the test)."""
    return new_database(postgres_url, f"t_{request.node.name}")
