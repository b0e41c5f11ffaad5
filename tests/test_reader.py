"""Reading exports: encodings, delimiters, file types, bad rows; every row accounted for."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cs_toolkit as cs
from cs_toolkit.errors import ConfigError, EmptyExportError, MissingColumnError, UnreadableFileError

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
