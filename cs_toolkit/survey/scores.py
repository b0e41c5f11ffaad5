"""Satisfaction scores from a validated survey: NPS, CSAT, CES, top/bottom box, composites, reliability.

:func:`score_survey` applies a :class:`~cs_toolkit.survey.config.ScoringConfig` and returns a
:class:`ScoreReport` of tidy tables; every estimate carries its SE, 95% CI, n and effective n.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from cs_toolkit.survey.config import ItemSpec, ScoringConfig
from cs_toolkit.survey.design import SurveyDesign
from cs_toolkit.survey.reader import SurveyData

SCORE_COLUMNS = ["measure", "item", "segment", "level", "estimate", "se", "ci_low", "ci_high", "n", "n_eff",
                 "n_missing", "unit"]
PERIOD = "period"
# Differences are t-tests on the design's degrees of freedom, as R's svyttest (compare(test="z") is the Wald z).
DIFFERENCE_TEST = "t"


def reverse_code(values: pd.Series, low: int, high: int) -> pd.Series:
    """Reverse a rating on a ``low``-``high`` scale (1-5: 1 <-> 5, 2 <-> 4).

    Examples
    --------
    >>> import pandas as pd
    >>> reverse_code(pd.Series([1, 2, 5]), 1, 5).to_list()
    [5, 4, 1]
    """
    return low + high - values


def composite_score(data: pd.DataFrame, items: list[ItemSpec], min_items: int) -> pd.Series:
    """Mean of the items rescaled to 0-100 (reverse-worded items reversed first).

    A respondent needs at least ``min_items`` answered items; otherwise the score is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from cs_toolkit.survey.config import ItemSpec
    >>> df = pd.DataFrame({"a": [5, 1, None], "b": [1, 5, 3]})
    >>> spec = [ItemSpec("a", 1, 5), ItemSpec("b", 1, 5, reverse=True)]
    >>> composite_score(df, spec, min_items=2).to_list()
    [100.0, 0.0, nan]
    """
    scaled = []
    for spec in items:
        v = data[spec.name].astype(float)
        if spec.reverse:
            v = reverse_code(v, spec.low, spec.high)
        scaled.append((v - spec.low) / (spec.high - spec.low) * 100)
    matrix = pd.concat(scaled, axis=1)
    answered = matrix.notna().sum(axis=1)
    return matrix.mean(axis=1).where(answered >= min_items)


def cronbach_alpha(data: pd.DataFrame, items: list[str]) -> tuple[float, pd.DataFrame]:
    """Cronbach's alpha on complete cases, with alpha-if-item-deleted and corrected item-total correlations.

    Returns
    -------
    alpha : float
    items : DataFrame
        One row per item: ``alpha_if_deleted``, ``item_total_r`` (correlation with the sum of the other
        items), ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> float(round(cronbach_alpha(df, ["a", "b", "c"])[0], 4))
    0.9538
    """
    complete = data[items].dropna().astype(float)
    k = len(items)

    def alpha_of(frame: pd.DataFrame) -> float:
        kk = frame.shape[1]
        if kk < 2 or len(frame) < 2:
            return float("nan")
        total_var = frame.sum(axis=1).var(ddof=1)
        if total_var == 0:
            return float("nan")
        return kk / (kk - 1) * (1 - frame.var(ddof=1).sum() / total_var)

    alpha = alpha_of(complete)
    rows = []
    for item in items:
        rest = [i for i in items if i != item]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = complete[item].corr(complete[rest].sum(axis=1)) if len(complete) > 2 else float("nan")
        rows.append({"item": item, "alpha_if_deleted": alpha_of(complete[rest]) if k > 2 else float("nan"),
                     "item_total_r": r, "n": len(complete)})
    return alpha, pd.DataFrame(rows)


def response_rate(responses: pd.Series | int, invitations: pd.Series | int, level: float = 0.95) -> pd.DataFrame:
    """Responses over invitations with a Wilson confidence interval (in %).

    Examples
    --------
    >>> response_rate(70, 100)[["rate", "ci_low", "ci_high"]].round(1).to_dict("records")
    [{'rate': 70.0, 'ci_low': 60.4, 'ci_high': 78.1}]
    """
    r = pd.Series(responses) if not isinstance(responses, pd.Series) else responses
    inv = pd.Series(invitations) if not isinstance(invitations, pd.Series) else invitations
    r, inv = r.align(inv, join="outer", fill_value=0)
    z = stats.norm.ppf(0.5 + level / 2)
    n = inv.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = r / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return pd.DataFrame({"responses": r.astype(int), "invitations": inv.astype(int), "rate": 100 * p,
                         "ci_low": 100 * (centre - half), "ci_high": 100 * (centre + half)})


@dataclass
class ScoreReport:
    """The scored tables of one survey.

    Attributes
    ----------
    scores : DataFrame
        Long table: ``measure``, ``item``, ``segment`` (``overall``, a segment column or ``period``),
        ``level``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``, ``n_eff``, ``n_missing``, ``unit``.
        Means have Wald intervals (R ``confint``); shares and NPS have R ``svyciprop``'s logit interval
        on the design's degrees of freedom, which stays inside 0-100% (NPS: -100 to 100).
    differences : DataFrame
        Significance tests between periods (each vs the previous) and between segment levels.
    reliability : DataFrame
        Cronbach's alpha per composite, with alpha-if-item-deleted.
    response : DataFrame
        Responses, invitations and response rate (when invitations are configured).
    accounting : dict
        Rows read, kept and rejected (when scored from a :class:`SurveyData`).
    """

    scores: pd.DataFrame
    differences: pd.DataFrame
    reliability: pd.DataFrame
    response: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    accounting: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"scores": self.scores, "differences": self.differences, "reliability": self.reliability,
               "response": self.response}
        if len(self.rejected):
            out["rejected"] = self.rejected
        if self.accounting:
            out["accounting"] = pd.DataFrame([self.accounting])
        return out

    def write(self, path: str | Path) -> list[Path]:
        """Write the tables: one workbook (``.xlsx``, a sheet per table) or CSVs (``.csv``: the scores table
        at ``path`` and the others beside it as ``<stem>_<table>.csv``). Returns the files written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tables = self.tables()
        if path.suffix.lower() == ".xlsx":
            with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
                for name, table in tables.items():
                    table.to_excel(writer, sheet_name=name[:31], index=False)
            return [path]
        if path.suffix.lower() != ".csv":
            raise ValueError(f"output must end in .csv or .xlsx, not {path.suffix!r}")
        written = []
        for name, table in tables.items():
            target = path if name == "scores" else path.with_name(f"{path.stem}_{name}.csv")
            table.to_csv(target, index=False, encoding="utf-8-sig")  # BOM: Excel opens Chinese text correctly
            written.append(target)
        return written


def design_from_config(data: pd.DataFrame, cfg: ScoringConfig) -> SurveyDesign:
    """The :class:`SurveyDesign` a configuration describes (weights, strata, PSUs, fpc)."""
    return SurveyDesign(
        data,
        weights=cfg.weights,
        strata=cfg.strata,
        psu=list(cfg.psu) or None,
        fpc=list(cfg.fpc) or None,
        lonely_psu=cfg.lonely_psu,
    )


def prepare(data: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Reverse-code reverse-worded items, add composites and the ``period`` column."""
    out = data.copy()
    for spec in cfg.items.values():
        if spec.reverse:
            out[spec.name] = reverse_code(out[spec.name].astype(float), spec.low, spec.high)
    for comp in cfg.composites.values():
        out[comp.name] = composite_score(data, [cfg.items[i] for i in comp.items], comp.min_items)
    if cfg.period_column is not None:
        out[PERIOD] = period_start(out[cfg.period_column], cfg)
    return out


def period_start(when: pd.Series, cfg: ScoringConfig) -> pd.Series:
    """The first day (YYYY-MM-DD) of the configured period (week, month...) each time falls in."""
    return pd.to_datetime(when).dt.to_period(cfg.pandas_period_freq).dt.start_time.dt.strftime("%Y-%m-%d")


def score_survey(survey: SurveyData | pd.DataFrame, config: ScoringConfig | dict | None = None,
                 level: float = 0.95) -> ScoreReport:
    """Score a survey as its configuration says: NPS, CSAT, CES, top/bottom box, composites, by segment and period.

    Parameters
    ----------
    survey : SurveyData or DataFrame
        The result of :func:`cs_toolkit.read_survey` (its configuration is used), or validated data.
    config : ScoringConfig or dict, optional
        Needed when ``survey`` is a DataFrame.
    level : float
        Confidence level.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> import cs_toolkit as cs
    >>> s = cs.demo.make_survey(seed=0)
    >>> report = cs.score_survey(s.data, s.config)
    >>> report.scores.query("measure == 'NPS' and segment == 'overall'")["estimate"].round(1).to_list()
    [-9.8]
    """
    if isinstance(survey, SurveyData):
        cfg = survey.config if config is None else _config(config)
        data = survey.data
        rejected = survey.rejected
        accounting = survey.summary()
        attempts = survey.attempts
    else:
        if config is None:
            raise ValueError("score_survey needs a config when given a DataFrame")
        cfg = _config(config)
        data, rejected, accounting, attempts = survey, pd.DataFrame(), {}, pd.DataFrame()
    prepared = prepare(data, cfg)
    design = design_from_config(prepared, cfg)
    groupings: list[str | None] = [None, *cfg.segments]
    if cfg.period_column is not None:
        groupings.append(PERIOD)

    frames = []
    for by in groupings:
        if cfg.nps:
            frames.append(_long(design.nps(cfg.nps, by=by, level=level), "NPS", cfg.nps, by, "points"))
        for name in cfg.likert_items():
            spec = cfg.items[name]
            kind = "CSAT" if name in cfg.csat else "CES" if name == cfg.ces else "item"
            frames.append(_long(design.mean(name, by=by, level=level), f"{kind} mean", name, by,
                                f"scale {spec.low}-{spec.high}"))
            top = list(range(spec.high - cfg.top_box + 1, spec.high + 1))
            bottom = list(range(spec.low, spec.low + cfg.top_box))
            frames.append(_long(design.share(name, top, by=by, level=level), f"{kind} top-{cfg.top_box}-box", name,
                                by, "%", percent=True))
            frames.append(_long(design.share(name, bottom, by=by, level=level), f"{kind} bottom-{cfg.top_box}-box",
                                name, by, "%", percent=True))
        for comp in cfg.composites:
            frames.append(_long(design.mean(comp, by=by, level=level), "composite", comp, by, "0-100"))
        for name in cfg.categorical:
            table = design.proportion(name, by=by, level=level)
            table = table.assign(variable=table["variable"] + "=" + table["level"].astype(str)).drop(columns="level")
            frames.append(_long(table, "share", None, by, "%", percent=True))
    scores = pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]

    differences = _differences(design, cfg)
    reliability = _reliability(prepared, cfg)
    response = _response(prepared, cfg) if cfg.dispositions is None else call_outcomes(prepared, attempts, cfg)
    return ScoreReport(scores, differences, reliability, response, rejected, accounting)


def _config(config) -> ScoringConfig:
    return config if isinstance(config, ScoringConfig) else ScoringConfig.from_dict(config)


def _long(table: pd.DataFrame, measure: str, item: str | None, by: str | None, unit: str,
          percent: bool = False) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "measure": measure,
            "item": table["variable"].to_numpy() if item is None else item,
            "segment": by or "overall",
            "level": table[by].astype(str).to_numpy() if by else "all",
            "n": table["n"].to_numpy(),
            "n_eff": table["n_eff"].to_numpy(),
            "n_missing": table["n_missing"].to_numpy(),
            "unit": unit,
        }
    )
    factor = 100.0 if percent else 1.0
    for col in ("estimate", "se", "ci_low", "ci_high"):
        out[col] = table[col].to_numpy() * factor
    return out[out["n"] > 0]  # e.g. an item not asked in a channel: no row rather than an empty estimate


def _differences(design: SurveyDesign, cfg: ScoringConfig) -> pd.DataFrame:
    tests = []
    targets = []
    if cfg.nps:
        targets.append(("NPS", cfg.nps, "nps"))
    targets += [("CSAT mean", name, "mean") for name in cfg.csat]
    targets += [("composite", name, "mean") for name in cfg.composites]
    for measure, item, statistic in targets:
        if cfg.period_column is not None:
            res = design.compare(item, by=PERIOD, statistic=statistic, pairs="consecutive", test=DIFFERENCE_TEST)
            tests.append(res.assign(measure=measure, item=item, segment=PERIOD))
        for seg in cfg.segments:
            res = design.compare(item, by=seg, statistic=statistic, pairs="all", test=DIFFERENCE_TEST)
            tests.append(res.assign(measure=measure, item=item, segment=seg))
    if not tests:
        return pd.DataFrame()
    out = pd.concat(tests, ignore_index=True)
    front = ["measure", "item", "segment"]
    return out[front + [c for c in out.columns if c not in front]]


def _reliability(data: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    rows = []
    for comp in cfg.composites.values():
        alpha, items = cronbach_alpha(data, list(comp.items))
        rows.append(items.assign(composite=comp.name, alpha=alpha))
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    return out[["composite", "alpha", "item", "alpha_if_deleted", "item_total_r", "n"]]


def call_outcomes(interviews: pd.DataFrame, attempts: pd.DataFrame, cfg: ScoringConfig,
                  by: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """AAPOR outcome rates of the calls: the interviews (``data`` of a survey read with ``dispositions``
    configured) and the calls without one (its ``attempts``), overall or ``by`` a column (a segment, or
    the period column: then by the configured period).

    See :func:`cs_toolkit.survey.dispositions.outcome_rates` for the rates and their reference.

    Examples
    --------
    >>> import cs_toolkit as cs
    >>> from cs_toolkit.survey.reader import validate_frame
    >>> demo = cs.demo.make_survey(seed=0, call_outcomes=True)
    >>> survey = validate_frame(demo.export(), demo.config)
    >>> rates = call_outcomes(survey.data, survey.attempts, survey.config)
    >>> rates[["complete", "refused", "no_contact", "not_eligible"]].iloc[0].tolist()
    [995, 134, 218, 57]
    >>> rates[["response_rate", "cooperation_rate", "contact_rate"]].round(1).iloc[0].tolist()
    [71.9, 85.4, 84.2]
    """
    from cs_toolkit.survey.dispositions import GROUP_COLUMN, outcome_rates

    groups = pd.concat([pd.Series("complete", index=range(len(interviews))),
                        pd.Series(attempts[GROUP_COLUMN].to_numpy() if len(attempts) else [], dtype=object)],
                       ignore_index=True)
    keys = None
    if by is not None:
        column = pd.concat([interviews[by], attempts[by]] if len(attempts) else [interviews[by]], ignore_index=True)
        if by == cfg.period_column:
            column = period_start(column, cfg)
        keys = column.astype(str)
    return outcome_rates(groups, keys, level=level)


def _response(data: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    if cfg.invitations is None:
        return pd.DataFrame()
    if isinstance(cfg.invitations, int):
        return response_rate(len(data), cfg.invitations).assign(level="all")
    counts = data[cfg.invitations_by].value_counts()
    inv = pd.Series(cfg.invitations)
    table = response_rate(counts, inv)
    total = response_rate(int(counts.sum()), int(inv.sum())).set_axis(["all"])
    out = pd.concat([table, total])
    return out.rename_axis("level").reset_index()
