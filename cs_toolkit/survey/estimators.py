"""Means, totals and shares by domain with their influence values, as R ``survey``'s ``svymean``,
``svytotal`` and ``svyby`` compute them; and the result tables.

A domain estimate uses the whole design (rows outside the domain contribute zero influence), so its
standard error is a correct domain SE. All sums are ``np.bincount`` calls on integer codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_toolkit.errors import DesignError
from cs_toolkit.survey._grouping import factorize, group_sum
from cs_toolkit.survey.inference import confidence_interval
from cs_toolkit.survey.stages import _Sampling
from cs_toolkit.survey.variance import _Influence


def frozen(array: np.ndarray) -> np.ndarray:
    """``array`` made read-only (in place): a cached array that designs or threads share is never written.

    Not for arrays that go into ``np.bincount``: it copies read-only input (its codes and its weights).
    """
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class _Domains:
    """Domains of the rows and their weight sums, cached per design (they depend on the weights).

    The sums are read-only; ``codes`` and ``finest_key`` go into ``np.bincount`` and so are left writable,
    but nothing writes to them.
    """

    codes: np.ndarray  # (n,) domain of each row, -1 = in none
    labels: pd.DataFrame | None
    k: int
    complete: bool  # every row is in a domain
    weight_sum: np.ndarray  # (k,) over all rows of the domain
    weight_sq_sum: np.ndarray
    n: np.ndarray
    finest_weight_sum: np.ndarray | None  # (n_units x k) at the finest stage, for grouped unit totals
    finest_key: np.ndarray | None  # (n,) finest unit * k + domain, when every row is in a domain


@dataclass
class _Estimate:
    estimate: np.ndarray
    influence: _Influence
    n: np.ndarray
    weight_sum: np.ndarray
    weight_sq_sum: np.ndarray
    srs_variance: np.ndarray | None  # variance under simple random sampling, for the design effect
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    n_missing: np.ndarray | None = None  # (k,) rows of the domain left out for a missing value
    codes: np.ndarray | None = None  # (n,) domain of each row (-1: none), and the rows used (None: all)
    valid: np.ndarray | None = None
    na_rm: bool = True

    def support(self) -> np.ndarray:
        """The domain of each row used by the estimate, -1 for rows left out (missing or in no domain)."""
        if self.valid is None:
            return self.codes
        return np.where(self.valid, self.codes, -1)

    def missing_mask(self) -> np.ndarray:
        """Domains whose estimate is NA because ``na_rm=False`` and they have missing values."""
        if self.na_rm or self.n_missing is None:
            return np.zeros(len(self.estimate), dtype=bool)
        return self.n_missing > 0


def domains(
    data: pd.DataFrame, by: tuple[str, ...], weights: np.ndarray, sampling: _Sampling, calibrated: bool = False
) -> _Domains:
    """Domain codes of the rows and the weight sums that every estimate in those domains needs (the
    per-unit weight sums of the grouped path only where it is used: not on calibrated designs)."""
    if not by:
        codes, labels, k = np.zeros(len(data), dtype=np.int64), None, 1
    else:
        missing = [c for c in by if c not in data.columns]
        if missing:
            raise DesignError(f"by column(s) {missing} not in the data; available: {list(data.columns)}")
        codes, labels = factorize(data, list(by))
        k = len(labels)
    inside = codes >= 0
    complete = bool(inside.all())
    g = codes if complete else codes[inside]
    w = weights if complete else weights[inside]
    finest_sw = finest_key = None
    if sampling.grouped_totals and not calibrated:
        finest = sampling.finest
        unit = finest.unit if complete else finest.unit[inside]
        key = unit * k + g
        finest_sw = frozen(np.bincount(key, weights=w, minlength=finest.n_units * k).reshape(finest.n_units, k))
        finest_key = key if complete else None
    return _Domains(
        codes, labels, k, complete,
        frozen(np.bincount(g, weights=w, minlength=k)), frozen(np.bincount(g, weights=w * w, minlength=k)),
        frozen(np.bincount(g, minlength=k).astype(float)), finest_sw, finest_key,
    )


def numeric(data: pd.DataFrame, var: str) -> np.ndarray:
    """A numeric (or boolean) column as a new float64 array, NaN where missing."""
    if var not in data.columns:
        raise DesignError(f"column {var!r} not in the data; available: {list(data.columns)}")
    col = data[var]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise DesignError(
            f"column {var!r} is not numeric (dtype {col.dtype}); use proportion() for categories, "
            f"or read the export with cs_toolkit.read_survey to convert and validate it."
        )
    return col.to_numpy(dtype=float, na_value=np.nan)


def is_categorical(data: pd.DataFrame, var: str) -> bool:
    """A text, categorical or other non-numeric column (R: a factor): estimated level by level."""
    if var not in data.columns:
        raise DesignError(f"column {var!r} not in the data; available: {list(data.columns)}")
    col = data[var]
    return not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))


def level_indicators(col: pd.Series):
    """``(level, indicator)`` for each level of a categorical column, sorted; NaN where it is missing."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [lv for lv in col.cat.categories if (col == lv).any()]
    else:
        levels = list(pd.Index(col.dropna().unique()).sort_values())
    missing = col.isna().to_numpy()
    for lv in levels:
        y = (col == lv).to_numpy(dtype=float, na_value=0.0)
        y[missing] = np.nan
        yield lv, y


def column_info(data: pd.DataFrame, var: str) -> tuple[np.ndarray, bool, bool]:
    """A numeric column as a read-only float64 array, whether it has missing values, whether all are whole."""
    arr = numeric(data, var)
    finite = np.isfinite(arr)
    has_missing = not bool(finite.all())
    values = arr[finite] if has_missing else arr
    return frozen(arr), has_missing, bool(np.all(values == np.round(values)))


def numbers_sought(col: pd.Series, values: Sequence[object]) -> bool:
    return pd.api.types.is_numeric_dtype(col) and all(isinstance(v, int | float) for v in values)


def number_indicator(
    arr: np.ndarray, has_missing: bool, integral: bool, values: Sequence[object], out: np.ndarray
) -> np.ndarray:
    """1.0 where ``arr`` is one of ``values``, 0.0 elsewhere, NaN where missing; written into ``out``."""
    wanted = np.unique(np.asarray(values, dtype=float))
    if integral and len(wanted) and np.all(wanted == np.round(wanted)) and np.all(np.diff(wanted) == 1):
        # a run of scale points (top-2-box) on whole numbers: two comparisons, no set lookup
        hit = (arr >= wanted[0]) & (arr <= wanted[-1])
    else:
        hit = np.isin(arr, wanted)
    out[:] = hit
    if has_missing:
        out[np.isnan(arr)] = np.nan
    return out


def label_indicator(col: pd.Series, values: Sequence[object]) -> tuple[np.ndarray, bool]:
    """1.0 where ``col`` is one of ``values``, 0.0 elsewhere, NaN where missing; and whether any is."""
    y = col.isin(list(values)).to_numpy(dtype=float)
    missing = col.isna().to_numpy()
    y[missing] = np.nan
    return y, bool(missing.any())


def nps_score(y: np.ndarray, has_missing: bool, out: np.ndarray) -> np.ndarray:
    """+100 for promoters (9-10), 0 for passives, -100 for detractors (0-6), NaN where missing; into ``out``."""
    out[:] = y >= 9
    out -= y <= 6
    out *= 100.0
    if has_missing:
        out[np.isnan(y)] = np.nan
    return out


def linearize(
    y: np.ndarray,
    dom: _Domains,
    kind: str,
    weights: np.ndarray,
    sampling: _Sampling,
    calibrated: bool,
    out: np.ndarray,
    binary: bool = False,
    second_moment: bool = False,
    has_missing: bool | None = None,
    na_rm: bool = True,
    replicates=None,
    deff_replace: bool = False,
) -> _Estimate:
    """Estimates of a mean or total of ``y`` in each domain, and their influence values.

    ``out`` is a scratch buffer of at least ``len(y)`` floats for the products ``w y``: allocating a fresh
    n-sized temporary per estimate costs as much as the arithmetic. ``second_moment`` also sums w y^2
    (for design effects); ``binary`` says y is 0/1, so that sum(w y^2) = sum(w y) comes free.
    """
    if kind not in ("mean", "total"):  # pragma: no cover - internal misuse
        raise ValueError(kind)
    k = dom.k
    if has_missing is False:
        finite = None
        all_valid = dom.complete
    else:
        finite = np.isfinite(y)
        all_valid = dom.complete and bool(finite.all())
    n_missing = np.zeros(k)
    if finite is not None and not bool(finite.all()):
        lost = ~finite if dom.complete else ~finite & (dom.codes >= 0)
        n_missing = np.bincount(dom.codes[lost], minlength=k).astype(float)
    if all_valid:
        valid = None
        g, wv, yv = dom.codes, weights, y
        weight_sum, weight_sq_sum, n = dom.weight_sum, dom.weight_sq_sum, dom.n
    else:
        valid = (dom.codes >= 0) if finite is None else finite & (dom.codes >= 0)
        g, wv, yv = dom.codes[valid], weights[valid], y[valid]
        weight_sum = np.bincount(g, weights=wv, minlength=k)
        weight_sq_sum = np.bincount(g, weights=wv * wv, minlength=k)
        n = np.bincount(g, minlength=k).astype(float)
    wy = np.multiply(wv, yv, out=out[: len(wv)])
    grouped = sampling.grouped_totals and not calibrated and replicates is None
    if grouped:
        finest = sampling.finest
        key = dom.finest_key if valid is None else finest.unit[valid] * k + g
        unit_wy = np.bincount(key, weights=wy, minlength=finest.n_units * k).reshape(finest.n_units, k)
        wy_sum = unit_wy.sum(axis=0)
    else:
        wy_sum = np.bincount(g, weights=wy, minlength=k)
    if binary:
        wyy_sum = wy_sum
    elif second_moment:
        wyy_sum = np.bincount(g, weights=wy * yv, minlength=k)
    else:
        wyy_sum = None
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = wy_sum / weight_sum
        estimate = mean if kind == "mean" else wy_sum
        srs = None
        if wyy_sum is not None:
            element_var = np.maximum(wyy_sum - weight_sum * mean**2, 0.0) / weight_sum * n / (n - 1)
            srs = element_var * srs_factor(n, weight_sum, not deff_replace)
            if kind == "total":
                srs = srs * weight_sum**2
            elif not deff_replace:
                srs = np.where(weight_sum < n, np.nan, srs)  # R: NA, "Sample size greater than population size"
    if replicates is not None:
        influence = replicate_estimates(replicates, y, dom, valid, kind, estimate)
    elif grouped:
        influence = grouped_influence(dom, sampling, valid, key, wv, unit_wy, mean, weight_sum, kind)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == "total":
                contrib = wy.copy()
            elif k == 1:  # one domain: scalars instead of an n-sized gather
                contrib = (yv - mean[0]) * wv
                contrib *= 1.0 / weight_sum[0]
            else:
                contrib = wv * (yv - mean[g]) / weight_sum[g]
        if valid is None:
            x = contrib
            column = dom.codes
        else:
            x = np.zeros(len(weights))
            x[valid] = contrib
            column = np.where(valid, dom.codes, -1)
        influence = _Influence(x, column, k)
    est = _Estimate(estimate, influence, n, weight_sum, weight_sq_sum, srs, n_missing=n_missing,
                    codes=dom.codes, valid=valid, na_rm=na_rm)
    est.extra["_wyy_sum"] = wyy_sum
    if not na_rm:
        est.estimate = np.where(n_missing > 0, np.nan, est.estimate)
    return est


def replicate_estimates(replicates, y, dom, valid, kind, estimate):
    """The domain means or totals of ``y`` under every set of replicate weights (R x k)."""
    from cs_toolkit.survey.replicate import _ReplicateEstimates

    codes = dom.codes if valid is None else np.where(valid, dom.codes, -1)
    values = y if valid is None else np.where(valid, y, 0.0)
    reps = replicates.sums(values, codes, dom.k)
    if kind == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = reps / replicates.sums(np.ones(len(y)), codes, dom.k)
    return _ReplicateEstimates(reps, np.asarray(estimate, dtype=float))


def grouped_influence(dom, sampling, valid, key, wv, unit_wy, mean, weight_sum, kind) -> _Influence:
    """Unit totals of the influence values straight from grouped sums: (sum wy - mean * sum w) / W."""
    finest = sampling.finest
    k = dom.k
    size = finest.n_units * k
    totals = unit_wy
    if kind == "mean":
        sw = dom.finest_weight_sum if valid is None else np.bincount(key, weights=wv, minlength=size).reshape(
            finest.n_units, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            totals = np.where(weight_sum > 0, (totals - mean * sw) / weight_sum, 0.0)
    last = len(sampling.stages) - 1
    per_stage = [
        totals if s == last else group_sum(sampling.finest_to_stage[s], totals, stage.n_units)
        for s, stage in enumerate(sampling.stages)
    ]
    return _Influence(None, None, k, unit_totals=per_stage)


def srs_factor(n: np.ndarray, weight_sum: np.ndarray, without_replacement: bool) -> np.ndarray:
    """The simple-random-sampling variance factor of R's ``deff``: ``(N - n) / (N n)`` with ``N = sum(w)``
    (``deff=TRUE``), or ``1 / n`` (``deff="replace"``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if without_replacement:
            return (weight_sum - n) / (weight_sum * n)
        return 1.0 / n


def table(
    est: _Estimate,
    variance: np.ndarray,
    labels: pd.DataFrame | None,
    variable: str,
    level: float,
    extra_keys: dict[str, object] | None = None,
    deff: bool | str = False,
    interval=None,
    df: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per domain: labels, ``variable``, estimate, SE, CI, n, n_eff, n_missing and the extras.

    ``interval(estimate, se)`` gives the CI (default: Wald with normal quantiles, R's ``confint``);
    ``df`` (the degrees of freedom the interval used) is reported when given.
    """
    var = np.where((est.n > 0) & ~est.missing_mask(), variance, np.nan)  # an empty domain has no SE
    se = np.sqrt(var)
    if interval is None:
        ci_low, ci_high = confidence_interval(est.estimate, se, level)
    else:
        ci_low, ci_high = interval(est.estimate, se)
    k = len(est.estimate)
    columns: dict[str, object] = {} if labels is None else {c: labels[c].to_numpy() for c in labels.columns}
    columns["variable"] = np.full(k, variable, dtype=object)
    for key, value in (extra_keys or {}).items():
        columns[key] = np.full(k, value, dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns.update(
            estimate=est.estimate, se=se, ci_low=ci_low, ci_high=ci_high,
            n=est.n.astype(np.int64), n_eff=est.weight_sum**2 / est.weight_sq_sum,
            n_missing=(np.zeros(k) if est.n_missing is None else est.n_missing).astype(np.int64),
        )
        if df is not None:
            columns["df"] = np.asarray(df, dtype=float)
        if deff and est.srs_variance is not None:
            columns["deff"] = var / est.srs_variance
    columns.update({key: value for key, value in est.extra.items() if not key.startswith("_")})
    return pd.DataFrame(columns)


def finish(frames: list[pd.DataFrame], by_cols: list[str], key_cols: list[str]) -> pd.DataFrame:
    """The tables of several variables (or levels) stacked, indexed by domain and, if it varies, key."""
    out = pd.concat(frames, ignore_index=True)
    index_cols = [*by_cols, *[c for c in key_cols if out[c].nunique() > 1 or not by_cols]]
    if len(index_cols) == 1:
        out.index = pd.Index(out[index_cols[0]].to_list())
    else:
        out.index = pd.MultiIndex.from_frame(out[index_cols].astype(object), names=[None] * len(index_cols))
    return out


def domain_names(labels: pd.DataFrame | None) -> list[str]:
    """``"a / b"`` names of the domains, for comparison tables."""
    if labels is None:
        return ["all"]
    return [" / ".join(str(v) for v in row) for row in labels.itertuples(index=False)]
