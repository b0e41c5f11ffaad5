"""Sampling stages and finite-population corrections, as R ``survey``'s ``svydesign`` builds them.

Units are nested in strata and in the units of the stage above (``nest=TRUE``). Stages are built once
and never written to afterwards, so a design, its calibrated children and their threads share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_toolkit.errors import DesignError, InvalidWeightError, LonelyPSUError
from cs_toolkit.survey._grouping import factorize, nested_codes

LONELY_PSU_OPTIONS = ("fail", "remove", "certainty", "adjust", "average")
CERTAINTY = 1e-7  # R treats a stratum whose finite-population factor is below this as self-representing.


def as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


@dataclass(frozen=True)
class _Stage:
    """One sampling stage: units nested in strata, with their sizes and correction factors."""

    unit: np.ndarray  # (n,) code of the sampling unit of each row at this stage
    n_units: int
    unit_stratum: np.ndarray  # (n_units,) stratum code of each unit
    n_strata: int
    npsu: np.ndarray  # (n_strata,) units sampled in the stratum
    fpc_factor: np.ndarray  # (n_strata,) (N - n) / N, or 1 without a finite-population correction
    multiplier: np.ndarray  # (n_strata,) product of the sampling fractions n/N of the stages above
    stratum_parent: np.ndarray  # (n_strata,) unit of the stage above (0 at stage 1)
    rows_are_units: bool
    labels: list[str]  # stratum labels, for messages

    def row_stratum(self) -> np.ndarray:
        return self.unit_stratum[self.unit]


@dataclass(frozen=True)
class _Sampling:
    """What the variance needs of a design besides its weights: its stages and their options."""

    stages: tuple[_Stage, ...]
    finest_to_stage: tuple[np.ndarray, ...]  # per stage, the unit of each finest-stage unit
    has_fpc: bool
    lonely_psu: str
    adjust_domain_lonely: bool = False  # R's options(survey.adjust.domain.lonely)

    @property
    def finest(self) -> _Stage:
        return self.stages[-1]

    @property
    def grouped_totals(self) -> bool:
        """Variance from grouped sums needs no per-row influence values unless the last stage is the row."""
        return not self.finest.rows_are_units


def check_columns(data: pd.DataFrame, weights: str | None, strata: str | None, psu: list[str], fpc: list[str]) -> None:
    named = [weights, strata, *psu, *fpc]
    missing = [c for c in named if c is not None and c not in data.columns]
    if missing:
        raise DesignError(f"design column(s) {missing} not in the data; available columns: {list(data.columns)}")
    for col in [strata, *psu, *fpc]:
        if col is not None and data[col].isna().any():
            rows = list(data.index[data[col].isna()][:5])
            raise DesignError(f"design column {col!r} has missing values (rows {rows}); fill or drop them first.")
    if fpc and len(fpc) != max(len(psu), 1):
        raise DesignError(
            f"fpc names {len(fpc)} column(s) but the design has "
            f"{max(len(psu), 1)} stage(s); give one fpc column per psu column."
        )


def build_stages(
    data: pd.DataFrame, strata: str | None, psu: list[str], fpc: list[str]
) -> tuple[list[_Stage], list[np.ndarray]]:
    """The stages of the design, and per stage the population size of each row's stratum (if fpc)."""
    n = len(data)
    if n == 0:
        raise DesignError("the data has no rows")
    strata_codes, strata_labels = factorize(data, as_list(strata))
    stage_psus = psu or [None]
    if len(stage_psus) > 1 and not fpc:
        stage_psus = stage_psus[:1]  # with-replacement multistage: ultimate-cluster variance, as in R

    fpc_values = [data[c].to_numpy(dtype=float) for c in fpc[: len(stage_psus)]]
    if fpc_values:
        all_fpc = np.concatenate(fpc_values)
        is_popsize = bool(np.any(all_fpc > 1))
        if is_popsize and not np.all(all_fpc >= 1):
            raise DesignError("fpc must be all population sizes (>= 1) or all sampling fractions (<= 1)")
        if np.any(all_fpc <= 0):
            raise DesignError("fpc values must be positive")
    else:
        is_popsize = True

    stages: list[_Stage] = []
    popsizes: list[np.ndarray] = []
    stratum_of_row = strata_codes
    n_strata = len(strata_labels) if strata else 1
    parent_of_stratum = np.zeros(n_strata, dtype=np.int64)
    multiplier = np.ones(n_strata)
    labels = [str(v) for v in strata_labels.iloc[:, 0]] if strata else ["(all)"]
    for s, psu_col in enumerate(stage_psus):
        if psu_col is None:
            unit = np.arange(n, dtype=np.int64)  # each row is its own unit: already numbered
        else:
            psu_codes, _ = factorize(data, [psu_col])
            unit = nested_codes(stratum_of_row, psu_codes)
        n_units = int(unit.max()) + 1
        unit_stratum = np.zeros(n_units, dtype=np.int64)
        unit_stratum[unit] = stratum_of_row
        npsu = np.bincount(unit_stratum, minlength=n_strata).astype(float)
        if fpc_values:
            per_stratum = np.zeros(n_strata)
            per_stratum[stratum_of_row] = fpc_values[s]
            pop = per_stratum if is_popsize else npsu / per_stratum
            if np.any(pop < npsu - 1e-9):
                bad = [labels[i] for i in np.flatnonzero(pop < npsu - 1e-9)[:5]]
                raise DesignError(f"fpc implies more than 100% sampling at stage {s + 1} in strata {bad}")
            factor = np.where(np.isinf(pop), 1.0, (pop - npsu) / pop)
        else:
            pop = np.full(n_strata, np.inf)
            factor = np.ones(n_strata)
        stages.append(
            _Stage(
                unit=unit,
                n_units=n_units,
                unit_stratum=unit_stratum,
                n_strata=n_strata,
                npsu=npsu,
                fpc_factor=factor,
                multiplier=multiplier,
                stratum_parent=parent_of_stratum,
                rows_are_units=n_units == n,
                labels=labels,
            )
        )
        popsizes.append(pop[stratum_of_row])
        # The next stage is stratified by the units of this one.
        sampling_fraction = np.where(np.isinf(pop), 0.0, npsu / np.where(np.isinf(pop), 1.0, pop))
        multiplier = (multiplier * sampling_fraction)[unit_stratum]
        parent_of_stratum = np.arange(n_units, dtype=np.int64)
        labels = [f"unit {u} of stage {s + 1}" for u in range(n_units)] if s + 1 < len(stage_psus) else labels
        stratum_of_row = unit
        n_strata = n_units
    return stages, popsizes if fpc_values else []


def build_weights(
    data: pd.DataFrame, weights: str | None, stages: Sequence[_Stage], popsizes: list[np.ndarray]
) -> np.ndarray:
    """The weights column, or the weights implied by the fpc (population over sample size per stage), or 1."""
    if weights is not None:
        raw = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(raw) | (raw <= 0)
        if bad.any():
            rows = list(data.index[bad][:5])
            raise InvalidWeightError(
                f"weight column {weights!r} has {int(bad.sum())} missing, zero, negative or "
                f"non-numeric value(s) (first rows: {rows}); fix them or drop those rows before building the design."
            )
        return raw
    if popsizes:
        w = np.ones(len(data))
        for stage, pop in zip(stages, popsizes, strict=False):
            w *= pop / stage.npsu[stage.row_stratum()]
        return w
    return np.ones(len(data))


def check_single_unit(stage: _Stage, psu: list[str]) -> None:
    """A design with one sampling unit in all has 0 degrees of freedom: no variance can be estimated."""
    if stage.n_units == 1 and not bool(np.all(stage.fpc_factor < CERTAINTY)):
        what = f"one value of the PSU column {psu[0]!r}" if psu else "one row"
        raise DesignError(
            f"the design has a single sampling unit (PSU) in total ({what}), so it has 0 degrees of freedom "
            f"and no standard error or confidence interval can be estimated. Use a design with at least two "
            f"PSUs (for a simple random sample, give no psu column).",
            degf=0,
        )


def check_lonely(stages: Sequence[_Stage], lonely_psu: str) -> None:
    if lonely_psu != "fail":
        return
    for s, stage in enumerate(stages):
        lonely = (stage.npsu == 1) & (stage.fpc_factor >= CERTAINTY)
        if lonely.any():
            which = [stage.labels[i] for i in np.flatnonzero(lonely)[:10]]
            raise LonelyPSUError(
                f"{int(lonely.sum())} stratum/strata have only one sampling unit at stage {s + 1} "
                f"(e.g. {which}), so their variance cannot be estimated. Choose how to handle them with "
                f"lonely_psu='remove', 'certainty', 'adjust' or 'average' (as R's survey.lonely.psu), "
                f"or merge those strata with similar ones."
            )


def unit_maps(stages: Sequence[_Stage]) -> tuple[np.ndarray, ...]:
    """For each stage, the unit that each finest-stage unit belongs to."""
    finest = stages[-1]
    maps = []
    for stage in stages:
        m = np.empty(finest.n_units, dtype=np.int64)
        m[finest.unit] = stage.unit
        maps.append(m)
    return tuple(maps)


def sampling(
    data: pd.DataFrame,
    weights: str | None,
    strata: str | None,
    psu: list[str],
    fpc: list[str],
    lonely_psu: str,
    adjust_domain_lonely: bool = False,
) -> tuple[_Sampling, np.ndarray]:
    """Check the design columns, build the stages and the weights (R ``svydesign``)."""
    if lonely_psu not in LONELY_PSU_OPTIONS:
        raise DesignError(f"lonely_psu must be one of {LONELY_PSU_OPTIONS}, not {lonely_psu!r}")
    check_columns(data, weights, strata, psu, fpc)
    stages, popsizes = build_stages(data, strata, psu, fpc)
    w = build_weights(data, weights, stages, popsizes)
    check_single_unit(stages[0], psu)
    check_lonely(stages, lonely_psu)
    return _Sampling(tuple(stages), unit_maps(stages), bool(fpc), lonely_psu, bool(adjust_domain_lonely)), w


def degf(
    sampling: _Sampling,
    column: np.ndarray,
    k: int,
    weights: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Degrees of freedom per domain, as R ``degf`` of the domain's design: first-stage sampling units
    minus strata, counting only rows with a non-zero weight whose ``column`` (0..k-1) is that domain.

    With ``pairs=(a, b)``, the degrees of freedom of the union of domains a[j] and b[j] instead.
    """
    stage = sampling.stages[0]
    rows = (column >= 0) & (weights != 0)
    col = column[rows]
    if stage.rows_are_units:
        unit_stratum = stage.unit_stratum[np.flatnonzero(rows)]
        counts = np.bincount(col, minlength=k)
        units = counts if pairs is None else counts[pairs[0]] + counts[pairs[1]]  # domains share no row
    else:
        unit = stage.unit[rows]
        unit_stratum = stage.unit_stratum[unit]
        present = (np.bincount(unit * k + col, minlength=stage.n_units * k) > 0).reshape(stage.n_units, k)
        units = present.sum(axis=0) if pairs is None else (present[:, pairs[0]] | present[:, pairs[1]]).sum(axis=0)
    strata = (np.bincount(unit_stratum * k + col, minlength=stage.n_strata * k) > 0).reshape(stage.n_strata, k)
    strata = strata.sum(axis=0) if pairs is None else (strata[:, pairs[0]] | strata[:, pairs[1]]).sum(axis=0)
    return (units - strata).astype(float)
