"""Prefect flows for the recurring jobs: ingest the inbox, and one flow per registered report.

Flows read the application's settings (``CS_TOOLKIT_*``, ``cs_toolkit.toml``); parameters override
them. A report flow's run name shows the period it reports on, resolved before the run starts
(the last complete week or month in the configured timezone when no period is given).
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from cs_toolkit.errors import CSToolkitError, ReportFailed
from cs_toolkit.reports.jobs import run_registered_report
from cs_toolkit.reports.registry import get_report
from cs_toolkit.settings import load_settings
from cs_toolkit.store import Store


def _not_a_report_failure(task, task_run, state) -> bool:
    """Retry transient faults (a kernel that would not start, a busy file), not a report that fails."""
    try:
        state.result()
    except (ReportFailed, CSToolkitError):
        return False
    except Exception:
        return True
    return False


@task(name="ingest-inbox", retries=2, retry_delay_seconds=2)
def ingest_task(root: str | None, inbox: str | None, store: str | None, survey_config: str | None) -> list[dict]:
    settings = load_settings(root=root, inbox=inbox, store=store, survey_config=survey_config)
    summary = Store(settings.store_url).ingest(settings.inbox, settings.survey_config, progress=False,
                                              timezone=settings.timezone)
    return [{k: (str(v) if k == "ingested_at" else v) for k, v in f.items()} for f in summary.files]


@task(name="run-report", retries=1, retry_delay_seconds=2, retry_condition_fn=_not_a_report_failure)
def report_task(name: str, period: str | None, root: str | None, store: str | None, reports_dir: str | None) -> dict:
    settings = load_settings(root=root, store=store, reports=reports_dir)
    result = run_registered_report(name, period, settings)
    return {"html": str(result.html), "notebook": str(result.notebook), "folder": str(result.folder),
            "period": result.period, "duration": result.metadata["duration_seconds"],
            "data_fingerprint": result.metadata["data_fingerprint"]}


@flow(name="ingest", flow_run_name="ingest")
def ingest_flow(root: str | None = None, inbox: str | None = None, store: str | None = None,
                survey_config: str | None = None) -> list[dict]:
    files = ingest_task(root, inbox, store, survey_config)
    lines = ["| file | status | kept | rejected | added | replaced |", "|---|---|---|---|---|---|"]
    lines += [f"| {f['file']} | {f['status']} | {f.get('kept')} | {f.get('rejected')} | {f.get('added')} | "
              f"{f.get('replaced')} |" for f in files]
    create_markdown_artifact("\n".join(lines), key="ingest-summary", description="Files ingested")
    return files


@flow(name="forum-check", flow_run_name="forum-check")
def forum_check_flow(root: str | None = None, store: str | None = None) -> int:
    """Alert (settings' ``notify``) on forum volume spikes and P1 safety posts of the last two days, once each."""
    from cs_toolkit.forum.alerts import check_forum

    settings = load_settings(root=root, store=store)
    store_ = Store(settings.store_url)
    if "posts" not in store_.tables():
        return 0
    alerts, _ = check_forum(store_, projects=settings.projects, aliases=settings.project_aliases,
                            urls=settings.notify, language=settings.language)
    get_run_logger().info("%d forum alert(s)", len(alerts))
    return len(alerts)


def _run_name(report: str):
    def name() -> str:
        params = flow_run.parameters
        try:
            timezone = load_settings(root=params.get("root")).timezone
            label = get_report(report).resolve_period(params.get("period"), timezone).label
        except CSToolkitError:
            label = f"invalid-period-{str(params.get('period'))[:20]}"  # the flow itself then fails with the reason
        return f"{report.replace('_', '-')}-{label}"

    return name


def _report_flow(report: str, period: str | None, root: str | None, store: str | None,
                 reports_dir: str | None) -> dict:
    out = report_task(report, period, root, store, reports_dir)
    create_markdown_artifact(f"{get_report(report).title['en']} for {out['period']}: [{out['html']}]({out['html']}) "
                             f"({out['duration']} s)", key=f"{report.replace('_', '-')}-report")
    get_run_logger().info("published %s", out["html"])
    return out


@flow(name="weekly-satisfaction", flow_run_name=_run_name("weekly_satisfaction"))
def weekly_satisfaction_flow(period: str | None = None, root: str | None = None, store: str | None = None,
                             reports_dir: str | None = None) -> dict:
    return _report_flow("weekly_satisfaction", period, root, store, reports_dir)


@flow(name="monthly-complaints", flow_run_name=_run_name("monthly_complaints"))
def monthly_complaints_flow(period: str | None = None, root: str | None = None, store: str | None = None,
                            reports_dir: str | None = None) -> dict:
    return _report_flow("monthly_complaints", period, root, store, reports_dir)
