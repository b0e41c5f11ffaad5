"""Part 2: quantiles (svyquantile), ratios (svyratio), totals of categories (svytotal on a factor), vcov.

Reference values from R 4.2.2, survey 4.1.1, printed with ``sprintf("%.10g")``; the R code is in the
comment above each literal. Designs:

    library(survey); data(api)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
    dsrs   <- svydesign(id=~1, weights=~pw, data=apisrs, fpc=~fpc)
    ps     <- postStratify(dclus1, ~stype, data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018)))

svyquantile is called with its defaults (qrule="math", interval.type="mean", alpha=0.05); ``show``
prints the quantile, the two CI limits and the SE: ``m <- r[[1]]; m[,1], m[,2], m[,3], m[,4]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import DesignError
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data
STYPE_POP = {"E": 4421, "H": 755, "M": 1018}


def api(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_file(f"surveys/api/{name}.csv"))


@pytest.fixture(scope="module")
def d() -> dict[str, cs.SurveyDesign]:
    dclus1 = cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc")
    return {
        "dstrat": cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc="fpc"),
        "dclus1": dclus1,
        "dclus2": cs.SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
        "dsrs": cs.SurveyDesign(api("apisrs"), weights="pw", fpc="fpc"),
        "ps": dclus1.poststratify("stype", STYPE_POP),
    }


def near(actual, expected, rel: float = 1e-8) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.array(expected, dtype=float), rtol=rel)


def quantile_values(frame: pd.DataFrame) -> np.ndarray:
    """estimate, ci_low, ci_high, se: one row each, columns = domains or probabilities (R's order)."""
    return frame[["estimate", "ci_low", "ci_high", "se"]].to_numpy(dtype=float).T


# design, variable, q, by, na_rm -> R's [quantiles], [ci low], [ci high], [se]
QUANTILES = [
    # show(svyquantile(~api00, dclus1, c(0.25,0.5,0.75)))
    ("dclus1", "api00", [0.25, 0.5, 0.75], None,
     [[552, 652, 719], [492, 561, 696], [627, 714, 777], [31.47166121, 35.6678827, 18.88299672]]),
    # show(svyquantile(~enroll, dclus1, c(0.1,0.5,0.9)))
    ("dclus1", "enroll", [0.1, 0.5, 0.9], None,
     [[266, 462, 954], [118, 385, 696], [320, 523, 1689], [47.0909301, 32.17103145, 231.4915524]]),
    # show(svyquantile(~api00, dstrat, 0.5))
    ("dstrat", "api00", [0.5], None, [[668], [642], [694], [13.18405579]]),
    # show(svyquantile(~api00, dsrs, c(0.25,0.5,0.75)))  (equal weights: targets fall on cumulative weights)
    ("dsrs", "api00", [0.25, 0.5, 0.75], None,
     [[544, 658, 752], [529, 633, 739], [577, 693, 787], [12.17065359, 15.21331699, 12.17065359]]),
    # show(svyquantile(~enroll, dclus2, 0.5, na.rm=TRUE))  (6 missing)
    ("dclus2", "enroll", [0.5], None, [[408], [282], [825], [133.9951683]]),
    # show(svyquantile(~acs.k3, dclus1, 0.5, na.rm=TRUE))
    ("dclus1", "acs.k3", [0.5], None, [[20], [19], [24], [1.165617082]]),
    # b <- svyby(~api00, ~stype, dstrat, svyquantile, quantiles=0.5, vartype=c("se","ci")): b[,2], b[,4], b[,5], b[,3]
    ("dstrat", "api00", [0.5], "stype",
     [[671, 635, 648], [638, 599, 601], [720, 678, 676], [20.66306306, 19.65589507, 18.66065988]]),
    # svyby(~enroll, ~stype, dclus2, svyquantile, quantiles=0.5, na.rm=TRUE, vartype=c("se","ci"))
    ("dclus2", "enroll", [0.5], "stype",
     [[298, 1120, 825], [175, 1120, 663], [498, 1195, 1145], [79.28585416, 17.35814852, 115.1444005]]),
    # svyby(~api00, ~sch.wide, dclus1, svyquantile, quantiles=0.25, vartype=c("se","ci")): No has a NaN limit
    ("dclus1", "api00", [0.25], "sch.wide", [[547, 553], [np.nan, 493], [631, 628], [np.nan, 31.47166121]]),
    # show(svyquantile(~api00, ps, 0.5))
    ("ps", "api00", [0.5], None, [[652], [555], [714], [37.0666232]]),
    # svyby(~api00, ~awards, ps, svyquantile, quantiles=0.5, vartype=c("se","ci"))
    ("ps", "api00", [0.5], "awards", [[629, 656], [528, 585], [724, 717], [44.97862261, 30.5503414]]),
]


@pytest.mark.parametrize(("design", "var", "q", "by", "expected"), QUANTILES)
def test_quantile_equals_svyquantile(d, design, var, q, by, expected):
    res = d[design].quantile(var, q=q, by=by)
    assert quantile_values(res) == pytest.approx(np.array(expected, dtype=float), rel=1e-8, nan_ok=True)


def test_quantile_level_and_columns(d):
    # show(svyquantile(~api00, dsrs, 0.5, alpha=0.1)): 658 [635, 682] SE 14.22047519
    res = d["dsrs"].quantile("api00", level=0.9)
    assert quantile_values(res)[:, 0] == pytest.approx([658, 635, 682, 14.22047519], rel=1e-8)
    assert {"quantile", "n", "n_missing", "df"} <= set(res.columns)
    assert res["df"].item() == 199  # degf(dsrs)
    acs = d["dclus1"].quantile("acs.k3")
    assert acs["n_missing"].item() == 39 and acs["n"].item() == 144
    assert np.isnan(d["dclus1"].quantile("acs.k3", na_rm=False)["estimate"].item())


def test_quantile_of_a_text_column_is_refused(d):
    with pytest.raises(DesignError, match="quantile\\(\\) needs a numeric column.*'name'"):
        d["dclus1"].quantile("name")
    with pytest.raises(DesignError, match="probabilit"):
        d["dclus1"].quantile("api00", q=1.5)


# r <- svyratio(~api00, ~api99, dclus1); c(coef(r), SE(r), confint(r))
# r <- svyratio(~api.stu, ~enroll, dclus2, na.rm=TRUE); r <- svyratio(~api00, ~api99, ps)
# b <- svyby(~api.stu, ~stype, d, svyratio, denominator=~enroll[, na.rm=TRUE]); coef(b), SE(b)
def test_ratio_equals_svyratio(d):
    r = d["dclus1"].ratio("api00", "api99")
    assert r[["estimate", "se", "ci_low", "ci_high"]].to_numpy()[0] == pytest.approx(
        [1.061272811, 0.006230831217, 1.049060606, 1.073485016], rel=1e-8)
    r = d["dclus2"].ratio("api.stu", "enroll")
    assert r[["estimate", "se"]].to_numpy()[0] == pytest.approx([0.8197370421, 0.01885056331], rel=1e-8)
    assert r["n_missing"].item() == 6
    r = d["ps"].ratio("api00", "api99")
    assert r[["estimate", "se"]].to_numpy()[0] == pytest.approx([1.059128151, 0.006531455933], rel=1e-8)
    b = d["dstrat"].ratio("api.stu", "enroll", by="stype")
    near(b[["estimate", "se"]].to_numpy().T,
        [[0.851816306, 0.8105701522, 0.8356957525], [0.007032359593, 0.02047725676, 0.01818743839]], rel=1e-8)
    b = d["dclus2"].ratio("api.stu", "enroll", by="stype")
    near(b[["estimate", "se"]].to_numpy().T,
        [[0.8229203332, 0.7577605908, 0.8730477864], [0.0189517, 0.05856703722, 0.02754839734]], rel=1e-7)


# t <- svytotal(~stype, dclus1); t <- svytotal(~awards, dstrat); b <- svyby(~awards, ~stype, dclus1, svytotal)
def test_total_of_a_categorical_variable_gives_a_total_per_level(d):
    t = d["dclus1"].total("stype")
    assert t["level"].tolist() == ["E", "H", "M"]
    near(t[["estimate", "se"]].to_numpy().T,
        [[4873.967468, 473.8579483, 846.1749077], [1333.319405, 158.6992788, 167.5498916]], rel=1e-8)
    t = d["dstrat"].total("awards")
    near(t[["estimate", "se"]].to_numpy().T,
        [[2236.430004, 3957.569954], [213.1102546, 213.1102546]], rel=1e-8)
    b = d["dclus1"].total("awards", by="stype")  # rows: No (E, H, M), then Yes (E, H, M), as R's coef(b)
    near(b[["estimate", "se"]].to_numpy().T,
        [[1116.950878, 270.7759705, 406.1639557, 3757.01659, 203.0819778, 440.010952],
         [367.7383425, 128.5416112, 111.8593853, 1001.462315, 82.08234819, 146.0666091]], rel=1e-8)
    # the totals per level add up to the estimated population size
    assert t["estimate"].sum() == pytest.approx(d["dstrat"].weights.sum())


def test_vcov_equals_r(d):
    # vcov(svymean(~api00+api99, dclus1))
    v = d["dclus1"].vcov(["api00", "api99"])
    assert list(v.index) == ["api00", "api99"]
    assert v.to_numpy().ravel() == pytest.approx([554.2370969, 565.7856317, 565.7856317, 586.8526069], rel=1e-8)
    # vcov(svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE))
    v = d["dclus1"].vcov("api00", by="stype")
    assert v.to_numpy().ravel() == pytest.approx([500.0773315, 521.9797796, 646.8374324, 521.9797796, 1445.539361,
                                                   658.3309334, 646.8374324, 658.3309334, 999.158292], rel=1e-8)
    # vcov(svyby(~api00+api99, ~stype, dstrat, svymean, covmat=TRUE)); names E:api00 H:api00 M:api00 E:api99 ...
    v = d["dstrat"].vcov(["api00", "api99"], by="stype")
    assert list(v.index) == ["E:api00", "H:api00", "M:api00", "E:api99", "H:api99", "M:api99"]
    expected = [153.3258058, 0, 0, 159.8843343, 0, 0, 0, 223.1178283, 0, 0, 222.7804726, 0, 0, 0, 262.9167331, 0,
                0, 260.5585406, 159.8843343, 0, 0, 173.9148532, 0, 0, 0, 222.7804726, 0, 0, 233.2773519, 0, 0, 0,
                260.5585406, 0, 0, 267.0672451]
    assert v.to_numpy().ravel() == pytest.approx(expected, rel=1e-8, abs=1e-9)
    # vcov(svyby(~api00, ~stype, dclus2, svytotal, covmat=TRUE))
    v = d["dclus2"].vcov("api00", by="stype", statistic="total")
    assert v.to_numpy().ravel() == pytest.approx([5.482597044e+11, 5904019577, 1.141915566e+11, 5904019577,
                                                   2.77761887e+10, 5129919795, 1.141915566e+11, 5129919795,
                                                   3.222222344e+10], rel=1e-8)
    # vcov(svymean(~stype, dclus1))
    v = d["dclus1"].vcov("stype")
    assert list(v.index) == ["stype=E", "stype=H", "stype=M"]
    assert v.to_numpy().ravel() == pytest.approx(
        [0.002147076204, -0.0009933990415, -0.001153677163, -0.0009933990415, 0.0007187878456, 0.000274611196,
         -0.001153677163, 0.000274611196, 0.0008790659667], rel=1e-8)
    # the diagonal is the squared SE of mean(), on a calibrated design too
    v = d["ps"].vcov("api00", by="awards")
    assert np.sqrt(np.diag(v)) == pytest.approx(d["ps"].mean("api00", by="awards")["se"].to_numpy(), rel=1e-10)
