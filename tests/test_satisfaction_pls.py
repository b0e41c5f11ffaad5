"""PLS path modelling: SmartPLS references on the ECSI mobi data (three schemes, 1e-6), R plspm's
algorithm on the rows (scaled=False, Mode B), reliability/HTMT/GoF, bootstrap, indices and bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_toolkit.errors import ConfigError, DesignError
from cs_toolkit.satisfaction import PLSPathModel, htmt
from cs_toolkit.satisfaction.demo import make_csi_survey

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "surveys" / "ecsi_mobi"
SCHEMES = {"path": "pathWeighting", "centroid": "centroid", "factorial": "factorial"}


def shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared data {path} not available (expected beside the project in ../shared/data)")
    return path


@pytest.fixture(scope="module")
def ecsi():
    data = pd.read_csv(shared("mobi.csv"))
    structural = pd.read_csv(shared("model/ECSI_structural_model.csv"))
    measurement = pd.read_csv(shared("model/ECSI_measurement_model.csv"))
    return data, structural, measurement


def read_smartpls(scheme: str, name: str) -> pd.DataFrame:
    """A SmartPLS 2 result table: tab-separated, padded with blanks, decimal commas."""
    lines = [line.split("\t") for line in shared(f"smartpls_reference/{SCHEMES[scheme]}/{name}.txt")
             .read_text().splitlines() if line.strip()]
    columns = [c.strip() for c in lines[0][1:] if c.strip()]
    rows = {line[0].strip(): [float(v.strip().replace(",", ".")) for v in line[1:] if v.strip()] for line in lines[1:]}
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def smartpls_r2(scheme: str, paths: pd.DataFrame) -> dict[str, float]:
    """R² at full precision from SmartPLS' own files: construct correlations are W' x cross-loadings
    (scores are weighted sums of unit-variance items), and R² = sum of path x correlation."""
    weights = read_smartpls(scheme, "outerWeights")
    cross = read_smartpls(scheme, "crossLoadings").loc[weights.index, weights.columns]
    corr = pd.DataFrame(weights.to_numpy().T @ cross.to_numpy(), index=weights.columns, columns=weights.columns)
    out = {}
    for target in paths.columns:
        sources = paths.index[paths[target] != 0]
        if len(sources):
            out[target] = float(sum(paths.loc[s, target] * corr.loc[s, target] for s in sources))
    return out


# ---------------------------------------------------------------------------------------------- SmartPLS
@pytest.mark.shared_data
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_smartpls_reference_to_1e6(ecsi, scheme):
    data, structural, measurement = ecsi
    model = PLSPathModel(structural, measurement, scheme=scheme).fit(data)
    ref_paths = read_smartpls(scheme, "pathCoefficients")
    ref_weights = read_smartpls(scheme, "outerWeights")
    ref_cross = read_smartpls(scheme, "crossLoadings")
    ref_total = read_smartpls(scheme, "totalEffects")
    ours = model.path_coefficients_
    assert len(ours) == int((ref_paths != 0).to_numpy().sum()) == 12
    for row in ours.itertuples(index=False):
        assert abs(row.estimate - ref_paths.loc[row[0], row.to]) < 1e-6, (row, scheme)
    for row in model.outer_weights_.itertuples(index=False):
        assert abs(row.weight - ref_weights.loc[row.item, row.construct]) < 1e-6, (row, scheme)
    cross = model.cross_loadings_.loc[ref_cross.index, ref_cross.columns]
    np.testing.assert_allclose(cross.to_numpy(), ref_cross.to_numpy(), rtol=0, atol=1e-6)
    for r2_construct, value in smartpls_r2(scheme, ref_paths).items():
        assert abs(model.r2_[r2_construct] - value) < 1e-6, (r2_construct, scheme)
    total = {(r[0], r.to): r.total for r in model.effects_.itertuples(index=False)}
    for a in ref_total.index:
        for b in ref_total.columns:
            assert abs(total.get((a, b), 0.0) - ref_total.loc[a, b]) < 1e-6


@pytest.mark.shared_data
def test_smartpls_reference_fully_converged_and_published_r2(ecsi):
    data, structural, measurement = ecsi
    derived = pd.read_csv(shared("ecsi_derived_r2.csv")).set_index("construct")
    published = pd.read_csv(shared("ecsi_reference_paths.csv"))
    for scheme, column in (("path", "path_weighting"), ("centroid", "centroid"), ("factorial", "factorial")):
        model = PLSPathModel(structural, measurement, scheme=scheme, tol=1e-12).fit(data)
        ref_paths = read_smartpls(scheme, "pathCoefficients")
        ref_weights = read_smartpls(scheme, "outerWeights")
        err_paths = max(abs(r.estimate - ref_paths.loc[r[0], r.to]) for r in model.path_coefficients_.itertuples(index=False))
        err_weights = max(abs(r.weight - ref_weights.loc[r.item, r.construct]) for r in model.outer_weights_.itertuples())
        assert err_paths < 1e-8 and err_weights < 5e-8  # the files print 8 decimals
        np.testing.assert_allclose(model.r2_[derived.index], derived[f"r2_{column}"], atol=5.1e-5)
        got = model.path_coefficients_.set_index(["from", "to"])["estimate"]
        want = published.set_index(["from", "to"])[f"smartpls_{column}"]
        np.testing.assert_allclose(got[want.index], want, atol=1e-7)


@pytest.mark.shared_data
def test_readme_values_and_divisor(ecsi):
    """The shared README's path-weighting values; and the divisor: items standardised with n (or n - 1)
    and scores with the same divisor reproduce SmartPLS; mixing n - 1 for items with n for scores moves
    every weight by sqrt(n / (n - 1)), 2e-3 here."""
    data, structural, measurement = ecsi
    model = PLSPathModel(structural, measurement).fit(data)
    readme = {("Image", "Expectation"): 0.50491, ("Expectation", "Quality"): 0.55675, ("Quality", "Value"): 0.55830,
              ("Satisfaction", "Loyalty"): 0.48548, ("Complaints", "Loyalty"): 0.06693}
    got = model.path_coefficients_.set_index(["from", "to"])["estimate"]
    for key, value in readme.items():
        assert abs(got[key] - value) < 6e-6
    assert model.r2_.round(4).to_dict() == {"Expectation": 0.2549, "Quality": 0.31, "Value": 0.3453,
                                             "Satisfaction": 0.6811, "Complaints": 0.2789, "Loyalty": 0.4569}
    ref = read_smartpls("path", "outerWeights")
    n = len(data)
    mixed = model.outer_weights_["weight"].to_numpy() * np.sqrt(n / (n - 1))
    wanted = np.array([ref.loc[r.item, r.construct] for r in model.outer_weights_.itertuples()])
    assert np.abs(mixed - wanted).max() > 1e-3


# ---------------------------------------------------------------------------------------------- R plspm
def plspm_on_rows(data, structural, measurement, scheme, scaled, modes=None, tol=1e-6, max_iter=100):
    """R plspm's get_weights / get_scores / get_paths translated line by line, working on the n x K rows
    (an independent check of the covariance-matrix implementation)."""
    names = list(measurement)
    items = [i for c in names for i in measurement[c]]
    mv = data[items].to_numpy(float)
    n = len(mv)
    sdv = np.sqrt((n - 1) / n)
    x = (mv - mv.mean(0)) / (mv.std(0, ddof=1) * sdv) if scaled else mv - mv.mean(0)
    odm = np.zeros((len(items), len(names)))
    for j, c in enumerate(names):
        for i in measurement[c]:
            odm[items.index(i), j] = 1
    path = np.zeros((len(names), len(names)))  # plspm: [i, j] = 1 when j -> i
    for a, b in structural:
        path[names.index(b), names.index(a)] = 1
    modes = modes or {}
    w = odm / ((x @ odm).std(0, ddof=1) * sdv)
    w_old = w.sum(1)
    for iteration in range(1, max_iter + 1):  # noqa: B007 - returned below
        y = x @ w
        y = (y - y.mean(0)) / y.std(0, ddof=1) * sdv
        cor = np.corrcoef(y, rowvar=False)
        both = path + path.T
        if scheme == "centroid":
            e = np.sign(cor * both)
        elif scheme == "factorial":
            e = cor * both
        else:
            e = path.T.copy() * 0
            for k in range(len(names)):
                pred = np.flatnonzero(path[k] == 1)
                if len(pred):
                    e[pred, k] = np.linalg.lstsq(y[:, pred], y[:, k], rcond=None)[0]
                succ = np.flatnonzero(path[:, k] == 1)
                if len(succ):
                    e[succ, k] = cor[k, succ]
        z = y @ e
        for j, c in enumerate(names):
            cols = odm[:, j] == 1
            if modes.get(c, "A") == "A":
                w[cols, j] = (z[:, j] @ x[:, cols]) / n
            else:
                w[cols, j] = np.linalg.lstsq(x[:, cols], z[:, j], rcond=None)[0]
        w_new = w.sum(1)
        if np.sum((np.abs(w_old) - np.abs(w_new)) ** 2) < tol:
            break
        w_old = w_new
    w = w / ((x @ w).std(0, ddof=1) * sdv)
    scores = x @ w
    coefs = {}
    r2 = {}
    for k, c in enumerate(names):
        pred = np.flatnonzero(path[k] == 1)
        if len(pred):
            design = np.column_stack([np.ones(n), scores[:, pred]])
            beta = np.linalg.lstsq(design, scores[:, k], rcond=None)[0]
            for p, b in zip(pred, beta[1:], strict=True):
                coefs[(names[p], c)] = b
            resid = scores[:, k] - design @ beta
            r2[c] = 1 - resid.var() / scores[:, k].var()
    loadings = np.array([np.corrcoef(x[:, i], scores[:, odm[i].argmax()])[0, 1] for i in range(len(items))])
    return w.sum(1), coefs, r2, loadings, iteration


@pytest.mark.shared_data
@pytest.mark.parametrize("scheme", ["centroid", "path", "factorial"])
@pytest.mark.parametrize("scaled", [False, True])
def test_plspm_algorithm_on_rows(ecsi, scheme, scaled):
    data, structural, measurement = ecsi
    model = PLSPathModel(structural, measurement, scheme=scheme, scaled=scaled).fit(data)
    blocks = {}
    for c, item in zip(measurement["source"], measurement["target"], strict=True):
        blocks.setdefault(c, []).append(item)
    pairs = list(zip(structural["source"], structural["target"], strict=True))
    weights, coefs, r2, loadings, iterations = plspm_on_rows(data, pairs, blocks, scheme, scaled)
    assert model.n_iter_ == iterations  # stops at the same iteration as plspm (tol=1e-6)
    np.testing.assert_allclose(model.outer_weights_["weight"], weights, rtol=1e-10, atol=1e-12)
    got = model.path_coefficients_.set_index(["from", "to"])["estimate"]
    for key, value in coefs.items():
        assert abs(got[key] - value) < 1e-10
    for key, value in r2.items():
        assert abs(model.r2_[key] - value) < 1e-10
    np.testing.assert_allclose(model.loadings_["loading"], loadings, atol=1e-10)


@pytest.mark.shared_data
def test_unscaled_weights_are_in_item_units(ecsi):
    """scaled=False only centres: scores are the same as scaled=True when every item has one variance,
    and raw weights give unit-variance scores on the centred items."""
    data, structural, measurement = ecsi
    model = PLSPathModel(structural, measurement, scaled=False).fit(data)
    x = data[model.items_].to_numpy(float)
    x = x - x.mean(0)
    scores = x @ (pd.get_dummies(model.outer_weights_["construct"]).to_numpy(float)[:, [
        sorted(model.constructs_).index(c) for c in model.constructs_]] * model.outer_weights_["weight"].to_numpy()[:, None])
    np.testing.assert_allclose(scores.std(0), 1.0, atol=1e-12)
    np.testing.assert_allclose(model.scores_.to_numpy(), scores, atol=1e-10)
    same = PLSPathModel(structural, measurement, scaled=True).fit(data)
    assert not np.allclose(same.outer_weights_["weight"], model.outer_weights_["weight"])


@pytest.mark.shared_data
def test_mode_b_matches_plspm_rows(ecsi):
    data, structural, measurement = ecsi
    modes = {"Quality": "B", "Image": "b"}
    model = PLSPathModel(structural, measurement, scheme="centroid", scaled=False, modes=modes).fit(data)
    blocks = {}
    for c, item in zip(measurement["source"], measurement["target"], strict=True):
        blocks.setdefault(c, []).append(item)
    pairs = list(zip(structural["source"], structural["target"], strict=True))
    weights, coefs, _, _, _ = plspm_on_rows(data, pairs, blocks, "centroid", False, {"Quality": "B", "Image": "B"})
    np.testing.assert_allclose(model.outer_weights_["weight"], weights, rtol=1e-9, atol=1e-12)
    rel = model.reliability_.set_index("construct")
    assert rel.loc["Quality", "mode"] == "B" and np.isnan(rel.loc["Quality", "cronbach_alpha"])


# ---------------------------------------------------------------------------------------------- quality
@pytest.mark.shared_data
def test_reliability_htmt_gof_independent(ecsi):
    data, structural, measurement = ecsi
    model = PLSPathModel(structural, measurement).fit(data)
    rel = model.reliability_.set_index("construct")
    loadings = model.loadings_
    for construct, group in loadings.groupby("construct"):
        items = group["item"].tolist()
        block = data[items]
        if len(items) > 1:
            z = (block - block.mean()) / block.std()
            k = len(items)
            standardised_alpha = k / (k - 1) * (1 - k / z.sum(axis=1).var())
            assert abs(rel.loc[construct, "cronbach_alpha"] - max(0, standardised_alpha)) < 1e-10
            pc = np.linalg.svd(z.to_numpy(), full_matrices=False)[0][:, 0]
            c = np.array([np.corrcoef(z[i], pc)[0, 1] for i in items])
            dg = c.sum() ** 2 / (c.sum() ** 2 + (1 - c**2).sum())
            assert abs(rel.loc[construct, "dg_rho"] - dg) < 1e-10
        lam = group["loading"].to_numpy()
        assert abs(rel.loc[construct, "ave"] - np.mean(lam**2)) < 1e-12
    # HTMT: the standalone function on the data agrees, and is symmetric
    blocks = {c: g["item"].tolist() for c, g in loadings.groupby("construct", sort=False)}
    np.testing.assert_allclose(htmt(data, blocks).to_numpy(), model.htmt_.loc[list(blocks), list(blocks)].to_numpy())
    np.testing.assert_allclose(model.htmt_.to_numpy(), model.htmt_.to_numpy().T, equal_nan=True)
    corr = data[blocks["Image"] + blocks["Quality"]].corr().to_numpy()
    mono = lambda m: (m.sum() - np.trace(m)) / (len(m) * (len(m) - 1))  # noqa: E731
    expected = corr[:5, 5:].mean() / np.sqrt(mono(corr[:5, :5]) * mono(corr[5:, 5:]))
    assert abs(model.htmt_.loc["Image", "Quality"] - expected) < 1e-12
    # GoF as plspm: communalities of multi-item blocks, R² of endogenous constructs
    multi = loadings[loadings["construct"] != "Complaints"]
    gof = np.sqrt((multi["loading"] ** 2).mean() * model.r2_.mean())
    assert abs(model.gof_ - gof) < 1e-12
    assert rel.loc["Complaints", "cronbach_alpha"] == 1.0


@pytest.mark.shared_data
def test_index_and_ipma(ecsi):
    data, structural, measurement = ecsi
    model = PLSPathModel(structural, measurement).fit(data)
    idx = model.index(scale=(1, 10)).set_index("construct")["index"]
    sat = ["CUSA1", "CUSA2", "CUSA3"]
    w = model.outer_weights_.set_index("item").loc[sat, "weight"] / data[sat].std(ddof=0)
    expected = 100 * ((w / w.sum()) * (data[sat].mean() - 1) / 9).sum()
    assert abs(idx["Satisfaction"] - expected) < 1e-10
    ipma = model.ipma("Satisfaction")
    assert set(ipma["construct"]) == {"Image", "Expectation", "Quality", "Value"}
    assert ipma.set_index("construct")["importance"].idxmax() == "Quality"
    with pytest.raises(ConfigError, match="outside its scale"):
        model.index(scale=(1, 5))


# ---------------------------------------------------------------------------------------------- bootstrap
def test_bootstrap_reproducible_and_parallel_equal():
    survey = make_csi_survey(n=200, seed=3)
    model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data)
    a = model.bootstrap(60, seed=5, n_jobs=1)
    b = model.bootstrap(60, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    paths = a[a["kind"] == "path"]
    assert (paths["ci_low"] < paths["estimate"]).all() and (paths["estimate"] < paths["ci_high"]).all()
    assert (paths["p_value"] < 0.01).all()  # the demo's paths are all real
    assert np.allclose(paths["t"], paths["estimate"] / paths["se"])
    assert set(a["kind"]) == {"path", "total_effect", "r2", "weight", "loading"}
    idx = model.index(scale=(1, 10))
    assert {"se", "ci_low", "ci_high"} <= set(idx.columns)
    assert (idx["ci_low"] < idx["index"]).all() and (idx["index"] < idx["ci_high"]).all()


def test_bootstrap_with_survey_design():
    import cs_toolkit as cs

    survey = make_csi_survey(n=300, seed=4)
    design = cs.SurveyDesign(survey.data, weights="weight", strata="project", psu="building")
    model = PLSPathModel(survey.structural, survey.measurement).fit(design)
    assert model.n_eff_ < model.n_
    boot = model.bootstrap(40, seed=1, n_jobs=1)
    assert boot["n_boot"].iloc[0] == 40 and boot["se"].gt(0).all()


def test_weights_equal_replicated_rows():
    survey = make_csi_survey(n=150, seed=2)
    data = survey.data.assign(times=np.random.default_rng(0).integers(1, 4, size=len(survey.data)))
    weighted = PLSPathModel(survey.structural, survey.measurement).fit(data, sample_weight="times")
    repeated = data.loc[data.index.repeat(data["times"])]
    # plspm's (n-1)/n factor only scales the weights compared for convergence: force full convergence
    a = PLSPathModel(survey.structural, survey.measurement, tol=1e-14).fit(data, sample_weight="times")
    b = PLSPathModel(survey.structural, survey.measurement, tol=1e-14).fit(repeated)
    np.testing.assert_allclose(a.path_coefficients_["estimate"], b.path_coefficients_["estimate"], atol=1e-10)
    np.testing.assert_allclose(a.outer_weights_["weight"], b.outer_weights_["weight"], atol=1e-10)
    assert weighted.n_ == 150


def test_large_fit_is_one_pass():
    survey = make_csi_survey(n=20_000, seed=0)
    model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data)
    assert model.scores_.shape == (20_000, 4)
    np.testing.assert_allclose(model.scores_.std(ddof=0), 1.0)
    truth = survey.truth["paths"]
    got = model.path_coefficients_.set_index(["from", "to"])["estimate"]
    # composites of noisy items attenuate the latent path (PLS is only "consistent at large")
    assert 0.75 * truth[("satisfaction", "loyalty")] < got[("satisfaction", "loyalty")] < truth[("satisfaction", "loyalty")]


# ---------------------------------------------------------------------------------------------- bad input
STRUCT = [("quality", "value"), ("quality", "satisfaction"), ("value", "satisfaction"), ("satisfaction", "loyalty")]


@pytest.fixture(scope="module")
def demo_survey():
    return make_csi_survey(n=120, seed=9)


def test_item_in_two_blocks(demo_survey):
    meas = dict(demo_survey.measurement)
    meas["value"] = [*meas["value"], meas["quality"][0]]
    with pytest.raises(ConfigError, match="qual_1.*two blocks") as err:
        PLSPathModel(STRUCT, meas).fit(demo_survey.data)
    assert err.value.item == "qual_1" and set(err.value.construct) == {"quality", "value"}


def test_unknown_column_names_item_and_construct(demo_survey):
    meas = dict(demo_survey.measurement)
    meas["loyalty"] = ["loya_1", "loya_9"]
    with pytest.raises(ConfigError, match="'loya_9' of construct 'loyalty'") as err:
        PLSPathModel(STRUCT, meas).fit(demo_survey.data)
    assert err.value.column == "loya_9"


def test_construct_without_items_and_unknown_construct(demo_survey):
    meas = dict(demo_survey.measurement)
    meas["loyalty"] = []
    with pytest.raises(ConfigError, match="'loyalty' has no items"):
        PLSPathModel(STRUCT, meas).fit(demo_survey.data)
    with pytest.raises(ConfigError, match="'trust'.*has no items in the measurement"):
        PLSPathModel([*STRUCT, ("trust", "loyalty")], demo_survey.measurement).fit(demo_survey.data)
    meas = {**demo_survey.measurement, "image": ["qual_4"]}
    meas["quality"] = meas["quality"][:3]
    with pytest.raises(ConfigError, match="'image'.*no path"):
        PLSPathModel(STRUCT, meas).fit(demo_survey.data)


def test_cycle_is_named(demo_survey):
    with pytest.raises(ConfigError, match="cycle: .*loyalty -> quality") as err:
        PLSPathModel([*STRUCT, ("loyalty", "quality")], demo_survey.measurement).fit(demo_survey.data)
    assert err.value.cycle[0] == err.value.cycle[-1]


def test_constant_item(demo_survey):
    data = demo_survey.data.assign(valu_2=7)
    with pytest.raises(DesignError, match="'valu_2' of construct 'value' is constant") as err:
        PLSPathModel(STRUCT, demo_survey.measurement).fit(data)
    assert err.value.item == "valu_2"


def test_missing_values_listwise_mean_raise(demo_survey):
    data = demo_survey.data.astype({"sati_1": float})
    data.loc[[3, 7, 11], "sati_1"] = np.nan
    with pytest.warns(UserWarning, match="3 of 120 rows left out.*sati_1"):
        model = PLSPathModel(STRUCT, demo_survey.measurement).fit(data)
    assert model.n_ == 117 and model.n_dropped_ == 3 and 3 not in model.scores_.index
    with pytest.warns(UserWarning, match="replaced by item means"):
        assert PLSPathModel(STRUCT, demo_survey.measurement, missing="mean").fit(data).n_ == 120
    with pytest.raises(DesignError, match="missing values in item.*sati_1"):
        PLSPathModel(STRUCT, demo_survey.measurement, missing="raise").fit(data)


def test_non_convergence_names_constructs(demo_survey):
    with pytest.raises(DesignError, match="did not converge in 1 iterations") as err:
        PLSPathModel(STRUCT, demo_survey.measurement, max_iter=1).fit(demo_survey.data)
    assert err.value.construct in demo_survey.measurement


def test_bad_scheme_mode_and_text(demo_survey):
    with pytest.raises(ConfigError, match="scheme"):
        PLSPathModel(STRUCT, demo_survey.measurement, scheme="pathweighting").fit(demo_survey.data)
    with pytest.raises(ConfigError, match="mode of construct 'value'"):
        PLSPathModel(STRUCT, demo_survey.measurement, modes={"value": "C"}).fit(demo_survey.data)
    with pytest.raises(DesignError, match="'qual_2' is not numeric"):
        PLSPathModel(STRUCT, demo_survey.measurement).fit(demo_survey.data.astype({"qual_2": str}).assign(
            qual_2=lambda d: d["qual_2"].where(d.index != 5, "很好")))
    with pytest.raises(ConfigError, match="not fitted"):
        PLSPathModel(STRUCT, demo_survey.measurement).index()


def test_structural_forms_and_no_work_in_init(demo_survey):
    frame = pd.DataFrame(STRUCT, columns=["source", "target"])
    a = PLSPathModel(frame, demo_survey.measurement).fit(demo_survey.data)
    b = PLSPathModel([f"{x} -> {y}" for x, y in STRUCT], demo_survey.measurement).fit(demo_survey.data)
    pd.testing.assert_frame_equal(a.path_coefficients_, b.path_coefficients_)
    lazy = PLSPathModel([("a", "a")], {}, scheme="nonsense")  # nothing is checked before fit
    assert lazy.scheme == "nonsense"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(a.effects_.columns) == {"from", "to", "direct", "indirect", "total"}
