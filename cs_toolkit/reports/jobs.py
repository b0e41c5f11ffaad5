"""Run a registered report with the application's settings: what ``cs-toolkit report run``, the Prefect
flows and the main job call."""

from __future__ import annotations

import logging
from pathlib import Path

from cs_toolkit.errors import ReportFailed
from cs_toolkit.reports import i18n, notify
from cs_toolkit.reports.redact import NAME_COLUMNS
from cs_toolkit.reports.registry import get_report
from cs_toolkit.reports.runner import ReportResult, run_report
from cs_toolkit.settings import Settings, load_settings
from cs_toolkit.store import Store

log = logging.getLogger(__name__)


def template_parameters(name: str, period: str, settings: Settings) -> dict:
    """The parameters a report template gets: its period, the store, language, timezone and the settings
    its spec names. Paths are absolute, so the kernel's working folder does not matter."""
    spec = get_report(name)
    params = {"period": period, "root": str(settings.root), "store": settings.store_url,
              "language": settings.language, "timezone": settings.timezone}
    for key in spec.settings:
        value = getattr(settings, key)
        params[key] = str(value) if isinstance(value, Path) else value
    return params


def customer_names(store: Store) -> list[str]:
    """Names in every name column of the store's survey and complaint tables, for redaction of every
    shared output (survey respondents included)."""
    names: set[str] = set()
    for table in ("complaints", "surveys"):
        if table not in store.tables():
            continue
        columns = store.sql(f"SELECT * FROM {table} LIMIT 0").columns
        for column in [c for c in columns if c in NAME_COLUMNS]:
            found = store.sql(f'SELECT DISTINCT "{column}" AS n FROM {table} WHERE "{column}" IS NOT NULL')
            names |= set(found["n"].astype(str))
    return sorted(names)


def run_registered_report(name: str, period: str | None = None, settings: Settings | None = None) -> ReportResult:
    """Run report ``name`` for ``period`` (default: the last complete one) and publish it.

    Examples
    --------
    >>> run_registered_report("no_such_report")
    Traceback (most recent call last):
    ...
    cs_toolkit.errors.ConfigError: no report named 'no_such_report'; reports: ['monthly_complaints', 'weekly_satisfaction']
    """
    spec = get_report(name)
    settings = settings or load_settings()
    resolved = spec.resolve_period(period, settings.timezone)
    store = Store(settings.store_url)
    log.info("running %s for %s (store %s)", name, resolved.label, store)
    title = spec.title.get(settings.language, spec.title["en"])
    label = period_label(spec.frequency, resolved, settings.language)
    try:
        result = run_report(name, resolved.label, parameters=template_parameters(name, resolved.label, settings),
                            reports_dir=settings.reports, redact_names=customer_names(store),
                            timeout=settings.cell_timeout, pdf=settings.pdf)
    except ReportFailed as exc:
        notify.send(settings.notify, *notify.failed_message(title, label, exc.reason or str(exc), settings.language))
        raise
    notify.send(settings.notify, *notify.published_message(title, label, result.folder, settings.language))
    return result


def period_label(frequency: str, period, language: str) -> str:
    """``2026年第47周（11月16日–22日）`` or ``2026年11月``."""
    return i18n.week_label(period, language) if frequency == "week" else i18n.month_label(period, language)
