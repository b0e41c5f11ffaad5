"""Group complaints (群诉): near-duplicate complaints from different customers, close in time and place."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from cs_toolkit.complaints.text import normalize


def _vectors(texts: Sequence[str]):
    norm = [normalize(t) for t in texts]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    try:
        return vec.fit_transform(norm)
    except ValueError:  # nothing but empty texts
        return csr_matrix((len(norm), 1))


def find_incidents(
    frame: pd.DataFrame,
    text: str,
    time: str,
    *,
    place: str | Sequence[str] | None = None,
    customer: str | None = None,
    window: str = "72h",
    similarity: float = 0.4,
    min_size: int = 3,
) -> tuple[pd.DataFrame, pd.Series]:
    """Cluster complaints about the same thing, at the same place, within a time window, into incidents.

    Two complaints are linked when their texts are similar (cosine of character n-gram TF-IDF
    >= ``similarity``), they fall within ``window`` of each other, share ``place`` (e.g. project and
    building) and come from different customers. Linked groups with at least ``min_size`` customers
    (rows, without ``customer``) are incidents.

    Returns
    -------
    incidents : DataFrame
        ``incident``, ``size``, ``customers``, ``first``, ``last``, the place columns and
        ``representative`` (the text most similar to the others).
    assignment : Series
        Incident id of each row of ``frame`` ("" when none).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["3栋电梯又坏了", "3栋电梯坏了没人修", "3栋的电梯又坏了!", "物业费太高"],
    ...                    "at": pd.to_datetime(["2026-05-01 09:00", "2026-05-01 12:00", "2026-05-02 08:00", "2026-05-01 10:00"]),
    ...                    "who": ["a", "b", "c", "d"]})
    >>> incidents, which = find_incidents(df, "text", "at", customer="who")
    >>> incidents[["size", "customers"]].values.tolist(), which.tolist()
    ([[3, 3]], ['INC-0001', 'INC-0001', 'INC-0001', ''])
    """
    place_cols = [place] if isinstance(place, str) else list(place or [])
    n = len(frame)
    assignment = pd.Series("", index=frame.index, dtype=object)
    if n == 0:
        return pd.DataFrame(columns=["incident", "size", "customers", "first", "last", "representative"]), assignment
    times = pd.to_datetime(frame[time]).to_numpy()
    limit = pd.Timedelta(window).to_timedelta64()
    vectors = _vectors(frame[text].fillna("").astype(str).tolist())
    who = frame[customer].astype(str).to_numpy() if customer else np.arange(n).astype(str)
    groups = frame.groupby(place_cols, sort=False, dropna=False).indices if place_cols else {None: np.arange(n)}
    rows, cols = [], []
    for idx in groups.values():
        idx = np.asarray(idx)
        if len(idx) < 2:
            continue
        sim = (vectors[idx] @ vectors[idx].T).tocoo()
        keep = (sim.row < sim.col) & (sim.data >= similarity)
        a, b = idx[sim.row[keep]], idx[sim.col[keep]]
        close = np.abs(times[a] - times[b]) <= limit
        different = who[a] != who[b]
        ok = close & different
        rows.append(a[ok])
        cols.append(b[ok])
    a = np.concatenate(rows) if rows else np.array([], dtype=int)
    b = np.concatenate(cols) if cols else np.array([], dtype=int)
    graph = csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    records = []
    for comp in np.unique(labels):
        members = np.flatnonzero(labels == comp)
        if len(members) < 2 or len(set(who[members])) < min_size:
            continue
        sub = vectors[members]
        centrality = np.asarray((sub @ sub.T).sum(axis=1)).ravel()
        rep = members[int(np.argmax(centrality))]
        records.append((members, rep))
    records.sort(key=lambda r: times[r[0]].min())
    out = []
    for k, (members, rep) in enumerate(records, start=1):
        inc = f"INC-{k:04d}"
        assignment.iloc[members] = inc
        row = {"incident": inc, "size": len(members), "customers": len(set(who[members])),
               "first": pd.Timestamp(times[members].min()), "last": pd.Timestamp(times[members].max())}
        for col in place_cols:
            row[col] = frame[col].iloc[rep]
        row["representative"] = frame[text].iloc[rep]
        out.append(row)
    columns = ["incident", "size", "customers", "first", "last", *place_cols, "representative"]
    return pd.DataFrame(out, columns=columns), assignment


def incident_timelines(frame: pd.DataFrame, assignment: pd.Series, time: str) -> dict[str, str]:
    """Each incident's complaints per day, as a line a manager reads: ``"11/3 ×4, 11/4 ×2"``.

    Examples
    --------
    >>> df = pd.DataFrame({"at": pd.to_datetime(["2026-11-03 09:00", "2026-11-03 12:00", "2026-11-04 08:00"])})
    >>> incident_timelines(df, pd.Series(["INC-0001"] * 3), "at")
    {'INC-0001': '11/3 ×2, 11/4 ×1'}
    """
    days = pd.to_datetime(frame[time]).dt.normalize().to_numpy()
    table = pd.DataFrame({"incident": assignment.to_numpy(), "day": days})
    table = table[table["incident"].astype(str) != ""]
    out = {}
    for incident, group in table.groupby("incident", sort=True):
        counts = group["day"].value_counts().sort_index()
        out[str(incident)] = ", ".join(f"{d.month}/{d.day} ×{n}" for d, n in counts.items())
    return out
