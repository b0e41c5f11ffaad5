"""Excel workbooks of report tables: one sheet per table, sheet names as the report names them (Chinese
by default), number formats, column widths fitted to the content, frozen header row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _INVALID_SHEET.sub("_", str(name)).strip("'")[:31] or "Sheet"
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base[:28]}_{k}"
    taken.add(candidate)
    return candidate


def _width(series: pd.Series, header: str) -> float:
    def cell_width(text: str) -> int:  # CJK characters take two columns
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    values = [cell_width(str(v)) for v in series.head(500) if v is not None and str(v) != "nan"]
    return min(max([cell_width(header), *values, 6]) + 2, 80)


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write ``sheets`` (name -> table) to an ``.xlsx`` workbook and return its path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "r.xlsx",
    ...                    {"服务水平": pd.DataFrame({"指标": ["结案率"], "数值": [0.912]})})
    >>> book = pd.read_excel(p, sheet_name=None)
    >>> list(book), book["服务水平"]["数值"].round(3).tolist()
    (['服务水平'], [0.912])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        book = writer.book
        header = book.add_format({"bold": True, "bg_color": "#EEF3F9", "bottom": 2, "text_wrap": True,
                                  "valign": "top"})
        number = book.add_format({"num_format": "#,##0.00"})
        integer = book.add_format({"num_format": "#,##0"})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        for name, frame in sheets.items():
            sheet_name = _sheet_name(name, taken)
            frame = frame.copy()
            for column in frame.columns:
                if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                    frame[column] = frame[column].dt.tz_localize(None)
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes(1, 0)
            for j, column in enumerate(frame.columns):
                sheet.write(0, j, str(column), header)
                col = frame[column]
                if pd.api.types.is_datetime64_any_dtype(col):
                    fmt, width = when, 18
                elif pd.api.types.is_integer_dtype(col):
                    fmt, width = integer, _width(col, str(column))
                elif pd.api.types.is_float_dtype(col):
                    fmt, width = number, max(_width(col.round(2), str(column)), 10)
                else:
                    fmt, width = wrap, _width(col, str(column))
                sheet.set_column(j, j, width, fmt)
    return path


def restricted_workbook(frame: pd.DataFrame, folder: str | Path, report: str, period: str) -> Path | None:
    """Write a list that holds contact details (e.g. detractors to call back) to the RESTRICTED folder,
    never beside the shared report: ``folder/REPORT/PERIOD_follow_up.xlsx``. Nothing is written for an
    empty list; the folder is created readable by its owner only."""
    if frame.empty:
        return None
    target = Path(folder) / report
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    return write_workbook(target / f"{period}_follow_up.xlsx", {"follow_up": frame})
