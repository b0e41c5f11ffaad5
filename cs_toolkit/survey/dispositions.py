"""Call outcomes (dispositions) of return-visit calls and survey invitations, and the AAPOR outcome rates.

A survey export from a call system lists every attempt: the interviews and the calls that gave none (no
answer, a refusal, a wrong number). The configuration names the column and groups its values into AAPOR's
final dispositions (AAPOR 2023, *Standard Definitions*, 10th ed., tables 1-2)::

    dispositions:
      column: 回访结果
      complete: [完成]            # I: interviews, the rows that are scored
      refused: [拒访, 中途挂断]    # R: refusals and break-offs
      no_contact: [无人接听, 关机] # NC: eligible, never reached
      other: [语言不通]           # O: eligible, reached, no interview for another reason
      unknown: [号码无法确认]      # U: eligibility unknown
      not_eligible: [空号, 非业主] # NE: out of the survey's population

The rates (no partial interviews, and every case of unknown eligibility counted as eligible: the
conservative "1" variants)::

    response rate     RR1   = I / (I + R + NC + O + U)
    cooperation rate  COOP1 = I / (I + R + O)
    refusal rate      REF1  = R / (I + R + NC + O + U)
    contact rate      CON1  = (I + R + O) / (I + R + NC + O + U)

The response rate's interval is Wilson's score interval, as :func:`cs_toolkit.survey.scores.response_rate`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from cs_toolkit.errors import ConfigError

GROUPS = ("complete", "refused", "no_contact", "other", "unknown", "not_eligible")
ELIGIBLE = ("complete", "refused", "no_contact", "other", "unknown")  # RR1's denominator (NE left out)
CONTACTED = ("complete", "refused", "other")
GROUP_COLUMN = "disposition_group"  # added to the attempts: the AAPOR group of each row's value


@dataclass(frozen=True)
class DispositionSpec:
    """The disposition column and the AAPOR group of each of its values."""

    column: str
    groups: dict[str, str]  # value -> group

    @classmethod
    def from_dict(cls, raw) -> DispositionSpec:
        """Validate ``dispositions:`` of a configuration (see the module docstring)."""
        if not isinstance(raw, dict) or not raw.get("column"):
            raise ConfigError("dispositions must name its column and group its values, e.g. dispositions: "
                              "{column: call_result, complete: [完成], refused: [拒访], no_contact: [无人接听]}")
        unknown = set(raw) - {"column", *GROUPS}
        if unknown:
            hints = {k: difflib.get_close_matches(str(k), GROUPS, n=1) for k in unknown}
            text = ", ".join(f"{k!r}" + (f" (did you mean {h[0]!r}?)" if h else "") for k, h in hints.items())
            raise ConfigError(f"dispositions: unknown group(s) {text}; the groups are {list(GROUPS)}")
        groups: dict[str, str] = {}
        for group in GROUPS:
            values = raw.get(group) or []
            for value in values if isinstance(values, list | tuple) else [values]:
                value = _norm(value)
                if value in groups and groups[value] != group:
                    raise ConfigError(f"dispositions: {value!r} is listed under both {groups[value]!r} and {group!r}")
                groups[value] = group
        if "complete" not in groups.values():
            raise ConfigError("dispositions: list the value(s) of a completed interview under 'complete'")
        return cls(str(raw["column"]), groups)

    def group_of(self, values: pd.Series) -> pd.Series:
        """Each value's group; missing where the value is blank or not listed."""
        return values.map(_norm).map(self.groups)


def _norm(value) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", str(value)).split()) if value is not None else ""


def outcome_rates(groups: pd.Series, by: pd.Series | None = None, level: float = 0.95) -> pd.DataFrame:
    """AAPOR outcome rates (RR1, COOP1, REF1, CON1) from each case's final disposition group.

    Parameters
    ----------
    groups : Series
        One value per case (interviews included): "complete", "refused", "no_contact", "other", "unknown"
        or "not_eligible".
    by : Series, optional
        A level per case (project, week); one row per level, then "all".
    level : float
        Confidence level of the response rate's Wilson interval.

    Returns
    -------
    DataFrame
        ``level``, the count of each group, ``cases``, ``response_rate`` (with ``ci_low``, ``ci_high``),
        ``cooperation_rate``, ``refusal_rate``, ``contact_rate``, in percent (NaN where a denominator is 0).

    Notes
    -----
    See the module docstring for the formulas. Reference: The American Association for Public Opinion
    Research (2023), *Standard Definitions: Final Dispositions of Case Codes and Outcome Rates for Surveys*,
    10th edition. R has no canonical equivalent; the counts and rates follow AAPOR's Response Rate
    Calculator with partial interviews at 0.

    Examples
    --------
    >>> g = pd.Series(["complete"] * 6 + ["refused"] * 2 + ["no_contact"] * 3 + ["not_eligible"])
    >>> rates = outcome_rates(g)[["response_rate", "cooperation_rate", "refusal_rate", "contact_rate"]]
    >>> rates.round(1).iloc[0].tolist()  # 6/11, 6/8, 2/11, 8/11
    [54.5, 75.0, 18.2, 72.7]
    """
    from cs_toolkit.survey.scores import response_rate

    bad = sorted(set(groups.dropna()) - set(GROUPS))
    if bad or groups.isna().any():
        raise ValueError(f"disposition groups must be among {list(GROUPS)}; found {bad or ['<missing>']}")
    keys = pd.Series("all", index=groups.index) if by is None else by.astype(str)
    counts = pd.crosstab(keys, groups).reindex(columns=list(GROUPS), fill_value=0)
    if by is not None:
        counts.loc["all"] = counts.sum()
    eligible = counts[list(ELIGIBLE)].sum(axis=1)
    contacted = counts[list(CONTACTED)].sum(axis=1)
    out = counts.copy()
    out["cases"] = counts.sum(axis=1)
    rr = response_rate(counts["complete"], eligible, level=level)
    out["response_rate"] = rr["rate"].to_numpy()
    out["ci_low"] = rr["ci_low"].to_numpy()
    out["ci_high"] = rr["ci_high"].to_numpy()
    out["cooperation_rate"] = 100 * counts["complete"] / contacted.where(contacted > 0)
    out["refusal_rate"] = 100 * counts["refused"] / eligible.where(eligible > 0)
    out["contact_rate"] = 100 * contacted / eligible.where(eligible > 0)
    return out.rename_axis("level").reset_index().rename_axis(None, axis=1)


def rate_change(hits: int, cases: int, hits_before: int, cases_before: int,
                level: float = 0.95) -> tuple[float, bool | None]:
    """The change of a rate in points (``hits / cases`` against ``hits_before / cases_before``) and whether
    a two-sided two-proportion z-test with the pooled proportion finds it significant at ``level`` (R
    ``prop.test(c(hits, hits_before), c(cases, cases_before), correct = FALSE)``); None when a side is empty.

    Examples
    --------
    >>> change, significant = rate_change(70, 100, 55, 100)
    >>> round(change, 6), significant
    (15.0, True)
    >>> rate_change(70, 100, 65, 100)[1]
    False
    """
    from scipy import stats

    if not cases or not cases_before:
        return float("nan"), None
    p1, p2 = hits / cases, hits_before / cases_before
    pooled = (hits + hits_before) / (cases + cases_before)
    se = (pooled * (1 - pooled) * (1 / cases + 1 / cases_before)) ** 0.5
    if se == 0:
        return 100 * (p1 - p2), False
    p_value = 2 * stats.norm.sf(abs(p1 - p2) / se)
    return 100 * (p1 - p2), bool(p_value < 1 - level)
