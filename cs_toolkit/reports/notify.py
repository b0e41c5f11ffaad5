"""Tell people when a report is published or has failed: the headline figures, the period and where the
report is, through apprise (WeCom ``wecombot://``, DingTalk ``dingtalk://``, e-mail ``mailto://``, or any
URL apprise accepts). Configured by the settings' ``notify`` list. A failed notification is logged and
never fails the report.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from cs_toolkit.reports.i18n import t
from cs_toolkit.reports.redact import Redactor

log = logging.getLogger(__name__)
HEADLINE_FILE = "headline.json"


def published_message(report_title: str, period_label: str, folder: Path, language: str = "zh") -> tuple[str, str]:
    """Title and body announcing a published report, with its headline figures (from ``headline.json``)."""
    lines = []
    headline = Path(folder) / HEADLINE_FILE
    if headline.exists():
        for card in json.loads(headline.read_text(encoding="utf-8")):
            detail = "；".join(d for d in card.get("details", []) if d) if language == "zh" else \
                "; ".join(d for d in card.get("details", []) if d)
            lines.append(f"- {card['label']}: {card['value']}" + (f"（{detail}）" if language == "zh" and detail
                                                                    else f" ({detail})" if detail else ""))
    where = next(iter(sorted(Path(folder).glob("*.html"))), Path(folder))
    title = f"{report_title} · {period_label}" + (" 已发布" if language == "zh" else " published")
    body = "\n".join([*lines, ("报告：" if language == "zh" else "Report: ") + str(where)])
    return title, body


def failed_message(report_title: str, period_label: str, reason: str, language: str = "zh") -> tuple[str, str]:
    title = f"{report_title} · {period_label}" + (" 生成失败" if language == "zh" else " FAILED")
    body = (("原因：" if language == "zh" else "Reason: ") + reason + "\n"
            + ("上一期正常报告保持不变。" if language == "zh" else "The last good report is unchanged."))
    return title, body


def send(urls: Sequence[str], title: str, body: str) -> bool:
    """Send a message to every URL; returns whether all were delivered. Never raises.

    Personal data is removed from the message first (a failure reason may quote a complaint).

    Examples
    --------
    >>> send([], "t", "b")
    True
    """
    if not urls:
        return True
    redactor = Redactor()
    try:
        import apprise

        sender = apprise.Apprise()
        for url in urls:
            if not sender.add(url):
                log.warning("notification URL not understood by apprise: %s", url.split("://")[0] + "://...")
        ok = bool(sender.notify(title=redactor.redact(title), body=redactor.redact(body)))
    except Exception as exc:  # a notification must never fail the report
        log.warning("notification failed: %s: %s", type(exc).__name__, exc)
        return False
    if not ok:
        log.warning("notification not delivered to every target")
    return ok


def headline_cards(cards) -> list[dict]:
    """Cards as plain records for ``headline.json``."""
    return [{"label": c.label, "value": c.value, "details": [d for d in c.details if d], "status": c.status}
            for c in cards]


__all__ = ["HEADLINE_FILE", "failed_message", "headline_cards", "published_message", "send", "t"]
