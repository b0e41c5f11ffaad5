"""Prefect flows: ingest exports, run report notebooks, publish them. Orchestration only: every step
is a cs_toolkit call. Runs in Prefect's ephemeral mode locally; the same flows deploy to a server."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from cs_toolkit.reports import ReportFailed, run_report
from cs_toolkit.reports.store import ingest


def _not_a_report_failure(task, task_run, state) -> bool:
    """Retry transient faults (a kernel that would not start, a busy file), not a report that fails."""
    try:
        state.result()
    except ReportFailed:
        return False
    except Exception:
        return True
    return False


@task(name="ingest-inbox", retries=2, retry_delay_seconds=2)
def ingest_task(inbox: str, store: str, survey_config: str) -> list[dict]:
    summary = ingest(inbox, store, survey_config)
    return summary.files


@task(name="run-report", retries=1, retry_delay_seconds=2, retry_condition_fn=_not_a_report_failure)
def report_task(name: str, period: str, parameters: dict, reports_dir: str, redact_names: list[str],
                timeout: int = 600) -> dict:
    result = run_report(name, period, parameters=parameters, reports_dir=reports_dir, redact_names=redact_names,
                        data_files=[Path(p) for p in parameters.values() if isinstance(p, str) and Path(p).is_file()],
                        timeout=timeout)
    return {"html": str(result.html), "notebook": str(result.notebook), "folder": str(result.folder),
            "duration": result.metadata["duration_seconds"]}


TIMEZONE = os.environ.get("CS_TOOLKIT_TIMEZONE", "Asia/Shanghai")


def last_complete_week(timezone: str = TIMEZONE) -> str:
    """Monday of the last complete week in ``timezone`` (what a Monday-morning run reports on)."""
    today = pd.Timestamp.now(tz=timezone).tz_localize(None).normalize()
    return (today.to_period("W-SUN").start_time - pd.Timedelta(days=7)).strftime("%Y-%m-%d")


def last_complete_month(timezone: str = TIMEZONE) -> str:
    today = pd.Timestamp.now(tz=timezone).tz_localize(None)
    return (today.to_period("M") - 1).strftime("%Y-%m")


def _customer_names(store: str) -> list[str]:
    path = Path(store) / "complaints.parquet"
    if path.exists():
        frame = pd.read_parquet(path, columns=None)
        if "customer_name" in frame:
            return sorted(set(frame["customer_name"].dropna().astype(str)))
    return []


@flow(name="ingest", flow_run_name="ingest-{inbox}")
def ingest_flow(inbox: str = "data/inbox", store: str = "data/store",
                survey_config: str = "data/inbox/survey_config.yaml") -> list[dict]:
    files = ingest_task(inbox, store, survey_config)
    lines = ["| file | status | kept | rejected | added |", "|---|---|---|---|---|"]
    lines += [f"| {f['file']} | {f['status']} | {f.get('kept', '')} | {f.get('rejected', '')} | {f.get('added', '')} |"
              for f in files]
    create_markdown_artifact("\n".join(lines), key="ingest-summary", description="Files ingested")
    return files


@flow(name="weekly-satisfaction", flow_run_name="weekly-satisfaction-{period}")
def weekly_satisfaction_flow(period: str | None = None, store: str = "data/store",
                             survey_config: str = "data/inbox/survey_config.yaml",
                             reports_dir: str = "reports", project: str | None = None) -> dict:
    period = period or last_complete_week()
    params = {"store": str(Path(store).resolve()), "config": str(Path(survey_config).resolve()), "project": project}
    out = report_task("weekly_satisfaction", period, params, reports_dir, _customer_names(store))
    create_markdown_artifact(f"Weekly satisfaction report for {period}: [{out['html']}]({out['html']}) "
                             f"({out['duration']} s)", key="weekly-satisfaction-report")
    get_run_logger().info("published %s", out["html"])
    return out


@flow(name="monthly-complaints", flow_run_name="monthly-complaints-{period}")
def monthly_complaints_flow(period: str | None = None, store: str = "data/store", reports_dir: str = "reports",
                            model: str | None = None, sla_hours: float = 24.0) -> dict:
    period = period or last_complete_month()
    params = {"store": str(Path(store).resolve()), "model": model, "sla_hours": sla_hours}
    out = report_task("monthly_complaints", period, params, reports_dir, _customer_names(store))
    create_markdown_artifact(f"Monthly complaint review for {period}: [{out['html']}]({out['html']}) "
                             f"({out['duration']} s)", key="monthly-complaints-report")
    return out
