"""Read and validate a complaint log export: every data row kept or set aside with its reason.

Columns are kept as text (ids included: an XLSX with integer ids and a CSV with text ids mix), except
the times (``created_at``, ``first_response_at``, ``resolved_at``) and ``reopened`` (a flag). Each time
column is read with ONE date order for the whole column (inferred from all its values, or given with
``date_format``; see :func:`cs_toolkit.io.tables.parse_datetimes`). Rows whose every cell is empty are
not data: they are skipped and reported in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_toolkit.io.tables import normalize_text, parse_datetimes, read_table

REQUIRED = ["complaint_id", "text", "created_at"]
TIME_COLUMNS = ("created_at", "first_response_at", "resolved_at")
PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]
_TRUE = {"true", "1", "yes", "y", "是", "t"}


@dataclass
class ComplaintLog:
    """A validated complaint log: kept rows (``data``, indexed by file row) and problems (``rejected``).

    ``notes`` says what the reader decided (empty rows skipped, the date order of each time column);
    ``empty_rows`` lists the row numbers of rows whose every cell is empty (not data, not in ``rows_read``).
    """

    data: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    source: str
    notes: list[str] = field(default_factory=list)
    empty_rows: list[int] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0


def read_complaint_log(path: str | Path, encoding: str | None = None,
                       date_format: str | dict[str, str] | None = None) -> ComplaintLog:
    """Read a complaint export (CSV/TSV/XLSX/SAV/Parquet) and validate its rows.

    A row is set aside when its complaint id is missing, its creation time is missing or not a date in
    the column's format, another time (first response, resolution) is given but not a date, or a later
    row of the same file has the same id (the last one is kept, as a corrected entry).

    Parameters
    ----------
    path : str or Path
        The export.
    encoding : str, optional
        Text encoding; detected when not given.
    date_format : str or dict, optional
        Date format of the time columns — ``"DMY"``, ``"MDY"``, ``"YMD"`` or a strptime format such as
        ``"%d/%m/%Y %H:%M"`` — for all of them, or per column (``{"created_at": "MDY"}``). Inferred from
        the values when not given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = p.write_text("complaint_id,text,created_at\\n1,漏水,2026-11-02 09:00\\n,噪音,2026-11-02\\n", encoding="utf-8")
    >>> log = read_complaint_log(p)
    >>> log.data["complaint_id"].to_list(), log.rejected["reason"].to_list()
    (['1'], ['missing complaint id'])
    """
    table = read_table(path, encoding=encoding)
    table.require(REQUIRED, "needed for a complaint log")
    frame = table.frame
    text = frame.astype("string").apply(lambda col: col.str.strip())
    ids = text["complaint_id"].fillna("")
    source = str(table.path)
    notes = list(table.notes)
    times: dict[str, pd.Series] = {}
    problems = []

    def problem(mask: pd.Series, column: str, reason) -> None:
        if mask.any():
            reasons = reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason
            problems.append(pd.DataFrame({"file": source, "row": frame.index[mask.to_numpy(dtype=bool)], "column": column,
                                          "value": text.loc[mask, column].fillna("").to_numpy(),
                                          "reason": reasons}))

    problem(ids == "", "complaint_id", "missing complaint id")
    for column in TIME_COLUMNS:
        if column not in frame.columns:
            continue
        fmt = date_format.get(column) if isinstance(date_format, dict) else date_format
        how = (f"pass date_format={{{column!r}: 'MDY'}} (or 'DMY', or a strptime format such as '%m/%d/%Y %H:%M') "
               f"to read_complaint_log")
        dates = parse_datetimes(frame[column], column, fmt, how_to_set=how)
        notes += dates.notes
        times[column] = dates.values
        if column == "created_at":
            problem(dates.missing, column, "missing creation time")
            problem(dates.invalid, column, "unreadable creation time: " + dates.reason)
        else:
            problem(dates.invalid, column, f"unreadable {column}: " + dates.reason)
    problem(ids.duplicated(keep="last") & (ids != ""), "complaint_id",
            "duplicate complaint id in the same file (last kept)")
    if len(table.malformed):
        problems.append(table.malformed_problems())
    rejected = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    good = text.drop(index=frame.index.intersection(rejected["row"].unique()))
    for column, values in times.items():
        good[column] = values.reindex(good.index)
    if "reopened" in good.columns:
        good["reopened"] = normalize_text(good["reopened"]).fillna("").str.lower().isin(_TRUE)
    log = ComplaintLog(good, rejected.sort_values("row", kind="stable").reset_index(drop=True), table.rows_read,
                       source, notes, list(table.empty_rows))
    assert len(log.data) + log.rows_rejected == log.rows_read, "every row must be kept or rejected"
    return log
