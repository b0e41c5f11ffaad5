"""``SurveyDesign``: design-based estimation for complex samples, as in R's ``survey`` package.

The public front; the work is done in the modules that mirror R's: ``stages`` (``svydesign``),
``estimators`` (``svymean``/``svytotal``/``svyby``), ``variance`` (``svyrecvar``), ``calibration``
(``postStratify``/``rake``/``trimWeights``) and ``inference`` (``confint``/``svycontrast``).

A design shares no mutable state: what its caches hold is never written after it is made, a calibrated
child starts with caches of its own, and the scratch buffers that spare an n-sized allocation per
estimate belong to one design and one thread, so one design can serve many threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.errors import DesignError
from cs_toolkit.survey import calibration, estimators, inference, stages
from cs_toolkit.survey.calibration import _PostStratification, _Raking
from cs_toolkit.survey.inference import holm
from cs_toolkit.survey.stages import LONELY_PSU_OPTIONS, as_list
from cs_toolkit.survey.variance import _Influence, variance


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
        self.data = data.copy(deep=False)  # copy-on-write: later edits of the caller's frame don't reach us
        self.weights_column = weights
        self.strata_column = strata
        self.psu_columns = as_list(psu)
        self.fpc_columns = as_list(fpc)
        self.lonely_psu = lonely_psu
        self._sampling, design_weights = stages.sampling(
            self.data, weights, strata, self.psu_columns, self.fpc_columns, lonely_psu
        )
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

    def _with(self, weights: np.ndarray, record: _PostStratification | _Raking | None) -> SurveyDesign:
        """A design with new weights (and one more calibration), sharing no mutable state with this one."""
        new = object.__new__(SurveyDesign)
        new.data = self.data
        new.weights_column = self.weights_column
        new.strata_column = self.strata_column
        new.psu_columns = list(self.psu_columns)
        new.fpc_columns = list(self.fpc_columns)
        new.lonely_psu = self.lonely_psu
        new._sampling = self._sampling  # built once, never written to
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
            cached = self._domain_cache[key] = estimators.domains(self.data, key, self._weights, self._sampling)
        return cached

    def _column(self, var: str) -> tuple[np.ndarray, bool, bool]:
        """A numeric column as read-only float64, whether it has missing values, and whether all are whole."""
        cached = self._column_cache.get(var)
        if cached is None:
            cached = self._column_cache[var] = estimators.column_info(self.data, var)
        return cached

    def _linearize(self, y: np.ndarray, dom: estimators._Domains, kind: str, **options) -> estimators._Estimate:
        return estimators.linearize(
            y, dom, kind, self._weights, self._sampling, bool(self._calibrations), self._scratch(self.n), **options
        )

    def _variance(self, influence: _Influence, contrast: np.ndarray | None = None) -> np.ndarray:
        return variance(influence, self._sampling, self._calibrations, contrast)

    def _table(self, est, labels, variable, level, extra_keys=None, deff=False) -> pd.DataFrame:
        return estimators.table(est, self._variance(est.influence), labels, variable, level, extra_keys, deff)

    def _indicator(self, var: str, values: Sequence[object]) -> tuple[np.ndarray, bool]:
        """1.0 where ``var`` is one of ``values``, 0.0 elsewhere, NaN where it is missing; and whether any is."""
        if not estimators.numbers_sought(self.data[var], values):
            return estimators.label_indicator(self.data[var], values)
        arr, has_missing, integral = self._column(var)
        out = self._scratch(len(arr), slot=1)
        return estimators.number_indicator(arr, has_missing, integral, values, out), has_missing

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
        for v in as_list(var):
            arr, has_missing, _ = self._column(v)
            est = self._linearize(arr, dom, kind, second_moment=deff, has_missing=has_missing)
            frames.append(self._table(est, dom.labels, v, level, deff=deff))
        return estimators.finish(frames, as_list(by), ["variable"])

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
        return estimators.finish(frames, as_list(by), ["level"])

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
        return estimators.finish([self._table(est, dom.labels, var, level, deff=deff)], as_list(by), ["variable"])

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
        score = estimators.nps_score(y, has_missing, out=self._scratch(len(y), slot=1))
        dom = self._domains(by)
        est = self._linearize(score, dom, "mean", second_moment=True, has_missing=has_missing)
        # sum(w s) = 100 (P - D) W and sum(w s^2) = 10000 (P + D) W: the shares need no further pass.
        with np.errstate(invalid="ignore", divide="ignore"):
            net = est.estimate / 100
            both = est.extra["_wyy_sum"] / (10000 * est.weight_sum)
        est.extra["promoters"] = 100 * (both + net) / 2
        est.extra["passives"] = 100 * (1 - both)
        est.extra["detractors"] = 100 * (both - net) / 2
        return estimators.finish([self._table(est, dom.labels, var, level, deff=deff)], as_list(by), ["variable"])

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
        var_diff = self._variance(est.influence, contrast) if len(a) else np.empty(0)
        names = estimators.domain_names(dom.labels)
        return inference.comparison_table(names, est.estimate, a, b, est.estimate @ contrast, var_diff, alpha)

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
        return self._with(*calibration.poststratify(self.data, self._weights, var, population, partial))

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
        return self._with(
            *calibration.rake(self.data, self._weights, margins, max_iter, epsilon, on_nonconvergence)
        )

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
        return self._with(calibration.trim(self._weights, lower, upper, strict), None)


__all__ = ["SurveyDesign", "LONELY_PSU_OPTIONS", "holm"]
