"""What the report templates show, as functions: the notebooks only narrate and call these."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_toolkit.survey.config import ScoringConfig
from cs_toolkit.survey.scores import PERIOD, design_from_config, prepare


def week_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``2026-11-16`` (any day of the week) -> Monday 00:00 and the next Monday."""
    start = pd.Timestamp(period).to_period("W-SUN").start_time
    return start, start + pd.Timedelta(days=7)


def month_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``2026-11`` -> first day of the month and of the next."""
    start = pd.Timestamp(period).to_period("M").start_time
    return start, start + pd.offsets.MonthBegin(1)


def weekly_satisfaction(data: pd.DataFrame, config: ScoringConfig | dict, period: str) -> dict[str, pd.DataFrame]:
    """Headline NPS/CSAT for the week and the previous week with a design-based test of the change,
    scores by every segment, the lowest-scoring items and return-visit results."""
    cfg = config if isinstance(config, ScoringConfig) else ScoringConfig.from_dict(config)
    start, end = week_bounds(period)
    when = pd.to_datetime(data[cfg.period_column])
    window = data[(when >= start - pd.Timedelta(days=7)) & (when < end)]
    if window.empty:
        raise ValueError(f"no survey responses between {start.date()} and {end.date()}")
    prepared = prepare(window, cfg)
    prepared[PERIOD] = np.where(pd.to_datetime(prepared[cfg.period_column]) >= start, "this week", "previous week")
    design = design_from_config(prepared, cfg)
    current = prepared[PERIOD] == "this week"
    out: dict[str, pd.DataFrame] = {}
    headline = []
    for label, item, stat in (("NPS", cfg.nps, "nps"), *[("CSAT", c, "mean") for c in cfg.csat]):
        if item is None:
            continue
        table = design.nps(item, by=PERIOD) if stat == "nps" else design.mean(item, by=PERIOD)
        test = design.compare(item, by=PERIOD, statistic=stat, pairs="all")
        row = {"measure": label, "item": item}
        for per in ("this week", "previous week"):
            if per in table.index:
                row[f"{per}"] = table.loc[per, "estimate"]
                row[f"{per} CI"] = f"{table.loc[per, 'ci_low']:.2f} to {table.loc[per, 'ci_high']:.2f}"
                row[f"{per} n"] = int(table.loc[per, "n"])
        if len(test):
            # groups sort as "previous week" < "this week", so the difference is this week minus the previous
            row["change"] = test["difference"].iloc[0]
            row["p (design-based z-test)"] = test["p_value"].iloc[0]
            row["significant"] = bool(test["significant"].iloc[0])
        headline.append(row)
    out["headline"] = pd.DataFrame(headline)
    # The week is a domain of the whole design (not a design of its own), so its SEs are domain SEs.
    this = "this week"
    if current.any():
        for seg in cfg.segments:
            if cfg.nps:
                table = design.nps(cfg.nps, by=[PERIOD, seg])
                out[f"NPS by {seg}"] = table[table[PERIOD] == this][[seg, "estimate", "se", "ci_low", "ci_high", "n"]]
        items = [i for i in cfg.likert_items() if i != cfg.ces]
        means = design.mean(items, by=PERIOD)
        means = means[means[PERIOD] == this][["variable", "estimate", "se", "n"]]
        out["lowest-scoring items"] = means.sort_values("estimate").reset_index(drop=True)
        for name in cfg.categorical:
            share = design.proportion(name, by=PERIOD)
            out[f"{name} (share)"] = share[share[PERIOD] == this][["level", "estimate", "se", "n"]].reset_index(drop=True)
    return out


def monthly_complaints(log: pd.DataFrame, period: str, *, sla_hours: float = 24.0) -> dict[str, pd.DataFrame]:
    """Volumes by channel, category, project and week; SLA; closure and reopen rates; backlog age;
    escalations and group-complaint incidents of the month. ``log`` must already be categorised
    (``category``) and carry the escalation flags (see :func:`cs_toolkit.complaints.categorise`)."""
    start, end = month_bounds(period)
    created = pd.to_datetime(log["created_at"])
    month = log[(created >= start) & (created < end)].copy()
    if month.empty:
        raise ValueError(f"no complaints created between {start.date()} and {end.date()}")
    out: dict[str, pd.DataFrame] = {}
    out["volume by channel"] = month["channel"].value_counts().rename_axis("channel").reset_index(name="complaints")
    out["volume by category"] = month["category"].value_counts().rename_axis("category").reset_index(name="complaints")
    out["volume by project"] = month["project"].value_counts().rename_axis("project").reset_index(name="complaints")
    weeks = pd.to_datetime(month["created_at"]).dt.to_period("W-SUN").dt.start_time.dt.strftime("%Y-%m-%d")
    out["volume by week"] = weeks.value_counts().sort_index().rename_axis("week").reset_index(name="complaints")
    response_h = (pd.to_datetime(month["first_response_at"]) - pd.to_datetime(month["created_at"])).dt.total_seconds() / 3600
    resolution_d = (pd.to_datetime(month["resolved_at"]) - pd.to_datetime(month["created_at"])).dt.total_seconds() / 86400
    closed = month["resolved_at"].notna()
    backlog_age = (end - pd.to_datetime(month.loc[~closed, "created_at"])).dt.total_seconds() / 86400
    out["service levels"] = pd.DataFrame([
        {"measure": "first response, median (hours)", "value": response_h.median()},
        {"measure": "first response, 90th percentile (hours)", "value": response_h.quantile(0.9)},
        {"measure": f"first response within {sla_hours:g} h (%)", "value": 100 * (response_h <= sla_hours).mean()},
        {"measure": "resolution, median (days)", "value": resolution_d.median()},
        {"measure": "closure rate (%)", "value": 100 * closed.mean()},
        {"measure": "reopen rate (%)", "value": 100 * month.get("reopened", pd.Series(False, index=month.index)).astype(bool).mean()},
        {"measure": "open at month end", "value": float((~closed).sum())},
        {"measure": "backlog age, median (days)", "value": backlog_age.median() if len(backlog_age) else 0.0},
    ])
    flags = [c for c in month.columns if c.startswith("escalate_")]
    if flags:
        escalated = month[month[flags].astype(bool).any(axis=1)]
        cols = [c for c in ("complaint_id", "project", "building", "channel", "created_at", "category",
                            "escalation_reason", "text") if c in month.columns]
        out["escalations"] = escalated[cols].sort_values("created_at").reset_index(drop=True)
    return out


def plot_estimates(table: pd.DataFrame, label: str, title: str, unit: str = ""):
    """Horizontal bars of ``estimate`` with 95% CI whiskers, one per row of ``table``."""
    import matplotlib.pyplot as plt

    from cs_toolkit.fonts import use_cjk_font

    use_cjk_font()

    t = table.sort_values("estimate")
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(t) + 1.2))
    ax.barh(t[label].astype(str), t["estimate"], xerr=[t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]],
            color="#4c78a8", ecolor="#333333", capsize=3)
    ax.set_title(title)
    ax.set_xlabel(unit)
    fig.tight_layout()
    return fig


def plot_counts(table: pd.DataFrame, label: str, value: str, title: str):
    import matplotlib.pyplot as plt

    from cs_toolkit.fonts import use_cjk_font

    use_cjk_font()

    fig, ax = plt.subplots(figsize=(7, 0.3 * len(table) + 1.2))
    ax.barh(table[label].astype(str)[::-1], table[value][::-1], color="#f58518")
    ax.set_title(title)
    fig.tight_layout()
    return fig
