"""Calibrated weights, as R ``survey``'s ``postStratify``, ``rake``, ``calibrate`` and ``trimWeights``
compute them.

Each function returns new weights (the old ones are not touched) and, for post-stratification, raking
and calibration, the record that the variance needs to account for the calibration (see
``variance.py``); the records are never written to once made.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from cs_toolkit.errors import CalibrationError, DesignError, RakingConvergenceError
from cs_toolkit.survey._grouping import factorize, vdot
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


@dataclass(frozen=True)
class _CalModel:
    """R's calibration ``model.matrix`` kept in structure: an intercept, treatment dummies of categorical
    columns (held as integer codes) and numeric columns. ``mm' v``, ``mm b`` and ``mm' W mm`` come from
    one ``np.bincount`` over the joint cells of the categorical columns (plus one per numeric column)
    and dot products: never an n x p matrix, never a pass per dummy."""

    n: int
    intercept: bool
    factors: tuple[tuple[np.ndarray, int], ...]  # (codes 0..L-1, L); dummies for levels 1..L-1
    numeric: tuple[np.ndarray, ...]
    names: tuple[str, ...]
    cells: np.ndarray | None = field(init=False, repr=False)  # joint cell of the categorical columns
    cell_matrix: sparse.csr_matrix | None = field(init=False, repr=False)  # n_cells x n: sums by cell, K at once

    def __post_init__(self) -> None:
        dims = self.dims
        cells = matrix = None
        if dims and int(np.prod(dims)) <= 4_000_000:
            cells = np.ravel_multi_index([codes for codes, _ in self.factors], dims)
            matrix = sparse.csr_matrix((np.ones(self.n), (cells, np.arange(self.n))), shape=(int(np.prod(dims)), self.n))
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "cell_matrix", matrix)

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(levels for _, levels in self.factors)

    @property
    def p(self) -> int:
        return len(self.names)

    def _table(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.cells, weights=v, minlength=int(np.prod(self.dims))).reshape(self.dims)

    def _margins(self, v: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Total of ``v`` and its sums by level of every categorical column."""
        if self.cells is None:
            return float(v.sum()), [np.bincount(codes, weights=v, minlength=levels) for codes, levels in self.factors]
        table = self._table(v)
        axes = range(len(self.dims))
        return float(table.sum()), [table.sum(axis=tuple(a for a in axes if a != f)) for f in axes]

    def t(self, v: np.ndarray) -> np.ndarray:
        """``mm' v`` for a vector (p,) or a matrix (p x K)."""
        if v.ndim == 2:
            if self.cell_matrix is None or v.shape[1] == 1:
                return np.column_stack([self.t(v[:, j]) for j in range(v.shape[1])])
            k = v.shape[1]
            table = np.asarray(self.cell_matrix @ v).reshape(*self.dims, k)  # one pass for the K columns
            axes = range(len(self.dims))
            parts = [table.sum(axis=tuple(axes))[None, :]] if self.intercept else []
            parts += [table.sum(axis=tuple(a for a in axes if a != f))[1:] for f in axes]
            parts += [np.einsum("i,ik->k", x, v)[None, :] for x in self.numeric]
            return np.concatenate(parts)
        total, margins = self._margins(v)
        parts = [np.array([total])] if self.intercept else []
        parts += [m[1:] for m in margins]
        parts += [np.array([vdot(x, v)]) for x in self.numeric]
        return np.concatenate(parts)

    def dot(self, beta: np.ndarray) -> np.ndarray:
        """``mm beta`` for a vector (n,) or a matrix of coefficients (n x K)."""
        if beta.ndim == 2:
            if self.cells is None or beta.shape[1] == 1:
                return np.column_stack([self.dot(beta[:, j]) for j in range(beta.shape[1])])
            k = beta.shape[1]
            at = int(self.intercept)
            grid = np.zeros((*self.dims, k)) + (beta[0] if self.intercept else 0.0)
            for f, (_, levels) in enumerate(self.factors):
                effect = np.vstack([np.zeros((1, k)), beta[at:at + levels - 1]])
                shape = [1] * len(self.dims) + [k]
                shape[f] = levels
                grid = grid + effect.reshape(shape)
                at += levels - 1
            out = grid.reshape(-1, k)[self.cells]  # one gather for the K columns
            for x in self.numeric:
                out += x[:, None] * beta[at][None, :]
                at += 1
            return out
        at = int(self.intercept)
        effects = []
        for _, levels in self.factors:
            effects.append(np.concatenate([[0.0], beta[at:at + levels - 1]]))
            at += levels - 1
        base = beta[0] if self.intercept else 0.0
        if self.cells is not None:
            grid = np.full(self.dims, base)
            for f, effect in enumerate(effects):
                shape = [1] * len(self.dims)
                shape[f] = len(effect)
                grid = grid + effect.reshape(shape)
            out = grid.ravel()[self.cells]
        else:
            out = np.full(self.n, base)
            for (codes, _), effect in zip(self.factors, effects, strict=True):
                out += effect[codes]
        for x in self.numeric:
            out = out + beta[at] * x
            at += 1
        return out

    def group_totals(self, group: np.ndarray, n_groups: int, w: np.ndarray) -> np.ndarray:
        """Sums of ``w * mm`` within groups (n_groups x p): a ``bincount`` per categorical and numeric column."""
        parts = [np.bincount(group, weights=w, minlength=n_groups)[:, None]] if self.intercept else []
        for codes, levels in self.factors:
            table = np.bincount(group * levels + codes, weights=w, minlength=n_groups * levels)
            parts.append(table.reshape(n_groups, levels)[:, 1:])
        parts += [np.bincount(group, weights=w * x, minlength=n_groups)[:, None] for x in self.numeric]
        return np.hstack(parts)

    def gram(self, w: np.ndarray) -> np.ndarray:
        """``mm' diag(w) mm``."""
        k = len(self.factors)
        total, margins = self._margins(w)
        table = self._table(w) if self.cells is not None and k > 1 else None
        sizes = ([1] if self.intercept else []) + [levels - 1 for _, levels in self.factors] + [1] * len(self.numeric)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        out = np.zeros((self.p, self.p))
        offset = int(self.intercept)

        def put(i: int, j: int, block: np.ndarray) -> None:
            out[starts[i]:starts[i + 1], starts[j]:starts[j + 1]] = block
            out[starts[j]:starts[j + 1], starts[i]:starts[i + 1]] = block.T

        if self.intercept:
            put(0, 0, np.array([[total]]))
            for f in range(k):
                put(0, offset + f, margins[f][None, 1:])
        for f in range(k):
            put(offset + f, offset + f, np.diag(margins[f][1:]))
            for g in range(f + 1, k):
                if table is not None:
                    two_way = table.sum(axis=tuple(a for a in range(k) if a not in (f, g)))
                else:
                    (cf, lf), (cg, lg) = self.factors[f], self.factors[g]
                    two_way = np.bincount(cf * lg + cg, weights=w, minlength=lf * lg).reshape(lf, lg)
                put(offset + f, offset + g, two_way[1:, 1:])
        for a, x in enumerate(self.numeric):
            i = offset + k + a
            wx = w * x
            wx_total, wx_margins = self._margins(wx)
            if self.intercept:
                put(0, i, np.array([[wx_total]]))
            for f in range(k):
                put(offset + f, i, wx_margins[f][1:, None])
            for b in range(a, len(self.numeric)):
                put(i, offset + k + b, np.array([[vdot(wx, self.numeric[b])]]))
        return out


@dataclass(frozen=True)
class _Greg:
    """R's ``greg_calibration`` record: residuals of influence values from the calibration model.

    ``qr.resid(qr(mm sqrt(w)), x / (g sqrt(w))) * g sqrt(w)`` written without the square roots:
    ``x - g w mm (mm' W mm)^+ mm' (x / g)``; the p x p inverse is computed once, when the record is made.
    """

    model: _CalModel  # the calibration model matrix
    old_weights: np.ndarray  # weights before calibration
    g: np.ndarray  # calibrated / old weights
    units: tuple[tuple[np.ndarray, int], ...] = ()  # (unit of each row, number of units) per sampling stage
    gram_inverse: np.ndarray = field(init=False, repr=False)
    new_weights: np.ndarray = field(init=False, repr=False)  # g * old weights
    unit_model_totals: tuple[np.ndarray, ...] = field(init=False, repr=False)  # per stage: unit sums of g w mm

    def __post_init__(self) -> None:
        gram = self.model.gram(self.old_weights)
        object.__setattr__(self, "gram_inverse", np.linalg.pinv(gram, rcond=1e-12, hermitian=True))
        object.__setattr__(self, "new_weights", self.g * self.old_weights)
        object.__setattr__(self, "unit_model_totals", tuple(self.model.group_totals(unit, n_units, self.new_weights)
                                                            for unit, n_units in self.units))

    def residual_unit_totals(self, x: np.ndarray, unit_totals: list[np.ndarray]) -> list[np.ndarray]:
        """Unit totals of :meth:`residualize`'s result from the unit totals of ``x``: the fitted part's unit
        totals are ``(unit sums of g w mm) beta``, so the residuals are never formed row by row."""
        beta = self.gram_inverse @ self.model.t(x / self.g[:, None])
        return [totals - fitted @ beta for totals, fitted in zip(unit_totals, self.unit_model_totals, strict=True)]

    def residualize(self, x: np.ndarray) -> np.ndarray:
        beta = self.gram_inverse @ self.model.t(x / self.g[:, None])
        fitted = self.model.dot(beta)
        return x - self.new_weights[:, None] * (fitted if fitted.ndim == 2 else fitted[:, None])


CALFUNS = ("linear", "raking", "logit")
INTERCEPT = "(Intercept)"


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
    """Weights clipped to ``[lower, upper]``, the trimmed total shared equally by the weights that were
    inside (R ``trimWeights``); with ``strict`` repeated until none is outside. ``weights`` may be an
    n x R matrix (replicate weights), each column trimmed on its own."""
    w = np.array(weights, dtype=float, copy=True)
    matrix = w if w.ndim == 2 else w[:, None]
    lo = -np.inf if lower is None else lower
    hi = np.inf if upper is None else upper
    if lo > hi:
        raise DesignError(f"lower bound {lower} is above upper bound {upper}")
    totals = matrix.sum(axis=0)
    n = matrix.shape[0]
    if np.any(totals > hi * n) or np.any(totals < lo * n):
        total = float(totals[np.argmax((totals > hi * n) | (totals < lo * n))])
        raise DesignError(
            f"the total weight {total:g} cannot be spread over {n} weights within [{lo:g}, {hi:g}]; widen the bounds"
        )
    for _ in range(100_000 if strict else 1):  # passes over all the weights at once, not a loop over rows
        outside = (matrix < lo) | (matrix > hi)
        if not outside.any():
            break
        trimmed = np.clip(matrix, lo, hi)
        excess = (matrix - trimmed).sum(axis=0)
        inside = (~outside).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(inside > 0, excess / inside, 0.0)
        matrix = np.where(outside, trimmed, trimmed + share)
    return matrix if w.ndim == 2 else matrix[:, 0]


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


def calibration_model(data: pd.DataFrame, totals: Mapping[str, Mapping[object, float] | float]) -> tuple[_CalModel, np.ndarray]:
    """R's ``model.matrix`` of the calibration formula and the population totals that go with it.

    ``totals`` maps a categorical column to ``{level: population count}`` and a numeric column to its
    population total. Categorical columns give an intercept (the population size, which every
    categorical margin must add up to) and treatment dummies; numeric columns enter as they are. The
    key ``"(Intercept)"`` (R's name) gives the population size when no categorical margin does.
    """
    if not isinstance(totals, Mapping) or not totals:
        raise CalibrationError("calibrate() needs totals: {categorical column: {level: count}, numeric column: total}")
    size = totals.get(INTERCEPT)
    totals = {c: t for c, t in totals.items() if c != INTERCEPT}
    absent = [c for c in totals if c not in data.columns]
    if absent:
        raise CalibrationError(f"calibration column(s) {absent} not in the data; available: {list(data.columns)}",
                               missing=absent)
    factors: list[tuple[np.ndarray, int]] = []
    numeric: list[np.ndarray] = []
    factor_population: list[float] = []
    numeric_population: list[float] = []
    factor_names: list[str] = []
    numeric_names: list[str] = []
    sizes: dict[str, float] = {}
    for col, target in totals.items():
        values = data[col]
        if values.isna().any():
            rows = list(data.index[values.isna()][:5])
            raise CalibrationError(f"calibration column {col!r} has missing values (rows {rows}); "
                                   f"impute or drop them before calibrating.", column=col)
        if isinstance(target, Mapping):
            codes, labels = factorize(data, [col])
            levels = labels[col].tolist()
            unknown = [lv for lv in target if lv not in set(levels)]
            uncovered = [lv for lv in levels if lv not in target]
            if unknown or uncovered:
                parts = []
                if unknown:
                    parts.append(f"totals name level(s) {unknown} that the data lacks")
                if uncovered:
                    parts.append(f"the data has level(s) {uncovered} without a population count")
                raise CalibrationError(
                    f"calibration totals for {col!r} do not match the data: {'; '.join(parts)}. Levels in the "
                    f"data: {levels[:20]}. Recode the column or the totals so that their levels agree.",
                    column=col, unknown_levels=unknown, levels_without_total=uncovered,
                )
            sizes[col] = float(sum(target.values()))
            factors.append((codes, len(levels)))
            factor_population += [float(target[lv]) for lv in levels[1:]]
            factor_names += [f"{col}{lv}" for lv in levels[1:]]
        else:
            if not pd.api.types.is_numeric_dtype(values):
                raise CalibrationError(f"column {col!r} is not numeric: give its totals as {{level: count}}",
                                       column=col)
            numeric.append(values.to_numpy(dtype=float))
            numeric_population.append(float(target))
            numeric_names.append(col)
    if size is not None:
        sizes[INTERCEPT] = float(size)
    intercept = bool(sizes)
    population = factor_population + numeric_population
    names = factor_names + numeric_names
    if sizes:
        first = next(iter(sizes.values()))
        if any(abs(v - first) > 1e-6 * max(abs(first), 1) for v in sizes.values()):
            raise CalibrationError(f"the categorical totals add up to different population sizes {sizes}; "
                                   f"every margin must sum to the same population size.")
        population.insert(0, first)
        names.insert(0, INTERCEPT)
    model = _CalModel(len(data), intercept, tuple(factors), tuple(numeric), tuple(names))
    return model, np.array(population)


def _calfun(name: str, lower: float, upper: float):
    """R's ``cal.linear``, ``cal.raking``, ``cal.logit``: F(u) - 1 and its derivative, with the bounds."""
    if name == "linear":
        def fm1(u):
            return np.minimum(np.maximum(u + 1, lower), upper) - 1

        def df(u):
            return ((u < upper - 1) & (u > lower - 1)).astype(float)
    elif name == "raking":
        def fm1(u):
            with np.errstate(over="ignore"):
                return np.minimum(np.maximum(np.exp(u), lower), upper) - 1

        def df(u):
            with np.errstate(over="ignore"):
                return np.where((u < upper - 1) & (u > lower - 1), np.exp(u), 0.0)
    else:
        a = (upper - lower) / ((upper - 1) * (1 - lower))

        def fm1(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a * u)
                return (lower * (upper - 1) + upper * (1 - lower) * e) / (upper - 1 + (1 - lower) * e) - 1

        def df(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a * u)
                top = lower * (upper - 1) + upper * (1 - lower) * e
                bottom = upper - 1 + (1 - lower) * e
                return upper * (1 - lower) * e * a / bottom - top * ((1 - lower) * e * a) / bottom**2
    return fm1, df


def grake(mm: _CalModel, ww: np.ndarray, calfun: str, lower: float, upper: float, population: np.ndarray,
          epsilon: float, maxit: int) -> tuple[np.ndarray, float | None]:
    """R's ``grake``: g-weights solving the calibration equations by Newton steps (generalised inverse,
    step halving); also the largest relative misfit when it did not converge (else None)."""
    fm1, dF = _calfun(calfun, lower, upper)
    sample_total = mm.t(ww)
    eta = np.zeros(mm.p)
    xeta = mm.dot(eta)
    g = 1 + fm1(xeta)
    deriv = dF(xeta)
    iteration = 1
    scales = population / sample_total
    scale = None
    if np.min(scales) > 20:  # R's SOMETHRESHOLD: weights far below the population are rescaled first
        scale = float(np.mean(scales))
        ww = ww * scale
        sample_total = sample_total * scale
    failed = None
    while True:
        tmat = mm.gram(ww * deriv)
        misfit = population - sample_total - mm.t(ww * fm1(xeta))
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = mm.dot(eta)
        g = 1 + fm1(xeta)
        deriv = dF(xeta)
        while iteration < maxit and not (np.all(np.isfinite(g)) and np.all(np.isfinite(deriv))):
            iteration += 1
            deta = deta / 2
            eta = eta - deta
            xeta = mm.dot(eta)
            g = 1 + fm1(xeta)
            deriv = dF(xeta)
        misfit = population - sample_total - mm.t(ww * fm1(xeta))
        if np.all(np.abs(misfit) / (1 + np.abs(population)) < epsilon):
            break
        iteration += 1
        if iteration > maxit:
            failed = float(np.max(np.abs(misfit) / (1 + np.abs(population))))
            break
    if scale is not None:
        g = g * scale
    return g, failed


def _bounds(calfun: str, bounds: tuple[float, float] | None) -> tuple[float, float]:
    if calfun not in CALFUNS:
        raise CalibrationError(f"calfun must be one of {CALFUNS}, not {calfun!r}")
    lower, upper = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    if not lower < 1 < upper:
        raise CalibrationError(f"bounds on the weight ratio g must satisfy lower < 1 < upper, not {bounds}")
    if calfun == "logit" and not (np.isfinite(lower) and np.isfinite(upper)):
        raise CalibrationError("calfun='logit' needs finite bounds, e.g. bounds=(0.5, 2)")
    return lower, upper


def _g_weights(mm, population, weights, calfun, bounds, lower, upper, maxit, epsilon, check=True):
    """g-weights meeting the totals: R's ``regcalibrate`` (linear, no bounds: one exact step) or ``grake``."""
    if calfun == "linear" and bounds is None:
        try:
            lam = np.linalg.solve(mm.gram(weights), population - mm.t(weights))
        except np.linalg.LinAlgError:
            raise CalibrationError(f"the calibration variables {list(mm.names)} are collinear in the sample") from None
        return 1 + mm.dot(lam)
    g, failed = grake(mm, weights, calfun, lower, upper, population, epsilon, maxit)
    if failed is not None and check:
        within = "" if bounds is None else f" with g-weights within bounds [{lower:g}, {upper:g}]"
        raise CalibrationError(
            f"calibration ({calfun}) did not converge: the totals cannot be met{within} in {maxit} "
            f"iterations (largest relative misfit {failed:.3g} >= epsilon {epsilon:g}). Widen the bounds, "
            f"merge small categories, or check the totals against the sample.",
            misfit=failed, bounds=(lower, upper),
        )
    return g


def calibrate(
    data: pd.DataFrame,
    weights: np.ndarray,
    totals: Mapping[str, Mapping[object, float] | float],
    calfun: str,
    bounds: tuple[float, float] | None,
    maxit: int,
    epsilon: float,
    units: tuple[tuple[np.ndarray, int], ...] = (),
) -> tuple[np.ndarray, _Greg]:
    """Weights calibrated to ``totals`` (R ``calibrate``): GREG (linear), raking or logit distance.

    ``units`` (the sampling unit of each row and their number, per stage) lets the record prepare the
    unit totals that the variance of a calibrated estimate needs."""
    lower, upper = _bounds(calfun, bounds)
    mm, population = calibration_model(data, totals)
    g = _g_weights(mm, population, weights, calfun, bounds, lower, upper, maxit, epsilon)
    return weights * g, _Greg(mm, weights, g, units)


def calibrate_columns(
    data: pd.DataFrame,
    matrix: np.ndarray,
    totals: Mapping[str, Mapping[object, float] | float],
    calfun: str,
    bounds: tuple[float, float] | None,
    maxit: int,
    epsilon: float,
) -> np.ndarray:
    """Every column of ``matrix`` (replicate weights) calibrated to the same totals (R
    ``calibrate.svyrep.design``; a replicate that does not converge keeps its last g, as in R)."""
    lower, upper = _bounds(calfun, bounds)
    mm, population = calibration_model(data, totals)
    return np.column_stack([
        matrix[:, r] * _g_weights(mm, population, matrix[:, r], calfun, bounds, lower, upper, maxit, epsilon,
                                  check=False)
        for r in range(matrix.shape[1])
    ])
