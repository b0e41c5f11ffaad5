"""Ratios of two totals, as R ``survey``'s ``svyratio`` (combined ratio estimator).

``R = sum(w y) / sum(w x)``; its influence values are ``w (y - R x) / sum(w x)`` (Taylor linearisation),
and a domain's ratio uses the rows of the domain only. Rows where either variable is missing are left
out (``na.rm=TRUE``) and counted.
"""

from __future__ import annotations

import numpy as np

from cs_toolkit.survey.estimators import _Domains, _Estimate
from cs_toolkit.survey.variance import _Influence


def ratio_estimate(
    y: np.ndarray, x: np.ndarray, dom: _Domains, weights: np.ndarray, na_rm: bool, replicates=None
) -> _Estimate:
    """The ratio of ``y`` to ``x`` in each domain, with compact influence values (or, on a replicate
    design, the ratio under every set of replicate weights, as R's ``svyratio.svyrep.design``)."""
    k = dom.k
    inside = dom.codes >= 0
    finite = np.isfinite(y) & np.isfinite(x)
    valid = inside & finite
    n_missing = np.bincount(dom.codes[inside & ~finite], minlength=k).astype(float)
    g, w, yv, xv = dom.codes[valid], weights[valid], y[valid], x[valid]
    num = np.bincount(g, weights=w * yv, minlength=k)
    den = np.bincount(g, weights=w * xv, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = num / den
        contrib = w * (yv - ratio[g] * xv) / den[g]
    infl = np.zeros(len(y))
    infl[valid] = contrib
    column = np.where(valid, dom.codes, -1)
    influence = _Influence(infl, column, k)
    if replicates is not None:
        from cs_toolkit.survey.replicate import _ReplicateEstimates

        with np.errstate(invalid="ignore", divide="ignore"):
            reps = (replicates.sums(np.where(valid, y, 0.0), column, k)
                    / replicates.sums(np.where(valid, x, 0.0), column, k))
        influence = _ReplicateEstimates(reps, ratio)
    est = _Estimate(
        ratio, influence, np.bincount(g, minlength=k).astype(float),
        np.bincount(g, weights=w, minlength=k), np.bincount(g, weights=w * w, minlength=k), None,
        n_missing=n_missing, codes=dom.codes, valid=valid, na_rm=na_rm,
    )
    if not na_rm:
        est.estimate = np.where(n_missing > 0, np.nan, est.estimate)
    return est
