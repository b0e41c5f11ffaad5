"""Customer-satisfaction-index models (ACSI / ECSI / CCSI) by PLS path modelling.

A CSI model links latent constructs (image, expectation, perceived quality, value, satisfaction,
complaints, loyalty), each measured by a block of survey items. PLS path modelling (Wold 1982,
Lohmöller 1989; Tenenhaus et al. 2005) estimates each construct as a weighted sum of its items and the
paths between constructs by regression; the ACSI reports each construct as a 0-100 index.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.errors import ConfigError, DesignError
from cs_toolkit.satisfaction import _pls_core as core
from cs_toolkit.satisfaction._common import (
    QUADRANTS,
    design_units,
    kish_n_eff,
    numeric_block,
    percentile_interval,
    resolve_sampling,
)
from cs_toolkit.satisfaction.pls_quality import block_reliability, goodness_of_fit, htmt_matrix

SCHEMES = ("path", "centroid", "factorial")
MISSING = ("listwise", "mean", "raise")


class PLSPathModel:
    """PLS path model (PLS-PM / PLS-SEM), the estimator behind ACSI, ECSI and CCSI indices.

    **Algorithm** (Lohmöller 1989, as R ``plspm`` and SmartPLS run it; Tenenhaus et al. 2005). Items
    are standardised (``scaled=True``; mean 0, variance 1 with divisor n — the divisor SmartPLS
    results reproduce with; n - 1 for items and n for scores would change the weights by a factor
    sqrt(n / (n - 1))) or only centred (``scaled=False``, as plspm's ``scaled=FALSE``: outer weights
    are then in the items' own units). Starting from unit weights, repeat:

    1. outer estimate of each construct: ``Y_j = X_j w_j``, scaled to unit variance;
    2. inner weights ``e_ij`` between adjacent constructs: the sign of their correlation
       (``"centroid"``), the correlation (``"factorial"``), or — ``"path"`` — the regression
       coefficients of ``Y_j`` on its predecessors and the correlations with its successors;
    3. inner proxy ``Z_j = sum_i e_ij Y_i``;
    4. new weights: Mode A (reflective) ``w_j = cov(X_j, Z_j)``; Mode B (formative)
       ``w_j = (X_j' X_j)^{-1} X_j' Z_j``;

    until ``sum((|w_old| - |w_new|)^2) < tol``, exactly as plspm does (same start, same scaling of the
    weights compared, same rule; the default ``tol=1e-6`` and ``max_iter=100`` are plspm's). Final
    weights give scores of unit variance; a construct whose items mostly correlate negatively with it
    is turned round. Path coefficients are OLS regressions of each endogenous score on its
    predecessors; loadings are correlations of items with scores. The whole iteration works on the
    items' covariance matrix, so a fit costs one pass over the rows.

    Parameters
    ----------
    structural : list of (from, to) pairs, or DataFrame
        The inner model: ``[("Image", "Expectation"), ...]``; also strings ``"Image -> Expectation"`` or
        a two-column edge list (``source, target`` as in ``ECSI_structural_model.csv``).
    measurement : dict of construct -> list of item columns, or DataFrame
        The blocks; also a two-column edge list (construct, item).
    scheme : {"path", "centroid", "factorial"}, default "path"
        Inner weighting scheme.
    scaled : bool, default True
        Standardise the items (True) or only centre them (False).
    modes : dict of construct -> "A" or "B", optional
        Measurement mode per construct; default A (reflective).
    tol, max_iter : float, int
        Stopping rule (see above); a model that has not converged after ``max_iter`` rounds raises.
    missing : {"listwise", "mean", "raise"}, default "listwise"
        Rows with a missing item are left out with a warning (listwise, plspm's practice), items'
        missing values are replaced by the item mean (seminr's default), or missing values raise.

    Attributes
    ----------
    path_coefficients_ : DataFrame
        ``from``, ``to``, ``estimate`` (standardised).
    r2_ : Series
        R² of each endogenous construct.
    outer_weights_, loadings_ : DataFrame
        ``construct``, ``item`` and ``weight`` / ``loading`` (with ``communality``).
    cross_loadings_ : DataFrame
        Correlation of every item with every construct score.
    scores_ : DataFrame
        Construct scores (unit variance), indexed like the rows used.
    effects_ : DataFrame
        ``from``, ``to``, ``direct``, ``indirect``, ``total`` for every pair with an effect.
    reliability_ : DataFrame
        Cronbach's alpha, Dillon-Goldstein rho, composite reliability, rho_A, AVE, eigenvalues.
    htmt_ : DataFrame
        Heterotrait-monotrait ratios.
    gof_ : float
        Goodness of fit (Tenenhaus et al. 2005).
    construct_correlations_ : DataFrame
    n_, n_eff_, n_dropped_, n_iter_ : int / float
    constructs_, items_ : list of str

    References
    ----------
    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M. & Lauro, C. (2005). PLS path modeling.
    *Computational Statistics & Data Analysis* 48(1), 159-205.
    Lohmöller, J.-B. (1989). *Latent Variable Path Modeling with Partial Least Squares*. Physica.
    Fornell, C. et al. (1996). The American Customer Satisfaction Index. *Journal of Marketing* 60(4), 7-18.
    Henseler, J., Ringle, C. M. & Sarstedt, M. (2015). A new criterion for assessing discriminant
    validity. *Journal of the Academy of Marketing Science* 43, 115-135.

    Examples
    --------
    >>> from cs_toolkit.satisfaction.demo import make_csi_survey
    >>> survey = make_csi_survey(n=300, seed=1)
    >>> model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data)
    >>> model.path_coefficients_.round(2).head(3)
          from            to  estimate
    0  quality         value      0.49
    1  quality  satisfaction      0.38
    2    value  satisfaction      0.25
    >>> model.index(scale=(1, 10))["index"].round(1).tolist()
    [70.9, 65.6, 67.9, 66.8]
    """

    def __init__(self, structural, measurement, scheme: str = "path", scaled: bool = True, modes=None, *,
                 tol: float = 1e-6, max_iter: int = 100, missing: str = "listwise") -> None:
        self.structural = structural
        self.measurement = measurement
        self.scheme = scheme
        self.scaled = scaled
        self.modes = modes
        self.tol = tol
        self.max_iter = max_iter
        self.missing = missing

    def __repr__(self) -> str:
        return f"PLSPathModel(scheme={self.scheme!r}, scaled={self.scaled!r}, modes={self.modes!r})"

    # ------------------------------------------------------------------ specification
    def _specification(self) -> tuple[list[str], dict[str, list[str]], list[tuple[str, str]], core.Structure]:
        if self.scheme not in SCHEMES:
            raise ConfigError(f"scheme must be one of {SCHEMES}, not {self.scheme!r}", key="scheme")
        if self.missing not in MISSING:
            raise ConfigError(f"missing must be one of {MISSING}, not {self.missing!r}", key="missing")
        measurement = _parse_measurement(self.measurement)
        paths = _parse_structural(self.structural)
        constructs = list(measurement)
        for a, b in paths:
            for name in (a, b):
                if name not in measurement:
                    close = difflib.get_close_matches(name, constructs, n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    raise ConfigError(f"construct {name!r} of the path {a} -> {b} has no items in the measurement "
                                      f"model.{hint} Constructs with items: {constructs}", construct=name)
        connected = {c for pair in paths for c in pair}
        lonely = [c for c in constructs if c not in connected]
        if lonely:
            raise ConfigError(f"construct(s) {lonely} have no path to any other construct: every construct of a PLS "
                              f"path model needs at least one path", construct=lonely[0])
        _check_acyclic(constructs, paths)
        modes = dict.fromkeys(constructs, "A")
        for name, mode in (self.modes or {}).items():
            if name not in measurement:
                raise ConfigError(f"modes names construct {name!r}, which is not in the model {constructs}",
                                  construct=name)
            if str(mode).upper() not in ("A", "B"):
                raise ConfigError(f"mode of construct {name!r} must be 'A' (reflective) or 'B' (formative), not "
                                  f"{mode!r}", construct=name)
            modes[name] = str(mode).upper()
        index = {c: j for j, c in enumerate(constructs)}
        adjacency = np.zeros((len(constructs), len(constructs)))
        for a, b in paths:
            adjacency[index[a], index[b]] = 1.0
        block = np.array([index[c] for c in constructs for _ in measurement[c]], dtype=np.intp)
        mode_b = np.array([modes[c] == "B" for c in constructs])
        return constructs, measurement, paths, core.Structure(block, adjacency, mode_b, self.scheme)

    # ------------------------------------------------------------------ fitting
    def fit(self, data, sample_weight: str | Sequence[float] | None = None) -> PLSPathModel:
        """Estimate the model on ``data`` (a DataFrame, or a :class:`~cs_toolkit.SurveyDesign`).

        ``sample_weight`` (a column name or one weight per row) gives a weighted PLS: every covariance
        is weighted. A design brings its own weights, and :meth:`bootstrap` then resamples its PSUs
        within strata.

        Returns
        -------
        PLSPathModel
            ``self``, fitted.

        Examples
        --------
        >>> from cs_toolkit.satisfaction.demo import make_csi_survey
        >>> survey = make_csi_survey(n=300, seed=1)
        >>> model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data, sample_weight="weight")
        >>> model.r2_.round(2).to_dict()
        {'value': 0.22, 'satisfaction': 0.29, 'loyalty': 0.3}
        """
        constructs, measurement, paths, structure = self._specification()
        items = [i for c in constructs for i in measurement[c]]
        weight_column = sample_weight if isinstance(sample_weight, str) else None
        sampling = resolve_sampling(data, weight_column)
        frame = sampling.frame
        for c in constructs:
            for item in measurement[c]:
                if item not in frame.columns:
                    close = difflib.get_close_matches(str(item), [str(x) for x in frame.columns], n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    raise ConfigError(f"item {item!r} of construct {c!r} is not a column of the data.{hint}",
                                      column=item, item=item, construct=c)
        x = numeric_block(frame, items)
        w = sampling.weights
        if sample_weight is not None and weight_column is None:
            if sampling.design is not None:
                raise ConfigError("a survey design brings its own weights: leave sample_weight out")
            w = np.asarray(sample_weight, dtype=float)
            if w.shape != (len(frame),) or not np.all(np.isfinite(w) & (w > 0)):
                raise DesignError(f"sample_weight must hold {len(frame)} positive numbers, one per row")
        missing = ~np.isfinite(x)
        rows = np.arange(len(frame))
        if missing.any():
            counts = {items[k]: int(v) for k, v in enumerate(missing.sum(axis=0)) if v}
            if self.missing == "raise":
                raise DesignError(f"missing values in item(s) {counts} (count per item); clean them, or use "
                                  f"missing='listwise' or 'mean'", column=next(iter(counts)), missing=counts)
            if self.missing == "listwise":
                rows = np.flatnonzero(~missing.any(axis=1))
                warnings.warn(f"{len(frame) - len(rows)} of {len(frame)} rows left out for missing values "
                              f"(listwise; missing per item: {counts})", UserWarning, stacklevel=2)
            else:
                x = x.copy()
                means = np.nansum(x * w[:, None], axis=0) / np.sum(np.where(missing, 0, w[:, None]), axis=0)
                x[missing] = np.take(means, np.nonzero(missing)[1])
                warnings.warn(f"missing values replaced by item means: {counts}", UserWarning, stacklevel=2)
        x, w = x[rows], w[rows]
        if len(rows) < 3:
            raise DesignError(f"only {len(rows)} usable row(s): too few to estimate the model")
        mean, raw_cov = core.weighted_cov(x, w)
        flat = np.diag(raw_cov) <= 1e-14 * np.maximum(1.0, mean**2)
        if flat.any():
            k = int(np.argmax(flat))
            raise DesignError(f"item {items[k]!r} of construct {constructs[structure.block[k]]!r} is constant "
                              f"(every answer {mean[k]:g}): it cannot measure anything; drop it",
                              item=items[k], column=items[k], construct=constructs[structure.block[k]])
        cov = core.model_cov(raw_cov, self.scaled)
        try:
            est = core.estimate_weights(cov, len(rows), structure, self.tol, self.max_iter)
        except np.linalg.LinAlgError:
            bad = [c for j, c in enumerate(constructs) if structure.mode_b[j]]
            raise DesignError(f"a Mode B block has perfectly collinear items ({bad}): its regression weights "
                              f"cannot be estimated", construct=bad[0] if bad else None) from None
        if not est.converged:
            worst = [constructs[j] for j in np.argsort(est.change)[::-1][:3] if est.change[j] > 0]
            raise DesignError(f"the PLS algorithm did not converge in {self.max_iter} iterations (scheme "
                              f"{self.scheme!r}); the weights of {worst} were still changing. Check those blocks "
                              f"for items that correlate negatively with the others, try another scheme, or raise "
                              f"max_iter", construct=worst[0] if worst else None, iterations=self.max_iter)
        sol = core.solve(cov, est.weights, structure)
        self._store(constructs, measurement, paths, items, structure, frame.index[rows], x, w, mean, raw_cov, cov,
                    est, sol, sampling, rows)
        return self

    def _store(self, constructs, measurement, paths, items, structure, index, x, w, mean, raw_cov, cov, est, sol,
               sampling, rows) -> None:
        self.constructs_ = constructs
        self.items_ = items
        self._structure = structure
        self._measurement = measurement
        self._x, self._w = x, w
        self._mean, self._raw_cov = mean, raw_cov
        self._solution = sol
        self._units = None
        if sampling.design is not None:
            units, unit_stratum = design_units(sampling)
            used, inverse = np.unique(units[rows], return_inverse=True)
            self._units, self._unit_stratum = inverse, unit_stratum[used]
        self.n_ = len(rows)
        self.n_eff_ = kish_n_eff(w)
        self.n_dropped_ = len(sampling.frame) - len(rows)
        self.n_iter_ = est.iterations
        block = structure.block
        owner = [constructs[b] for b in block]
        src, dst = structure.edges
        self.path_coefficients_ = pd.DataFrame({"from": [constructs[i] for i in src], "to": [constructs[j] for j in dst],
                                                "estimate": sol.paths[src, dst]})
        endo = structure.endogenous
        self.r2_ = pd.Series(sol.r2[endo], index=[constructs[j] for j in endo], name="r2")
        self.outer_weights_ = pd.DataFrame({"construct": owner, "item": items, "weight": sol.weights})
        loading = sol.cross_loadings[np.arange(len(items)), block]
        self.loadings_ = pd.DataFrame({"construct": owner, "item": items, "loading": loading,
                                       "communality": loading**2})
        self.cross_loadings_ = pd.DataFrame(sol.cross_loadings, index=items, columns=constructs)
        xs = (x - mean) / np.sqrt(np.diag(raw_cov)) if self.scaled else x - mean
        scores = xs @ (structure.onehot * sol.weights[:, None])
        self.scores_ = pd.DataFrame(scores, index=index, columns=constructs)
        self.construct_correlations_ = pd.DataFrame(sol.lv_corr, index=constructs, columns=constructs)
        direct = sol.paths
        rows_ = []
        for i, a in enumerate(constructs):
            for j, b in enumerate(constructs):
                if abs(sol.total[i, j]) > 0 or direct[i, j] != 0:
                    rows_.append({"from": a, "to": b, "direct": direct[i, j], "indirect": sol.total[i, j] - direct[i, j],
                                  "total": sol.total[i, j]})
        self.effects_ = pd.DataFrame(rows_, columns=["from", "to", "direct", "indirect", "total"])
        corr = core.model_cov(raw_cov, True)
        std_weights = sol.weights * np.sqrt(np.diag(raw_cov)) if not self.scaled else sol.weights
        self.reliability_ = block_reliability(corr, std_weights, loading, structure, constructs)
        blocks = [np.flatnonzero(block == j) for j in range(len(constructs))]
        self.htmt_ = htmt_matrix(corr, blocks, constructs)
        self.gof_ = goodness_of_fit(loading**2, sol.r2, structure)
        self.bootstrap_ = None
        self._boot = None

    def _check_fitted(self) -> None:
        if not hasattr(self, "path_coefficients_"):
            raise ConfigError("this PLSPathModel is not fitted yet: call .fit(data) first")

    # ------------------------------------------------------------------ inference
    def bootstrap(self, n: int = 500, seed: int = 0, *, n_jobs: int | None = None, level: float = 0.95,
                  progress: bool | None = None) -> pd.DataFrame:
        """Bootstrap standard errors, t values, p values and percentile intervals.

        The model is refitted on ``n`` resamples of the rows (with a design: the Rao-Wu rescaling
        bootstrap of PSUs within strata). Replicates run in worker processes with joblib (``n_jobs``;
        ``-1`` all cores) and show a progress bar on a terminal (:func:`cs_toolkit.progress.track`).
        The default (``None``) uses all cores when the work is large (rows x replicates of at least
        2 million) and this process otherwise: a fit on a few hundred rows takes well under a
        millisecond, less than handing it to another process costs. Results do not depend on
        ``n_jobs``: replicate ``b`` always uses the ``b``-th child of ``seed``.

        ``t = estimate / se`` with ``se`` the standard deviation of the replicates; ``p_value`` is
        two-sided from Student's t with ``n - 1`` degrees of freedom (SmartPLS' convention).
        Replicates that fail (a constant item, no convergence) are left out and counted in ``n_boot``.

        Returns
        -------
        pandas.DataFrame
            ``kind`` (path, total_effect, r2, weight, loading), ``from``, ``to``, ``estimate``,
            ``boot_mean``, ``se``, ``t``, ``p_value``, ``ci_low``, ``ci_high``, ``n_boot``. Also kept
            as ``bootstrap_``; :meth:`index` then adds intervals to the indices.

        Examples
        --------
        >>> from cs_toolkit.satisfaction.demo import make_csi_survey
        >>> survey = make_csi_survey(n=300, seed=1)
        >>> model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data)
        >>> boot = model.bootstrap(200, seed=1, n_jobs=1)
        >>> boot.query("kind == 'path'")[["from", "to", "estimate", "ci_low", "ci_high"]].round(2).head(2)
              from            to  estimate  ci_low  ci_high
        0  quality         value      0.49    0.42     0.56
        1  quality  satisfaction      0.38    0.29     0.47
        """
        self._check_fitted()
        if n < 2:
            raise ConfigError("bootstrap needs at least 2 replicates", key="n")
        from scipy.special import stdtr

        from cs_toolkit.progress import track

        children = np.random.SeedSequence(seed).spawn(n)
        chunk = max(1, min(100, math.ceil(n / 20)))
        chunks = [children[i:i + chunk] for i in range(0, n, chunk)]
        args = (self._x, self._w, self._units, getattr(self, "_unit_stratum", None), self._structure, self.scaled,
                self.tol, self.max_iter)
        if n_jobs is None:
            n_jobs = -1 if self.n_ * n >= 2_000_000 else 1
        if n_jobs == 1 or len(chunks) == 1:
            results = (core.replicates(*args, c) for c in chunks)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(core.replicates)(*args, c) for c in chunks)
        samples = np.vstack(list(track(results, "PLS bootstrap", total=len(chunks), enabled=progress)))
        ok = np.isfinite(samples).all(axis=1)
        if not ok.all():
            warnings.warn(f"{int((~ok).sum())} of {n} bootstrap replicates failed (constant item or no "
                          f"convergence) and were left out", UserWarning, stacklevel=2)
        samples = samples[ok]
        self._boot = samples
        layout = core.statistic_layout(self._structure)
        est = self._estimate_vector()
        boot_mean = samples.mean(axis=0) if len(samples) else np.full(len(est), np.nan)
        se = samples.std(axis=0, ddof=1) if len(samples) > 1 else np.full(len(est), np.nan)
        low, high = percentile_interval(samples, level) if len(samples) else (se, se)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = est / se
        p = 2 * stdtr(max(len(samples) - 1, 1), -np.abs(t))
        labels = self._labels()
        frames = []
        for kind, name in (("path", "path"), ("total_effect", "total"), ("r2", "r2"), ("weight", "weight"),
                           ("loading", "loading")):
            s = layout[name]
            part = labels[name].copy()
            part.insert(0, "kind", kind)
            part["estimate"] = est[s]
            part["boot_mean"] = boot_mean[s]
            part["se"] = se[s]
            part["t"] = t[s]
            part["p_value"] = p[s]
            part["ci_low"] = low[s]
            part["ci_high"] = high[s]
            if kind == "total_effect":
                part = part[part["estimate"] != 0]
            frames.append(part)
        out = pd.concat(frames, ignore_index=True)
        out["n_boot"] = len(samples)
        self.bootstrap_ = out
        return out

    def _estimate_vector(self) -> np.ndarray:
        sol = self._solution
        idx_w = core.index_weights(sol.weights, self._raw_cov, self._structure, self.scaled)
        return core.replicate_statistics(sol, self._structure, idx_w, self._mean)

    def _labels(self) -> dict[str, pd.DataFrame]:
        c = self.constructs_
        src, dst = self._structure.edges
        owner = [c[b] for b in self._structure.block]
        endo = self._structure.endogenous
        return {
            "path": pd.DataFrame({"from": [c[i] for i in src], "to": [c[j] for j in dst]}),
            "total": pd.DataFrame({"from": np.repeat(c, len(c)), "to": np.tile(c, len(c))}),
            "r2": pd.DataFrame({"from": [c[j] for j in endo], "to": [c[j] for j in endo]}),
            "weight": pd.DataFrame({"from": owner, "to": self.items_}),
            "loading": pd.DataFrame({"from": owner, "to": self.items_}),
        }

    # ------------------------------------------------------------------ indices
    def _scale_arrays(self, scale) -> tuple[np.ndarray, np.ndarray]:
        items = self.items_
        owner = [self.constructs_[b] for b in self._structure.block]
        if isinstance(scale, Mapping):
            pairs = []
            for item, c in zip(items, owner, strict=True):
                if item in scale:
                    pairs.append(scale[item])
                elif c in scale:
                    pairs.append(scale[c])
                else:
                    raise ConfigError(f"scale gives no (low, high) for item {item!r} of construct {c!r}",
                                      item=item, construct=c)
        else:
            pairs = [scale] * len(items)
        low = np.array([float(p[0]) for p in pairs])
        high = np.array([float(p[1]) for p in pairs])
        if np.any(high <= low):
            raise ConfigError(f"scale must be (low, high) with low < high, got {scale!r}", key="scale")
        outside = (self._x.min(axis=0) < low) | (self._x.max(axis=0) > high)
        if outside.any():
            k = int(np.argmax(outside))
            raise ConfigError(f"item {items[k]!r} has answers outside its scale {low[k]:g}-{high[k]:g} "
                              f"(seen {self._x[:, k].min():g}-{self._x[:, k].max():g})", item=items[k])
        return low, high

    def index(self, scale=(1, 10), level: float = 0.95) -> pd.DataFrame:
        """Each construct as a 0-100 index, the way the ACSI reports it (Fornell et al. 1996).

        ``index_j = 100 * sum_k u_k (mean(x_k) - low_k) / (high_k - low_k)`` where ``u_k`` are construct
        j's outer weights in the items' own units (``w_k / sd_k`` for standardised items) rescaled to sum
        to one, and means are weighted like the fit. A block with negative weights gets a warning (the
        index is then no longer an average of its items).

        Parameters
        ----------
        scale : (low, high) or dict
            Answer scale of the items: one pair for all, or ``{item or construct: (low, high)}``.
        level : float
            Confidence level of ``ci_low``/``ci_high`` (from :meth:`bootstrap`, when it has run).

        Returns
        -------
        pandas.DataFrame
            ``construct``, ``index`` (and ``se``, ``ci_low``, ``ci_high`` after :meth:`bootstrap`).

        Examples
        --------
        >>> from cs_toolkit.satisfaction.demo import make_csi_survey
        >>> survey = make_csi_survey(n=300, seed=1)
        >>> model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data)
        >>> model.index(scale=(1, 10)).round(1)
              construct  index
        0       quality   70.9
        1         value   65.6
        2  satisfaction   67.9
        3       loyalty   66.8
        """
        self._check_fitted()
        low, high = self._scale_arrays(scale)
        structure = self._structure
        u = core.index_weights(self._solution.weights, self._raw_cov, structure, self.scaled)
        negative = sorted({self.constructs_[b] for b, v in zip(structure.block, u, strict=True) if v < 0})
        if negative:
            warnings.warn(f"construct(s) {negative} have negative outer weights: their index is not an average "
                          f"of their items", UserWarning, stacklevel=2)

        def index_of(weights: np.ndarray, means: np.ndarray) -> np.ndarray:
            return 100 * (weights * (means - low) / (high - low)) @ structure.onehot

        out = pd.DataFrame({"construct": self.constructs_, "index": index_of(u, self._mean)})
        if self._boot is not None and len(self._boot):
            layout = core.statistic_layout(structure)
            reps = index_of(self._boot[:, layout["index_weight"]], self._boot[:, layout["mean"]])
            out["se"] = reps.std(axis=0, ddof=1)
            out["ci_low"], out["ci_high"] = percentile_interval(reps, level)
        return out

    def ipma(self, target: str, scale=(1, 10)) -> pd.DataFrame:
        """Importance-performance map of the constructs for ``target`` (Ringle & Sarstedt 2016).

        Importance is the unstandardised total effect of a construct on the target when every score is
        on 0-100 (index weights applied to items rescaled to 0-100): how many index points the target
        gains when the construct's index rises one point. Performance is the construct's index. The
        quadrant lines are the means over the constructs (the 四分图 of the CSI model).

        Returns
        -------
        pandas.DataFrame
            ``construct``, ``importance``, ``performance``, ``quadrant``, ``quadrant_en``.

        Examples
        --------
        >>> from cs_toolkit.satisfaction.demo import make_csi_survey
        >>> survey = make_csi_survey(n=300, seed=1)
        >>> model = PLSPathModel(survey.structural, survey.measurement).fit(survey.data)
        >>> model.ipma("loyalty")[["construct", "importance", "quadrant"]].round(2)
              construct  importance quadrant
        0       quality        0.31      维持区
        1         value        0.14    次要改进区
        2  satisfaction        0.56    优先改进区
        """
        self._check_fitted()
        if target not in self.constructs_:
            raise ConfigError(f"target {target!r} is not a construct of the model {self.constructs_}", construct=target)
        low, high = self._scale_arrays(scale)
        structure = self._structure
        u = core.index_weights(self._solution.weights, self._raw_cov, structure, self.scaled)
        coef = structure.onehot * (100 * u / (high - low))[:, None]  # 0-100 score = X coef + constant
        lv_cov = coef.T @ self._raw_cov @ coef
        n_lv = structure.n_constructs
        path = np.zeros((n_lv, n_lv))
        for j in structure.endogenous:
            pred = np.flatnonzero(structure.paths[:, j])
            path[pred, j] = np.linalg.solve(lv_cov[np.ix_(pred, pred)], lv_cov[pred, j])
        total = np.linalg.inv(np.eye(n_lv) - path) - np.eye(n_lv)
        t = self.constructs_.index(target)
        drivers = [i for i in range(n_lv) if i != t and total[i, t] != 0]
        if not drivers:
            raise ConfigError(f"no construct has an effect on {target!r}: choose an endogenous construct",
                              construct=target)
        perf = self.index(scale)["index"].to_numpy()
        importance = total[drivers, t]
        performance = perf[drivers]
        zh, en = [], []
        for imp, pf in zip(importance, performance, strict=True):
            a, b = QUADRANTS[(bool(imp >= importance.mean()), bool(pf >= performance.mean()))]
            zh.append(a)
            en.append(b)
        return pd.DataFrame({"construct": [self.constructs_[i] for i in drivers], "importance": importance,
                             "performance": performance, "quadrant": zh, "quadrant_en": en})


# ---------------------------------------------------------------------------------------------- parsing
def _pairs_from_frame(frame: pd.DataFrame, what: str) -> list[tuple[str, str]]:
    cols = list(frame.columns)
    for a, b in (("source", "target"), ("from", "to")):
        if a in cols and b in cols:
            return list(zip(frame[a].astype(str), frame[b].astype(str), strict=True))
    if frame.shape[1] == 2:
        return list(zip(frame.iloc[:, 0].astype(str), frame.iloc[:, 1].astype(str), strict=True))
    raise ConfigError(f"{what} as a DataFrame needs two columns (source, target), got {cols}")


def _parse_structural(structural) -> list[tuple[str, str]]:
    if isinstance(structural, pd.DataFrame):
        raw = _pairs_from_frame(structural, "structural")
    else:
        raw = []
        for entry in structural or []:
            if isinstance(entry, str):
                parts = [p.strip() for p in entry.replace("→", "->").split("->")]
                if len(parts) != 2 or not all(parts):
                    raise ConfigError(f"path {entry!r} must read 'From -> To'", key="structural")
                raw.append((parts[0], parts[1]))
            elif isinstance(entry, Sequence) and len(entry) == 2:
                raw.append((str(entry[0]), str(entry[1])))
            else:
                raise ConfigError(f"each path must be a (from, to) pair, got {entry!r}", key="structural")
    if not raw:
        raise ConfigError("the structural model has no paths", key="structural")
    seen = set()
    for a, b in raw:
        if a == b:
            raise ConfigError(f"path {a} -> {b} points a construct at itself", construct=a)
        if (a, b) in seen:
            raise ConfigError(f"path {a} -> {b} is listed twice", construct=a)
        seen.add((a, b))
    return raw


def _parse_measurement(measurement) -> dict[str, list[str]]:
    if isinstance(measurement, pd.DataFrame):
        out: dict[str, list[str]] = {}
        for c, item in _pairs_from_frame(measurement, "measurement"):
            out.setdefault(c, []).append(item)
    elif isinstance(measurement, Mapping):
        out = {}
        for c, items in measurement.items():
            if isinstance(items, str):
                items = [items]
            out[str(c)] = [str(i) for i in (items or [])]
    else:
        raise ConfigError("measurement must map each construct to its item columns, e.g. "
                          "{'Satisfaction': ['CUSA1', 'CUSA2']}", key="measurement")
    if not out:
        raise ConfigError("the measurement model has no constructs", key="measurement")
    owner: dict[str, str] = {}
    for c, items in out.items():
        if not items:
            raise ConfigError(f"construct {c!r} has no items: give it at least one item column", construct=c)
        for item in items:
            if item in owner:
                where = f"twice in block {c!r}" if owner[item] == c else f"in two blocks, {owner[item]!r} and {c!r}"
                raise ConfigError(f"item {item!r} appears {where}; each item measures one construct",
                                  item=item, construct=[owner[item], c])
            owner[item] = c
    return out


def _check_acyclic(constructs: list[str], paths: list[tuple[str, str]]) -> None:
    succ: dict[str, list[str]] = {c: [] for c in constructs}
    for a, b in paths:
        succ[a].append(b)
    state = dict.fromkeys(constructs, 0)  # 0 new, 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in succ[node]:
            if state[nxt] == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise ConfigError(f"the structural model has a cycle: {' -> '.join(cycle)}; PLS path models must "
                                  f"be recursive (no feedback loops)", construct=nxt, cycle=cycle)
            if state[nxt] == 0:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for c in constructs:
        if state[c] == 0:
            visit(c)


__all__ = ["MISSING", "SCHEMES", "PLSPathModel"]
