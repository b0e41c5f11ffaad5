"""Wald confidence intervals and tests of contrasts between domains, as R ``survey``'s ``confint`` and
``svycontrast`` give them; Holm's adjustment for the number of tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cs_toolkit.errors import DesignError

COMPARISON_COLUMNS = ["group_a", "group_b", "estimate_a", "estimate_b", "difference", "se", "z",
                      "p_value", "p_adjusted", "significant", "test"]


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


def confidence_interval(estimate: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval with normal quantiles (R's ``confint`` for these statistics)."""
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore"):
        return estimate - z * se, estimate + z * se


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


def comparison_table(
    names: list[str],
    estimate: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    difference: np.ndarray,
    variance: np.ndarray,
    alpha: float,
) -> pd.DataFrame:
    """Wald z-tests of the differences ``b - a``, with Holm-adjusted p-values (no pairs: no rows)."""
    if len(a) == 0:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    se = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = difference / se
    p = 2 * stats.norm.sf(np.abs(z))
    p_adj = holm(p)
    return pd.DataFrame(
        {
            "group_a": [names[i] for i in a.tolist()],
            "group_b": [names[i] for i in b.tolist()],
            "estimate_a": estimate[a],
            "estimate_b": estimate[b],
            "difference": difference,
            "se": se,
            "z": z,
            "p_value": p,
            "p_adjusted": p_adj,
            "significant": p_adj < alpha,
            "test": "design-based Wald z-test (Taylor linearisation), Holm-adjusted",
        }
    )
