"""Benchmark: a Prefect flow that runs and publishes a report vs bare papermill on the same notebook, in
the same warm process (Prefect's ephemeral server started before timing); ingest of 1M survey rows and
100k complaints into the store.

    python bench/bench_reports.py [--survey-rows 1000000] [--complaint-rows 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "flows"))
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey-rows", type=int, default=1_000_000)
    parser.add_argument("--complaint-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd
    import papermill as pm
    from report_flows import monthly_complaints_flow

    from cs_toolkit import demo
    from cs_toolkit.reports.store import ingest

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox = tmp / "inbox"
        (inbox / "complaints").mkdir(parents=True)
        (inbox / "surveys").mkdir(parents=True)
        demo.make_complaints(2000, seed=1, start="2026-09-01", weeks=8).to_csv(inbox / "complaints" / "c.csv", index=False)
        survey = demo.make_survey(seed=1)
        (inbox / "cfg.yaml").write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
        ingest(inbox, tmp / "store", inbox / "cfg.yaml")
        store = str(tmp / "store")
        template = ROOT / "notebooks" / "reports" / "monthly_complaints.ipynb"

        def bare():
            pm.execute_notebook(str(template), str(tmp / "bare.ipynb"), parameters={"period": "2026-09", "store": store},
                                progress_bar=False, log_output=False)

        def flow():
            monthly_complaints_flow("2026-09", store=store, reports_dir=str(tmp / "reports"))

        flow()  # warm: starts the ephemeral server, imports, first kernel
        bare()
        t_bare = median_time(bare, args.repeats)
        t_flow = median_time(flow, args.repeats)
        print("report run: Prefect flow (run, HTML, redact, publish) vs bare papermill, same warm process")
        print(f"{'bare papermill s':>17} {'flow s':>8} {'ratio':>6}")
        print(f"{t_bare:>17.2f} {t_flow:>8.2f} {t_flow / t_bare:>6.2f}")

        big = tmp / "big"
        (big / "surveys").mkdir(parents=True)
        (big / "complaints").mkdir(parents=True)
        reps = max(1, args.survey_rows // len(survey.data))
        frame = pd.concat([survey.data] * reps, ignore_index=True)
        frame["response_id"] = [f"R{i:08d}" for i in range(len(frame))]
        frame.to_csv(big / "surveys" / "s.csv", index=False)
        demo.make_complaints(args.complaint_rows, seed=2).to_csv(big / "complaints" / "c.csv", index=False)
        start = time.perf_counter()
        summary = ingest(big, tmp / "bigstore", inbox / "cfg.yaml")
        total = time.perf_counter() - start
        print("\ningest into the Parquet store (read, validate, upsert, move)")
        for f in summary.files:
            print(f"  {f['kind']:<10} {f['kept']:>9,} rows kept, {f['rejected']:>5} rejected")
        print(f"  total {total:.1f} s for {len(frame) + args.complaint_rows:,} rows")


if __name__ == "__main__":
    main()
