"""Read a raw export (CSV/TSV/XLSX/SPSS .sav/Parquet) into text-preserving rows, never losing a row.

Text files are decoded with the detected encoding (UTF-8, UTF-8 with BOM, GB18030 — the superset of the
GBK that Excel writes on Chinese Windows) and parsed record by record, so that a malformed record is
set aside with its row number instead of stopping the read or vanishing.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_toolkit.errors import EmptyExportError, MissingColumnError, UnreadableFileError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_DELIMITERS = [",", "\t", ";", "|"]


@dataclass
class RawTable:
    """Rows of an export as read, before validation.

    ``frame`` holds the well-formed records, indexed by their row number in the file as a spreadsheet
    shows it (the header is row 1); ``malformed`` holds the records that could not be split into the
    header's columns, with the reason.
    """

    path: Path
    frame: pd.DataFrame
    malformed: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)

    def require(self, columns: list[str | None], why: str = "") -> None:
        """Raise :class:`MissingColumnError` (with close-match suggestions) unless every column is present."""
        present = list(self.frame.columns)
        missing = [c for c in columns if c is not None and c not in present]
        if not missing:
            return
        suggestions = {}
        for c in missing:
            close = difflib.get_close_matches(c, present, n=1, cutoff=0.6)
            if close:
                suggestions[c] = close[0]
        hint = ""
        if self.notes:
            hint = "Note: " + "; ".join(self.notes) + " (pass delimiter=... to choose it). "
        hint += "Rename the columns in the export (or in the configuration or command) so they agree."
        message = (f"{self.path}: column(s) {missing} {why + ' ' if why else ''}are not in the file. "
                   f"Columns found: {present[:30]}.")
        message += "".join(f" {m!r} -> did you mean {s!r}?" for m, s in suggestions.items()) + " " + hint
        raise MissingColumnError(self.path, missing, present, suggestions, hint, message=message)

    def malformed_problems(self) -> pd.DataFrame:
        """The malformed records as problem rows: ``file``, ``row``, ``column`` ("(row)"), ``value``, ``reason``."""
        return pd.DataFrame({"file": str(self.path), "row": self.malformed["row"].to_numpy(), "column": "(row)",
                             "value": self.malformed["raw"].to_numpy(), "reason": self.malformed["reason"].to_numpy()})


def detect_encoding(raw: bytes, path: Path | str = "<bytes>") -> str:
    """Name the encoding of ``raw``: ``utf-8-sig`` (BOM), ``utf-8``, ``gb18030``, or what charset-normalizer finds."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for candidate in ("utf-8", "gb18030"):
        try:
            raw.decode(candidate)
            return candidate
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise UnreadableFileError(
            f"{path}: cannot tell the text encoding (not UTF-8 nor GB18030/GBK); save the file as UTF-8 and try again."
        )
    return best.encoding


def _decode(raw: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    enc = encoding or detect_encoding(raw, path)
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = " It looks like GBK/GB18030 (Excel on Chinese Windows): pass encoding='gb18030'." if _is_gb(raw) else ""
        raise UnreadableFileError(
            f"{path}: cannot decode line {line} as {enc} (byte {exc.start}).{hint} "
            f"Or leave encoding unset to detect it."
        ) from exc
    except LookupError as exc:
        raise UnreadableFileError(f"{path}: unknown encoding {enc!r}") from exc


def _is_gb(raw: bytes) -> bool:
    try:
        raw.decode("gb18030")
        return True
    except UnicodeDecodeError:
        return False


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, and most consistent, fields."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in _DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines]
        if counts[0] <= 1:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = consistent * 100 + counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_text(path: Path, raw: bytes, encoding: str | None, delimiter: str | None) -> RawTable:
    text, enc = _decode(raw, encoding, path)
    if not text.strip():
        raise EmptyExportError(f"{path}: the file is empty; export the survey again (it has no header and no rows).")
    delim = delimiter or (("\t" if path.suffix.lower() == ".tsv" else None) or sniff_delimiter(text))
    fast = _fast_frame(text, delim)
    if fast is not None:
        return RawTable(path, fast, pd.DataFrame(columns=["row", "reason", "raw"]), enc, delim, _notes(list(fast.columns), delim))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    records: list[list[str]] = []
    rows: list[int] = []
    bad: list[dict] = []
    while True:
        line_no = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append({"row": line_no, "reason": f"cannot be parsed: {exc}", "raw": ""})
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank line: not a record
        if header is None:
            header = [h.strip() for h in record]
            header_row = line_no
            continue
        if len(record) != len(header):
            bad.append(
                {
                    "row": line_no,
                    "reason": f"has {len(record)} fields but the header has {len(header)}",
                    "raw": delim.join(record),
                }
            )
            continue
        records.append(record)
        rows.append(line_no)
    if header is None:
        raise EmptyExportError(f"{path}: the file is empty; export the survey again.")
    if not records and not bad:
        raise EmptyExportError(
            f"{path}: the file has a header (row {header_row}) but no data rows; check the export's date range."
        )
    frame = pd.DataFrame(records, columns=_dedupe(header), index=pd.Index(rows, name="row"), dtype="str")
    return RawTable(path, frame, pd.DataFrame(bad, columns=["row", "reason", "raw"]), enc, delim, _notes(header, delim))


def _notes(header: list[str], delim: str = ",") -> list[str]:
    if len(header) == 1 and any(d in header[0] for d in _DELIMITERS[1:] + [","]):
        return [f"only one column found with delimiter {delim!r}; the file may use another delimiter"]
    return []


def _fast_frame(text: str, delim: str) -> pd.DataFrame | None:
    """pandas' C parser, when every line is exactly one well-formed record (no quotes, no blank lines,
    the header's number of fields everywhere), so that row numbers are line numbers. Otherwise None:
    the record-by-record reader then finds and sets aside the malformed records."""
    if '"' in text or "\r" in text:
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2:
        return None
    fields = lines[0].count(delim)
    if any(line.count(delim) != fields or not line.strip() for line in lines):
        return None
    header = _dedupe([h.strip() for h in lines[0].split(delim)])
    frame = pd.read_csv(io.StringIO(text), sep=delim, header=0, names=header, dtype=str, keep_default_na=False,
                        na_filter=False, engine="c", quoting=csv.QUOTE_NONE)
    frame.index = pd.Index(range(2, len(frame) + 2), name="row")
    return frame


def _dedupe(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        name = name or "unnamed"
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def read_table(
    path: str | Path, encoding: str | None = None, delimiter: str | None = None, sheet: str | int = 0
) -> RawTable:
    """Read an export into a :class:`RawTable` without interpreting any value.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt``, ``.xlsx``, ``.sav`` (SPSS) or ``.parquet``.
    encoding : str, optional
        Text encoding; detected when not given.
    delimiter : str, optional
        Field delimiter of text files; sniffed when not given.
    sheet : str or int, default 0
        Worksheet of an Excel file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from cs_toolkit.io.tables import read_table
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_bytes("编号,满意度\\n1,5\\n2,4\\n".encode("gb18030"))
    >>> t = read_table(p)
    >>> t.encoding, list(t.frame.columns), t.frame.index.to_list()
    ('gb18030', ['编号', '满意度'], [2, 3])
    """
    path = Path(path)
    if not path.exists():
        raise UnreadableFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, path.read_bytes(), encoding, delimiter)
    if path.stat().st_size == 0:
        raise EmptyExportError(f"{path}: the file is empty")
    try:
        if suffix in EXCEL_SUFFIXES:
            frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
            frame.index = pd.Index(range(2, len(frame) + 2), name="row")
        elif suffix == ".sav":
            import pyreadstat

            frame, _meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
            frame.index = pd.Index(range(1, len(frame) + 1), name="row")
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            frame.index = pd.Index(range(1, len(frame) + 1), name="row")
        else:
            raise UnreadableFileError(
                f"{path}: unsupported file type {suffix!r}; use CSV, TSV, XLSX, SPSS .sav or Parquet."
            )
    except UnreadableFileError:
        raise
    except Exception as exc:  # the reading libraries raise many types for a damaged file
        raise UnreadableFileError(f"{path}: cannot be read as {suffix} ({type(exc).__name__}: {exc})") from exc
    frame.columns = _dedupe([str(c).strip() for c in frame.columns])
    if frame.empty:
        raise EmptyExportError(f"{path}: the file has a header but no data rows")
    return RawTable(path, frame, pd.DataFrame(columns=["row", "reason", "raw"]))
