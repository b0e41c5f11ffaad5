"""Benchmark: a Prefect flow that runs and publishes a report vs bare papermill on the same notebook, in
the same warm process (Prefect's ephemeral server started before timing); ingest of 1M survey rows and
100k complaints into the DuckDB store, against the floor of reading and validating the same files
without storing them.

    python bench/bench_reports.py [--survey-rows 1000000] [--complaint-rows 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from _timing import median_seconds  # bench/ is on sys.path when a benchmark runs

from cs_toolkit.prefect_env import prepare_local_prefect, use_local_prefect

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey-rows", type=int, default=1_000_000)
    parser.add_argument("--complaint-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        use_local_prefect(tmp)
        prepare_local_prefect(tmp)
        import pandas as pd
        import papermill as pm

        from cs_toolkit import demo
        from cs_toolkit.complaints.reader import read_complaint_log
        from cs_toolkit.flows.report_flows import monthly_complaints_flow
        from cs_toolkit.reports.registry import get_report
        from cs_toolkit.store import Store
        from cs_toolkit.survey.reader import read_survey

        inbox = tmp / "inbox"
        (inbox / "complaints").mkdir(parents=True)
        demo.make_complaints(2000, seed=1, start="2026-09-01", weeks=8).to_csv(inbox / "complaints" / "c.csv", index=False)
        survey = demo.make_survey(seed=1)
        cfg = tmp / "cfg.yaml"
        cfg.write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
        url = f"duckdb:///{tmp / 'store.duckdb'}"
        Store(url).ingest(inbox, cfg, progress=False)
        template = get_report("monthly_complaints").template()

        def bare():
            pm.execute_notebook(str(template), str(tmp / "bare.ipynb"), parameters={"period": "2026-09", "store": url},
                                progress_bar=False, log_output=False)

        def flow():
            monthly_complaints_flow("2026-09", root=str(tmp), store=url, reports_dir=str(tmp / "reports"))

        flow()  # warm: starts the ephemeral server, imports, first kernel
        bare()
        t_bare = median_seconds(bare, args.repeats)
        t_flow = median_seconds(flow, args.repeats)
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
        keep = tmp / "big_copy"
        shutil.copytree(big, keep)

        start = time.perf_counter()
        read_survey(big / "surveys" / "s.csv", cfg)
        read_complaint_log(big / "complaints" / "c.csv")
        floor = time.perf_counter() - start
        start = time.perf_counter()
        summary = Store(f"duckdb:///{tmp / 'big.duckdb'}").ingest(big, cfg, progress=False)
        total = time.perf_counter() - start
        rows = len(frame) + args.complaint_rows
        print("\ningest into the DuckDB store (read, validate, upsert in one transaction, record, move) vs "
              "reading and validating alone")
        for f in summary.files:
            print(f"  {f['kind']:<10} {f['kept']:>9,} rows kept, {f['rejected']:>5} rejected")
        print(f"{'rows':>10} {'read+validate s':>16} {'ingest s':>9} {'ratio':>6}")
        print(f"{rows:>10,} {floor:>16.1f} {total:>9.1f} {total / floor:>6.2f}")
        start = time.perf_counter()
        again = Store(f"duckdb:///{tmp / 'big.duckdb'}").ingest(keep, cfg, progress=False)
        print(f"the same exports again: {time.perf_counter() - start:.1f} s, {again.rows_added} rows added")


if __name__ == "__main__":
    main()
