"""Quality of a PLS path model's measurement: reliability of each block, discriminant validity (HTMT)
and the global goodness of fit (GoF), all from the items' correlation matrix.

Definitions (``p`` items in a block, ``r_ij`` their correlations, ``lambda_k`` the PLS loadings):

- Cronbach's alpha, standardised, as R ``plspm``: ``p / (p - 1) * sum_{i!=j} r_ij / sum_{i,j} r_ij``
  (0 when negative).
- Dillon-Goldstein rho, as ``plspm`` and Tenenhaus et al. (2005), from the loadings ``c_k`` of the
  items on the block's first principal component: ``(sum c)^2 / ((sum c)^2 + sum (1 - c^2))``.
- Composite reliability rho_c (SmartPLS, seminr): the same formula with the PLS loadings.
- rho_A (Dijkstra & Henseler 2015): ``(w'w)^2 * w'(S - diag S)w / w'(ww' - diag(ww'))w`` with the outer
  weights ``w`` scaled to unit score variance.
- AVE (Fornell & Larcker 1981): the mean of ``lambda_k^2``.
- HTMT (Henseler, Ringle & Sarstedt 2015): the mean correlation between the items of two blocks,
  divided by the geometric mean of the blocks' mean within-block correlations.
- GoF (Tenenhaus et al. 2005; as ``plspm``): ``sqrt(mean communality * mean R²)``, the communalities
  averaged over the items of blocks with more than one item, R² over the endogenous constructs.

Mode B (formative) blocks get no reliability (NaN): their items need not correlate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.satisfaction._common import check_columns, numeric_block
from cs_toolkit.satisfaction._pls_core import Structure


def block_reliability(corr: np.ndarray, weights: np.ndarray, loadings: np.ndarray, structure: Structure,
                      constructs: Sequence[str]) -> pd.DataFrame:
    """Per construct: mode, items, Cronbach's alpha, Dillon-Goldstein rho, rho_c, rho_A, AVE, eigenvalues.

    ``corr`` is the items' correlation matrix, ``weights`` the outer weights on standardised items
    (unit score variance), ``loadings`` the PLS loadings. :class:`PLSPathModel` reports it as
    ``reliability_``.

    Examples
    --------
    >>> import numpy as np
    >>> from cs_toolkit.satisfaction._pls_core import Structure
    >>> s = Structure(np.array([0, 0, 1, 1]), np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([False, False]), "path")
    >>> corr = np.array([[1, .6, .2, .2], [.6, 1, .2, .2], [.2, .2, 1, .5], [.2, .2, .5, 1]])
    >>> w = np.full(4, 1 / np.sqrt(3.2))
    >>> lam = np.array([.89, .89, .87, .87])
    >>> block_reliability(corr, w, lam, s, ["A", "B"])["cronbach_alpha"].round(3).tolist()
    [0.75, 0.667]
    """
    rows = []
    for j, name in enumerate(constructs):
        items = np.flatnonzero(structure.block == j)
        p = len(items)
        sub = corr[np.ix_(items, items)]
        eig = np.sort(np.linalg.eigvalsh(sub))[::-1]
        lam = loadings[items]
        row = {"construct": name, "mode": "B" if structure.mode_b[j] else "A", "items": p,
               "cronbach_alpha": np.nan, "dg_rho": np.nan, "composite_reliability": np.nan, "rho_a": np.nan,
               "ave": float(np.mean(lam**2)), "eig_1st": float(eig[0]), "eig_2nd": float(eig[1]) if p > 1 else 0.0}
        if not structure.mode_b[j]:
            if p == 1:
                row.update(cronbach_alpha=1.0, dg_rho=1.0, composite_reliability=1.0, rho_a=1.0)
            else:
                off = sub.sum() - np.trace(sub)
                row["cronbach_alpha"] = max(0.0, p / (p - 1) * off / sub.sum())
                values, vectors = np.linalg.eigh(sub)
                pc = vectors[:, -1] * np.sqrt(values[-1])
                row["dg_rho"] = pc.sum() ** 2 / (pc.sum() ** 2 + p - (pc**2).sum())
                row["composite_reliability"] = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
                w = weights[items]
                outer = np.outer(w, w)
                denominator = w @ (outer - np.diag(np.diag(outer))) @ w
                row["rho_a"] = (w @ w) ** 2 * (w @ (sub - np.eye(p)) @ w) / denominator
        rows.append(row)
    return pd.DataFrame(rows)


def htmt_matrix(corr: np.ndarray, blocks: Sequence[np.ndarray], names: Sequence[str]) -> pd.DataFrame:
    """HTMT of every pair of blocks from the items' correlation matrix (NaN for single-item blocks).

    Examples
    --------
    >>> import numpy as np
    >>> corr = np.array([[1, .6, .2, .2], [.6, 1, .2, .2], [.2, .2, 1, .5], [.2, .2, .5, 1]])
    >>> float(htmt_matrix(corr, [np.array([0, 1]), np.array([2, 3])], ["A", "B"]).loc["A", "B"].round(3))
    0.365
    """
    k = len(blocks)
    mono = np.full(k, np.nan)
    for j, items in enumerate(blocks):
        if len(items) > 1:
            sub = corr[np.ix_(items, items)]
            mono[j] = (sub.sum() - np.trace(sub)) / (len(items) * (len(items) - 1))
    out = np.full((k, k), np.nan)
    for a in range(k):
        for b in range(k):
            if a != b:
                hetero = corr[np.ix_(blocks[a], blocks[b])].mean()
                with np.errstate(invalid="ignore"):
                    out[a, b] = hetero / np.sqrt(mono[a] * mono[b])
    return pd.DataFrame(out, index=list(names), columns=list(names))


def htmt(data: pd.DataFrame, measurement: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations (Henseler, Ringle & Sarstedt 2015) between blocks.

    ``HTMT_ij = mean(r between items of i and j) / sqrt(mean(r within i) * mean(r within j))``; values
    above 0.85 (or 0.90 for conceptually close constructs) question discriminant validity. Complete rows
    only; single-item blocks give NaN.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> a = rng.normal(size=2000)
    >>> b = 0.5 * a + np.sqrt(0.75) * rng.normal(size=2000)  # constructs correlate 0.5
    >>> df = pd.DataFrame({"a1": a + rng.normal(size=2000), "a2": a + rng.normal(size=2000),
    ...                    "b1": b + rng.normal(size=2000), "b2": b + rng.normal(size=2000)})
    >>> float(htmt(df, {"A": ["a1", "a2"], "B": ["b1", "b2"]}).loc["A", "B"].round(1))
    0.5
    """
    names = list(measurement)
    items = [i for n in names for i in measurement[n]]
    check_columns(data, items, "item")
    x = numeric_block(data, items)
    x = x[np.isfinite(x).all(axis=1)]
    corr = np.corrcoef(x, rowvar=False)
    blocks, at = [], 0
    for n in names:
        blocks.append(np.arange(at, at + len(measurement[n])))
        at += len(measurement[n])
    return htmt_matrix(corr, blocks, names)


def goodness_of_fit(communality: np.ndarray, r2: np.ndarray, structure: Structure) -> float:
    """Tenenhaus' GoF as R ``plspm`` computes it (see the module notes).

    Examples
    --------
    >>> import numpy as np
    >>> from cs_toolkit.satisfaction._pls_core import Structure
    >>> s = Structure(np.array([0, 0, 1, 1]), np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([False, False]), "path")
    >>> round(goodness_of_fit(np.array([.8, .6, .7, .5]), np.array([0.0, 0.36]), s), 3)  # sqrt(0.65 * 0.36)
    0.484
    """
    sizes = np.bincount(structure.block, minlength=structure.n_constructs)
    multi = sizes[structure.block] > 1
    mean_communality = communality[multi].mean() if multi.any() else np.nan
    return float(np.sqrt(mean_communality * r2[structure.endogenous].mean()))


__all__ = ["block_reliability", "goodness_of_fit", "htmt", "htmt_matrix"]
