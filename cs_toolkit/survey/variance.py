"""Variance of influence totals, stage by stage, as R ``survey``'s ``svyrecvar`` computes it.

Influence values are summed within sampling units, centred within strata and scaled by
``n_h/(n_h - 1)`` and the finite-population factor; in multi-stage designs with a finite population
correction at every stage, later stages add their within-unit variance multiplied by the sampling
fraction of the stage above. Post-stratification and raking first replace the influence values by their
residuals from the calibration groups (R's ``postStrata`` handling).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cs_toolkit.survey._grouping import group_sum
from cs_toolkit.survey.calibration import _Greg, _PostStratification, _Raking
from cs_toolkit.survey.stages import CERTAINTY, _Sampling, _Stage

RAKE_PROJECTIONS = 10  # R iterates the raking projections in svyrecvar exactly ten times.


@dataclass(frozen=True)
class _Influence:
    """Influence values of K estimands.

    Either compact (``x`` is 1-D and row i contributes only to column ``column[i]``; -1 means none), as
    for domain estimates on an uncalibrated design, or dense (``x`` is n x K).
    """

    x: np.ndarray | None
    column: np.ndarray | None
    k: int
    unit_totals: list[np.ndarray] | None = None  # per stage (n_units x K), when computed from grouped sums

    def dense(self) -> np.ndarray:
        if self.column is None:
            return self.x
        if self.k == 1:  # one column: rows outside it (-1) count zero
            return np.where(self.column >= 0, self.x, 0.0)[:, None]
        out = np.zeros((len(self.x), self.k))
        rows = np.flatnonzero(self.column >= 0)
        out[rows, self.column[rows]] = self.x[rows]
        return out


def residualize(x: np.ndarray, calibrations: Sequence[_PostStratification | _Raking]) -> np.ndarray:
    """Residuals of the influence values from the calibration groups (R's postStrata handling)."""
    x = x.copy()
    for cal in calibrations:
        if isinstance(cal, _Greg):
            x = cal.residualize(x)
        elif isinstance(cal, _PostStratification):
            ratio = cal.old_weights / cal.new_weights
            means = group_sum(cal.codes, x * ratio[:, None], cal.n_groups)
            means /= np.bincount(cal.codes, weights=cal.old_weights, minlength=cal.n_groups)[:, None]
            x -= means[cal.codes] * cal.new_weights[:, None]
        else:
            counts = [np.bincount(codes, minlength=m).astype(float) for codes, m, _ in cal.margins]
            for _ in range(RAKE_PROJECTIONS):
                for (codes, m, psw), cnt in zip(cal.margins, counts, strict=True):
                    means = group_sum(codes, x / psw[:, None], m) / cnt[:, None]
                    x -= psw[:, None] * means[codes]
    return x


def variance(
    influence: _Influence,
    sampling: _Sampling,
    calibrations: Sequence[_PostStratification | _Raking] = (),
    contrast: np.ndarray | None = None,
    support: np.ndarray | Callable[[], np.ndarray] | None = None,
) -> np.ndarray:
    """Variances of the K estimands (or of ``influence @ contrast``, a K x P matrix).

    ``support`` gives, for each row, the column (domain) whose subset it belongs to (-1: none); R
    computes a domain's variance on the domain's own design (``svyby``), which matters only for how
    lonely PSUs are handled (``average`` counts the strata present in the domain, and
    ``adjust_domain_lonely``). A calibrated design keeps all its rows in every domain, as in R.
    """
    if len(calibrations) == 1 and isinstance(calibrations[0], _Greg) and calibrations[0].units:
        # GREG alone: the residuals' unit totals straight from the influence values' unit totals
        x = influence.dense()
        totals = [unit_totals(stage, influence) for stage in sampling.stages]
        influence = _Influence(None, None, influence.k,
                               unit_totals=calibrations[0].residual_unit_totals(x, totals))
        calibrations, support = (), None
    if calibrations:
        influence = _Influence(residualize(influence.dense(), calibrations), None, influence.k)
        support = None
    need_presence = support is not None and (sampling.lonely_psu == "average" or sampling.adjust_domain_lonely)
    if need_presence and callable(support):
        support = support()
    total = None
    for s, stage in enumerate(sampling.stages):
        if influence.unit_totals is not None:
            totals = influence.unit_totals[s]
            if contrast is not None:
                totals = totals @ contrast
            s1 = group_sum(stage.unit_stratum, totals, stage.n_strata)
            s2 = group_sum(stage.unit_stratum, totals**2, stage.n_strata)
        elif influence.column is not None and stage.rows_are_units:
            s1, s2 = row_unit_sums(stage, influence)
            if contrast is not None:
                s2 = s2 @ contrast**2  # each unit feeds one column only: no cross terms
                s1 = s1 @ contrast
        else:
            totals = unit_totals(stage, influence)
            if contrast is not None:
                totals = totals @ contrast
            s1 = group_sum(stage.unit_stratum, totals, stage.n_strata)
            s2 = group_sum(stage.unit_stratum, totals**2, stage.n_strata)
        nsub = units_present(stage, support, influence.k, contrast) if need_presence else None
        part = combine_strata(stage, s1, s2, sampling.lonely_psu, nsub, sampling.adjust_domain_lonely)
        total = part if total is None else total + part
    return total


def covariance(
    influence: _Influence,
    sampling: _Sampling,
    calibrations: Sequence[_PostStratification | _Raking] = (),
    support: np.ndarray | None = None,
) -> np.ndarray:
    """The K x K covariance of the estimands (R ``svyrecvar`` of an influence matrix, as
    ``vcov(svymean(...))``, ``vcov(svyglm(...))`` and ``svyby(..., covmat=TRUE)``).

    ``support`` (a boolean row mask) is the subset of rows the estimates use (R's ``design[!nas, ]``);
    like in :func:`variance` it matters only for lonely PSUs, and not on a calibrated design.
    """
    x = influence.dense() if influence.unit_totals is None else None
    if calibrations:
        x = residualize(influence.dense(), calibrations)
        support = None
    need_presence = support is not None and (sampling.lonely_psu == "average" or sampling.adjust_domain_lonely)
    total = np.zeros((influence.k, influence.k))
    for s, stage in enumerate(sampling.stages):
        totals = influence.unit_totals[s] if x is None else group_sum(stage.unit, x, stage.n_units)
        s1 = group_sum(stage.unit_stratum, totals, stage.n_strata)
        nsub = units_present(stage, np.where(support, 0, -1), 1, None) if need_presence else None
        scale, centred = stratum_scales(stage, sampling.lonely_psu, nsub, sampling.adjust_domain_lonely)
        scale, centred = scale[:, 0], centred[:, 0]
        unit_scale = scale[stage.unit_stratum]
        cross = (totals * unit_scale[:, None]).T @ totals
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_term = (s1 * np.where(centred, scale / stage.npsu, 0.0)[:, None]).T @ s1
        total = total + cross - mean_term
    return total


def units_present(
    stage: _Stage, support: np.ndarray, k: int, contrast: np.ndarray | None
) -> np.ndarray:
    """Per stratum and column, how many units of ``stage`` have a row in the column's subset (R's
    ``nsubset``); for a contrast, in the union of the subsets of the columns it involves."""
    rows = support >= 0
    col = support[rows]
    unit = stage.unit[rows]
    present = (np.bincount(unit * k + col, minlength=stage.n_units * k) > 0).reshape(stage.n_units, k)
    if contrast is not None:
        present = (present.astype(float) @ (contrast != 0).astype(float)) > 0
    return group_sum(stage.unit_stratum, present.astype(float), stage.n_strata)


def stratum_scales(
    stage: _Stage, lonely_psu: str, nsub: np.ndarray | None, adjust_domain_lonely: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum (and column): the factor of its centred sum of squares, and whether it is centred.

    R's ``onestrat``/``onestage``: ``f n_h / (n_h - 1)`` times the sampling fraction of the stages above;
    0 for a certainty stratum; a stratum with one unit (in the design, or with
    ``adjust_domain_lonely`` in the domain) adds nothing (``remove``, ``certainty``), its square about
    zero (``adjust``) or is left out and the others scaled up by strata present / strata kept, per unit
    of the stage above (``average``; NaN where no stratum is kept, as R's NA).
    """
    npsu = stage.npsu
    certainty = stage.fpc_factor < CERTAINTY
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = stage.fpc_factor * np.where(npsu > 1, npsu / np.maximum(npsu - 1, 1), 1.0)
    scale = np.where(certainty, 0.0, scale) * stage.multiplier
    present = np.ones((stage.n_strata, 1), dtype=bool) if nsub is None else nsub > 0
    nsub = npsu[:, None] if nsub is None else nsub
    lonely = ((npsu == 1) & ~certainty)[:, None]
    if adjust_domain_lonely:
        lonely = lonely | ((nsub == 1) & ((npsu > 1) & ~certainty)[:, None])
    lonely = lonely & present
    centred = ~lonely if lonely_psu == "adjust" else np.ones_like(lonely)
    scale = np.broadcast_to(scale[:, None], lonely.shape).copy()
    if lonely_psu == "average" and lonely.any():
        parents = int(stage.stratum_parent.max()) + 1
        n_present = group_sum(stage.stratum_parent, present.astype(float), parents)
        n_ok = group_sum(stage.stratum_parent, (present & ~lonely).astype(float), parents)
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(n_present > 0, n_present / n_ok, 1.0)  # n_ok = 0: inf, and 0 * inf = NaN
        scale = np.where(lonely, 0.0, scale * factor[stage.stratum_parent])
        scale = np.where(present & np.isinf(factor[stage.stratum_parent]), np.nan, scale)
    return scale, centred


def combine_strata(
    stage: _Stage,
    s1: np.ndarray,
    s2: np.ndarray,
    lonely_psu: str,
    nsub: np.ndarray | None = None,
    adjust_domain_lonely: bool = False,
) -> np.ndarray:
    """The stage's variance from per-stratum sums ``s1`` and sums of squares ``s2`` of unit totals."""
    scale, centred = stratum_scales(stage, lonely_psu, nsub, adjust_domain_lonely)
    with np.errstate(invalid="ignore", divide="ignore"):
        about_mean = np.maximum(s2 - s1**2 / stage.npsu[:, None], 0.0)  # rounding can leave -1e-20 for 0
    contrib = np.where(centred, about_mean, s2) * scale
    return contrib.sum(axis=0)


def row_unit_sums(stage: _Stage, influence: _Influence) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum, the sum and the sum of squares of compact influence values whose rows are the units."""
    rows = influence.column >= 0
    key = stage.unit_stratum[stage.unit[rows]] * influence.k + influence.column[rows]
    size = stage.n_strata * influence.k
    xv = influence.x[rows]
    s1 = np.bincount(key, weights=xv, minlength=size).reshape(stage.n_strata, influence.k)
    s2 = np.bincount(key, weights=xv * xv, minlength=size).reshape(stage.n_strata, influence.k)
    return s1, s2


def unit_totals(stage: _Stage, influence: _Influence) -> np.ndarray:
    """Influence values summed within the units of ``stage`` (n_units x K)."""
    if influence.column is None:
        return group_sum(stage.unit, influence.x, stage.n_units)
    rows = influence.column >= 0
    key = stage.unit[rows] * influence.k + influence.column[rows]
    flat = np.bincount(key, weights=influence.x[rows], minlength=stage.n_units * influence.k)
    return flat.reshape(stage.n_units, influence.k)


def stack(influences: Sequence[_Influence], sampling: _Sampling, calibrated: bool) -> _Influence:
    """Several influences side by side (their columns in order), for a joint covariance matrix."""
    k = sum(inf.k for inf in influences)
    if influences and not isinstance(influences[0], _Influence):  # replicate estimates
        first = influences[0]
        return type(first)(np.hstack([inf.reps for inf in influences]),
                           np.concatenate([inf.theta for inf in influences]))
    if calibrated:
        return _Influence(np.hstack([inf.dense() for inf in influences]), None, k)
    per_stage = [
        np.hstack([inf.unit_totals[s] if inf.unit_totals is not None else unit_totals(stage, inf)
                   for inf in influences])
        for s, stage in enumerate(sampling.stages)
    ]
    return _Influence(None, None, k, unit_totals=per_stage)
