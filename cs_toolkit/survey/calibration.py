"""Calibrated weights, as R ``survey``'s ``postStratify``, ``rake`` and ``trimWeights`` compute them.

Each function returns new weights (the old ones are not touched) and, for post-stratification and
raking, the record that the variance needs to account for the calibration (see ``variance.py``); the
records are never written to once made.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_toolkit.errors import CalibrationError, DesignError, RakingConvergenceError
from cs_toolkit.survey._grouping import factorize
from cs_toolkit.survey.stages import as_list


@dataclass(frozen=True)
class _PostStratification:
    codes: np.ndarray
    n_groups: int
    old_weights: np.ndarray
    new_weights: np.ndarray


@dataclass(frozen=True)
class _Raking:
    margins: tuple[tuple[np.ndarray, int, np.ndarray], ...]  # (codes, n_levels, weights after that margin)


def poststratify(
    data: pd.DataFrame,
    weights: np.ndarray,
    var: str | Sequence[str],
    population: Mapping | pd.Series | pd.DataFrame,
    partial: bool,
) -> tuple[np.ndarray, _PostStratification]:
    """Weights scaled within each cell of ``var`` to the cell's population count."""
    cols = as_list(var)
    codes, labels = factorize(data, cols)
    if (codes < 0).any():
        raise CalibrationError(f"post-stratification variable(s) {cols} have missing values in the sample")
    pop = population_counts(population, cols)
    keys = [tuple(row) for row in labels.itertuples(index=False)]
    absent_in_pop = [k for k in keys if k not in pop]
    if absent_in_pop:
        raise CalibrationError(
            f"sample level(s) {absent_in_pop[:10]} of {cols} have no population count; "
            f"population levels given: {list(pop)[:20]}"
        )
    absent_in_sample = [k for k, v in pop.items() if k not in set(keys) and v > 0]
    if absent_in_sample and not partial:
        raise CalibrationError(
            f"population level(s) {absent_in_sample[:10]} of {cols} do not occur in the sample; "
            f"merge them with neighbouring levels, or pass partial=True to ignore them."
        )
    sample_totals = np.bincount(codes, weights=weights, minlength=len(keys))
    target = np.array([pop[k] for k in keys], dtype=float)
    new_weights = weights * (target / sample_totals)[codes]
    return new_weights, _PostStratification(codes, len(keys), weights, new_weights)


def rake(
    data: pd.DataFrame,
    weights: np.ndarray,
    margins: Mapping[str | tuple[str, ...], Mapping[object, float]],
    max_iter: int,
    epsilon: float,
    on_nonconvergence: str,
) -> tuple[np.ndarray, _Raking]:
    """Weights raked to the ``margins`` by iterative proportional fitting on the cross-classified cells."""
    if not margins:
        raise CalibrationError("rake() needs at least one margin")
    cols = list(margins)
    missing = [c for key in cols for c in as_list(key if isinstance(key, str) else list(key))
               if c not in data.columns]
    if missing:
        raise CalibrationError(f"margin column(s) {missing} not in the data; available: {list(data.columns)}")
    margin_codes = []
    targets = []
    for col in cols:
        parts = [col] if isinstance(col, str) else list(col)
        codes, labels = factorize(data, parts)
        if (codes < 0).any():
            raise CalibrationError(f"margin column(s) {parts} have missing values in the sample")
        levels = [row[0] if len(parts) == 1 else tuple(row) for row in labels.itertuples(index=False)]
        given = dict(margins[col])
        unknown_sample = [lv for lv in levels if lv not in given]
        unknown_pop = [lv for lv in given if lv not in set(levels) and given[lv] > 0]
        if unknown_sample or unknown_pop:
            raise CalibrationError(
                f"margin {col!r} does not match the data: levels in the sample without a population count: "
                f"{unknown_sample}; levels in the margin that the sample lacks: {unknown_pop}. "
                f"Recode the column or the margin so their levels agree."
            )
        margin_codes.append(codes)
        targets.append(np.array([given[lv] for lv in levels], dtype=float))
    sums = [t.sum() for t in targets]
    if max(sums) - min(sums) > 1e-6 * max(sums):
        raise CalibrationError(
            f"the margins add up to different population totals ({dict(zip(map(str, cols), sums, strict=True))}); "
            f"raking cannot meet them all. Make every margin sum to the same population size."
        )
    # Rake the cross-classified cell table (tiny) instead of the rows: the same multiplicative
    # updates, since every row of a cell gets the same factor.
    dims = [len(t) for t in targets]
    cell = np.ravel_multi_index(margin_codes, dims)
    if int(np.prod(dims)) <= 10_000_000:
        cell_codes, cell_index = cell, np.arange(int(np.prod(dims)))  # dense table: empty cells weigh 0
    else:
        cell_codes, cell_index = pd.factorize(cell, sort=True)
    cell_levels = np.array(np.unravel_index(np.asarray(cell_index), dims))  # (n_margins, n_cells)
    base = np.bincount(cell_codes, weights=weights, minlength=len(cell_index))
    factor, step_factors = _rake_cells(base, cell_levels, dims, targets, weights.sum(), max_iter, epsilon,
                                       on_nonconvergence)
    new_weights = weights * factor[cell_codes]
    record = _Raking(
        tuple(
            (codes, dims[m], weights * step_factors[m][cell_codes])
            for m, codes in enumerate(margin_codes)
        )
    )
    return new_weights, record


def _rake_cells(base, cell_levels, dims, targets, weight_total, max_iter, epsilon, on_nonconvergence):
    """Raking factors of the cells, and the factors after each margin of the last sweep."""
    factor = np.ones(len(base))
    tol = epsilon * weight_total if epsilon < 1 else epsilon
    previous = base.copy()
    converged = False
    step_factors: list[np.ndarray] = []
    iteration = 0
    delta = np.inf
    while iteration < max_iter:
        step_factors = []
        for m, target in enumerate(targets):
            current = np.bincount(cell_levels[m], weights=base * factor, minlength=dims[m])
            factor = factor * (target / current)[cell_levels[m]]
            step_factors.append(factor.copy())
        table = base * factor
        delta = np.max(np.abs(table - previous))
        if delta < tol:
            converged = True
            break
        previous = table
        iteration += 1
    if not converged:
        message = (
            f"raking did not converge after {iteration} iterations (largest change {delta:.4g} >= "
            f"epsilon {tol:.4g}); raise max_iter, or check that the margins are consistent with each other."
        )
        if on_nonconvergence == "raise":
            raise RakingConvergenceError(message)
        warnings.warn(message, stacklevel=4)  # points at the caller of SurveyDesign.rake
    return factor, step_factors


def trim(weights: np.ndarray, lower: float | None, upper: float | None, strict: bool) -> np.ndarray:
    """Weights clipped to ``[lower, upper]``, the trimmed amount spread over the others in proportion."""
    w = weights.copy()
    lo = -np.inf if lower is None else lower
    hi = np.inf if upper is None else upper
    if lo > hi:
        raise DesignError(f"lower bound {lower} is above upper bound {upper}")
    total = w.sum()
    if not (lo * len(w) <= total <= hi * len(w)):
        raise DesignError(
            f"the total weight {total:g} cannot be spread over {len(w)} weights within [{lo:g}, {hi:g}]; widen the bounds"
        )
    fixed = np.zeros(len(w), dtype=bool)
    for _ in range(len(w) if strict else 1):
        outside = ~fixed & ((w < lo) | (w > hi))
        if not outside.any():
            break
        w[outside] = np.clip(w[outside], lo, hi)
        fixed |= outside
        free = ~fixed
        # the weights not at a bound absorb what trimming removed (or added), in proportion to their size
        w[free] *= (total - w[fixed].sum()) / w[free].sum()
    return w


def population_counts(population, cols: list[str]) -> dict[tuple, float]:
    """Population counts keyed by tuples of levels, from a dict, a Series or a DataFrame with ``Freq``."""
    if isinstance(population, pd.DataFrame):
        if "Freq" not in population.columns or not set(cols) <= set(population.columns):
            raise CalibrationError(f"a population DataFrame needs the columns {cols} and 'Freq'")
        return {tuple(r[:-1]): float(r[-1]) for r in population[[*cols, "Freq"]].itertuples(index=False)}
    out = {}
    for key, value in population.items():
        out[key if isinstance(key, tuple) else (key,)] = float(value)
    if any(len(k) != len(cols) for k in out):
        raise CalibrationError(f"population keys must have {len(cols)} part(s), one per variable {cols}")
    return out
