"""Design-based estimation for complex samples: Taylor linearisation as in R's ``survey`` package.

The variance of an estimator is the variance of the design-weighted sum of its influence values
(R's ``svyrecvar``): influence values are summed within sampling units, centred within strata and
scaled by ``n_h/(n_h - 1)`` and the finite-population factor; in multi-stage designs with a finite
population correction at every stage, later stages add their within-unit variance multiplied by the
sampling fraction of the stage above. Post-stratification and raking replace the influence values by
their residuals from the calibration groups before that (R's ``postStrata`` handling), so standard
errors account for calibration.

All sums run through ``np.bincount`` on integer codes: no Python loop runs over rows or groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cs_toolkit.errors import (
    CalibrationError,
    DesignError,
    InvalidWeightError,
    LonelyPSUError,
    RakingConvergenceError,
)
from cs_toolkit.survey._grouping import factorize, group_sum, nested_codes

LONELY_PSU_OPTIONS = ("fail", "remove", "certainty", "adjust", "average")
_CERTAINTY = 1e-7  # R treats a stratum whose finite-population factor is below this as self-representing.
_RAKE_PROJECTIONS = 10  # R iterates the raking projections in svyrecvar exactly ten times.


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


@dataclass(frozen=True)
class _Domains:
    codes: np.ndarray  # (n,) domain of each row, -1 = in none
    labels: pd.DataFrame | None
    k: int
    complete: bool  # every row is in a domain
    weight_sum: np.ndarray  # (k,) over all rows of the domain
    weight_sq_sum: np.ndarray
    n: np.ndarray
    finest_weight_sum: np.ndarray | None  # (n_units x k) at the finest stage, for grouped unit totals
    finest_key: np.ndarray | None  # (n,) finest unit * k + domain, when every row is in a domain


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


@dataclass
class _Estimate:
    estimate: np.ndarray
    influence: _Influence
    n: np.ndarray
    weight_sum: np.ndarray
    weight_sq_sum: np.ndarray
    srs_variance: np.ndarray | None  # variance under simple random sampling, for the design effect
    extra: dict[str, np.ndarray] = field(default_factory=dict)


class SurveyDesign:
    """A survey sample with its design: weights, strata, clusters (PSUs) and finite-population corrections.

    Estimates and their standard errors follow R's ``survey`` package (``svydesign`` with
    ``nest=TRUE``; Taylor linearisation). Confidence intervals are Wald intervals with normal quantiles,
    as R's ``confint`` gives for these statistics.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weights : str, optional
        Column of sampling weights (inverse inclusion probabilities). Without weights, weights come from
        ``fpc`` when it is given (as R does), otherwise every row weighs 1.
    strata : str, optional
        Column of first-stage strata.
    psu : str or list of str, optional
        Column(s) of sampling units, one per stage (``["district", "school"]`` for two stages). Units are
        taken as nested in strata and in the units of the stage above. Without ``psu``, each row is its
        own sampling unit.
    fpc : str or list of str, optional
        Finite-population correction per stage: the population number of units in the stratum (values
        >= 1) or the sampling fraction (values <= 1). Later stages count only when every stage has an fpc
        (otherwise the "ultimate cluster" variance of the first stage is used, as in R).
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}, default "fail"
        What to do with a stratum that has a single sampling unit, as R's ``options(survey.lonely.psu)``:
        ``"fail"`` raises :class:`~cs_toolkit.errors.LonelyPSUError`; ``"remove"`` and ``"certainty"``
        let it add no variance; ``"adjust"`` centres it at the grand mean instead of the stratum mean
        (conservative); ``"average"`` gives it the average variance of the other strata.

    Examples
    --------
    >>> import pandas as pd, cs_toolkit as cs
    >>> df = pd.DataFrame({"score": [8, 9, 10, 6, 7, 9], "region": list("aabbcc"), "w": [1, 1, 2, 2, 1, 1]})
    >>> design = cs.SurveyDesign(df, weights="w", strata="region")
    >>> round(design.mean("score")["estimate"].item(), 3)
    8.125
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        lonely_psu: str = "fail",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        if lonely_psu not in LONELY_PSU_OPTIONS:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_OPTIONS}, not {lonely_psu!r}")
        self.data = data.copy(deep=False)  # copy-on-write: later edits of the caller's frame don't reach us
        self.weights_column = weights
        self.strata_column = strata
        self.psu_columns = _as_list(psu)
        self.fpc_columns = _as_list(fpc)
        self.lonely_psu = lonely_psu
        self._calibrations: tuple[_PostStratification | _Raking, ...] = ()

        self._check_columns()
        if self.fpc_columns and len(self.fpc_columns) != max(len(self.psu_columns), 1):
            raise DesignError(
                f"fpc names {len(self.fpc_columns)} column(s) but the design has "
                f"{max(len(self.psu_columns), 1)} stage(s); give one fpc column per psu column."
            )
        self._stages, popsizes = self._build_stages()
        self._weights = self._build_weights(popsizes)
        self._check_lonely()
        self._finest_to_stage = self._unit_maps()
        # Variance from grouped sums needs no per-row influence values unless the last stage is the row.
        self._grouped_totals = not self._stages[-1].rows_are_units
        self._domain_cache: dict[tuple[str, ...], _Domains] = {}

    # ------------------------------------------------------------------ construction
    def _check_columns(self) -> None:
        named = [self.weights_column, self.strata_column, *self.psu_columns, *self.fpc_columns]
        missing = [c for c in named if c is not None and c not in self.data.columns]
        if missing:
            raise DesignError(
                f"design column(s) {missing} not in the data; available columns: {list(self.data.columns)}"
            )
        for col in [self.strata_column, *self.psu_columns, *self.fpc_columns]:
            if col is not None and self.data[col].isna().any():
                rows = list(self.data.index[self.data[col].isna()][:5])
                raise DesignError(f"design column {col!r} has missing values (rows {rows}); fill or drop them first.")

    def _build_stages(self) -> tuple[list[_Stage], list[np.ndarray]]:
        n = len(self.data)
        if n == 0:
            raise DesignError("the data has no rows")
        strata_codes, strata_labels = factorize(self.data, _as_list(self.strata_column))
        stratum_label_text = (
            [str(v) for v in strata_labels.iloc[:, 0]] if self.strata_column else ["(all)"]
        )
        stage_psus = self.psu_columns or [None]
        if len(stage_psus) > 1 and not self.fpc_columns:
            stage_psus = stage_psus[:1]  # with-replacement multistage: ultimate-cluster variance, as in R

        fpc_values = [self.data[c].to_numpy(dtype=float) for c in self.fpc_columns[: len(stage_psus)]]
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
        n_strata = len(strata_labels) if self.strata_column else 1
        parent_of_stratum = np.zeros(n_strata, dtype=np.int64)
        multiplier = np.ones(n_strata)
        labels = stratum_label_text
        previous_unit = None
        for s, psu_col in enumerate(stage_psus):
            if psu_col is None:
                unit = np.arange(n, dtype=np.int64)  # each row is its own unit: already numbered
            else:
                psu_codes, _ = factorize(self.data, [psu_col])
                unit = nested_codes(stratum_of_row, psu_codes)
            n_units = int(unit.max()) + 1
            unit_stratum = np.zeros(n_units, dtype=np.int64)
            unit_stratum[unit] = stratum_of_row
            npsu = np.bincount(unit_stratum, minlength=n_strata).astype(float)
            rows_are_units = n_units == n
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
                    rows_are_units=rows_are_units,
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
            previous_unit = unit
        del previous_unit
        return stages, popsizes if fpc_values else []

    def _build_weights(self, popsizes: list[np.ndarray]) -> np.ndarray:
        if self.weights_column is not None:
            raw = pd.to_numeric(self.data[self.weights_column], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(raw) | (raw <= 0)
            if bad.any():
                rows = list(self.data.index[bad][:5])
                raise InvalidWeightError(
                    f"weight column {self.weights_column!r} has {int(bad.sum())} missing, zero, negative or "
                    f"non-numeric value(s) (first rows: {rows}); fix them or drop those rows before building the design."
                )
            return raw
        if popsizes:
            w = np.ones(len(self.data))
            for stage, pop in zip(self._stages, popsizes, strict=False):
                w *= pop / stage.npsu[self._row_stratum(stage)]
            return w
        return np.ones(len(self.data))

    def _unit_maps(self) -> list[np.ndarray]:
        """For each stage, the unit that each finest-stage unit belongs to."""
        finest = self._stages[-1]
        maps = []
        for stage in self._stages:
            m = np.empty(finest.n_units, dtype=np.int64)
            m[finest.unit] = stage.unit
            maps.append(m)
        return maps

    def _row_stratum(self, stage: _Stage) -> np.ndarray:
        return stage.unit_stratum[stage.unit]

    def _check_lonely(self) -> None:
        if self.lonely_psu != "fail":
            return
        for s, stage in enumerate(self._stages):
            lonely = (stage.npsu == 1) & (stage.fpc_factor >= _CERTAINTY)
            if lonely.any():
                which = [stage.labels[i] for i in np.flatnonzero(lonely)[:10]]
                raise LonelyPSUError(
                    f"{int(lonely.sum())} stratum/strata have only one sampling unit at stage {s + 1} "
                    f"(e.g. {which}), so their variance cannot be estimated. Choose how to handle them with "
                    f"lonely_psu='remove', 'certainty', 'adjust' or 'average' (as R's survey.lonely.psu), "
                    f"or merge those strata with similar ones."
                )

    # ------------------------------------------------------------------ basic properties
    @property
    def weights(self) -> pd.Series:
        """The current (possibly calibrated) weights, aligned with ``data``."""
        return pd.Series(self._weights, index=self.data.index, name="weight")

    @property
    def n(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        parts = [f"n={self.n}"]
        if self.strata_column:
            parts.append(f"strata={self.strata_column!r} ({self._stages[0].n_strata})")
        if self.psu_columns:
            units = ", ".join(str(s.n_units) for s in self._stages)
            parts.append(f"psu={self.psu_columns} ({units} units)")
        if self.fpc_columns:
            parts.append(f"fpc={self.fpc_columns}")
        if self._calibrations:
            parts.append(f"calibrated x{len(self._calibrations)}")
        return f"SurveyDesign({', '.join(parts)})"

    def _with(self, weights: np.ndarray, calibration: _PostStratification | _Raking | None) -> SurveyDesign:
        new = object.__new__(SurveyDesign)
        new.__dict__.update(self.__dict__)
        new._weights = weights
        new._domain_cache = {}  # cached sums depend on the weights
        if calibration is not None:
            new._calibrations = (*self._calibrations, calibration)
        return new

    # ------------------------------------------------------------------ domains and influence values
    def _domains(self, by: str | Sequence[str] | None) -> _Domains:
        key = tuple(_as_list(by))
        cached = self._domain_cache.get(key)
        if cached is not None:
            return cached
        if not key:
            codes, labels, k = np.zeros(self.n, dtype=np.int64), None, 1
        else:
            missing = [c for c in key if c not in self.data.columns]
            if missing:
                raise DesignError(f"by column(s) {missing} not in the data; available: {list(self.data.columns)}")
            codes, labels = factorize(self.data, list(key))
            k = len(labels)
        inside = codes >= 0
        complete = bool(inside.all())
        g = codes if complete else codes[inside]
        w = self._weights if complete else self._weights[inside]
        finest_sw = finest_key = None
        if self._grouped_totals:
            finest = self._stages[-1]
            unit = finest.unit if complete else finest.unit[inside]
            key_ = unit * k + g
            finest_sw = np.bincount(key_, weights=w, minlength=finest.n_units * k).reshape(finest.n_units, k)
            finest_key = key_ if complete else None
        info = _Domains(
            codes, labels, k, complete,
            np.bincount(g, weights=w, minlength=k), np.bincount(g, weights=w * w, minlength=k),
            np.bincount(g, minlength=k).astype(float), finest_sw, finest_key,
        )
        self._domain_cache[key] = info
        return info

    def _column(self, var: str) -> tuple[np.ndarray, bool, bool]:
        """A numeric column as float64, whether it has missing values, and whether all values are whole."""
        cache = self.__dict__.setdefault("_column_cache", {})
        if var not in cache:
            arr = self._numeric(var)
            finite = np.isfinite(arr)
            has_missing = not bool(finite.all())
            values = arr[finite] if has_missing else arr
            cache[var] = (arr, has_missing, bool(np.all(values == np.round(values))))
        return cache[var]

    def _numeric(self, var: str) -> np.ndarray:
        if var not in self.data.columns:
            raise DesignError(f"column {var!r} not in the data; available: {list(self.data.columns)}")
        col = self.data[var]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise DesignError(
                f"column {var!r} is not numeric (dtype {col.dtype}); use proportion() for categories, "
                f"or read the export with cs_toolkit.read_survey to convert and validate it."
            )
        return col.to_numpy(dtype=float, na_value=np.nan)

    def _linearize(
        self,
        y: np.ndarray,
        dom: _Domains,
        kind: str,
        binary: bool = False,
        second_moment: bool = False,
        has_missing: bool | None = None,
    ) -> _Estimate:
        """Estimates of a mean or total of ``y`` in each domain, and their influence values.

        ``second_moment`` also sums w y^2 (for design effects); ``binary`` says y is 0/1, so that
        sum(w y^2) = sum(w y) comes free.
        """
        if kind not in ("mean", "total"):  # pragma: no cover - internal misuse
            raise ValueError(kind)
        k = dom.k
        if has_missing is False:
            finite = None
            all_valid = dom.complete
        else:
            finite = np.isfinite(y)
            all_valid = dom.complete and bool(finite.all())
        if all_valid:
            valid = None
            g, wv, yv = dom.codes, self._weights, y
            weight_sum, weight_sq_sum, n = dom.weight_sum, dom.weight_sq_sum, dom.n
        else:
            valid = (dom.codes >= 0) if finite is None else finite & (dom.codes >= 0)
            g, wv, yv = dom.codes[valid], self._weights[valid], y[valid]
            weight_sum = np.bincount(g, weights=wv, minlength=k)
            weight_sq_sum = np.bincount(g, weights=wv * wv, minlength=k)
            n = np.bincount(g, minlength=k).astype(float)
        # A reused buffer: allocating a fresh n-sized temporary per estimate costs as much as the arithmetic.
        wy = np.multiply(wv, yv, out=self._scratch(len(wv)))
        grouped = self._grouped_totals and not self._calibrations
        if grouped:
            finest = self._stages[-1]
            key = dom.finest_key if valid is None else finest.unit[valid] * k + g
            unit_wy = np.bincount(key, weights=wy, minlength=finest.n_units * k).reshape(finest.n_units, k)
            wy_sum = unit_wy.sum(axis=0)
        else:
            wy_sum = np.bincount(g, weights=wy, minlength=k)
        if binary:
            wyy_sum = wy_sum
        elif second_moment:
            wyy_sum = np.bincount(g, weights=wy * yv, minlength=k)
        else:
            wyy_sum = None
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = wy_sum / weight_sum
            estimate = mean if kind == "mean" else wy_sum
            srs = None
            if wyy_sum is not None:
                element_var = np.maximum(wyy_sum - weight_sum * mean**2, 0.0) / weight_sum * n / (n - 1)
                srs = element_var * self._srs_factor(n, weight_sum)
                if kind == "total":
                    srs = srs * weight_sum**2
        if grouped:
            influence = self._grouped_influence(dom, valid, key, wv, unit_wy, mean, weight_sum, kind)
        else:
            x = np.zeros(self.n)
            with np.errstate(invalid="ignore", divide="ignore"):
                contrib = wv * (yv - mean[g]) / weight_sum[g] if kind == "mean" else wy.copy()
            if valid is None:
                x[:] = contrib
                column = dom.codes
            else:
                x[valid] = contrib
                column = np.where(valid, dom.codes, -1)
            influence = _Influence(x, column, k)
        est = _Estimate(estimate, influence, n, weight_sum, weight_sq_sum, srs)
        est.extra["_wyy_sum"] = wyy_sum
        return est

    def _scratch(self, size: int, slot: int = 0) -> np.ndarray:
        """A reusable float buffer (slot 0: products inside _linearize; slot 1: derived variables)."""
        buffers = self.__dict__.setdefault("_buffers", {})
        buffer = buffers.get(slot)
        if buffer is None or len(buffer) < size:
            buffer = np.empty(max(size, self.n))
            buffers[slot] = buffer
        return buffer[:size]

    def _grouped_influence(self, dom, valid, key, wv, unit_wy, mean, weight_sum, kind) -> _Influence:
        """Unit totals of the influence values straight from grouped sums: (sum wy - mean * sum w) / W."""
        finest = self._stages[-1]
        k = dom.k
        size = finest.n_units * k
        totals = unit_wy
        if kind == "mean":
            sw = dom.finest_weight_sum if valid is None else np.bincount(key, weights=wv, minlength=size).reshape(
                finest.n_units, k)
            with np.errstate(invalid="ignore", divide="ignore"):
                totals = np.where(weight_sum > 0, (totals - mean * sw) / weight_sum, 0.0)
        per_stage = [
            totals if s == len(self._stages) - 1 else group_sum(self._finest_to_stage[s], totals, stage.n_units)
            for s, stage in enumerate(self._stages)
        ]
        return _Influence(None, None, k, unit_totals=per_stage)

    def _srs_factor(self, n: np.ndarray, weight_sum: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.fpc_columns:
                return (weight_sum - n) / (weight_sum * n)
            return 1.0 / n

    # ------------------------------------------------------------------ variance
    def _residualize(self, x: np.ndarray) -> np.ndarray:
        """Residuals of the influence values from the calibration groups (R's postStrata handling)."""
        x = x.copy()
        for cal in self._calibrations:
            if isinstance(cal, _PostStratification):
                ratio = cal.old_weights / cal.new_weights
                means = group_sum(cal.codes, x * ratio[:, None], cal.n_groups)
                means /= np.bincount(cal.codes, weights=cal.old_weights, minlength=cal.n_groups)[:, None]
                x -= means[cal.codes] * cal.new_weights[:, None]
            else:
                counts = [np.bincount(codes, minlength=m).astype(float) for codes, m, _ in cal.margins]
                for _ in range(_RAKE_PROJECTIONS):
                    for (codes, m, psw), cnt in zip(cal.margins, counts, strict=True):
                        means = group_sum(codes, x / psw[:, None], m) / cnt[:, None]
                        x -= psw[:, None] * means[codes]
        return x

    def _variance(self, influence: _Influence, contrast: np.ndarray | None = None) -> np.ndarray:
        """Variances of the K estimands (or of ``influence @ contrast``, a K x P matrix)."""
        if self._calibrations:
            influence = _Influence(self._residualize(influence.dense()), None, influence.k)
        total = None
        for s, stage in enumerate(self._stages):
            if influence.unit_totals is not None:
                totals = influence.unit_totals[s]
                if contrast is not None:
                    totals = totals @ contrast
                s1 = group_sum(stage.unit_stratum, totals, stage.n_strata)
                s2 = group_sum(stage.unit_stratum, totals**2, stage.n_strata)
            elif influence.column is not None and stage.rows_are_units:
                s1, s2 = self._row_unit_sums(stage, influence)
                if contrast is not None:
                    s2 = s2 @ contrast**2  # each unit feeds one column only: no cross terms
                    s1 = s1 @ contrast
            else:
                totals = self._unit_totals(stage, influence)
                if contrast is not None:
                    totals = totals @ contrast
                s1 = group_sum(stage.unit_stratum, totals, stage.n_strata)
                s2 = group_sum(stage.unit_stratum, totals**2, stage.n_strata)
            part = self._combine(stage, s1, s2)
            total = part if total is None else total + part
        return total

    @staticmethod
    def _row_unit_sums(stage: _Stage, influence: _Influence) -> tuple[np.ndarray, np.ndarray]:
        rows = influence.column >= 0
        key = stage.unit_stratum[stage.unit[rows]] * influence.k + influence.column[rows]
        size = stage.n_strata * influence.k
        xv = influence.x[rows]
        s1 = np.bincount(key, weights=xv, minlength=size).reshape(stage.n_strata, influence.k)
        s2 = np.bincount(key, weights=xv * xv, minlength=size).reshape(stage.n_strata, influence.k)
        return s1, s2

    @staticmethod
    def _unit_totals(stage: _Stage, influence: _Influence) -> np.ndarray:
        if influence.column is None:
            return group_sum(stage.unit, influence.x, stage.n_units)
        rows = influence.column >= 0
        key = stage.unit[rows] * influence.k + influence.column[rows]
        flat = np.bincount(key, weights=influence.x[rows], minlength=stage.n_units * influence.k)
        return flat.reshape(stage.n_units, influence.k)

    def _combine(self, stage: _Stage, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
        npsu = stage.npsu[:, None]
        centred = s2 - s1**2 / npsu
        centred = np.maximum(centred, 0.0)  # rounding can leave -1e-20 where the true value is 0
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = stage.fpc_factor * np.where(stage.npsu > 1, stage.npsu / (stage.npsu - 1), 1.0)
        certainty = stage.fpc_factor < _CERTAINTY
        scale = np.where(certainty, 0.0, scale) * stage.multiplier
        lonely = (stage.npsu == 1) & ~certainty
        contrib = centred
        if lonely.any():
            contrib = centred.copy()
            if self.lonely_psu == "adjust":
                contrib[lonely] = s2[lonely]  # centred at the grand mean (zero), not at the stratum mean
            elif self.lonely_psu == "average":
                contrib[lonely] = 0.0
            else:  # remove, certainty (fail was refused when the design was built)
                contrib[lonely] = 0.0
        contrib = contrib * scale[:, None]
        if self.lonely_psu == "average" and lonely.any():
            parents = int(stage.stratum_parent.max()) + 1
            n_strata = np.bincount(stage.stratum_parent, minlength=parents)
            n_ok = np.bincount(stage.stratum_parent, weights=(~lonely).astype(float), minlength=parents)
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(n_ok > 0, n_strata / n_ok, 0.0)
            return (group_sum(stage.stratum_parent, contrib, parents) * factor[:, None]).sum(axis=0)
        return contrib.sum(axis=0)

    # ------------------------------------------------------------------ result tables
    def _table(
        self,
        est: _Estimate,
        labels: pd.DataFrame | None,
        variable: str,
        level: float,
        extra_keys: dict[str, object] | None = None,
        deff: bool = False,
    ) -> pd.DataFrame:
        var = np.where(est.n > 0, self._variance(est.influence), np.nan)  # an empty domain has no SE
        se = np.sqrt(var)
        z = stats.norm.ppf(0.5 + level / 2)
        k = len(est.estimate)
        columns: dict[str, object] = {} if labels is None else {c: labels[c].to_numpy() for c in labels.columns}
        columns["variable"] = np.full(k, variable, dtype=object)
        for key, value in (extra_keys or {}).items():
            columns[key] = np.full(k, value, dtype=object)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns.update(
                estimate=est.estimate, se=se, ci_low=est.estimate - z * se, ci_high=est.estimate + z * se,
                n=est.n.astype(np.int64), n_eff=est.weight_sum**2 / est.weight_sq_sum,
            )
            if deff and est.srs_variance is not None:
                columns["deff"] = var / est.srs_variance
        columns.update({key: value for key, value in est.extra.items() if not key.startswith("_")})
        return pd.DataFrame(columns)

    @staticmethod
    def _finish(frames: list[pd.DataFrame], by_cols: list[str], key_cols: list[str]) -> pd.DataFrame:
        out = pd.concat(frames, ignore_index=True)
        index_cols = [*by_cols, *[c for c in key_cols if out[c].nunique() > 1 or not by_cols]]
        if len(index_cols) == 1:
            out.index = pd.Index(out[index_cols[0]].to_list())
        else:
            out.index = pd.MultiIndex.from_frame(out[index_cols].astype(object), names=[None] * len(index_cols))
        return out

    # ------------------------------------------------------------------ public estimators
    def mean(
        self, var: str | Sequence[str], by: str | Sequence[str] | None = None, level: float = 0.95, deff: bool = False
    ) -> pd.DataFrame:
        """Weighted mean(s) with design-based standard errors (R ``svymean`` / ``svyby(..., svymean)``).

        Missing values are left out (``na.rm=TRUE``); domain estimates (``by``) use the whole design, so
        their standard errors are correct domain SEs.

        Parameters
        ----------
        var : str or list of str
            Numeric column(s).
        by : str or list of str, optional
            Column(s) defining domains (segments, periods); one row per domain and variable.
        level : float, default 0.95
            Confidence level of ``ci_low``/``ci_high``.
        deff : bool, default False
            Also return the design effect (variance over the simple-random-sampling variance; with an
            fpc the without-replacement one, as R's ``deff=TRUE``). Costs one more pass over the data.

        Returns
        -------
        pandas.DataFrame
            Columns: the ``by`` columns, ``variable``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
            ``n`` (respondents), ``n_eff`` (Kish effective sample size) and, if asked, ``deff``.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [4, 5, 3, 4], "site": ["A", "A", "B", "B"]})
        >>> cs.SurveyDesign(df).mean("sat", by="site")[["site", "estimate"]]
          site  estimate
        A    A       4.5
        B    B       3.5
        """
        return self._estimate_many(var, by, level, kind="mean", deff=deff)

    def total(
        self, var: str | Sequence[str], by: str | Sequence[str] | None = None, level: float = 0.95, deff: bool = False
    ) -> pd.DataFrame:
        """Estimated population total(s) with design-based standard errors (R ``svytotal``).

        Same parameters and result columns as :meth:`mean`.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"complaints": [1, 0, 2], "w": [10.0, 10.0, 20.0]})
        >>> cs.SurveyDesign(df, weights="w").total("complaints")["estimate"].item()
        50.0
        """
        return self._estimate_many(var, by, level, kind="total", deff=deff)

    def _estimate_many(self, var, by, level, kind, deff) -> pd.DataFrame:
        dom = self._domains(by)
        frames = []
        for v in _as_list(var):
            arr, has_missing, _ = self._column(v)
            est = self._linearize(arr, dom, kind, second_moment=deff, has_missing=has_missing)
            frames.append(self._table(est, dom.labels, v, level, deff=deff))
        return self._finish(frames, _as_list(by), ["variable"])

    def proportion(
        self, var: str, by: str | Sequence[str] | None = None, level: float = 0.95, deff: bool = False
    ) -> pd.DataFrame:
        """Share of each category of ``var`` (R ``svymean`` on a factor), with standard errors.

        Returns one row per category (and domain), with a ``level`` column naming the category.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"channel": ["hotline", "web", "web", "visit"]})
        >>> cs.SurveyDesign(df).proportion("channel")["estimate"].round(2).to_list()
        [0.25, 0.25, 0.5]
        """
        if var not in self.data.columns:
            raise DesignError(f"column {var!r} not in the data; available: {list(self.data.columns)}")
        col = self.data[var]
        levels = pd.Index(col.dropna().unique()).sort_values()
        dom = self._domains(by)
        missing = col.isna().to_numpy()
        frames = []
        for lv in levels:
            y = (col == lv).to_numpy(dtype=float, na_value=0.0)
            y[missing] = np.nan
            est = self._linearize(y, dom, "mean", binary=True)
            frames.append(self._table(est, dom.labels, var, level, {"level": lv}, deff=deff))
        return self._finish(frames, _as_list(by), ["level"])

    def share(
        self,
        var: str,
        values: Sequence[object],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: bool = False,
    ) -> pd.DataFrame:
        """Share of answers of ``var`` that fall in ``values`` (top-box, bottom-box, "yes"...), with SEs.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [5, 4, 2, 5]})
        >>> cs.SurveyDesign(df).share("sat", [4, 5])["estimate"].item()
        0.75
        """
        if var not in self.data.columns:
            raise DesignError(f"column {var!r} not in the data; available: {list(self.data.columns)}")
        y, has_missing = self._indicator(var, values)
        dom = self._domains(by)
        est = self._linearize(y, dom, "mean", binary=True, has_missing=has_missing)
        return self._finish([self._table(est, dom.labels, var, level, deff=deff)], _as_list(by), ["variable"])

    def _indicator(self, var: str, values: Sequence[object]) -> tuple[np.ndarray, bool]:
        """1.0 where ``var`` is one of ``values``, 0.0 elsewhere, NaN where it is missing; and whether any is."""
        col = self.data[var]
        if pd.api.types.is_numeric_dtype(col) and all(isinstance(v, int | float) for v in values):
            arr, has_missing, integral = self._column(var)
            wanted = np.unique(np.asarray(values, dtype=float))
            if integral and len(wanted) and np.all(wanted == np.round(wanted)) and np.all(np.diff(wanted) == 1):
                # a run of scale points (top-2-box) on whole numbers: two comparisons, no set lookup
                hit = (arr >= wanted[0]) & (arr <= wanted[-1])
            else:
                hit = np.isin(arr, wanted)
            y = self._scratch(len(arr), slot=1)
            y[:] = hit
            if has_missing:
                y[np.isnan(arr)] = np.nan
            return y, has_missing
        y = col.isin(list(values)).to_numpy(dtype=float)
        missing = col.isna().to_numpy()
        y[missing] = np.nan
        return y, bool(missing.any())

    def nps(
        self, var: str, by: str | Sequence[str] | None = None, level: float = 0.95, deff: bool = False
    ) -> pd.DataFrame:
        """Net Promoter Score of a 0-10 item: % promoters (9-10) minus % detractors (0-6), with SE.

        The score is the weighted mean of +100 (promoter), 0 (passive) and -100 (detractor), so its
        standard error is the design-based SE of that mean. Also returns the weighted shares
        ``promoters``, ``passives`` and ``detractors`` (in %).

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"recommend": [10, 9, 8, 3, 10]})
        >>> cs.SurveyDesign(df).nps("recommend")["estimate"].item()
        40.0
        """
        y, has_missing, _ = self._column(var)
        low, high = np.nanmin(y) if len(y) else 0, np.nanmax(y) if len(y) else 0
        if low < 0 or high > 10:
            raise DesignError(
                f"NPS item {var!r} has values outside 0-10 (min {low}, max {high}); "
                f"validate the export with cs_toolkit.read_survey first."
            )
        score = self._scratch(len(y), slot=1)
        score[:] = y >= 9
        score -= y <= 6
        score *= 100.0
        if has_missing:
            score[np.isnan(y)] = np.nan
        dom = self._domains(by)
        est = self._linearize(score, dom, "mean", second_moment=True, has_missing=has_missing)
        # sum(w s) = 100 (P - D) W and sum(w s^2) = 10000 (P + D) W: the shares need no further pass.
        with np.errstate(invalid="ignore", divide="ignore"):
            net = est.estimate / 100
            both = est.extra["_wyy_sum"] / (10000 * est.weight_sum)
        est.extra["promoters"] = 100 * (both + net) / 2
        est.extra["passives"] = 100 * (1 - both)
        est.extra["detractors"] = 100 * (both - net) / 2
        return self._finish([self._table(est, dom.labels, var, level, deff=deff)], _as_list(by), ["variable"])

    # ------------------------------------------------------------------ comparisons
    def compare(
        self,
        var: str,
        by: str | Sequence[str],
        statistic: str = "mean",
        pairs: str = "all",
        values: Sequence[object] | None = None,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Differences between domains with a design-based Wald z-test (Taylor linearisation).

        The SE of a difference uses the covariance of the two domain estimates (they may share PSUs), so
        the test is valid for clustered and weighted samples. p-values are adjusted for the number of
        comparisons with Holm's method; ``significant`` is True only when the adjusted p-value < alpha.

        Parameters
        ----------
        var : str
            Item to compare.
        by : str or list of str
            Domains (segments or periods).
        statistic : {"mean", "nps", "share"}
            What to compare; ``"share"`` needs ``values`` (e.g. ``[4, 5]`` for top-2-box).
        pairs : {"all", "consecutive"}
            All pairs of domains, or each domain against the one before it (for periods, in sorted order).
        alpha : float, default 0.05

        Returns
        -------
        pandas.DataFrame
            ``group_a``, ``group_b``, ``estimate_a``, ``estimate_b``, ``difference`` (b - a), ``se``, ``z``,
            ``p_value``, ``p_adjusted``, ``significant``, ``test``.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [5, 4, 5, 5, 2, 3, 2, 1], "month": ["m1"] * 4 + ["m2"] * 4})
        >>> res = cs.SurveyDesign(df).compare("sat", by="month", pairs="consecutive")
        >>> bool(res["significant"].item())
        True
        """
        dom = self._domains(by)
        labels, k = dom.labels, dom.k
        binary = False
        if statistic == "mean":
            y = self._numeric(var)
        elif statistic == "nps":
            raw = self._numeric(var)
            y = np.where(raw >= 9, 100.0, np.where(raw <= 6, -100.0, 0.0))
            y[~np.isfinite(raw)] = np.nan
        elif statistic == "share":
            if values is None:
                raise DesignError("statistic='share' needs values=[...] (e.g. [4, 5] for top-2-box)")
            y, _ = self._indicator(var, values)
            binary = True
        else:
            raise DesignError(f"statistic must be 'mean', 'nps' or 'share', not {statistic!r}")
        est = self._linearize(y, dom, "mean", binary=binary)
        if pairs == "all":
            index_pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
        elif pairs == "consecutive":
            index_pairs = [(a, a + 1) for a in range(k - 1)]
        else:
            raise DesignError(f"pairs must be 'all' or 'consecutive', not {pairs!r}")
        names = (
            [" / ".join(str(v) for v in row) for row in labels.itertuples(index=False)] if labels is not None else ["all"]
        )
        if not index_pairs:
            return pd.DataFrame(
                columns=["group_a", "group_b", "estimate_a", "estimate_b", "difference", "se", "z",
                         "p_value", "p_adjusted", "significant", "test"]
            )
        contrast = np.zeros((k, len(index_pairs)))
        for j, (a, b) in enumerate(index_pairs):
            contrast[a, j] = -1.0
            contrast[b, j] = 1.0
        var_diff = self._variance(est.influence, contrast)
        diff = est.estimate @ contrast
        se = np.sqrt(var_diff)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = diff / se
        p = 2 * stats.norm.sf(np.abs(z))
        p_adj = holm(p)
        return pd.DataFrame(
            {
                "group_a": [names[a] for a, _ in index_pairs],
                "group_b": [names[b] for _, b in index_pairs],
                "estimate_a": [est.estimate[a] for a, _ in index_pairs],
                "estimate_b": [est.estimate[b] for _, b in index_pairs],
                "difference": diff,
                "se": se,
                "z": z,
                "p_value": p,
                "p_adjusted": p_adj,
                "significant": p_adj < alpha,
                "test": "design-based Wald z-test (Taylor linearisation), Holm-adjusted",
            }
        )

    # ------------------------------------------------------------------ weighting
    def effective_n(self, by: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Kish effective sample size ``(sum w)^2 / sum w^2`` and the weighting design effect ``n / n_eff``.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"w": [1.0, 1.0, 2.0, 4.0]})
        >>> round(cs.SurveyDesign(df, weights="w").effective_n()["n_eff"].item(), 3)
        2.909
        """
        dom = self._domains(by)
        sw, sw2 = dom.weight_sum, dom.weight_sq_sum
        frame = pd.DataFrame(index=range(dom.k)) if dom.labels is None else dom.labels.reset_index(drop=True)
        frame["n"] = dom.n.astype(np.int64)
        frame["weight_sum"] = sw
        frame["n_eff"] = sw**2 / sw2
        frame["deff_weighting"] = dom.n / frame["n_eff"]
        return frame

    def poststratify(
        self, var: str | Sequence[str], population: Mapping | pd.Series | pd.DataFrame, partial: bool = False
    ) -> SurveyDesign:
        """Post-stratify the weights to known population counts (R ``postStratify``).

        Parameters
        ----------
        var : str or list of str
            Post-stratification variable(s); with several, cells are their combinations.
        population : dict, Series or DataFrame
            Population count per level (``{"E": 4421, "H": 755, "M": 1018}``); for several variables a
            dict keyed by tuples, a Series with a MultiIndex, or a DataFrame with the variables and a
            ``Freq`` column.
        partial : bool, default False
            Allow population cells absent from the sample (they are ignored), as R's ``partial=TRUE``.

        Returns
        -------
        SurveyDesign
            A new design whose weights sum to the population counts in every cell, and whose standard
            errors account for the post-stratification.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sex": ["f", "f", "m"], "sat": [4, 5, 2]})
        >>> ps = cs.SurveyDesign(df).poststratify("sex", {"f": 50, "m": 50})
        >>> ps.weights.to_list()
        [25.0, 25.0, 50.0]
        """
        cols = _as_list(var)
        codes, labels = factorize(self.data, cols)
        if (codes < 0).any():
            raise CalibrationError(f"post-stratification variable(s) {cols} have missing values in the sample")
        pop = _population_counts(population, cols)
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
        sample_totals = np.bincount(codes, weights=self._weights, minlength=len(keys))
        target = np.array([pop[k] for k in keys], dtype=float)
        new_weights = self._weights * (target / sample_totals)[codes]
        record = _PostStratification(codes, len(keys), self._weights, new_weights)
        return self._with(new_weights, record)

    def rake(
        self,
        margins: Mapping[str | tuple[str, ...], Mapping[object, float]],
        max_iter: int = 100,
        epsilon: float = 1e-10,
        on_nonconvergence: str = "raise",
    ) -> SurveyDesign:
        """Rake the weights to population margins by iterative proportional fitting (R ``rake``).

        Iterates post-stratification on each margin until the weighted joint table of the margin
        variables changes by less than ``epsilon`` between sweeps (R's rule: ``epsilon < 1`` is taken as
        a fraction of the total weight). The defaults iterate to the fixed point (the weights of R's
        ``calibrate(..., calfun="raking")``); ``max_iter=10, epsilon=1`` reproduce R ``rake()``'s own
        looser defaults digit for digit. Standard errors of the returned design account for raking as
        R's do.

        Parameters
        ----------
        margins : dict
            ``{column: {level: population count}}``; a margin over a joint table of several columns is
            keyed by a tuple of columns, with tuple levels: ``{("stype", "sch.wide"): {("E", "No"): 500, ...}}``.
        max_iter : int, default 100
        epsilon : float, default 1e-10
        on_nonconvergence : {"raise", "warn"}
            Raise :class:`~cs_toolkit.errors.RakingConvergenceError` (default) or only warn.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": ["y", "o", "y", "o"]})
        >>> raked = cs.SurveyDesign(df).rake({"sex": {"f": 60, "m": 40}, "age": {"y": 30, "o": 70}})
        >>> raked.weights.groupby(df["sex"]).sum().to_dict()
        {'f': 60.0, 'm': 40.0}
        """
        if not margins:
            raise CalibrationError("rake() needs at least one margin")
        cols = list(margins)
        missing = [c for key in cols for c in _as_list(key if isinstance(key, str) else list(key))
                   if c not in self.data.columns]
        if missing:
            raise CalibrationError(f"margin column(s) {missing} not in the data; available: {list(self.data.columns)}")
        margin_codes = []
        targets = []
        for col in cols:
            parts = [col] if isinstance(col, str) else list(col)
            codes, labels = factorize(self.data, parts)
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
        base = np.bincount(cell_codes, weights=self._weights, minlength=len(cell_index))
        n_cells = len(base)
        factor = np.ones(n_cells)
        tol = epsilon * self._weights.sum() if epsilon < 1 else epsilon
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
            import warnings

            warnings.warn(message, stacklevel=2)
        new_weights = self._weights * factor[cell_codes]
        record = _Raking(
            tuple(
                (codes, dims[m], self._weights * step_factors[m][cell_codes])
                for m, codes in enumerate(margin_codes)
            )
        )
        return self._with(new_weights, record)

    def trim_weights(self, lower: float | None = None, upper: float | None = None, strict: bool = False) -> SurveyDesign:
        """Trim weights to ``[lower, upper]`` and spread the trimmed amount over the other weights (R ``trimWeights``).

        The total weight is kept. With ``strict=True`` the redistribution is repeated until no weight
        falls outside the bounds.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"w": [1.0, 1.0, 1.0, 9.0]})
        >>> cs.SurveyDesign(df, weights="w").trim_weights(upper=5).weights.round(3).to_list()
        [2.333, 2.333, 2.333, 5.0]
        """
        w = self._weights.copy()
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
        return self._with(w, None)


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


def _population_counts(population, cols: list[str]) -> dict[tuple, float]:
    if isinstance(population, pd.DataFrame):
        if "Freq" not in population.columns or not set(cols) <= set(population.columns):
            raise CalibrationError(f"a population DataFrame needs the columns {cols} and 'Freq'")
        return {tuple(r[:-1]): float(r[-1]) for r in population[[*cols, "Freq"]].itertuples(index=False)}
    items = population.items()
    out = {}
    for key, value in items:
        out[key if isinstance(key, tuple) else (key,)] = float(value)
    if any(len(k) != len(cols) for k in out):
        raise CalibrationError(f"population keys must have {len(cols)} part(s), one per variable {cols}")
    return out


__all__ = ["SurveyDesign", "LONELY_PSU_OPTIONS", "holm"]
