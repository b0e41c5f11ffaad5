"""Part 1: proportions with intervals inside their bounds, design degrees of freedom, t-tests, missing values.

Reference values come from R 4.2.2 with survey 4.1.1 (``packageVersion("survey")``), printed with
``sprintf("%.10g")``. The R code that made them is in the comment above each literal; the designs are

    library(survey); data(api)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)

CI runs without R: the literals are the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import DesignError
from tests.conftest import shared_file

REL = 1e-6  # the literals carry 10 significant digits; the issue asks for 1e-4


def api(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_file(f"surveys/api/{name}.csv"))


@pytest.fixture(scope="module")
def designs() -> dict[str, cs.SurveyDesign]:
    return {
        "dstrat": cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc="fpc"),
        "dclus1": cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc"),
        "dclus2": cs.SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
    }


def values(frame: pd.DataFrame, *columns: str) -> np.ndarray:
    return frame[list(columns)].to_numpy(dtype=float)


# cat(degf(dstrat), degf(dclus1), degf(dclus2))
@pytest.mark.shared_data
def test_degf_is_units_minus_strata(designs):
    assert designs["dstrat"].degf() == 197
    assert designs["dclus1"].degf() == 14
    assert designs["dclus2"].degf() == 39


# r <- svyciprop(~I(sch.wide=="Yes"), d, method=m); c(coef(r), SE(r), attr(r, "ci"))
# for m in "logit", "beta", "mean" (our "wald")
WHOLE = {
    ("dstrat", "logit"): [0.827948011, 0.02434478011, 0.7745396544, 0.8708148545],
    ("dclus1", "logit"): [0.8743169399, 0.02035947724, 0.8237988924, 0.911900077],
    ("dclus2", "logit"): [0.7512915128, 0.06639498843, 0.5955078707, 0.8610743799],
    ("dstrat", "beta"): [0.8279480114, 0.02434478011, 0.7741713286, 0.8734315926],
    ("dclus1", "beta"): [0.8743169399, 0.02035947724, 0.8237022108, 0.9147044921],
    ("dclus2", "beta"): [0.7512915129, 0.06639498843, 0.5907711261, 0.8732922797],
    ("dstrat", "wald"): [0.8279480114, 0.02434478011, 0.779938181, 0.8759578419],
    ("dclus1", "wald"): [0.8743169399, 0.02035947724, 0.8306502041, 0.9179836757],
    ("dclus2", "wald"): [0.7512915129, 0.06639498843, 0.6169949727, 0.8855880532],
}


@pytest.mark.shared_data
@pytest.mark.parametrize(("design", "method"), list(WHOLE))
def test_share_interval_equals_svyciprop(designs, design, method):
    res = designs[design].share("sch.wide", ["Yes"], ci=method)
    # svyciprop's logit point estimate comes from glm's iterations: equal to about 1e-9
    assert values(res, "estimate", "se", "ci_low", "ci_high")[0] == pytest.approx(WHOLE[design, method], rel=REL)


# b <- svyby(~I(sch.wide=="Yes"), ~stype, d, svyciprop, method=m, vartype=c("se","ci"))
# rows E, H, M: estimate, se, ci_l, ci_u
BY_STYPE = {
    ("dstrat", "logit"): ([0.91, 0.52, 0.7], [0.02843519621, 0.06896763492, 0.06383743035],
                          [0.8354459442, 0.3833795166, 0.5588291506], [0.952688894, 0.6536933598, 0.811254787]),
    ("dclus1", "logit"): ([0.9166666667, 0.7857142857, 0.68], [0.02098427895, 0.09146190999, 0.1095022484],
                          [0.8592065371, 0.5036879679, 0.4124554447], [0.9519868015, 0.9298125724, 0.8654562617]),
    ("dclus2", "logit"): ([0.9306608884, 0.1483516484, 0.528], [0.03869679617, 0.08537528483, 0.1885921301],
                          [0.7987065081, 0.03888687722, 0.1874876483], [0.9784489089, 0.4285569403, 0.8443099828]),
    ("dstrat", "beta"): ([0.91, 0.52, 0.7], [0.02843519621, 0.06896763492, 0.06383743035],
                         [0.836607777, 0.3777083021, 0.5563352041], [0.9577672662, 0.6599553636, 0.8197071788]),
    ("dclus1", "beta"): ([0.9166666667, 0.7857142857, 0.68], [0.02098427895, 0.09146190999, 0.1095022484],
                         [0.8597653587, 0.5217609712, 0.4057089917], [0.9558166233, 0.9439076937, 0.8852412895]),
    ("dclus2", "beta"): ([0.9306608884, 0.1483516484, 0.528], [0.03869679617, 0.08537528483, 0.1885921301],
                         [0.8065540504, 0.02435167312, 0.1544092749], [0.9862039544, 0.4087642958, 0.8787502233]),
    ("dstrat", "wald"): ([0.91, 0.52, 0.7], [0.02843519621, 0.06896763492, 0.06383743035],
                         [0.8535784017, 0.3814043487, 0.5717138808], [0.9664215983, 0.6585956513, 0.8282861192]),
    ("dclus1", "wald"): ([0.9166666667, 0.7857142857, 0.68], [0.02098427895, 0.09146190999, 0.1095022484],
                         [0.8716598645, 0.5694412353, 0.4389871763], [0.9616734688, 1.001987336, 0.9210128237]),
    ("dclus2", "wald"): ([0.9306608884, 0.1483516484, 0.528], [0.03869679617, 0.08537528483, 0.1885921301],
                         [0.8520195369, -0.03609044103, 0.1346037101], [1.00930224, 0.3327937377, 0.9213962899]),
}


@pytest.mark.shared_data
@pytest.mark.parametrize(("design", "method"), list(BY_STYPE))
def test_domain_share_intervals_use_each_domains_degrees_of_freedom(designs, design, method):
    res = designs[design].share("sch.wide", ["Yes"], by="stype", ci=method)
    expected = np.array(BY_STYPE[design, method]).T
    assert values(res, "estimate", "se", "ci_low", "ci_high") == pytest.approx(expected, rel=REL)


@pytest.mark.shared_data
def test_proportion_equals_share_per_level_and_reports_df(designs):
    d = designs["dclus1"]
    prop = d.proportion("stype", by="awards")
    share = d.share("stype", ["E"], by="awards")
    e = prop[prop["level"] == "E"]
    assert values(e, "estimate", "se", "ci_low", "ci_high") == pytest.approx(
        values(share, "estimate", "se", "ci_low", "ci_high"), rel=1e-12)
    # svyby(~I(stype=="E"), ~awards, dclus1, svyciprop, method="logit"): No 0.4370802-0.7780901, Yes 0.7451403-0.9210953
    assert values(e, "ci_low", "ci_high") == pytest.approx(np.array([[0.4370802, 0.7780901], [0.7451403, 0.9210953]]), rel=1e-6)
    assert e["df"].tolist() == [12.0, 13.0]
    assert {"n_missing", "df"} <= set(prop.columns)


# d <- update(d, rec = pmin(10, floor((api00 - 300)/60)))
# d <- update(d, s = ifelse(rec >= 9, 100, ifelse(rec <= 6, -100, 0)))
# m <- svymean(~s, d); r <- svyciprop(~I((s+100)/200), d, method="logit")
# c(coef(m), SE(m), 200*attr(r, "ci") - 100); and svyby(~I((s+100)/200), ~stype, d, svyciprop, method="logit")
NPS = {
    "dclus1": ([-73.7704918, 6.752611983, -85.19379488, -55.64472199],
               ([-72.22222218, -85.71428571, -75.99999984], [6.492694927, 11.3592734, 13.00411885],
                [-83.46770262, -97.98946166, -93.20544436], [-55.19545792, -26.36655104, -30.82530937])),
    "dstrat": ([-54.80255112, 5.186087576, -64.20945836, -43.76984137],
               ([-46.99999988, -80, -70], [6.948852766, 6.173593649, 8.002445398],
                [-59.60797663, -89.43464185, -82.82773433], [-32.13003702, -63.7524973, -50.2000228])),
}


@pytest.mark.shared_data
@pytest.mark.parametrize("design", list(NPS))
def test_nps_interval_stays_within_bounds_and_equals_r(design):
    data = api("apiclus1" if design == "dclus1" else "apistrat")
    data = data.assign(rec=np.minimum(10, np.floor((data["api00"] - 300) / 60)))
    if design == "dclus1":
        d = cs.SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc")
    else:
        d = cs.SurveyDesign(data, weights="pw", strata="stype", fpc="fpc")
    whole, by = NPS[design]
    assert values(d.nps("rec"), "estimate", "se", "ci_low", "ci_high")[0] == pytest.approx(whole, rel=1e-6)
    res = d.nps("rec", by="stype")
    assert values(res, "estimate", "se", "ci_low", "ci_high") == pytest.approx(np.array(by).T, rel=1e-6)
    assert (res["ci_low"] >= -100).all() and (res["ci_high"] <= 100).all()


# d <- update(d, grp = as.numeric(stype == b)); t <- svyttest(api00 ~ grp, subset(d, stype %in% c(a, b)))
# c(t$estimate, t$statistic, t$parameter, t$p.value) for (a, b) = (E, H), (E, M), (H, M)
TTESTS = {
    "dclus1": [[-30.29662698, -1.008959116, 13, 0.3314058111], [-17.42805556, -1.215566799, 13, 0.2457643343],
               [12.86857143, 0.3831500607, 10, 0.7096274138]],
    "dstrat": [[-48.61, -2.505391746, 147, 0.01332176669], [-37.83, -1.854227895, 147, 0.0657103313],
               [10.78, 0.488973344, 97, 0.6259643604]],
    "dclus2": [[-94.46974153, -3.348321633, 38, 0.001843931515], [-50.45840087, -1.994228995, 33, 0.05444315262],
               [44.01134066, 1.039095094, 26, 0.3083277554]],
}


@pytest.mark.shared_data
@pytest.mark.parametrize("design", list(TTESTS))
def test_compare_t_equals_svyttest_on_each_pair(designs, design):
    res = designs[design].compare("api00", by="stype")
    assert res[["group_a", "group_b"]].to_numpy().tolist() == [["E", "H"], ["E", "M"], ["H", "M"]]
    assert values(res, "difference", "t", "df", "p_value") == pytest.approx(np.array(TTESTS[design]), rel=1e-6)


@pytest.mark.shared_data
def test_compare_t_flips_the_call_that_z_made(designs):
    # svyttest(api00 ~ sch.wide, dclus1): t = 2.109, df = 13, p-value = 0.05491 (the example)
    t = designs["dclus1"].compare("api00", by="sch.wide")
    assert t["t"].item() == pytest.approx(2.109, abs=5e-4)
    assert t["df"].item() == 13
    assert t["p_value"].item() == pytest.approx(0.05491, abs=5e-6)
    assert not t["significant"].item()
    z = designs["dclus1"].compare("api00", by="sch.wide", test="z")
    assert z["z"].item() == pytest.approx(t["t"].item()) and np.isinf(z["df"].item())
    assert z["p_value"].item() < 0.05 and "z-test" in z["test"].item()
    with pytest.raises(DesignError, match="test must be"):
        designs["dclus1"].compare("api00", by="sch.wide", test="f")


@pytest.mark.shared_data
def test_missing_values_are_counted_and_na_rm_false_gives_na(designs):
    d = designs["dclus1"]
    # svymean(~acs.k3, dclus1, na.rm=TRUE): 20.03472222 (SE 0.5204886598); 39 rows have NA
    res = d.mean("acs.k3")
    assert values(res, "estimate", "se")[0] == pytest.approx([20.03472222, 0.5204886598], rel=1e-8)
    assert res["n_missing"].item() == 39 and res["n"].item() == 183 - 39
    # svymean(~acs.k3, dclus1): NA
    assert np.isnan(d.mean("acs.k3", na_rm=False)["estimate"].item())
    # svyby(~acs.k3, ~stype, dclus1, svymean, na.rm=FALSE): E 20.03472222 (0.5204886598), H NA, M NA
    by = d.mean("acs.k3", by="stype", na_rm=False)
    assert by.loc["E", "estimate"] == pytest.approx(20.03472222, rel=1e-8)
    assert by.loc["E", "se"] == pytest.approx(0.5204886598, rel=1e-8)
    assert by.loc[["H", "M"], "estimate"].isna().all() and by.loc[["H", "M"], "se"].isna().all()
    assert by["n_missing"].tolist() == [0, 14, 25]
    # t <- svyttest(acs.k3 ~ sch.wide, dclus1): 0.2196969697, t 0.9130022781, df 13, p 0.3778627504
    t = d.compare("acs.k3", by="sch.wide")
    assert values(t, "difference", "t", "df", "p_value")[0] == pytest.approx(
        [0.2196969697, 0.9130022781, 13, 0.3778627504], rel=1e-8)
    assert t["n_missing"].item() == 39


@pytest.mark.shared_data
def test_share_na_rm_false_and_missing_counts(designs):
    d = designs["dclus1"]
    data = d.data.assign(sw=d.data["sch.wide"].where(d.data["snum"] % 7 != 0))
    dm = cs.SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc")
    missing = int(data["sw"].isna().sum())
    res = dm.share("sw", ["Yes"])
    assert res["n_missing"].item() == missing and res["n"].item() == len(data) - missing
    assert np.isnan(dm.share("sw", ["Yes"], na_rm=False)["estimate"].item())
    assert dm.proportion("sw", na_rm=False)["estimate"].isna().all()
    assert (dm.proportion("sw")["n_missing"] == missing).all()


# ps <- postStratify(dclus1, ~stype, data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018)))
# svyby(~I(sch.wide=="Yes"), ~awards, ps, svyciprop, method=m, vartype=c("se","ci"))
# logit: No 0.5572336008 (0.04722686394) 0.4533569189-0.6563342878; Yes 1 (0) 1-1
# beta:  No 0.4491021043-0.6615232299; Yes NaN-NaN
@pytest.mark.shared_data
def test_calibrated_domain_intervals_and_a_100_percent_share(designs):
    ps = designs["dclus1"].poststratify("stype", {"E": 4421, "H": 755, "M": 1018})
    logit = ps.share("sch.wide", ["Yes"], by="awards")
    beta = ps.share("sch.wide", ["Yes"], by="awards", ci="beta")
    assert values(logit, "estimate", "se", "ci_low", "ci_high")[0] == pytest.approx(
        [0.5572336008, 0.04722686394, 0.4533569189, 0.6563342878], rel=1e-6)
    assert values(beta, "ci_low", "ci_high")[0] == pytest.approx([0.4491021043, 0.6615232299], rel=1e-6)
    # where R's interval is (1, 1) or NaN, ours is Korn-Graubard's on the respondents: below 1, not zero-width
    for res in (logit, beta):
        lo, hi = res.loc["Yes", "ci_low"], res.loc["Yes", "ci_high"]
        assert res.loc["Yes", "estimate"] == 1.0 and 0.9 < lo < 1.0 and hi == 1.0


def test_zero_share_gets_an_interval_of_positive_width():
    df = pd.DataFrame({"sat": [3, 4, 5, 4, 5, 3, 4, 5, 5, 4]})
    for method in ("logit", "beta", "wilson", "wald"):
        res = cs.SurveyDesign(df).share("sat", [1, 2], ci=method)
        assert res["estimate"].item() == 0.0
        assert res["ci_low"].item() == 0.0
        assert 0.0 < res["ci_high"].item() < 1.0
    # Clopper-Pearson upper limit for 0 of 10 at 95%: 1 - 0.025^(1/10) = 0.3084971
    assert cs.SurveyDesign(df).share("sat", [1, 2], ci="beta")["ci_high"].item() == pytest.approx(0.3084971, rel=1e-6)


def test_wilson_interval_on_a_simple_random_sample():
    # Wilson with n_eff = p(1-p)/se^2 = n - 1 on an SRS (the design SE uses n - 1) and t on n - 1 df
    df = pd.DataFrame({"y": [1] * 30 + [0] * 70})
    res = cs.SurveyDesign(df).share("y", [1], ci="wilson")
    n, p = 99.0, 0.3
    from scipy import stats

    q = stats.t.ppf(0.975, 99)
    centre = (p + q**2 / (2 * n)) / (1 + q**2 / n)
    half = q * np.sqrt(p * (1 - p) / n + q**2 / (4 * n**2)) / (1 + q**2 / n)
    assert values(res, "ci_low", "ci_high")[0] == pytest.approx([centre - half, centre + half], rel=1e-9)


def test_score_tables_have_no_percentage_outside_0_100_and_nps_inside_100():
    survey = cs.demo.make_survey(seed=0)
    scores = cs.score_survey(survey.data, survey.config).scores
    pct = scores[scores["unit"] == "%"]
    assert len(pct) > 100
    assert (pct["ci_low"] >= 0).all() and (pct["ci_high"] <= 100).all()
    assert (pct["ci_high"] > pct["ci_low"]).all()  # a 0% share has an interval too
    nps = scores[scores["measure"] == "NPS"]
    assert (nps["ci_low"] >= -100).all() and (nps["ci_high"] <= 100).all()
    assert "n_missing" in scores.columns


def test_a_design_with_one_psu_in_total_is_refused():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "psu": [7, 7, 7]})
    for option in ("fail", "remove", "adjust", "average", "certainty"):
        with pytest.raises(DesignError, match="single sampling unit.*0 degrees of freedom"):
            cs.SurveyDesign(df, psu="psu", lonely_psu=option)


def test_bad_ci_and_level_are_refused():
    d = cs.SurveyDesign(pd.DataFrame({"y": [1, 0, 1, 1]}))
    with pytest.raises(DesignError, match="ci must be one of"):
        d.share("y", [1], ci="exact")
    with pytest.raises(DesignError, match="level must be"):
        d.proportion("y", level=95)
