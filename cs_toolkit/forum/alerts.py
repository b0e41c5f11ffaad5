"""Alerts for the forum watch: a notification when a project's post volume spikes or a safety (P1) post appears.

:func:`forum_alerts` lists the alerts of a recent window; :func:`send_forum_alerts` sends each one once
through :func:`cs_toolkit.reports.notify.send` (apprise: WeCom, DingTalk, e-mail...). With a store, what was
sent is recorded in its ``forum_alerts`` table (key, kind, sent time, delivered), so an hourly check never
repeats an alert and retries one that was not delivered. Messages are redacted by ``send`` (no phone numbers,
e-mails or ID numbers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

ALERTS_TABLE = "forum_alerts"
EXCERPT_CHARS = 120


@dataclass(frozen=True)
class Alert:
    """One alert: ``key`` identifies it (``spike:P03:2026-11-15``, ``p1:<post key>``)."""

    key: str
    kind: str  # "spike" or "p1"
    project: str
    at: pd.Timestamp
    title: str
    body: str


def forum_alerts(analysed: pd.DataFrame, spikes: pd.DataFrame | None = None, *, since=None,
                 names: Mapping[str, str] | None = None, language: str = "zh",
                 rule: str = "poisson") -> list[Alert]:
    """The alerts of posts and spike days at or after ``since`` (default: all).

    Parameters
    ----------
    analysed : DataFrame
        Posts from :func:`cs_toolkit.forum.analyse_posts` (``post_key`` or ``post_id``, ``posted_at``,
        ``escalation_level``...). Every P1 post alerts, whether or not it names a project.
    spikes : DataFrame, optional
        :func:`cs_toolkit.forum.volume_spikes` output; its spike days alert.
    names : mapping
        Project id -> display name.
    """
    from cs_toolkit.forum.spikes import SPIKE_RULE, SPIKE_RULE_ZH

    zh = language == "zh"
    names = dict(names or {})
    since = pd.Timestamp(since) if since is not None else None
    alerts: list[Alert] = []
    if spikes is not None and len(spikes):
        flagged = spikes[spikes["spike"].astype(bool)]
        if since is not None:
            flagged = flagged[pd.to_datetime(flagged["date"]) >= since.normalize()]
        for rec in flagged.to_dict("records"):
            day = pd.Timestamp(rec["date"])
            name = names.get(rec["group"], rec["group"])
            title = (f"舆情预警：{name} {day:%Y-%m-%d} 帖子量异常（{rec['count']} 条）" if zh else
                     f"Forum alert: {name} post volume spike on {day:%Y-%m-%d} ({rec['count']} posts)")
            base = rec.get("baseline")
            limit = rec.get("upper_limit")
            body = (f"{name} 当日相关帖子 {rec['count']} 条，基线 {base:.1f} 条，上限 {limit:.1f} 条。\n规则：{SPIKE_RULE_ZH[rule]}"
                    if zh else f"{name}: {rec['count']} posts that day against a baseline of {base:.1f} (limit "
                               f"{limit:.1f}).\nRule: {SPIKE_RULE[rule]}")
            alerts.append(Alert(f"spike:{rec['group']}:{day:%Y-%m-%d}", "spike", str(rec["group"]), day, title, body))
    level = analysed["escalation_level"].fillna("") if "escalation_level" in analysed else pd.Series(dtype=str)
    p1 = analysed[level == "P1"]
    if since is not None and len(p1):
        p1 = p1[pd.to_datetime(p1["posted_at"]) >= since]
    key_column = "post_key" if "post_key" in p1.columns else "post_id"
    for rec in p1.to_dict("records"):
        at = pd.Timestamp(rec["posted_at"])
        name = rec.get("project_name") or names.get(rec.get("project", ""), "") or ("未匹配项目" if zh else "no project")
        text = " ".join(str(rec.get("content") or rec.get("text") or "").split())
        text = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
        title = (f"舆情预警（P1 安全）：{name}" if zh else f"Forum alert (P1 safety): {name}")
        body = "\n".join(x for x in [
            f"{at:%Y-%m-%d %H:%M} · {rec.get('source', '')}",
            text,
            ("原因：" if zh else "Reason: ") + str(rec.get("escalation_reason", "")),
            str(rec.get("url", "") or ""),
        ] if x)
        alerts.append(Alert(f"p1:{rec[key_column]}", "p1", str(rec.get("project", "")), at, title, body))
    return sorted(alerts, key=lambda a: (a.kind != "p1", a.at))


def send_forum_alerts(alerts: Sequence[Alert], urls: Sequence[str], *, store=None) -> pd.DataFrame:
    """Send each alert not sent before; returns one row per alert: key, kind, status (sent, not delivered,
    already sent).

    Without ``urls`` nothing is sent (status ``no targets``) and nothing is recorded.
    """
    from cs_toolkit.reports.notify import send

    done: set[str] = set()
    if store is not None and ALERTS_TABLE in store.tables():
        sent = store.read(ALERTS_TABLE)
        done = set(sent.loc[sent["delivered"].astype(bool), "key"])
    rows, records = [], []
    now = pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    for alert in alerts:
        if alert.key in done:
            rows.append({"key": alert.key, "kind": alert.kind, "status": "already sent"})
            continue
        if not urls:
            rows.append({"key": alert.key, "kind": alert.kind, "status": "no targets"})
            continue
        ok = send(urls, alert.title, alert.body)
        rows.append({"key": alert.key, "kind": alert.kind, "status": "sent" if ok else "not delivered"})
        records.append({"key": alert.key, "kind": alert.kind, "project": alert.project, "at": alert.at,
                        "title": alert.title, "sent_at": now, "delivered": bool(ok)})
    if store is not None and records:
        store.upsert(ALERTS_TABLE, pd.DataFrame(records), "key", "sent_at")
    return pd.DataFrame(rows, columns=["key", "kind", "status"])


def check_forum(store, *, projects: Mapping[str, str] | None = None, aliases=None, urls: Sequence[str] = (),
                model=None, taxonomy=None, days: int = 2, now=None, language: str = "zh",
                rule: str = "poisson") -> tuple[list[Alert], pd.DataFrame]:
    """Read the store's posts of the last ``days`` days (and the baseline days before them), find spikes and
    P1 posts of those days and send the alerts not sent before. Returns the alerts and the send statuses.

    This is the hourly job: ``cs-toolkit forum check``.
    """
    from cs_toolkit.errors import StoreError
    from cs_toolkit.forum.analyse import analyse_posts
    from cs_toolkit.forum.monthly import BASELINE_DAYS
    from cs_toolkit.forum.spikes import volume_spikes

    if "posts" not in store.tables():
        raise StoreError(f"{store}: no posts in the store; drop post exports in the inbox's posts/ folder and "
                         f"run cs-toolkit ingest", table="posts")
    now = pd.Timestamp(now) if now is not None else pd.Timestamp.now()
    since = (now - pd.Timedelta(days=days)).normalize()
    start = since - pd.Timedelta(days=BASELINE_DAYS)
    posts = store.read("posts", period=(start, now + pd.Timedelta(days=1)))
    if posts.empty:
        return [], pd.DataFrame(columns=["key", "kind", "status"])
    analysed = analyse_posts(posts, projects=projects, aliases=aliases, model=model, taxonomy=taxonomy,
                             language=language)
    spikes = volume_spikes(analysed, start=start, end=now.normalize() + pd.Timedelta(days=1), rule=rule)
    alerts = forum_alerts(analysed, spikes, since=since, names=projects, language=language, rule=rule)
    return alerts, send_forum_alerts(alerts, urls, store=store)


__all__ = ["ALERTS_TABLE", "Alert", "check_forum", "forum_alerts", "send_forum_alerts"]
