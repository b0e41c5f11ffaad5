"""The monthly complaint review's content: the month against the previous month and the same month last
year, the 12-month trend, categories (Pareto, project x category), service levels against targets and
the backlog's age, escalations ranked by priority, group complaints with their timelines, new topics
and the quality-inspection view by responsible party.

Changes in volume are tested as two Poisson counts (the conditional binomial test); a change is called
a change only when that test says so at 5%.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cs_toolkit.periods import Period, month

RESPONSIBLE_COLUMNS = ("responsible_party", "责任方", "责任部门", "responsible")
AGE_BUCKETS = [(0, 7, "0–7"), (8, 30, "8–30"), (31, 90, "31–90"), (91, None, ">90")]
LEVEL_ORDER = {"P1": 0, "P2": 1, "P3": 2}


@dataclass
class MonthlyContent:
    period: Period
    headline: pd.DataFrame  # measure, value, previous, change, significant, last_year, target, status
    trend: pd.DataFrame  # month, complaints
    categories: pd.DataFrame  # category, count, share, cumulative
    heatmap: pd.DataFrame  # project x level-1 category counts
    service: pd.DataFrame  # measure, value, target, status, unit
    backlog: pd.DataFrame  # age_bucket, open
    escalations: pd.DataFrame  # ranked: level, created_at, project, category, reason, text
    escalation_summary: pd.DataFrame  # level, reason kind, count
    incidents: pd.DataFrame
    topics: pd.DataFrame
    inspection: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def poisson_change(current: int, previous: int) -> tuple[float, float]:
    """Relative change of a count (%) and the two-sided p-value of the conditional binomial test that
    two Poisson rates over equal periods are equal.

    Examples
    --------
    >>> change, p = poisson_change(130, 100)
    >>> round(change, 1), round(p, 3)
    (30.0, 0.056)
    """
    if previous <= 0:
        return float("nan"), float("nan")
    p = stats.binomtest(int(current), int(current + previous), 0.5).pvalue
    return 100 * (current - previous) / previous, float(p)


def _rate(mask: pd.Series) -> float:
    return float(100 * mask.mean()) if len(mask) else float("nan")


def _status(value: float, target: float | None, higher_is_better: bool = True, margin: float = 5.0) -> str | None:
    """green when the target is met, amber within ``margin`` points of it, red beyond."""
    if target is None or pd.isna(value):
        return None
    gap = value - target if higher_is_better else target - value
    return "green" if gap >= 0 else "amber" if gap >= -margin else "red"


def monthly_content(log: pd.DataFrame, period: Period, *, category_name=None, sla_hours: float = 24.0,
                    targets: dict | None = None, months: int = 12) -> MonthlyContent:
    """Everything the monthly review shows for ``period`` (a month) from a categorised complaint log.

    ``log`` carries ``category``, the escalation columns (``escalation_level``, ``escalation_reason``; see
    :func:`cs_toolkit.complaints.categorise`) and up to ``months`` months before ``period``.
    ``category_name`` maps a category id to the name shown (e.g. the taxonomy's Chinese name).
    """
    targets = targets or {}
    name_of = category_name or (lambda c: c)
    created = pd.to_datetime(log["created_at"])
    current = log[(created >= period.start) & (created < period.end)].copy()
    if current.empty:
        raise ValueError(f"no complaints created in {period.label}")
    previous_period = period.shift(-1)
    previous = log[(created >= previous_period.start) & (created < previous_period.end)]
    last_year = period.shift(-12)
    year_ago = log[(created >= last_year.start) & (created < last_year.end)]
    notes = []
    if year_ago.empty:
        notes.append("same_month_last_year_missing")

    response_h = (pd.to_datetime(current["first_response_at"]) - pd.to_datetime(current["created_at"])
                  ).dt.total_seconds() / 3600
    closed = pd.to_datetime(current["resolved_at"]).notna() if "resolved_at" in current else pd.Series(False)
    reopened = current["reopened"].astype(bool) if "reopened" in current else pd.Series(False, index=current.index)

    def sla_rate(frame):
        h = (pd.to_datetime(frame["first_response_at"]) - pd.to_datetime(frame["created_at"])).dt.total_seconds() / 3600
        return _rate(h <= sla_hours)

    change, p = poisson_change(len(current), len(previous))
    change_year, p_year = poisson_change(len(current), len(year_ago)) if len(year_ago) else (float("nan"), float("nan"))
    p1 = int((current.get("escalation_level", pd.Series(dtype=object)) == "P1").sum())
    headline = pd.DataFrame([
        {"measure": "complaints", "value": float(len(current)), "previous": float(len(previous)),
         "change": change, "significant": bool(p < 0.05) if not np.isnan(p) else None,
         "last_year": float(len(year_ago)) if len(year_ago) else np.nan, "change_year": change_year,
         "significant_year": bool(p_year < 0.05) if not np.isnan(p_year) else None, "unit": "count"},
        {"measure": "sla_rate", "value": sla_rate(current), "previous": sla_rate(previous) if len(previous) else np.nan,
         "unit": "%"},
        {"measure": "closure_rate", "value": _rate(closed), "previous":
            _rate(pd.to_datetime(previous["resolved_at"]).notna()) if len(previous) else np.nan, "unit": "%"},
        {"measure": "reopen_rate", "value": _rate(reopened), "previous":
            _rate(previous["reopened"].astype(bool)) if len(previous) and "reopened" in previous else np.nan,
         "unit": "%"},
        {"measure": "p1", "value": float(p1), "previous": float((previous.get("escalation_level",
                                                                               pd.Series(dtype=object)) == "P1").sum()),
         "unit": "count"},
    ])
    directions = {"sla_rate": True, "closure_rate": True, "reopen_rate": False}
    headline["target"] = headline["measure"].map(lambda m: targets.get(m))
    headline["status"] = [_status(v, targets.get(m), directions.get(m, True)) for m, v in
                          zip(headline["measure"], headline["value"], strict=True)]

    month_of = created.dt.to_period("M").dt.start_time
    span = [period.shift(-k).start for k in range(months - 1, -1, -1)]
    trend = pd.DataFrame({"month": span, "complaints": [int((month_of == m).sum()) for m in span]})
    first_data = month_of.min()
    trend = trend[trend["month"] >= first_data].reset_index(drop=True)
    if len(trend) < months:
        notes.append(f"trend_short:{len(trend)}")

    counts = current["category"].fillna("").replace("", "(uncategorised)").value_counts()
    categories = pd.DataFrame({"category": [name_of(c) for c in counts.index], "count": counts.to_numpy()})
    categories["share"] = 100 * categories["count"] / categories["count"].sum()
    categories["cumulative"] = categories["share"].cumsum()
    level1 = current["category"].fillna("").str.split(".").str[0].replace("", "(uncategorised)")
    heatmap = pd.crosstab(current["project"], level1.map(name_of)) if "project" in current else pd.DataFrame()

    service = pd.DataFrame([
        {"measure": "sla_rate", "value": sla_rate(current), "unit": "%"},
        {"measure": "closure_rate", "value": _rate(closed), "unit": "%"},
        {"measure": "reopen_rate", "value": _rate(reopened), "unit": "%"},
        {"measure": "first_response_median_h", "value": float(response_h.median()), "unit": "h"},
        {"measure": "first_response_p90_h", "value": float(response_h.quantile(0.9)), "unit": "h"},
    ])
    service["target"] = service["measure"].map(lambda m: targets.get(m))
    service["status"] = [_status(v, targets.get(m), directions.get(m, True)) for m, v in
                         zip(service["measure"], service["value"], strict=True)]

    # The backlog at month end: created by then and not resolved by then (whenever it was created).
    upto = log[created < period.end]
    resolved_at = pd.to_datetime(upto["resolved_at"]) if "resolved_at" in upto else pd.Series(pd.NaT, index=upto.index)
    open_ = upto[resolved_at.isna() | (resolved_at >= period.end)]
    age = (period.end - pd.to_datetime(open_["created_at"])).dt.days
    backlog = pd.DataFrame({"age_bucket": [b[2] for b in AGE_BUCKETS],
                            "open": [int(((age >= lo) & (age <= (hi if hi is not None else age.max() + 1))).sum())
                                     for lo, hi, _ in AGE_BUCKETS]})

    escalations, summary = _escalations(current, name_of)
    return MonthlyContent(period, headline, trend, categories, heatmap, service, backlog, escalations, summary,
                          pd.DataFrame(), pd.DataFrame(), _inspection(current, name_of, sla_hours), notes)


def _escalations(current: pd.DataFrame, name_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    if "escalation_level" not in current:
        return pd.DataFrame(), pd.DataFrame()
    esc = current[current["escalation_level"].fillna("") != ""].copy()
    esc["_rank"] = esc["escalation_level"].map(LEVEL_ORDER)
    esc = esc.sort_values(["_rank", "created_at"], ascending=[True, False], kind="stable")
    columns = [c for c in ("escalation_level", "created_at", "complaint_id", "project", "building", "category",
                           "escalation_reason", "text") if c in esc.columns]
    ranked = esc[columns].copy()
    if "category" in ranked:
        ranked["category"] = ranked["category"].map(name_of)
    kind = esc["escalation_reason"].str.split(";").str[0].str.split(":").str[0].str.strip()
    summary = (pd.DataFrame({"level": esc["escalation_level"], "kind": kind}).value_counts().rename("count")
               .reset_index().sort_values(["level", "count"], ascending=[True, False], kind="stable"))
    return ranked.reset_index(drop=True), summary.reset_index(drop=True)


def _inspection(current: pd.DataFrame, name_of, sla_hours: float) -> pd.DataFrame:
    column = next((c for c in RESPONSIBLE_COLUMNS if c in current.columns), None)
    if column is None:
        return pd.DataFrame()
    frame = current.assign(_party=current[column].fillna("").replace("", "—"))
    h = (pd.to_datetime(frame["first_response_at"]) - pd.to_datetime(frame["created_at"])).dt.total_seconds() / 3600
    frame = frame.assign(_sla=h <= sla_hours, _closed=pd.to_datetime(frame["resolved_at"]).notna(),
                         _reopened=frame["reopened"].astype(bool) if "reopened" in frame else False)
    top = frame.groupby("_party")["category"].agg(lambda s: name_of(s.value_counts().index[0]) if len(s) else "")
    out = frame.groupby("_party").agg(count=("category", "size"), sla_rate=("_sla", "mean"),
                                      closure_rate=("_closed", "mean"), reopen_rate=("_reopened", "mean"))
    out[["sla_rate", "closure_rate", "reopen_rate"]] *= 100
    out["top_category"] = top
    return out.sort_values("count", ascending=False).rename_axis("responsible").reset_index()


def month_of(ts) -> Period:
    return month(ts)
