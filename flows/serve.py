"""Serve the scheduled deployments locally (Prefect ``serve``): ingest hourly, the weekly satisfaction
report on Monday 08:00 and the monthly complaint review on the 1st at 08:00, in the configured timezone
(``CS_TOOLKIT_TIMEZONE``, default Asia/Shanghai). Teams with a Prefect server and workers use
``prefect.yaml`` instead; the flows are the same.

    python flows/serve.py [--timezone Asia/Shanghai] [--root .]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prefect import serve  # noqa: E402
from prefect.schedules import Cron  # noqa: E402
from report_flows import TIMEZONE, ingest_flow, monthly_complaints_flow, weekly_satisfaction_flow  # noqa: E402


def deployments(root: Path, timezone: str = TIMEZONE) -> list:
    data = root / "data"
    store, inbox, reports = str(data / "store"), str(data / "inbox"), str(root / "reports")
    config = str(data / "inbox" / "survey_config.yaml")
    return [
        ingest_flow.to_deployment(name="ingest-hourly", schedules=[Cron("5 * * * *", timezone=timezone)],
                                  parameters={"inbox": inbox, "store": store, "survey_config": config}),
        weekly_satisfaction_flow.to_deployment(
            name="weekly-satisfaction", schedules=[Cron("0 8 * * 1", timezone=timezone)],
            parameters={"store": store, "survey_config": config, "reports_dir": reports}),
        monthly_complaints_flow.to_deployment(
            name="monthly-complaints", schedules=[Cron("0 8 1 * *", timezone=timezone)],
            parameters={"store": store, "reports_dir": reports}),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--timezone", default=TIMEZONE)
    parser.add_argument("--root", default=".")
    args = parser.parse_args()
    serve(*deployments(Path(args.root).resolve(), args.timezone))
