"""Words and number formats of the reports, in Chinese (the default) and English.

Every heading, column, chart label and period label a report shows comes from :data:`LABELS` through
:func:`t`; numbers, percentages and dates are formatted for the locale (``81.2%``, ``1.2万``,
``2026年11月``, ``第47周（11月16日–22日）``).
"""

from __future__ import annotations

import math

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal

from cs_toolkit.periods import Period

LANGUAGES = ("zh", "en")
_LOCALE = {"zh": "zh_CN", "en": "en_GB"}

LABELS: dict[str, dict[str, str]] = {
    # report titles and sections
    "weekly_title": {"zh": "每周满意度报告", "en": "Weekly satisfaction report"},
    "monthly_title": {"zh": "月度投诉分析", "en": "Monthly complaint review"},
    "headline": {"zh": "本期要点", "en": "Headline"},
    "trend": {"zh": "趋势", "en": "Trend"},
    "mix": {"zh": "推荐者构成", "en": "Promoters, passives and detractors"},
    "items": {"zh": "得分最低的题项", "en": "Lowest-scoring items"},
    "drivers": {"zh": "关键驱动因素与四分图", "en": "Key drivers and the importance–performance map"},
    "return_visits": {"zh": "回访结果", "en": "Return visits"},
    "verbatims": {"zh": "客户原话", "en": "Verbatims"},
    "follow_up": {"zh": "贬损者回访跟进", "en": "Detractor follow-up"},
    "volume": {"zh": "投诉量", "en": "Volume"},
    "categories": {"zh": "投诉类别", "en": "Categories"},
    "service_levels": {"zh": "服务水平", "en": "Service levels"},
    "escalations": {"zh": "升级事件", "en": "Escalations"},
    "incidents": {"zh": "群诉事件", "en": "Group complaints"},
    "topics": {"zh": "新话题", "en": "New topics"},
    "inspection": {"zh": "质检视图", "en": "Quality inspection view"},
    "method": {"zh": "口径说明", "en": "Method"},
    # measures
    "nps": {"zh": "净推荐值 NPS", "en": "NPS"},
    "csat": {"zh": "满意度（满分5分）", "en": "CSAT (of 5)"},
    "csat_top2": {"zh": "满意率（4–5分）", "en": "Satisfied (4–5)"},
    "responses": {"zh": "回收样本", "en": "Responses"},
    "call_response_rate": {"zh": "回访成功率", "en": "Call response rate (RR1)"},
    "contact_rate": {"zh": "接通率", "en": "Contact rate"},
    "refusal_rate": {"zh": "拒访率", "en": "Refusal rate"},
    "response_rate": {"zh": "回收率", "en": "Response rate"},
    "complaints": {"zh": "投诉量", "en": "Complaints"},
    "sla_rate": {"zh": "24小时内首次响应率", "en": "First response within SLA"},
    "closure_rate": {"zh": "结案率", "en": "Closure rate"},
    "reopen_rate": {"zh": "重开率", "en": "Reopen rate"},
    "p1": {"zh": "P1 安全类升级", "en": "P1 safety escalations"},
    "promoters": {"zh": "推荐者", "en": "Promoters"},
    "passives": {"zh": "中立者", "en": "Passives"},
    "detractors": {"zh": "贬损者", "en": "Detractors"},
    # columns
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "ci": {"zh": "95%置信区间", "en": "95% CI"},
    "n": {"zh": "样本量", "en": "n"},
    "vs_last": {"zh": "较上期", "en": "vs last period"},
    "vs_average": {"zh": "较近13周均值", "en": "vs 13-week average"},
    "vs_last_month": {"zh": "较上月", "en": "vs last month"},
    "vs_last_year": {"zh": "较去年同月", "en": "vs same month last year"},
    "target": {"zh": "目标", "en": "Target"},
    "status": {"zh": "状态", "en": "Status"},
    "item": {"zh": "题项", "en": "Item"},
    "mean": {"zh": "均值", "en": "Mean"},
    "score100": {"zh": "得分（百分制）", "en": "Score (0–100)"},
    "top2": {"zh": "满意率", "en": "Top-2 box"},
    "project": {"zh": "项目", "en": "Project"},
    "touchpoint": {"zh": "服务触点", "en": "Touchpoint"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "category": {"zh": "类别", "en": "Category"},
    "count": {"zh": "件数", "en": "Count"},
    "share": {"zh": "占比", "en": "Share"},
    "cumulative": {"zh": "累计占比", "en": "Cumulative share"},
    "week": {"zh": "周", "en": "Week"},
    "month": {"zh": "月份", "en": "Month"},
    "level": {"zh": "级别", "en": "Level"},
    "reason": {"zh": "原因", "en": "Reason"},
    "created_at": {"zh": "受理时间", "en": "Received"},
    "text": {"zh": "投诉内容", "en": "Complaint"},
    "comment": {"zh": "客户评价", "en": "Comment"},
    "score": {"zh": "评分", "en": "Score"},
    "first": {"zh": "首次", "en": "First"},
    "last": {"zh": "最近", "en": "Last"},
    "size": {"zh": "件数", "en": "Complaints"},
    "customers": {"zh": "涉及客户", "en": "Customers"},
    "place": {"zh": "位置", "en": "Place"},
    "building": {"zh": "楼栋", "en": "Building"},
    "representative": {"zh": "代表性内容", "en": "Representative complaint"},
    "top_terms": {"zh": "关键词", "en": "Key terms"},
    "examples": {"zh": "示例", "en": "Examples"},
    "age_bucket": {"zh": "积压时长", "en": "Backlog age"},
    "open": {"zh": "未结案", "en": "Open"},
    "responsible": {"zh": "责任方", "en": "Responsible party"},
    "value": {"zh": "数值", "en": "Value"},
    "measure": {"zh": "指标", "en": "Measure"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "resolved": {"zh": "问题已解决", "en": "Issue resolved"},
    "test_name": {"zh": "基于抽样设计的检验，自由度按设计计算", "en": "design-based test"},
    "significant_up": {"zh": "显著上升", "en": "significant rise"},
    "significant_down": {"zh": "显著下降", "en": "significant fall"},
    "not_significant": {"zh": "变化不显著", "en": "no significant change"},
    "on_target": {"zh": "达标", "en": "on target"},
    "near_target": {"zh": "接近目标", "en": "near target"},
    "off_target": {"zh": "未达标", "en": "off target"},
    "no_data": {"zh": "本期没有数据。", "en": "No data for this period."},
    # one-line introductions under the section headings
    "headline_intro": {"zh": "本周净推荐值与满意度（95%置信区间）。▲/▼ 只标在经设计加权检验（{test}）显著的变化上。",
                       "en": "This week's NPS and satisfaction with 95% confidence intervals. ▲/▼ only where a "
                             "design-based test ({test}) says the change is significant."},
    "trend_intro": {"zh": "近13周走势，阴影为95%置信区间。", "en": "The last 13 weeks; the band is the 95% confidence interval."},
    "mix_intro": {"zh": "本周各项目、各服务触点的推荐者、中立者、贬损者占比（加权）。样本量小的组别波动较大。",
                  "en": "This week's promoters, passives and detractors by project and touchpoint (weighted). Small "
                        "groups move a lot."},
    "items_intro": {"zh": "本周各题项得分（百分制，反向题已转正），从低到高。",
                    "en": "This week's item scores on 0–100 (reverse-worded items reversed), lowest first."},
    "visits_intro": {"zh": "回访电话的问题解决率与省力度。", "en": "Return-visit results: resolution and effort."},
    "verbatims_intro": {"zh": "本周客户原话（已去除个人信息），按评分从低到高。",
                        "en": "This week's comments (personal data removed), lowest score first."},
    "follow_up_intro": {"zh": "本周需在48小时内回访的贬损者和非常不满意客户：共 {n} 位。联系方式只写入受限名单，不在本报告中。",
                        "en": "Detractors and very dissatisfied customers to call back within 48 hours: {n}. Their "
                              "contact details are only in the restricted list, not in this report."},
    "monthly_headline_intro": {"zh": "本月与上月、去年同月相比。投诉量变化用泊松检验判断，▲/▼ 只标在显著的变化上。",
                               "en": "This month against last month and the same month last year. Volume changes are "
                                     "tested as Poisson counts; ▲/▼ only where significant."},
    "monthly_trend_intro": {"zh": "近12个月投诉量。", "en": "Complaints over the last 12 months."},
    "categories_intro": {"zh": "本月投诉类别的帕累托图（前几类占多数）和项目×类别分布。",
                         "en": "A Pareto of this month's categories and their spread over projects."},
    "service_intro": {"zh": "服务水平对照目标：绿色达标，黄色接近，红色未达标。",
                      "en": "Service levels against targets: green met, amber close, red missed."},
    "escalations_intro": {"zh": "按优先级排列：P1 安全隐患（立即处理），P2 群诉/媒体/监管/法律，P3 重复投诉/响应超时。",
                          "en": "Ranked by priority: P1 safety (act now), P2 group, media, regulator or legal, "
                                "P3 repeat or overdue."},
    "incidents_intro": {"zh": "同一位置、相近时间、内容相似的多位客户投诉。", "en": "Several customers, one place, similar complaints, close in time."},
    "topics_intro": {"zh": "现有类别覆盖不好的投诉中浮现的话题，供考虑新增类别。",
                     "en": "Topics among complaints no category fits well: candidates for new categories."},
    "inspection_intro": {"zh": "按责任方统计的投诉量与服务水平（物业服务质量、工程保修）。",
                         "en": "Complaints and service levels by responsible party (property service, warranty)."},
    "drivers_intro": {"zh": "对总体满意度影响最大的题项（Shapley 值回归：各题项对 R² 的平均贡献），以及它们的得分。"
                           "四分图：右下“优先改进区”是重要但得分低的题项，最该先改。",
                      "en": "What drives overall satisfaction (Shapley value regression: each item's average share of "
                            "R²) against how each item scores. Bottom right, 'act first': important but weak."},
    "drivers_scope_window": {"zh": "本周完整答卷不足 {n} 份，驱动因素按近13周计算。",
                             "en": "Fewer than {n} complete answers this week: drivers use the last 13 weeks."},
    "drivers_r2": {"zh": "模型解释了总体满意度 {r2} 的变异（R²），样本量 {n}。", "en": "The model explains {r2} of the "
                   "variation in overall satisfaction (R²), n = {n}."},
    "importance_share": {"zh": "重要性（占R²）", "en": "Importance (share of R²)"},
    "performance100": {"zh": "表现（百分制）", "en": "Performance (0–100)"},
    "quadrant": {"zh": "四分图区域", "en": "Quadrant"},
    "alt_quadrant": {"zh": "四分图：横轴重要性，纵轴表现；优先改进区有 {items}", "en": "Importance-performance map; act first: {items}"},
    "forum": {"zh": "网络舆情", "en": "Forum and web monitoring"},
    "forum_intro": {"zh": "本月网络帖子中涉及各项目的声量、负面帖子和安全类帖子；声量突增按规则判断：{rule}",
                    "en": "This month's posts about our projects: volume, negative and safety posts. Spikes: {rule}"},
    "forum_posts": {"zh": "涉及项目的帖子", "en": "Posts about projects"},
    "negative_share": {"zh": "负面占比", "en": "Negative share"},
    "spikes": {"zh": "声量突增", "en": "Volume spikes"},
    "p1_posts": {"zh": "P1 安全类帖子", "en": "P1 safety posts"},
    "negative_posts": {"zh": "最负面的帖子", "en": "Most negative posts"},
    "posts": {"zh": "帖子数", "en": "Posts"},
    "negative": {"zh": "负面", "en": "Negative"},
    "source": {"zh": "来源", "en": "Source"},
    "title": {"zh": "标题", "en": "Title"},
    "excerpt": {"zh": "摘要", "en": "Excerpt"},
    "date": {"zh": "日期", "en": "Date"},
    "baseline": {"zh": "基线", "en": "Baseline"},
    "upper_limit": {"zh": "上限", "en": "Upper limit"},
    "no_posts": {"zh": "本月没有网络帖子数据。", "en": "No posts this month."},
    "alt_forum": {"zh": "各项目每日帖子数", "en": "Posts per day"},
    "no_last_year": {"zh": "数据中没有去年同月，无法同比。", "en": "The data has no same month last year."},
    "trend_short": {"zh": "数据只覆盖 {k} 个月。", "en": "The data covers {k} months only."},
    "no_incidents": {"zh": "本月没有群诉事件。", "en": "No group complaints this month."},
    "few_topics": {"zh": "本月未归类投诉太少，无法归纳新话题。", "en": "Too few unplaced complaints to find topics."},
    "no_inspection": {"zh": "数据中没有责任方字段。", "en": "The data does not say who is responsible."},
    "p3_summary": {"zh": "P3 共 {n} 件，按原因汇总如下；明细见 Excel。", "en": "{n} P3 escalations, summarised below; all in the Excel file."},
    "escalation_kind": {"zh": "原因类型", "en": "Reason"},
    "first_response_median_h": {"zh": "首次响应时长中位数（小时）", "en": "First response, median (hours)"},
    "first_response_p90_h": {"zh": "首次响应时长90分位（小时）", "en": "First response, 90th percentile (hours)"},
    "previous": {"zh": "上月", "en": "Last month"},
    "last_year": {"zh": "去年同月", "en": "Same month last year"},
    "duration": {"zh": "持续", "en": "Duration"},
    "timeline": {"zh": "时间线", "en": "Timeline"},
    "top_category": {"zh": "主要类别", "en": "Top category"},
    "call_back_by": {"zh": "回访截止", "en": "Call back by"},
    "trend_chart": {"zh": "{measure}近13周走势", "en": "{measure}, last 13 weeks"},
    "alt_trend": {"zh": "{measure}近13周折线图，最近一周为 {value}", "en": "{measure} over 13 weeks; latest {value}"},
    "alt_mix": {"zh": "按{segment}的推荐者、中立者、贬损者占比堆积条形图", "en": "Promoter mix by {segment}, stacked bars"},
    "alt_items": {"zh": "各题项百分制得分条形图，最低为 {item}", "en": "Item scores on 0–100; lowest is {item}"},
    "alt_volume": {"zh": "近12个月投诉量柱状图，本月 {n} 件", "en": "Monthly complaints; this month {n}"},
    "alt_pareto": {"zh": "投诉类别帕累托图，最多的是 {top}", "en": "Pareto of categories; largest is {top}"},
    "alt_heatmap": {"zh": "项目×类别投诉件数热力图", "en": "Heatmap of complaints by project and category"},
    "alt_backlog": {"zh": "未结案投诉按积压时长分布", "en": "Open complaints by age"},
}


def t(key: str, lang: str = "zh") -> str:
    """The label ``key`` in ``lang`` (the key itself when there is none, so nothing disappears).

    Examples
    --------
    >>> t("nps"), t("nps", "en")
    ('净推荐值 NPS', 'NPS')
    """
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["en"]


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT


def number(x, lang: str = "zh", decimals: int = 1) -> str:
    """``12,345.6``; empty for a missing value.

    Examples
    --------
    >>> number(12345.678), number(-3.25, decimals=2)
    ('12,345.7', '-3.25')
    """
    if _missing(x):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(float(x), format=pattern, locale=_LOCALE.get(lang, "zh_CN")).replace("\u2212", "-")


def percent(x, lang: str = "zh", decimals: int = 1) -> str:
    """A value already in percent: ``81.2%``.

    Examples
    --------
    >>> percent(81.234)
    '81.2%'
    """
    return "" if _missing(x) else number(x, lang, decimals) + "%"


def count(x, lang: str = "zh") -> str:
    """A count: ``3,000``; from ten thousand on, ``1.2万`` in Chinese.

    Examples
    --------
    >>> count(12345), count(12345, "en"), count(987)
    ('1.2万', '12,345', '987')
    """
    if _missing(x):
        return ""
    x = int(round(float(x)))
    if lang == "zh" and abs(x) >= 10_000:
        return (number(x / 100_000_000, lang) + "亿") if abs(x) >= 100_000_000 else number(x / 10_000, lang) + "万"
    return number(x, lang, 0)


def day(ts, lang: str = "zh") -> str:
    """``11月16日`` / ``16 Nov``."""
    if _missing(ts):
        return ""
    ts = pd.Timestamp(ts)
    return f"{ts.month}月{ts.day}日" if lang == "zh" else format_date(ts, "d MMM", locale="en_GB")


def timestamp(ts, lang: str = "zh") -> str:
    """``2026-11-16 09:30`` in both languages (unambiguous in tables)."""
    return "" if _missing(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


def month_label(period: Period | pd.Timestamp, lang: str = "zh") -> str:
    """``2026年11月`` / ``November 2026``.

    Examples
    --------
    >>> month_label(pd.Timestamp("2026-11-01")), month_label(pd.Timestamp("2026-11-01"), "en")
    ('2026年11月', 'November 2026')
    """
    start = period.start if isinstance(period, Period) else pd.Timestamp(period)
    return f"{start.year}年{start.month}月" if lang == "zh" else format_date(start, "MMMM y", locale="en_GB")


def week_label(period: Period | pd.Timestamp, lang: str = "zh", with_year: bool = True) -> str:
    """``2026年第47周（11月16日–22日）`` / ``Week 47, 2026 (16–22 Nov)`` (ISO weeks, Monday to Sunday).

    Examples
    --------
    >>> from cs_toolkit.periods import week
    >>> week_label(week("2026-11-18")), week_label(week("2026-11-18"), "en")
    ('2026年第47周（11月16日–22日）', 'Week 47, 2026 (16–22 Nov)')
    """
    start = period.start if isinstance(period, Period) else pd.Timestamp(period)
    end = start + pd.Timedelta(days=6)
    year, number_, _ = start.isocalendar()
    if lang == "zh":
        last = f"{end.day}日" if end.month == start.month else f"{end.month}月{end.day}日"
        prefix = f"{year}年第{number_}周" if with_year else f"第{number_}周"
        return f"{prefix}（{start.month}月{start.day}日–{last}）"
    first = str(start.day) if end.month == start.month else day(start, "en")
    prefix = f"Week {number_}, {year}" if with_year else f"Week {number_}"
    return f"{prefix} ({first}–{day(end, 'en')})"


def short_week(start, lang: str = "zh") -> str:
    """An axis label for a week: ``11/16`` (its Monday)."""
    start = pd.Timestamp(start)
    return f"{start.month}/{start.day}" if lang == "zh" else f"{start.day}/{start.month}"


def change(delta, significant: bool | None, lang: str = "zh", unit: str = "", decimals: int = 1) -> str:
    """``+3.2`` with ``▲``/``▼`` only where a test says the change is significant.

    Examples
    --------
    >>> change(3.24, True), change(-1.0, False), change(float("nan"), None)
    ('▲ +3.2', '-1.0', '')
    """
    if _missing(delta):
        return ""
    text = ("+" if delta > 0 else "") + number(delta, lang, decimals) + unit
    if significant:
        return ("▲ " if delta > 0 else "▼ ") + text
    return text


def yes_no(value, lang: str = "zh") -> str:
    return "" if _missing(value) else t("yes" if bool(value) else "no", lang)
