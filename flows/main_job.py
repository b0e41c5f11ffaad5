"""The main job on demo data: write demo exports into the inbox, ingest them into the store, then run
the weekly satisfaction report and the monthly complaint review for the latest week and month in the
data, all as Prefect flow runs. ``cs-toolkit demo --out DIR`` runs it in Prefect's ephemeral mode."""

from __future__ import annotations

from prefect import flow

from cs_toolkit import demo
from cs_toolkit.flows.report_flows import ingest_flow, monthly_complaints_flow, weekly_satisfaction_flow
from cs_toolkit.periods import month, week
from cs_toolkit.settings import load_settings
from cs_toolkit.store import Store
from cs_toolkit.survey.reader import as_config


@flow(name="main-job")
def main_job(root: str = "demo_output", seed: int = 0) -> dict:
    demo.write_demo_settings(root)
    settings = load_settings(root=root)
    demo.write_demo_inbox(settings.inbox, settings.survey_config, seed=seed)
    root = str(settings.root)
    ingest_flow(root)
    store = Store(settings.store_url)
    when = as_config(settings.survey_config).period_column
    latest = store.sql(f'SELECT max("{when}") AS t FROM surveys')["t"].iloc[0]
    latest_complaint = store.sql("SELECT max(created_at) AS t FROM complaints")["t"].iloc[0]
    weekly = weekly_satisfaction_flow(week(latest).label, root)
    monthly = monthly_complaints_flow(month(latest_complaint).label, root)
    return {"weekly": weekly["html"], "monthly": monthly["html"]}
