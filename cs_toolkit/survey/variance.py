"""Variance of influence totals, stage by stage, as R ``survey``'s ``svyrecvar`` computes it.

Influence values are summed within sampling units, centred within strata and scaled by
``n_h/(n_h - 1)`` and the finite-population factor; in multi-stage designs with a finite population
correction at every stage, later stages add their within-unit variance multiplied by the sampling
fraction of the stage above. Post-stratification and raking first replace the influence values by their
residuals from the calibration groups (R's ``postStrata`` handling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cs_toolkit.survey._grouping import group_sum
from cs_toolkit.survey.calibration import _PostStratification, _Raking
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
        out = np.zeros((len(self.x), self.k))
        rows = np.flatnonzero(self.column >= 0)
        out[rows, self.column[rows]] = self.x[rows]
        return out


def residualize(x: np.ndarray, calibrations: Sequence[_PostStratification | _Raking]) -> np.ndarray:
    """Residuals of the influence values from the calibration groups (R's postStrata handling)."""
    x = x.copy()
    for cal in calibrations:
        if isinstance(cal, _PostStratification):
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
) -> np.ndarray:
    """Variances of the K estimands (or of ``influence @ contrast``, a K x P matrix)."""
    if calibrations:
        influence = _Influence(residualize(influence.dense(), calibrations), None, influence.k)
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
        part = combine_strata(stage, s1, s2, sampling.lonely_psu)
        total = part if total is None else total + part
    return total


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


def combine_strata(stage: _Stage, s1: np.ndarray, s2: np.ndarray, lonely_psu: str) -> np.ndarray:
    """The stage's variance from per-stratum sums ``s1`` and sums of squares ``s2`` of unit totals."""
    npsu = stage.npsu[:, None]
    centred = s2 - s1**2 / npsu
    centred = np.maximum(centred, 0.0)  # rounding can leave -1e-20 where the true value is 0
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = stage.fpc_factor * np.where(stage.npsu > 1, stage.npsu / (stage.npsu - 1), 1.0)
    certainty = stage.fpc_factor < CERTAINTY
    scale = np.where(certainty, 0.0, scale) * stage.multiplier
    lonely = (stage.npsu == 1) & ~certainty
    contrib = centred
    if lonely.any():
        contrib = centred.copy()
        if lonely_psu == "adjust":
            contrib[lonely] = s2[lonely]  # centred at the grand mean (zero), not at the stratum mean
        else:  # average (filled in below), remove, certainty (fail was refused when the design was built)
            contrib[lonely] = 0.0
    contrib = contrib * scale[:, None]
    if lonely_psu == "average" and lonely.any():
        parents = int(stage.stratum_parent.max()) + 1
        n_strata = np.bincount(stage.stratum_parent, minlength=parents)
        n_ok = np.bincount(stage.stratum_parent, weights=(~lonely).astype(float), minlength=parents)
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(n_ok > 0, n_strata / n_ok, 0.0)
        return (group_sum(stage.stratum_parent, contrib, parents) * factor[:, None]).sum(axis=0)
    return contrib.sum(axis=0)
