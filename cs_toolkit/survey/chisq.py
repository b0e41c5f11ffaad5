"""Rao-Scott tests of independence in a two-way table, as R ``survey``'s ``svychisq``.

Pearson's X^2 of the weighted table (rescaled to the number of rows) is divided by the mean generalised
design effect of the interaction contrasts, ``tr(Delta)``, and referred to an F distribution with
``d0 = tr(Delta)^2 / tr(Delta^2)`` and ``d0 * nu`` degrees of freedom, ``nu`` being the design's degrees
of freedom (R's default ``statistic="F"``, Rao and Scott 1984; ``"Chisq"`` is the first-order
correction: ``X^2 / mean(diag(Delta))`` referred to chi-squared on ``(r - 1)(c - 1)`` degrees of freedom,
R reporting X^2 itself as the statistic).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class ChisqResult:
    """The test's result; fields can be read as attributes or as keys (``res["p_value"]``)."""

    statistic: float
    p_value: float
    df1: float
    df2: float
    chisq: float  # Pearson's X^2 of the weighted table rescaled to n
    design_effect: float  # mean generalised design effect, tr(Delta) / ((r - 1)(c - 1))
    method: str
    table: pd.DataFrame = field(repr=False, compare=False)  # the weighted table (estimated population counts)

    def __getitem__(self, key: str):
        return getattr(self, key)

    def keys(self) -> list[str]:
        return ["statistic", "p_value", "df1", "df2", "chisq", "design_effect", "method"]


def interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """R's ``Cmat``: the row x column interaction columns of ``~factor(rows) * factor(cols)`` on the cells
    (rows varying fastest), made orthogonal to the main effects (``qr.resid(qr(X1), X12[, -(1:(nr+nc-1))])``)."""
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    row_dummies = (rows[:, None] == np.arange(1, nr)[None, :]).astype(float)
    col_dummies = (cols[:, None] == np.arange(1, nc)[None, :]).astype(float)
    main = np.column_stack([np.ones(nr * nc), row_dummies, col_dummies])
    inter = (row_dummies[:, :, None] * col_dummies[:, None, :]).reshape(nr * nc, -1)
    beta, *_ = np.linalg.lstsq(main, inter, rcond=None)
    return inter - main @ beta


def rao_scott(
    proportions: np.ndarray, covariance: np.ndarray, n_rows: int, nr: int, nc: int, nu: float, statistic: str,
    table: pd.DataFrame,
) -> ChisqResult:
    """``proportions`` and ``covariance`` of the nr x nc cell shares (rows varying fastest)."""
    counts = proportions.reshape(nc, nr).T * n_rows  # svytable(..., Ntotal = N)
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = float(np.nansum(np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)))
    contrasts = interaction_contrasts(nr, nc)
    inverse = np.where(proportions == 0, 0.0, 1.0 / np.where(proportions == 0, 1.0, proportions))
    denom = contrasts.T @ (contrasts * (inverse / n_rows)[:, None])
    numer = (contrasts * inverse[:, None]).T @ covariance @ (contrasts * inverse[:, None])
    delta = np.linalg.solve(denom, numer)
    trace = float(np.trace(delta))
    d0 = trace**2 / float(np.trace(delta @ delta))
    df = (nr - 1) * (nc - 1)
    if statistic == "F":
        value = pearson / trace
        p = float(stats.f.sf(value, d0, d0 * nu)) if nu > 0 else float("nan")
        return ChisqResult(value, p, d0, d0 * nu, pearson, trace / df,
                           "Pearson's X^2: Rao & Scott adjustment, F on design df (R svychisq, statistic='F')", table)
    p = float(stats.chi2.sf(pearson / (trace / df), df))  # R reports X^2 itself as the statistic here
    return ChisqResult(pearson, p, float(df), float("inf"), pearson, trace / df,
                       "Pearson's X^2: Rao & Scott first-order adjustment (R svychisq, statistic='Chisq')", table)
