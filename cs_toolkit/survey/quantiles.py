"""Quantiles with Woodruff confidence intervals, as R ``survey``'s ``svyquantile`` (survey >= 4.1).

R's defaults: ``qrule="math"`` (the inverse of the weighted distribution function: the smallest value
whose cumulative weight share reaches p) and ``interval.type="mean"`` (Woodruff 1952): a Wald interval
for the estimated share of values at or below the quantile, on the design's degrees of freedom, mapped
back through the same rule; the SE is the interval's width over ``2 t_df``.

All domains are handled at once: rows are sorted by (domain, value) once, and each quantile is found
from per-domain counts of the rows whose cumulative weight lies below the target (``np.bincount``), so
no Python loop runs over rows or domains. Cumulative weights are summed in extended precision, as R's
``cumsum`` and ``sum`` do, so that a target falling exactly on a cumulative weight is decided as in R.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_toolkit.errors import DesignError


def check_numeric(data: pd.DataFrame, var: str) -> None:
    if var not in data.columns:
        raise DesignError(f"column {var!r} not in the data; available: {list(data.columns)}")
    col = data[var]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        example = col.dropna().iloc[:3].tolist()
        raise DesignError(
            f"quantile() needs a numeric column, but {var!r} holds text or categories (dtype {col.dtype}, "
            f"e.g. {example}). Convert it to numbers first (pandas.to_numeric), or use proportion() for "
            f"the shares of its categories.",
            column=var,
        )


def check_probabilities(q: float | Sequence[float]) -> np.ndarray:
    probs = np.atleast_1d(np.asarray(q, dtype=float))
    if probs.ndim != 1 or len(probs) == 0 or not np.all((probs >= 0) & (probs <= 1)):
        raise DesignError(f"q must be a probability or a list of probabilities in [0, 1], not {q!r}")
    return probs


@dataclass(frozen=True)
class SortedDomains:
    """Rows of each domain sorted by value, with within-domain cumulative weights (R ``qs``)."""

    x: np.ndarray  # values, sorted by (domain, value)
    code: np.ndarray  # domain of each sorted row
    cumw: np.ndarray  # cumulative weight within the domain (double, summed in extended precision)
    total: np.ndarray  # (k,) weight of the domain
    start: np.ndarray  # (k,) first sorted row of the domain
    count: np.ndarray  # (k,) rows of the domain

    @classmethod
    def build(cls, x: np.ndarray, w: np.ndarray, codes: np.ndarray, k: int) -> SortedDomains:
        """``codes`` is -1 for rows left out; rows with weight 0 are left out too (R's ``qrule_math``)."""
        rows = np.flatnonzero((codes >= 0) & (w != 0))
        order = rows[np.lexsort((x[rows], codes[rows]))]
        xs, ws, cs = x[order], w[order], codes[order]
        count = np.bincount(cs, minlength=k)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        running = np.cumsum(ws.astype(np.longdouble))
        before = np.where(start > 0, running[np.maximum(start - 1, 0)], 0)
        before = np.where(count > 0, before, 0)
        cumw = (running - before[cs]).astype(float)
        total = np.where(count > 0, (running[np.maximum(start + count - 1, 0)] - before), 0).astype(float)
        return cls(xs, cs, cumw, total, start, count)

    def quantile(self, p: np.ndarray) -> np.ndarray:
        """R's ``qrule_math`` in each domain at probability ``p`` (k,); NaN where p is NaN or the domain empty."""
        k = len(self.count)
        p = np.broadcast_to(np.asarray(p, dtype=float), (k,))
        with np.errstate(invalid="ignore"):
            target = p * self.total
            below = self.cumw <= target[self.code]
        n_below = np.bincount(self.code, weights=below, minlength=k).astype(np.int64)
        ok = (self.count > 0) & np.isfinite(p)
        # R's last(): the last row whose cumulative weight is <= p * W, or the first row when there is none
        pos = self.start + np.maximum(n_below, 1) - 1
        pos = np.where(ok, pos, 0)
        if len(self.x) == 0:
            return np.full(k, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            wlow = p - self.cumw[pos] / self.total
        after = np.minimum(pos + 1, self.start + self.count - 1)
        value = np.where(wlow == 0, self.x[pos], self.x[np.where(ok, after, 0)])
        return np.where(ok, value, np.nan)


def woodruff_limits(
    sorted_domains: SortedDomains, share: np.ndarray, se: np.ndarray, q: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``woodruffCI(method="mean")``: the quantiles at ``share -/+ q se`` (NaN outside [0, 1])."""
    with np.errstate(invalid="ignore"):
        low_p, high_p = share - q * se, share + q * se
        low_p = np.where(low_p < 0, np.nan, low_p)
        high_p = np.where(high_p > 1, np.nan, high_p)
    return sorted_domains.quantile(low_p), sorted_domains.quantile(high_p)


def table(
    labels: pd.DataFrame | None,
    variable: str,
    p: float,
    estimate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    crit: np.ndarray,
    n: np.ndarray,
    n_missing: np.ndarray,
    df: np.ndarray,
    lost: np.ndarray,
) -> pd.DataFrame:
    """One row per domain; ``lost`` marks domains that are NA because of missing values (``na_rm=False``)."""
    k = len(estimate)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = (high - low) / (2 * crit)
    columns: dict[str, object] = {} if labels is None else {c: labels[c].to_numpy() for c in labels.columns}
    columns["variable"] = np.full(k, variable, dtype=object)
    columns["quantile"] = np.full(k, p)
    for name, values in (("estimate", estimate), ("se", se), ("ci_low", low), ("ci_high", high)):
        columns[name] = np.where(lost, np.nan, values)
    columns["n"] = n.astype(np.int64)
    columns["n_missing"] = n_missing.astype(np.int64)
    columns["df"] = df
    return pd.DataFrame(columns)
