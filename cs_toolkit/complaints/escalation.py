"""Escalation flags with reasons: safety hazards, group complaints, media/regulator/legal threats,
repeat complainants and overdue SLAs. Word lists are configurable and cover Chinese and English."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cs_toolkit.complaints.text import normalize, normalize_many

DEFAULT_WORDS: dict[str, list[str]] = {
    "safety": [
        "燃气泄漏", "煤气泄漏", "漏气", "燃气味", "煤气味", "天然气味", "起火", "着火", "冒烟", "火灾", "漏电", "触电",
        "电击", "高空坠物", "坠落", "掉下来", "砸伤", "砸到", "玻璃爆裂", "自爆", "坍塌", "倒塌", "电梯困人", "困在电梯",
        "电梯下坠", "受伤", "gas leak", "smell of gas", "smell gas", "fire", "smoke", "electric shock", "sparks",
        "collapsed", "collapse", "fell from", "falling", "injured", "trapped in the lift", "trapped in the elevator",
    ],
    "media_legal": [
        "媒体", "曝光", "记者", "电视台", "报社", "微博", "抖音", "12345", "市长热线", "住建局", "住建委", "房管局",
        "消协", "消费者协会", "信访", "律师", "起诉", "法院", "诉讼", "仲裁", "举报", "journalist", "newspaper",
        "media", "tv station", "lawyer", "attorney", "sue", "lawsuit", "court", "regulator", "ombudsman",
    ],
    "group": [
        "业主们", "全体业主", "集体", "联名", "多户", "整栋", "整个小区", "很多业主", "好多业主", "大家都", "维权群",
        "拉横幅", "群诉", "all residents", "many owners", "other owners", "neighbours", "neighbors", "petition",
        "collective",
    ],
}
FLAG_COLUMNS = ["escalate_safety", "escalate_media_legal", "escalate_group", "escalate_repeat", "escalate_sla"]
#: Priority of each flag: P1 safety (act now), P2 group complaint, media, regulator or legal threat,
#: P3 repeat complainant or overdue response. A complaint takes the highest of its flags.
LEVELS = {"escalate_safety": "P1", "escalate_media_legal": "P2", "escalate_group": "P2",
          "escalate_repeat": "P3", "escalate_sla": "P3"}
_LABELS = {
    "en": {"safety": "safety", "media_legal": "media/legal", "group": "group complaint",
           "incident": "group complaint: incident {inc}", "repeat": "repeat complainant: {n} within {window}",
           "sla_none": "SLA overdue: no response yet after {h:.0f} h (limit {limit:g} h)",
           "sla_late": "SLA overdue: first response after {h:.0f} h (limit {limit:g} h)"},
    "zh": {"safety": "安全隐患", "media_legal": "媒体/监管/法律", "group": "群诉",
           "incident": "群诉: 事件 {inc}", "repeat": "重复投诉: {window}内 {n} 次",
           "sla_none": "响应超时: {h:.0f} 小时仍未响应 (时限 {limit:g} 小时)",
           "sla_late": "响应超时: {h:.0f} 小时后才首次响应 (时限 {limit:g} 小时)"},
}


def escalation_level(flags: pd.DataFrame) -> pd.Series:
    """P1/P2/P3 (or "") per row from the flag columns of :func:`flag_escalations`.

    Examples
    --------
    >>> import pandas as pd
    >>> flags = pd.DataFrame({"escalate_safety": [True, False, False], "escalate_sla": [True, True, False]})
    >>> escalation_level(flags).to_list()
    ['P1', 'P3', '']
    """
    level = pd.Series("", index=flags.index, dtype=object)
    for column, name in sorted(LEVELS.items(), key=lambda kv: kv[1], reverse=True):
        if column in flags:
            level[flags[column].fillna(False).astype(bool).to_numpy()] = name
    return level


def _matcher(words: Sequence[str]) -> re.Pattern | None:
    words = sorted({normalize(w) for w in words if str(w).strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(rf"\b{re.escape(w)}\b" if w.isascii() and w[0].isalpha() else re.escape(w)
                               for w in words))


def _candidates(texts: list[str], words: list[str]) -> list[int]:
    """Positions of the texts that may contain one of ``words``: one vectorised RE2 scan (Arrow) that
    finds a superset of what the exact matcher finds (its word boundaries are ASCII-only), so the exact
    (Python) matcher only runs on those few texts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    alternatives = sorted({w for w in words if w}, key=len, reverse=True)
    if not alternatives or not texts:
        return []
    regex = "|".join(rf"\b{re.escape(w)}\b" if w.isascii() and w[0].isalpha() else re.escape(w)
                     for w in alternatives)
    try:
        hit = pc.match_substring_regex(pa.array(texts, type=pa.large_string()), regex)
        return np.flatnonzero(hit.to_numpy(zero_copy_only=False)).tolist()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
        return list(range(len(texts)))  # a word list RE2 cannot take: every text goes to the exact matcher


def _rolling_counts(customer: pd.Series, when: pd.Series, window: pd.Timedelta) -> np.ndarray:
    """For every row, how many complaints its customer made in the window ending at it (the row itself
    included; rows without a customer or a time count 0): ``rolling(window)`` per customer, vectorised."""
    n = len(customer)
    valid = (customer.notna() & when.notna()).to_numpy()
    counts = np.zeros(n, dtype=np.int64)
    if not valid.any():
        return counts
    cust = pd.factorize(customer[valid].astype(str))[0]
    t = when[valid].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((t, cust))
    c_sorted, t_sorted = cust[order], t[order]
    # first position j (in (customer, time) order) of the same customer with t_j > t_i - window
    target_c, target_t = c_sorted, t_sorted - window.value
    lo, hi = np.zeros(len(order), dtype=np.int64), np.full(len(order), len(order), dtype=np.int64)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        m = np.minimum(mid, len(order) - 1)
        before = (c_sorted[m] < target_c) | ((c_sorted[m] == target_c) & (t_sorted[m] <= target_t))
        active = lo < hi
        lo = np.where(active & before, mid + 1, lo)
        hi = np.where(active & ~before, mid, hi)
    in_window = np.arange(len(order)) - lo + 1
    rows = np.flatnonzero(valid)[order]
    counts[rows] = in_window
    return counts


def flag_escalations(
    frame: pd.DataFrame,
    text: str,
    *,
    customer: str | None = None,
    created: str | None = None,
    responded: str | None = None,
    sla_hours: float = 24.0,
    repeat_min: int = 3,
    repeat_window: str = "30D",
    as_of: pd.Timestamp | None = None,
    incident: str | None = None,
    words: Mapping[str, Sequence[str]] | None = None,
    language: str = "en",
) -> pd.DataFrame:
    """Escalation flags (one boolean column each) and ``escalation_reason`` for every row of ``frame``.

    Parameters
    ----------
    frame : DataFrame
    text : str
        Complaint text column.
    customer : str, optional
        Customer id column: ``escalate_repeat`` when a customer complains ``repeat_min`` times within
        ``repeat_window``.
    created, responded : str, optional
        Timestamp columns: ``escalate_sla`` when the first response came (or, still missing at
        ``as_of`` — default the latest timestamp in the data — would come) after ``sla_hours``.
    incident : str, optional
        Column of group-complaint incident ids (from :func:`find_incidents`): a non-empty id is a group
        complaint even without group words.
    words : dict, optional
        Word lists replacing the defaults, keyed ``safety``, ``media_legal``, ``group``.
    language : {"en", "zh"}
        Language of ``escalation_reason``.

    Returns
    -------
    DataFrame
        The flag columns, ``escalation_level`` (P1 safety; P2 group, media, regulator, legal; P3 repeat,
        SLA) and ``escalation_reason``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["厨房有很大的燃气味", "再不处理就找媒体曝光", "门把手松了"]})
    >>> flag_escalations(df, "text")["escalation_reason"].to_list()
    ['safety: 燃气味', 'media/legal: 媒体, 曝光', '']
    >>> flag_escalations(df, "text", language="zh")[["escalation_level", "escalation_reason"]].values.tolist()
    [['P1', '安全隐患: 燃气味'], ['P2', '媒体/监管/法律: 媒体, 曝光'], ['', '']]
    """
    labels = _LABELS["zh" if language == "zh" else "en"]
    lists = {**DEFAULT_WORDS, **(dict(words) if words else {})}
    n = len(frame)
    # Work on distinct texts (complaint logs repeat themselves), then map back to the rows.
    codes, distinct = pd.factorize(frame[text].fillna("").astype(str), use_na_sentinel=False)
    distinct_norm = normalize_many(list(distinct))
    out = pd.DataFrame(index=frame.index)
    reasons: dict[int, list[str]] = {}  # row position -> its reasons (most rows have none)
    kinds = (("safety", labels["safety"]), ("media_legal", labels["media_legal"]), ("group", labels["group"]))
    # One scan of each distinct text finds every kind: a word belongs to the first list that has it.
    owner = {}
    for flag, _ in kinds:
        for w in lists.get(flag, []):
            owner.setdefault(normalize(w), flag)
    pattern = _matcher(list(owner))
    hit_text = {flag: np.zeros(len(distinct_norm), dtype=bool) for flag, _ in kinds}
    reason_text: dict[int, list[str]] = {}
    for i in _candidates(distinct_norm, list(owner)) if pattern else []:
        found: dict[str, list[str]] = {}
        for word in pattern.findall(distinct_norm[i]):
            bucket = found.setdefault(owner[word], [])
            if word not in bucket:
                bucket.append(word)
        for flag, label in kinds:
            if found.get(flag):
                hit_text[flag][i] = True
                reason_text.setdefault(i, []).append(f"{label}: {', '.join(found[flag])}")
    for flag, _ in kinds:
        out[f"escalate_{flag}"] = hit_text[flag][codes]
    if reason_text:
        with_reason = np.zeros(len(distinct_norm), dtype=bool)
        with_reason[list(reason_text)] = True
        for row in np.flatnonzero(with_reason[codes]):
            reasons[int(row)] = list(reason_text[codes[row]])
    if incident is not None:
        inc = frame[incident].fillna("").astype(str).to_numpy()
        in_incident = inc != ""
        for row in np.flatnonzero(in_incident & ~out["escalate_group"].to_numpy()):
            reasons.setdefault(int(row), []).append(labels["incident"].format(inc=inc[row]))
        out["escalate_group"] = out["escalate_group"].to_numpy() | in_incident
    out["escalate_repeat"] = False
    if customer is not None and created is not None:
        counts = _rolling_counts(frame[customer], pd.to_datetime(frame[created]), pd.Timedelta(repeat_window))
        repeat = counts >= repeat_min
        out["escalate_repeat"] = repeat
        window = repeat_window.replace("D", "天") if language == "zh" else repeat_window
        for row in np.flatnonzero(repeat):
            reasons.setdefault(int(row), []).append(labels["repeat"].format(n=int(counts[row]), window=window))
    out["escalate_sla"] = False
    if created is not None and responded is not None:
        start = pd.to_datetime(frame[created])
        end = pd.to_datetime(frame[responded])
        now = as_of if as_of is not None else pd.concat([start, end]).max()
        waited = ((end.fillna(now) - start).dt.total_seconds() / 3600).to_numpy(dtype=float, na_value=np.nan)
        overdue = np.nan_to_num(waited, nan=-np.inf) > sla_hours
        out["escalate_sla"] = overdue
        missing = end.isna().to_numpy()
        for row in np.flatnonzero(overdue):
            key = "sla_none" if missing[row] else "sla_late"
            reasons.setdefault(int(row), []).append(labels[key].format(h=waited[row], limit=sla_hours))
    out["escalation_level"] = escalation_level(out)
    reason = np.full(n, "", dtype=object)
    for row, parts in reasons.items():
        reason[row] = "; ".join(parts)
    out["escalation_reason"] = reason
    return out[FLAG_COLUMNS + ["escalation_level", "escalation_reason"]]
