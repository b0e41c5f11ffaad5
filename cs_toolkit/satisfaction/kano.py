"""KANO classification of service features (Kano et al. 1984).

Each feature is asked twice: functional ("if the service offers X, how do you feel?") and
dysfunctional ("if it does not offer X?"), each answered like (喜欢), must-be (理所当然), neutral
(无所谓), live with (能忍受) or dislike (不喜欢). The standard evaluation table turns the pair into a
category:

=================  ====  =======  =======  =========  =======
functional \\ dys   like  must-be  neutral  live with  dislike
=================  ====  =======  =======  =========  =======
like                Q     A        A        A          O
must-be             R     I        I        I          M
neutral             R     I        I        I          M
live with           R     I        I        I          M
dislike             R     R        R        R          Q
=================  ====  =======  =======  =========  =======

A attractive (魅力型), O one-dimensional (期望型/一元型), M must-be (必备型), I indifferent (无差异型),
R reverse (反向型), Q questionable (可疑结果): a contradictory answer pair, counted and reported — a
feature with many Q answers was misunderstood.

Better-Worse coefficients (Berger et al. 1993): ``Better = (A + O) / (A + O + M + I)`` (how much
satisfaction rises when the feature is offered) and ``Worse = -(O + M) / (A + O + M + I)`` (how much it
falls when it is missing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.errors import ConfigError, DesignError
from cs_toolkit.satisfaction._common import check_columns, resolve_sampling

ANSWERS = ("like", "must-be", "neutral", "live with", "dislike")
CATEGORIES = ("A", "O", "M", "I", "R", "Q")
CATEGORY_NAMES = {
    "A": ("魅力型", "attractive"),
    "O": ("期望型", "one-dimensional"),
    "M": ("必备型", "must-be"),
    "I": ("无差异型", "indifferent"),
    "R": ("反向型", "reverse"),
    "Q": ("可疑结果", "questionable"),
}
#: Rows: functional answer; columns: dysfunctional answer (order of ANSWERS).
EVALUATION_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
#: Answers understood without an ``answers`` mapping: codes 1-5 and the usual Chinese and English labels.
DEFAULT_ANSWERS: dict[object, str] = {
    1: "like", 2: "must-be", 3: "neutral", 4: "live with", 5: "dislike",
    "喜欢": "like", "我喜欢": "like", "非常喜欢": "like",
    "理所当然": "must-be", "理应如此": "must-be", "必须如此": "must-be", "应该的": "must-be",
    "无所谓": "neutral", "中立": "neutral",
    "能忍受": "live with", "可以忍受": "live with", "勉强接受": "live with",
    "不喜欢": "dislike", "我不喜欢": "dislike", "很不喜欢": "dislike",
    "like": "like", "must-be": "must-be", "must be": "must-be", "expect": "must-be", "expect it": "must-be",
    "neutral": "neutral", "live with": "live with", "live-with": "live with", "tolerate": "live with",
    "can live with it": "live with", "dislike": "dislike",
}
#: Tie-break between equally frequent categories (Berger et al. 1993: M > O > A > I).
_PRIORITY = ("M", "O", "A", "I", "R", "Q")


def _features(features) -> dict[str, tuple[str, str]]:
    if isinstance(features, Mapping):
        out = {}
        for name, pair in features.items():
            if isinstance(pair, str) or len(pair) != 2:
                raise ConfigError(f"feature {name!r} needs a (functional, dysfunctional) column pair, got {pair!r}",
                                  key="features", item=name)
            out[str(name)] = (str(pair[0]), str(pair[1]))
    else:
        raise ConfigError("features must map each feature to its (functional, dysfunctional) columns, e.g. "
                          "{'app_progress': ('app_progress_f', 'app_progress_d')}", key="features")
    if not out:
        raise ConfigError("no KANO features given", key="features")
    return out


def _answer_codes(series: pd.Series, mapping: Mapping[object, str], column: str) -> np.ndarray:
    """Answers as codes 0-4 (order of ANSWERS); -1 where missing. Unknown answers raise."""
    lookup = {}
    for raw, canonical in mapping.items():
        if canonical not in ANSWERS:
            raise ConfigError(f"answers maps {raw!r} to {canonical!r}; use one of {ANSWERS}", key="answers")
        key = raw.strip().lower() if isinstance(raw, str) else raw
        lookup[key] = ANSWERS.index(canonical)
    values = series.astype(object)
    codes = np.full(len(values), -1, dtype=np.int64)
    bad = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            continue
        key = v.strip().lower() if isinstance(v, str) else v
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        if isinstance(key, str) and key.isdigit() and int(key) in lookup:
            key = int(key)
        code = lookup.get(key)
        if code is None:
            bad.append(v)
        else:
            codes[i] = code
    if bad:
        shown = list(dict.fromkeys(map(str, bad)))[:8]
        accepted = list(dict.fromkeys(str(k) for k in mapping))[:12]
        raise DesignError(f"column {column!r}: {len(bad)} answer(s) outside the KANO answer scale, e.g. {shown}. "
                          f"Accepted answers: {accepted} (give answers={{raw: 'like' | 'must-be' | 'neutral' | "
                          f"'live with' | 'dislike'}} for another coding)", column=column, values=shown)
    return codes


def kano_classify(data: pd.DataFrame, features: Mapping[str, Sequence[str]], answers: Mapping | None = None) -> pd.DataFrame:
    """Each respondent's KANO category (A, O, M, I, R, Q) per feature, from the evaluation table.

    Parameters
    ----------
    data : pandas.DataFrame
    features : dict
        ``{feature: (functional column, dysfunctional column)}``.
    answers : dict, optional
        How the raw answers map to ``"like"``, ``"must-be"``, ``"neutral"``, ``"live with"``,
        ``"dislike"``. Default: codes 1-5 in that order and the usual Chinese and English labels
        (:data:`DEFAULT_ANSWERS`). Any other answer raises :class:`~cs_toolkit.errors.DesignError`
        naming the column and the values.

    Returns
    -------
    pandas.DataFrame
        One column per feature, same index as ``data``; missing where either answer is missing.

    References
    ----------
    Kano, N., Seraku, N., Takahashi, F. & Tsuji, S. (1984). Attractive quality and must-be quality.
    *Journal of the Japanese Society for Quality Control* 14(2), 39-48.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"f": [1, 2, 1, 1], "d": [5, 5, 3, 1]})
    >>> kano_classify(df, {"wifi": ("f", "d")})["wifi"].tolist()
    ['O', 'M', 'A', 'Q']
    """
    feats = _features(features)
    check_columns(data, [c for pair in feats.values() for c in pair], "KANO column")
    mapping = DEFAULT_ANSWERS if answers is None else answers
    table = np.array(EVALUATION_TABLE, dtype=object)
    out = {}
    for name, (fc, dc) in feats.items():
        f = _answer_codes(data[fc], mapping, fc)
        d = _answer_codes(data[dc], mapping, dc)
        ok = (f >= 0) & (d >= 0)
        cats = np.full(len(data), None, dtype=object)
        cats[ok] = table[f[ok], d[ok]]
        out[name] = pd.Series(cats, index=data.index, dtype="str")
    return pd.DataFrame(out, index=data.index)


def kano_table(data, features: Mapping[str, Sequence[str]], answers: Mapping | None = None,
               weights: str | None = None, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Category shares, dominant category and Better-Worse coefficients per feature.

    Shares are (weighted) percentages of the respondents who answered both questions of the feature,
    Q included. The dominant ``category`` is the most frequent of A, O, M, I, R (ties broken M > O > A >
    I > R, Berger et al. 1993); ``fong_significant`` says whether it beats the runner-up by Fong's
    (1996) test, ``|a - b| >= 1.65 sqrt((a + b)(2n - a - b) / (2n))`` on the counts.
    ``Better = (A + O) / (A + O + M + I)``, ``Worse = -(O + M) / (A + O + M + I)``.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyDesign
    features, answers
        As :func:`kano_classify`.
    weights : str, optional
        Weight column (a design brings its own weights).
    labels : dict, optional
        Display names of the features (e.g. in Chinese), kept in a ``label`` column.

    Returns
    -------
    pandas.DataFrame
        One row per feature: ``feature``, ``label``, ``n``, shares ``A`` ... ``Q`` (%), counts
        ``n_A`` ... ``n_Q``, ``category``, ``category_zh``, ``category_en``, ``fong_significant``,
        ``better``, ``worse``, ``q_count``, ``q_share`` (%). Use :func:`kano_inconsistent` for the
        respondents who gave Q answers.

    References
    ----------
    Kano, N. et al. (1984), see :func:`kano_classify`. Berger, C. et al. (1993). Kano's methods for
    understanding customer-defined quality. *Center for Quality Management Journal* 2(4), 3-36.

    Examples
    --------
    >>> from cs_toolkit.satisfaction.demo import make_kano_survey
    >>> survey = make_kano_survey(n=300, seed=0)
    >>> table = kano_table(survey.data, survey.measurement)
    >>> table[["feature", "category", "better", "worse", "q_count"]].round(2)
                 feature category  better  worse  q_count
    0     repair_quality        M    0.11  -0.81        7
    1       response_24h        O    0.75  -0.79        7
    2  fixed_appointment        O    0.74  -0.75        4
    3       app_progress        A    0.75  -0.22        7
    4  gift_after_repair        I    0.10  -0.14        6
    5     video_guidance        A    0.76  -0.17        1
    """
    sampling = resolve_sampling(data, weights)
    frame = sampling.frame
    classes = kano_classify(frame, features, answers)
    w = sampling.weights
    rows = []
    for name in classes.columns:
        cat = classes[name].to_numpy(dtype=object)
        ok = pd.notna(classes[name]).to_numpy()
        counts = {c: int(np.sum(cat[ok] == c)) for c in CATEGORIES}
        wsum = {c: float(w[ok][cat[ok] == c].sum()) for c in CATEGORIES}
        total = sum(wsum.values())
        n = int(ok.sum())
        row = {"feature": name, "label": (labels or {}).get(name, name), "n": n}
        for c in CATEGORIES:
            row[c] = 100 * wsum[c] / total if total else np.nan
        for c in CATEGORIES:
            row[f"n_{c}"] = counts[c]
        ranked = sorted(CATEGORIES[:5], key=lambda c: (-wsum[c], _PRIORITY.index(c)))
        best = ranked[0] if n else None
        row["category"] = best
        row["category_zh"] = CATEGORY_NAMES[best][0] if best else None
        row["category_en"] = CATEGORY_NAMES[best][1] if best else None
        a, b = counts[ranked[0]], counts[ranked[1]]
        row["fong_significant"] = bool(n and abs(a - b) >= 1.65 * math.sqrt((a + b) * (2 * n - a - b) / (2 * n)))
        base = wsum["A"] + wsum["O"] + wsum["M"] + wsum["I"]
        row["better"] = (wsum["A"] + wsum["O"]) / base if base else np.nan
        row["worse"] = -(wsum["O"] + wsum["M"]) / base if base else np.nan
        row["q_count"] = counts["Q"]
        row["q_share"] = row["Q"]
        rows.append(row)
    return pd.DataFrame(rows)


def kano_inconsistent(data: pd.DataFrame, features: Mapping[str, Sequence[str]], answers: Mapping | None = None) -> pd.DataFrame:
    """Respondents with at least one questionable (Q) answer pair, and which features.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data`` (only those respondents): ``q_features`` (list of features) and
        ``q_count``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"f": [1, 5, 1], "d": [5, 5, 1]})
    >>> kano_inconsistent(df, {"wifi": ("f", "d")})["q_count"].tolist()
    [1, 1]
    """
    classes = kano_classify(data, features, answers)
    is_q = classes == "Q"
    hits = is_q.any(axis=1)
    out = pd.DataFrame({"q_features": [list(classes.columns[row]) for row in is_q[hits].to_numpy()],
                        "q_count": is_q[hits].sum(axis=1).to_numpy()}, index=classes.index[hits])
    return out


__all__ = ["ANSWERS", "CATEGORIES", "CATEGORY_NAMES", "DEFAULT_ANSWERS", "EVALUATION_TABLE", "kano_classify",
           "kano_inconsistent", "kano_table"]
