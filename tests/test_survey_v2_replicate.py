"""Part 5: replicate-weight designs (R ``as.svrepdesign``, ``svrepdesign``), and every estimator on them.

Reference values from R 4.2.2, survey 4.1.1, printed with ``sprintf("%.10g")``:

    library(survey); data(api)
    dstrat  <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1  <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus1n <- svydesign(id=~dnum, weights=~pw, data=apiclus1)            # no fpc
    dclus2  <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
    jk1 <- as.svrepdesign(dclus1, type="JK1"); jk1n <- as.svrepdesign(dclus1n, type="JK1")
    jkn <- as.svrepdesign(dstrat, type="JKn"); jk1c2 <- as.svrepdesign(dclus2, type="JK1")

For each d in those: degf(d); svymean(~api00, d); svytotal(~enroll, d, na.rm=TRUE);
svyby(~api00, ~stype, d, svymean); svyratio(~api00, ~api99, d); svyquantile(~api00, d, 0.5);
svyciprop(~I(sch.wide=="Yes"), d, method="logit") and its svyby by stype;
svyttest(api00 ~ grp, subset(update(d, grp=as.numeric(stype=="M")), stype %in% c("E","M")));
svyglm(api00 ~ ell + meals, d); svyglm(hi ~ ell + meals, update(d, hi=as.numeric(api00 > 700)),
family=quasibinomial()); svychisq(~sch.wide+stype, d); vcov(svyby(~api00, ~stype, d, svymean, covmat=TRUE)).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import DesignError
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data
TOTALS = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}, "enroll": 3811472}


def api(name: str) -> pd.DataFrame:
    data = pd.read_csv(shared_file(f"surveys/api/{name}.csv"))
    return data.assign(hi=(data["api00"] > 700).astype(float))


def near(actual, expected, rel: float = 1e-8) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.array(expected, dtype=float), rtol=rel)


def flat(frame: pd.DataFrame, *columns: str) -> list[float]:
    return frame[list(columns)].to_numpy(dtype=float).T.ravel().tolist()


@pytest.fixture(scope="module")
def designs() -> dict[str, cs.SurveyDesign]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "jk1": cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc").replicate("JK1"),
            "jk1n": cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum").replicate("JK1"),
            "jkn": cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc="fpc").replicate("JKn"),
            "jk1c2": cs.SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]).replicate("JK1"),
        }


R = {
    "jk1": dict(
        degf=14, scale=0.9148393, mean=[644.1693989, 26.32936059], total=[3404940.135, 932235.027],
        by=[648.8680556, 618.5714286, 631.44, 25.37430355, 46.34412175, 33.68762], ratio=[1.061272811, 0.006438773851],
        median=[652, 552, 720, 39.16473394], ciprop=[0.8743169399, 0.02055601425, 0.8234635483, 0.9120853645],
        ciprop_by=[0.9166666667, 0.7857142857, 0.68, 0.02369041242, 0.09859815445, 0.1147865377, 0.8401107441,
                   0.4649504913, 0.3992054927, 0.95838298, 0.9392887728, 0.8717275326],
        ttest=[-17.42805556, -1.169390664, 13, 0.2632410369],
        glm=[817.1822885, -0.5087966834, -3.145589225, 19.88700345, 0.3453915807, 0.3232160674, 2.794270236e-14,
             0.1664640598, 4.798398678e-07], glm_df=12,
        binomial=[3.935565262, -0.01660042368, -0.1041551717, 0.8756160914, 0.03363819718, 0.02835109136,
                  0.0007334873354, 0.6305679736, 0.003184965156],
        chisq=[4.463905382, 0.03577339901, 1.41972548, 19.87615672],
        vcov=[643.8552808, 688.6538331, 778.2978222, 688.6538331, 2147.77762, 810.3032039, 778.2978222,
              810.3032039, 1134.855741]),
    "jk1n": dict(
        degf=14, scale=0.9333333, mean=[644.1693989, 26.59416136], total=[3404940.135, 941610.7409],
        by=[648.8680556, 618.5714286, 631.44, 25.62949908, 46.81021582, 34.02642457], ratio=[1.061272811, 0.006503530162],
        median=[652, 551, 722, 39.86410419], ciprop=[0.8743169399, 0.02076275108, 0.822878431, 0.9124071578],
        ciprop_by=[0.9166666667, 0.7857142857, 0.68, 0.02392867265, 0.09958978001, 0.1159409737, 0.8391100903,
                   0.4613502874, 0.396404603, 0.9586783473, 0.9401092401, 0.8730292473],
        ttest=[-17.42805556, -1.157746922, 13, 0.2677962204],
        glm=[817.1822885, -0.5087966834, -3.145589225, 20.08701187, 0.3488652677, 0.3264667298, 3.14829249e-14,
             0.1703935711, 5.342541892e-07], glm_df=12,
        binomial=[3.935565262, -0.01660042368, -0.1041551717, 0.8844223749, 0.03397650469, 0.02863622516,
                  0.0007930490961, 0.6339421029, 0.003405595113],
        chisq=[4.375452831, 0.0376464044, 1.41972548, 19.87615672],
        vcov=[656.8712231, 702.5754066, 794.0316057, 702.5754066, 2191.196305, 826.6839964, 794.0316057,
              826.6839964, 1157.797569]),
    "jkn": dict(
        degf=197, scale=1, mean=[662.2873632, 9.408940803], total=[3687177.532, 114641.7161],
        by=[674.43, 625.82, 636.6, 12.38247979, 14.93712919, 16.21470731], ratio=[1.052260546, 0.00364418924],
        median=[668, 642, 694, 13.18405579], ciprop=[0.827948011, 0.02434478011, 0.7739299211, 0.8712067651],
        ciprop_by=[0.91, 0.52, 0.7, 0.02843519621, 0.06896763492, 0.06383743035, 0.8311738927, 0.3833524266,
                   0.5575863326, 0.9540560419, 0.6537193013, 0.8120252387],
        ttest=[-37.83, -1.854227895, 147, 0.0657103313],
        glm=[823.8579256, -0.5057255519, -3.110628994, 8.875323586, 0.4006618834, 0.2835759094, 2.492750345e-163,
             0.2083752626, 4.087177774e-22], glm_df=195,
        binomial=[3.070580697, -0.06261318075, -0.05816379044, 0.4097783813, 0.03079067374, 0.01428720198,
                  2.287441843e-12, 0.04335585754, 6.798401469e-05],
        chisq=[17.24744396, 2.035046359e-07, 1.828671504, 360.2482863],
        vcov=[153.3258058, 0, 0, 0, 223.1178283, 0, 0, 0, 262.9167331]),
    "jk1c2": dict(
        degf=39, scale=0.9234808, mean=[670.8118081, 33.99246076], total=[2639272.93, 798295.6795],
        by=[692.8104009, 598.3406593, 642.352, 34.60764997, 21.81255533, 54.30351611], ratio=[1.039963571, 0.004891387842],
        median=[653, 580, 769, 46.71994078], ciprop=[0.7512915128, 0.07110991038, 0.5742289398, 0.871232245],
        ciprop_by=[0.9306608884, 0.1483516484, 0.528, 0.04457370416, 0.1131771668, 0.2365483621, 0.755728453,
                   0.02973069237, 0.1170250287, 0.9831161555, 0.4975543301, 0.9042308096],
        ttest=[-50.45840087, -1.921746864, 33, 0.06330828256],
        glm=[815.7153815, -2.111337136, -1.719561275, 35.54106251, 1.552530131, 1.435124101, 1.759101956e-23,
             0.1820805379, 0.2384593101], glm_df=37,
        binomial=[2.346374387, -0.07859720992, -0.02860645214, 0.8149923109, 0.04509647404, 0.02993809241,
                  0.006593455223, 0.08966319251, 0.3455163948],
        chisq=[8.238161535, 0.003327941802, 1.277105094, 49.80709865],
        vcov=[1197.689436, 318.7610172, 1728.578011, 318.7610172, 475.7875699, 464.2832735, 1728.578011,
              464.2832735, 2948.871862]),
}


@pytest.mark.parametrize("name", list(R))
def test_replicate_means_totals_ratios_quantiles(designs, name):
    d, r = designs[name], R[name]
    assert d.degf() == r["degf"]
    assert d._replicates.scale == pytest.approx(r["scale"], rel=1e-6)
    near(flat(d.mean("api00"), "estimate", "se"), r["mean"])
    near(flat(d.total("enroll"), "estimate", "se"), r["total"])
    near(flat(d.mean("api00", by="stype"), "estimate", "se"), r["by"])
    near(flat(d.ratio("api00", "api99"), "estimate", "se"), r["ratio"])
    near(flat(d.quantile("api00"), "estimate", "ci_low", "ci_high", "se"), r["median"])
    near(np.ravel(d.vcov("api00", by="stype")), r["vcov"], rel=1e-8) if name != "jkn" else near(
        np.diag(d.vcov("api00", by="stype")), np.array(r["vcov"])[[0, 4, 8]])


@pytest.mark.parametrize("name", list(R))
def test_replicate_proportions_tests_and_models(designs, name):
    d, r = designs[name], R[name]
    # R's logit interval comes from glm refits (iterations): equal to ~1e-8
    near(flat(d.share("sch.wide", ["Yes"]), "estimate", "se", "ci_low", "ci_high"), r["ciprop"], 1e-7)
    near(flat(d.share("sch.wide", ["Yes"], by="stype"), "estimate", "se", "ci_low", "ci_high"), r["ciprop_by"], 1e-7)
    t = d.compare("api00", by="stype").iloc[1]
    near([t["difference"], t["t"], t["df"], t["p_value"]], r["ttest"])
    g = d.glm("api00", ["ell", "meals"])
    near(flat(g, "estimate", "se", "p_value"), r["glm"])
    assert (g["df"] == r["glm_df"]).all()
    near(flat(d.glm("hi", ["ell", "meals"], family="binomial"), "estimate", "se", "p_value"), r["binomial"])
    c = d.chisq("sch.wide", "stype")
    near([c.statistic, c.p_value, c.df1, c.df2], r["chisq"])


def test_calibrating_a_replicate_design_recalibrates_every_replicate(designs):
    # d <- as.svrepdesign(dclus1, type="JK1"); pop.totals as in test_survey_v2_calibration
    # calibrate(d, ~stype+sch.wide+enroll, pop.totals): svymean(~api00) 639.8188058 (28.33048473),
    #   svytotal(~api.stu) 3231650.963 (28711.92815); calfun="raking": 640.029913 (28.148189)
    # postStratify(d, ~stype, data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))): 642.3107882 (26.93453537)
    jk1 = designs["jk1"]
    cal = jk1.calibrate(TOTALS)
    near(flat(cal.mean("api00"), "estimate", "se") + flat(cal.total("api.stu"), "estimate", "se"),
         [639.8188058, 28.33048473, 3231650.963, 28711.92815])
    near(flat(jk1.calibrate(TOTALS, calfun="raking").mean("api00"), "estimate", "se"), [640.029913, 28.148189])
    near(flat(jk1.poststratify("stype", TOTALS["stype"]).mean("api00"), "estimate", "se"), [642.3107882, 26.93453537])
    assert jk1.mean("api00")["se"].item() == pytest.approx(26.32936059, rel=1e-8)  # the parent is untouched


def test_brr_with_our_hadamard_half_samples():
    # apistrat2 <- apistrat[order(apistrat$snum), ]; apistrat2$pair <- (seq_len(200) - 1) %/% 2
    # dpair <- svydesign(id=~snum, strata=~pair, weights=~pw, data=apistrat2)
    # R's own as.svrepdesign(dpair, type="BRR") (104 replicates): svytotal(~enroll) 3687177.532 (111100.0771);
    # a total's BRR variance is the same with any fully balanced Hadamard matrix, so ours equals it.
    # Our half-samples (F, written out) in R: svrepdesign(data=apistrat2, repweights=F * apistrat2$pw,
    #   weights=~pw, type="BRR", combined.weights=TRUE): degf 100; svymean(~api00) 662.2873632 (8.45603435);
    #   svyratio(~api00, ~api99) 1.052260546 (0.003287952749); svyby(~api00, ~stype, ..., svymean)
    data = api("apistrat").sort_values("snum").reset_index(drop=True)
    data["pair"] = np.arange(len(data)) // 2
    brr = cs.SurveyDesign(data, weights="pw", strata="pair", psu="snum").replicate("BRR")
    assert brr._replicates.n_replicates == 104 and brr.degf() == 100
    near(flat(brr.total("enroll"), "estimate", "se"), [3687177.532, 111100.0771])
    near(flat(brr.mean("api00"), "estimate", "se"), [662.2873632, 8.45603435])
    near(flat(brr.ratio("api00", "api99"), "estimate", "se"), [1.052260546, 0.003287952749])
    near(flat(brr.mean("api00", by="stype"), "estimate", "se"),
         [674.43, 625.82, 636.6, 11.60032641, 13.93077752, 16.58553155])
    with pytest.raises(DesignError, match="exactly two sampling units"):
        cs.SurveyDesign(data, weights="pw", strata="stype").replicate("BRR")


def test_bootstrap_is_seeded_and_uses_r_scale():
    # our replicate("bootstrap", replicates=50, seed=1) factors B, in R:
    # svrepdesign(data=apiclus1, repweights=B * apiclus1$pw, weights=~pw, type="bootstrap",
    #   scale=15/((15-1)*(50-1)), combined.weights=TRUE): svymean(~api00) 644.1693989 (24.20526875), degf 14,
    #   svyby(~api00, ~stype, ..., svymean): SEs 24.04622377, 35.77641346, 34.38182701
    base = cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc")
    with pytest.warns(UserWarning, match="finite population correction dropped"):
        boot = base.replicate("bootstrap", replicates=50, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = base.replicate("bootstrap", replicates=50, seed=1)
    assert np.array_equal(boot._replicates.factors, again._replicates.factors)
    assert boot._replicates.scale == pytest.approx(15 / (14 * 49))
    near(flat(boot.mean("api00"), "estimate", "se"), [644.1693989, 24.20526875])
    near(boot.mean("api00", by="stype")["se"], [24.04622377, 35.77641346, 34.38182701])
    assert boot.degf() == 14


def test_from_replicate_weights_equals_svrepdesign(designs):
    # jkn <- as.svrepdesign(dstrat, type="JKn", compress=FALSE); W <- weights(jkn, "analysis")
    # svrepdesign(data=apistrat, repweights=W, weights=~pw, type="JKn", rscales=jkn$rscales,
    #   combined.weights=TRUE): svymean(~api00) 662.2873632 (9.408940803), degf 197; with mse=TRUE:
    #   svymean 662.2873632 (9.408940803), svyratio(~api00, ~api99) 1.052260546 (0.003644189983)
    jkn = designs["jkn"]
    matrix = jkn._replicates.matrix()
    columns = [f"repw{j + 1}" for j in range(matrix.shape[1])]
    data = pd.concat([jkn.data, pd.DataFrame(matrix, columns=columns, index=jkn.data.index)], axis=1)
    rscales = jkn._replicates.rscales
    d = cs.SurveyDesign.from_replicate_weights(data, "pw", "^repw[0-9]+$", "JKn", rscales=rscales)
    assert d.replicate_columns == columns and d.degf() == 197
    near(flat(d.mean("api00"), "estimate", "se"), [662.2873632, 9.408940803])
    mse = cs.SurveyDesign.from_replicate_weights(data, "pw", columns, "JKn", rscales=rscales, mse=True)
    near(flat(mse.ratio("api00", "api99"), "estimate", "se"), [1.052260546, 0.003644189983])
    # jk1 <- as.svrepdesign(dclus1, type="JK1", compress=FALSE); svrepdesign(..., type="JK1", scale=jk1$scale):
    #   svymean(~api00) 644.1693989 (26.32936059), degf 14
    jk1 = designs["jk1"]
    m = jk1._replicates.matrix()
    data1 = pd.concat([jk1.data, pd.DataFrame(m, columns=[f"w{j}" for j in range(15)], index=jk1.data.index)], axis=1)
    d1 = cs.SurveyDesign.from_replicate_weights(data1, "pw", [f"w{j}" for j in range(15)], "JK1",
                                                scale=jk1._replicates.scale)
    near(flat(d1.mean("api00"), "estimate", "se"), [644.1693989, 26.32936059])
    assert d1.degf() == 14
    # replicate weights given as factors (combined.weights=FALSE) give the same design
    factors = data1[[f"w{j}" for j in range(15)]].div(data1["pw"], axis=0)
    data2 = pd.concat([jk1.data, factors], axis=1)
    d2 = cs.SurveyDesign.from_replicate_weights(data2, "pw", list(factors.columns), "JK1", scale=jk1._replicates.scale,
                                                combined_weights=False)
    near(flat(d2.mean("api00", by="stype"), "estimate", "se"), R["jk1"]["by"])


def test_replicate_weights_with_the_wrong_count_are_refused(designs):
    data = designs["jkn"].data.assign(r1=1.0, r2=2.0, r3=np.nan)
    # R: svrepdesign(..., rscales=rs[1:5]) -> "rscales has length 5, should be ncol(repweights)"
    with pytest.raises(DesignError, match="rscales has 5 value.*2 replicate weight columns"):
        cs.SurveyDesign.from_replicate_weights(data, "pw", ["r1", "r2"], "JKn", rscales=[0.5] * 5)
    with pytest.raises(DesignError, match="at least 2 replicate weight columns"):
        cs.SurveyDesign.from_replicate_weights(data, "pw", ["r1"], "JK1", scale=1)
    with pytest.raises(DesignError, match="no column matches"):
        cs.SurveyDesign.from_replicate_weights(data, "pw", "^rep_", "JK1")
    with pytest.raises(DesignError, match="missing or non-numeric"):
        cs.SurveyDesign.from_replicate_weights(data, "pw", ["r1", "r3"], "BRR")
    with pytest.raises(DesignError, match="needs rscales"):
        cs.SurveyDesign.from_replicate_weights(data, "pw", ["r1", "r2"], "JKn")
    with pytest.raises(DesignError, match="already has replicate weights"):
        designs["jk1"].replicate("JK1")
    with pytest.raises(DesignError, match="type must be"):
        cs.SurveyDesign(data, weights="pw").replicate("JK2")
    with pytest.raises(DesignError, match="JK1 replicates need an unstratified"):
        cs.SurveyDesign(data, weights="pw", strata="stype").replicate("JK1")


def test_trimming_a_replicate_design_trims_every_replicate(designs):
    jk1 = designs["jk1"]
    trimmed = jk1.trim_weights(upper=40.0)
    assert trimmed.weights.max() <= 40.0 + 1e-9
    matrix = trimmed._replicates.matrix()
    assert matrix.max() <= 40.0 + 1e-9
    assert matrix.sum(axis=0) == pytest.approx(jk1._replicates.matrix().sum(axis=0))
