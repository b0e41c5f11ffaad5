"""Part 6: R's own behaviour: design effects (deff=TRUE / "replace"), trimWeights, lonely PSUs in domains,
survey.adjust.domain.lonely, and stage-2 "average".

Reference values from R 4.2.2, survey 4.1.1, printed with ``sprintf("%.10g")``:

    library(survey); data(api)
    dstrat  <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1  <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus1n <- svydesign(id=~dnum, weights=~pw, data=apiclus1)                 # no fpc
    dstratn <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat)     # no fpc
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import DesignError
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data


def api(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_file(f"surveys/api/{name}.csv"))


def near(actual, expected, rel: float = 1e-8) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.array(expected, dtype=float), rtol=rel)


# for df in TRUE, "replace":
#   m <- svymean(~api00+enroll, d, deff=df, na.rm=TRUE); t <- svytotal(~enroll, d, deff=df, na.rm=TRUE)
#   deff(svyby(~api00, ~stype, d, svymean, deff=TRUE)) (TRUE only); p <- svymean(~sch.wide, d, deff=df)
#   deff(m), deff(t), deff(by), deff(p)
DEFF = {
    ("dstrat", True): ([1.204457269, 0.3620181224], [0.3620181224], [1, 0.9999999982, 0.9999999985],
                       [0.855571851, 0.855571851]),
    ("dstrat", "replace"): ([1.165566171, 0.3503288061], [0.3503288061], None, [0.8279460242, 0.8279460242]),
    ("dclus1", True): ([9.345869451, 2.822895763], [31.31065609], [6.583673525, 2.228259317, 2.16389972],
                       [0.7074299896, 0.7074299896]),
    ("dclus1", "replace"): ([9.069748362, 2.739494101], [30.38559155], None, [0.6865291692, 0.6865291692]),
    ("dclus1n", True): ([9.534802121, 2.879962389], [31.94362084], [6.716766656, 2.27330499, 2.207644324],
                        [0.721731135, 0.721731135]),
    ("dclus1n", "replace"): ([9.253099071, 2.794874709], [30.99985553], None, [0.7004077913, 0.7004077913]),
    ("dstratn", True): ([1.237241445, 0.3791248889], [0.3791248889], [1.023142792, 1.070921984, 1.051652891],
                        [0.884777138, 0.884777138]),
    ("dstratn", "replace"): ([1.197291769, 0.3668832069], [0.3668832069], None, [0.8562082925, 0.8562082925]),
}


def design(name: str) -> cs.SurveyDesign:
    if name.startswith("dstrat"):
        return cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc=None if name.endswith("n") else "fpc")
    return cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc=None if name.endswith("n") else "fpc")


@pytest.mark.parametrize(("name", "deff"), list(DEFF))
def test_deff_true_is_r_deff_true_and_replace_is_available(name, deff):
    d = design(name)
    means, total, by, prop = DEFF[name, deff]
    near(d.mean(["api00", "enroll"], deff=deff)["deff"], means)
    near(d.total("enroll", deff=deff)["deff"], total)
    if by is not None:
        near(d.mean("api00", by="stype", deff=deff)["deff"], by, 1e-8)
    near(d.proportion("sch.wide", deff=deff)["deff"], prop)


def test_deff_true_differs_from_replace_without_fpc():
    # the case: no fpc, R's deff=TRUE still uses (N - n)/N with N = sum(w)
    d = design("dclus1n")
    assert d.mean("api00", deff=True)["deff"].item() != pytest.approx(d.mean("api00", deff="replace")["deff"].item())
    with pytest.raises(DesignError, match="deff must be"):
        d.mean("api00", deff="srs")


def test_trim_weights_spreads_the_excess_equally_as_trimweights():
    # d <- svydesign(id=~1, weights=~w, data=data.frame(w=c(1,2,3,50), y=1:4))
    # weights(trimWeights(d, upper=20)) and strict=TRUE: 11 12 13 20 (the 30 trimmed, shared 10 each)
    d = cs.SurveyDesign(pd.DataFrame({"w": [1.0, 2.0, 3.0, 50.0], "y": [1, 2, 3, 4]}), weights="w")
    assert d.trim_weights(upper=20).weights.tolist() == pytest.approx([11, 12, 13, 20])
    assert d.trim_weights(upper=20, strict=True).weights.tolist() == pytest.approx([11, 12, 13, 20])
    # the shares push weights over the bound; strict=TRUE repeats (R's recursion):
    # d <- svydesign(id=~1, weights=~w, data=data.frame(w=c(1,9,9.5,30,1)))
    # weights(trimWeights(d, upper=12)): 5.5 13.5 14 12 5.5; strict=TRUE: 7.25 12 12 12 7.25
    d = cs.SurveyDesign(pd.DataFrame({"w": [1.0, 9.0, 9.5, 30.0, 1.0]}), weights="w")
    assert d.trim_weights(upper=12).weights.tolist() == pytest.approx([5.5, 13.5, 14, 12, 5.5])
    assert d.trim_weights(upper=12, strict=True).weights.tolist() == pytest.approx([7.25, 12, 12, 12, 7.25])


def test_trim_weights_on_api_designs_equal_r():
    # tw <- trimWeights(dstrat, upper=40, lower=20, strict=TRUE): range 20 40; svymean(~api00) 659.2896999 (8.917864806)
    tw = design("dstrat").trim_weights(lower=20, upper=40, strict=True)
    assert (tw.weights.min(), tw.weights.max()) == pytest.approx((20, 40))
    near(tw.mean("api00")[["estimate", "se"]].to_numpy()[0], [659.2896999, 8.917864806])


# options(survey.lonely.psu=opt, survey.adjust.domain.lonely=adl)
# d <- svydesign(id=~1, strata=~dnum, weights=~pw, data=apiclus1): SE(svyby(~api00, ~stype, d, svymean))
# d2 <- svydesign(id=~dnum, strata=~cname, weights=~pw, data=apiclus2): SE(svymean(~api00, d2)),
#   SE(svyby(~api00, ~stype, d2, svymean)), SE(svyby(~api00, ~sch.wide, d2, svytotal))
# d3 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2): SE(svyby(~api00, ~stype, d3, svymean))
LONELY = {
    ("remove", False): ([7.70004274, 23.4190578, 20.81707981], [27.6870146],
                        [26.37099573, 15.95754276, 42.9232142], [295890.9902, 753895.469],
                        [29.92660424, 17.69416713, 45.0913163]),
    ("adjust", False): ([7.729978508, 23.4190578, 20.81707981], [28.6113139],
                        [27.58419012, 17.07518225, 44.19012377], [298943.208, 791880.7841],
                        [29.92660424, 17.69416713, 45.0913163]),
    ("adjust", True): ([7.804435218, 25.06152502, 22.962288], [28.6113139],
                       [27.58575207, 19.45602572, 49.72430033], [387079, 791880.7841],
                       [29.92660424, 17.6974684, 45.32683391]),
    ("average", False): ([7.970301451, 23.4190578, 20.81707981], [47.0588759],
                         [43.95165955, 20.89332788, 64.89380014], [418453.0514, 1332711.496],
                         [29.92660424, 17.69416713, 45.0913163]),
    ("average", True): ([8.190098398, 27.4576123, 22.8601246], [47.0588759],
                        [46.61488642, 23.78908108, 72.70193304], [106104.6188, 1332711.496],
                        [29.92660424, np.nan, np.nan]),
    ("certainty", True): ([7.70004274, 23.4190578, 20.81707981], [27.6870146],
                          [26.37099573, 15.95754276, 42.9232142], [295890.9902, 753895.469],
                          [29.92660424, 17.69416713, 45.0913163]),
}


@pytest.mark.parametrize(("option", "adl"), list(LONELY))
def test_lonely_psus_in_domains_as_r(option, adl):
    by_dnum, whole2, by2, total2, twostage = LONELY[option, adl]
    clus1, clus2 = api("apiclus1"), api("apiclus2")
    d = cs.SurveyDesign(clus1, weights="pw", strata="dnum", lonely_psu=option, adjust_domain_lonely=adl)
    near(d.mean("api00", by="stype")["se"], by_dnum)
    d2 = cs.SurveyDesign(clus2, weights="pw", strata="cname", psu="dnum", lonely_psu=option, adjust_domain_lonely=adl)
    near(d2.mean("api00")["se"], whole2)
    near(d2.mean("api00", by="stype")["se"], by2)
    near(d2.total("api00", by="sch.wide")["se"], total2)
    d3 = cs.SurveyDesign(clus2, psu=["dnum", "snum"], fpc=["fpc1", "fpc2"], lonely_psu=option,
                         adjust_domain_lonely=adl)
    np.testing.assert_allclose(d3.mean("api00", by="stype")["se"].to_numpy(), twostage, rtol=1e-8)


# cl <- apiclus2; one <- districts with one sampled school; cl$fpc2[cl$dnum %in% one[1:3]] <- 3  (districts 15 63 117)
# d3 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=cl) under each option:
#   SE(svymean(~api00, d3)), SE(svyby(~api00, ~stype, d3, svymean))
STAGE2 = {
    "remove": (29.91457082, [29.55380574, 17.69416713, 45.0913163]),
    "adjust": (29.91805485, [29.55891815, 17.69416713, 45.0913163]),
    "average": (np.nan, [np.nan, 17.69416713, 45.0913163]),
    "certainty": (29.91457082, [29.55380574, 17.69416713, 45.0913163]),
}


@pytest.mark.parametrize("option", list(STAGE2))
def test_stage_two_lonely_units_as_r(option):
    data = api("apiclus2")
    data.loc[data["dnum"].isin([15, 63, 117]), "fpc2"] = 3
    d = cs.SurveyDesign(data, psu=["dnum", "snum"], fpc=["fpc1", "fpc2"], lonely_psu=option)
    whole, by = STAGE2[option]
    res = d.mean("api00")
    assert res["estimate"].item() == pytest.approx(673.6462094, rel=1e-9)
    np.testing.assert_allclose(res["se"].to_numpy(), [whole], rtol=1e-8)  # NaN where R gives NaN
    np.testing.assert_allclose(d.mean("api00", by="stype")["se"].to_numpy(), by, rtol=1e-8)
