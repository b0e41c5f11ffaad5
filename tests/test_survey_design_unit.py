"""SurveyDesign against hand calculations and independent formulas (no shared data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import CalibrationError, DesignError, InvalidWeightError


def test_srs_mean_se_is_sd_over_root_n():
    y = np.array([3.0, 5.0, 4.0, 2.0, 5.0, 1.0, 4.0])
    res = cs.SurveyDesign(pd.DataFrame({"y": y})).mean("y", deff=True)
    assert res["estimate"].item() == pytest.approx(y.mean())
    assert res["se"].item() == pytest.approx(y.std(ddof=1) / np.sqrt(len(y)))
    assert res["deff"].item() == pytest.approx(1.0)
    assert res["ci_low"].item() == pytest.approx(y.mean() - 1.959964 * y.std(ddof=1) / np.sqrt(len(y)), rel=1e-6)


def test_nps_se_matches_multinomial_formula():
    # independent calculation: Var(p - d) = (p + d - (p - d)^2) / n, with n/(n-1) for the sample variance
    rng = np.random.default_rng(1)
    y = rng.integers(0, 11, size=400)
    p, d = (y >= 9).mean(), (y <= 6).mean()
    n = len(y)
    se = 100 * np.sqrt((p + d - (p - d) ** 2) / (n - 1))
    res = cs.SurveyDesign(pd.DataFrame({"r": y})).nps("r")
    assert res["estimate"].item() == pytest.approx(100 * (p - d))
    assert res["se"].item() == pytest.approx(se)
    assert res["promoters"].item() == pytest.approx(100 * p)
    assert res["detractors"].item() == pytest.approx(100 * d)


def test_top_box_share_se_is_binomial():
    y = np.array([5, 4, 3, 5, 2, 1, 4, 4, 5, 3])
    res = cs.SurveyDesign(pd.DataFrame({"s": y})).share("s", [4, 5])
    p = 0.6
    assert res["estimate"].item() == pytest.approx(p)
    assert res["se"].item() == pytest.approx(np.sqrt(p * (1 - p) / (len(y) - 1)))


def test_weighted_mean_and_kish_effective_n():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 4.0]})
    res = cs.SurveyDesign(df, weights="w").mean("y")
    assert res["estimate"].item() == pytest.approx((1 + 2 + 6 + 16) / 8)
    assert res["n_eff"].item() == pytest.approx(64 / 22)


def test_missing_values_are_left_out_like_na_rm():
    df = pd.DataFrame({"y": [1.0, np.nan, 3.0, 5.0]})
    res = cs.SurveyDesign(df).mean("y")
    assert res["estimate"].item() == pytest.approx(3.0)
    assert res["n"].item() == 3


def test_domain_estimate_equals_subset_estimate_for_srs_mean():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"y": rng.normal(size=200), "g": rng.choice(["a", "b", "c"], size=200)})
    by = cs.SurveyDesign(df).mean("y", by="g")
    for level, sub in df.groupby("g"):
        # domain SE on an SRS = sub-sample SD/sqrt(n_d) * sqrt((n-1)/n * n_d/(n_d-1)) style; check estimate exactly
        assert by.loc[level, "estimate"] == pytest.approx(sub["y"].mean())
        assert by.loc[level, "n"] == len(sub)


def test_compare_detects_a_real_difference_and_not_noise():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"y": np.r_[rng.normal(3.0, 1, 300), rng.normal(3.5, 1, 300), rng.normal(3.5, 1, 300)],
                       "month": np.repeat(["2026-01", "2026-02", "2026-03"], 300)})
    res = cs.SurveyDesign(df).compare("y", by="month", pairs="consecutive")
    assert list(res["significant"]) == [True, False]
    # SE of a difference of independent means = sqrt(se_a^2 + se_b^2)
    means = cs.SurveyDesign(df).mean("y", by="month")
    assert res["se"].iloc[0] == pytest.approx(np.hypot(means["se"].iloc[0], means["se"].iloc[1]), rel=1e-9)


def test_poststratified_weights_hit_population_counts():
    df = pd.DataFrame({"g": ["a", "a", "b", "b", "b"], "y": [1, 2, 3, 4, 5]})
    ps = cs.SurveyDesign(df).poststratify("g", {"a": 100, "b": 300})
    assert ps.weights.groupby(df["g"]).sum().to_dict() == pytest.approx({"a": 100, "b": 300})
    # a post-stratified mean of the post-stratification variable's indicator has zero variance
    res = ps.mean("y", by=None)
    assert res["estimate"].item() == pytest.approx((1.5 * 100 + 4 * 300) / 400)


def test_trim_weights_keeps_total():
    df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 50.0]})
    trimmed = cs.SurveyDesign(df, weights="w").trim_weights(upper=20, strict=True)
    # R survey::trimWeights(upper=20, strict=TRUE): 50 -> 20 and the excess 30 is spread EQUALLY over the
    # other three (+10 each), keeping the total 56: 11, 12, 13, 20 (the check against R)
    assert trimmed.weights.to_list() == pytest.approx([11.0, 12.0, 13.0, 20.0])
    assert trimmed.weights.sum() == pytest.approx(56.0)
    with pytest.raises(DesignError, match="cannot be spread"):
        cs.SurveyDesign(df, weights="w").trim_weights(upper=10)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_invalid_weights_are_refused_with_rows(bad):
    df = pd.DataFrame({"y": [1, 2, 3], "w": [1.0, bad, 1.0]})
    with pytest.raises(InvalidWeightError, match=r"rows: \[1\]"):
        cs.SurveyDesign(df, weights="w")


def test_unknown_columns_and_bad_options_are_clear():
    df = pd.DataFrame({"y": [1, 2]})
    with pytest.raises(DesignError, match="not in the data"):
        cs.SurveyDesign(df, strata="region")
    with pytest.raises(DesignError, match="lonely_psu"):
        cs.SurveyDesign(df, lonely_psu="ignore")
    with pytest.raises(DesignError, match="not numeric"):
        cs.SurveyDesign(pd.DataFrame({"y": ["a", "b"]})).mean("y")
    with pytest.raises(DesignError, match="outside 0-10"):
        cs.SurveyDesign(pd.DataFrame({"y": [3, 11]})).nps("y")
    with pytest.raises(CalibrationError, match="do not occur in the sample"):
        cs.SurveyDesign(pd.DataFrame({"g": ["a", "a"], "y": [1, 2]})).poststratify("g", {"a": 1, "b": 2})


def test_estimates_recover_the_demo_population_within_their_cis():
    pop = cs.demo.make_population(0)
    truth = cs.demo.population_truth(pop)
    covered = []
    for r in range(30):
        data, _ = cs.demo.draw_sample(pop, np.random.default_rng(1000 + r))
        design = cs.SurveyDesign(data, weights="weight", strata="project", psu="building")
        nps = design.nps("recommend")
        csat = design.mean("sat_overall")
        covered.append(nps["ci_low"].item() <= truth["nps"] <= nps["ci_high"].item())
        covered.append(csat["ci_low"].item() <= truth["csat_mean"] <= csat["ci_high"].item())
    # nominal 95%; with 60 intervals, fewer than 85% covering would mean biased estimates or SEs too small
    assert np.mean(covered) >= 0.85


def test_holm_adjustment_matches_hand_calculation():
    from cs_toolkit.survey.design import holm

    assert holm(np.array([0.01, 0.04, 0.03])).tolist() == pytest.approx([0.03, 0.06, 0.06])


def test_cronbach_alpha_hand_calculation():
    # variances 2.5, 2.3, 1.5; variance of the sum 17.3: alpha = 3/2 * (1 - 6.3/17.3)
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    alpha, items = cs.cronbach_alpha(df, ["a", "b", "c"])
    assert alpha == pytest.approx(1.5 * (1 - 6.3 / 17.3))
    # without c: variances 2.5 + 2.3, sum [3,4,6,9,10] variance 9.3 -> 2 * (1 - 4.8/9.3)
    assert items.set_index("item").loc["c", "alpha_if_deleted"] == pytest.approx(2 * (1 - 4.8 / 9.3))


def test_response_rate_wilson_interval():
    res = cs.response_rate(70, 100)
    assert res["rate"].item() == pytest.approx(70.0)
    # Wilson 95% interval for 70/100 (published: 0.6041, 0.7810)
    assert res["ci_low"].item() == pytest.approx(60.41, abs=0.01)
    assert res["ci_high"].item() == pytest.approx(78.10, abs=0.01)
