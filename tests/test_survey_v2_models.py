"""Part 3: Rao-Scott tests of two-way tables (svychisq) and design-based regression (svyglm).

Reference values from R 4.2.2, survey 4.1.1, printed with ``sprintf("%.10g")``. Designs:

    library(survey); data(api)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
    ps     <- postStratify(dclus1, ~stype, data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018)))

svychisq values: ``c(r$statistic, r$p.value, r$parameter)``. svyglm values: ``s <- summary(m)$coefficients``
then ``s[,1]`` (estimate), ``s[,2]`` (SE), ``s[,3]`` (t), ``s[,4]`` (p), ``confint(m)[,1]``, ``confint(m)[,2]``
and ``m$df.residual``; binomial models are fitted with ``family=quasibinomial()`` on
``d <- update(d, hi = as.numeric(api00 > 700))``.
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
    data = pd.read_csv(shared_file(f"surveys/api/{name}.csv"))
    return data.assign(hi=(data["api00"] > 700).astype(float))


@pytest.fixture(scope="module")
def d() -> dict[str, cs.SurveyDesign]:
    dclus1 = cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc")
    return {
        "dstrat": cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc="fpc"),
        "dclus1": dclus1,
        "dclus2": cs.SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
        "ps": dclus1.poststratify("stype", {"E": 4421, "H": 755, "M": 1018}),
    }


def near(actual, expected, rel: float = 1e-8) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.array(expected, dtype=float), rtol=rel)


# r <- svychisq(~sch.wide+stype, d); r <- svychisq(~awards+comp.imp, d)   (statistic, p, ndf, ddf)
# r <- svychisq(~stype+awards, d, statistic="Chisq")                     (X-squared, p, df)
CHISQ = {
    "dstrat": ([17.24744396, 2.035046359e-07, 1.828671504, 360.2482863], [149.6572942, 5.734153185e-26, 1, 197],
               [19.47965642, 7.019468711e-07, 2]),
    "dclus1": ([5.193369541, 0.02174746237, 1.494639778, 20.92495689], [143.4869688, 9.570026071e-09, 1, 14],
               [12.36615006, 0.006565834683, 2]),
    "dclus2": ([11.87274514, 0.0003221146624, 1.382498809, 53.91745354], [53.50990358, 7.946412533e-09, 1, 39],
               [29.71022564, 4.184663674e-05, 2]),
    "ps": ([4.711738224, 0.02508983624, 1.629024954, 22.80634936], [104.6546272, 7.042496513e-08, 1, 14],
           [15.12066841, 0.008584644021, 2]),
}


@pytest.mark.parametrize("design", list(CHISQ))
def test_chisq_equals_svychisq(d, design):
    f_2x3, f_2x2, chisq = CHISQ[design]
    r = d[design].chisq("sch.wide", "stype")
    near([r.statistic, r.p_value, r.df1, r.df2], f_2x3)
    r = d[design].chisq("awards", "comp.imp")
    near([r["statistic"], r["p_value"], r["df1"], r["df2"]], f_2x2)
    r = d[design].chisq("stype", "awards", statistic="Chisq")
    near([r.statistic, r.p_value, r.df1], chisq)


def test_chisq_three_by_three(d):
    # d <- update(dclus1, ell3 = cut(ell, c(-1, 10, 30, 100))); svychisq(~ell3+stype, d) and statistic="Chisq"
    data = d["dclus1"].data.assign(ell3=pd.cut(d["dclus1"].data["ell"], [-1, 10, 30, 100]).astype(str))
    design = cs.SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc")
    r = design.chisq("ell3", "stype")
    near([r.statistic, r.p_value, r.df1, r.df2], [4.68447516, 0.006872642142, 2.948870909, 41.28419273])
    r = design.chisq("ell3", "stype", statistic="Chisq")
    near([r.statistic, r.p_value, r.df1], [21.39631865, 0.0008848127419, 4])
    assert r.table.shape == (3, 3) and r.table.to_numpy().sum() == pytest.approx(data["pw"].sum())


GAUSSIAN_NUM = {  # m <- svyglm(api00 ~ ell + meals + mobility, d)
    "dstrat": ([820.8873159, -0.4805866122, -3.14153531, 0.2257132102],
               [10.07773595, 0.3919734032, 0.2839465064, 0.393218362],
               [81.4555293, -1.226069443, -11.06382801, 0.5740149292],
               [5.594749815e-152, 0.2216587152, 2.254134652e-22, 0.5666226132],
               [801.0113245, -1.253663029, -3.701553786, -0.5498185984],
               [840.7633073, 0.2924898046, -2.581516834, 1.001245019], 194),
    "dclus1": ([819.2790511, -0.5167217797, -3.123204265, -0.1689196822],
               [21.38997127, 0.324003945, 0.2780830438, 0.4449184192],
               [38.30201738, -1.59480089, -11.23119275, -0.3796643945],
               [4.6466203e-13, 0.1390634673, 2.290507412e-07, 0.7114222317],
               [772.2000418, -1.229849654, -3.735260917, -1.14817852],
               [866.3580605, 0.196406095, -2.511147612, 0.8103391558], 11),
    "dclus2": ([811.4907225, -2.059164182, -1.777181334, 0.3252517488],
               [30.23383027, 1.379843653, 1.083002089, 0.6103138166],
               [26.84048681, -1.49231703, -1.640976829, 0.5329254229],
               [2.121236294e-25, 0.1443284861, 0.1095117323, 0.5973599001],
               [750.1736727, -4.857616818, -3.973611373, -0.9125220414],
               [872.8077723, 0.7392884531, 0.4192487054, 1.563025539], 36),
    "ps": ([811.701553, -0.4330648561, -3.094162339, -0.2488679971],
           [21.99179673, 0.3002863476, 0.3018680462, 0.4053584533],
           [36.90928772, -1.442172978, -10.25004924, -0.6139454971],
           [6.963403189e-13, 0.1771146417, 5.773005396e-07, 0.5517367673],
           [763.2979348, -1.093990651, -3.758569429, -1.141055937],
           [860.1051713, 0.2278609386, -2.429755249, 0.6433199431], 11),
}
GAUSSIAN_FACTOR = {  # m <- svyglm(api00 ~ stype + ell + awards, d): (Intercept) stypeH stypeM ell awardsYes
    "dstrat": ([755.6979451, -83.13428699, -52.98261959, -4.000161624, 26.4330386],
               [16.95819787, 15.79401208, 16.20393278, 0.2971861707, 15.44458252],
               [44.56239694, -5.263658566, -3.269738298, -13.46012035, 1.711476407],
               [1.572856353e-103, 3.74177985e-07, 0.001274726008, 1.473428577e-29, 0.08859967648],
               [722.2507542, -114.2853173, -84.94214948, -4.586311323, -4.028800725],
               [789.1451359, -51.98325667, -21.0230897, -3.414011926, 56.89487793], 193),
    "dclus1": ([743.0941372, -78.61367534, -36.72365687, -4.29185713, 43.09392195],
               [27.77937122, 20.84049745, 15.42925746, 0.4378159036, 12.34484346],
               [26.74985447, -3.772159254, -2.380131187, -9.802880834, 3.490843936],
               [1.231002234e-10, 0.003648589966, 0.03860376269, 1.907181869e-06, 0.005814801106],
               [681.1978409, -125.0491974, -71.10218487, -5.267371755, 15.58789661],
               [804.9904335, -32.17815326, -2.34512887, -3.316342505, 70.5999473], 10),
    "dclus2": ([715.1302947, -46.11909753, -20.13620815, -4.209095123, 116.1752842],
               [19.38534544, 20.02875472, 11.97426336, 0.4504987934, 16.26837647],
               [36.89025284, -2.302644282, -1.681623959, -9.343188449, 7.141172593],
               [1.313130212e-29, 0.0273621238, 0.1015451605, 4.86351219e-11, 2.513822348e-08],
               [675.7759513, -86.77963129, -44.44525513, -5.123656295, 83.14872415],
               [754.4846382, -5.458563777, 4.17283883, -3.294533951, 149.2018443], 35),
    "ps": ([745.7371974, -79.91774341, -37.35478004, -4.378306518, 42.99533562],
           [27.17713375, 20.72469577, 15.34674248, 0.4577151651, 12.08497784],
           [27.43987664, -3.856160027, -2.434052705, -9.565570145, 3.557750473],
           [9.572263356e-11, 0.003180103678, 0.0352053181, 2.384552879e-06, 0.005200688139],
           [685.1827698, -126.0952433, -71.5494532, -5.398159461, 16.06832697],
           [806.2916249, -33.74024357, -3.160106872, -3.358453576, 69.92234427], 10),
}
QUASIBINOMIAL = {  # m <- svyglm(hi ~ ell + stype, d, family=quasibinomial())
    "dstrat": ([2.41007652, -0.1330477258, -1.989645918, -1.750857523],
               [0.4858989557, 0.0260371813, 0.470789762, 0.4910520476],
               [4.960036427, -5.109912791, -4.226187734, -3.565523313],
               [1.53512188e-06, 7.686315987e-07, 3.656111078e-05, 0.0004572911133],
               [1.451753786, -0.1844000131, -2.91816928, -2.719343534],
               [3.368399255, -0.08169543844, -1.061122555, -0.7823715131], 194),
    "dclus1": ([1.684644163, -0.08456939351, -1.616716212, -1.199980194],
               [0.7735797836, 0.02670156693, 0.956460243, 0.6487073895],
               [2.177725166, -3.167207143, -1.690311985, -1.84980195],
               [0.05207128433, 0.008963099935, 0.1190737916, 0.09136812351],
               [-0.01799346122, -0.1433391461, -3.721871013, -2.627775532],
               [3.387281787, -0.02579964096, 0.4884385894, 0.2278151432], 11),
    "dclus2": ([3.096811354, -0.1421640258, -4.26798407, -1.125742029],
               [0.7453972079, 0.01956958148, 0.8895726876, 0.5962820293],
               [4.154578689, -7.264540936, -4.797791265, -1.88793553],
               [0.0001915438283, 1.481003142e-08, 2.78257443e-05, 0.06711537698],
               [1.585075749, -0.1818529766, -6.072121101, -2.335058035],
               [4.60854696, -0.102475075, -2.463847039, 0.08357397769], 36),
    "ps": ([1.678610922, -0.08432380315, -1.612885393, -1.198185031],
           [0.7492029435, 0.02664125066, 0.9450727527, 0.6455178319],
           [2.240529001, -3.165159332, -1.706625642, -1.85616101],
           [0.04665800081, 0.008995860287, 0.1159277715, 0.09039627989],
           [0.02962636176, -0.1429608005, -3.692976497, -2.618960199],
           [3.327595483, -0.02568680581, 0.4672057109, 0.2225901378], 11),
}
COLUMNS = ["estimate", "se", "t", "p_value", "ci_low", "ci_high"]


def check_glm(res: pd.DataFrame, expected, rel: float) -> None:
    *values, df = expected
    near(res[COLUMNS].to_numpy().T, values, rel)
    assert (res["df"] == df).all()


@pytest.mark.parametrize("design", list(GAUSSIAN_NUM))
def test_gaussian_glm_equals_svyglm(d, design):
    check_glm(d[design].glm("api00", ["ell", "meals", "mobility"]), GAUSSIAN_NUM[design], 1e-8)
    res = d[design].glm("api00", ["stype", "ell", "awards"])
    assert res["term"].tolist() == ["(Intercept)", "stypeH", "stypeM", "ell", "awardsYes"]
    check_glm(res, GAUSSIAN_FACTOR[design], 1e-8)


@pytest.mark.parametrize("design", list(QUASIBINOMIAL))
def test_binomial_glm_equals_quasibinomial_svyglm(d, design):
    # the same IRLS iterations as R's glm.fit, so equal to rounding (not only to R's 1e-8 stopping rule)
    check_glm(d[design].glm("hi", ["ell", "stype"], family="binomial"), QUASIBINOMIAL[design], 1e-8)


def test_glm_with_missing_values_and_a_factor_outcome(d):
    # m <- svyglm(api00 ~ acs.k3 + meals, dclus1): s[,1], s[,2], s[,4], m$df.residual
    res = d["dclus1"].glm("api00", ["acs.k3", "meals"])
    near(res[["estimate", "se", "p_value"]].to_numpy().T,
         [[735.3733118, 4.810504638, -3.444743333], [46.2606452, 2.198738062, 0.2119464821],
          [1.997844296e-09, 0.04919726588, 1.547801263e-09]])
    assert (res["df"] == 12).all() and (res["n_missing"] == 39).all() and (res["n"] == 144).all()
    # m <- svyglm(sch.wide ~ ell + meals, dclus2, family=binomial())  (the second level, "Yes", is the event)
    res = d["dclus2"].glm("sch.wide", ["ell", "meals"], family="binomial")
    near(res[["estimate", "se", "p_value"]].to_numpy().T,
         [[1.001699685, -0.05609180759, 0.03092372719], [0.6316593023, 0.02188971952, 0.01634547813],
          [0.1212902365, 0.01459673059, 0.06635284028]], 1e-8)
    assert (res["df"] == 37).all()


def test_glm_refuses_constant_and_collinear_predictors(d):
    design = d["dclus1"]
    data = design.data.assign(one=5.0, ell2=design.data["ell"] * 2 + 1, everyone="school")
    bad = cs.SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc")
    with pytest.raises(DesignError, match="predictor 'one' is constant"):
        bad.glm("api00", ["ell", "one"])
    with pytest.raises(DesignError, match="predictor 'everyone' has a single level"):
        bad.glm("api00", ["ell", "everyone"])
    with pytest.raises(DesignError, match=r"collinear: \['ell2'\]") as err:
        bad.glm("api00", ["ell", "ell2"])
    assert err.value.collinear == ["ell2"]
    with pytest.raises(DesignError, match="family must be"):
        bad.glm("api00", ["ell"], family="poisson")
    with pytest.raises(DesignError, match="0/1"):
        bad.glm("api00", ["ell"], family="binomial")
