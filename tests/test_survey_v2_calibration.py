"""Part 4: calibration to population totals (R ``calibrate``: GREG, raking and logit, with bounds).

Reference values from R 4.2.2, survey 4.1.1, printed with ``sprintf("%.10g")``:

    library(survey); data(api)
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    pop.totals <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, sch.wideYes=5122, enroll=3811472)
    d <- calibrate(dclus1, ~stype+sch.wide+enroll, pop.totals, calfun=cf[, bounds=c(0.5, 2.5)])
    m <- svymean(~api00, d); t <- svytotal(~enroll, d); t2 <- svytotal(~api.stu, d)
    c(coef(m), SE(m), coef(t), SE(t), coef(t2), SE(t2)); range(weights(d)/weights(dclus1))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import CalibrationError
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data
TOTALS = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}, "enroll": 3811472}


def api(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_file(f"surveys/api/{name}.csv"))


@pytest.fixture(scope="module")
def dclus1() -> cs.SurveyDesign:
    return cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc")


def est_se(frame: pd.DataFrame) -> list[float]:
    return frame[["estimate", "se"]].to_numpy()[0].tolist()


@pytest.mark.parametrize(("calfun", "expected", "by_awards"), [
    ("linear", [639.8188058, 22.64158613, 3231650.963, 26924.75479],
     ([619.5968123, 650.2710571], [26.73025868, 21.28789695])),
    ("raking", [640.029913, 22.57119135, 3230865.4, 26495.58171],
     ([619.7659004, 650.5418324], [26.54662926, 21.24304037])),
])
def test_calibrate_equals_r(dclus1, calfun, expected, by_awards):
    cal = dclus1.calibrate(TOTALS, calfun=calfun)
    assert est_se(cal.mean("api00")) + est_se(cal.total("api.stu")) == pytest.approx(expected, rel=1e-8)
    # the calibrated total is met exactly, with no sampling error left (R: SE ~ 1e-11)
    enroll = cal.total("enroll")
    assert enroll["estimate"].item() == pytest.approx(3811472, rel=1e-8) and enroll["se"].item() < 1e-3
    by = cal.mean("api00", by="awards")  # svyby(~api00, ~awards, d, svymean)
    assert [by["estimate"].tolist(), by["se"].tolist()] == [pytest.approx(v, rel=1e-8) for v in by_awards]
    data = dclus1.data
    assert cal.weights.groupby(data["stype"]).sum().to_dict() == pytest.approx(TOTALS["stype"])
    assert cal.weights.groupby(data["sch.wide"]).sum().to_dict() == pytest.approx(TOTALS["sch.wide"])


@pytest.mark.parametrize(("calfun", "expected"), [
    # calibrate(..., calfun="linear", bounds=c(0.5, 2.5)): the unbounded solution is within the bounds
    ("linear", [639.8188058, 22.64158613, 3231650.963, 26924.75479, 0.7767682446, 2.032468014]),
    ("logit", [639.9256352, 22.61485847, 3230948.018, 26640.07123, 0.8108025247, 2.054448856]),
    ("raking", [640.0299126, 22.57119141, 3230865.476, 26495.58135, 0.8134492944, 2.250170316]),
])
def test_bounded_calibration_equals_r_and_honours_bounds(dclus1, calfun, expected):
    cal = dclus1.calibrate(TOTALS, calfun=calfun, bounds=(0.5, 2.5))
    g = cal.weights / dclus1.weights
    values = est_se(cal.mean("api00")) + est_se(cal.total("api.stu")) + [g.min(), g.max()]
    assert values == pytest.approx(expected, rel=1e-7)
    assert g.min() >= 0.5 and g.max() <= 2.5


def test_other_calibrations_equal_r(dclus1):
    # calibrate(dstrat, ~sch.wide+comp.imp, c(`(Intercept)`=6194, sch.wideYes=5122, comp.impYes=3400))
    dstrat = cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc="fpc")
    cal = dstrat.calibrate({"sch.wide": {"No": 1072, "Yes": 5122}, "comp.imp": {"No": 2794, "Yes": 3400}})
    assert est_se(cal.mean("api00")) == pytest.approx([661.3468307, 9.712657032], rel=1e-8)
    # calibrate(dclus1, ~enroll, c(`(Intercept)`=6194, enroll=3811472))
    cal = dclus1.calibrate({"(Intercept)": 6194, "enroll": 3811472})
    assert est_se(cal.mean("api00")) == pytest.approx([641.5270311, 23.22452836], rel=1e-8)
    # calibrate(dclus1, ~enroll-1, c(enroll=3811472)): svymean(~api00), svytotal(~api.stu)
    cal = dclus1.calibrate({"enroll": 3811472})
    assert est_se(cal.mean("api00")) + est_se(cal.total("api.stu")) == pytest.approx(
        [643.4129557, 23.11888282, 3236900.354, 31648.05803], rel=1e-8)
    # ps <- postStratify(dclus1, ~stype, ...); calibrate(ps, ~stype+enroll, c(6194, stypeH=755, stypeM=1018, enroll))
    ps = dclus1.poststratify("stype", TOTALS["stype"])
    cal = ps.calibrate({"stype": TOTALS["stype"], "enroll": 3811472})
    assert est_se(cal.mean("api00")) == pytest.approx([641.521973, 22.95346715], rel=1e-8)


def test_calibration_failures_are_reported(dclus1):
    # R: calibrate(..., bounds=c(0.9, 1.1)) -> "Failed to converge: eps=0.327109861626196 in 51 iterations"
    with pytest.raises(CalibrationError, match=r"cannot be met with g-weights within bounds \[0.9, 1.1\]") as err:
        dclus1.calibrate(TOTALS, bounds=(0.9, 1.1))
    assert err.value.misfit == pytest.approx(0.327109861626196, rel=1e-6)
    with pytest.raises(CalibrationError, match=r"totals name level\(s\) \['X'\] that the data lacks") as err:
        dclus1.calibrate({"stype": {"E": 4421, "H": 755, "M": 1000, "X": 18}})
    assert err.value.unknown_levels == ["X"]
    with pytest.raises(CalibrationError, match=r"level\(s\) \['M'\] without a population count"):
        dclus1.calibrate({"stype": {"E": 4421, "H": 1773}})
    with pytest.raises(CalibrationError, match="different population sizes"):
        dclus1.calibrate({"stype": TOTALS["stype"], "sch.wide": {"No": 1, "Yes": 2}})
    with pytest.raises(CalibrationError, match="not in the data"):
        dclus1.calibrate({"region": {"N": 1}})
    with pytest.raises(CalibrationError, match="needs finite bounds"):
        dclus1.calibrate(TOTALS, calfun="logit")
    with pytest.raises(CalibrationError, match="calfun must be"):
        dclus1.calibrate(TOTALS, calfun="probit")


def test_calibrated_child_shares_nothing_with_its_parent(dclus1):
    before = dclus1.mean("api00")
    cal = dclus1.calibrate(TOTALS)
    assert not np.allclose(cal.weights, dclus1.weights)
    pd.testing.assert_frame_equal(dclus1.mean("api00"), before)


def test_calibrating_two_stage_and_unclustered_designs():
    # dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
    # pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=sum(apipop$api99))   # api99 total 3914069
    # d <- calibrate(dclus2, ~stype+api99, pop): svymean(~api00) 659.1620888 (2.371321453),
    #   svytotal(~api.stu, na.rm=TRUE) 2559910.435 (233583.1742); svyby(~api00, ~stype, d, svymean);
    #   calfun="raking": 659.1772912 (2.372572108)
    # dsrs <- svydesign(id=~1, weights=~pw, data=apisrs, fpc=~fpc); calibrate(dsrs, ~stype+api99, pop):
    #   svymean(~api00) 663.5244335 (1.854904091)
    totals = {"stype": {"E": 4421, "H": 755, "M": 1018}, "api99": 3914069.0}
    dclus2 = cs.SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    cal = dclus2.calibrate(totals)
    assert est_se(cal.mean("api00")) + est_se(cal.total("api.stu")) == pytest.approx(
        [659.1620888, 2.371321453, 2559910.435, 233583.1742], rel=1e-8)
    by = cal.mean("api00", by="stype")
    assert by["estimate"].tolist() + by["se"].tolist() == pytest.approx(
        [678.1087553, 589.9610603, 628.2029175, 4.874285999, 18.90528373, 21.28536652], rel=1e-8)
    assert est_se(dclus2.calibrate(totals, calfun="raking").mean("api00")) == pytest.approx(
        [659.1772912, 2.372572108], rel=1e-8)
    dsrs = cs.SurveyDesign(api("apisrs"), weights="pw", fpc="fpc")
    assert est_se(dsrs.calibrate(totals).mean("api00")) == pytest.approx([663.5244335, 1.854904091], rel=1e-8)
