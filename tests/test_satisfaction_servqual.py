"""SERVQUAL: pairing, gaps, weighted gaps, paired t-tests, design-based tests, the gap chart."""

from __future__ import annotations

import warnings
from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cs_toolkit as cs
from cs_toolkit.errors import ConfigError
from cs_toolkit.satisfaction import gap_chart, servqual_gaps, servqual_pairs
from cs_toolkit.satisfaction.demo import make_servqual_survey


@pytest.fixture(scope="module")
def survey():
    return make_servqual_survey(n=400, seed=1)


def test_pairs_by_prefix_and_unpaired_rejected():
    pairs = servqual_pairs(["E_a", "P_a", "E_b", "P_b", "other"])
    assert pairs == {"a": ("E_a", "P_a"), "b": ("E_b", "P_b")}
    with pytest.raises(ConfigError, match=r"without a pair: expectation column\(s\) \['E_c'\]") as err:
        servqual_pairs(["E_a", "P_a", "E_c"])
    assert err.value.column == "E_c"
    with pytest.raises(ConfigError, match=r"perception column\(s\) \['P_z'\]"):
        servqual_pairs(["E_a", "P_a", "P_z"])
    assert servqual_pairs(["exp.q1", "per.q1"], expectation="exp.", perception="per.") == {"q1": ("exp.q1", "per.q1")}


def test_items_without_pair_or_dimension(survey):
    pairs = servqual_pairs(survey.data.columns)
    dims = {k: list(v) for k, v in survey.measurement.items()}
    dims["empathy"].append("emp9")
    with pytest.raises(ConfigError, match="item 'emp9' of dimension 'empathy' has no"):
        servqual_gaps(survey.data, pairs, dims)
    with pytest.raises(ConfigError, match="item 'tan1' has no"):
        servqual_gaps(survey.data, {**pairs, "tan1": ("E_tan1", None)}, survey.measurement)
    partial = {k: v for k, v in survey.measurement.items() if k != "empathy"}
    with pytest.raises(ConfigError, match="belong to no dimension"):
        servqual_gaps(survey.data, pairs, partial)


def test_gaps_and_paired_t_test(survey):
    pairs = servqual_pairs(survey.data.columns)
    res = servqual_gaps(survey.data, pairs, survey.measurement)
    item = res[(res["level"] == "item") & (res["item"] == "rel2")].iloc[0]
    e, p = survey.data["E_rel2"], survey.data["P_rel2"]
    test = stats.ttest_rel(p, e)
    assert item["gap"] == pytest.approx((p - e).mean())
    assert item["statistic"] == pytest.approx(test.statistic) and item["p_value"] == pytest.approx(test.pvalue)
    assert item["expectation"] == pytest.approx(e.mean()) and item["perception"] == pytest.approx(p.mean())
    ci = stats.ttest_rel(p, e).confidence_interval(0.95)
    assert (item["ci_low"], item["ci_high"]) == pytest.approx((ci.low, ci.high))
    dim = res[(res["level"] == "dimension") & (res["dimension"] == "reliability")].iloc[0]
    rel = [f"rel{i}" for i in range(1, 6)]
    per_person = (survey.data[[f"P_{i}" for i in rel]].to_numpy() - survey.data[[f"E_{i}" for i in rel]].to_numpy()).mean(1)
    assert dim["gap"] == pytest.approx(per_person.mean()) and dim["dimension_zh"] == "可靠性"
    assert dim["significant"] and dim["gap"] < 0
    assert res["test"].str.contains("paired t-test").all()
    assert set(res["level"]) == {"item", "dimension", "overall"}


def test_weighted_gaps_with_points(survey):
    pairs = servqual_pairs(survey.data.columns)
    fixed = servqual_gaps(survey.data, pairs, survey.measurement,
                          importance={"tangibles": 10, "reliability": 30, "responsiveness": 25, "assurance": 20,
                                      "empathy": 15})
    dims = fixed[fixed["level"] == "dimension"].set_index("dimension")
    assert dims.loc["reliability", "importance"] == pytest.approx(30)
    assert dims.loc["reliability", "weighted_gap"] == pytest.approx(0.3 * dims.loc["reliability", "gap"])
    overall = fixed[fixed["level"] == "weighted overall"].iloc[0]
    assert overall["gap"] == pytest.approx(dims["weighted_gap"].sum())
    per_person = servqual_gaps(survey.data, pairs, survey.measurement,
                               importance={d: f"imp_{d}" for d in survey.measurement})
    assert per_person[per_person["level"] == "dimension"]["importance"].sum() == pytest.approx(100)
    with pytest.raises(ConfigError, match="missing"):
        servqual_gaps(survey.data, pairs, survey.measurement, importance={"tangibles": 100})


def test_design_based_test_equals_survey_design_mean(survey):
    data = survey.data
    pairs = servqual_pairs(data.columns)
    design = cs.SurveyDesign(data, weights="weight", strata="project", psu="building")
    res = servqual_gaps(design, pairs, survey.measurement)
    item = res[(res["level"] == "item") & (res["item"] == "res1")].iloc[0]
    direct = cs.SurveyDesign(data.assign(g=data["P_res1"] - data["E_res1"]), weights="weight", strata="project",
                             psu="building").mean("g").iloc[0]
    assert item["gap"] == pytest.approx(direct["estimate"]) and item["se"] == pytest.approx(direct["se"])
    assert item["p_value"] == pytest.approx(2 * stats.norm.sf(abs(direct["estimate"] / direct["se"])))
    assert res["test"].str.contains("design-based").all()
    same = servqual_gaps(data, pairs, survey.measurement, design=design)
    pd.testing.assert_frame_equal(res, same)
    weighted_only = servqual_gaps(data, pairs, survey.measurement, weights="weight")
    assert weighted_only["gap"].to_numpy() == pytest.approx(res["gap"].to_numpy())
    assert not np.allclose(weighted_only["se"], res["se"])  # clusters change the standard errors


def test_missing_answers_left_out(survey):
    data = survey.data.astype({"P_emp1": float})
    data.loc[:49, "P_emp1"] = np.nan
    pairs = servqual_pairs(data.columns)
    res = servqual_gaps(data, pairs, survey.measurement)
    assert res[(res["level"] == "item") & (res["item"] == "emp1")]["n"].item() == 350
    assert res[(res["level"] == "dimension") & (res["dimension"] == "empathy")]["n"].item() == 400


def test_gap_chart(survey):
    res = servqual_gaps(survey.data, servqual_pairs(survey.data.columns), survey.measurement)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = gap_chart(res)
        fig.savefig(BytesIO(), format="png")
        items = gap_chart(res, level="item")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["有形性 tangibles", "可靠性 reliability", "响应性 responsiveness", "保证性 assurance", "移情性 empathy"]
    assert len(items.axes[0].patches) == 22
    with pytest.raises(ConfigError, match="no rows of level"):
        gap_chart(res, level="weighted overall")
