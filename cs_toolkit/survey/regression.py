"""Design-based generalised linear models, as R ``survey``'s ``svyglm``.

Coefficients solve the weighted score equations ``sum_i w_i x_i (y_i - mu_i) = 0``; their covariance is
the sandwich ``A^-1 V A^-1``, ``A = X' diag(w v(mu)) X`` and ``V`` the design-based variance of the
score totals. The influence values ``w (y - mu) x' A^-1`` go through the same variance code as every
other estimate (strata, clusters, fpc, calibration). Degrees of freedom: the design's (of the rows
used) minus the number of coefficients plus one (``svyglm``'s ``df.residual``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from cs_toolkit.errors import DesignError
from cs_toolkit.survey._grouping import vdot
from cs_toolkit.survey.inference import critical_value

FAMILIES = ("gaussian", "binomial")
MAX_ITER = 25  # glm.control(maxit = 25)
GLM_EPSILON = 1e-8  # glm.control(epsilon = 1e-8)


@dataclass(frozen=True)
class _Model:
    columns: list[np.ndarray]  # p columns of the model matrix, on the rows used
    y: np.ndarray  # (n_used,)
    terms: list[str]
    rows: np.ndarray  # (n,) bool: rows used (no missing y or x)
    n_missing: int

    @property
    def X(self) -> np.ndarray:
        """The n_used x p model matrix (built on demand: the least-squares fit works column by column)."""
        return np.column_stack(self.columns)


@dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    a_inverse: np.ndarray  # (p, p) inverse of the weighted information matrix A
    score_weight: np.ndarray  # (n_used,): row i's score is score_weight[i] * x_i
    iterations: int

    def influence(self, model: _Model) -> np.ndarray:
        """Influence values ``score_weight * x' A^-1`` of the rows used (n_used x p)."""
        return np.column_stack([self.score_weight * c for c in model.columns]) @ self.a_inverse

    def unit_totals(self, model: _Model, unit: np.ndarray, n_units: int) -> np.ndarray:
        """Influence values summed within sampling units (n_units x p), without the n x p matrix."""
        scores = np.column_stack([np.bincount(unit, weights=self.score_weight * c, minlength=n_units)
                                  for c in model.columns])
        return scores @ self.a_inverse


def gram(columns: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    """``X' diag(w) X`` from the columns: p (p + 1) / 2 dot products, one pass each, no n x p temporary."""
    p = len(columns)
    weighted = [w * c for c in columns]
    out = np.empty((p, p))
    for j in range(p):
        for k in range(j, p):
            out[j, k] = out[k, j] = vdot(weighted[j], columns[k])
    return out


def cross(columns: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """``X' v``."""
    return np.array([vdot(c, v) for c in columns])


def combine(columns: list[np.ndarray], coef: np.ndarray) -> np.ndarray:
    """``X coef``."""
    out = coef[0] * columns[0]
    for c, b in zip(columns[1:], coef[1:], strict=True):
        out += b * c
    return out


def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def design_matrix(data: pd.DataFrame, y: str, x: list[str], family: str) -> _Model:
    """Model matrix with an intercept and treatment-coded factors, on the rows with no missing value."""
    if family not in FAMILIES:
        raise DesignError(f"family must be one of {FAMILIES}, not {family!r}")
    if not x:
        raise DesignError("glm() needs at least one predictor in x")
    missing = [c for c in [y, *x] if c not in data.columns]
    if missing:
        raise DesignError(f"column(s) {missing} not in the data; available: {list(data.columns)}")
    if y in x:
        raise DesignError(f"the outcome {y!r} is also among the predictors")
    rows = np.ones(len(data), dtype=bool)
    for c in [y, *x]:
        rows &= data[c].notna().to_numpy()
    n_missing = int(len(data) - rows.sum())
    if rows.sum() == 0:
        raise DesignError(f"no row has all of {[y, *x]} answered")
    every = bool(rows.all())
    yv = _outcome(data[y] if every else data[y][rows], y, family)
    columns, terms = [np.ones(int(rows.sum()))], ["(Intercept)"]
    for c in x:
        if _is_numeric(data[c]):
            values = data[c].to_numpy(dtype=float)
            values = values if every else values[rows]
            if np.ptp(values) == 0:
                raise DesignError(
                    f"predictor {c!r} is constant ({values[0]:g}) in the {len(values)} rows used, so its effect "
                    f"cannot be estimated (it is confounded with the intercept); drop it from x.",
                    column=c,
                )
            columns.append(values)
            terms.append(c)
            continue
        col = data[c] if every else data[c][rows]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = [lv for lv in col.cat.categories if (col == lv).any()]
        else:
            levels = list(pd.Index(col.unique()).sort_values())
        if len(levels) < 2:
            raise DesignError(
                f"predictor {c!r} has a single level ({levels[0]!r}) in the {len(col)} rows used, so its effect "
                f"cannot be estimated; drop it from x.",
                column=c,
            )
        for lv in levels[1:]:  # treatment coding: the first level is the reference
            columns.append((col == lv).to_numpy(dtype=float))
            terms.append(f"{c}{'TRUE' if lv is True else lv}")
    columns = [np.ascontiguousarray(c, dtype=float) for c in columns]
    return _Model(columns, yv, terms, rows, n_missing)  # the rank is checked on the weighted Gram matrix


def _outcome(col: pd.Series, name: str, family: str) -> np.ndarray:
    if family == "gaussian":
        if not _is_numeric(col) and not pd.api.types.is_bool_dtype(col):
            raise DesignError(f"the outcome {name!r} of a gaussian glm must be numeric (dtype {col.dtype})")
        return col.to_numpy(dtype=float)
    if pd.api.types.is_bool_dtype(col) or _is_numeric(col):
        values = col.to_numpy(dtype=float)
        if values.min() < 0 or values.max() > 1:
            raise DesignError(
                f"the outcome {name!r} of a binomial glm must be 0/1 (or a share in [0, 1]); it ranges "
                f"{values.min():g} to {values.max():g}."
            )
        return values
    levels = list(pd.Index(col.unique()).sort_values())
    if len(levels) != 2:
        raise DesignError(f"a binomial glm needs a two-level outcome; {name!r} has {len(levels)} levels {levels[:5]}")
    return (col == levels[1]).to_numpy(dtype=float)


def _check_rank(gram_matrix: np.ndarray, terms: list[str]) -> None:
    """Refuse a model matrix whose columns are linearly dependent (from its Gram matrix ``X'X``), naming
    each term that is a combination of the terms before it (in the order given)."""
    norms = np.sqrt(np.diag(gram_matrix))
    scaled = gram_matrix / np.outer(norms, norms)
    eig = np.linalg.eigvalsh(scaled)
    if eig.min() > 1e-9 * max(eig.max(), 1.0):
        return
    kept: list[int] = []
    dependent: list[str] = []
    for j in range(len(terms)):  # a few columns: find which ones add nothing to those before them
        trial = [*kept, j]
        eig = np.linalg.eigvalsh(scaled[np.ix_(trial, trial)])
        if eig.min() > 1e-9 * max(eig.max(), 1.0):
            kept.append(j)
        else:
            dependent.append(terms[j])
    raise DesignError(
        f"the predictors are collinear: {dependent} can be written as a combination of "
        f"{[terms[j] for j in kept]} in the rows used, so the coefficients are not identified. Drop or merge "
        f"the redundant predictor(s).",
        collinear=dependent,
    )


def fit(model: _Model, w: np.ndarray, family: str) -> _Fit:
    """Weighted least squares, or weighted logistic regression by R ``glm.fit``'s own iterations.

    The binomial fit repeats R's IRLS step for step (weights rescaled to mean 1 as ``svyglm`` does,
    glm's starting values, the relative deviance change < 1e-8 stopping rule, and the working weights of
    the last iteration in the sandwich), so coefficients and SEs equal R's to rounding, not merely to the
    tolerance of R's stopping rule. Everything works column by column (dot products and ``bincount``),
    never on an n x p temporary.
    """
    columns, y = model.columns, model.y
    if family == "gaussian":
        information = gram(columns, w)
        _check_rank(information, model.terms)  # weights > 0: the rank of X'WX is the rank of X
        a_inv = linalg.inv(information)
        coef = a_inv @ cross(columns, w * y)
        return _Fit(coef, a_inv, w * (y - combine(columns, coef)), 1)
    prior = w / w.mean()
    _check_rank(gram(columns, prior), model.terms)
    mu = (prior * y + 0.5) / (prior + 1)
    eta = np.log(mu / (1 - mu))
    dev_old = _binomial_deviance(y, mu, prior)
    for iteration in range(1, MAX_ITER + 1):  # noqa: B007 - the count is kept after the loop
        v = mu * (1 - mu)  # for the logit link, d mu / d eta = mu (1 - mu) = variance
        working = prior * v
        coef = linalg.solve(gram(columns, working), cross(columns, working * (eta + (y - mu) / v)), assume_a="pos")
        eta = combine(columns, coef)
        mu = 1 / (1 + np.exp(-eta))
        dev = _binomial_deviance(y, mu, prior)
        if not np.isfinite(dev):
            raise DesignError("the binomial glm diverged (infinite deviance); a predictor may separate the outcome")
        if abs(dev - dev_old) / (abs(dev) + 0.1) < GLM_EPSILON:
            break
        dev_old = dev
    else:
        raise DesignError(
            f"the binomial glm did not converge in {MAX_ITER} iterations; a predictor may separate the outcome "
            f"perfectly (a group with all 0 or all 1). Check the crosstab of the outcome with each predictor."
        )
    a_inv = linalg.inv(gram(columns, working))  # glm's cov.unscaled: the working weights of the last iteration
    return _Fit(coef, a_inv, (y - mu) / (mu * (1 - mu)) * working, iteration)  # svy.varcoef's estfun


def replicate_coefficients(model: _Model, full: _Fit, replicates, family: str) -> np.ndarray:
    """Coefficients refitted with every set of replicate weights (R x p), as R's ``svyglm.svyrep.design``:
    weighted least squares, or glm's IRLS from the full-sample coefficients with weights summing to 1."""
    y, rows = model.y, model.rows
    p = len(model.columns)
    if family == "gaussian" and replicates.compressed:
        # X' W_r X and X' W_r y from per-unit sums: one pass over the rows, then (R x units) products
        group = replicates.group[rows]
        base = replicates.base[rows]
        n_units = replicates.factors.shape[0]
        cols = model.columns
        products = np.column_stack([np.bincount(group, weights=base * cols[a] * cols[b], minlength=n_units)
                                    for a in range(p) for b in range(p)])
        xy = np.column_stack([np.bincount(group, weights=base * cols[a] * y, minlength=n_units) for a in range(p)])
        grams = (replicates.factors.T @ products).reshape(-1, p, p)
        rhs = replicates.factors.T @ xy
        return np.linalg.solve(grams, rhs[:, :, None])[:, :, 0]
    X = model.X
    matrix = replicates.matrix()[rows]
    out = np.empty((matrix.shape[1], p))
    for r in range(matrix.shape[1]):  # one fit per replicate (not a loop over rows)
        w = matrix[:, r]
        if family == "gaussian":
            out[r] = linalg.solve((X * w[:, None]).T @ X, (X * w[:, None]).T @ y, assume_a="sym")
        else:
            out[r] = _irls(X, y, w / w.sum(), full.coef)
    return out


def _irls(X: np.ndarray, y: np.ndarray, prior: np.ndarray, start: np.ndarray) -> np.ndarray:
    """R ``glm.fit(X, y, weights=prior, start=start, family=binomial)``'s coefficients."""
    coef = start
    eta = X @ coef
    mu = 1 / (1 + np.exp(-eta))
    dev_old = _binomial_deviance(y, mu, prior)
    for _ in range(MAX_ITER):
        v = mu * (1 - mu)
        sw = np.sqrt(prior * v)
        coef = linalg.lstsq(X * sw[:, None], (eta + (y - mu) / v) * sw, lapack_driver="gelsy")[0]
        eta = X @ coef
        mu = 1 / (1 + np.exp(-eta))
        dev = _binomial_deviance(y, mu, prior)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < GLM_EPSILON:
            break
        dev_old = dev
    return coef


def _binomial_deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / mu), 0.0) + np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(2 * np.sum(w * terms))


def table(model: _Model, fitted: _Fit, cov: np.ndarray, degf: float, level: float) -> pd.DataFrame:
    """``term, estimate, se, t, p_value, ci_low, ci_high, df, n, n_missing`` (R ``summary``/``confint``)."""
    p = len(model.terms)
    df = degf + 1 - p
    se = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = fitted.coef / se
    pval = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(p, np.nan)
    q = critical_value(level, df)
    return pd.DataFrame({
        "term": model.terms,
        "estimate": fitted.coef,
        "se": se,
        "t": t,
        "p_value": pval,
        "ci_low": fitted.coef - q * se,
        "ci_high": fitted.coef + q * se,
        "df": float(df),
        "n": int(model.rows.sum()),
        "n_missing": model.n_missing,
    })
