"""score_survey, crosstabs and the command line, end to end on generated data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

import cs_toolkit as cs
from cs_toolkit.cli import main
from cs_toolkit.survey.crosstab import crosstab


@pytest.fixture(scope="module")
def demo_survey():
    return cs.demo.make_survey(seed=4)


def test_score_survey_overall_values_match_direct_formulas(demo_survey):
    data, cfg = demo_survey.data, demo_survey.config
    report = cs.score_survey(data, cfg)
    overall = report.scores[report.scores["segment"] == "overall"].set_index(["measure", "item"])
    w = data["weight"]
    rec = data["recommend"]
    nps = 100 * (w[rec >= 9].sum() - w[rec <= 6].sum()) / w.sum()
    assert overall.loc[("NPS", "recommend"), "estimate"] == pytest.approx(nps)
    top2 = 100 * w[data["sat_overall"] >= 4].sum() / w.sum()
    assert overall.loc[("CSAT top-2-box", "sat_overall"), "estimate"] == pytest.approx(top2)
    # the reverse-worded item is scored so that higher is better
    reversed_mean = np.average(6 - data["wait_too_long"], weights=w)
    assert overall.loc[("item mean", "wait_too_long"), "estimate"] == pytest.approx(reversed_mean)
    ces = data["ces"].astype(float)
    ok = ces.notna()
    assert overall.loc[("CES mean", "ces"), "estimate"] == pytest.approx(np.average(ces[ok], weights=w[ok]))
    assert overall.loc[("CES mean", "ces"), "n"] == ok.sum()
    assert {"se", "ci_low", "ci_high", "n_eff"} <= set(report.scores.columns)


def test_scores_cover_segments_and_periods(demo_survey):
    report = cs.score_survey(demo_survey.data, demo_survey.config)
    nps = report.scores[report.scores["measure"] == "NPS"]
    assert set(nps["segment"]) == {"overall", "project", "touchpoint", "channel", "period"}
    assert len(nps[nps["segment"] == "period"]) == 12  # twelve weekly periods
    periods = report.differences[report.differences["segment"] == "period"]
    assert len(periods[periods["measure"] == "NPS"]) == 11  # each week vs the previous
    assert report.differences["test"].str.contains("t-test").all()  # on the design's df, as R svyttest
    assert (report.differences["df"] > 0).all()


def test_composite_and_reliability(demo_survey):
    report = cs.score_survey(demo_survey.data, demo_survey.config)
    comp = report.scores[(report.scores["measure"] == "composite") & (report.scores["segment"] == "overall")]
    assert 0 <= comp["estimate"].item() <= 100
    alpha = report.reliability["alpha"].iloc[0]
    assert 0.7 < alpha < 1  # the generated items share one latent satisfaction
    assert set(report.reliability["item"]) == set(demo_survey.config["composites"]["service_quality"]["items"])


def test_project_estimates_recover_truth_mostly(demo_survey):
    report = cs.score_survey(demo_survey.data, demo_survey.config)
    by = report.scores[(report.scores["measure"] == "NPS") & (report.scores["segment"] == "project")]
    by = by.set_index("level")
    truth = demo_survey.truth_by_project["nps"]
    z = (by["estimate"] - truth[by.index]).abs() / by["se"]
    assert (z < 3.5).all()


def test_response_rates(demo_survey):
    report = cs.score_survey(demo_survey.data, demo_survey.config)
    resp = report.response.set_index("level")
    assert resp.loc["all", "responses"] == len(demo_survey.data)
    assert resp.loc["all", "invitations"] == sum(demo_survey.invitations.values())


def test_write_xlsx_and_csv(demo_survey, tmp_path):
    report = cs.score_survey(demo_survey.data, demo_survey.config)
    (xlsx,) = report.write(tmp_path / "s.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert {"scores", "differences", "reliability", "response"} <= set(sheets)
    written = report.write(tmp_path / "s.csv")
    back = pd.read_csv(written[0], encoding="utf-8-sig")
    assert len(back) == len(report.scores)


def test_crosstab_letters_match_hand_computed_z_test():
    # column A: 60/100 yes, column B: 45/100 yes; pooled p = .525; z = .15 / sqrt(.525*.475*.02) = 2.1243
    df = pd.DataFrame({"resolved": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 45 + ["no"] * 55,
                       "site": ["A"] * 100 + ["B"] * 100})
    ct = crosstab(df, "resolved", "site")
    assert ct.letters.loc["yes", "A"] == "B" and ct.letters.loc["no", "B"] == "A"
    assert ct.column_pct.loc["yes", "A"] == pytest.approx(60.0)
    # with a third column the Bonferroni factor is 3: p = 2*(1-Phi(2.1243))*3 = 0.101 -> no longer significant
    extra = pd.DataFrame({"resolved": ["yes"] * 50 + ["no"] * 50, "site": ["C"] * 100})
    ct3 = crosstab(pd.concat([df, extra]), "resolved", "site")
    assert ct3.letters.loc["yes", "A"] == ""
    assert ct3.table().loc["Base (n)"].tolist() == ["100", "100", "100"]


def test_cli_score_and_validate_with_damaged_gbk_export(tmp_path, capsys):
    survey = cs.demo.make_survey(seed=2, labels="zh")
    export, bad = cs.demo.add_export_noise(survey.data, survey.config, seed=2, n_bad=8)
    path = tmp_path / "导出.csv"
    export.to_csv(path, index=False, encoding="gb18030")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
    assert main(["survey", "score", str(path), "--config", str(cfg), "--out", str(tmp_path / "o.xlsx")]) == 0
    out = capsys.readouterr().out
    assert f"{len(export)} rows read (gb18030), {len(export) - len(bad)} kept, {len(bad)} rejected" in out
    rejected = pd.read_csv(tmp_path / "o_rejected_rows.csv", encoding="utf-8-sig")
    assert sorted(rejected["row"]) == sorted(p + 2 for p in bad)  # file rows: header is row 1
    assert rejected["reasons"].notna().all()


def test_cli_reports_user_errors_without_traceback(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"items": {"q": {"scale": [1, 5]}}}))
    empty = tmp_path / "e.csv"
    empty.write_text("")
    assert main(["survey", "validate", str(empty), "--config", str(cfg)]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.slow
def test_survey_score_console_script_on_a_damaged_gb18030_export(tmp_path):
    from cs_toolkit import demo

    survey = demo.make_survey(seed=0, labels="zh")
    export, bad = demo.add_export_noise(survey.data, survey.config, seed=0)
    export.to_csv(tmp_path / "export.csv", index=False, encoding="gb18030")
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "cs_toolkit.cli", "survey", "score", str(tmp_path / "export.csv"),
                             "--config", str(tmp_path / "cfg.yaml"), "--out", str(tmp_path / "scores.csv")],
                            capture_output=True, text=True, check=True)
    assert "rows read (gb18030)" in result.stdout and f"{len(bad)} rejected" in result.stdout
    scores = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig")
    assert (scores["n"] > 0).all() and (scores["se"] >= 0).all()
    means = scores[scores["measure"].str.endswith("mean")]
    assert (means["se"] > 0).all()
