"""The numbers of PLS path modelling, on the items' covariance matrix alone (numpy only, so that
bootstrap workers start fast).

Every step of Lohmöller's algorithm needs the data only through the items' covariance matrix ``S``:
with scores ``Y = X W`` (unit variance), ``cov(Y) = W' S W`` and ``cov(X, Y E) = S W E``. So a fit
costs one pass over the rows (to form ``S``) and then O(K²) per iteration, whatever the number of rows.

The iteration follows R ``plspm`` (Sanchez, Trinchera & Russolillo) step for step, including its
starting weights, the scale of the weights it compares and its stopping rule, so that it stops at the
same iteration and gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Structure:
    """A model as arrays: ``block[k]`` is the construct of item k; ``paths[i, j]`` is 1 when i -> j."""

    block: np.ndarray  # (K,) int
    paths: np.ndarray  # (L, L) float 0/1
    mode_b: np.ndarray  # (L,) bool
    scheme: str

    @property
    def n_constructs(self) -> int:
        return self.paths.shape[0]

    @property
    def onehot(self) -> np.ndarray:
        out = np.zeros((len(self.block), self.n_constructs))
        out[np.arange(len(self.block)), self.block] = 1.0
        return out

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        return np.nonzero(self.paths)

    @property
    def endogenous(self) -> np.ndarray:
        return np.flatnonzero(self.paths.sum(axis=0) > 0)


@dataclass
class Estimate:
    weights: np.ndarray  # (K,) outer weights: the score of construct j is sum over its items of w_k x_k
    iterations: int
    converged: bool
    change: np.ndarray  # (L,) last change of each block's weights (for messages)


def inner_weights(corr: np.ndarray, structure: Structure) -> np.ndarray:
    """Inner weights ``E`` (column j: how the neighbours of j make its inner proxy ``Z_j = sum_i E_ij Y_i``).

    centroid: the sign of the correlation; factorial: the correlation; path: for predecessors the
    coefficients of the regression of ``Y_j`` on them, for successors the correlation (Lohmöller 1989).
    """
    paths = structure.paths
    adjacent = paths + paths.T
    if structure.scheme == "centroid":
        return np.sign(corr) * adjacent
    if structure.scheme == "factorial":
        return corr * adjacent
    out = np.zeros_like(corr)
    for j in range(paths.shape[0]):
        pred = np.flatnonzero(paths[:, j])
        if len(pred):
            out[pred, j] = np.linalg.solve(corr[np.ix_(pred, pred)], corr[pred, j])
        succ = np.flatnonzero(paths[j, :])
        if len(succ):
            out[succ, j] = corr[j, succ]
    return out


def estimate_weights(cov: np.ndarray, n: int, structure: Structure, tol: float, max_iter: int) -> Estimate:
    """Outer weights by Lohmöller's iteration on the items' covariance matrix ``cov`` (divisor n).

    As R ``plspm``: start from unit weights scaled to unit score variance; each round standardise the
    scores, form inner proxies with the scheme's inner weights, and take new weights as
    ``cov(X_j, Z_j)`` (Mode A) or the regression of ``Z_j`` on the block (Mode B), both times
    ``(n - 1) / n`` (plspm's scaling of the scores); stop when
    ``sum((|w_old| - |w_new|)^2) < tol``. The returned weights give scores of unit variance.
    """
    onehot = structure.onehot
    block = structure.block
    w = 1.0 / np.sqrt(np.einsum("kl,km,ml->l", onehot, cov, onehot))[block]
    factor = (n - 1) / n
    b_blocks = [np.flatnonzero(block == j) for j in np.flatnonzero(structure.mode_b)]
    converged = False
    change = np.zeros(structure.n_constructs)
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        weights = onehot * w[:, None]
        lv_cov = weights.T @ cov @ weights
        sd = np.sqrt(np.diag(lv_cov))
        corr = lv_cov / np.outer(sd, sd)
        cov_xz = (cov @ weights / sd) @ inner_weights(corr, structure)  # cov(X, Z), Z from unit-variance scores
        new = factor * cov_xz[np.arange(len(block)), block]
        for items in b_blocks:
            new[items] = np.linalg.solve(cov[np.ix_(items, items)], new[items])
        diff = (np.abs(w) - np.abs(new)) ** 2
        change = np.bincount(block, weights=diff, minlength=structure.n_constructs)
        w = new
        if diff.sum() < tol:
            converged = True
            break
    scale = np.sqrt(_block_variances(w, cov, structure))
    return Estimate(w / scale[block], iteration, converged, change)


def _block_variances(w: np.ndarray, cov: np.ndarray, structure: Structure) -> np.ndarray:
    weights = structure.onehot * w[:, None]
    return np.einsum("kl,km,ml->l", weights, cov, weights)


@dataclass
class Solution:
    """Everything derived from converged weights (standardised metric unless said otherwise)."""

    weights: np.ndarray  # (K,)
    lv_corr: np.ndarray  # (L, L)
    cross_loadings: np.ndarray  # (K, L) cor(item, score)
    paths: np.ndarray  # (L, L) path coefficients, [i, j] for i -> j
    r2: np.ndarray  # (L,) 0 for exogenous
    total: np.ndarray  # (L, L) total effects


def solve(cov: np.ndarray, weights: np.ndarray, structure: Structure) -> Solution:
    """Signs, scores' correlations, path coefficients (OLS on the scores), R², loadings, total effects.

    Sign: as ``plspm``, a construct whose items mostly correlate negatively with its score is turned
    round (weights and scores change sign together here).
    """
    block = structure.block
    sd_items = np.sqrt(np.diag(cov))
    weights = weights.copy()
    W = structure.onehot * weights[:, None]
    cross = (cov @ W) / sd_items[:, None]  # scores have unit variance
    own = cross[np.arange(len(block)), block]
    votes = np.bincount(block, weights=np.sign(own), minlength=structure.n_constructs)
    flip = np.where(votes <= 0, -1.0, 1.0)
    if np.any(flip < 0):
        weights *= flip[block]
        W = structure.onehot * weights[:, None]
        cross *= flip[None, :]
    lv = W.T @ cov @ W
    d = np.sqrt(np.diag(lv))
    lv_corr = lv / np.outer(d, d)
    n_lv = structure.n_constructs
    path = np.zeros((n_lv, n_lv))
    r2 = np.zeros(n_lv)
    for j in structure.endogenous:
        pred = np.flatnonzero(structure.paths[:, j])
        beta = np.linalg.solve(lv_corr[np.ix_(pred, pred)], lv_corr[pred, j])
        path[pred, j] = beta
        r2[j] = beta @ lv_corr[pred, j]
    total = np.linalg.inv(np.eye(n_lv) - path) - np.eye(n_lv)
    return Solution(weights, lv_corr, cross, path, r2, total)


def weighted_cov(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and covariance (divisor sum of weights)."""
    sw = w.sum()
    mean = (w @ x) / sw
    xc = x - mean
    xw = xc * np.sqrt(w)[:, None]
    cov = xw.T @ xw / sw  # one symmetric product (BLAS syrk)
    return mean, (cov + cov.T) / 2


def model_cov(raw_cov: np.ndarray, scaled: bool) -> np.ndarray:
    """The covariance the algorithm works on: correlations (standardised items) or raw covariances."""
    if not scaled:
        return raw_cov
    d = np.sqrt(np.diag(raw_cov))
    return raw_cov / np.outer(d, d)


def index_weights(weights: np.ndarray, raw_cov: np.ndarray, structure: Structure, scaled: bool) -> np.ndarray:
    """Outer weights in the items' own units, rescaled to sum to one within each block (ACSI index)."""
    raw = weights / np.sqrt(np.diag(raw_cov)) if scaled else weights.copy()
    sums = np.bincount(structure.block, weights=raw, minlength=structure.n_constructs)
    return raw / sums[structure.block]


def replicate_statistics(solution: Solution, structure: Structure, idx_w: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """One flat vector per fit: paths (edge order), total effects (all pairs), R² (endogenous), weights,
    loadings, index weights, item means (the layout :func:`statistic_layout` names)."""
    src, dst = structure.edges
    k = np.arange(len(structure.block))
    return np.concatenate([
        solution.paths[src, dst],
        solution.total.ravel(),
        solution.r2[structure.endogenous],
        solution.weights,
        solution.cross_loadings[k, structure.block],
        idx_w,
        mean,
    ])


def statistic_layout(structure: Structure) -> dict[str, slice]:
    n_edges = len(structure.edges[0])
    n_lv = structure.n_constructs
    k = len(structure.block)
    sizes = [("path", n_edges), ("total", n_lv * n_lv), ("r2", len(structure.endogenous)), ("weight", k),
             ("loading", k), ("index_weight", k), ("mean", k)]
    out, at = {}, 0
    for name, size in sizes:
        out[name] = slice(at, at + size)
        at += size
    return out


def replicates(x: np.ndarray, w: np.ndarray, units: np.ndarray | None, unit_stratum: np.ndarray | None,
               structure: Structure, scaled: bool, tol: float, max_iter: int, seeds: list) -> np.ndarray:
    """Refit the model on bootstrap replicates, one per seed (a ``numpy.random.SeedSequence``).

    Rows are drawn with replacement; with ``units`` (PSU codes) the Rao-Wu rescaling bootstrap
    resamples units within strata instead. A replicate that fails (no convergence, a constant item) is
    a row of NaN.
    """
    layout = statistic_layout(structure)
    width = layout["mean"].stop
    out = np.full((len(seeds), width), np.nan)
    n = len(x)
    for r, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        if units is None:
            mult = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(float)
        else:
            mult = _rao_wu(unit_stratum, rng)[units]
        keep = mult > 0
        wr = (w * mult)[keep]
        mean, raw_cov = weighted_cov(x[keep], wr)
        if np.any(np.diag(raw_cov) <= 1e-14 * np.maximum(1.0, mean**2)):
            continue
        cov = model_cov(raw_cov, scaled)
        try:
            est = estimate_weights(cov, n, structure, tol, max_iter)
            if not est.converged:
                continue
            sol = solve(cov, est.weights, structure)
        except np.linalg.LinAlgError:
            continue
        out[r] = replicate_statistics(sol, structure, index_weights(sol.weights, raw_cov, structure, scaled), mean)
    return out


def _rao_wu(unit_stratum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.ones(len(unit_stratum))
    for h in np.unique(unit_stratum):
        members = np.flatnonzero(unit_stratum == h)
        nh = len(members)
        if nh < 2:
            continue
        counts = np.bincount(rng.integers(0, nh, size=nh - 1), minlength=nh)
        out[members] = counts * nh / (nh - 1)
    return out
