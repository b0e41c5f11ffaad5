"""The main job on demo data: generate exports into the inbox, ingest them, run the weekly
satisfaction report and the monthly complaint review for the latest periods through Prefect
(ephemeral mode), and print where the HTML reports are.

    python flows/main_job.py [--root demo_output]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prefect import flow  # noqa: E402
from report_flows import ingest_flow, monthly_complaints_flow, weekly_satisfaction_flow  # noqa: E402

from cs_toolkit import demo  # noqa: E402


def write_demo_inbox(root: Path, seed: int = 0) -> Path:
    inbox = root / "data" / "inbox"
    (inbox / "surveys").mkdir(parents=True, exist_ok=True)
    (inbox / "complaints").mkdir(parents=True, exist_ok=True)
    survey = demo.make_survey(seed=seed, start="2026-09-07", weeks=12)
    export, _ = demo.add_export_noise(survey.data, survey.config, seed=seed)
    export.to_csv(inbox / "surveys" / "survey_export.csv", index=False, encoding="gb18030")
    (inbox / "survey_config.yaml").write_text(yaml.safe_dump(survey.config, allow_unicode=True, sort_keys=False),
                                              encoding="utf-8")
    log = demo.make_complaints(3000, seed=seed, start="2026-09-01", weeks=13)
    log.drop(columns=["category", "request_type", "dangerous", "threat", "incident_true"]).to_csv(
        inbox / "complaints" / "complaint_log.csv", index=False, encoding="utf-8-sig")
    return inbox


@flow(name="main-job")
def main_job(root: str = "demo_output", seed: int = 0) -> dict:
    base = Path(root)
    inbox = write_demo_inbox(base, seed)
    store = base / "data" / "store"
    config = str(inbox / "survey_config.yaml")
    ingest_flow(str(inbox), str(store), config)
    surveys = pd.read_parquet(store / "surveys.parquet")
    complaints = pd.read_parquet(store / "complaints.parquet")
    last_week = pd.to_datetime(surveys["submitted_at"]).max().to_period("W-SUN").start_time.strftime("%Y-%m-%d")
    last_month = pd.to_datetime(complaints["created_at"]).max().to_period("M").start_time.strftime("%Y-%m")
    reports = str(base / "reports")
    weekly = weekly_satisfaction_flow(last_week, str(store), config, reports)
    monthly = monthly_complaints_flow(last_month, str(store), reports)
    return {"weekly": weekly["html"], "monthly": monthly["html"]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="demo_output")
    args = parser.parse_args()
    result = main_job(args.root)
    print("HTML reports:")
    for name, html in result.items():
        print(f"  {name}: {Path(html).resolve()}")
