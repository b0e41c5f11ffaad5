"""The weekly satisfaction report's content, computed from the survey design: headline figures with their
confidence intervals and design-based tests of the change, the 13-week trend, the promoter mix, the
lowest-scoring items, return-visit results, verbatims and the detractors to call back.

Every estimate uses one design over the whole window (this week and the 13 before it); a week is a
domain of that design, so its standard errors are domain SEs (R ``svyby``). "Change against the 13-week
average" compares this week with the 13 weeks before it pooled, with the same design-based test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_toolkit.periods import Period
from cs_toolkit.survey.config import ScoringConfig
from cs_toolkit.survey.scores import design_from_config, prepare

WEEK = "_week"
COMMENT_COLUMNS = ("comment", "评价内容", "客户评价", "意见建议", "comments", "verbatim")
CONTACT_COLUMNS = ("customer_name", "phone", "客户姓名", "联系电话", "mobile", "email")
DETRACTOR_MAX = 6  # NPS detractors score 0-6
MIN_DRIVER_N = 150  # fewer complete answers in a week: key drivers use the last 13 weeks instead
VERY_DISSATISFIED_MAX = 2  # 1-2 on a five-point satisfaction item


@dataclass
class Headline:
    """One headline figure for the week."""

    key: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    change_last: float = float("nan")
    significant_last: bool | None = None
    change_average: float = float("nan")
    significant_average: bool | None = None
    unit: str = ""
    details: tuple = ()  # (i18n key, value in %) shown under the figure (the call outcome rates)


@dataclass
class WeeklyContent:
    period: Period
    headlines: list[Headline]
    trend: pd.DataFrame  # week, measure, estimate, ci_low, ci_high, n
    mix: dict[str, pd.DataFrame]  # segment -> level, promoters, passives, detractors, n
    items: pd.DataFrame  # item, label, mean, low, high, score100, top2, n
    return_visits: pd.DataFrame
    verbatims: pd.DataFrame
    follow_up: pd.DataFrame  # restricted: contact details
    follow_up_counts: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    test: str = ""
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)  # key drivers of overall satisfaction
    drivers_scope: str = "week"  # "week", or "window" when the week alone was too small


def label_of(spec, language: str = "zh") -> str:
    """An item's label in ``language``: config labels may be one text or ``{zh: ..., en: ...}``."""
    label = spec.label
    if isinstance(label, dict):
        return str(label.get(language) or label.get("en") or next(iter(label.values()), spec.name))
    return str(label or spec.name)


def _first_present(columns, candidates) -> str | None:
    return next((c for c in candidates if c in columns), None)


def weekly_content(data: pd.DataFrame, config: ScoringConfig | dict, period: Period, weeks: int = 13,
                   language: str = "zh", attempts: pd.DataFrame | None = None) -> WeeklyContent:
    """Everything the weekly report shows, for ``period`` (a week) from the survey responses in ``data``.

    ``data`` holds this week and the ``weeks`` before it (as :class:`~cs_toolkit.reports.inputs.ReportInputs`
    reads it). ``attempts``: the calls of the same weeks that gave no interview (the store's
    ``survey_attempts``, for a survey with ``dispositions``); with them, a headline card shows the week's
    call response rate (AAPOR RR1) with its contact and refusal rates. Raises ``ValueError`` when the week
    has no responses.
    """
    cfg = config if isinstance(config, ScoringConfig) else ScoringConfig.from_dict(config)
    when = pd.to_datetime(data[cfg.period_column])
    window = data[(when >= period.start - pd.Timedelta(weeks=weeks)) & (when < period.end)]
    this = pd.to_datetime(window[cfg.period_column]) >= period.start
    if not this.any():
        raise ValueError(f"no survey responses in the week of {period.label}")
    prepared = prepare(window, cfg)
    week_start = pd.to_datetime(prepared[cfg.period_column]).dt.to_period("W-SUN").dt.start_time
    prepared[WEEK] = week_start.dt.strftime("%Y-%m-%d")
    is_this = (week_start == period.start).to_numpy()
    is_last = (week_start == period.start - pd.Timedelta(weeks=1)).to_numpy()
    # Domains for the two tests; rows outside a comparison are in no domain (whole-design SEs).
    prepared["_vs_last"] = np.where(is_this, "1_this", np.where(is_last, "0_before", None))
    prepared["_vs_average"] = np.where(is_this, "1_this", "0_before")
    prepared["_this"] = np.where(is_this, "this", "before")
    design = design_from_config(prepared, cfg)
    notes = []
    test = ""

    headlines = []
    measures = []
    if cfg.nps:
        measures.append(("nps", cfg.nps, "nps", None, ""))
    for item in cfg.csat[:1]:
        spec = cfg.items[item]
        measures.append(("csat", item, "mean", None, ""))
        measures.append(("csat_top2", item, "share", list(range(spec.high - cfg.top_box + 1, spec.high + 1)), "%"))
    for key, item, statistic, values, unit in measures:
        scale = 100.0 if statistic == "share" else 1.0
        if statistic == "nps":
            table = design.nps(item, by="_this")
        elif statistic == "mean":
            table = design.mean(item, by="_this")
        else:
            table = design.share(item, values, by="_this")
        row = table[table["_this"] == "this"].iloc[0]
        h = Headline(key, scale * row["estimate"], scale * row["ci_low"], scale * row["ci_high"], int(row["n"]), unit=unit)
        for by, attr in (("_vs_last", "last"), ("_vs_average", "average")):
            if prepared[by].nunique() < 2:
                continue
            res = design.compare(item, by=by, statistic=statistic, values=values, pairs="all")
            if len(res):
                setattr(h, f"change_{attr}", scale * float(res["difference"].iloc[0]))
                setattr(h, f"significant_{attr}", bool(res["significant"].iloc[0]))
                test = str(res["test"].iloc[0])
        headlines.append(h)
    responses = int(is_this.sum())
    before = int(is_last.sum())
    earlier_weeks = prepared.loc[~is_this, WEEK].nunique()
    headlines.append(Headline("responses", responses, float("nan"), float("nan"), responses,
                              change_last=responses - before if before else float("nan"),
                              change_average=(responses - (~is_this).sum() / earlier_weeks) if earlier_weeks else float("nan")))

    if cfg.dispositions is not None and attempts is not None:
        headlines.append(_call_headline(window, attempts, cfg, period, weeks))

    trend_rows = []
    last_weeks = sorted(prepared[WEEK].unique())[-weeks:]
    for key, item, statistic, _, _ in measures:
        if statistic == "share":
            continue
        table = design.nps(item, by=WEEK) if statistic == "nps" else design.mean(item, by=WEEK)
        table = table[table[WEEK].isin(last_weeks)]
        trend_rows.append(pd.DataFrame({"week": table[WEEK].to_numpy(), "measure": key,
                                        "estimate": table["estimate"].to_numpy(), "ci_low": table["ci_low"].to_numpy(),
                                        "ci_high": table["ci_high"].to_numpy(), "n": table["n"].to_numpy()}))
    trend = pd.concat(trend_rows, ignore_index=True) if trend_rows else pd.DataFrame()

    mix = {}
    if cfg.nps:
        for segment in [s for s in cfg.segments if s != cfg.period_column][:2]:
            table = design.nps(cfg.nps, by=["_this", segment])
            table = table[table["_this"] == "this"]
            mix[segment] = pd.DataFrame({"level": table[segment].astype(str).to_numpy(),
                                         "promoters": table["promoters"].to_numpy(),
                                         "passives": table["passives"].to_numpy(),
                                         "detractors": table["detractors"].to_numpy(),
                                         "n": table["n"].to_numpy()})

    item_rows = []
    for name in cfg.likert_items():
        spec = cfg.items[name]
        if name == cfg.ces:
            continue
        mean = design.mean(name, by="_this")
        mean = mean[mean["_this"] == "this"]
        if mean.empty or int(mean["n"].iloc[0]) == 0:
            continue
        top = design.share(name, list(range(spec.high - cfg.top_box + 1, spec.high + 1)), by="_this")
        top = top[top["_this"] == "this"]
        m = float(mean["estimate"].iloc[0])
        item_rows.append({"item": name, "label": label_of(spec, language), "mean": m,
                          "low": float(mean["ci_low"].iloc[0]), "high": float(mean["ci_high"].iloc[0]),
                          "score100": 100 * (m - spec.low) / (spec.high - spec.low),
                          "top2": 100 * float(top["estimate"].iloc[0]), "n": int(mean["n"].iloc[0]),
                          "reversed": spec.reverse})
    items = pd.DataFrame(item_rows).sort_values("score100").reset_index(drop=True) if item_rows else pd.DataFrame()

    visits = []
    if cfg.ces:
        ces = design.mean(cfg.ces, by="_this")
        ces = ces[ces["_this"] == "this"]
        if len(ces) and int(ces["n"].iloc[0]):
            spec = cfg.items[cfg.ces]
            visits.append({"measure": f"{label_of(spec, language)} ({spec.low}–{spec.high})",
                           "estimate": float(ces["estimate"].iloc[0]), "ci_low": float(ces["ci_low"].iloc[0]),
                           "ci_high": float(ces["ci_high"].iloc[0]), "n": int(ces["n"].iloc[0]), "unit": "mean"})
    for name in cfg.categorical:
        share = design.proportion(name, by="_this")
        share = share[share["_this"] == "this"]
        from cs_toolkit.reports.i18n import t

        for _, r in share.iterrows():
            visits.append({"measure": f"{t(name, language)}: {t(str(r['level']), language)}", "estimate": 100 * r["estimate"],
                           "ci_low": 100 * r["ci_low"], "ci_high": 100 * r["ci_high"], "n": int(r["n"]), "unit": "%"})
    return_visits = pd.DataFrame(visits)

    week_rows = window[this.to_numpy()]
    comment = _first_present(week_rows.columns, COMMENT_COLUMNS)
    score_col = cfg.nps or (cfg.csat[0] if cfg.csat else None)
    verbatims = pd.DataFrame(columns=["score", "segment", "comment"])
    if comment is not None:
        texts = week_rows[comment].astype("string").fillna("").str.strip()
        has = week_rows[texts != ""]
        seg = cfg.segments[0] if cfg.segments else None
        verbatims = pd.DataFrame({"score": pd.to_numeric(has[score_col], errors="coerce") if score_col else np.nan,
                                  "segment": has[seg].astype(str) if seg else "", "comment": texts[texts != ""]})
        verbatims = verbatims.sort_values("score", kind="stable").reset_index(drop=True)
    else:
        notes.append("no free-text comment column found (looked for: " + ", ".join(COMMENT_COLUMNS) + ")")

    follow_up, counts = _follow_up(week_rows, cfg, comment, language)
    drivers, scope = _drivers(prepared, is_this, cfg, language)
    return WeeklyContent(period, headlines, trend, mix, items, return_visits, verbatims, follow_up, counts, notes, test,
                         drivers, scope)


def _call_headline(interviews: pd.DataFrame, attempts: pd.DataFrame, cfg: ScoringConfig, period: Period,
                   weeks: int) -> Headline:
    """The week's call response rate (RR1), against last week and the ``weeks`` before pooled (two-proportion
    z-tests), with the contact and refusal rates as details."""
    from cs_toolkit.survey.dispositions import ELIGIBLE, rate_change
    from cs_toolkit.survey.scores import call_outcomes

    when = pd.to_datetime(attempts[cfg.period_column]) if len(attempts) else pd.Series(dtype="datetime64[ns]")
    attempts = attempts[(when >= period.start - pd.Timedelta(weeks=weeks)) & (when < period.end)]
    this_week = period.start.strftime("%Y-%m-%d")
    last_week = (period.start - pd.Timedelta(weeks=1)).strftime("%Y-%m-%d")
    rates = call_outcomes(interviews, attempts, cfg, by=cfg.period_column).set_index("level")
    eligible = rates[list(ELIGIBLE)].sum(axis=1)  # RR1's denominator
    if this_week not in rates.index:
        return Headline("call_response_rate", float("nan"), float("nan"), float("nan"), 0)
    now = rates.loc[this_week]
    h = Headline("call_response_rate", now["response_rate"], now["ci_low"], now["ci_high"], int(eligible[this_week]),
                 unit="%", details=(("contact_rate", now["contact_rate"]), ("refusal_rate", now["refusal_rate"])))
    if last_week in rates.index:
        h.change_last, h.significant_last = rate_change(int(now["complete"]), h.n, int(rates.loc[last_week, "complete"]),
                                                        int(eligible[last_week]))
    before = [w for w in rates.index if w not in ("all", this_week) and w < this_week]
    if before:
        h.change_average, h.significant_average = rate_change(
            int(now["complete"]), h.n, int(rates.loc[before, "complete"].sum()), int(eligible[before].sum()))
    return h


def _drivers(prepared: pd.DataFrame, is_this: np.ndarray, cfg: ScoringConfig, language: str) -> tuple[pd.DataFrame, str]:
    """Key drivers (Shapley value regression) of overall satisfaction from the other rated items, on the
    week, or on the whole window when the week has fewer than :data:`MIN_DRIVER_N` complete answers."""
    from cs_toolkit.satisfaction.drivers import key_drivers

    outcome = cfg.csat[0] if cfg.csat else cfg.nps
    drivers = [i for i in cfg.likert_items() if i not in (outcome, cfg.ces)]
    if outcome is None or len(drivers) < 2:
        return pd.DataFrame(), "week"
    columns = [outcome, *drivers, *([cfg.weights] if cfg.weights else [])]
    week = prepared.loc[is_this, columns].dropna()
    scope = "week"
    rows = week
    if len(week) < MIN_DRIVER_N:
        rows, scope = prepared[columns].dropna(), "window"
    try:
        table = key_drivers(rows, outcome, drivers, weights=cfg.weights,
                            scales={d: (cfg.items[d].low, cfg.items[d].high) for d in drivers})
    except Exception as exc:  # too few answers, a constant item: the section says so instead
        return pd.DataFrame({"error": [str(exc)]}), scope
    table["label"] = [label_of(cfg.items[d], language) for d in table["driver"]]
    return table, scope


def _follow_up(rows: pd.DataFrame, cfg: ScoringConfig, comment: str | None,
               language: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Detractors and very dissatisfied customers to call back within 48 h, with the reason (restricted:
    it holds contact details), and their counts per segment (shared)."""
    reasons = pd.Series("", index=rows.index, dtype=object)
    flagged = pd.Series(False, index=rows.index)
    if cfg.nps:
        score = pd.to_numeric(rows[cfg.nps], errors="coerce")
        hit = score <= DETRACTOR_MAX
        flagged |= hit.fillna(False)
        reasons[hit.fillna(False)] = "NPS " + score[hit.fillna(False)].astype("Int64").astype(str) + "/10"
    for item in cfg.csat[:1]:
        sat = pd.to_numeric(rows[item], errors="coerce")
        hit = (sat <= cfg.items[item].low + VERY_DISSATISFIED_MAX - 1).fillna(False)
        flagged |= hit
        extra = f"{label_of(cfg.items[item], language)} " + sat[hit].astype("Int64").astype(str) + f"/{cfg.items[item].high}"
        reasons[hit] = (reasons[hit] + "; " + extra).str.strip("; ")
    chosen = rows[flagged.to_numpy()]
    keep = [c for c in [cfg.id, *cfg.segments[:2], *(cfg.psu[:1]), cfg.period_column,
                        *[c for c in CONTACT_COLUMNS if c in rows.columns], comment] if c and c in rows.columns]
    keep = list(dict.fromkeys(keep))
    follow = chosen[keep].copy()
    follow.insert(0, "reason", reasons[flagged].to_numpy())
    follow["call_back_by"] = pd.to_datetime(chosen[cfg.period_column]) + pd.Timedelta(hours=48)
    seg = cfg.segments[0] if cfg.segments else None
    counts = (follow.groupby(seg).size().rename("count").reset_index().rename(columns={seg: "level"})
              if seg and len(follow) else pd.DataFrame({"level": [], "count": []}))
    return follow.reset_index(drop=True), counts
