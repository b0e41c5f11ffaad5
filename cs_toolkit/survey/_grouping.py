"""Vectorised grouping helpers shared by the design-based estimators.

Everything here works on integer group codes, so that no Python loop ever runs over rows or over
groups of rows: sums by group are ``np.bincount`` calls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_sum(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum ``values`` (1-D or 2-D, rows aligned with ``codes``) within each group code."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    out = np.empty((n_groups, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
    return out


def vdot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product of two long vectors without BLAS: a multithreaded BLAS ``ddot`` can be 50 times slower
    on a busy machine (threads waiting for each other); ``einsum`` runs one tight loop."""
    return float(np.einsum("i,i->", a, b))


def factorize(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes for the combinations of ``columns``, sorted; -1 where any column is missing.

    Returns the codes and a frame of the distinct combinations (one row per code).
    """
    if not columns:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=[0])
    per_column_codes = []
    per_column_levels = []
    for col in columns:
        series = frame[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes, levels = _category_codes(series)
        else:
            codes, levels = pd.factorize(series, sort=True, use_na_sentinel=True)
        per_column_codes.append(codes.astype(np.int64))
        per_column_levels.append(levels)
    if len(columns) == 1:
        labels = pd.DataFrame({columns[0]: per_column_levels[0]})
        return per_column_codes[0], labels
    missing = np.zeros(len(frame), dtype=bool)
    for c in per_column_codes:
        missing |= c < 0
    dims = [max(len(lv), 1) for lv in per_column_levels]
    combined = np.ravel_multi_index([np.where(c < 0, 0, c) for c in per_column_codes], dims)
    combined = np.where(missing, -1, combined)
    present = np.unique(combined[combined >= 0])
    remap = np.full(int(np.prod(dims)), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    codes = np.where(combined >= 0, remap[np.where(combined >= 0, combined, 0)], -1)
    unravelled = np.unravel_index(present, dims)
    labels = pd.DataFrame(
        {col: np.asarray(lv)[idx] for col, lv, idx in zip(columns, per_column_levels, unravelled, strict=True)}
    )
    return codes, labels


def _category_codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of a categorical column without hashing its values, unused categories dropped."""
    codes = series.cat.codes.to_numpy().astype(np.int64)
    present = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories)) > 0
    if present.all():
        return codes, pd.Index(series.cat.categories)
    remap = np.full(len(present), -1, dtype=np.int64)
    remap[present] = np.arange(int(present.sum()))
    return np.where(codes >= 0, remap[np.maximum(codes, 0)], -1), pd.Index(series.cat.categories[present])


def nested_codes(parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Codes 0..k-1 for the distinct (parent, child) pairs, so a child id reused under two parents differs."""
    key = parent.astype(np.int64) * (int(child.max()) + 1 if len(child) else 1) + child
    codes, _ = pd.factorize(key, sort=True)
    return codes.astype(np.int64)
