"""Benchmark: the second half of R survey (medians, svyglm, replicate weights, GREG) against R itself.

Generates N responses (50 strata, 2,000 PSUs, weights, 10 items, 3 segment columns; the project's
``make_large_survey``) and times, on a stratified cluster design:

- medians with Woodruff CIs of an item in 3 segments (``quantile(by="channel")``; R ``svyby(..., svyquantile)``);
- a gaussian ``glm`` with 10 predictors (R ``svyglm``);
- means of the 10 items over a 100-replicate JK1 design (the 2,000 PSUs in 100 random groups; R
  ``svymean`` on ``as.svrepdesign(type="JK1")``);
- GREG calibration to 3 margins plus one numeric total, then the 10 means with calibrated SEs (R
  ``calibrate`` + ``svymean``).

Where ``Rscript`` with the survey package is on the PATH, R runs the same tasks on the same data in the
same run (the data go to R through a temporary CSV; reading it is not timed). Prints one table: task,
n, median of the repeats, peak memory of ours (tracemalloc), R's median and the ratio R / ours.

    python bench/bench_survey_v2.py [--n 1000000] [--repeats 3] [--no-r]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import timed  # bench/ is on sys.path when a benchmark runs

from cs_toolkit import SurveyDesign
from cs_toolkit.demo import make_large_survey

ITEMS = [f"item_{j}" for j in range(10)]
PREDICTORS = ["item_0", *[f"item_{j}" for j in range(2, 10)], "tenure"]  # 10 predictors of item_1
TASKS = ["medians by 3 segments", "glm, 10 predictors", "means, 100-replicate JK1", "GREG, 3 margins + total"]


def prepare(n: int) -> tuple[pd.DataFrame, dict]:
    df = make_large_survey(n, seed=0)
    rng = np.random.default_rng(1)
    df["tenure"] = rng.gamma(2.0, 3.0, size=n).round(2)
    df["jkgroup"] = rng.permutation(2000)[df["cluster"].to_numpy()] % 100  # PSUs in 100 random groups
    total = df["weight"].sum()
    margins = {}
    for col in ("region", "touchpoint", "channel"):
        share = df.groupby(col, observed=True)["weight"].sum() / total
        tilt = np.linspace(0.9, 1.1, len(share))
        margins[col] = {str(k): float(v) for k, v in (share * tilt / (share * tilt).sum() * total * 1.05).items()}
    margins["item_0"] = float((df["weight"] * df["item_0"]).sum() * 1.02)
    return df, margins  # segment columns stay pandas categoricals, as make_large_survey makes them


def ours(df: pd.DataFrame, margins: dict) -> dict:
    design = SurveyDesign(df, weights="weight", strata="stratum", psu="cluster")
    jk = SurveyDesign(df, weights="weight", psu="jkgroup").replicate("JK1")
    return {
        TASKS[0]: lambda: design.quantile("item_1", by="channel"),
        TASKS[1]: lambda: design.glm("item_1", PREDICTORS),
        TASKS[2]: lambda: jk.mean(ITEMS),
        TASKS[3]: lambda: design.calibrate(margins).mean(ITEMS),
    }


R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(TRUE); repeats <- as.integer(args[2])
df <- read.csv(args[1])
for (col in c("region", "touchpoint", "channel")) df[[col]] <- factor(df[[col]])
pop <- read.csv(args[3])
des <- svydesign(id=~cluster, strata=~stratum, weights=~weight, data=df, nest=TRUE)
jk <- as.svrepdesign(svydesign(id=~jkgroup, weights=~weight, data=df), type="JK1")
items <- as.formula(paste("~", paste(sprintf("item_%d", 0:9), collapse="+")))
glmf <- as.formula(paste("item_1 ~", paste(c("item_0", sprintf("item_%d", 2:9), "tenure"), collapse="+")))
totals <- setNames(pop$total, pop$name)
tasks <- list(
  function() svyby(~item_1, ~channel, des, svyquantile, quantiles=0.5, ci=TRUE),
  function() svyglm(glmf, des),
  function() svymean(items, jk),
  function() svymean(items, calibrate(des, ~region+touchpoint+channel+item_0, totals))
)
for (i in seq_along(tasks)) {
  t <- replicate(repeats, system.time(tasks[[i]]())[["elapsed"]])
  cat(sprintf("task %d %.4f\n", i, median(t)))
}
"""


def r_population(df: pd.DataFrame, margins: dict) -> pd.DataFrame:
    """The totals in R's model.matrix order: intercept, treatment dummies, the numeric total."""
    rows = [("(Intercept)", sum(margins["region"].values()))]
    for col in ("region", "touchpoint", "channel"):
        for level in sorted(margins[col])[1:]:
            rows.append((f"{col}{level}", margins[col][level]))
    rows.append(("item_0", margins["item_0"]))
    return pd.DataFrame(rows, columns=["name", "total"])


def run_r(df: pd.DataFrame, margins: dict, repeats: int) -> dict[str, float] | None:
    if shutil.which("Rscript") is None:
        return None
    check = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True)
    if check.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, pop, script = Path(tmp, "data.csv"), Path(tmp, "pop.csv"), Path(tmp, "bench.R")
        df.drop(columns=["response_id"]).to_csv(data, index=False)
        r_population(df, margins).to_csv(pop, index=False)
        script.write_text(R_SCRIPT)
        done = subprocess.run(["Rscript", str(script), str(data), str(repeats), str(pop)], capture_output=True,
                              text=True, env={**os.environ, "LC_ALL": "C"})
        if done.returncode != 0:
            print(f"R failed: {done.stderr[-2000:]}")
            return None
    out = {}
    for line in done.stdout.splitlines():
        if line.startswith("task "):
            _, i, seconds = line.split()
            out[TASKS[int(i) - 1]] = float(seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-r", action="store_true", help="do not time R even if it is installed")
    args = parser.parse_args()
    df, margins = prepare(args.n)
    results = {task: timed(fn, args.repeats) for task, fn in ours(df, margins).items()}
    r_times = None if args.no_r else run_r(df, margins, args.repeats)
    version = ""
    if r_times:
        version = subprocess.run(["Rscript", "-e", 'cat(R.version.string, "/ survey", format(packageVersion("survey")))'],
                                 capture_output=True, text=True).stdout.strip()
    print(f"survey v2 estimators, n={args.n:,}, 50 strata, 2,000 PSUs; median of {args.repeats} runs"
          + (f"; baseline {version}" if version else "; R not available"))
    print(f"{'task':<28} {'n':>10} {'ours s':>8} {'peak MB':>8} {'R s':>8} {'R/ours':>7}")
    for task, (seconds, peak) in results.items():
        r = r_times.get(task) if r_times else None
        r_text = f"{r:>8.2f} {r / seconds:>7.1f}" if r else f"{'-':>8} {'-':>7}"
        print(f"{task:<28} {args.n:>10,} {seconds:>8.3f} {peak / 1e6:>8.0f} {r_text}")


if __name__ == "__main__":
    main()
