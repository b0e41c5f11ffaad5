"""The store: one API over an embedded DuckDB file (default) and PostgreSQL (teams).

Tables hold rows keyed by id; writes are upserts inside one transaction under the store's write lock,
so two processes ingesting at once lose nothing, and a process killed mid-write leaves the store as it
was. Column types are normalised per table (ids and free text as text, numbers as floats, times as
timestamps) so exports of different file types mix; a column first seen in a later export is added.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cs_toolkit.errors import CSToolkitError, StoreError
from cs_toolkit.periods import Period
from cs_toolkit.store.backends import Backend, _safe, open_backend, quote

log = logging.getLogger(__name__)

META = "_cs_tables"
INGESTS = "ingests"
REJECTED = "rejected_rows"
_SYSTEM = {META, INGESTS, REJECTED}
_WIDENS = {("float", "text"), ("int", "text"), ("bool", "text"), ("timestamp", "text"), ("int", "float")}


def logical_types(frame: pd.DataFrame) -> dict[str, str]:
    """The store type of each column: ``int``, ``float``, ``timestamp``, ``bool`` or ``text``."""
    out = {}
    for name, col in frame.items():
        if pd.api.types.is_bool_dtype(col):
            out[name] = "bool"
        elif pd.api.types.is_integer_dtype(col):
            out[name] = "int"
        elif pd.api.types.is_numeric_dtype(col):
            out[name] = "float"
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[name] = "timestamp"
        else:
            out[name] = "text"
    return out


def normalise(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """``frame`` with every column converted to its store type (text stays text, NA stays NA)."""
    out = {}
    for name, kind in types.items():
        col = frame[name]
        if kind == "text":
            out[name] = col.astype("string")
        elif kind == "float":
            out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif kind == "int":
            out[name] = pd.to_numeric(col, errors="coerce").astype("Int64")
        elif kind == "timestamp":
            stamp = pd.to_datetime(col, errors="coerce")
            out[name] = stamp.dt.tz_localize(None) if getattr(stamp.dt, "tz", None) is not None else stamp
        else:
            out[name] = col.astype("boolean")
    return pd.DataFrame(out, index=frame.index)


class Store:
    """Survey responses, complaints and the record of every ingested file, in one database.

    Parameters
    ----------
    url : str or Path
        ``duckdb:////abs/path/cs_toolkit.duckdb`` (or just a path to a DuckDB file; a folder means
        ``FOLDER/cs_toolkit.duckdb``) for the embedded store, ``postgresql://user:pass@host:port/db`` for a
        team's server, ``duckdb:///:memory:`` for a throw-away store.

    Examples
    --------
    >>> import pandas as pd
    >>> store = Store("duckdb:///:memory:")
    >>> rows = pd.DataFrame({"complaint_id": ["A1", "A2"], "created_at": pd.to_datetime(["2026-11-02", "2026-12-01"])})
    >>> store.upsert("complaints", rows, key="complaint_id", time_column="created_at")
    (2, 0)
    >>> store.read("complaints", period=("2026-11-01", "2026-12-01"))["complaint_id"].to_list()
    ['A1']
    >>> store.tables()
    ['complaints', 'ingests', 'rejected_rows']
    """

    def __init__(self, url: str | Path) -> None:
        self.backend: Backend = open_backend(url)
        self.url = self.backend.url

    def __repr__(self) -> str:
        return f"Store({_safe(self.url)!r})"

    # ------------------------------------------------------------------ reading
    def tables(self) -> list[str]:
        """The data tables (system tables ``ingests`` and ``rejected_rows`` are listed when they exist)."""
        with self.backend.read() as con:
            if not self._exists(con, META):
                return []
            names = self.backend.query(con, f"SELECT name FROM {META} ORDER BY name")["name"].tolist()
            names += [t for t in (INGESTS, REJECTED) if self._exists(con, t)]
        return names

    def read(self, table: str, period: Period | tuple | None = None, where: str | None = None,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of ``table``, only those of ``period`` when given (filtered in SQL, not in pandas).

        Parameters
        ----------
        table : str
            ``surveys``, ``complaints``, ``ingests``, ``rejected_rows``...
        period : str, Period or (start, end), optional
            Rows whose time column (the one the table was created with) falls in ``[start, end)``; a
            string names a month (``"2026-11"``) or a week (``"2026-11-16"``, ``"2026-W47"``).
        where : str, optional
            A further SQL condition, e.g. ``"project = 'P01'"``.
        columns : list of str, optional
            Columns to return (default all).
        """
        with self.backend.read() as con:
            if not self._exists(con, table):
                raise StoreError(f"{_safe(self.url)}: no table {table!r}; tables: {self.tables_in(con)}. Ingest "
                                 f"exports first (cs-toolkit ingest).", url=_safe(self.url), table=table)
            conditions, params = [], []
            if isinstance(period, str):
                period = _period_from_text(period)
            if period is not None:
                time_column = self._meta(con, table)[1]
                if time_column is None:
                    raise StoreError(f"table {table!r} has no time column to filter a period on", table=table)
                start, end = (period.start, period.end) if isinstance(period, Period) else period
                ph = self.backend.placeholder
                conditions.append(f"{quote(time_column)} >= {ph} AND {quote(time_column)} < {ph}")
                params += [pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()]
            if where:
                conditions.append(f"({where})")
            select = ", ".join(quote(c) for c in columns) if columns else "*"
            sql = f"SELECT {select} FROM {quote(table)}"
            if conditions:
                sql += " WHERE " + " AND ".join(conditions)
            key = self._meta(con, table)[0] if table not in _SYSTEM else None
            if key:
                sql += f" ORDER BY {quote(key)}"
            try:
                frame = self.backend.query(con, sql, params)
            except Exception as exc:
                raise StoreError(f"{_safe(self.url)}: cannot read {table!r} ({exc})", url=_safe(self.url),
                                 table=table) from exc
        return _from_store(frame)

    def sql(self, query: str, params: Sequence | None = None) -> pd.DataFrame:
        """Run a SQL query on the store and return the result (for analysts in JupyterLab).

        Placeholders are ``?`` on DuckDB and ``%s`` on PostgreSQL.
        """
        with self.backend.read() as con:
            try:
                return _from_store(self.backend.query(con, query, params or ()))
            except Exception as exc:
                raise StoreError(f"{_safe(self.url)}: query failed ({exc})", url=_safe(self.url)) from exc

    def tables_in(self, con) -> list[str]:
        if not self._exists(con, META):
            return []
        return self.backend.query(con, f"SELECT name FROM {META} ORDER BY name")["name"].tolist()

    # ------------------------------------------------------------------ writing
    def upsert(self, table: str, rows: pd.DataFrame, key: str, time_column: str | None = None,
               con=None) -> tuple[int, int]:
        """Insert ``rows`` into ``table``, replacing stored rows with the same ``key``; returns (added, replaced).

        Runs in its own write transaction unless ``con`` (an open write transaction) is given.
        """
        if con is None:
            with self.backend.write() as con:
                return self.upsert(table, rows, key, time_column, con)
        if key not in rows.columns:
            raise StoreError(f"rows for {table!r} have no key column {key!r}", table=table)
        if rows[key].isna().any() or rows[key].astype("string").duplicated().any():
            raise StoreError(f"rows for {table!r} have missing or repeated keys in {key!r}", table=table)
        self._ensure_system_tables(con)
        stored_key, stored_time = self._meta(con, table)
        if stored_key is not None and stored_key != key:
            raise StoreError(f"table {table!r} is keyed by {stored_key!r}, not {key!r}", table=table)
        types = logical_types(rows)
        types[key] = "text"
        types = self._align_columns(con, table, types, key, time_column)
        frame = normalise(rows, types)
        self.backend.load_temp(con, "_incoming", frame, {c: self.backend.types[t] for c, t in types.items()})
        q = self.backend.query
        replaced = int(q(con, f"SELECT count(*) AS n FROM {quote(table)} WHERE {quote(key)} IN "
                              f"(SELECT {quote(key)} FROM _incoming)")["n"].iloc[0])
        self.backend.execute(con, f"DELETE FROM {quote(table)} WHERE {quote(key)} IN (SELECT {quote(key)} FROM _incoming)")
        names = ", ".join(quote(c) for c in frame.columns)
        self.backend.execute(con, f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM _incoming")
        self.backend.execute(con, "DROP TABLE _incoming")
        return len(frame) - replaced, replaced

    def _align_columns(self, con, table, types, key, time_column) -> dict[str, str]:
        """Create the table or add new columns; incoming columns take the stored column's type."""
        sql_types = self.backend.types
        existing = self.backend.table_columns(con, table)
        if not existing:
            columns = ", ".join(f"{quote(c)} {sql_types[t]}" for c, t in types.items())
            self.backend.execute(con, f"CREATE TABLE {quote(table)} ({columns})")
            self.backend.execute(con, f"INSERT INTO {META} (name, key_column, time_column) VALUES "
                                      f"({self.backend.placeholder}, {self.backend.placeholder}, "
                                      f"{self.backend.placeholder})", (table, key, time_column))
            return types
        stored = {c: _logical(kind) for c, kind in existing.items()}
        out = {}
        for column, kind in types.items():
            if column not in stored:
                self.backend.execute(con, f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} {sql_types[kind]}")
                out[column] = kind
            elif stored[column] == kind or (kind, stored[column]) in _WIDENS:
                out[column] = stored[column]
            else:
                raise StoreError(
                    f"column {column!r} of {table!r} holds {stored[column]} values, but this export has {kind} "
                    f"values there; fix the export or rename the column", table=table, column=column)
        return out

    def _ensure_system_tables(self, con) -> None:
        t = self.backend.types
        ddl = {
            META: f"name {t['text']} PRIMARY KEY, key_column {t['text']}, time_column {t['text']}",
            INGESTS: (f"file {t['text']}, kind {t['text']}, sha256 {t['text']}, status {t['text']}, "
                      f"rows_read {t['int']}, kept {t['int']}, rejected {t['int']}, added {t['int']}, "
                      f"replaced {t['int']}, reason {t['text']}, ingested_at {t['timestamp']}"),
            REJECTED: (f"kind {t['text']}, file {t['text']}, sha256 {t['text']}, \"row\" {t['int']}, "
                       f"\"column\" {t['text']}, value {t['text']}, reason {t['text']}, ingested_at {t['timestamp']}"),
        }
        for name, columns in ddl.items():
            self.backend.execute(con, f"CREATE TABLE IF NOT EXISTS {name} ({columns})")

    def _append(self, con, table: str, rows: pd.DataFrame) -> None:
        """Append rows to a system table (``ingests``, ``rejected_rows``)."""
        if rows.empty:
            return
        columns = self.backend.table_columns(con, table)
        types = {c: columns[c] for c in rows.columns}
        self.backend.load_temp(con, "_append", rows, {c: types[c] for c in rows.columns})
        names = ", ".join(quote(c) for c in rows.columns)
        self.backend.execute(con, f"INSERT INTO {table} ({names}) SELECT {names} FROM _append")
        self.backend.execute(con, "DROP TABLE _append")

    def _exists(self, con, table: str) -> bool:
        return bool(self.backend.table_columns(con, table))

    def _meta(self, con, table: str) -> tuple[str | None, str | None]:
        if not self._exists(con, META):
            return None, None
        ph = self.backend.placeholder
        found = self.backend.query(con, f"SELECT key_column, time_column FROM {META} WHERE name = {ph}", (table,))
        if found.empty:
            return None, None
        key, time_column = found.iloc[0]
        return key, (None if pd.isna(time_column) else time_column)

    # ------------------------------------------------------------------ ingest
    def ingest(self, inbox, survey_config, progress: bool | None = None, timezone: str = "Asia/Shanghai"):
        """Ingest every export waiting in ``inbox/surveys``, ``inbox/complaints`` and ``inbox/posts``.

        See :func:`cs_toolkit.store.ingest.ingest_inbox`; returns its :class:`IngestSummary`.
        """
        from cs_toolkit.store.ingest import ingest_inbox

        return ingest_inbox(self, inbox, survey_config, progress=progress, timezone=timezone)


def _period_from_text(text: str) -> Period:
    from cs_toolkit.periods import parse_period

    try:
        return parse_period(text, "month")
    except CSToolkitError:
        return parse_period(text, "week")


def _logical(sql_type: str) -> str:
    kind = sql_type.upper()
    if kind in ("DOUBLE", "DOUBLE PRECISION", "FLOAT", "REAL"):
        return "float"
    if kind.startswith("TIMESTAMP"):
        return "timestamp"
    if kind == "BOOLEAN":
        return "bool"
    if kind in ("BIGINT", "INTEGER"):
        return "int"
    return "text"


def _from_store(frame: pd.DataFrame) -> pd.DataFrame:
    """Store results in pandas' own dtypes: text as ``str``, flags as bool where nothing is missing."""
    for name, col in frame.items():
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            values = col.to_numpy(dtype=object)
            if all(isinstance(v, bool | np.bool_) or v is None for v in values) and len(values):
                frame[name] = col.astype("boolean")
            else:
                frame[name] = col.astype("str")
    return frame


__all__ = ["Store", "logical_types", "normalise"]
