"""The two databases behind :class:`~cs_toolkit.store.Store`: an embedded DuckDB file and PostgreSQL.

Both offer the same few operations: a read connection, a write transaction that holds the store's
exclusive write lock (a file lock beside the DuckDB file — DuckDB lets one process write at a time and
refuses a second instead of waiting — or a PostgreSQL advisory lock), loading a DataFrame into a
temporary table, and queries that return DataFrames. Everything else is plain SQL shared by both.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from cs_toolkit.errors import StoreError

LOCK_TIMEOUT = 600.0  # seconds a writer waits for another writer before giving up
_NULL = "\\N"
_ADVISORY_KEY = 0x43535F544B  # "CS_TK": one store-wide write lock per PostgreSQL database


def quote(name: str) -> str:
    """A SQL identifier, quoted (column names may be Chinese or hold spaces)."""
    return '"' + str(name).replace('"', '""') + '"'


class Backend:
    """What a database must offer the store."""

    url: str
    types: dict[str, str]  # logical type -> SQL type
    placeholder: str

    def read(self) -> contextlib.AbstractContextManager: ...
    def write(self) -> contextlib.AbstractContextManager: ...

    def query(self, con, sql: str, params: tuple | list = ()) -> pd.DataFrame: ...
    def execute(self, con, sql: str, params: tuple | list = ()) -> None: ...
    def load_temp(self, con, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None: ...
    def table_columns(self, con, table: str) -> dict[str, str]: ...


class DuckDBBackend(Backend):
    types = {"text": "VARCHAR", "float": "DOUBLE", "timestamp": "TIMESTAMP", "bool": "BOOLEAN", "int": "BIGINT"}
    placeholder = "?"

    def __init__(self, url: str, path: Path | None) -> None:
        self.url = url
        self.path = path  # None: in memory (tests)
        self._memory = None

    def _connect(self):
        import duckdb

        if self.path is None:
            if self._memory is None:
                self._memory = duckdb.connect(":memory:")
            return self._memory.cursor()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:  # another process holds the file (it should be brief)
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(f"{self.url}: cannot open the store ({exc})", url=self.url) from exc
                time.sleep(0.05)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT)
        try:
            with lock:
                yield
        except Timeout as exc:
            raise StoreError(f"{self.url}: another process has held the store for {LOCK_TIMEOUT:.0f} s; try again "
                             f"later", url=self.url) from exc

    @contextlib.contextmanager
    def read(self):
        # DuckDB files are opened by one process at a time: readers queue behind the same lock as writers.
        with self._locked():
            con = self._connect()
            try:
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def write(self):
        with self._locked():
            con = self._connect()
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()

    def query(self, con, sql, params=()):
        return con.execute(sql, list(params)).df()

    def execute(self, con, sql, params=()):
        con.execute(sql, list(params))

    def load_temp(self, con, name, frame, types):
        import pyarrow as pa

        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        con.register("_cs_arrow", arrow)
        try:
            casts = ", ".join(f"CAST({quote(c)} AS {types[c]}) AS {quote(c)}" for c in frame.columns)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {quote(name)} AS SELECT {casts} FROM _cs_arrow")
        finally:
            con.unregister("_cs_arrow")

    def table_columns(self, con, table):
        rows = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                           "AND table_schema = 'main' ORDER BY ordinal_position", [table]).fetchall()
        return {name: kind for name, kind in rows}


class PostgresBackend(Backend):
    types = {"text": "TEXT", "float": "DOUBLE PRECISION", "timestamp": "TIMESTAMP", "bool": "BOOLEAN",
             "int": "BIGINT"}
    placeholder = "%s"

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self._dsn = parts._replace(scheme="postgresql").geturl()

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self._dsn, connect_timeout=30)
        except psycopg.OperationalError as exc:
            raise StoreError(f"{_safe(self.url)}: cannot connect to PostgreSQL ({str(exc).strip()})",
                             url=_safe(self.url)) from exc

    @contextlib.contextmanager
    def read(self):
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def write(self):
        con = self._connect()
        try:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_KEY,))
                yield con
        finally:
            con.close()

    def query(self, con, sql, params=()):
        with con.cursor() as cur:
            cur.execute(sql, tuple(params))
            if cur.description is None:
                return pd.DataFrame()
            description = list(cur.description)
            columns = [d.name for d in description]
            frame = pd.DataFrame.from_records(cur.fetchall(), columns=columns)
        for col, desc in zip(columns, description, strict=True):
            if desc.type_code in (1114, 1184) and len(frame):  # timestamp, timestamptz
                frame[col] = pd.to_datetime(frame[col])
            elif desc.type_code in (700, 701, 1700):  # float4, float8, numeric
                frame[col] = pd.to_numeric(frame[col]).astype(float)
        return frame

    def execute(self, con, sql, params=()):
        con.execute(sql, tuple(params))

    def load_temp(self, con, name, frame, types):
        columns = ", ".join(f"{quote(c)} {types[c]}" for c in frame.columns)
        con.execute(f"CREATE TEMP TABLE {quote(name)} ({columns}) ON COMMIT DROP")
        buffer = io.StringIO()
        # Missing values as an unquoted \N marker (COPY's NULL), so empty text stays empty text.
        frame.to_csv(buffer, index=False, header=False, quoting=csv.QUOTE_MINIMAL, na_rep=_NULL,
                     date_format="%Y-%m-%d %H:%M:%S.%f")
        names = ", ".join(quote(c) for c in frame.columns)
        with con.cursor().copy(f"COPY {quote(name)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')") as copy:
            copy.write(buffer.getvalue())

    def table_columns(self, con, table):
        with con.cursor() as cur:
            cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                        "AND table_schema = current_schema() ORDER BY ordinal_position", (table,))
            return {name: kind for name, kind in cur.fetchall()}


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def open_backend(url: str | Path) -> Backend:
    """The backend for a store URL: ``duckdb:///relative.duckdb``, ``duckdb:////absolute.duckdb``,
    ``duckdb:///:memory:``, a path to a DuckDB file, or ``postgresql://user:pass@host:port/db``."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://", "postgresql+")):
        return PostgresBackend(text)
    if text.startswith("duckdb://"):
        rest = text[len("duckdb://"):]
        rest = rest[1:] if rest.startswith("/") else rest
        if rest in (":memory:", ""):
            return DuckDBBackend(text, None)
        return DuckDBBackend(text, Path(rest).expanduser().resolve())
    if "://" in text:
        raise StoreError(f"unsupported store URL {_safe(text)!r}: use duckdb:///FILE, a DuckDB file path, or "
                         f"postgresql://user@host/db", url=_safe(text))
    path = Path(text).expanduser()
    if path.is_dir() or path.suffix == "":
        path = path / "cs_toolkit.duckdb"  # a folder (as the old Parquet store was) holds the database file
    return DuckDBBackend(f"duckdb:///{path.resolve()}", path.resolve())
