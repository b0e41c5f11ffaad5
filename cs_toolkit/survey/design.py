"""``SurveyDesign``: design-based estimation for complex samples, as in R's ``survey`` package.

The public front; the work is done in the modules that mirror R's: ``stages`` (``svydesign``,
``degf``), ``estimators`` (``svymean``/``svytotal``/``svyby``), ``variance`` (``svyrecvar``),
``calibration`` (``postStratify``/``rake``/``calibrate``/``trimWeights``), ``inference``
(``confint``/``svyciprop``/``svyttest``/``svycontrast``), ``quantiles`` (``svyquantile``), ``ratio``
(``svyratio``), ``regression`` (``svyglm``), ``chisq`` (``svychisq``), ``replicate``
(``as.svrepdesign``/``svrepdesign``/``svrVar``) and ``crosstab`` (column letters from ``svycontrast``).

A design shares no mutable state: what its caches hold is never written after it is made, a calibrated
child starts with caches of its own, and the scratch buffers that spare an n-sized allocation per
estimate belong to one design and one thread, so one design can serve many threads at once.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.errors import DesignError
from cs_toolkit.survey import (
    calibration,
    chisq,
    estimators,
    inference,
    quantiles,
    ratio,
    regression,
    replicate,
    stages,
)
from cs_toolkit.survey import crosstab as crosstab_module
from cs_toolkit.survey._grouping import factorize, group_sum
from cs_toolkit.survey.calibration import _PostStratification, _Raking
from cs_toolkit.survey.inference import holm
from cs_toolkit.survey.stages import LONELY_PSU_OPTIONS, as_list
from cs_toolkit.survey.variance import _Influence, covariance, stack, variance


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
        (conservative); ``"average"`` gives it the average variance of the other strata. In a domain, as
        R's ``svyby``, ``"average"`` counts the strata present in the domain; at the second stage a
        sampling unit with a single sub-unit makes the variance NA under ``"average"``, as in R.
    adjust_domain_lonely : bool, default False
        R's ``options(survey.adjust.domain.lonely=TRUE)``: a stratum with several units in the design
        but only one in a domain is treated as lonely (``lonely_psu`` applies to it) in that domain.

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
        adjust_domain_lonely: bool = False,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        self.data = data.copy(deep=False)  # copy-on-write: later edits of the caller's frame don't reach us
        self.weights_column = weights
        self.strata_column = strata
        self.psu_columns = as_list(psu)
        self.fpc_columns = as_list(fpc)
        self.lonely_psu = lonely_psu
        self.adjust_domain_lonely = bool(adjust_domain_lonely)
        self._sampling, design_weights = stages.sampling(
            self.data, weights, strata, self.psu_columns, self.fpc_columns, lonely_psu, adjust_domain_lonely
        )
        self._replicates: replicate._Replicates | None = None  # set on replicate-weight designs
        self._set_state(design_weights, (), {})

    def _set_state(
        self, weights: np.ndarray, calibrations: tuple[_PostStratification | _Raking, ...], columns: dict
    ) -> None:
        """The weights and the state that goes with them; nothing here is shared with another design."""
        self._weights = weights
        self._calibrations = calibrations
        self._domain_cache: dict[tuple[str, ...], estimators._Domains] = {}  # sums depend on the weights
        self._column_cache: dict[str, tuple[np.ndarray, bool, bool]] = columns  # read-only arrays
        self._local = threading.local()  # scratch buffers, per design and per thread

    def _with(
        self, weights: np.ndarray, record: _PostStratification | _Raking | None, replicates=None
    ) -> SurveyDesign:
        """A design with new weights (and one more calibration), sharing no mutable state with this one.

        On a replicate design the replicate weights are recalibrated instead (``replicates``), and the
        calibration needs no record: the replicates carry it into the variance."""
        new = object.__new__(SurveyDesign)
        new.data = self.data
        new.weights_column = self.weights_column
        new.strata_column = self.strata_column
        new.psu_columns = list(self.psu_columns)
        new.fpc_columns = list(self.fpc_columns)
        new.lonely_psu = self.lonely_psu
        new.adjust_domain_lonely = self.adjust_domain_lonely
        new._sampling = self._sampling  # built once, never written to
        new._replicates = self._replicates if replicates is None else replicates
        if hasattr(self, "replicate_columns"):
            new.replicate_columns = self.replicate_columns
        if new._replicates is not None:
            calibrations = ()  # replicate weights carry any calibration into the variance
        else:
            calibrations = self._calibrations if record is None else (*self._calibrations, record)
        # the numeric columns don't depend on the weights: the child starts from a copy of the cache
        new._set_state(weights, calibrations, dict(self._column_cache))
        return new

    def __getstate__(self) -> dict:  # pickle and copy: without the thread-local buffers and the caches
        return {k: v for k, v in self.__dict__.items() if k not in ("_local", "_domain_cache", "_column_cache")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._set_state(state["_weights"], state["_calibrations"], {})

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
            parts.append(f"strata={self.strata_column!r} ({self._sampling.stages[0].n_strata})")
        if self.psu_columns:
            units = ", ".join(str(s.n_units) for s in self._sampling.stages)
            parts.append(f"psu={self.psu_columns} ({units} units)")
        if self.fpc_columns:
            parts.append(f"fpc={self.fpc_columns}")
        if self._calibrations:
            parts.append(f"calibrated x{len(self._calibrations)}")
        if self._replicates is not None:
            parts.append(f"{self._replicates.n_replicates} {self._replicates.type} replicates")
        return f"SurveyDesign({', '.join(parts)})"

    # ------------------------------------------------------------------ shared steps
    def _scratch(self, size: int, slot: int = 0) -> np.ndarray:
        """A reusable float buffer of this design and thread (slot 0: products w y; slot 1: derived variables)."""
        buffers = getattr(self._local, "buffers", None)
        if buffers is None:
            buffers = self._local.buffers = {}
        buffer = buffers.get(slot)
        if buffer is None or len(buffer) < size:
            buffer = buffers[slot] = np.empty(max(size, self.n))
        return buffer[:size]

    def _domains(self, by: str | Sequence[str] | None) -> estimators._Domains:
        key = tuple(as_list(by))
        cached = self._domain_cache.get(key)
        if cached is None:
            cached = self._domain_cache[key] = estimators.domains(self.data, key, self._weights, self._sampling,
                                                                  bool(self._calibrations) or self._replicates is not None)
        return cached

    def _column(self, var: str) -> tuple[np.ndarray, bool, bool]:
        """A numeric column as read-only float64, whether it has missing values, and whether all are whole."""
        cached = self._column_cache.get(var)
        if cached is None:
            cached = self._column_cache[var] = estimators.column_info(self.data, var)
        return cached

    def _linearize(self, y: np.ndarray, dom: estimators._Domains, kind: str, **options) -> estimators._Estimate:
        return estimators.linearize(
            y, dom, kind, self._weights, self._sampling, bool(self._calibrations), self._scratch(self.n),
            replicates=self._replicates, **options
        )

    def _deff_replace(self, deff: bool | str) -> bool:
        """Whether ``deff`` compares with sampling with replacement (R ``deff="replace"``). ``deff=True`` is
        R's ``deff=TRUE`` (without replacement from N = sum(w)), except on a design with neither weights nor
        fpc (nor calibration): its weights of 1 say nothing of the population size (R would give Inf)."""
        if deff not in (False, True, "replace"):
            raise DesignError(f"deff must be False, True or 'replace', not {deff!r}")
        if deff == "replace":
            return True
        no_population = (self.weights_column is None and not self.fpc_columns and not self._calibrations
                         and self._replicates is None)
        return bool(deff) and no_population

    def _variance(self, influence: _Influence, contrast: np.ndarray | None = None, support=None) -> np.ndarray:
        if self._replicates is not None:
            return self._replicates.variance(influence, contrast)
        return variance(influence, self._sampling, self._calibrations, contrast, support)

    def _df(self, column: np.ndarray, k: int, pairs: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Degrees of freedom of each domain (``column`` 0..k-1, -1: none) or union of two domains.

        Taylor designs: units minus strata with rows there (R ``degf`` of the subset); replicate designs:
        the rank of the subset's replicate weights minus one (R recomputes ``degf`` for a subset)."""
        if self._replicates is None:
            return stages.degf(self._sampling, column, k, self._weights, pairs)
        reps = self._replicates
        if pairs is None:
            return np.array([reps.degf(column == d) for d in range(k)])
        return np.array([reps.degf((column == a) | (column == b)) for a, b in zip(*pairs, strict=True)])

    def _table(self, est, labels, variable, level, extra_keys=None, deff=False) -> pd.DataFrame:
        return estimators.table(est, self._variance(est.influence, support=est.support), labels, variable, level,
                                extra_keys, deff)

    def _indicator(self, var: str, values: Sequence[object]) -> tuple[np.ndarray, bool]:
        """1.0 where ``var`` is one of ``values``, 0.0 elsewhere, NaN where it is missing; and whether any is."""
        if not estimators.numbers_sought(self.data[var], values):
            return estimators.label_indicator(self.data[var], values)
        arr, has_missing, integral = self._column(var)
        out = self._scratch(len(arr), slot=1)
        return estimators.number_indicator(arr, has_missing, integral, values, out), has_missing

    # ------------------------------------------------------------------ public estimators
    def mean(
        self,
        var: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: bool | str = False,
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Weighted mean(s) with design-based standard errors (R ``svymean`` / ``svyby(..., svymean)``).

        Missing values are left out (``na.rm=TRUE``) and counted in ``n_missing``; domain estimates
        (``by``) use the whole design, so their standard errors are correct domain SEs. The interval is
        ``estimate -/+ z se`` with normal quantiles, as R's ``confint(svymean(...))``.

        Parameters
        ----------
        var : str or list of str
            Numeric column(s).
        by : str or list of str, optional
            Column(s) defining domains (segments, periods); one row per domain and variable.
        level : float, default 0.95
            Confidence level of ``ci_low``/``ci_high``.
        deff : bool or "replace", default False
            Also return the design effect: the variance over the variance of simple random sampling
            without replacement from a population of size sum(w), as R's ``deff=TRUE``; ``"replace"``
            compares with sampling with replacement (R's ``deff="replace"``). A design with neither
            weights nor fpc has no population size, so there ``True`` means ``"replace"``.
        na_rm : bool, default True
            Leave out rows with a missing value (R ``na.rm=TRUE``). With ``False`` a domain with a missing
            value gets NA, as R's default ``na.rm=FALSE``.

        Returns
        -------
        pandas.DataFrame
            Columns: the ``by`` columns, ``variable``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
            ``n`` (respondents used), ``n_eff`` (Kish effective sample size), ``n_missing`` (rows of the
            domain left out for a missing value) and, if asked, ``deff``.

        Notes
        -----
        R: ``svymean(~var, design, na.rm=TRUE)``, ``svyby(~var, ~by, design, svymean, na.rm=TRUE)``.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [4, 5, 3, 4], "site": ["A", "A", "B", "B"]})
        >>> cs.SurveyDesign(df).mean("sat", by="site")[["site", "estimate"]]
          site  estimate
        A    A       4.5
        B    B       3.5
        """
        return self._estimate_many(var, by, level, kind="mean", deff=deff, na_rm=na_rm)

    def total(
        self,
        var: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: bool | str = False,
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Estimated population total(s) with design-based standard errors (R ``svytotal``).

        Same parameters and result columns as :meth:`mean`. A categorical (text) column gives one
        total per level, with a ``level`` column (R ``svytotal`` on a factor: counts of the population).

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"complaints": [1, 0, 2], "w": [10.0, 10.0, 20.0]})
        >>> cs.SurveyDesign(df, weights="w").total("complaints")["estimate"].item()
        50.0
        """
        return self._estimate_many(var, by, level, kind="total", deff=deff, na_rm=na_rm)

    def _estimate_many(self, var, by, level, kind, deff, na_rm) -> pd.DataFrame:
        inference.check_level(level)
        dom = self._domains(by)
        frames = []
        categorical = False
        for v in as_list(var):
            if kind == "total" and estimators.is_categorical(self.data, v):
                categorical = True
                for lv, y in estimators.level_indicators(self.data[v]):
                    est = self._linearize(y, dom, kind, binary=True, na_rm=na_rm, deff_replace=self._deff_replace(deff))
                    frames.append(self._table(est, dom.labels, v, level, {"level": lv}, deff=deff))
                continue
            arr, has_missing, _ = self._column(v)
            est = self._linearize(arr, dom, kind, second_moment=bool(deff), has_missing=has_missing, na_rm=na_rm,
                                  deff_replace=self._deff_replace(deff))
            frames.append(self._table(est, dom.labels, v, level, deff=deff))
        return estimators.finish(frames, as_list(by), ["variable", "level"] if categorical else ["variable"])

    def _influences(self, var, by, kind):
        """Influence values of each (variable or level) in each domain, on the rows where every variable
        is answered (R's ``na.rm=TRUE`` on a multi-variable formula); and the labels of the columns."""
        dom = self._domains(by)
        columns, names = [], []
        complete = np.ones(self.n, dtype=bool)
        items = []
        for v in as_list(var):
            if estimators.is_categorical(self.data, v):
                complete &= self.data[v].notna().to_numpy()
                items += [(f"{v}={lv}", y) for lv, y in estimators.level_indicators(self.data[v])]
            else:
                arr, _, _ = self._column(v)
                complete &= np.isfinite(arr)
                items.append((v, arr))
        for name, y in items:
            y = np.where(complete, y, np.nan)
            est = self._linearize(y, dom, kind, has_missing=True)
            columns.append(est.influence)
            names.append((name, est.estimate))
        return dom, columns, names

    def vcov(
        self, var: str | Sequence[str], by: str | Sequence[str] | None = None, statistic: str = "mean"
    ) -> pd.DataFrame:
        """Covariance matrix of means (or totals) of several variables and/or domains.

        Rows and columns are labelled ``variable`` (no ``by``), the domain (one variable) or
        ``domain:variable``, in R's ``svyby`` order (the domains of the first variable, then of the
        next); a categorical variable has one column per level (``var=level``). The diagonal is the squared SE of :meth:`mean`; off-diagonal
        terms are what a contrast between the estimates needs. Rows with a missing value in any of the
        variables are left out.

        Parameters
        ----------
        var : str or list of str
        by : str or list of str, optional
        statistic : {"mean", "total"}

        Notes
        -----
        R: ``vcov(svymean(~a + b, design, na.rm=TRUE))``;
        ``vcov(svyby(~a, ~by, design, svymean, covmat=TRUE, na.rm=TRUE))``.

        References
        ----------
        Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys.
        International Statistical Review 51, 279-292.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"]})
        >>> cs.SurveyDesign(df).vcov("y", by="g").round(4)
                a       b
        a  0.1667  0.0000
        b  0.0000  0.1667
        """
        if statistic not in ("mean", "total"):
            raise DesignError(f"statistic must be 'mean' or 'total', not {statistic!r}")
        dom, influences, names = self._influences(var, by, statistic)
        stacked = stack(influences, self._sampling, bool(self._calibrations))
        cov = self._covariance(stacked)
        domains = estimators.domain_names(dom.labels)
        if dom.labels is None:
            labels = [name for name, _ in names]
        elif len(names) == 1:
            labels = domains
        else:
            labels = [f"{d}:{name}" for name, _ in names for d in domains]
        return pd.DataFrame(cov, index=labels, columns=labels)

    def _covariance(self, influence: _Influence, support: np.ndarray | None = None) -> np.ndarray:
        if self._replicates is not None:
            return self._replicates.covariance(influence)
        return covariance(influence, self._sampling, self._calibrations, support)

    # ------------------------------------------------------------------ tables and models
    def chisq(self, row: str, col: str, statistic: str = "F") -> chisq.ChisqResult:
        """Test of independence of two categorical columns with the Rao-Scott correction (R ``svychisq``).

        Pearson's X^2 of the weighted table (rescaled to the number of rows) divided by the mean
        generalised design effect ``tr(Delta)`` is referred to F with ``d0 = tr(Delta)^2 / tr(Delta^2)``
        and ``d0 * degf`` degrees of freedom (R's default ``statistic="F"``); ``statistic="Chisq"`` is
        the first-order correction on ``(r - 1)(c - 1)`` degrees of freedom. Rows missing either column
        are left out (R's ``na.rm=TRUE``).

        Returns
        -------
        ChisqResult
            ``statistic``, ``p_value``, ``df1``, ``df2`` (as attributes or keys), ``chisq`` (Pearson's
            X^2), ``design_effect``, ``method`` and ``table`` (the weighted counts).

        Notes
        -----
        R: ``svychisq(~row + col, design)``.

        References
        ----------
        Rao, J. N. K. and Scott, A. J. (1984). On chi-squared tests for multiway contingency tables with
        cell proportions estimated from survey data. Annals of Statistics 12, 46-60.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": ["hi", "lo"] * 20 + ["hi"] * 10, "site": ["A"] * 25 + ["B"] * 25})
        >>> res = cs.SurveyDesign(df).chisq("sat", "site")
        >>> round(res["statistic"], 3), res.df1
        (1.307, 1.0)
        """
        if statistic not in ("F", "Chisq"):
            raise DesignError(f"statistic must be 'F' or 'Chisq', not {statistic!r}")
        for c in (row, col):
            if c not in self.data.columns:
                raise DesignError(f"column {c!r} not in the data; available: {list(self.data.columns)}")
        (row_codes, row_levels), (col_codes, col_levels) = (factorize(self.data, [c]) for c in (row, col))
        nr, nc = len(row_levels), len(col_levels)
        if nr < 2 or nc < 2:
            raise DesignError(f"chisq() needs at least two levels in each column; {row!r} has {nr}, {col!r} has {nc}")
        complete = (row_codes >= 0) & (col_codes >= 0)
        cell = np.where(complete, row_codes + nr * col_codes, -1)
        dom = self._domains(None)
        influences, shares = [], []
        for j in range(nr * nc):
            y = np.where(complete, (cell == j).astype(float), np.nan)
            est = self._linearize(y, dom, "mean", binary=True, has_missing=True)
            influences.append(est.influence)
            shares.append(est.estimate[0])
        cov = self._covariance(stack(influences, self._sampling, bool(self._calibrations)), support=complete)
        if self._replicates is not None:
            nu = float(self._replicates.degf())
        else:
            nu = float(stages.degf(self._sampling, np.zeros(self.n, dtype=np.int64), 1, np.ones(self.n))[0])
        counts = np.bincount(cell[complete], weights=self._weights[complete], minlength=nr * nc).reshape(nc, nr).T
        table = pd.DataFrame(counts, index=pd.Index(row_levels.iloc[:, 0], name=row),
                             columns=pd.Index(col_levels.iloc[:, 0], name=col))
        return chisq.rao_scott(np.array(shares), cov, self.n, nr, nc, nu, statistic, table)

    def glm(
        self,
        y: str,
        x: str | Sequence[str],
        family: str = "gaussian",
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Design-based regression (R ``svyglm``): coefficients, sandwich SEs, t-tests on the design's df.

        Coefficients solve the weighted estimating equations ``sum w x (y - mu) = 0`` (weighted least
        squares for ``"gaussian"``, weighted logistic regression for ``"binomial"``, which gives R's
        quasibinomial coefficients and SEs). The covariance is ``A^-1 V A^-1`` with ``V`` the design-based
        variance of the scores (Taylor linearisation, Binder 1983). Tests and intervals use Student's t
        on ``degf - p + 1`` degrees of freedom, as R's ``summary.svyglm`` and ``confint.svyglm``.

        Parameters
        ----------
        y : str
            Outcome; for ``"binomial"`` 0/1 (or shares in [0, 1]), boolean, or a two-level column (the
            second level sorted is the event).
        x : str or list of str
            Predictors. Numeric columns enter as they are; text and categorical columns get treatment
            coding against their first level (R's default contrasts), terms named like R's
            (``stypeH``). A constant or collinear predictor is refused with a message.
        family : {"gaussian", "binomial"}
        level : float, default 0.95

        Returns
        -------
        pandas.DataFrame
            ``term``, ``estimate``, ``se``, ``t``, ``p_value``, ``ci_low``, ``ci_high``, ``df``, ``n``
            (rows used) and ``n_missing`` (rows left out for a missing value in ``y`` or ``x``).

        Notes
        -----
        R: ``svyglm(y ~ x1 + x2, design, family=gaussian())`` or ``family=quasibinomial()``;
        ``coef``, ``SE``, ``summary(...)$coefficients`` and ``confint(...)``.

        References
        ----------
        Binder, D. A. (1983), International Statistical Review 51, 279-292; Lumley, T. and Scott, A.
        (2017). Fitting regression models to survey data. Statistical Science 32, 265-278.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [3, 4, 5, 4, 2, 5], "wait": [10, 5, 2, 4, 12, 1]})
        >>> cs.SurveyDesign(df).glm("sat", ["wait"])["estimate"].round(3).to_list()
        [5.308, -0.26]
        """
        inference.check_level(level)
        model = regression.design_matrix(self.data, y, as_list(x), family)
        fit = regression.fit(model, self._weights[model.rows], family)
        if self._replicates is not None:  # R svyglm.svyrep.design: refit with each replicate's weights
            reps = regression.replicate_coefficients(model, fit, self._replicates, family)
            cov = self._replicates.covariance(replicate._ReplicateEstimates(reps, fit.coef))
            return regression.table(model, fit, cov, float(self._replicates.degf()), level)
        p = len(model.terms)
        if not self._calibrations and self._sampling.grouped_totals:  # unit totals straight from bincounts
            finest = self._sampling.finest
            totals = fit.unit_totals(model, finest.unit[model.rows], finest.n_units)
            last = len(self._sampling.stages) - 1
            per_stage = [totals if s == last else group_sum(self._sampling.finest_to_stage[s], totals, stage.n_units)
                         for s, stage in enumerate(self._sampling.stages)]
            influence = _Influence(None, None, p, unit_totals=per_stage)
        else:
            infl = np.zeros((self.n, p))
            infl[model.rows] = fit.influence(model)
            influence = _Influence(infl, None, p)
        cov = self._covariance(influence, support=model.rows)
        df = float(stages.degf(self._sampling, np.where(model.rows, 0, -1), 1, self._weights)[0])
        return regression.table(model, fit, cov, df, level)

    # ------------------------------------------------------------------ ratios
    def ratio(
        self,
        numerator: str | Sequence[str],
        denominator: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Ratio of two population totals, ``sum(w y) / sum(w x)``, with its design-based SE (R ``svyratio``).

        For complaints per 100 households, cost per case, or a mean over a subpopulation whose size is
        itself estimated. The SE is the Taylor-linearised one (influence ``w (y - R x) / sum(w x)``); the
        interval is Wald with normal quantiles, as R's ``confint`` of a ``svyratio``.

        Parameters
        ----------
        numerator, denominator : str or list of str
            Numeric columns; with lists, every numerator over every denominator.
        by : str or list of str, optional
            Domains.
        level : float, default 0.95
        na_rm : bool, default True
            Leave out rows where either column is missing (counted in ``n_missing``); with ``False`` a
            domain with a missing value gets NA.

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns, ``variable`` (numerator), ``denominator``, ``estimate``, ``se``,
            ``ci_low``, ``ci_high``, ``n``, ``n_eff``, ``n_missing``.

        Notes
        -----
        R: ``svyratio(~y, ~x, design, na.rm=TRUE)``; ``svyby(~y, ~by, design, svyratio, denominator=~x)``.

        References
        ----------
        Cochran, W. G. (1977). Sampling Techniques, 3rd ed., ch. 6 (ratio estimators). Wiley.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"complaints": [2, 0, 1, 3], "households": [40, 60, 50, 50]})
        >>> cs.SurveyDesign(df).ratio("complaints", "households")["estimate"].item()
        0.03
        """
        inference.check_level(level)
        dom = self._domains(by)
        frames = []
        for num in as_list(numerator):
            y, _, _ = self._column(num)
            for den in as_list(denominator):
                x, _, _ = self._column(den)
                est = ratio.ratio_estimate(y, x, dom, self._weights, na_rm, self._replicates)
                frames.append(self._table(est, dom.labels, num, level, {"denominator": den}))
        return estimators.finish(frames, as_list(by), ["variable", "denominator"])

    # ------------------------------------------------------------------ degrees of freedom and bounded CIs
    def degf(self) -> int:
        """Degrees of freedom of the design: first-stage sampling units minus strata (R ``degf``).

        Intervals of proportions, quantiles and regression coefficients, and ``compare(test="t")``,
        use Student t quantiles on these degrees of freedom (for a domain: the units and strata that
        have rows in the domain, as R does for ``svyby``).

        References
        ----------
        Korn, E. L. and Graubard, B. I. (1999). Analysis of Health Surveys, section 5.2. Wiley.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"y": range(8), "s": list("aaaabbbb"), "psu": [1, 1, 2, 3, 4, 5, 5, 6]})
        >>> cs.SurveyDesign(df, strata="s", psu="psu").degf()
        4
        """
        if self._replicates is not None:
            return int(self._replicates.degf())
        column = np.zeros(self.n, dtype=np.int64)
        return int(stages.degf(self._sampling, column, 1, self._weights)[0])

    def _domain_df(self, dom: estimators._Domains) -> np.ndarray:
        """Degrees of freedom of each domain's design (R ``degf(subset(design, domain))``)."""
        if dom.k == 1 and dom.complete and self._replicates is not None:
            return np.array([float(self._replicates.degf())])
        return self._df(dom.codes, dom.k)

    def _bounded_table(self, est, dom, variable, level, ci, extra_keys=None, deff=False, bounds=(0.0, 1.0)):
        """The table of a share (or NPS) with R ``svyciprop``'s interval on the domain's degrees of freedom."""
        df = self._domain_df(dom)
        # Korn-Graubard's n - 1: the rows of the domain's design (all rows when calibrated, as R's subset)
        n_rows = np.full(dom.k, float(self.n)) if self._calibrations else dom.n
        logit_se = None
        if self._replicates is not None and ci == "logit":  # R refits the logit model with each replicate
            width = bounds[1] - bounds[0]
            with np.errstate(invalid="ignore", divide="ignore"):
                u = (est.influence.reps - bounds[0]) / width
                u0 = (est.influence.theta - bounds[0]) / width
                logits = replicate._ReplicateEstimates(np.log(u / (1 - u)), np.log(u0 / (1 - u0)))
                logit_se = np.sqrt(self._replicates.variance(logits))

        def interval(estimate, se):
            return inference.bounded_interval(estimate, se, df, est.n, n_rows, bounds[0], bounds[1], ci, level,
                                              logit_se)

        return estimators.table(est, self._variance(est.influence, support=est.support), dom.labels, variable,
                                level, extra_keys, deff, interval, df)

    def proportion(
        self,
        var: str,
        by: str | Sequence[str] | None = None,
        ci: str = "logit",
        level: float = 0.95,
        deff: bool | str = False,
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Share of each category of ``var``, with SE and an interval inside [0, 1] (R ``svyciprop``).

        Parameters
        ----------
        var : str
            Categorical (or numeric) column; one row per category (and domain), named in ``level``.
        by : str or list of str, optional
            Domains.
        ci : {"logit", "beta", "wilson", "wald"}, default "logit"
            Interval: ``"logit"`` is R ``svyciprop(method="logit")``, ``"beta"`` is Korn-Graubard
            (``method="beta"``), ``"wald"`` is ``method="mean"``, all on the design's degrees of freedom
            (per domain, as ``svyby(..., svyciprop)``); ``"wilson"`` is Wilson's score interval with the
            effective sample size (not in R). Only ``"wald"`` can leave [0, 1]. Where a share is 0% or
            100%, the interval is Korn-Graubard's on the respondents (R's is degenerate there).
        level : float, default 0.95
        deff : bool or "replace", default False
        na_rm : bool, default True
            Leave out rows where ``var`` is missing; with ``False`` a domain with a missing value gets NA.

        Returns
        -------
        pandas.DataFrame
            ``level``, ``estimate`` (a share in [0, 1]), ``se``, ``ci_low``, ``ci_high``, ``n``, ``n_eff``,
            ``n_missing``, ``df`` and, if asked, ``deff``.

        Notes
        -----
        The share is the weighted mean of the indicator ``var == level``, its SE that of R ``svymean`` on
        the factor. The logit interval is ``expit(logit(p) -/+ t_df se / (p (1 - p)))``.
        R: ``svyciprop(~I(var == level), design, method="logit")``.

        References
        ----------
        Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for proportions with small expected
        number of positive counts estimated from survey data. Survey Methodology 24, 193-201; Dean, N.
        and Pagano, M. (2015). Evaluating confidence interval methods for binomial proportions in
        clustered surveys. Journal of Survey Statistics and Methodology 3, 484-503.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"channel": ["hotline", "web", "web", "visit"]})
        >>> cs.SurveyDesign(df).proportion("channel")["estimate"].round(2).to_list()
        [0.25, 0.25, 0.5]
        """
        inference.check_level(level)
        if var not in self.data.columns:
            raise DesignError(f"column {var!r} not in the data; available: {list(self.data.columns)}")
        if ci not in inference.PROPORTION_METHODS:
            raise DesignError(f"ci must be one of {inference.PROPORTION_METHODS}, not {ci!r}")
        col = self.data[var]
        levels = pd.Index(col.dropna().unique()).sort_values()
        dom = self._domains(by)
        missing = col.isna().to_numpy()
        frames = []
        for lv in levels:
            y = (col == lv).to_numpy(dtype=float, na_value=0.0)
            y[missing] = np.nan
            est = self._linearize(y, dom, "mean", binary=True, na_rm=na_rm, deff_replace=self._deff_replace(deff))
            frames.append(self._bounded_table(est, dom, var, level, ci, {"level": lv}, deff))
        return estimators.finish(frames, as_list(by), ["level"])

    def share(
        self,
        var: str,
        values: Sequence[object],
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: bool | str = False,
        ci: str = "logit",
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Share of answers of ``var`` that fall in ``values`` (top-box, bottom-box, "yes"...), with SEs.

        The interval is chosen by ``ci`` exactly as in :meth:`proportion` (default ``"logit"``, R
        ``svyciprop``), so it stays inside [0, 1]; the result also has ``n_missing`` and ``df``.
        R: ``svyciprop(~I(var %in% values), design, method="logit")``.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [5, 4, 2, 5]})
        >>> cs.SurveyDesign(df).share("sat", [4, 5])["estimate"].item()
        0.75
        """
        if var not in self.data.columns:
            raise DesignError(f"column {var!r} not in the data; available: {list(self.data.columns)}")
        inference.check_level(level)
        if ci not in inference.PROPORTION_METHODS:
            raise DesignError(f"ci must be one of {inference.PROPORTION_METHODS}, not {ci!r}")
        y, has_missing = self._indicator(var, values)
        dom = self._domains(by)
        est = self._linearize(y, dom, "mean", binary=True, has_missing=has_missing, na_rm=na_rm,
                              deff_replace=self._deff_replace(deff))
        return estimators.finish([self._bounded_table(est, dom, var, level, ci, deff=deff)], as_list(by),
                                 ["variable"])

    def nps(
        self,
        var: str,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        deff: bool | str = False,
        ci: str = "logit",
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Net Promoter Score of a 0-10 item: % promoters (9-10) minus % detractors (0-6), with SE.

        The score is the weighted mean of +100 (promoter), 0 (passive) and -100 (detractor), so its
        standard error is the design-based SE of that mean. Also returns the weighted shares
        ``promoters``, ``passives`` and ``detractors`` (in %).

        The interval stays inside [-100, 100]: it is the ``ci`` interval of :meth:`proportion` (default
        ``"logit"``) for the mean of ``(score + 100) / 200``, mapped back; R:
        ``200 * svyciprop(~I((score + 100)/200), design, method="logit") - 100`` on the design's
        degrees of freedom.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"recommend": [10, 9, 8, 3, 10]})
        >>> cs.SurveyDesign(df).nps("recommend")["estimate"].item()
        40.0
        """
        inference.check_level(level)
        if ci not in inference.PROPORTION_METHODS:
            raise DesignError(f"ci must be one of {inference.PROPORTION_METHODS}, not {ci!r}")
        y, has_missing, _ = self._column(var)
        low, high = np.nanmin(y) if len(y) else 0, np.nanmax(y) if len(y) else 0
        if low < 0 or high > 10:
            raise DesignError(
                f"NPS item {var!r} has values outside 0-10 (min {low}, max {high}); "
                f"validate the export with cs_toolkit.read_survey first."
            )
        score = estimators.nps_score(y, has_missing, out=self._scratch(len(y), slot=1))
        dom = self._domains(by)
        est = self._linearize(score, dom, "mean", second_moment=True, has_missing=has_missing, na_rm=na_rm,
                              deff_replace=self._deff_replace(deff))
        # sum(w s) = 100 (P - D) W and sum(w s^2) = 10000 (P + D) W: the shares need no further pass.
        with np.errstate(invalid="ignore", divide="ignore"):
            net = est.estimate / 100
            both = est.extra["_wyy_sum"] / (10000 * est.weight_sum)
        est.extra["promoters"] = 100 * (both + net) / 2
        est.extra["passives"] = 100 * (1 - both)
        est.extra["detractors"] = 100 * (both - net) / 2
        table = self._bounded_table(est, dom, var, level, ci, deff=deff, bounds=(-100.0, 100.0))
        return estimators.finish([table], as_list(by), ["variable"])

    # ------------------------------------------------------------------ quantiles
    def quantile(
        self,
        var: str | Sequence[str],
        q: float | Sequence[float] = 0.5,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        na_rm: bool = True,
    ) -> pd.DataFrame:
        """Quantiles (median by default) with SE and Woodruff confidence interval (R ``svyquantile``).

        The estimate is R's default ``qrule="math"``: the smallest value ``x`` whose weighted share of
        values at or below it reaches ``q``. The interval is R's default ``interval.type="mean"``
        (Woodruff): the Wald interval ``p -/+ t_df se(p)`` of the share ``p`` of values at or below the
        estimate, mapped back through the same rule (NaN where it leaves [0, 1], as in R), on the
        degrees of freedom of the domain's answered rows; ``se = (ci_high - ci_low) / (2 t_df)``.

        Parameters
        ----------
        var : str or list of str
            Numeric column(s) (a text column is refused with a message).
        q : float or list of float, default 0.5
            Probabilities in [0, 1].
        by : str or list of str, optional
            Domains.
        level : float, default 0.95
        na_rm : bool, default True
            Leave out missing values; with ``False`` a domain with a missing value gets NA.

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns, ``variable``, ``quantile`` (the probability), ``estimate``, ``se``,
            ``ci_low``, ``ci_high``, ``n``, ``n_missing``, ``df``.

        Notes
        -----
        R (survey >= 4.1): ``svyquantile(~var, design, quantiles=q, na.rm=TRUE)`` and
        ``svyby(~var, ~by, design, svyquantile, quantiles=q, na.rm=TRUE)``.

        References
        ----------
        Woodruff, R. S. (1952). Confidence intervals for medians and other position measures. JASA 47,
        635-646; Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages. The
        American Statistician 50, 361-365.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"days": [1, 2, 2, 3, 5, 8, 13, 21], "w": [1, 1, 2, 2, 1, 1, 1, 1]})
        >>> cs.SurveyDesign(df, weights="w").quantile("days")["estimate"].item()
        3.0
        """
        inference.check_level(level)
        probs = quantiles.check_probabilities(q)
        dom = self._domains(by)
        frames = []
        for v in as_list(var):
            quantiles.check_numeric(self.data, v)
            x, has_missing, _ = self._column(v)
            valid = np.isfinite(x) if has_missing else None
            codes = dom.codes if valid is None else np.where(valid, dom.codes, -1)
            n_missing = (np.zeros(dom.k) if valid is None
                         else np.bincount(dom.codes[~valid & (dom.codes >= 0)], minlength=dom.k).astype(float))
            sorted_domains = quantiles.SortedDomains.build(x, self._weights, codes, dom.k)
            df = self._df(codes, dom.k)
            crit = inference.critical_value(level, df)
            for p in probs:
                estimate = sorted_domains.quantile(np.full(dom.k, p))
                at_or_below = np.where(x <= estimate[np.maximum(dom.codes, 0)], 1.0, 0.0)
                if valid is not None:
                    at_or_below[~valid] = np.nan
                share = self._linearize(at_or_below, dom, "mean", binary=True, has_missing=valid is not None)
                se_share = np.sqrt(self._variance(share.influence, support=share.support))
                low, high = quantiles.woodruff_limits(sorted_domains, share.estimate, se_share, crit)
                lost = (n_missing > 0) if not na_rm else np.zeros(dom.k, dtype=bool)
                frames.append(quantiles.table(dom.labels, v, p, estimate, low, high, crit, share.n, n_missing, df,
                                              lost))
        return estimators.finish(frames, as_list(by), ["variable", "quantile"])

    # ------------------------------------------------------------------ comparisons
    def compare(
        self,
        var: str,
        by: str | Sequence[str],
        statistic: str = "mean",
        pairs: str = "all",
        values: Sequence[object] | None = None,
        alpha: float = 0.05,
        test: str = "t",
    ) -> pd.DataFrame:
        """Differences between domains with a design-based t-test (or z-test), as R ``svyttest``.

        The SE of a difference uses the covariance of the two domain estimates (they may share PSUs), so
        the test is valid for clustered and weighted samples. With ``test="t"`` (default) the statistic
        is referred to Student's t on the degrees of freedom R's ``svyttest(y ~ group, design)`` uses:
        the sampling units minus strata with an answer in the two domains, minus one. ``test="z"`` uses
        normal quantiles. p-values are adjusted for the number of comparisons with Holm's method;
        ``significant`` is True only when the adjusted p-value < alpha.

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
        test : {"t", "z"}, default "t"

        Returns
        -------
        pandas.DataFrame
            ``group_a``, ``group_b``, ``estimate_a``, ``estimate_b``, ``difference`` (b - a), ``se``,
            ``t`` (or ``z``), ``df`` (infinite for z), ``p_value``, ``p_adjusted``, ``significant``,
            ``n_missing`` (rows of the two domains left out for a missing value), ``test``.

        Notes
        -----
        R: ``svyttest(var ~ by, subset(design, by %in% c(a, b)))`` for each pair (the difference, its SE,
        t, df and p-value); the same difference and SE as ``svycontrast(svyby(~var, ~by, design,
        svymean, covmat=TRUE), ...)``.

        References
        ----------
        Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, section 3.4 (svyttest). Wiley.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [5, 4, 5, 5, 2, 3, 2, 1], "month": ["m1"] * 4 + ["m2"] * 4})
        >>> res = cs.SurveyDesign(df).compare("sat", by="month", pairs="consecutive")
        >>> bool(res["significant"].item()), float(res["df"].item())
        (True, 6.0)
        """
        if test not in inference.TESTS:
            raise DesignError(f"test must be 't' or 'z', not {test!r}")
        dom = self._domains(by)
        binary = False
        if statistic == "mean":
            y = estimators.numeric(self.data, var)
        elif statistic == "nps":
            raw = estimators.numeric(self.data, var)
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
        a, b = inference.domain_pairs(dom.k, pairs)
        contrast = inference.contrast_matrix(dom.k, a, b)
        var_diff = self._variance(est.influence, contrast, support=est.support) if len(a) else np.empty(0)
        names = estimators.domain_names(dom.labels)
        df = self._pair_df(est, dom.k, (a, b)) if test == "t" and len(a) else np.inf
        n_missing = (est.n_missing[a] + est.n_missing[b]).astype(np.int64)
        return inference.comparison_table(names, est.estimate, a, b, est.estimate @ contrast, var_diff, alpha,
                                          test, df, n_missing)

    def _pair_df(self, est: estimators._Estimate, k: int, pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """``svyttest``'s degrees of freedom for each pair of domains: degf of their answered rows, minus 1."""
        return self._df(est.support(), k, pairs) - 1

    # ------------------------------------------------------------------ crosstabs
    def crosstab(
        self,
        row: str,
        col: str,
        alpha: float = 0.05,
        adjust: str = "bonferroni",
        weak_alpha: float | None = 0.10,
        nets: dict[str, list[object]] | None = None,
    ) -> crosstab_module.Crosstab:
        """Crosstab of ``row`` by ``col`` with column-comparison letters from design-based tests.

        Column percentages are domain shares of the whole design; for every row (and net, and the mean
        row of a numeric ``row``) each pair of columns is tested by ``t = difference / SE`` with the SE
        from the domain covariance, on the design's degrees of freedom, Bonferroni-adjusted over the
        pairs of the row. A cell gets the upper-case letter of each column it exceeds at ``alpha`` (95%)
        and the lower-case letter of each it exceeds at ``weak_alpha`` (90%) only.

        Notes
        -----
        R: ``b <- svyby(~I(row == level), ~col, design, svymean, covmat=TRUE)``; for columns i, j
        ``svycontrast(b, c(...))`` gives the difference and its SE; ``p = 2 * pt(-abs(t), degf(design))``
        times the number of pairs (Bonferroni).

        References
        ----------
        Lumley, T. (2010). Complex Surveys, ch. 2-3 (domain estimation and contrasts). Wiley.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sat": [5, 4] * 30 + [2, 3] * 30, "site": ["A"] * 60 + ["B"] * 60})
        >>> ct = cs.SurveyDesign(df).crosstab("sat", "site")
        >>> ct.letters.loc[5, "A"], ct.net_letters.loc["Top-2 box", "A"], ct.mean_letters.loc["Mean", "A"]
        ('B', 'B', 'B')
        """
        for c in (row, col):
            if c not in self.data.columns:
                raise DesignError(f"column {c!r} not in the data; available: {list(self.data.columns)}")
        if adjust not in crosstab_module.ADJUSTMENTS:
            raise DesignError(f"adjust must be one of {crosstab_module.ADJUSTMENTS}, not {adjust!r}")
        dom = self._domains(col)
        columns = dom.labels[col].tolist()
        letters = crosstab_module.column_letters(columns)
        letter_list = [letters[c] for c in columns]
        values = self.data[row]
        answered = values.notna().to_numpy()
        levels = list(pd.Index(values.dropna().unique()).sort_values())
        nets = crosstab_module.default_nets(levels) if nets is None else dict(nets)
        crosstab_module.check_nets(nets, levels, row)
        a, b = inference.domain_pairs(dom.k, "all")
        contrast = inference.contrast_matrix(dom.k, a, b)
        factor = len(a) if adjust == "bonferroni" else 1
        df = float(self.degf())
        in_column = dom.codes >= 0
        overall = self._domains(None)

        def shares(groups: list[list[object]]):
            est_rows, diff_rows, se_rows, totals, counts = [], [], [], [], []
            for members in groups:
                y = np.where(answered, values.isin(members).to_numpy(dtype=float), np.nan)
                est = self._linearize(y, dom, "mean", binary=True, has_missing=True)
                est_rows.append(est.estimate)
                if len(a):
                    diff_rows.append(est.estimate @ contrast)
                    se_rows.append(np.sqrt(self._variance(est.influence, contrast, support=est.support)))
                total = self._linearize(np.where(in_column, y, np.nan), overall, "mean", binary=True, has_missing=True)
                totals.append(total.estimate[0])
                counts.append(np.bincount(dom.codes[answered & in_column], minlength=dom.k,
                                          weights=(self._weights * np.nan_to_num(y))[answered & in_column]))
            return est, np.array(est_rows), np.array(diff_rows), np.array(se_rows), np.array(totals), np.array(counts)

        def marks(estimates, diff, se, names, kind):
            if not len(a):
                empty = pd.DataFrame("", index=names, columns=columns)
                return empty, empty.copy(), pd.DataFrame()
            tests, p_adj = crosstab_module.pair_tests(names, [kind] * len(names), a, b, columns, diff, se, df, factor)
            upper = crosstab_module.pair_letters(estimates, a, b, p_adj, alpha, letter_list)
            lower = (crosstab_module.pair_letters(estimates, a, b, p_adj, weak_alpha, letter_list, lower=True,
                                                  stronger=p_adj < alpha)
                     if weak_alpha is not None else np.full(upper.shape, "", dtype=object))
            return (pd.DataFrame(upper, index=names, columns=columns),
                    pd.DataFrame(lower, index=names, columns=columns), tests)

        last, est, diff, se, totals, counts = shares([[lv] for lv in levels])
        pct = pd.DataFrame(100 * est, index=levels, columns=columns)
        upper, lower, tests = marks(est, diff, se, levels, "level")
        out = crosstab_module.Crosstab(
            counts=pd.DataFrame(counts, index=levels, columns=columns),
            column_pct=pct,
            letters=upper,
            base=pd.Series(last.n.astype(np.int64), index=columns),
            effective_base=pd.Series(last.weight_sum**2 / last.weight_sq_sum, index=columns),
            column_letters=letters,
            test=(f"design-based t-test of each pair of columns (domain estimates and their covariance, "
                  f"{df:g} degrees of freedom; R svyby + svycontrast), "
                  f"{'Bonferroni-adjusted over ' + str(len(a)) + ' pairs per row' if factor > 1 else 'unadjusted'}; "
                  f"an upper-case letter marks a value significantly larger than that column's at "
                  f"{100 * (1 - alpha):g}%, a lower-case letter at {100 * (1 - (weak_alpha or alpha)):g}%"),
            weak_letters=lower,
            tests=tests,
            total_pct=pd.Series(100 * totals, index=levels),
            total_base=int((answered & in_column).sum()),
        )
        if nets:
            _, est, diff, se, totals, _ = shares(list(nets.values()))
            names = list(nets)
            out.nets = pd.DataFrame(100 * est, index=names, columns=columns).assign(Total=100 * totals)
            net_upper, net_lower, net_tests = marks(est, diff, se, names, "net")
            out.net_letters = net_upper + net_lower
            out.tests = pd.concat([out.tests, net_tests], ignore_index=True)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            y = values.to_numpy(dtype=float)
            est = self._linearize(y, dom, "mean", has_missing=True)
            names = ["Mean"]
            d = (est.estimate @ contrast)[None, :] if len(a) else np.empty((1, 0))
            v = (np.sqrt(self._variance(est.influence, contrast, support=est.support))[None, :] if len(a)
                 else np.empty((1, 0)))
            total = self._linearize(np.where(in_column, y, np.nan), overall, "mean", has_missing=True)
            out.means = pd.DataFrame([est.estimate], index=names, columns=columns).assign(Total=total.estimate[0])
            mean_upper, mean_lower, mean_tests = marks(est.estimate[None, :], d, v, names, "mean")
            out.mean_letters = mean_upper + mean_lower
            out.tests = pd.concat([out.tests, mean_tests], ignore_index=True)
        return out

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
        weights, record = calibration.poststratify(self.data, self._weights, var, population, partial)
        if self._replicates is None:
            return self._with(weights, record)
        # R postStratify.svyrep.design: every replicate is post-stratified to the same counts
        matrix = self._replicates.matrix()
        cell_totals = np.column_stack([np.bincount(record.codes, weights=matrix[:, r], minlength=record.n_groups)
                                       for r in range(matrix.shape[1])])
        target = np.bincount(record.codes, weights=weights, minlength=record.n_groups)
        matrix = matrix * (target[:, None] / cell_totals)[record.codes]
        return self._with(weights, None, self._replicates.with_matrix(matrix))

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
        weights, record = calibration.rake(self.data, self._weights, margins, max_iter, epsilon, on_nonconvergence)
        if self._replicates is None:
            return self._with(weights, record)
        matrix = self._replicates.matrix()
        matrix = np.column_stack([
            calibration.rake(self.data, matrix[:, r], margins, max_iter, epsilon, on_nonconvergence)[0]
            for r in range(matrix.shape[1])
        ])
        return self._with(weights, None, self._replicates.with_matrix(matrix))

    def calibrate(
        self,
        totals: Mapping[str, Mapping[object, float] | float],
        calfun: str = "linear",
        bounds: tuple[float, float] | None = None,
        maxit: int = 50,
        epsilon: float = 1e-7,
    ) -> SurveyDesign:
        """Calibrate the weights to population totals (R ``calibrate``): GREG, raking or logit distance.

        The new weights ``w g`` reproduce the totals exactly; ``g = 1 + x' lambda`` for ``"linear"``
        (the generalised regression estimator, Deville and Saerndal 1992), ``exp(x' lambda)`` for
        ``"raking"``, and a logistic function kept inside ``bounds`` for ``"logit"``. Standard errors
        of the calibrated design use the residuals of the influence values from the calibration model,
        as R's (so they account for the calibration).

        Parameters
        ----------
        totals : dict
            ``{categorical column: {level: population count}, numeric column: population total}``; every
            level of a categorical column needs a count and the counts of each column must add up to
            the same population size. ``"(Intercept)": N`` gives the population size when there is no
            categorical margin (without it, numeric totals alone are met with no intercept).
        calfun : {"linear", "raking", "logit"}
        bounds : (lower, upper), optional
            Bounds on ``g`` (the ratio of new to old weight), honoured by every ``calfun`` (needed by
            ``"logit"``); R's ``bounds=c(lower, upper)``.
        maxit, epsilon : R's ``maxit`` and ``epsilon`` (relative misfit of every total).

        Returns
        -------
        SurveyDesign

        Raises
        ------
        CalibrationError
            Unknown columns or levels (``unknown_levels``), margins of different sizes, or totals that
            cannot be met (within the bounds) in ``maxit`` iterations.

        Notes
        -----
        R: ``calibrate(design, ~stype + sch.wide + enroll, c(`(Intercept)`=N, stypeH=..., stypeM=...,
        sch.wideYes=..., enroll=...), calfun="linear", bounds=c(lower, upper))``.

        References
        ----------
        Deville, J.-C. and Saerndal, C.-E. (1992). Calibration estimators in survey sampling. JASA 87,
        376-382.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": [20.0, 40.0, 30.0, 50.0]})
        >>> cal = cs.SurveyDesign(df).calibrate({"sex": {"f": 60, "m": 40}, "age": 3500.0})
        >>> cal.weights.groupby(df["sex"]).sum().round(6).to_dict(), round(float((cal.weights * df["age"]).sum()), 6)
        ({'f': 60.0, 'm': 40.0}, 3500.0)
        """
        stages_ = self._sampling.stages
        prepared = self._replicates is None and not any(stage.rows_are_units for stage in stages_)
        units = tuple((stage.unit, stage.n_units) for stage in stages_) if prepared else ()
        weights, record = calibration.calibrate(self.data, self._weights, totals, calfun, bounds, maxit, epsilon, units)
        if self._replicates is None:
            return self._with(weights, record)
        # R calibrate.svyrep.design: every replicate is calibrated to the same totals
        matrix = calibration.calibrate_columns(self.data, self._replicates.matrix(), totals, calfun, bounds, maxit,
                                               epsilon)
        return self._with(weights, None, self._replicates.with_matrix(matrix))

    def trim_weights(self, lower: float | None = None, upper: float | None = None, strict: bool = False) -> SurveyDesign:
        """Trim weights to ``[lower, upper]`` and share the trimmed amount equally among the others (R ``trimWeights``).

        Exactly R's rule: weights outside the bounds are set to the bound, and the total trimmed (or
        added) is divided **equally** among the weights that were inside, so the total weight is kept.
        Some of those may then leave the bounds; with ``strict=True`` the step is repeated until none
        does (R's ``strict=TRUE``). Bounds that the total weight cannot meet (``n * upper`` below the
        total, or ``n * lower`` above it) are refused. On a replicate design every set of replicate
        weights is trimmed by the same rule. Standard errors treat the trimmed weights as the design's
        weights, as R does.

        References
        ----------
        R survey's ``trimWeights`` (Lumley, survey package documentation).

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 50.0]})
        >>> cs.SurveyDesign(df, weights="w").trim_weights(upper=20).weights.to_list()
        [11.0, 12.0, 13.0, 20.0]
        """
        weights = calibration.trim(self._weights, lower, upper, strict)
        if self._replicates is None:
            return self._with(weights, None)
        matrix = calibration.trim(self._replicates.matrix(), lower, upper, strict)
        return self._with(weights, None, self._replicates.with_matrix(matrix))

    # ------------------------------------------------------------------ replicate weights
    def replicate(
        self, type: str = "JK1", replicates: int = 50, seed: int | None = None, mse: bool = False
    ) -> SurveyDesign:
        """The design with replicate weights built from its strata and first-stage units (R ``as.svrepdesign``).

        Every estimator then re-estimates with each set of replicate weights, and variances are
        ``scale * sum_r rscales_r (theta_r - theta_bar)^2`` (R ``svrVar``); degrees of freedom are the
        rank of the replicate weights minus one (R ``degf``).

        Parameters
        ----------
        type : {"JK1", "JKn", "BRR", "bootstrap"}
            ``"JK1"``: delete-one-unit jackknife of an unstratified design (``scale = f (n - 1)/n``);
            ``"JKn"``: the stratified jackknife (``rscales = f_h (n_h - 1)/n_h``; lonely strata as
            ``lonely_psu``, as R's ``jknweights``); ``"BRR"``: balanced half-samples of designs with two
            units per stratum, from a Hadamard matrix (R's matrices are its own: half-samples, and so
            the variances of non-linear statistics, can differ from R's; totals equal); ``"bootstrap"``:
            ``replicates`` resamples of the units within strata (R's ``bootweights`` rule, seeded with
            ``seed``; the fpc is dropped, with a warning).
        replicates : int, default 50
            Number of bootstrap replicates.
        seed : int, optional
            Seed of the bootstrap (``numpy.random.default_rng``).
        mse : bool, default False
            Centre the replicates at the full-sample estimate instead of their mean (R ``mse=TRUE``).

        Notes
        -----
        R: ``as.svrepdesign(design, type="JK1")``; ``"JKn"``; ``"BRR"``; ``type="bootstrap",
        replicates=50``. A calibrated design's weights are used as they are, as R does (the calibration
        is not redone in each replicate; calibrate the replicate design for that).

        References
        ----------
        Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed. (jackknife, BRR, bootstrap).
        Springer; Rao, J. N. K. and Wu, C. F. J. (1988). Resampling inference with complex survey data.
        JASA 83, 231-241.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"y": [3.0, 5.0, 4.0, 6.0, 8.0, 7.0], "psu": [1, 1, 2, 2, 3, 3]})
        >>> jk = cs.SurveyDesign(df, psu="psu").replicate("JK1")
        >>> jk.mean("y")[["estimate", "se"]].round(4).to_numpy().tolist()
        [[5.5, 1.0408]]
        """
        if type not in replicate.TYPES:
            raise DesignError(f"type must be one of {replicate.TYPES}, not {type!r}")
        if self._replicates is not None:
            raise DesignError("this design already has replicate weights")
        if self._calibrations:
            warnings.warn("replicate weights are built on the calibrated weights without redoing the calibration in "
                          "each replicate (as R's as.svrepdesign); calibrate the replicate design to carry the "
                          "calibration into the variance", stacklevel=2)
        stratified = self.strata_column is not None
        if type in ("JK1", "JKn"):
            reps = replicate.jackknife(self._sampling, self._weights, type, stratified, mse)
        elif type == "BRR":
            if not stratified:
                raise DesignError("BRR needs a stratified design (two units per stratum); use 'JK1' or 'bootstrap'")
            reps = replicate.brr(self._sampling, self._weights, mse, self._sampling.stages[0].labels)
        else:
            reps = replicate.bootstrap(self._sampling, self._weights, replicates, seed, mse)
        return self._with(self._weights, None, reps)

    @classmethod
    def from_replicate_weights(
        cls,
        data: pd.DataFrame,
        weights: str | None,
        repweights: str | Sequence[str],
        type: str,
        scale: float | None = None,
        rscales: float | Sequence[float] | None = None,
        mse: bool = False,
        combined_weights: bool = True,
        rho: float | None = None,
        degf: int | None = None,
    ) -> SurveyDesign:
        """A design from a file that carries replicate weights (R ``svrepdesign``).

        Parameters
        ----------
        data : pandas.DataFrame
        weights : str or None
            Full-sample weight column (None: all 1, as R with a warning).
        repweights : str or list of str
            The replicate weight columns, or a regular expression matching their names (R's ``grep``),
            e.g. ``"^repw[0-9]+$"``.
        type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "other"}
            As R: BRR ``scale = 1/R``; Fay ``1/(R (1 - rho)^2)``; bootstrap ``1/(R - 1)``; JK1
            ``(R - 1)/R`` unless given; JKn needs ``rscales``; other ``1``.
        scale, rscales : float, optional
            R's ``scale`` and ``rscales`` (one per replicate; a wrong count is refused).
        mse : bool, default False
        combined_weights : bool, default True
            The replicate columns already include the sampling weights (R's default); with False they are
            multiplied by ``weights``.
        rho : float, optional
            Fay's coefficient (``type="Fay"``).
        degf : int, optional
            Degrees of freedom, if the file documents them; by default the rank of the replicate weights
            minus one, as R.

        References
        ----------
        Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed. Springer.

        Examples
        --------
        >>> import pandas as pd, cs_toolkit as cs
        >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0] * 4, "r1": [0, 2, 1, 1.0],
        ...                    "r2": [2, 0, 1, 1.0], "r3": [1, 1, 0, 2.0], "r4": [1, 1, 2, 0.0]})
        >>> d = cs.SurveyDesign.from_replicate_weights(df, "w", ["r1", "r2", "r3", "r4"], "BRR")
        >>> d.mean("y")[["estimate", "se"]].to_numpy().tolist()
        [[2.5, 0.25]]
        """
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        design = cls(data, weights=weights, lonely_psu="remove")
        reps, columns = replicate.from_columns(design.data, design._weights, repweights, type, scale, rscales, mse,
                                               combined_weights, rho, degf)
        design._replicates = reps
        design.replicate_columns = columns
        return design

__all__ = ["SurveyDesign", "LONELY_PSU_OPTIONS", "holm"]
