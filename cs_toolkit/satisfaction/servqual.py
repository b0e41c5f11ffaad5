"""SERVQUAL gap analysis (Parasuraman, Zeithaml & Berry 1988).

Each service item is rated twice: what the customer expects (E) and what they perceived (P). The gap
``P - E`` is negative where the service falls short. Items form the five dimensions: tangibles (有形性),
reliability (可靠性), responsiveness (响应性), assurance (保证性) and empathy (移情性). With importance
points (customers divide 100 points over the dimensions), the weighted SERVQUAL score is
``sum_d (points_d / 100) * gap_d``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.errors import ConfigError, DesignError
from cs_toolkit.satisfaction._common import check_columns, numeric_block, resolve_sampling

DIMENSION_NAMES = {
    "tangibles": "有形性",
    "reliability": "可靠性",
    "responsiveness": "响应性",
    "assurance": "保证性",
    "empathy": "移情性",
}


def servqual_pairs(columns: Sequence[str], expectation: str = "E_", perception: str = "P_") -> dict[str, tuple[str, str]]:
    """Pair expectation and perception columns by name: ``E_rel1`` with ``P_rel1`` -> item ``rel1``.

    ``expectation`` and ``perception`` are prefixes (or regular expressions ending the prefix with
    ``(?P<item>...)``). A column with one of the prefixes and no partner raises
    :class:`~cs_toolkit.errors.ConfigError` naming it.

    Examples
    --------
    >>> servqual_pairs(["E_rel1", "P_rel1", "E_tan1", "P_tan1", "age"])
    {'rel1': ('E_rel1', 'P_rel1'), 'tan1': ('E_tan1', 'P_tan1')}
    """
    def pattern(prefix: str) -> re.Pattern:
        return re.compile(prefix if "(?P<item>" in prefix else "^" + re.escape(prefix) + "(?P<item>.+)$")

    pe, pp = pattern(expectation), pattern(perception)
    exp = {m.group("item"): c for c in columns if (m := pe.match(str(c)))}
    per = {m.group("item"): c for c in columns if (m := pp.match(str(c)))}
    lonely_e = [exp[i] for i in exp if i not in per]
    lonely_p = [per[i] for i in per if i not in exp]
    if lonely_e or lonely_p:
        parts = []
        if lonely_e:
            parts.append(f"expectation column(s) {lonely_e} have no perception partner ({perception}...)")
        if lonely_p:
            parts.append(f"perception column(s) {lonely_p} have no expectation partner ({expectation}...)")
        first = (lonely_e or lonely_p)[0]
        raise ConfigError("SERVQUAL items without a pair: " + "; ".join(parts), column=first, item=first)
    if not exp:
        raise ConfigError(f"no expectation/perception columns found with prefixes {expectation!r} / {perception!r}")
    return {i: (exp[i], per[i]) for i in exp}


def _check_pairs(pairs) -> dict[str, tuple[str, str]]:
    if not isinstance(pairs, Mapping) or not pairs:
        raise ConfigError("pairs must map each item to its (expectation, perception) columns; "
                          "servqual_pairs(columns) builds it from E_/P_ names", key="pairs")
    out = {}
    for item, pair in pairs.items():
        if isinstance(pair, str) or pair is None or len(pair) != 2 or any(p is None for p in pair):
            raise ConfigError(f"SERVQUAL item {item!r} has no (expectation, perception) pair: got {pair!r}",
                              item=item, key="pairs")
        out[str(item)] = (str(pair[0]), str(pair[1]))
    return out


def _importance_points(importance, dimensions: list[str], frame: pd.DataFrame) -> np.ndarray | None:
    """(n x D) points per respondent and dimension, normalised to sum to 1; or None."""
    if importance is None:
        return None
    if not isinstance(importance, Mapping):
        raise ConfigError("importance must map each dimension to points (a number) or to a column of "
                          "points per respondent", key="importance")
    missing = [d for d in dimensions if d not in importance]
    unknown = [d for d in importance if d not in dimensions]
    if missing or unknown:
        raise ConfigError(f"importance must give points for exactly the dimensions {dimensions}"
                          + (f"; missing {missing}" if missing else "") + (f"; unknown {unknown}" if unknown else ""),
                          key="importance")
    values = list(importance.values())
    if all(isinstance(v, str) for v in values):
        check_columns(frame, values, "importance column")
        pts = numeric_block(frame, values)
    elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        pts = np.tile(np.array(values, dtype=float), (len(frame), 1))
    else:
        raise ConfigError("importance values must all be numbers (points) or all be column names", key="importance")
    if np.any(pts < 0):
        raise DesignError("importance points must not be negative", key="importance")
    with np.errstate(invalid="ignore", divide="ignore"):
        return pts / pts.sum(axis=1, keepdims=True)


def servqual_gaps(data, pairs: Mapping[str, Sequence[str]], dimensions: Mapping[str, Sequence[str]] | None = None,
                  importance: Mapping[str, float | str] | None = None, weights: str | None = None, design=None,
                  level: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Expectation-perception gaps per item, per dimension and overall, each with a paired test.

    For respondent i and item k the gap is ``g_ik = P_ik - E_ik``; a respondent's dimension gap is the
    mean of their item gaps in the dimension (items they skipped left out), the overall gap the mean of
    their dimension gaps, and the weighted gap ``sum_d (points_d / 100) g_id``. Each mean gap is tested
    against zero:

    - without weights or design: the paired t-test (one-sample t on the differences, ``n - 1`` df);
    - with a design (or weights): the design-based Wald test, ``SurveyDesign.mean`` of the difference
      variable with its Taylor-linearised standard error (z, normal quantiles).

    p-values are also Holm-adjusted within each level (items, dimensions, overall), and ``significant``
    uses the adjusted value.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyDesign
    pairs : dict
        ``{item: (expectation column, perception column)}`` (see :func:`servqual_pairs`).
    dimensions : dict, optional
        ``{dimension: [items]}``, e.g. the five SERVQUAL dimensions; default: one dimension per item.
        Every item must be paired and belong to exactly one dimension.
    importance : dict, optional
        Importance points per dimension: ``{dimension: points}`` (the same for all) or ``{dimension:
        column}`` (each respondent's points); normalised to sum to 100.
    weights : str, optional
        Weight column (a DataFrame without design).
    design : SurveyDesign, optional
        The design of ``data`` (or pass the design as ``data``).

    Returns
    -------
    pandas.DataFrame
        ``level`` (item / dimension / overall / weighted overall), ``dimension``, ``dimension_zh``,
        ``item``, ``expectation``, ``perception``, ``gap``, ``se``, ``ci_low``, ``ci_high``,
        ``statistic``, ``p_value``, ``p_adjusted``, ``significant``, ``n``, ``importance`` (points of
        100), ``weighted_gap``, ``test``.

    References
    ----------
    Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL: a multiple-item scale for measuring
    consumer perceptions of service quality. *Journal of Retailing* 64(1), 12-40.

    Examples
    --------
    >>> from cs_toolkit.satisfaction.demo import make_servqual_survey
    >>> survey = make_servqual_survey(n=400, seed=0)
    >>> pairs = servqual_pairs(survey.data.columns)
    >>> res = servqual_gaps(survey.data, pairs, survey.measurement)
    >>> res.query("level == 'dimension'")[["dimension", "dimension_zh", "gap", "significant"]].round(2)
             dimension dimension_zh   gap  significant
    22       tangibles          有形性 -0.07        False
    23     reliability          可靠性 -0.88         True
    24  responsiveness          响应性 -0.59         True
    25       assurance          保证性 -0.35         True
    26         empathy          移情性 -0.41         True
    """
    pairs = _check_pairs(pairs)
    if dimensions is None:
        dimensions = {item: [item] for item in pairs}
    dims = {str(d): [str(i) for i in items] for d, items in dimensions.items()}
    owner: dict[str, str] = {}
    for d, items in dims.items():
        if not items:
            raise ConfigError(f"dimension {d!r} has no items", key="dimensions")
        for item in items:
            if item not in pairs:
                raise ConfigError(f"item {item!r} of dimension {d!r} has no (expectation, perception) pair in pairs",
                                  item=item, key="dimensions")
            if item in owner:
                raise ConfigError(f"item {item!r} is in two dimensions, {owner[item]!r} and {d!r}", item=item)
            owner[item] = d
    unassigned = [i for i in pairs if i not in owner]
    if unassigned:
        raise ConfigError(f"item(s) {unassigned} belong to no dimension", item=unassigned[0], key="dimensions")
    sampling = resolve_sampling(data, weights, design)
    frame = sampling.frame
    columns = [c for item in owner for c in pairs[item]]
    check_columns(frame, columns, "SERVQUAL column")
    values = numeric_block(frame, columns)
    items = list(owner)
    e, p = values[:, 0::2], values[:, 1::2]
    gaps = p - e
    dim_names = list(dims)
    members = [[items.index(i) for i in dims[d]] for d in dim_names]
    dim_gap = np.column_stack([_row_mean(gaps[:, idx]) for idx in members])
    dim_e = np.column_stack([_row_mean(e[:, idx]) for idx in members])
    dim_p = np.column_stack([_row_mean(p[:, idx]) for idx in members])
    points = _importance_points(importance, dim_names, frame)

    # (level, dimension, item, gap, expectation, perception) per row of the result
    targets = [("item", owner[item], item, gaps[:, k], e[:, k], p[:, k]) for k, item in enumerate(items)]
    targets += [("dimension", d, None, dim_gap[:, j], dim_e[:, j], dim_p[:, j]) for j, d in enumerate(dim_names)]
    targets.append(("overall", None, None, _row_mean(dim_gap), _row_mean(dim_e), _row_mean(dim_p)))
    if points is not None:
        weighted = np.where(np.isfinite(dim_gap).all(axis=1), np.nansum(dim_gap * points, axis=1), np.nan)
        targets.append(("weighted overall", None, None, weighted, None, None))
    rows = _design_tests(targets, sampling, level) if sampling.weighted else [_paired_t(t, level) for t in targets]
    out = pd.DataFrame(rows)
    out.insert(out.columns.get_loc("dimension") + 1, "dimension_zh", out["dimension"].map(DIMENSION_NAMES))
    from cs_toolkit.survey.inference import holm

    out["p_adjusted"] = np.nan
    for _, idx in out.groupby("level", sort=False).groups.items():
        out.loc[idx, "p_adjusted"] = holm(out.loc[idx, "p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out["importance"] = np.nan
    out["weighted_gap"] = np.nan
    if points is not None:
        mean_points = 100 * np.nanmean(points, axis=0)
        for j, d in enumerate(dim_names):
            mask = (out["level"] == "dimension") & (out["dimension"] == d)
            out.loc[mask, "importance"] = mean_points[j]
            out.loc[mask, "weighted_gap"] = out.loc[mask, "gap"] * mean_points[j] / 100
    order = ["level", "dimension", "dimension_zh", "item", "expectation", "perception", "gap", "se", "ci_low",
             "ci_high", "statistic", "p_value", "p_adjusted", "significant", "n", "importance", "weighted_gap", "test"]
    return out[order]


def _row_mean(block: np.ndarray) -> np.ndarray:
    """Mean of each row over its non-missing entries (NaN when all are missing)."""
    count = np.isfinite(block).sum(axis=1)
    total = np.nansum(block, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _paired_t(target, level: float) -> dict:
    from scipy import stats

    level_name, dim, item, gap, e, p = target
    ok = np.isfinite(gap)
    n = int(ok.sum())
    g = gap[ok]
    mean = float(g.mean()) if n else np.nan
    se = float(g.std(ddof=1) / math.sqrt(n)) if n > 1 else np.nan
    if n > 1 and se > 0:
        t = mean / se
        pv = float(2 * stats.t.sf(abs(t), n - 1))
    else:
        t, pv = np.nan, np.nan
    q = float(stats.t.ppf(0.5 + level / 2, n - 1)) if n > 1 else np.nan
    return {"level": level_name, "dimension": dim, "item": item,
            "expectation": float(e[ok].mean()) if e is not None and n else np.nan,
            "perception": float(p[ok].mean()) if p is not None and n else np.nan,
            "gap": mean, "se": se, "ci_low": mean - q * se, "ci_high": mean + q * se, "statistic": t,
            "p_value": pv, "n": n, "test": "paired t-test (perception - expectation)"}


def _design_tests(targets, sampling, level: float) -> list[dict]:
    """Design-based means of the difference variables with ``SurveyDesign.mean`` (Taylor linearisation).

    The design is rebuilt on the answers plus the difference variables with the same weights, strata,
    PSUs and fpc. A calibrated design's weights are used as they are; the variance then ignores the
    calibration (usually a little conservative).
    """
    from scipy import stats

    from cs_toolkit.survey.design import SurveyDesign

    extra = {}
    for k, (_, _, _, gap, e, p) in enumerate(targets):
        extra[f"__gap{k}"] = gap
        extra[f"__e{k}"] = e if e is not None else np.full(len(gap), np.nan)
        extra[f"__p{k}"] = p if p is not None else np.full(len(gap), np.nan)
    source = sampling.design
    if source is not None:
        base = source.data.reset_index(drop=True)
        table = pd.concat([base, pd.DataFrame(extra)], axis=1)
        table["__w"] = source.weights.to_numpy()
        design = SurveyDesign(table, weights="__w", strata=source.strata_column, psu=source.psu_columns or None,
                              fpc=None if getattr(source, "_calibrations", ()) else (source.fpc_columns or None),
                              lonely_psu=source.lonely_psu)
        test = "design-based Wald z (Taylor linearisation, SurveyDesign.mean)"
    else:
        table = pd.DataFrame(extra)
        table["__w"] = sampling.weights
        design = SurveyDesign(table, weights="__w")
        test = "weighted Wald z (Taylor linearisation, SurveyDesign.mean; each row its own unit)"
    z_q = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for k, (level_name, dim, item, gap, e, _) in enumerate(targets):
        n = int(np.isfinite(gap).sum())
        res = design.mean(f"__gap{k}", level=level).iloc[0]
        est, se = float(res["estimate"]), float(res["se"])
        z = est / se if se > 0 else np.nan
        rows.append({"level": level_name, "dimension": dim, "item": item,
                     "expectation": float(design.mean(f"__e{k}").iloc[0]["estimate"]) if e is not None else np.nan,
                     "perception": float(design.mean(f"__p{k}").iloc[0]["estimate"]) if e is not None else np.nan,
                     "gap": est, "se": se, "ci_low": est - z_q * se, "ci_high": est + z_q * se, "statistic": z,
                     "p_value": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan, "n": n,
                     "test": test})
    return rows


__all__ = ["DIMENSION_NAMES", "servqual_gaps", "servqual_pairs"]
