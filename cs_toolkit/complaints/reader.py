"""Read and validate a complaint log export: every row kept or set aside with its reason.

Columns are kept as text (ids included: an XLSX with integer ids and a CSV with text ids mix), except
the times (``created_at``, ``first_response_at``, ``resolved_at``) and ``reopened`` (a flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cs_toolkit.io.tables import read_table

REQUIRED = ["complaint_id", "text", "created_at"]
TIME_COLUMNS = ("created_at", "first_response_at", "resolved_at")
PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]
_TRUE = {"true", "1", "yes", "y", "是", "t"}


@dataclass
class ComplaintLog:
    """A validated complaint log: kept rows (``data``, indexed by file row) and problems (``rejected``)."""

    data: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    source: str

    @property
    def rows_rejected(self) -> int:
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0


def read_complaint_log(path: str | Path, encoding: str | None = None) -> ComplaintLog:
    """Read a complaint export (CSV/TSV/XLSX/SAV/Parquet) and validate its rows.

    A row is set aside when its complaint id is missing, its creation time is missing or unreadable, or
    a later row of the same file has the same id (the last one is kept, as a corrected entry).

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
    created = pd.to_datetime(text["created_at"], errors="coerce", format="mixed")
    problems = []
    for mask, column, reason in (
        (ids == "", "complaint_id", "missing complaint id"),
        (created.isna(), "created_at", "missing or unreadable creation time"),
        (ids.duplicated(keep="last") & (ids != ""), "complaint_id", "duplicate complaint id in the same file (last kept)"),
    ):
        if mask.any():
            problems.append(pd.DataFrame({"file": str(table.path), "row": frame.index[mask], "column": column,
                                          "value": text.loc[mask, column].fillna("").to_numpy(), "reason": reason}))
    if len(table.malformed):
        problems.append(table.malformed_problems())
    rejected = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    good = text.drop(index=frame.index.intersection(rejected["row"].unique()))
    for col in TIME_COLUMNS:
        if col in good.columns:
            good[col] = pd.to_datetime(good[col], errors="coerce", format="mixed")
    if "reopened" in good.columns:
        good["reopened"] = good["reopened"].fillna("").str.lower().isin(_TRUE)
    log = ComplaintLog(good, rejected.sort_values("row", kind="stable").reset_index(drop=True), table.rows_read,
                       str(table.path))
    assert len(log.data) + log.rows_rejected == log.rows_read, "every row must be kept or rejected"
    return log
