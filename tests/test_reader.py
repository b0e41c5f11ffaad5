"""Reading exports: encodings, delimiters, file types, bad rows; every row accounted for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cs_toolkit as cs
from cs_toolkit.errors import ConfigError, EmptyExportError, MissingColumnError, UnreadableFileError
from cs_toolkit.io.tables import detect_encoding, parse_datetimes, read_table
from tests.test_reader_properties import PHRASES, SIMPLIFIED, TRADITIONAL

CFG = {
    "id": "id",
    "items": {"rec": {"scale": [0, 10]}, "sat": {"scale": [1, 5]}},
    "missing_codes": ["不适用", "N/A", 99],
    "nps": "rec",
    "weights": "w",
}


def write(tmp_path, text: str, encoding="utf-8", name="export.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_chinese_headers_in_every_common_encoding(tmp_path, encoding):
    cfg = {"id": "编号", "items": {"满意度": {"scale": [1, 5]}}, "segments": ["项目"]}
    path = write(tmp_path, "编号,项目,满意度\n1,翠湖苑,5\n2,锦江华府,4\n", encoding)
    s = cs.read_survey(path, cfg)
    assert list(s.data["项目"]) == ["翠湖苑", "锦江华府"]
    assert list(s.data["满意度"]) == [5.0, 4.0]


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = delimiter.join(["id", "rec", "sat", "w"]) + "\n" + delimiter.join(["1", "9", "4", "1.5"]) + "\n"
    s = cs.read_survey(write(tmp_path, text), CFG)
    assert s.delimiter == delimiter and len(s.data) == 1


def test_bad_rows_are_set_aside_with_reasons_and_nothing_is_lost(tmp_path):
    text = (
        "id,rec,sat,w\n"
        "1,10,5,1\n"          # row 2 ok
        "2,１０,４,1\n"        # row 3 full-width digits: ok
        "3,11,4,1\n"          # row 4 out of scale
        "4,abc,4,1\n"         # row 5 text in numeric item
        "5,9,不适用,1\n"       # row 6 missing code: ok, sat missing
        "6,9,4,0\n"           # row 7 zero weight
        "7,9,4,\n"            # row 8 missing weight
        "1,8,3,1\n"           # row 9 duplicate id
        "8,9,4,1,extra\n"     # row 10 too many fields
        "9,99,3,2\n"          # row 11 99 = missing code
        "10,7,2.5,1\n"        # row 12 not a scale point
    )
    s = cs.read_survey(write(tmp_path, text), CFG)
    assert s.rows_read == 11
    assert list(s.data.index) == [2, 3, 6, 11]
    assert s.data.loc[3, "rec"] == 10 and s.data.loc[3, "sat"] == 4
    assert pd.isna(s.data.loc[6, "sat"]) and pd.isna(s.data.loc[11, "rec"])
    reasons = s.rejected.set_index("row")["reason"]
    assert "outside the scale 0-10" in reasons[4]
    assert "not a number" in reasons[5]
    assert reasons[7] == "zero or negative weight"
    assert reasons[8] == "missing weight"
    assert "duplicate response id (first seen at row 2)" in reasons[9]
    assert "5 fields but the header has 4" in reasons[10]
    assert "not a point of the scale" in reasons[12]
    assert set(s.rejected["column"]) >= {"rec", "w", "id", "(row)"}
    assert sorted(s.rejected_rows.index) == [4, 5, 7, 8, 9, 10, 12]
    assert s.summary()["rows_kept"] + s.summary()["rows_rejected"] == s.summary()["rows_read"]


def test_on_invalid_missing_keeps_the_row_and_blanks_the_value(tmp_path):
    cfg = {**CFG, "on_invalid": "missing"}
    s = cs.read_survey(write(tmp_path, "id,rec,sat,w\n1,12,4,1\n"), cfg)
    assert len(s.data) == 1 and pd.isna(s.data.iloc[0]["rec"])
    assert s.blanked["reason"].item() == "12 is outside the scale 0-10"


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(EmptyExportError, match="empty"):
        cs.read_survey(write(tmp_path, ""), CFG)
    with pytest.raises(EmptyExportError, match="header .* but no data rows"):
        cs.read_survey(write(tmp_path, "id,rec,sat,w\n"), CFG)


def test_missing_column_names_the_file_and_suggests(tmp_path):
    with pytest.raises(MissingColumnError, match=r"export\.csv.*\['sat'\].*did you mean 'sat1'"):
        cs.read_survey(write(tmp_path, "id,rec,sat1,w\n1,9,4,1\n"), CFG)


def test_wrong_delimiter_forced_is_explained(tmp_path):
    with pytest.raises(MissingColumnError, match="another delimiter"):
        cs.read_survey(write(tmp_path, "id;rec;sat;w\n1;9;4;1\n"), CFG, delimiter=",")


def test_gbk_file_forced_as_utf8_says_what_to_do(tmp_path):
    path = write(tmp_path, "id,rec,sat,w\n1,9,4,1\n2,9,4,1\n# 备注\n", "gbk")
    with pytest.raises(UnreadableFileError, match="gb18030"):
        cs.read_survey(path, CFG, encoding="utf-8")


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file"):
        cs.read_survey(tmp_path / "nope.csv", CFG)
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(UnreadableFileError, match="unsupported file type"):
        cs.read_survey(path, CFG)


def test_xlsx_parquet_and_sav_round_trip(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "rec": [10, 3, 15], "sat": [5, 4, 3], "w": [1.0, 2.0, 1.0]})
    frame.to_excel(tmp_path / "e.xlsx", index=False)
    frame.to_parquet(tmp_path / "e.parquet")
    import pyreadstat

    pyreadstat.write_sav(frame, str(tmp_path / "e.sav"))
    for name, bad_row in [("e.xlsx", 4), ("e.parquet", 3), ("e.sav", 3)]:
        s = cs.read_survey(tmp_path / name, CFG)
        assert len(s.data) == 2 and s.rejected["row"].tolist() == [bad_row], name
        assert s.data["rec"].tolist() == [10.0, 3.0]


def test_config_errors_are_specific(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'segments'"):
        cs.ScoringConfig.from_dict({**CFG, "segmets": ["a"]})
    with pytest.raises(ConfigError, match="0-10 scale"):
        cs.ScoringConfig.from_dict({"items": {"r": {"scale": [1, 5]}}, "nps": "r"})
    bad = tmp_path / "c.yaml"
    bad.write_text("items: [unclosed\n")
    with pytest.raises(ConfigError, match="c.yaml: not valid YAML"):
        cs.ScoringConfig.from_yaml(bad)


cell = st.one_of(
    st.integers(-3, 14).map(str),
    st.sampled_from(["", "不适用", "N/A", "99", "abc", "１０", "4.5", " 7 ", "😀"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 30), cell, cell, st.sampled_from(["1", "0", "-2", "", "x", "2.5"]),
                               st.booleans()), min_size=1, max_size=40))
def test_every_row_is_kept_or_rejected(tmp_path, rows):
    lines = ["id,rec,sat,w"]
    for rid, rec, sat, w, extra in rows:
        fields = [str(rid), rec, sat, w] + (["surplus"] if extra else [])
        lines.append(",".join(f'"{f}"' for f in fields))
    path = tmp_path / "h.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    s = cs.read_survey(path, CFG)
    assert s.rows_read == len(rows)
    assert len(s.data) + len(s.rejected_rows) == len(rows)
    assert set(s.data.index).isdisjoint(s.rejected_rows.index)
    assert s.data["rec"].dropna().between(0, 10).all() and s.data["sat"].dropna().between(1, 5).all()
    assert (s.data["w"] > 0).all() and s.data["id"].is_unique


# ------------------------------------------------------------------------------------------------
# Encodings: GB18030 vs Big5 by plausibility, UTF-16 with and without BOM, refusing when unsure
# ------------------------------------------------------------------------------------------------

ZH_CFG = {"id": "编号", "items": {"满意度": {"scale": [1, 5]}}, "segments": ["项目"]}
ZH_TEXT = "编号,项目,满意度,备注\n1,翠湖苑,5,维修师傅很专业\n2,锦江华府,4,等了三天没人来\n"
TW_TEXT = "編號,項目,滿意度,備註\n1,翠湖苑,5,維修師傅很專業\n2,錦江華府,4,等了三天沒人來\n"
TW_CFG = {"id": "編號", "items": {"滿意度": {"scale": [1, 5]}}, "segments": ["項目"]}


@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_big5_file_is_read_as_big5_not_as_gb18030(tmp_path, encoding):
    s = cs.read_survey(write(tmp_path, TW_TEXT, encoding), TW_CFG)
    assert s.encoding in ("big5", "cp950", "big5hkscs")
    assert list(s.data["項目"]) == ["翠湖苑", "錦江華府"] and list(s.data["備註"]) == ["維修師傅很專業", "等了三天沒人來"]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 20, 200])
def test_simplified_and_traditional_files_of_every_length(tmp_path, n):
    """A few rows are the hard case: few characters to judge by. Realistic text of growing length."""
    for script, phrases, encoding, want in (("s", SIMPLIFIED, "gbk", "gb18030"), ("t", TRADITIONAL, "big5", "big5")):
        for start in range(0, len(phrases), 7):
            rows = [phrases[(start + i) % len(phrases)] for i in range(n)]
            text = "id,note\n" + "".join(f"{i},{p}\n" for i, p in enumerate(rows))
            path = write(tmp_path, text, encoding, name=f"{script}{start}.csv")
            try:
                table = read_table(path)
            except UnreadableFileError as exc:  # allowed for a single short phrase: never a wrong reading
                assert n == 1 and want in exc.candidates, (script, rows)
                table = read_table(path, encoding=want)
            assert table.encoding == want, (script, rows)
            assert table.frame["note"].to_list() == rows


def test_short_files_are_never_misread(tmp_path):
    """Every one- and two-phrase file: read right or refused, never read in the wrong encoding."""
    outcomes = {"right": 0, "refused": 0}
    for simplified, traditional in PHRASES:
        for text, encoding, want in ((simplified, "gbk", "gb18030"), (traditional, "big5", "big5")):
            for body in (f"id,note\n1,{text}\n", f"id,note\n1,{text}\n2,{text}{text}\n"):
                try:
                    got = detect_encoding(body.encode(encoding))
                except UnreadableFileError as exc:
                    assert want in exc.candidates
                    outcomes["refused"] += 1
                    continue
                assert got == want, (body, got)
                outcomes["right"] += 1
    assert outcomes["refused"] <= 0.05 * sum(outcomes.values()), outcomes


def test_traditional_text_saved_as_gbk_stays_gb18030(tmp_path):
    """GBK holds traditional characters too (a Hong Kong project name in a mainland export): found by the fuzzer."""
    text = "id,项目,备注\n1,碧桂園鳳凰城,水電維修\n2,錦江華府,樓道裡堆滿雜物，存在消防隱患\n"
    table = read_table(write(tmp_path, text, "gb18030"))
    assert table.encoding == "gb18030" and table.frame["备注"].to_list()[0] == "水電維修"


def test_gbk_short_file_stays_gb18030(tmp_path):
    for text in ("id,评价\n1,满意\n2,不满意\n", "编号,满意度\n1,5\n", ZH_TEXT, "id,sat,备注\n1,5,不适用\n"):
        assert read_table(write(tmp_path, text, "gbk")).encoding == "gb18030", text
    s = cs.read_survey(write(tmp_path, ZH_TEXT, "gbk"), ZH_CFG)
    assert s.encoding == "gb18030" and list(s.data["备注"]) == ["维修师傅很专业", "等了三天没人来"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32"])
@pytest.mark.parametrize("delimiter", ["\t", ","])
def test_utf16_with_and_without_bom(tmp_path, encoding, delimiter):
    """Excel's "Unicode text" export: UTF-16, tab-separated, with or without a byte-order mark."""
    path = write(tmp_path, ZH_TEXT.replace(",", delimiter), encoding, name="unicode.txt")
    s = cs.read_survey(path, ZH_CFG)
    assert s.encoding == encoding and s.delimiter == delimiter
    assert list(s.data["项目"]) == ["翠湖苑", "锦江华府"] and list(s.data["满意度"]) == [5.0, 4.0]


def test_utf16_ascii_only_without_bom(tmp_path):
    s = cs.read_survey(write(tmp_path, "rid,rec,sat,w\n1,9,4,1\n".replace("rid", "id"), "utf-16-le"), CFG)
    assert s.encoding == "utf-16-le" and len(s.data) == 1


def test_undecidable_encoding_is_refused_with_the_candidates(tmp_path):
    path = write(tmp_path, "id,楼栋\n1,5\n", "gbk")  # two characters, both plausible in both readings
    with pytest.raises(UnreadableFileError) as info:
        cs.read_survey(path, CFG)
    err = info.value
    assert err.candidates[:2] in (["gb18030", "big5"], ["big5", "gb18030"]) and err.path == str(path)
    assert "encoding='" in str(err) and "--encoding" in str(err) and "'id,楼栋'" in str(err)
    assert list(read_table(path, encoding="gb18030").frame.columns) == ["id", "楼栋"]


def test_binary_junk_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02\x00\x00\x05\x00\x00\x07")
    with pytest.raises(UnreadableFileError, match="NUL bytes"):
        read_table(path)


# ------------------------------------------------------------------------------------------------
# Dates: one order per column, inferred or configured
# ------------------------------------------------------------------------------------------------
DATE_CFG = {"id": "id", "items": {"sat": {"scale": [1, 5]}}, "period": {"column": "at", "freq": "W"}}


def dates_file(tmp_path, values, name="d.csv"):
    text = "id,sat,at\n" + "".join(f"{i},4,{v}\n" for i, v in enumerate(values, start=1))
    return write(tmp_path, text, name=name)


def test_day_first_column_is_read_day_first_throughout(tmp_path):
    s = cs.read_survey(dates_file(tmp_path, ["27/11/2026", "03/11/2026", "01/12/2026 9:05"]), DATE_CFG)
    assert s.data["at"].dt.strftime("%Y-%m-%d %H:%M").to_list() == ["2026-11-27 00:00", "2026-11-03 00:00",
                                                                     "2026-12-01 09:05"]
    assert any("'at'" in n and "day/month/year" in n for n in s.notes)


def test_month_first_column_is_read_month_first_throughout(tmp_path):
    s = cs.read_survey(dates_file(tmp_path, ["11/27/2026", "03/11/2026", "12/01/2026 09:05:00 PM"]), DATE_CFG)
    assert s.data["at"].dt.strftime("%Y-%m-%d %H:%M").to_list() == ["2026-11-27 00:00", "2026-03-11 00:00",
                                                                     "2026-12-01 21:05"]
    assert any("month/day/year" in n for n in s.notes)


def test_iso_and_year_first_dates(tmp_path):
    values = ["2026-11-03", "2026/11/04 10:30", "2026-11-05T08:00:00", "2026年11月6日 9:00", "2026.11.07"]
    s = cs.read_survey(dates_file(tmp_path, values), DATE_CFG)
    assert s.data["at"].dt.day.to_list() == [3, 4, 5, 6, 7] and not s.notes


def test_ambiguous_column_uses_the_documented_default_and_says_so(tmp_path):
    s = cs.read_survey(dates_file(tmp_path, ["03/11/2026", "04/11/2026", "05/12/2026"]), DATE_CFG)
    assert s.data["at"].dt.strftime("%Y-%m-%d").to_list() == ["2026-11-03", "2026-11-04", "2026-12-05"]
    note = next(n for n in s.notes if "ambiguous" in n)
    assert "'at'" in note and "day/month/year" in note and "format: MDY" in note


def test_configured_format_wins_and_other_values_are_rejected(tmp_path):
    path = dates_file(tmp_path, ["03/11/2026 10:00", "27/11/2026 10:00", "2026-11-03 10:00", "03/11/2026"])
    cfg = {**DATE_CFG, "period": {"column": "at", "freq": "W", "format": "%m/%d/%Y %H:%M"}}
    s = cs.read_survey(path, cfg)
    assert s.data["at"].to_list() == [pd.Timestamp("2026-03-11 10:00")]
    reasons = s.rejected.set_index("row")["reason"]
    assert reasons[3] == "does not match the date format '%m/%d/%Y %H:%M' (period.format)"
    assert sorted(reasons.index) == [3, 4, 5]
    s = cs.read_survey(path, {**DATE_CFG, "period": {"column": "at", "format": "MDY"}})
    assert s.data["at"].dt.strftime("%m-%d").to_list() == ["03-11", "11-03", "03-11"]
    assert "not a valid date/time read as month/day/year" in s.rejected["reason"].item()


def test_mixed_orders_keep_the_majority_and_reject_the_rest(tmp_path):
    s = cs.read_survey(dates_file(tmp_path, ["27/11/2026", "28/11/2026", "11/29/2026", "soon", ""]), DATE_CFG)
    assert s.data.index.to_list() == [2, 3]
    reasons = s.rejected.set_index("row")["reason"]
    assert reasons[4] == "not a valid date/time read as day/month/year"
    assert reasons[5] == "not a date/time" and reasons[6] == "missing date/time"
    assert any("mixes day-first" in n for n in s.notes)


@pytest.mark.parametrize("fmt, message", [("%d/%m", "year, month and day"), ("%Q", "strptime"),
                                          ("sometimes", "neither"), (5, "must be a text")])
def test_period_format_is_validated(fmt, message):
    with pytest.raises(ConfigError, match=message):
        cs.ScoringConfig.from_dict({**DATE_CFG, "period": {"column": "at", "format": fmt}})
    with pytest.raises(ConfigError, match="unknown period key"):
        cs.ScoringConfig.from_dict({**DATE_CFG, "period": {"column": "at", "fromat": "DMY"}})


def test_parse_datetimes_reads_each_distinct_value_once():
    values = pd.Series(["03/11/2026"] * 1000 + ["13/11/2026"])
    d = parse_datetimes(values, "at")
    assert d.order == "DMY" and d.values.dt.month.eq(11).all() and not d.invalid.any()


def test_complaint_log_dates_use_one_order(tmp_path):
    from cs_toolkit.complaints.reader import read_complaint_log

    text = ("complaint_id,text,created_at,resolved_at\n"
            "1,漏水,27/11/2026 09:00,28/11/2026\n"
            "2,噪音,03/11/2026 10:00,\n"
            "3,电梯,2026-11-04,someday\n"
            ",,,\n")
    log = read_complaint_log(write(tmp_path, text))
    assert log.data["created_at"].dt.strftime("%m-%d").to_list() == ["11-27", "11-03"]
    assert log.rejected.set_index("row")["reason"].to_dict() == {4: "unreadable resolved_at: not a date/time"}
    assert log.empty_rows == [5] and log.rows_read == 3
    ambiguous = write(tmp_path, "complaint_id,text,created_at\n1,漏水,03/11/2026\n", name="amb.csv")
    log = read_complaint_log(ambiguous)
    assert log.data["created_at"].dt.month.to_list() == [11]
    assert any("ambiguous" in n and "date_format" in n for n in log.notes)
    log = read_complaint_log(ambiguous, date_format={"created_at": "MDY"})
    assert log.data["created_at"].dt.month.to_list() == [3] and not log.notes


# ------------------------------------------------------------------------------------------------
# Non-finite numbers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "Infinity", "1e400", "-inf", "nan", "NaN", "-1e400"])
def test_non_finite_weights_items_and_fpc_are_rejected_with_their_own_reason(tmp_path, value):
    cfg = {**CFG, "design": {"fpc": "f"}}
    text = f"id,rec,sat,w,f\n1,9,4,{value},100\n2,{value},4,1,100\n3,9,{value},1,100\n4,9,4,1,{value}\n5,9,4,1,100\n"
    s = cs.read_survey(write(tmp_path, text), cfg)
    assert s.data.index.to_list() == [6]
    reasons = s.rejected.set_index(["row", "column"])["reason"]
    assert reasons[(2, "w")] == "weight is not a finite number (infinite or NaN)"
    assert reasons[(3, "rec")] == "not a finite number (infinite or NaN), not a point of the 0-10 scale"
    assert reasons[(4, "sat")] == "not a finite number (infinite or NaN), not a point of the 1-5 scale"
    assert reasons[(5, "f")] == "fpc is not a finite number (infinite or NaN)"
    assert len(s.rejected) == 4


def test_non_finite_values_in_binary_files(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "rec": [10, np.inf, 3], "sat": [5, 4, 3], "w": [1.0, 2.0, -np.inf]})
    frame.to_parquet(tmp_path / "e.parquet")
    s = cs.read_survey(tmp_path / "e.parquet", CFG)
    assert s.data.index.to_list() == [1]
    assert s.rejected["reason"].str.contains("not a finite number").all()


# ------------------------------------------------------------------------------------------------
# Row numbers and empty rows, the same on every path
# ------------------------------------------------------------------------------------------------
def test_rows_after_a_quoted_newline_get_excel_row_numbers(tmp_path):
    text = ('id,rec,sat,w,note\n'
            '1,9,4,1,"first line\nsecond line\nthird"\n'  # row 2: ONE row in Excel
            '2,11,4,1,ok\n'                                # row 3 (not line 5)
            '\n'                                           # row 4: a blank line still takes a row
            '3,9,4,1,"a ""quoted"" word, and a comma"\n'   # row 5
            '4,9,4,0,x\n')                                 # row 6
    s = cs.read_survey(write(tmp_path, text), CFG)
    assert s.data.index.to_list() == [2, 5]
    assert s.data.loc[2, "note"] == "first line\nsecond line\nthird"
    assert s.rejected["row"].to_list() == [3, 6] and s.empty_rows == [4]


def test_trailing_empty_rows_fast_and_slow_path(tmp_path):
    from cs_toolkit.io.tables import _fast_frame

    fast = "id,rec,sat,w\n1,9,4,1\n2,12,4,1\n,,,\n,,,\n"
    slow = 'id,rec,sat,w\n1,9,4,"1"\n2,12,4,1\n,,,\n,,,\n'  # a quote sends it record by record
    assert _fast_frame(fast, ",") is not None and _fast_frame(fast.replace("\n", "\r\n"), ",") is not None
    assert _fast_frame(slow, ",") is None and _fast_frame(fast + "\n\n", ",") is None
    for text in (fast, slow, fast.replace("\n", "\r\n"), fast + "\n\n", slow.replace(",,,", " , ,\t,")):
        s = cs.read_survey(write(tmp_path, text), CFG)
        assert (s.rows_read, len(s.data), len(s.rejected_rows)) == (2, 1, 1), text
        assert s.rejected["row"].to_list() == [3]
        assert s.empty_rows[:2] == [4, 5] and any("empty row(s) skipped" in n for n in s.notes)
        assert s.summary()["empty_rows_skipped"] == len(s.empty_rows)


def test_empty_rows_in_the_middle_keep_later_row_numbers(tmp_path):
    for text in ("id,rec,sat,w\n1,9,4,1\n,,,\n2,12,4,1\n", "id,rec,sat,w\n1,9,4,1\n\n2,12,4,1\n",
                 'id,rec,sat,w\n1,9,4,1\n"",,,\n2,12,4,1\n'):
        s = cs.read_survey(write(tmp_path, text), CFG)
        assert s.data.index.to_list() == [2] and s.rejected["row"].to_list() == [4] and s.empty_rows == [3]


def test_empty_rows_in_xlsx_sav_and_parquet(tmp_path):
    import openpyxl
    import pyreadstat

    book = openpyxl.Workbook()
    ws = book.active
    for r, values in enumerate([["id", "rec", "sat", "w"], ["a", 10, 5, 1.0], [None, None, None, None],
                                ["b", 12, 4, 2.0], [" ", None, " ", None], ["c", 3, 3, 1.0], [None, " "]], start=1):
        for c, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(r, c, v)
    ws.cell(9, 2, " ")  # trailing rows of blank cells
    book.save(tmp_path / "e.xlsx")
    s = cs.read_survey(tmp_path / "e.xlsx", CFG)
    assert s.data.index.to_list() == [2, 6] and s.rejected["row"].to_list() == [4]
    assert s.empty_rows == [3, 5, 7, 8, 9] and s.rows_read == 3

    frame = pd.DataFrame({"id": ["a", "", "b", "c", ""], "rec": [10, np.nan, 12, 3, np.nan],
                          "sat": [5, np.nan, 4, 3, np.nan], "w": [1.0, np.nan, 2.0, 1.0, np.nan]})
    pyreadstat.write_sav(frame, str(tmp_path / "e.sav"))
    frame.to_parquet(tmp_path / "e.parquet")
    for name in ("e.sav", "e.parquet"):
        s = cs.read_survey(tmp_path / name, CFG)
        assert s.data.index.to_list() == [1, 4] and s.rejected["row"].to_list() == [3], name
        assert s.empty_rows == [2, 5] and s.rows_read == 3


def test_old_xls_workbooks_keep_excel_row_numbers_dates_and_empty_rows(tmp_path):
    import datetime as dt

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("导出")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    ws.write(1, 0, "编号")  # row 1 left empty: the header is on row 2
    for c, name in enumerate(["rec", "sat", "w", "提交时间", "备注"], start=1):
        ws.write(1, c, name)
    rows = {3: ["a", 10, 5, 1.5, dt.datetime(2026, 11, 3, 9, 30), "电梯困人"],
            5: ["b", 12, 4, 2.0, dt.datetime(2026, 11, 4, 18, 5), ""],
            6: ["c", 3, 3, 1.0, dt.datetime(2026, 11, 5), "漏水"]}
    for r, values in rows.items():
        for c, v in enumerate(values):
            ws.write(r - 1, c, v, date if isinstance(v, dt.datetime) else xlwt.Style.default_style)
    ws.write(3, 1, "")  # row 4: cells written, but blank
    ws.write(3, 5, " ")
    book.save(str(tmp_path / "e.xls"))
    table = read_table(tmp_path / "e.xls")
    assert table.frame.index.to_list() == [3, 5, 6] and table.empty_rows == [1, 4]
    assert list(table.frame.columns) == ["编号", "rec", "sat", "w", "提交时间", "备注"]
    first = table.frame.loc[3]
    assert first["rec"] == 10 and isinstance(first["rec"], int) and first["w"] == 1.5
    assert first["提交时间"] == dt.datetime(2026, 11, 3, 9, 30) and first["备注"] == "电梯困人"
    assert table.frame.loc[5, "rec"] == 12
    with pytest.raises(UnreadableFileError, match="no worksheet 'Sheet1'; sheets: \\['导出'\\]"):
        read_table(tmp_path / "e.xls", sheet="Sheet1")
    # a time of day is a time, as openpyxl gives it for .xlsx
    book = xlwt.Workbook()
    ws = book.add_sheet("s")
    ws.write(0, 0, "id")
    ws.write(0, 1, "时间")
    ws.write(1, 0, 1)
    ws.write(1, 1, dt.time(9, 15), xlwt.easyxf(num_format_str="hh:mm"))
    book.save(str(tmp_path / "t.xls"))
    assert read_table(tmp_path / "t.xls").frame.loc[2, "时间"] == dt.time(9, 15)


def test_files_named_xls_that_are_something_else(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["编号", "内容"])
    book.active.append([1, "漏水"])
    book.save(tmp_path / "x.xls")  # an .xlsx workbook under the old name
    assert read_table(tmp_path / "x.xls").frame.to_dict("records") == [{"编号": 1, "内容": "漏水"}]
    (tmp_path / "t.xls").write_bytes("编号\t内容\n1\t漏水\n".encode("gb18030"))  # tab-separated text
    table = read_table(tmp_path / "t.xls")
    assert table.frame.to_dict("records") == [{"编号": "1", "内容": "漏水"}] and table.encoding == "gb18030"
    (tmp_path / "h.xls").write_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    with pytest.raises(UnreadableFileError, match="web page"):
        read_table(tmp_path / "h.xls")


def test_compressed_text_exports_are_read_like_the_plain_ones(tmp_path):
    import bz2
    import gzip
    import lzma
    import zipfile

    text = "编号,满意度,备注\n1,5,好\n\n2,4,\"一般，\n还行\"\n3,x,差\n"
    plain = read_table(write(tmp_path, text, encoding="gb18030"))
    (tmp_path / "s.csv.gz").write_bytes(gzip.compress(text.encode("gb18030")))
    (tmp_path / "s.tsv.bz2").write_bytes(bz2.compress(text.replace(",", "\t").encode("utf-8")))
    (tmp_path / "s.csv.xz").write_bytes(lzma.compress(text.encode("utf-16")))
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as zf:
        zf.writestr("导出/s.csv", text.encode("gb18030"))
        zf.writestr("__MACOSX/._s.csv", b"\0")
    for name in ("s.csv.gz", "s.tsv.bz2", "s.csv.xz", "s.zip"):
        table = read_table(tmp_path / name)
        assert table.frame.index.to_list() == plain.frame.index.to_list() == [2, 4, 5], name
        assert list(table.frame.columns) == ["编号", "满意度", "备注"] and table.empty_rows == [3], name
        assert table.frame.loc[5, "备注"] == "差" and table.frame.loc[4, "备注"] == "一般，\n还行", name
    assert read_table(tmp_path / "s.csv.gz").encoding == "gb18030"
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        zf.writestr("a.csv", "x\n1\n")
        zf.writestr("b.csv", "x\n2\n")
    with pytest.raises(UnreadableFileError, match="exactly one CSV/TSV/TXT file"):
        read_table(tmp_path / "two.zip")
    (tmp_path / "broken.csv.gz").write_bytes(gzip.compress(text.encode())[:20])
    with pytest.raises(UnreadableFileError, match="cannot be decompressed"):
        read_table(tmp_path / "broken.csv.gz")
    (tmp_path / "export.20261101.gz").write_bytes(gzip.compress(text.encode("gb18030")))
    assert read_table(tmp_path / "export.20261101.gz").frame.index.to_list() == [2, 4, 5]
    (tmp_path / "empty.zip").write_bytes(b"")
    with pytest.raises(EmptyExportError):
        read_table(tmp_path / "empty.zip")
    (tmp_path / "s.xlsx.gz").write_bytes(gzip.compress(b"PK"))
    with pytest.raises(UnreadableFileError, match="only compressed CSV/TSV/TXT"):
        read_table(tmp_path / "s.xlsx.gz")


def test_header_below_empty_rows_and_only_empty_rows_after_it(tmp_path):
    s = cs.read_survey(write(tmp_path, "\n,,,\nid,rec,sat,w\n1,9,4,1\n"), CFG)
    assert s.data.index.to_list() == [4] and s.empty_rows == [1, 2]
    with pytest.raises(EmptyExportError, match="no data rows"):
        cs.read_survey(write(tmp_path, "id,rec,sat,w\n,,,\n\n"), CFG)
