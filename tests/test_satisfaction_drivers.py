"""Key drivers and the 四分图: Shapley values and relative weights against independent computations
(brute-force subset regressions on the rows with numpy lstsq, every order of entry; Johnson's SVD
route), on the real airline survey and on generated data; weights, designs, bootstrap, messages."""

from __future__ import annotations

import itertools
import math
import warnings
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit import demo
from cs_toolkit.errors import ConfigError, DesignError
from cs_toolkit.satisfaction import key_drivers, quadrant_chart

AIRLINE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "surveys" / "airline" / "train.csv.gz"
ITEMS = ["Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking", "Gate location",
         "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment", "On-board service",
         "Leg room service", "Baggage handling", "Checkin service", "Inflight service", "Cleanliness"]


@pytest.fixture(scope="module")
def airline() -> pd.DataFrame:
    if not AIRLINE.exists():
        pytest.skip(f"shared data {AIRLINE} not available (expected beside the project in ../shared/data)")
    raw = pd.read_csv(AIRLINE)
    data = raw[ITEMS].replace(0, np.nan)  # 0 = not rated
    data["satisfied"] = (raw["satisfaction"] == "satisfied").astype(float)
    data["weight"] = np.random.default_rng(7).uniform(0.5, 3.0, size=len(data))  # survey-like weights
    data["class"] = raw["Class"]
    return data


def wls_r2(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted R² of y on x (with intercept) by least squares on the rows."""
    sw = np.sqrt(w)
    design = np.column_stack([np.ones(len(y)), x]) * sw[:, None]
    beta = np.linalg.lstsq(design, y * sw, rcond=None)[0]
    resid = y - np.column_stack([np.ones(len(y)), x]) @ beta
    ybar = np.average(y, weights=w)
    return 1 - np.sum(w * resid**2) / np.sum(w * (y - ybar) ** 2)


def brute_force_shapley(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The definition itself: average over all p! orders of each driver's R² gain; every subset's R²
    from its own regression on the rows."""
    p = x.shape[1]
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for s in itertools.combinations(range(p), k):
            r2[s] = wls_r2(x[:, s], y, w)
    total = np.zeros(p)
    for order in itertools.permutations(range(p)):
        for i, j in enumerate(order):
            total[j] += r2[tuple(sorted(order[: i + 1]))] - r2[tuple(sorted(order[:i]))]
    return total / math.factorial(p)


def johnson_svd(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Johnson (2000) as published: SVD X = P D Q' of the standardised (weighted) data, Z = P Q',
    regress y on Z, Lambda = Z'X (correlations of Z with X), eps_j = sum_k Lambda_jk^2 beta_k^2."""
    sw = np.sqrt(w / w.sum())
    xs = (x - np.average(x, axis=0, weights=w)) * sw[:, None]
    xs /= np.sqrt((xs**2).sum(axis=0))
    ys = (y - np.average(y, weights=w)) * sw
    ys /= np.sqrt((ys**2).sum())
    p_, _, qt = np.linalg.svd(xs, full_matrices=False)
    z = p_ @ qt
    beta = np.linalg.lstsq(z, ys, rcond=None)[0]
    lam = z.T @ xs
    return (lam**2).T @ (beta**2)


# ---------------------------------------------------------------------------------------------- airline
@pytest.mark.shared_data
def test_shapley_equals_brute_force_on_airline(airline):
    drivers = ITEMS[:6]
    res = key_drivers(airline, "satisfied", drivers, weights="weight")
    complete = airline[["satisfied", *drivers, "weight"]].dropna()
    assert res["n"].iloc[0] == len(complete) > 90_000
    x = complete[drivers].to_numpy(float)
    expected = brute_force_shapley(x, complete["satisfied"].to_numpy(float), complete["weight"].to_numpy(float))
    np.testing.assert_allclose(res["importance"], expected, rtol=1e-9, atol=1e-12)
    full = wls_r2(x, complete["satisfied"].to_numpy(float), complete["weight"].to_numpy(float))
    assert abs(res["importance"].sum() - full) < 1e-10 and abs(res["r2"].iloc[0] - full) < 1e-10


@pytest.mark.shared_data
@pytest.mark.slow
def test_ten_airline_drivers_against_subset_regressions(airline):
    """Ten items (1,024 subsets): every subset regression refitted on 2,000 rows with lstsq, combined
    with the Shapley weights of the subset formula."""
    items = ITEMS[4:]
    sample = airline.dropna(subset=["satisfied", *items]).sample(2000, random_state=1)
    res = key_drivers(sample, "satisfied", items, weights="weight")
    x = sample[items].to_numpy(float)
    y = sample["satisfied"].to_numpy(float)
    w = sample["weight"].to_numpy(float)
    p = len(items)
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        cols = [j for j in range(p) if mask >> j & 1]
        r2[mask] = wls_r2(x[:, cols], y, w)
    phi = np.zeros(p)
    for j in range(p):
        for mask in range(1 << p):
            if not mask >> j & 1:
                s = bin(mask).count("1")
                phi[j] += math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) * (r2[mask | 1 << j] - r2[mask])
    np.testing.assert_allclose(res["importance"], phi, rtol=1e-8, atol=1e-12)


@pytest.mark.shared_data
def test_relative_weights_equal_johnson_svd_on_airline(airline):
    res = key_drivers(airline, "satisfied", ITEMS, method="relative_weights", weights="weight")
    complete = airline[["satisfied", *ITEMS, "weight"]].dropna()
    expected = johnson_svd(complete[ITEMS].to_numpy(float), complete["satisfied"].to_numpy(float),
                           complete["weight"].to_numpy(float))
    np.testing.assert_allclose(res["importance"], expected, rtol=1e-9, atol=1e-12)
    assert abs(res["share"].sum() - 1) < 1e-12
    shapley = key_drivers(airline, "satisfied", ITEMS, weights="weight")  # 14 drivers: exact
    assert np.corrcoef(res["importance"], shapley["importance"])[0, 1] > 0.99
    assert res["driver"][res["importance"].idxmax()] == "Online boarding"


@pytest.mark.shared_data
def test_airline_by_class_and_quadrants(airline):
    drivers = ["Online boarding", "Seat comfort", "Inflight wifi service", "Cleanliness", "Checkin service"]
    res = key_drivers(airline, "satisfied", drivers, by="class", scales=(1, 5))
    assert list(res["class"].unique()) == ["Business", "Eco", "Eco Plus"]
    eco = airline[airline["class"] == "Eco"]
    alone = key_drivers(eco, "satisfied", drivers, scales=(1, 5))
    np.testing.assert_allclose(res[res["class"] == "Eco"]["importance"], alone["importance"], rtol=1e-12)
    for _, group in res.groupby("class"):
        high_i = group["share"] >= group["share"].mean()
        high_p = group["performance_100"] >= group["performance_100"].mean()
        for hi, hp, zh in zip(high_i, high_p, group["quadrant"], strict=True):
            assert zh == {(True, True): "优势区", (True, False): "优先改进区", (False, False): "次要改进区",
                          (False, True): "维持区"}[(hi, hp)]


# ---------------------------------------------------------------------------------------------- generated
def generated(n=400, p=4, seed=0):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = np.clip(np.round(3 + common + rng.normal(size=(n, p))), 1, 5)
    y = x @ np.linspace(0.6, 0.1, p) + rng.normal(size=n)
    frame = pd.DataFrame(x, columns=[f"d{i}" for i in range(p)])
    frame["overall"] = y
    frame["w"] = rng.uniform(0.5, 2, size=n)
    return frame


def test_weights_honoured():
    df = generated()
    drivers = ["d0", "d1", "d2", "d3"]
    weighted = key_drivers(df, "overall", drivers, weights="w")
    x = df[drivers].to_numpy()
    expected = brute_force_shapley(x, df["overall"].to_numpy(), df["w"].to_numpy())
    np.testing.assert_allclose(weighted["importance"], expected, rtol=1e-10)
    scaled = key_drivers(df.assign(w=df["w"] * 37), "overall", drivers, weights="w")
    np.testing.assert_allclose(weighted["importance"], scaled["importance"], rtol=1e-12)
    unweighted = key_drivers(df, "overall", drivers)
    assert not np.allclose(weighted["importance"], unweighted["importance"])
    np.testing.assert_allclose(weighted["performance"], np.average(x, axis=0, weights=df["w"]))
    counts = df.assign(k=np.random.default_rng(1).integers(1, 4, size=len(df)))
    repeated = counts.loc[counts.index.repeat(counts["k"])]
    np.testing.assert_allclose(key_drivers(counts, "overall", drivers, weights="k")["importance"],
                               key_drivers(repeated, "overall", drivers)["importance"], rtol=1e-10)


def test_performance_and_custom_lines():
    df = generated()
    drivers = ["d0", "d1", "d2", "d3"]
    res = key_drivers(df, "overall", drivers, scales=(1, 5), quadrant_lines={"share": 0.5, "performance_100": 0})
    np.testing.assert_allclose(res["performance_100"], 100 * (res["performance"] - 1) / 4)
    assert set(res["quadrant"]) <= {"优势区", "维持区"}  # everything above a 0 performance line
    assert (res.loc[res["share"] >= 0.5, "quadrant_en"] == "keep up").all()
    own = key_drivers(df, "overall", drivers, scales=(1, 5), quadrant_lines={"performance": 3, "importance": 0.01})
    assert own["performance_line"].iloc[0] == 50 and own["share_line"].iloc[0] == pytest.approx(0.01 / own["r2"].iloc[0])
    med = key_drivers(df, "overall", drivers, quadrant_lines="median")
    assert med["share_line"].iloc[0] == pytest.approx(med["share"].median())
    with pytest.raises(ConfigError, match="quadrant_lines key"):
        key_drivers(df, "overall", drivers, quadrant_lines={"speed": 1})


def test_beyond_exact_uses_random_orders_with_a_warning():
    df = generated(n=600, p=16, seed=3)
    drivers = [f"d{i}" for i in range(16)]
    exact = key_drivers(df, "overall", drivers, max_exact=16)
    with pytest.warns(UserWarning, match="random orders"):
        approx = key_drivers(df, "overall", drivers, n_permutations=3000)
    assert "mc_se" in approx.columns and "mc_se" not in exact.columns
    assert abs(approx["importance"].sum() - exact["r2"].iloc[0]) < 1e-10  # every order sums to R²
    assert np.all(np.abs(approx["importance"] - exact["importance"]) < 5 * approx["mc_se"] + 1e-6)


def test_constant_and_collinear_drivers_named():
    df = generated()
    with pytest.raises(DesignError, match="driver 'd2' has no variance") as err:
        key_drivers(df.assign(d2=4.0), "overall", ["d0", "d1", "d2"])
    assert err.value.column == "d2"
    with pytest.raises(DesignError, match=r"drivers \['d0', 'd1', 'd4'\] are perfectly collinear") as err:
        key_drivers(df.assign(d4=df["d0"] + 2 * df["d1"]), "overall", ["d0", "d1", "d2", "d4"])
    assert err.value.drivers == ["d0", "d1", "d4"]
    with pytest.raises(DesignError, match="outcome 'overall' has no variance in grp='b'"):
        key_drivers(df.assign(grp=np.where(df.index < 200, "a", "b"), overall=lambda d: np.where(d.index < 200, d.overall, 1)),
                    "overall", ["d0", "d1"], by="grp")


def test_bad_arguments_are_named():
    df = generated()
    with pytest.raises(ConfigError, match="driver 'd9' is not a column of the data"):
        key_drivers(df, "overall", ["d0", "d9"])
    with pytest.raises(ConfigError, match="Did you mean 'overall'"):
        key_drivers(df, "overal", ["d0"])
    with pytest.raises(ConfigError, match="method"):
        key_drivers(df, "overall", ["d0"], method="lmg")
    with pytest.raises(ConfigError, match="also listed as a driver"):
        key_drivers(df, "overall", ["d0", "overall"])
    with pytest.raises(DesignError, match="'d1' is not numeric"):
        key_drivers(df.astype({"d1": str}).assign(d1=lambda d: d["d1"].where(d.index > 0, "满意")), "overall", ["d0", "d1"])


def test_missing_rows_listwise():
    df = generated()
    df.loc[:9, "d1"] = np.nan
    res = key_drivers(df, "overall", ["d0", "d1"])
    assert res["n"].iloc[0] == len(df) - 10
    np.testing.assert_allclose(res["importance"], key_drivers(df.dropna(), "overall", ["d0", "d1"])["importance"])


def test_bootstrap_with_design_resamples_psus():
    survey = demo.make_survey(seed=0)
    design = cs.SurveyDesign(survey.data, weights="weight", strata="project", psu="building")
    drivers = ["sat_staff", "sat_speed", "sat_quality"]
    a = key_drivers(design, "sat_overall", drivers, n_boot=150, seed=3, scales=(1, 5))
    b = key_drivers(survey.data, "sat_overall", drivers, design=design, n_boot=150, seed=3, scales=(1, 5))
    pd.testing.assert_frame_equal(a, b)
    plain = key_drivers(survey.data, "sat_overall", drivers, weights="weight", scales=(1, 5))
    np.testing.assert_allclose(a["importance"], plain["importance"])  # same weights, same point estimates
    assert (a["ci_low"] <= a["importance"]).all() and (a["importance"] <= a["ci_high"]).all()
    assert a["n_boot"].iloc[0] == 150
    iid = key_drivers(survey.data, "sat_overall", drivers, weights="weight", n_boot=150, seed=3, scales=(1, 5))
    assert not np.allclose(iid["se"], a["se"])  # clustering changes the uncertainty
    by = key_drivers(design, "sat_overall", drivers, by="touchpoint", n_boot=30, seed=1)
    assert by["se"].notna().all() and by["touchpoint"].nunique() == 4
    with pytest.raises(ConfigError, match="conflicts with the design"):
        key_drivers(design, "sat_overall", drivers, weights="other")


def test_relative_weights_bootstrap_and_sum():
    df = generated()
    res = key_drivers(df, "overall", ["d0", "d1", "d2"], method="relative_weights", n_boot=100, seed=1)
    assert abs(res["importance"].sum() - res["r2"].iloc[0]) < 1e-12
    assert {"se", "ci_low", "ci_high"} <= set(res.columns)


def test_quadrant_chart_draws_chinese_without_missing_glyphs():
    survey = demo.make_survey(seed=1)
    drivers = {"sat_staff": "人员态度", "sat_speed": "处理速度", "sat_quality": "维修质量"}
    res = key_drivers(survey.data, "sat_overall", list(drivers), weights="weight", scales=(1, 5))
    res["driver"] = res["driver"].map(drivers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would fail here
        fig = quadrant_chart(res)
        fig.savefig(BytesIO(), format="png")
        png = fig._repr_png_()
    assert png[:4] == b"\x89PNG"
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"人员态度", "处理速度", "维修质量"} <= set(texts)
    assert {"优势区\nkeep up", "优先改进区\nact first", "次要改进区\nlow priority", "维持区\npossible overkill"} <= set(texts)
    with pytest.raises(ConfigError, match="several segments"):
        quadrant_chart(pd.concat([res, res]))
