"""Replicate-weight designs, as R ``survey``'s ``as.svrepdesign``, ``svrepdesign`` and ``svrVar``.

A replicate design re-estimates every statistic with each set of replicate weights; the variance is
``scale * sum_r rscales_r (theta_r - theta_bar)^2`` (``theta_bar`` the mean of the replicates, or the
full-sample estimate with ``mse=True``). Weights built from a design (jackknife, BRR, bootstrap) are kept
compressed, as R's ``repweights_compressed``: one factor per first-stage unit and replicate, so a
replicate total is a ``np.bincount`` by unit followed by one small matrix product. Weights read from a
file are kept as an n x R matrix and replicate totals are one sparse-dense product.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from cs_toolkit.errors import DesignError
from cs_toolkit.survey.stages import CERTAINTY, _Sampling

TYPES = ("JK1", "JKn", "BRR", "bootstrap")
FILE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")


@dataclass(frozen=True)
class _ReplicateEstimates:
    """Replicate estimates of K estimands (R x K) and the full-sample estimates (K,)."""

    reps: np.ndarray
    theta: np.ndarray

    @property
    def k(self) -> int:
        return self.reps.shape[1]


@dataclass(frozen=True)
class _Replicates:
    """Replicate weights: ``base[i] * factors[group[i], r]`` (compressed) or ``factors[i, r]`` (full)."""

    type: str
    scale: float
    rscales: np.ndarray  # (R,)
    mse: bool
    factors: np.ndarray  # (G, R) compressed, or (n, R) full replicate weights
    group: np.ndarray | None = None  # (n,) unit of each row when compressed
    base: np.ndarray | None = None  # (n,) weights the factors multiply when compressed
    given_degf: float | None = None
    full_degf: float = field(init=False, repr=False)  # computed once, when made (as R stores design$degf)

    def __post_init__(self) -> None:
        value = self.given_degf if self.given_degf is not None else self._rank_degf(None)
        object.__setattr__(self, "full_degf", float(value))

    @property
    def n_replicates(self) -> int:
        return self.factors.shape[1]

    @property
    def compressed(self) -> bool:
        return self.group is not None

    def matrix(self) -> np.ndarray:
        """The n x R replicate weights."""
        if self.compressed:
            return self.base[:, None] * self.factors[self.group]
        return self.factors

    def sums(self, values: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
        """Replicate totals ``sum_i W_ir values_i`` in each domain (R x k); rows with code -1 are left out."""
        rows = codes >= 0
        if self.compressed:
            g = self.factors.shape[0]
            key = self.group[rows] * k + codes[rows]
            by_unit = np.bincount(key, weights=(self.base * values)[rows], minlength=g * k).reshape(g, k)
            return self.factors.T @ by_unit
        n = len(codes)
        select = sparse.csr_matrix((values[rows], (codes[rows], np.flatnonzero(rows))), shape=(k, n))
        return np.asarray((select @ self.factors).T)

    def variance(self, est: _ReplicateEstimates, contrast: np.ndarray | None = None) -> np.ndarray:
        """R ``svrVar`` of each column separately (a replicate that is NaN in a column is left out there)."""
        reps, theta = est.reps, est.theta
        if contrast is not None:
            reps, theta = reps @ contrast, theta @ contrast
        finite = np.isfinite(reps)
        use = finite & (self.rscales > 0)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = theta if self.mse else np.where(use, reps, 0.0).sum(axis=0) / use.sum(axis=0)
            dev = np.where(finite, reps - centre, 0.0)
            return self.scale * (self.rscales[:, None] * dev**2).sum(axis=0)

    def covariance(self, est: _ReplicateEstimates) -> np.ndarray:
        """R ``svrVar`` of a matrix of replicates (replicates with any NaN left out)."""
        ok = np.all(np.isfinite(est.reps), axis=1)
        reps, rscales = est.reps[ok], self.rscales[ok]
        centre = est.theta if self.mse else reps[rscales > 0].mean(axis=0)
        dev = reps - centre
        return self.scale * (dev * rscales[:, None]).T @ dev

    def degf(self, rows: np.ndarray | None = None) -> float:
        """R ``degf`` of the replicate design (or of its subset ``rows``): rank of the weights minus 1."""
        if rows is None or self.given_degf is not None:
            return self.full_degf
        return self._rank_degf(rows)

    def _rank_degf(self, rows: np.ndarray | None) -> float:
        if self.compressed:
            present = np.unique(self.group if rows is None else self.group[rows])
            weights = self.factors[present]
        else:
            weights = self.factors if rows is None else self.factors[rows]
        return float(matrix_rank(weights) - 1)

    def with_matrix(self, matrix: np.ndarray) -> _Replicates:
        """The same replicate design with new (full) replicate weights, e.g. after calibration."""
        return _Replicates(self.type, self.scale, self.rscales, self.mse, matrix)


def matrix_rank(weights: np.ndarray) -> int:
    """Rank of a weights matrix (R's ``qr(..., tol=1e-5)$rank`` for the exact dependencies of replicate
    weights): singular values above 1e-5 of the largest, from the R x R Gram matrix for tall matrices."""
    if weights.size == 0:
        return 0
    scaled = weights / np.maximum(np.sqrt((weights**2).mean(axis=0)), np.finfo(float).tiny)
    if scaled.shape[0] > 4 * scaled.shape[1]:
        eig = np.clip(np.linalg.eigvalsh(scaled.T @ scaled), 0, None)
        s = np.sqrt(eig)
    else:
        s = np.linalg.svd(scaled, compute_uv=False)
    return int((s > 1e-5 * s.max()).sum()) if s.max() > 0 else 0


def variance_of(replicates: _Replicates, est: _ReplicateEstimates, contrast: np.ndarray | None = None) -> np.ndarray:
    return replicates.variance(est, contrast)


# ---------------------------------------------------------------------------------------- from a design
def _units(sampling: _Sampling) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """First-stage unit of each row, stratum of each unit, the units' count per stratum, and n_strata."""
    stage = sampling.stages[0]
    return stage.unit, stage.unit_stratum, stage.npsu, stage.n_strata


def jackknife(sampling: _Sampling, weights: np.ndarray, kind: str, stratified: bool, mse: bool) -> _Replicates:
    """R ``jk1weights``/``jknweights``: one replicate per first-stage unit, that unit dropped and the
    others of its stratum weighted up by n_h / (n_h - 1)."""
    stage = sampling.stages[0]
    unit, unit_stratum, npsu, _ = _units(sampling)
    if kind == "JK1" and stratified:
        raise DesignError("JK1 replicates need an unstratified design (R: \"Can't use JK1 for a stratified "
                          "design\"); use type='JKn' for a stratified one.")
    if kind == "JKn" and not stratified:
        raise DesignError("JKn replicates need a stratified design; use type='JK1' or 'bootstrap'.")
    fpc = stage.fpc_factor if sampling.has_fpc else np.ones(stage.n_strata)
    n_h = npsu[unit_stratum]  # per unit
    certain = (fpc < CERTAINTY)[unit_stratum]  # R drops the replicates of self-representing strata
    lonely = (n_h == 1) & ~certain
    if lonely.any() and sampling.lonely_psu == "fail":
        bad = sorted({stage.labels[s] for s in unit_stratum[lonely]})[:10]
        raise DesignError(f"stratum/strata {bad} have a single sampling unit, so the jackknife cannot drop it; "
                          f"choose lonely_psu='remove', 'certainty', 'average' or 'adjust' as in R.")
    columns = np.flatnonzero(~certain & (n_h > 1))  # units that get a replicate of their own
    n_units = stage.n_units
    if n_units * (len(columns) + 1) > 200_000_000:
        raise DesignError(f"a jackknife on {n_units:,} sampling units needs {len(columns):,} replicates; give the "
                          f"design its PSU column(s), or use type='bootstrap' with fewer replicates.")
    factors = np.where(unit_stratum[:, None] == unit_stratum[columns][None, :],
                       (n_h / np.maximum(n_h - 1, 1))[:, None], 1.0)
    factors[columns, np.arange(len(columns))] = 0.0
    rscales = fpc[unit_stratum[columns]] * (n_h[columns] - 1) / n_h[columns]
    scale = 1.0
    if kind == "JK1":
        scale, rscales = (float(rscales[0]) if len(rscales) else 0.0), np.ones(len(columns))
    elif lonely.any() and sampling.lonely_psu == "adjust":
        n_strata = stage.n_strata
        extra_units = np.flatnonzero(lonely)
        extra = np.where(unit_stratum[:, None] == unit_stratum[extra_units][None, :], 0.0,
                         n_strata / (n_strata - 1))
        factors = np.column_stack([factors, extra])
        rscales = np.concatenate([rscales, np.full(len(extra_units), (n_strata - 1) / n_strata)])
    elif lonely.any() and sampling.lonely_psu == "average":
        scale = n_units / len(columns)  # R: the number of units over the number of replicates
    if factors.shape[1] == 0:
        raise DesignError("every stratum is sampled exhaustively (or has one unit): there is nothing to replicate")
    return _Replicates(kind, scale, np.asarray(rscales, dtype=float), mse, factors, unit, weights)


def hadamard(size: int) -> np.ndarray:
    """A Hadamard matrix (entries +-1) of order ``size``: Sylvester, Paley I or II, or their doublings."""
    if size == 1:
        return np.ones((1, 1))
    if size == 2:
        return np.array([[1.0, 1.0], [1.0, -1.0]])
    if size % 4:
        raise ValueError(size)
    q = size - 1
    if _is_prime(q) and q % 4 == 3:  # Paley I
        Q = _jacobsthal(q)
        H = np.ones((size, size))
        H[1:, 0] = -1
        H[1:, 1:] = Q + np.eye(q)
        return H
    q = size // 2 - 1
    if _is_prime(q) and q % 4 == 1:  # Paley II
        Q = _jacobsthal(q)
        C = np.zeros((q + 1, q + 1))
        C[0, 1:] = 1
        C[1:, 0] = 1
        C[1:, 1:] = Q
        plus, minus = np.array([[1, -1], [-1, -1]]), np.array([[1, 1], [1, -1]])
        return np.where(np.kron(C, np.ones((2, 2))) == 0, np.kron(np.eye(q + 1), plus),
                        np.kron(C, minus))
    if size % 8 == 0:
        half = hadamard(size // 2)
        return np.block([[half, half], [half, -half]])
    raise ValueError(size)


def _is_prime(q: int) -> bool:
    return q > 1 and all(q % d for d in range(2, int(q**0.5) + 1))


def _jacobsthal(q: int) -> np.ndarray:
    squares = np.zeros(q, dtype=bool)
    squares[(np.arange(1, q) ** 2) % q] = True
    diff = (np.arange(q)[None, :] - np.arange(q)[:, None]) % q
    return np.where(diff == 0, 0.0, np.where(squares[diff], 1.0, -1.0))


def hadamard_at_least(rows: int) -> np.ndarray:
    """The smallest Hadamard matrix (built here) with more than ``rows`` rows and order a multiple of 4."""
    size = 4 * (rows // 4 + 1)
    while True:
        try:
            return hadamard(size)
        except ValueError:
            size += 4


def brr(sampling: _Sampling, weights: np.ndarray, mse: bool, labels: Sequence[object]) -> _Replicates:
    """Balanced repeated replication (R ``brrweights``): strata of exactly two units, one of each pair
    kept (weight x 2) per half-sample, half-samples from the rows of a Hadamard matrix."""
    stage = sampling.stages[0]
    unit, unit_stratum, npsu, n_strata = _units(sampling)
    if not np.all(npsu == 2):
        bad = [stage.labels[s] for s in np.flatnonzero(npsu != 2)[:10]]
        raise DesignError(f"BRR needs exactly two sampling units in every stratum; strata {bad} have "
                          f"{sorted(set(npsu[npsu != 2].astype(int).tolist()))}. Use type='JKn' or 'bootstrap'.")
    if sampling.has_fpc:
        warnings.warn("finite population correction dropped for BRR replicates (as R)", stacklevel=3)
    H = hadamard_at_least(n_strata)
    order = np.argsort(np.asarray([str(v) for v in labels]), kind="stable")  # R sorts the strata as text
    rank = np.empty(n_strata, dtype=np.int64)
    rank[order] = np.arange(n_strata)
    first = np.zeros(stage.n_units, dtype=bool)  # the first unit (by appearance) of each stratum
    first_row = np.full(stage.n_units, len(unit), dtype=np.int64)
    np.minimum.at(first_row, unit, np.arange(len(unit)))
    by_appearance = np.lexsort((first_row, unit_stratum))
    is_first = np.r_[True, unit_stratum[by_appearance][1:] != unit_stratum[by_appearance][:-1]]
    first[by_appearance] = is_first
    signs = H[1 + rank[unit_stratum], :]  # (n_units, R)
    factors = np.where((signs > 0) == first[:, None], 2.0, 0.0)
    n_rep = H.shape[1]
    return _Replicates("BRR", 1.0 / n_rep, np.ones(n_rep), mse, factors, unit, weights)


def bootstrap(sampling: _Sampling, weights: np.ndarray, replicates: int, seed: int | None,
              mse: bool) -> _Replicates:
    """R ``bootweights``: in each replicate, n_h units drawn with replacement within each stratum; the
    factor of a unit is the number of times it is drawn. Seeded with ``numpy.random.default_rng(seed)``."""
    if replicates < 2:
        raise DesignError(f"bootstrap needs at least 2 replicates, not {replicates}")
    unit, unit_stratum, npsu, n_strata = _units(sampling)
    if np.any(npsu < 2):
        raise DesignError("bootstrap replicates need at least two sampling units in every stratum")
    if sampling.has_fpc:
        warnings.warn("finite population correction dropped for bootstrap replicates (units drawn with "
                      "replacement)", stacklevel=3)
    n_units = len(unit_stratum)
    order = np.argsort(unit_stratum, kind="stable")
    start = np.concatenate([[0], np.cumsum(npsu)[:-1]]).astype(np.int64)
    rng = np.random.default_rng(seed)
    draws = rng.random((replicates, n_units))
    slot_stratum = unit_stratum[order]
    chosen = order[start[slot_stratum] + np.floor(draws * npsu[slot_stratum]).astype(np.int64)]
    offsets = (np.arange(replicates) * n_units)[:, None]
    counts = np.bincount((chosen + offsets).ravel(), minlength=replicates * n_units).reshape(replicates, n_units)
    psu_per_stratum = 1 / np.mean(1 / npsu)
    scale = psu_per_stratum / ((psu_per_stratum - 1) * (replicates - 1))
    return _Replicates("bootstrap", scale, np.ones(replicates), mse, counts.T.astype(float), unit, weights)


# ---------------------------------------------------------------------------------------- from a file
def from_columns(
    data: pd.DataFrame,
    weights: np.ndarray,
    repweights: str | Sequence[str],
    type: str,
    scale: float | None,
    rscales: Sequence[float] | float | None,
    mse: bool,
    combined_weights: bool,
    rho: float | None,
    degf: float | None,
) -> tuple[_Replicates, list[str]]:
    """R ``svrepdesign``: replicate weights from columns (a list, or a regular expression as R's ``grep``)."""
    if type not in FILE_TYPES:
        raise DesignError(f"type must be one of {FILE_TYPES}, not {type!r}")
    if isinstance(repweights, str):
        columns = [c for c in data.columns if pd.Series([str(c)]).str.contains(repweights, regex=True).item()]
        if not columns:
            raise DesignError(f"no column matches the replicate-weight pattern {repweights!r}; columns: "
                              f"{list(data.columns)[:30]}")
    else:
        columns = list(repweights)
        absent = [c for c in columns if c not in data.columns]
        if absent:
            raise DesignError(f"replicate weight column(s) {absent} not in the data")
    n_rep = len(columns)
    if n_rep < 2:
        raise DesignError(f"a replicate design needs at least 2 replicate weight columns, got {n_rep} ({columns})",
                          count=n_rep)
    matrix = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float) for c in columns])
    if not np.isfinite(matrix).all():
        bad = [c for j, c in enumerate(columns) if not np.isfinite(matrix[:, j]).all()][:10]
        raise DesignError(f"replicate weight column(s) {bad} have missing or non-numeric values (R: \"Missing "
                          f"values not allowed in 'repweights'\")")
    if rscales is not None:
        rscales = np.broadcast_to(np.asarray(rscales, dtype=float), np.shape(rscales) or (1,))
        if len(rscales) not in (1, n_rep):
            raise DesignError(
                f"rscales has {len(rscales)} value(s) but there are {n_rep} replicate weight columns; give one "
                f"per replicate (R: \"rscales has length {len(rscales)}, should be ncol(repweights)\").",
                count=n_rep, rscales=len(rscales),
            )
        rscales = np.broadcast_to(rscales, (n_rep,)).astype(float)
    if type == "BRR":
        scale = 1.0 / n_rep
    elif type == "Fay":
        if rho is None:
            raise DesignError("type='Fay' needs rho (the Fay coefficient)")
        scale = 1.0 / (n_rep * (1 - rho) ** 2)
    elif type == "bootstrap":
        scale = 1.0 / (n_rep - 1) if scale is None else scale
    elif type == "JK1" and scale is None:
        if combined_weights:
            warnings.warn(f"scale (n-1)/n not given for JK1: taking n = {n_rep}, the number of replicates (as R)",
                          stacklevel=3)
            scale = (n_rep - 1) / n_rep
        else:
            scale = 1.0 / matrix[:, 0].max()
    elif type == "JKn" and rscales is None:
        if combined_weights:
            raise DesignError("type='JKn' with combined weights needs rscales ((n_h - 1)/n_h of each replicate's "
                              "stratum), as R's svrepdesign")
        rscales = 1.0 / matrix.max(axis=0)
    elif type == "other" and scale is None:
        scale = 1.0
    if rscales is None:
        rscales = np.ones(n_rep)
    if not combined_weights:
        matrix = matrix * weights[:, None]
    return _Replicates(type, float(1.0 if scale is None else scale), np.asarray(rscales, dtype=float), mse,
                       np.ascontiguousarray(matrix), given_degf=degf), columns
