"""How the monthly complaint review shows its content: one function per section, each returning what the
template displays, in the report language."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from cs_toolkit.reports import charts, i18n
from cs_toolkit.reports.builder import Card, ReportBuilder
from cs_toolkit.reports.monthly import MonthlyContent


def title(content: MonthlyContent, page: ReportBuilder) -> list:
    return [page.style(), Markdown(f"# {page.t('monthly_title')} · {i18n.month_label(content.period, page.language)}")]


def headline(content: MonthlyContent, page: ReportBuilder) -> list:
    lang = page.language
    cards = []
    for _, row in content.headline.iterrows():
        is_count = row["unit"] == "count"
        value = i18n.count(row["value"], lang) if is_count else i18n.percent(row["value"], lang)
        details = []
        if row["measure"] == "complaints":
            details.append(f"{page.t('vs_last_month')} {i18n.change(row['change'], row['significant'], lang, '%')}")
            if not pd.isna(row.get("last_year")):
                details.append(f"{page.t('vs_last_year')} {i18n.change(row['change_year'], row['significant_year'], lang, '%')}")
            else:
                details.append(page.t("no_last_year"))
        elif not pd.isna(row["previous"]):
            delta = row["value"] - row["previous"]
            details.append(f"{page.t('vs_last_month')} {i18n.change(delta, None, lang, '' if is_count else ' pp')}")
        if not pd.isna(row.get("target")) and row.get("target") is not None:
            details.append(f"{page.t('target')} {i18n.percent(row['target'], lang)} · {page.t(_status_key(row['status']))}")
        status = row.get("status")
        cards.append(Card(page.t(row["measure"]), value, details, status if isinstance(status, str) else None))
    return [Markdown(f"## {page.t('headline')}"), page.note(page.t("monthly_headline_intro")), page.cards(cards)]


def _status_key(status) -> str:
    return {"green": "on_target", "amber": "near_target", "red": "off_target"}.get(status, "status")


def trend(content: MonthlyContent, page: ReportBuilder) -> list:
    lang = page.language
    out = [Markdown(f"## {page.t('trend')}"), page.note(page.t("monthly_trend_intro"))]
    short = next((n for n in content.notes if n.startswith("trend_short:")), None)
    if short:
        out.append(page.note(page.t("trend_short").replace("{k}", short.split(":")[1])))
    labels = [i18n.month_label(m, lang) for m in content.trend["month"]]
    fig = charts.columns(labels, content.trend["complaints"], page.t("volume"), page.t("complaints"))
    out.append(page.figure(fig, page.t("alt_volume").format(n=i18n.count(content.trend["complaints"].iloc[-1], lang))))
    return out


def categories(content: MonthlyContent, page: ReportBuilder, top: int = 15) -> list:
    out = [Markdown(f"## {page.t('categories')}"), page.note(page.t("categories_intro"))]
    cats = content.categories.head(top)
    fig = charts.pareto(list(cats["category"]), cats["count"], page.t("categories"), page.t("count"),
                        page.t("cumulative"))
    out.append(page.figure(fig, page.t("alt_pareto").format(top=cats["category"].iloc[0])))
    out.append(page.table("categories", content.categories, {"category": ("category", "text"),
                                                             "count": ("count", "int"), "share": ("share", "percent"),
                                                             "cumulative": ("cumulative", "percent")}))
    if not content.heatmap.empty:
        out.append(page.figure(charts.heatmap(content.heatmap, f"{page.t('project')} × {page.t('category')}"),
                               page.t("alt_heatmap")))
    return out


def service(content: MonthlyContent, page: ReportBuilder) -> list:
    lang = page.language
    out = [Markdown(f"## {page.t('service_levels')}"), page.note(page.t("service_intro"))]
    table = content.service.copy()
    table["label"] = table["measure"].map(page.t)
    table["shown"] = [i18n.percent(v, lang) if u == "%" else i18n.number(v, lang, 1)
                      for v, u in zip(table["value"], table["unit"], strict=True)]
    table["goal"] = [i18n.percent(t, lang) if t is not None and not pd.isna(t) else "" for t in table["target"]]
    table["state"] = [page.t(_status_key(s)) if isinstance(s, str) else "" for s in table["status"]]
    out.append(page.table("service_levels", table, {"label": ("measure", "text"), "shown": ("value", "change"),
                                                    "goal": ("target", "change"), "state": ("status", "text")},
                          rag={"shown": list(table["status"]), "state": list(table["status"])}))
    out.append(page.figure(charts.bars(list(content.backlog["age_bucket"]), content.backlog["open"],
                                       f"{page.t('open')} · {page.t('age_bucket')}", page.t("count")),
                           page.t("alt_backlog")))
    out.append(page.table("backlog", content.backlog, {"age_bucket": ("age_bucket", "text"), "open": ("open", "int")}))
    return out


def escalations(content: MonthlyContent, page: ReportBuilder) -> list:
    out = [Markdown(f"## {page.t('escalations')}"), page.note(page.t("escalations_intro"))]
    if content.escalations.empty:
        return [*out, page.note(page.t("no_data"))]
    esc = content.escalations
    urgent = esc[esc["escalation_level"].isin(["P1", "P2"])]
    columns = {c: spec for c, spec in {"escalation_level": ("level", "text"), "created_at": ("created_at", "datetime"),
                                       "project": ("project", "text"), "category": ("category", "text"),
                                       "escalation_reason": ("reason", "text"), "text": ("text", "text")}.items()
               if c in esc.columns}
    out.append(page.table("escalations", urgent, columns, sheet=f"{page.t('escalations')} P1-P2"))
    p3 = content.escalation_summary[content.escalation_summary["level"] == "P3"]
    out.append(page.note(page.t("p3_summary").replace("{n}", str(int(p3["count"].sum())))))
    out.append(page.table("escalation_kind", p3, {"level": ("level", "text"), "kind": ("escalation_kind", "text"),
                                                  "count": ("count", "int")}))
    page.table("escalations_p3", esc[esc["escalation_level"] == "P3"], columns, sheet=f"{page.t('escalations')} P3")
    return out


def incidents(content: MonthlyContent, page: ReportBuilder, table: pd.DataFrame, timelines: dict[str, str]) -> list:
    out = [Markdown(f"## {page.t('incidents')}"), page.note(page.t("incidents_intro"))]
    if table.empty:
        return [*out, page.note(page.t("no_incidents"))]
    frame = table.copy()
    frame["timeline"] = frame["incident"].map(timelines).fillna("")
    frame["duration"] = (pd.to_datetime(frame["last"]) - pd.to_datetime(frame["first"])).map(
        lambda d: f"{d.total_seconds() / 3600:.0f} h")
    columns = {"incident": ("incidents", "text")}
    columns.update({c: (c, "text") for c in ("project", "building") if c in frame})
    columns.update({"first": ("first", "datetime"), "duration": ("duration", "text"), "size": ("size", "int"),
                    "timeline": ("timeline", "text"), "representative": ("representative", "text")})
    return [*out, page.table("incidents", frame, columns)]


def topics(content: MonthlyContent, page: ReportBuilder, table: pd.DataFrame) -> list:
    out = [Markdown(f"## {page.t('topics')}"), page.note(page.t("topics_intro"))]
    if table.empty:
        return [*out, page.note(page.t("few_topics"))]
    frame = table.copy()
    for column in ("top_terms", "examples"):
        frame[column] = frame[column].map(lambda v: "；".join(v) if isinstance(v, list | tuple) else str(v))
    return [*out, page.table("topics", frame, {"size": ("size", "int"), "top_terms": ("top_terms", "text"),
                                               "examples": ("examples", "text")})]


def inspection(content: MonthlyContent, page: ReportBuilder) -> list:
    out = [Markdown(f"## {page.t('inspection')}"), page.note(page.t("inspection_intro"))]
    if content.inspection.empty:
        return [*out, page.note(page.t("no_inspection"))]
    return [*out, page.table("inspection", content.inspection,
                             {"responsible": ("responsible", "text"), "count": ("count", "int"),
                              "sla_rate": ("sla_rate", "percent"), "closure_rate": ("closure_rate", "percent"),
                              "reopen_rate": ("reopen_rate", "percent"), "top_category": ("top_category", "text")})]


def forum(page: ReportBuilder, month) -> list:
    """The forum and web monitoring section (舆情) from :func:`cs_toolkit.forum.monthly_forum`."""
    out = [Markdown(f"## {page.t('forum')}")]
    if month is None or not month.summary.get("posts"):
        return [*out, page.note(page.t("no_posts"))]
    lang = page.language
    out.append(page.note(page.t("forum_intro").replace("{rule}", month.rule)))
    summary = month.summary
    out.append(page.cards([
        Card(page.t("forum_posts"), i18n.count(summary.get("about_projects", 0), lang)),
        Card(page.t("negative_share"), i18n.percent(100 * summary.get("negative_share", 0.0), lang)),
        Card(page.t("p1_posts"), i18n.count(summary.get("p1", 0), lang), status="red" if summary.get("p1") else None),
        Card(page.t("spikes"), i18n.count(summary.get("spikes", 0), lang),
             status="amber" if summary.get("spikes") else None),
    ], headline=False))
    if not month.volume.empty:
        daily = month.volume.sum(axis=1)
        labels = [f"{pd.Timestamp(d).month}/{pd.Timestamp(d).day}" for d in daily.index]
        out.append(page.figure(charts.columns(labels, daily.to_numpy(), page.t("forum_posts"), page.t("posts"),
                                              highlight_last=False), page.t("alt_forum")))
    out.append(page.table("forum_by_project", month.by_project,
                          {"project_name": ("project", "text"), "posts": ("posts", "int"),
                           "negative_share": ("negative_share", "share"), "p1": ("p1", "int"),
                           "spike_days": ("spikes", "int")}))
    if not month.spikes.empty:
        out.append(Markdown(f"### {page.t('spikes')}"))
        out.append(page.table("spikes", month.spikes, {"date": ("date", "date"), "project_name": ("project", "text"),
                                                       "count": ("posts", "int"), "baseline": ("baseline", "number"),
                                                       "upper_limit": ("upper_limit", "number")}))
    if not month.p1.empty:
        out.append(Markdown(f"### {page.t('p1_posts')}"))
        out.append(page.table("p1_posts", month.p1, {"posted_at": ("created_at", "datetime"),
                                                     "source": ("source", "text"), "project_name": ("project", "text"),
                                                     "excerpt": ("excerpt", "text"),
                                                     "escalation_reason": ("reason", "text")}))
    if not month.negative.empty:
        out.append(Markdown(f"### {page.t('negative_posts')}"))
        out.append(page.table("negative_posts", month.negative.head(10),
                              {"posted_at": ("created_at", "datetime"), "source": ("source", "text"),
                               "project_name": ("project", "text"), "excerpt": ("excerpt", "text")}))
    return out
