"""Benchmark: the full scored table with Taylor SEs vs a bare pandas weighted groupby mean (the floor).

Generates N responses x 10 items x 3 segment columns (+ 50 strata, 2,000 clusters, weights), then times,
by each segment column: means of the 10 items with Taylor-linearised SEs (stratified cluster design),
NPS with SE, and top-2-box shares with SEs of the 9 Likert items. The floor is pandas' weighted mean of
the same 10 items by the same segments, in the same process. Prints one table.

    python bench/bench_survey_scoring.py [--sizes 1000000 5000000] [--repeats 3]
"""

from __future__ import annotations

import argparse

import pandas as pd
from _timing import timed  # bench/ is on sys.path when a benchmark runs

from cs_toolkit import SurveyDesign
from cs_toolkit.demo import make_large_survey

SEGMENTS = ["region", "touchpoint", "channel"]


def floor(df: pd.DataFrame, items: list[str]) -> list[pd.DataFrame]:
    out = []
    w = df["weight"]
    weighted = df[items].mul(w, axis=0)
    for seg in SEGMENTS:
        out.append(weighted.groupby(df[seg], observed=True).sum().div(w.groupby(df[seg], observed=True).sum(), axis=0))
    return out


def scored_table(df: pd.DataFrame, items: list[str]) -> list[pd.DataFrame]:
    design = SurveyDesign(df, weights="weight", strata="stratum", psu="cluster")
    out = []
    for seg in SEGMENTS:
        out.append(design.mean(items, by=seg))
        out.append(design.nps(items[0], by=seg))
        for item in items[1:]:
            out.append(design.share(item, [4, 5], by=seg))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("survey scoring: full scored table (Taylor SEs) vs pandas weighted groupby mean (floor)")
    print(f"{'n':>10} {'data MB':>8} {'floor s':>8} {'ours s':>8} {'ratio':>6} {'peak MB':>8} {'peak/data':>9}")
    for n in args.sizes:
        df = make_large_survey(n, seed=0)
        items = [c for c in df.columns if c.startswith("item_")]
        data_mb = df.memory_usage(deep=True).sum() / 1e6
        t_floor, _ = timed(lambda df=df, items=items: floor(df, items), args.repeats)
        t_ours, peak = timed(lambda df=df, items=items: scored_table(df, items), args.repeats)
        print(f"{n:>10,} {data_mb:>8.0f} {t_floor:>8.2f} {t_ours:>8.2f} {t_ours / t_floor:>6.2f} "
              f"{peak / 1e6:>8.0f} {peak / 1e6 / data_mb:>9.2f}")
        del df


if __name__ == "__main__":
    main()
