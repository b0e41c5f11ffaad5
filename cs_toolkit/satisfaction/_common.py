"""Shared steps of the satisfaction models: checking columns, taking weights from a column or a
:class:`~cs_toolkit.SurveyDesign`, weighted cross-products, bootstrap multipliers, and the four regions
of an importance-performance map (四分图)."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_toolkit.errors import ConfigError, DesignError

#: The four regions of the importance-performance map: (high importance?, high performance?) ->
#: (Chinese name, English name).
QUADRANTS: dict[tuple[bool, bool], tuple[str, str]] = {
    (True, True): ("优势区", "keep up"),
    (True, False): ("优先改进区", "act first"),
    (False, False): ("次要改进区", "low priority"),
    (False, True): ("维持区", "possible overkill"),
}


def as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def check_columns(frame: pd.DataFrame, columns: Sequence[str], what: str = "column", **context) -> None:
    """Raise :class:`ConfigError` naming the first column that ``frame`` lacks (with a close match)."""
    present = list(frame.columns)
    for col in columns:
        if col not in frame.columns:
            close = difflib.get_close_matches(str(col), [str(c) for c in present], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            where = "".join(f" ({k} {v!r})" for k, v in context.items() if v is not None)
            raise ConfigError(f"{what} {col!r}{where} is not a column of the data.{hint} "
                              f"Columns: {present[:40]}", column=col, **context)


def numeric_block(frame: pd.DataFrame, columns: Sequence[str], **context) -> np.ndarray:
    """The columns as a float64 matrix (n x k); NaN where missing. Text columns are refused by name."""
    out = np.empty((len(frame), len(columns)))
    for j, col in enumerate(columns):
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            out[:, j] = series.to_numpy(dtype=float, na_value=np.nan)
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna() & series.notna()
        if bad.any():
            examples = list(pd.unique(series[bad].astype(str)))[:5]
            raise DesignError(f"column {col!r} is not numeric: values such as {examples} are not numbers "
                              f"(score or recode the answers first)", column=col, **context)
        out[:, j] = values.to_numpy(dtype=float, na_value=np.nan)
    return out


def is_design(obj) -> bool:
    """True for a :class:`~cs_toolkit.SurveyDesign` (without importing scipy when there can be none)."""
    module = sys.modules.get("cs_toolkit.survey.design")
    return module is not None and isinstance(obj, module.SurveyDesign)


@dataclass(frozen=True)
class Sampling:
    """Weights and, when a design is given, the strata and first-stage units to resample."""

    frame: pd.DataFrame
    weights: np.ndarray  # one per row of frame, > 0
    strata: np.ndarray | None  # integer codes, or None
    units: np.ndarray | None  # integer codes of PSUs (unique across strata), or None: every row is a unit
    weighted: bool
    design: object | None = None


def resolve_sampling(data, weights: str | None = None, design=None, what: str = "data") -> Sampling:
    """Accept a DataFrame (with an optional weight column) or a :class:`~cs_toolkit.SurveyDesign`.

    A design may be passed as ``data`` itself or as ``design=`` together with its own data frame.
    Its (possibly calibrated) weights are used, and its strata and first-stage PSUs drive the bootstrap.
    """
    if is_design(data):
        if design is not None and design is not data:
            raise ConfigError("give the survey design once: as data or as design=, not two different designs")
        design = data
        data = design.data
    if design is not None:
        if not is_design(design):
            raise ConfigError(f"design must be a cs_toolkit.SurveyDesign, not {type(design).__name__}")
        if data is None:
            data = design.data
        elif data is not design.data and (len(data) != len(design.data) or not data.index.equals(design.data.index)):
            raise ConfigError("data and design= hold different rows: pass the design alone (as data) so "
                              "its weights, strata and PSUs line up with the answers")
        if weights is not None and weights != design.weights_column:
            raise ConfigError(f"weights={weights!r} conflicts with the design's own weights "
                              f"({design.weights_column!r}); leave weights out when a design is given")
        w = design.weights.to_numpy(dtype=float)
        strata = units = None
        if design.strata_column:
            strata = pd.factorize(design.data[design.strata_column], use_na_sentinel=False)[0]
        if design.psu_columns:
            keys = [design.data[design.strata_column]] if design.strata_column else []
            keys.append(design.data[design.psu_columns[0]])
            units = pd.MultiIndex.from_arrays(keys).factorize()[0] if len(keys) > 1 else \
                pd.factorize(keys[0], use_na_sentinel=False)[0]
        return Sampling(data, w, strata, units, True, design)
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"{what} must be a pandas DataFrame or a cs_toolkit.SurveyDesign, not {type(data).__name__}")
    if weights is None:
        return Sampling(data, np.ones(len(data)), None, None, False)
    check_columns(data, [weights], "weights column")
    w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise DesignError(f"weights column {weights!r} has {int(bad.sum())} missing, zero or negative value(s) "
                          f"(first at row {data.index[np.argmax(bad)]!r}); every weight must be positive",
                          column=weights)
    return Sampling(data, w, None, None, True)


def kish_n_eff(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w @ w)) if len(w) else 0.0


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.outer(d, d)


# ---------------------------------------------------------------------------------------------- bootstrap
def design_units(sampling: Sampling) -> tuple[np.ndarray, np.ndarray]:
    """The first-stage unit (PSU) of each row as codes 0..U-1, and the stratum code of each unit.

    Without PSUs every row is its own unit; without strata there is one stratum.
    """
    n = len(sampling.weights)
    units = sampling.units if sampling.units is not None else np.arange(n)
    strata = sampling.strata if sampling.strata is not None else np.zeros(n, dtype=np.int64)
    unit_stratum = np.zeros(int(units.max()) + 1 if n else 0, dtype=np.int64)
    unit_stratum[units] = strata
    return units, unit_stratum


def unit_multipliers(unit_stratum: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` x U weight multipliers of the Rao-Wu (1988) rescaling bootstrap.

    In each stratum, ``n_h - 1`` of its ``n_h`` units are drawn with replacement and the weights of a
    unit drawn ``k`` times are multiplied by ``k n_h / (n_h - 1)`` (R ``survey``'s
    ``as.svrepdesign(type="subbootstrap")``). Strata with a single unit keep their weights (they add no
    variance). Finite-population corrections are not applied (conservative).
    """
    out = np.ones((size, len(unit_stratum)))
    for h in np.unique(unit_stratum):
        members = np.flatnonzero(unit_stratum == h)
        nh = len(members)
        if nh < 2:
            continue
        draws = rng.integers(0, nh, size=(size, nh - 1))
        counts = np.zeros((size, nh))
        np.add.at(counts, (np.repeat(np.arange(size), nh - 1), draws.ravel()), 1.0)
        out[:, members] = counts * nh / (nh - 1)
    return out


def row_counts(m: int, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` x m counts of rows drawn with replacement (the ordinary nonparametric bootstrap)."""
    out = np.empty((size, m))
    for b in range(size):
        out[b] = np.bincount(rng.integers(0, m, size=m), minlength=m)
    return out


def percentile_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap replicates (rows = replicates), ignoring failed (NaN) ones."""
    alpha = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        low = np.nanquantile(samples, alpha, axis=0)
        high = np.nanquantile(samples, 1 - alpha, axis=0)
    return low, high


# ---------------------------------------------------------------------------------------------- 四分图
def quadrant_names(high_importance: np.ndarray, high_performance: np.ndarray) -> tuple[list[str], list[str]]:
    zh, en = [], []
    for hi, hp in zip(np.asarray(high_importance, bool), np.asarray(high_performance, bool), strict=True):
        a, b = QUADRANTS[(bool(hi), bool(hp))]
        zh.append(a)
        en.append(b)
    return zh, en


def line_value(values: np.ndarray, rule, what: str) -> float:
    """A quadrant line: ``"mean"``, ``"median"`` or a number."""
    if rule is None or rule == "mean":
        return float(np.mean(values))
    if rule == "median":
        return float(np.median(values))
    if isinstance(rule, int | float | np.floating | np.integer) and not isinstance(rule, bool):
        return float(rule)
    raise ConfigError(f"quadrant line for {what} must be 'mean', 'median' or a number, not {rule!r}", key=what)


def resolve_lines(lines: Mapping | Sequence | None) -> dict[str, object]:
    """Normalise the ``quadrant_lines`` argument to ``{"share": rule, "performance_100": rule}``.

    Keys may be ``importance`` (raw R² units, converted to a share), ``share`` and ``performance_100``
    (0-100); ``performance`` (own scale) is accepted when every driver shares one scale.
    """
    if lines is None or isinstance(lines, str):
        return {"share": lines or "mean", "performance_100": lines or "mean"}
    if not isinstance(lines, Mapping):
        if len(lines) != 2:
            raise ConfigError("quadrant_lines must be a dict such as {'share': 0.1, 'performance_100': 80}")
        return {"share": lines[0], "performance_100": lines[1]}
    allowed = {"importance", "share", "performance", "performance_100"}
    unknown = set(lines) - allowed
    if unknown:
        raise ConfigError(f"unknown quadrant_lines key(s) {sorted(unknown)}; use {sorted(allowed)}",
                          key=sorted(unknown)[0])
    return dict(lines)
