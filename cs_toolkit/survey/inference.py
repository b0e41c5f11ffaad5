"""Confidence intervals and tests, as R ``survey``'s ``confint``, ``svyciprop``, ``svyttest`` and
``svycontrast`` give them; Holm's adjustment for the number of tests.

Degrees of freedom are the design's (R ``degf``: sampling units minus strata); ``df = inf`` means normal
quantiles (R's ``confint`` default for means and totals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cs_toolkit.errors import DesignError

COMPARISON_COLUMNS = ["group_a", "group_b", "estimate_a", "estimate_b", "difference", "se", "z", "df",
                      "p_value", "p_adjusted", "significant", "n_missing", "test"]
PROPORTION_METHODS = ("logit", "beta", "wilson", "wald")
TESTS = ("t", "z")


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN stay NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    adjusted = np.minimum(1.0, np.maximum.accumulate(pv[order] * (m - np.arange(m))))
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out


def check_level(level: float) -> None:
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise DesignError(f"level must be a number between 0 and 1 (e.g. 0.95), not {level!r}")


def critical_value(level: float, df: np.ndarray | float = np.inf) -> np.ndarray:
    """Two-sided critical value: Student t on ``df`` degrees of freedom (normal where df is infinite, NaN
    where df <= 0, as R's ``confint(..., df=)`` and ``qt``)."""
    df = np.asarray(df, dtype=float)
    q = 0.5 + level / 2
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(df), stats.norm.ppf(q), stats.t.ppf(q, np.where(df > 0, df, 1.0)))
    return np.where(df > 0, out, np.nan)


def confidence_interval(
    estimate: np.ndarray, se: np.ndarray, level: float, df: np.ndarray | float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval ``estimate -/+ q se`` (R's ``confint``; normal quantiles unless ``df`` is given)."""
    q = critical_value(level, df)
    with np.errstate(invalid="ignore"):
        return estimate - q * se, estimate + q * se


def expit(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def proportion_interval(
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    n: np.ndarray,
    n_rows: np.ndarray,
    method: str,
    level: float,
    logit_se: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a proportion ``p`` with design-based standard error ``se``.

    As R ``svyciprop`` with the design's degrees of freedom ``df``:

    - ``"logit"``: ``expit(logit(p) -/+ t_df se / (p (1 - p)))`` (``method="logit"``, the Wald interval of
      the quasibinomial intercept);
    - ``"beta"``: Korn and Graubard (1998): Clopper-Pearson limits with the effective sample size
      ``p (1 - p) / se^2`` times ``(t_{n_rows - 1} / t_df)^2`` (``method="beta"``);
    - ``"wald"``: ``p -/+ t_df se`` (``method="mean"``);
    - ``"wilson"``: Wilson's score interval with the effective sample size ``p (1 - p) / se^2`` and the
      quantile ``t_df`` (not in R; Dean and Pagano 2015).

    Where ``p`` is 0 or 1 the design-based SE is 0 and R's intervals have zero width or are NaN; there
    every method uses the Korn-Graubard (Clopper-Pearson) limits on the ``n`` respondents (Wilson's own
    limits for ``"wilson"``), so a 0% share still gets an upper limit above 0.

    ``logit_se`` replaces the delta-method SE of ``logit(p)`` (``se / (p (1 - p))``); on a replicate
    design it is the replicate SE of the logits, as R's ``svyglm`` refits give it.
    """
    if method not in PROPORTION_METHODS:
        raise DesignError(f"ci must be one of {PROPORTION_METHODS}, not {method!r}")
    p, se = np.asarray(p, dtype=float), np.asarray(se, dtype=float)
    df, n, n_rows = (np.broadcast_to(np.asarray(a, dtype=float), p.shape) for a in (df, n, n_rows))
    alpha = 1 - level
    q = critical_value(level, df)
    lo = np.full(p.shape, np.nan)
    hi = np.full(p.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        edge = (p <= 0) | (p >= 1)
        inner = ~edge & np.isfinite(p)
        if method == "wald":
            lo, hi = p - q * se, p + q * se
        elif method == "logit":
            half = q * (se / (p * (1 - p)) if logit_se is None else logit_se)
            lo, hi = expit(np.log(p / (1 - p)) - half), expit(np.log(p / (1 - p)) + half)
        elif method == "beta":
            n_eff = p * (1 - p) / se**2 * _korn_graubard_factor(alpha, n_rows, df)
            lo, hi = _clopper_pearson(p, n_eff, alpha)
        else:  # wilson
            n_eff = p * (1 - p) / se**2
            lo, hi = _wilson(p, n_eff, q)
        lo, hi = np.where(inner, lo, np.nan), np.where(inner, hi, np.nan)
        if edge.any():
            if method == "wilson":
                e_lo, e_hi = _wilson(p, n, q)
            else:
                e_lo, e_hi = _clopper_pearson(p, n * _korn_graubard_factor(alpha, n_rows, df), alpha)
            lo = np.where(edge & (n > 0), e_lo, lo)
            hi = np.where(edge & (n > 0), e_hi, hi)
    bad = ~(df > 0) | ~np.isfinite(se)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _korn_graubard_factor(alpha: float, n_rows: np.ndarray, df: np.ndarray) -> np.ndarray:
    """``(qt(alpha/2, n_rows - 1) / qt(alpha/2, df))^2``, R's degrees-of-freedom adjustment of n_eff."""
    with np.errstate(invalid="ignore", divide="ignore"):
        top = np.where(np.isinf(n_rows), stats.norm.ppf(alpha / 2), stats.t.ppf(alpha / 2, n_rows - 1))
        bottom = np.where(np.isinf(df), stats.norm.ppf(alpha / 2), stats.t.ppf(alpha / 2, df))
        return (top / bottom) ** 2


def _clopper_pearson(p: np.ndarray, n_eff: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    x = n_eff * p
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(p <= 0, 0.0, stats.beta.ppf(alpha / 2, np.where(p <= 0, 1.0, x), n_eff * (1 - p) + 1))
        hi = np.where(p >= 1, 1.0, stats.beta.ppf(1 - alpha / 2, x + 1, np.where(p >= 1, 1.0, n_eff * (1 - p))))
    return lo, hi


def _wilson(p: np.ndarray, n_eff: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        q2n = q**2 / n_eff
        centre = (p + q2n / 2) / (1 + q2n)
        half = q * np.sqrt(p * (1 - p) / n_eff + q2n / (4 * n_eff)) / (1 + q2n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def bounded_interval(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray, n: np.ndarray, n_rows: np.ndarray,
    low: float, high: float, method: str, level: float, logit_se: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a mean bounded by ``[low, high]`` (NPS: -100..100): the proportion interval of
    ``(estimate - low) / (high - low)`` mapped back (R: ``svyciprop(~I((y - low)/(high - low)), ...)``);
    ``logit_se`` is the SE of the logit of that share, when known otherwise than by the delta method."""
    width = high - low
    lo, hi = proportion_interval((estimate - low) / width, se / width, df, n, n_rows, method, level, logit_se)
    return low + width * lo, low + width * hi


def domain_pairs(k: int, pairs: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices (a, b) of the domains to compare: all pairs a < b, or each domain with the one before it."""
    if pairs == "all":
        return np.triu_indices(k, 1)
    if pairs == "consecutive":
        a = np.arange(max(k - 1, 0))
        return a, a + 1
    raise DesignError(f"pairs must be 'all' or 'consecutive', not {pairs!r}")


def contrast_matrix(k: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """K x P matrix whose column j takes estimate b[j] minus estimate a[j]."""
    contrast = np.zeros((k, len(a)))
    columns = np.arange(len(a))
    contrast[a, columns] = -1.0
    contrast[b, columns] = 1.0
    return contrast


def two_sided_p(statistic: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value of a t statistic on ``df`` degrees of freedom (normal where df is infinite)."""
    df = np.broadcast_to(np.asarray(df, dtype=float), np.shape(statistic))
    with np.errstate(invalid="ignore"):
        p = np.where(np.isinf(df), 2 * stats.norm.sf(np.abs(statistic)),
                     2 * stats.t.sf(np.abs(statistic), np.where(df > 0, df, 1.0)))
    return np.where(df > 0, p, np.nan)


def comparison_table(
    names: list[str],
    estimate: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    difference: np.ndarray,
    variance: np.ndarray,
    alpha: float,
    test: str = "z",
    df: np.ndarray | float = np.inf,
    n_missing: np.ndarray | None = None,
    method: str = "Taylor linearisation",
) -> pd.DataFrame:
    """Tests of the differences ``b - a`` (t on ``df`` or z), with Holm-adjusted p-values (no pairs: no rows).

    The statistic's column is named after the test (``t`` or ``z``); ``df`` is infinite for z-tests.
    """
    columns = [("t" if c == "z" and test == "t" else c) for c in COMPARISON_COLUMNS]
    if len(a) == 0:
        return pd.DataFrame(columns=columns)
    se = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = difference / se
    df = np.broadcast_to(np.asarray(np.inf if test == "z" else df, dtype=float), statistic.shape)
    p = two_sided_p(statistic, df)
    p_adj = holm(p)
    label = ("design-based t-test on the design's degrees of freedom (R svyttest)" if test == "t"
             else "design-based Wald z-test")
    return pd.DataFrame(
        {
            "group_a": [names[i] for i in a.tolist()],
            "group_b": [names[i] for i in b.tolist()],
            "estimate_a": estimate[a],
            "estimate_b": estimate[b],
            "difference": difference,
            "se": se,
            columns[6]: statistic,
            "df": df,
            "p_value": p,
            "p_adjusted": p_adj,
            "significant": p_adj < alpha,
            "n_missing": np.zeros(len(a), dtype=np.int64) if n_missing is None else n_missing,
            "test": f"{label} ({method}), Holm-adjusted",
        }
    )
