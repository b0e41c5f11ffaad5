"""How the weekly satisfaction report shows its content: one function per section, each returning what
the template displays (headings, cards, tables, charts) in the report language."""

from __future__ import annotations

from IPython.display import Markdown

from cs_toolkit.reports import charts, i18n
from cs_toolkit.reports.builder import PALETTE, Card, ReportBuilder
from cs_toolkit.reports.weekly import WeeklyContent


def _fmt(value, key: str, lang: str) -> str:
    if key == "csat":
        return i18n.number(value, lang, 2)
    if key in ("csat_top2", "call_response_rate"):
        return i18n.percent(value, lang)
    if key == "responses":
        return i18n.count(value, lang)
    return i18n.number(value, lang, 1)


def title(content: WeeklyContent, page: ReportBuilder, survey: str = "") -> list:
    period = i18n.week_label(content.period, page.language)
    return [page.style(), Markdown(f"# {page.t('weekly_title')} · {period}" + (f"\n\n{survey}" if survey else ""))]


def _status(key: str, value: float, targets: dict) -> str | None:
    """green at or above the target, amber within 5 points (NPS, %) or 0.1 (CSAT) below it, red beyond."""
    target = targets.get(key)
    if target is None or value != value:
        return None
    margin = 0.1 if key == "csat" else 5.0
    return "green" if value >= target else "amber" if value >= target - margin else "red"


def headline(content: WeeklyContent, page: ReportBuilder, targets: dict | None = None) -> list:
    lang = page.language
    cards = []
    targets = targets or {}
    for h in content.headlines:
        unit = "%" if h.key in ("csat_top2", "call_response_rate") else ""
        decimals = 2 if h.key == "csat" else 1
        details = []
        if h.ci_low == h.ci_low:  # not NaN
            details.append(f"{page.t('ci')} {_fmt(h.ci_low, h.key, lang)} – {_fmt(h.ci_high, h.key, lang)} · n={h.n}")
        details += [f"{page.t(key)} {i18n.percent(value, lang)}" for key, value in h.details]
        details.append(f"{page.t('vs_last')} {i18n.change(h.change_last, h.significant_last, lang, unit, decimals)}")
        details.append(f"{page.t('vs_average')} {i18n.change(h.change_average, h.significant_average, lang, unit, decimals)}")
        status = _status(h.key, h.estimate, targets)
        if status is not None:
            details.append(f"{page.t('target')} {_fmt(targets[h.key], h.key, lang)}")
        cards.append(Card(page.t(h.key), _fmt(h.estimate, h.key, lang), details, status))
    test = content.test if page.language != "zh" else page.t("test_name")
    intro = page.t("headline_intro").replace("{test}", test or "-")
    return [Markdown(f"## {page.t('headline')}"), page.note(intro), page.cards(cards)]


def trend(content: WeeklyContent, page: ReportBuilder) -> list:
    lang = page.language
    out = [Markdown(f"## {page.t('trend')}"), page.note(page.t("trend_intro"))]
    for key in content.trend["measure"].unique() if len(content.trend) else []:
        rows = content.trend[content.trend["measure"] == key]
        labels = [i18n.short_week(w, lang) for w in rows["week"]]
        name = page.t(key)
        fig = charts.trend(labels, rows["estimate"], rows["ci_low"], rows["ci_high"],
                           page.t("trend_chart").format(measure=name), name)
        alt = page.t("alt_trend").format(measure=name, value=_fmt(rows["estimate"].iloc[-1], key, lang))
        out.append(page.figure(fig, alt))
    return out


def mix(content: WeeklyContent, page: ReportBuilder, segment_names: dict | None = None) -> list:
    out = [Markdown(f"## {page.t('mix')}"), page.note(page.t("mix_intro"))]
    names = segment_names or {}
    for segment, table in content.mix.items():
        seg_label = page.t(segment) if segment in i18n.LABELS else segment
        labels = [f"{names.get(v, v)} (n={n})" for v, n in zip(table["level"], table["n"], strict=True)]
        fig = charts.stacked_shares(labels, {page.t("promoters"): table["promoters"], page.t("passives"): table["passives"],
                                             page.t("detractors"): table["detractors"]},
                                    [PALETTE["good"], PALETTE["neutral"], PALETTE["bad"]], f"{page.t('mix')} · {seg_label}")
        out.append(page.figure(fig, page.t("alt_mix").format(segment=seg_label)))
    return out


def items(content: WeeklyContent, page: ReportBuilder, labels: dict | None = None) -> list:
    out = [Markdown(f"## {page.t('items')}"), page.note(page.t("items_intro"))]
    if content.items.empty:
        return [*out, page.note(page.t("no_data"))]
    table = content.items.copy()
    table["label"] = [(labels or {}).get(i, lab) for i, lab in zip(table["item"], table["label"], strict=True)]
    fig = charts.bars(list(table["label"]), table["score100"], page.t("items"), page.t("score100"))
    out.append(page.figure(fig, page.t("alt_items").format(item=table["label"].iloc[0])))
    out.append(page.table("items", table, {"label": ("item", "text"), "score100": ("score100", "number"),
                                           "mean": ("mean", "number2"), "top2": ("top2", "percent"), "n": ("n", "int")}))
    return out


def return_visits(content: WeeklyContent, page: ReportBuilder) -> list:
    out = [Markdown(f"## {page.t('return_visits')}"), page.note(page.t("visits_intro"))]
    if content.return_visits.empty:
        return [*out, page.note(page.t("no_data"))]
    table = content.return_visits.copy()
    lang = page.language
    fmt = lambda v, unit: i18n.percent(v, lang) if unit == "%" else i18n.number(v, lang, 2)  # noqa: E731
    table["value"] = [fmt(v, u) for v, u in zip(table["estimate"], table["unit"], strict=True)]
    table["interval"] = [f"{fmt(lo, u)} – {fmt(hi, u)}" for lo, hi, u in
                         zip(table["ci_low"], table["ci_high"], table["unit"], strict=True)]
    return [*out, page.table("return_visits", table, {"measure": ("measure", "text"), "value": ("estimate", "change"),
                                                      "interval": ("ci", "change"), "n": ("n", "int")})]


def verbatims(content: WeeklyContent, page: ReportBuilder, limit: int = 15, names: dict | None = None) -> list:
    out = [Markdown(f"## {page.t('verbatims')}"), page.note(page.t("verbatims_intro"))]
    if content.verbatims.empty:
        return [*out, page.note(page.t("no_data"))]
    table = content.verbatims.head(limit).copy()
    table["segment"] = table["segment"].map(lambda v: (names or {}).get(v, v))
    return [*out, page.table("verbatims", table, {"score": ("score", "int"), "segment": ("project", "text"),
                                                  "comment": ("comment", "text")})]


def follow_up(content: WeeklyContent, page: ReportBuilder, names: dict | None = None) -> list:
    n = len(content.follow_up)
    out = [Markdown(f"## {page.t('follow_up')}"), page.note(page.t("follow_up_intro").replace("{n}", str(n)))]
    if n:
        counts = content.follow_up_counts.copy()
        counts["level"] = counts["level"].map(lambda v: (names or {}).get(v, v))
        out.append(page.table("follow_up", counts, {"level": ("project", "text"), "count": ("count", "int")}))
    return out


def drivers(content: WeeklyContent, page: ReportBuilder) -> list:
    """Key drivers of overall satisfaction and the 四分图 (importance–performance map)."""
    from cs_toolkit.satisfaction.charts import quadrant_chart

    out = [Markdown(f"## {page.t('drivers')}"), page.note(page.t("drivers_intro"))]
    table = content.drivers
    if table.empty or "error" in table:
        return [*out, page.note(page.t("no_data") + (f" ({table['error'].iloc[0]})" if "error" in table else ""))]
    if content.drivers_scope == "window":
        from cs_toolkit.reports.weekly import MIN_DRIVER_N

        out.append(page.note(page.t("drivers_scope_window").replace("{n}", str(MIN_DRIVER_N))))
    out.append(page.note(page.t("drivers_r2").replace("{r2}", i18n.percent(100 * table["r2"].iloc[0], page.language))
                         .replace("{n}", str(int(table["n"].iloc[0])))))
    shown = table.assign(quadrant_shown=table["quadrant"] if page.language == "zh" else table["quadrant_en"],
                         share_pct=100 * table["share"]).sort_values("share", ascending=False)
    act_first = ", ".join(shown.loc[shown["quadrant"] == "优先改进区", "label"]) or "—"
    fig = quadrant_chart(table.assign(driver=table["label"]), title=page.t("drivers"),
                         x_label=page.t("importance_share"), y_label=page.t("performance100"))
    out.append(page.figure(fig, page.t("alt_quadrant").format(items=act_first)))
    out.append(page.table("drivers", shown, {"label": ("item", "text"), "share_pct": ("importance_share", "percent"),
                                             "performance_100": ("performance100", "number"),
                                             "quadrant_shown": ("quadrant", "text")}))
    return out
