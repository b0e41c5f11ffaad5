"""Benchmark: raking N rows to 3 margins, vs weightipy (if installed: ./dev.sh bench installs it).

Both start from equal weights (weightipy's rim weighting has no base weights). Prints the median time
of several runs and the largest relative difference between the two sets of weights (both rake to
convergence). Our raking works on the cross-classified cell table, so its cost is
one pass to code the cells and one to expand the factors.

    python bench/bench_raking.py [--sizes 1000000 5000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from cs_toolkit import SurveyDesign
from cs_toolkit.demo import make_large_survey

MARGIN_COLUMNS = ["region", "touchpoint", "channel"]


def margins_for(df: pd.DataFrame, seed: int = 1) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    total = 1_000_000.0
    out = {}
    for col in MARGIN_COLUMNS:
        levels = list(df[col].cat.categories)
        shares = rng.dirichlet(np.full(len(levels), 5.0))
        out[col] = dict(zip(levels, shares * total, strict=True))
    return out


def ours(df, margins):
    # unit base weights: weightipy's rim weighting starts from equal weights
    return SurveyDesign(df[MARGIN_COLUMNS]).rake(margins).weights.to_numpy()


def weightipy_rake(df, margins):
    import weightipy as wp

    total = sum(next(iter(margins.values())).values())
    targets = {col: {lv: 100 * v / total for lv, v in m.items()} for col, m in margins.items()}
    scheme = wp.scheme_from_dict(targets)
    out = wp.weight_dataframe(df[MARGIN_COLUMNS], scheme, weight_column="rim_weight")
    w = out["rim_weight"].to_numpy()
    return w * total / w.sum()


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import weightipy  # noqa: F401

        have_weightipy = True
    except ImportError:
        have_weightipy = False
    print("raking to 3 margins (8 x 4 x 3 levels): cs_toolkit vs weightipy")
    print(f"{'n':>10} {'ours s':>8} {'weightipy s':>12} {'ratio':>6} {'max rel diff':>13}")
    for n in args.sizes:
        df = make_large_survey(n, seed=0)
        margins = margins_for(df)
        t_ours, w_ours = timed(lambda df=df, m=margins: ours(df, m), args.repeats)
        if have_weightipy:
            t_wp, w_wp = timed(lambda df=df, m=margins: weightipy_rake(df, m), args.repeats)
            diff = np.max(np.abs(w_ours - w_wp) / w_wp)
            print(f"{n:>10,} {t_ours:>8.2f} {t_wp:>12.2f} {t_ours / t_wp:>6.2f} {diff:>13.2e}")
        else:
            print(f"{n:>10,} {t_ours:>8.2f} {'(not installed)':>12}")


if __name__ == "__main__":
    main()
