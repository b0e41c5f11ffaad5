"""Benchmark: the satisfaction models (PLS path modelling and Shapley key drivers) against baselines
measured in the same run.

- PLS fit on the 250-row ECSI ``mobi`` data (../shared/data; the demo CSI survey when it is absent),
  vs a row-based translation of R plspm's algorithm (every iteration multiplies the n x K data, as
  plspm and its Python port do). Target: <= 0.05 s.
- 1,000 bootstrap fits on 2 worker processes (joblib), vs the same replicates in one process.
  Target: <= 10 s (Python plspm: 63 s, as measured for issue 10).
- PLS fit on 100,000 rows (the demo CSI survey), vs the floor of one weighted covariance pass.
  Target: <= 1 s.
- Shapley importance with 12 drivers on 100,000 rows (``demo.make_large_survey``), vs the floor of one
  weighted cross-product pass, and vs refitting the 4,096 subset regressions on the rows
  (extrapolated from 64 of them). Target: <= 2 s.

Each line: median of ``--repeats`` runs, peak traced memory of one further run (tracemalloc), and the
ratio of our time to the baseline's.

    python bench/bench_satisfaction.py [--repeats 5] [--boot 1000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import timed as _timed  # bench/ is on sys.path when a benchmark runs

from cs_toolkit import demo
from cs_toolkit.satisfaction import PLSPathModel, key_drivers
from cs_toolkit.satisfaction.demo import make_csi_survey

ROOT = Path(__file__).resolve().parents[1]
MOBI = ROOT.parent / "shared" / "data" / "surveys" / "ecsi_mobi"


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median seconds over ``repeats`` runs and the peak traced memory (MB) of one more run."""
    seconds, peak = _timed(fn, repeats)
    return seconds, peak / 1e6


def ecsi() -> tuple[pd.DataFrame, list, dict, str]:
    if (MOBI / "mobi.csv").exists():
        data = pd.read_csv(MOBI / "mobi.csv")
        struc = pd.read_csv(MOBI / "model" / "ECSI_structural_model.csv")
        meas = pd.read_csv(MOBI / "model" / "ECSI_measurement_model.csv")
        blocks: dict[str, list[str]] = {}
        for c, item in zip(meas["source"], meas["target"], strict=True):
            blocks.setdefault(c, []).append(item)
        return data, list(zip(struc["source"], struc["target"], strict=True)), blocks, "ECSI mobi"
    survey = make_csi_survey(n=250, seed=0)
    return survey.data, survey.structural, survey.measurement, "demo CSI (mobi absent)"


def plspm_rows(data: pd.DataFrame, structural, measurement, tol: float = 1e-6, max_iter: int = 100) -> np.ndarray:
    """R plspm's get_weights translated literally: the n x K data enter every iteration (path scheme)."""
    names = list(measurement)
    items = [i for c in names for i in measurement[c]]
    mv = data[items].to_numpy(float)
    n = len(mv)
    x = (mv - mv.mean(0)) / mv.std(0)
    odm = np.zeros((len(items), len(names)))
    for j, c in enumerate(names):
        for i in measurement[c]:
            odm[items.index(i), j] = 1
    path = np.zeros((len(names), len(names)))
    for a, b in structural:
        path[names.index(b), names.index(a)] = 1  # plspm: row = dependent
    sdv = np.sqrt((n - 1) / n)
    w = odm / ((x @ odm).std(0, ddof=1) * sdv)
    w_old = w.sum(1)
    for _ in range(max_iter):
        y = x @ w
        y = (y - y.mean(0)) / y.std(0, ddof=1) * sdv
        e = np.zeros_like(path)
        for k in range(len(names)):
            pred = np.flatnonzero(path[k])
            if len(pred):
                e[pred, k] = np.linalg.lstsq(y[:, pred], y[:, k], rcond=None)[0]
            succ = np.flatnonzero(path[:, k])
            if len(succ):
                e[succ, k] = [np.corrcoef(y[:, k], y[:, s])[0, 1] for s in succ]
        z = y @ e
        w = odm * ((x.T @ z) / n)
        w_new = w.sum(1)
        if np.sum((np.abs(w_old) - np.abs(w_new)) ** 2) < tol:
            break
        w_old = w_new
    return w / ((x @ w).std(0, ddof=1) * sdv)


def naive_subsets(x: np.ndarray, y: np.ndarray, w: np.ndarray, count: int) -> None:
    """``count`` weighted least-squares fits on the rows (what refitting each subset would cost)."""
    sw = np.sqrt(w)
    p = x.shape[1]
    rng = np.random.default_rng(0)
    for _ in range(count):
        cols = np.flatnonzero(rng.random(p) < 0.5)
        design = np.column_stack([np.ones(len(x)), x[:, cols]]) * sw[:, None]
        np.linalg.lstsq(design, y * sw, rcond=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rows = []

    data, structural, measurement, label = ecsi()
    model = PLSPathModel(structural, measurement)
    model.fit(data)  # warm imports
    t_ours, mem = timed(lambda: model.fit(data), args.repeats)
    t_base, _ = timed(lambda: plspm_rows(data, structural, measurement), args.repeats)
    rows.append((f"PLS fit, {label}", len(data), t_ours, mem, "plspm algorithm on rows", t_base))

    model.bootstrap(20, seed=0, n_jobs=2)  # start the worker processes once (as a notebook session would)
    t_par, mem = timed(lambda: model.bootstrap(args.boot, seed=1, n_jobs=2), max(1, args.repeats // 2))
    t_ser, _ = timed(lambda: model.bootstrap(args.boot, seed=1, n_jobs=1), max(1, args.repeats // 2))
    rows.append((f"{args.boot:,} bootstrap fits, 2 processes", len(data), t_par, mem, "same, 1 process", t_ser))
    t_default, mem = timed(lambda: model.bootstrap(args.boot, seed=1), max(1, args.repeats // 2))
    rows.append((f"{args.boot:,} bootstrap fits, default n_jobs", len(data), t_default, mem, "same, 2 processes", t_par))

    big = make_csi_survey(n=args.rows, seed=0)
    big_model = PLSPathModel(big.structural, big.measurement)
    items = [i for c in big.measurement.values() for i in c]
    t_ours, mem = timed(lambda: big_model.fit(big.data, sample_weight="weight"), args.repeats)

    def cov_floor():
        x = big.data[items].to_numpy(float)
        w = big.data["weight"].to_numpy(float)
        m = w @ x / w.sum()
        xc = x - m
        return (xc * w[:, None]).T @ xc

    t_base, _ = timed(cov_floor, args.repeats)
    rows.append(("PLS fit, demo CSI survey, weighted", args.rows, t_ours, mem, "one weighted covariance pass", t_base))

    survey = demo.make_large_survey(args.rows, seed=0, n_items=13)
    drivers = [c for c in survey.columns if c.startswith("item_") and c != "item_1"]
    t_ours, mem = timed(lambda: key_drivers(survey, "item_1", drivers, weights="weight"), args.repeats)
    x = survey[drivers].to_numpy(float)
    y = survey["item_1"].to_numpy(float)
    w = survey["weight"].to_numpy(float)

    def cross_floor():
        z = np.column_stack([y, x])
        return (z * w[:, None]).T @ z

    t_floor, _ = timed(cross_floor, args.repeats)
    rows.append(("Shapley, 12 drivers (4,096 subsets)", args.rows, t_ours, mem, "one weighted cross-product", t_floor))
    t_64, _ = timed(lambda: naive_subsets(x, y, w, 64), 1)
    rows.append(("Shapley, 12 drivers (4,096 subsets)", args.rows, t_ours, mem,
                 "refit 4,096 subsets on rows (extrapolated)", t_64 * 4096 / 64))
    t_rw, mem = timed(lambda: key_drivers(survey, "item_1", drivers, method="relative_weights", weights="weight"),
                      args.repeats)
    rows.append(("relative weights, 12 drivers", args.rows, t_rw, mem, "one weighted cross-product", t_floor))

    print("satisfaction models: median seconds, peak traced memory, ratio to the baseline of the same run")
    print(f"{'what':<42} {'n':>8} {'ours s':>8} {'peak MB':>8}  {'baseline':<44} {'base s':>8} {'ratio':>7}")
    for what, n, ours, peak, base_name, base in rows:
        print(f"{what:<42} {n:>8,} {ours:>8.3f} {peak:>8.1f}  {base_name:<44} {base:>8.3f} {ours / base:>7.2f}")


if __name__ == "__main__":
    main()
