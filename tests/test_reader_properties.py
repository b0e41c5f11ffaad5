"""Property-based tests of the export readers, against an independent account of what was generated.

Each example generates an export the way real ones come: CSV in UTF-8 (with or without BOM), GB18030,
Big5 or UTF-16 (with or without BOM), any of the four delimiters and both line ends, quoted fields holding
delimiters, quotes and line breaks, rows with the wrong number of fields, empty rows (``,,,,``, blank
lines, blank cells) before and after the header; or an XLSX or SPSS ``.sav`` file. Cells carry valid
values, full-width digits, missing codes, values outside the scale, fractions, text, non-finite numbers
(``inf``, ``nan``, ``1e400``), bad weights, bad or missing dates, duplicated and missing ids.

While generating, the generator keeps its own account — which rows are data, which are empty, the Excel
row number of each, which rows must be kept and with what values, which must be rejected and why — and
:func:`check` compares the reader's result with it: only the toolkit's own exceptions, ``rows_read`` =
kept + rejected = the data rows generated, every kept value equal to its source, the rejected rows' numbers
equal to the generated row numbers, every bad cell rejected with its reason, empty rows skipped.

The generators take a :class:`Draw` so that the same code runs under Hypothesis (which shrinks a failing
example) and from ``bench/fuzz_readers.py`` with a seeded ``random.Random`` (thousands of cases).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cs_toolkit as cs
from cs_toolkit.errors import CSToolkitError, EmptyExportError, UnreadableFileError

# --------------------------------------------------------------------------------------------
# Realistic text: the same content in simplified and in traditional characters
# --------------------------------------------------------------------------------------------
PHRASES = [
    ("翠湖苑", "翠湖苑"), ("锦江华府", "錦江華府"), ("阳光花园", "陽光花園"), ("滨江壹号", "濱江壹號"),
    ("碧桂园凤凰城", "碧桂園鳳凰城"), ("报修", "報修"), ("投诉", "投訴"), ("咨询", "諮詢"), ("交付验房", "交付驗房"),
    ("维修师傅很专业", "維修師傅很專業"), ("等了三天没人来", "等了三天沒人來"),
    ("楼上漏水，已经报修三次仍未解决", "樓上漏水，已經報修三次仍未解決"),
    ("物业态度很差，电话没人接", "物業態度很差，電話沒人接"), ("电梯经常坏，希望尽快修好。", "電梯經常壞，希望儘快修好。"),
    ("小区绿化不错，保安也很负责。", "小區綠化不錯，保安也很負責。"),
    ("停车位太少，晚上回来找不到地方停车。", "停車位太少，晚上回來找不到地方停車。"),
    ("已完成", "已完成"), ("待处理", "待處理"), ("已回访", "已回訪"), ("噪音扰民", "噪音擾民"), ("水电维修", "水電維修"),
    ("门窗", "門窗"), ("满意", "滿意"), ("非常满意", "非常滿意"), ("不满意", "不滿意"), ("一般", "一般"),
    ("客服回复很及时，问题当天就解决了", "客服回覆很及時，問題當天就解決了"), ("墙面开裂，要求重新粉刷", "牆面開裂，要求重新粉刷"),
    ("地下车库灯坏了好几个月", "地下車庫燈壞了好幾個月"), ("垃圾清运不及时，气味很大", "垃圾清運不及時，氣味很大"),
    ("物业费太贵，服务跟不上", "物業費太貴，服務跟不上"), ("门禁卡经常失灵", "門禁卡經常失靈"),
    ("感谢管家的耐心解释", "感謝管家的耐心解釋"), ("广州", "廣州"), ("张先生", "張先生"), ("王师傅", "王師傅"),
    ("暖气不热，屋里只有十五度", "暖氣不熱，屋裡只有十五度"), ("装修噪音影响休息", "裝修噪音影響休息"),
    ("快递柜经常满", "快遞櫃經常滿"), ("楼道里堆满杂物，存在消防隐患", "樓道裡堆滿雜物，存在消防隱患"),
    ("邻居养狗，晚上一直叫", "鄰居養狗，晚上一直叫"),
]
SIMPLIFIED = [s for s, _t in PHRASES]
TRADITIONAL = [t for _s, t in PHRASES]

COLUMNS = ["id", "rec", "sat", "w", "when", "note"]
SCALES = {"rec": (0, 10), "sat": (1, 5)}
MISSING_CODES = ["不适用", "N/A", 99]
#: date style -> (how values are written, the configuration's period.format)
DATE_STYLES = {
    "iso": ("%Y-%m-%d %H:%M:%S", None),
    "ymd_slash": ("%Y/%m/%d %H:%M", None),
    "dmy": ("%d/%m/%Y %H:%M", None),  # inferred, or the documented day-first default when ambiguous
    "mdy": ("%m/%d/%Y %H:%M", "MDY"),
    "strptime": ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M"),
}
TEXT_ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "big5"]
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


# --------------------------------------------------------------------------------------------
# Draws: Hypothesis or random.Random behind one small interface
# --------------------------------------------------------------------------------------------
class Draw:
    """The choices a generator makes. ``chance`` is False in the simplest (shrunk) example."""

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def choice(self, options):
        return options[self.integer(0, len(options) - 1)]

    def chance(self, p: float) -> bool:
        return self.integer(0, 999) >= 1000 - round(p * 1000)


class HypothesisDraw(Draw):
    def __init__(self, data) -> None:
        self.data = data

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))


class RandomDraw(Draw):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


# --------------------------------------------------------------------------------------------
# The generated export and its independent account
# --------------------------------------------------------------------------------------------
@dataclass
class Cell:
    source: object  # what goes into the file (text for CSV; typed for XLSX and SAV)
    bad: str | None = None  # a fragment of the reason the reader must give, when the cell is invalid
    value: object = None  # the value a kept row must hold


@dataclass
class Row:
    kind: str  # "data", "empty" or "junk" (wrong number of fields)
    cells: dict[str, Cell] = field(default_factory=dict)
    row: int = 0  # the Excel row number (SAV: case number)
    width: int = len(COLUMNS)  # fields written (junk rows differ)
    form: int = 0  # how an empty row is written (a blank line, delimiters only, blank cells...)


@dataclass
class Export:
    kind: str  # "csv", "xlsx", "sav"
    encoding: str | None = None
    delimiter: str | None = None
    newline: str = "\n"
    quote_all: bool = False
    date_style: str = "iso"
    lead_empty: int = 0
    script: str = "simplified"
    rows: list[Row] = field(default_factory=list)
    empty_rows: list[int] = field(default_factory=list)  # row numbers the reader must skip as empty

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.encoding}" if self.kind == "csv" else self.kind

    def config(self) -> dict:
        fmt = DATE_STYLES[self.date_style][1]
        period = {"column": "when", "freq": "W", **({"format": fmt} if fmt else {})}
        return {"id": "id", "items": {k: {"scale": list(v)} for k, v in SCALES.items()},
                "missing_codes": MISSING_CODES, "weights": "w", "period": period}

    def data_rows(self) -> list[Row]:
        return [r for r in self.rows if r.kind in ("data", "junk")]


def _norm(text) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------
def generate(draw: Draw) -> Export:
    """One export with its account."""
    kind = draw.choice(["csv", "csv", "csv", "xlsx", "sav"])
    ex = Export(kind=kind, date_style=draw.choice(list(DATE_STYLES)))
    if kind == "csv":
        ex.encoding = draw.choice(TEXT_ENCODINGS)
        ex.delimiter = draw.choice([",", ";", "\t", "|"])
        ex.newline = draw.choice(["\n", "\r\n"])
        ex.quote_all = draw.chance(0.2)
    if kind != "sav":
        ex.lead_empty = draw.integer(0, 2) if draw.chance(0.2) else 0
    ex.script = "traditional" if ex.encoding == "big5" or draw.chance(0.1) else "simplified"
    n = draw.integer(0, 12)
    data_index = 0
    for _ in range(n):
        roll = draw.integer(0, 99)
        if roll < 12:
            ex.rows.append(Row("empty", form=draw.integer(0, 3)))
        elif roll < 22 and kind == "csv":
            ex.rows.append(_junk_row(draw, ex, data_index))
            data_index += 1
        else:
            ex.rows.append(_data_row(draw, ex, data_index))
            data_index += 1
    _account(ex)
    return ex


def _data_row(draw: Draw, ex: Export, k: int) -> Row:
    row = Row("data")
    row.cells["id"] = _id_cell(draw, ex, k)
    for item in SCALES:
        row.cells[item] = _item_cell(draw, ex, item)
    row.cells["w"] = _weight_cell(draw, ex)
    row.cells["when"] = _date_cell(draw, ex)
    row.cells["note"] = _note_cell(draw, ex)
    return row


def _junk_row(draw: Draw, ex: Export, k: int) -> Row:
    row = _data_row(draw, ex, k)
    row.kind = "junk"
    row.cells["id"] = Cell(f"J{k:04d}")  # never all empty: a malformed record, not an empty row
    row.width = len(COLUMNS) + draw.choice([-2, -1, 1, 2])
    return row


def _id_cell(draw: Draw, ex: Export, k: int) -> Cell:
    roll = draw.integer(0, 99)
    earlier = [r for r in ex.rows if r.kind == "data"]
    if roll >= 90 and earlier:
        return Cell(draw.choice(earlier).cells["id"].source)  # duplicate (judged in _account)
    if roll >= 85:
        return Cell("")  # missing (judged in _account)
    text = f"R{k:04d}"
    if roll >= 80:
        text = " " + text + " "
    elif roll >= 75 and ex.encoding != "big5":
        text = "Ｒ" + text[1:].translate(FULL_WIDTH)
    return Cell(text, value=_norm(text))


def _item_cell(draw: Draw, ex: Export, item: str) -> Cell:
    low, high = SCALES[item]
    roll = draw.integer(0, 99)
    sav = ex.kind == "sav"
    if roll < 55:
        v = draw.integer(low, high)
        if sav or (ex.kind == "xlsx" and draw.chance(0.5)):
            return Cell(float(v) if sav else v, value=float(v))
        text = draw.choice([str(v), str(v), str(v).translate(FULL_WIDTH), f" {v} "])
        return Cell(text, value=float(v))
    if roll < 65:
        return Cell(math.nan if sav else (None if ex.kind == "xlsx" else ""), value=math.nan)
    if roll < 73:
        codes = ["N/A", "99"] + ([] if ex.encoding == "big5" else ["不适用"])
        code = 99.0 if sav else draw.choice(codes)
        return Cell(code, value=math.nan)
    if roll < 80:
        v = draw.choice([high + 1, high + 3, low - 1])
        return Cell(float(v) if sav else str(v), bad="outside the scale")
    if roll < 85:
        return Cell(low + 0.5 if sav else f"{low + 0.5:g}", bad="not a point of the scale")
    if roll < 92 or sav:
        if sav:
            return Cell(draw.choice([math.inf, -math.inf]), bad="not a finite number")
        return Cell(draw.choice(["inf", "Infinity", "-inf", "nan", "NaN", "1e400", "-1e400", "+inf"]),
                    bad="not a finite number")
    return Cell(draw.choice(["abc", "很好", "7分", "1,5"]), bad="not a number")


def _weight_cell(draw: Draw, ex: Export) -> Cell:
    roll = draw.integer(0, 99)
    sav = ex.kind == "sav"
    if roll < 70:
        w = draw.integer(5, 50000) / 1000
        if sav or (ex.kind == "xlsx" and draw.chance(0.5)):
            return Cell(w, value=w)
        text = repr(w).translate(FULL_WIDTH) if draw.chance(0.1) else repr(w)
        return Cell(text, value=w)
    if roll < 76:
        return Cell(math.nan if sav else "", bad="missing weight")
    if roll < 84:
        w = draw.choice([0.0, -1.5])
        return Cell(w if sav else f"{w:g}", bad="zero or negative weight")
    if roll < 94 or sav:
        if sav:
            return Cell(draw.choice([math.inf, -math.inf]), bad="not a finite number")
        return Cell(draw.choice(["inf", "Infinity", "-inf", "nan", "1e400"]), bad="weight is not a finite number")
    return Cell(draw.choice(["x", "一"]), bad="weight is not a number")


def _date_cell(draw: Draw, ex: Export) -> Cell:
    fmt, configured = DATE_STYLES[ex.date_style]
    when = dt.datetime(2025, 1, 1) + dt.timedelta(minutes=draw.integer(0, 2 * 365 * 24 * 60 - 1))
    roll = draw.integer(0, 99)
    if roll < 85:
        if ex.kind == "sav" and ex.date_style == "iso" and draw.chance(0.5):
            return Cell(pd.Timestamp(when), value=pd.Timestamp(when))  # an SPSS date variable
        if ex.kind == "xlsx" and configured is None and draw.chance(0.4):
            return Cell(when, value=pd.Timestamp(when))  # an Excel date cell
        return Cell(when.strftime(fmt), value=pd.Timestamp(when))
    if roll < 92:
        return Cell("", bad="missing date/time")
    bad_day = fmt.replace("%d", "30").replace("%m", "02").replace("%Y", "2026")  # 30 February
    return Cell(draw.choice([dt.datetime(2026, 2, 1, 10, 0).strftime(bad_day), "soon"]),
                bad="date")


def _note_cell(draw: Draw, ex: Export) -> Cell:
    pool = TRADITIONAL if ex.script == "traditional" else SIMPLIFIED
    parts = [draw.choice(pool) for _ in range(draw.integer(0, 3))]
    if ex.kind == "csv":
        specials = [ex.delimiter, '"', "\n", '""', ",", ";"]
        for _ in range(draw.integer(0, 2) if draw.chance(0.3) else 0):
            parts.insert(draw.integer(0, len(parts)), draw.choice(specials))
    if ex.kind != "sav" and ex.encoding != "big5" and draw.chance(0.05):
        parts.append("😀")
    text = "".join(parts).strip()
    return Cell(text, value=text)


def _account(ex: Export) -> None:
    """Row numbers, empty rows, duplicates: the generator's own account of what the reader must find."""
    row = ex.lead_empty if ex.kind != "sav" else 0
    if ex.kind != "sav":
        row += 1  # the header
    ex.empty_rows = list(range(1, ex.lead_empty + 1))
    seen: set[str] = set()
    for r in ex.rows:
        row += 1
        r.row = row
        if r.kind == "data" and all(_blank(c.source) for c in r.cells.values()):
            r.kind = "empty"
        if r.kind == "empty":
            ex.empty_rows.append(row)
            continue
        if r.kind != "data":
            continue
        key = "" if _blank(r.cells["id"].source) else _norm(r.cells["id"].source)
        if not key:
            r.cells["id"].bad = "missing response id"
        elif key in seen:
            r.cells["id"].bad = "duplicate response id"
        else:
            seen.add(key)
    if ex.kind == "xlsx":  # a worksheet ends at its last written row: empty rows after it do not exist
        written = [r.row for r in ex.rows if r.kind != "empty" or (not r.cells and r.form % 2)]
        last = max([*written, ex.lead_empty + 1])
        ex.empty_rows = [r for r in ex.empty_rows if r <= last]


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------
def write(ex: Export, folder: Path, name: str = "export") -> Path:
    if ex.kind == "csv":
        path = folder / f"{name}.csv"
        path.write_bytes(_csv_text(ex).encode(ex.encoding))
    elif ex.kind == "xlsx":
        path = folder / f"{name}.xlsx"
        _write_xlsx(ex, path)
    else:
        path = folder / f"{name}.sav"
        _write_sav(ex, path)
    return path


def _csv_text(ex: Export) -> str:
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if ex.quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buf, delimiter=ex.delimiter, lineterminator=ex.newline, quoting=quoting)
    empty_forms = [lambda: buf.write(ex.newline), lambda: writer.writerow([""] * len(COLUMNS)),
                   lambda: writer.writerow([" "] * 3), lambda: writer.writerow([""] * (len(COLUMNS) + 2))]
    for i in range(ex.lead_empty):
        empty_forms[i % len(empty_forms)]()
    writer.writerow(COLUMNS)
    for r in ex.rows:
        if r.kind == "empty" and not r.cells:
            empty_forms[r.form]()
            continue
        cells = ["" if c.source is None else str(c.source) for c in r.cells.values()]
        if r.kind == "junk":
            cells = cells[: r.width] if r.width < len(cells) else cells + ["surplus"] * (r.width - len(cells))
        writer.writerow(cells)
    return buf.getvalue()


def _write_xlsx(ex: Export, path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    for j, name in enumerate(COLUMNS, start=1):
        ws.cell(ex.lead_empty + 1, j, name)
    for r in ex.rows:
        if r.kind == "empty":
            if not r.cells and r.form % 2:  # a row of blank cells (Excel keeps it); otherwise nothing at all
                ws.cell(r.row, 2, " ")
            continue
        for j, c in enumerate(r.cells.values(), start=1):
            if not (c.source is None or (isinstance(c.source, str) and c.source == "")):
                ws.cell(r.row, j, c.source)
    book.save(path)


def _write_sav(ex: Export, path: Path) -> None:
    import pyreadstat

    columns: dict[str, list] = {name: [] for name in COLUMNS}
    typed_dates = any(isinstance(r.cells.get("when", Cell("")).source, pd.Timestamp) for r in ex.rows)
    for r in ex.rows:
        for name in COLUMNS:
            if r.kind == "empty" and not r.cells:
                value = "" if name in ("id", "note") or (name == "when" and not typed_dates) else math.nan
            else:
                value = r.cells[name].source
            if name == "when" and typed_dates:
                value = value if isinstance(value, pd.Timestamp) else pd.NaT
            columns[name].append(value)
    frame = pd.DataFrame({
        "id": pd.Series(columns["id"], dtype=object).astype(str),
        "rec": pd.Series(columns["rec"], dtype=float), "sat": pd.Series(columns["sat"], dtype=float),
        "w": pd.Series(columns["w"], dtype=float),
        "when": (pd.Series(columns["when"], dtype="datetime64[us]") if typed_dates
                 else pd.Series(columns["when"], dtype=object).astype(str)),
        "note": pd.Series(columns["note"], dtype=object).astype(str),
    })
    if typed_dates:  # an SPSS date variable: a value that is not a timestamp becomes system-missing
        for r in ex.rows:
            c = r.cells.get("when")
            if c is not None and not isinstance(c.source, pd.Timestamp) and not c.bad:
                c.bad, c.value = "missing date/time", None
    pyreadstat.write_sav(frame, str(path))


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------
#: Detection may refuse (naming the candidates) a GB18030 or Big5 file with this few distinct characters.
MAX_REFUSED_CHARACTERS = 10


def check(ex: Export, folder: Path, name: str = "export") -> str:
    """Read the generated export and compare with the account. Returns "ok" or "refused-then-ok";
    raises AssertionError on any disagreement."""
    path = write(ex, folder, name)
    outcome = "ok"
    data_rows = ex.data_rows()
    try:
        try:
            survey = cs.read_survey(path, ex.config())
        except UnreadableFileError as exc:
            candidates = getattr(exc, "candidates", None) or []
            family = {"big5": ("big5", "cp950", "big5hkscs")}.get(ex.encoding, (ex.encoding,))
            assert ex.encoding in ("gb18030", "big5"), f"{ex.label}: refused: {exc}"
            assert any(c in family for c in candidates), f"{ex.label}: true encoding not a candidate: {exc}"
            chinese = len({ch for ch in path.read_bytes().decode(ex.encoding) if ord(ch) > 127})
            assert chinese <= MAX_REFUSED_CHARACTERS, (
                f"{ex.label}: refused a file with {chinese} distinct Chinese characters: {exc}")
            outcome = "refused-then-ok"
            survey = cs.read_survey(path, ex.config(), encoding=ex.encoding)
    except EmptyExportError:
        assert not data_rows, f"{ex.label}: EmptyExportError with {len(data_rows)} data rows"
        return "empty"
    except CSToolkitError:
        raise
    except Exception as exc:  # anything but the toolkit's own exceptions is a crash
        raise AssertionError(f"{ex.label}: crashed with {type(exc).__name__}: {exc}") from exc
    _compare(ex, survey)
    return outcome


def _compare(ex: Export, s) -> None:
    label = ex.label
    data_rows = ex.data_rows()
    kept = [r for r in data_rows if r.kind == "data" and not any(c.bad for c in r.cells.values())]
    rejected = [r for r in data_rows if r not in kept]
    assert s.rows_read == len(data_rows) == len(s.data) + len(s.rejected_rows), (
        f"{label}: read {s.rows_read}, kept {len(s.data)}, rejected {len(s.rejected_rows)}; generated "
        f"{len(data_rows)} data rows")
    assert s.data.index.to_list() == [r.row for r in kept], f"{label}: kept rows {s.data.index.to_list()}"
    assert sorted(s.rejected_rows.index) == [r.row for r in rejected], (
        f"{label}: rejected rows {sorted(s.rejected_rows.index)} != {[r.row for r in rejected]}")
    assert s.empty_rows == ex.empty_rows, f"{label}: empty rows {s.empty_rows} != {ex.empty_rows}"
    problems = s.rejected
    for r in rejected:
        mine = problems[problems["row"] == r.row]
        if r.kind == "junk":
            assert mine["reason"].str.contains("fields but the header has").any(), f"{label}: row {r.row}"
            continue
        for name, c in r.cells.items():
            if c.bad:
                reasons = mine.loc[mine["column"] == name, "reason"].to_list()
                assert any(c.bad in reason for reason in reasons), (
                    f"{label}: row {r.row} {name}={c.source!r}: expected {c.bad!r}, got {reasons}")
    for r in kept:
        got = s.data.loc[r.row]
        assert got["id"] == r.cells["id"].value, f"{label}: row {r.row} id {got['id']!r}"
        for name in ("rec", "sat", "w"):
            want, have = r.cells[name].value, float(got[name])
            assert (math.isnan(want) and math.isnan(have)) or math.isclose(want, have, rel_tol=1e-12), (
                f"{label}: row {r.row} {name}: {have!r} != {want!r} (source {r.cells[name].source!r})")
        assert abs(pd.Timestamp(got["when"]) - r.cells["when"].value) < pd.Timedelta(seconds=1), (
            f"{label}: row {r.row} when: {got['when']!r} != {r.cells['when'].value!r}")
        note = got["note"]
        note = "" if _blank(note) else str(note)
        assert note == r.cells["note"].value, f"{label}: row {r.row} note {note!r} != {r.cells['note'].value!r}"


# --------------------------------------------------------------------------------------------
# The property, in CI
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reader_properties")


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_exports_are_read_as_generated(folder, data):
    """300 generated exports (derandomized: the same 300 on every run), each checked against its account."""
    ex = generate(HypothesisDraw(data))
    check(ex, folder)


def test_the_generators_cover_every_case():
    """The random generator (the bench's) reaches every file type, encoding and cell kind in 400 cases."""
    seen = set()
    for seed in range(400):
        ex = generate(RandomDraw(seed))
        seen.add(ex.label)
        seen.update(r.kind for r in ex.rows)
        seen.update(c.bad for r in ex.rows for c in r.cells.values() if c.bad)
    assert {f"csv/{e}" for e in TEXT_ENCODINGS} | {"xlsx", "sav"} <= seen
    assert {"empty", "junk", "data", "not a finite number", "duplicate response id", "missing date/time"} <= seen


def test_a_generated_export_can_be_checked_by_hand(tmp_path):
    ex = generate(RandomDraw(7))
    assert check(ex, tmp_path) in ("ok", "refused-then-ok", "empty")
    assert np.all(np.diff([r.row for r in ex.rows]) == 1)
