"""Topic discovery for complaints no category fits: clusters with top terms, sizes and examples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from cs_toolkit.complaints.text import normalize, word_tokens


def discover_topics(texts: Sequence[object], n_topics: int | None = None, n_terms: int = 8,
                    n_examples: int = 3, random_state: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Cluster texts (jieba words for Chinese, words for English) and describe each cluster.

    Returns a table (``topic``, ``size``, ``top_terms``, ``examples``), largest first, and each
    text's topic number (-1 for empty texts).

    Examples
    --------
    >>> texts = ["小区外面施工噪音很大"] * 3 + ["共享单车堆在门口"] * 3 + ["construction noise at night"] * 2
    >>> table, topic = discover_topics(texts, n_topics=3)
    >>> int(table["size"].sum())
    8
    """
    norm = [normalize(t) for t in texts]
    tokens = word_tokens(norm, use_jieba=True)
    usable = np.array([bool(t.strip()) for t in tokens])
    assignment = np.full(len(norm), -1)
    if usable.sum() < 2:
        return pd.DataFrame(columns=["topic", "size", "top_terms", "examples"]), assignment
    vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)
    X = vec.fit_transform([t for t, u in zip(tokens, usable, strict=True) if u])
    k = n_topics or int(np.clip(round(np.sqrt(X.shape[0] / 2)), 2, 20))
    k = min(k, X.shape[0])
    km = KMeans(n_clusters=k, n_init=5, random_state=random_state).fit(X)
    assignment[usable] = km.labels_
    terms = np.asarray(vec.get_feature_names_out())
    originals = [t for t, u in zip(texts, usable, strict=True) if u]
    rows = []
    for c in range(k):
        members = np.flatnonzero(km.labels_ == c)
        if len(members) == 0:
            continue
        top = terms[np.argsort(-km.cluster_centers_[c])[:n_terms]]
        dist = -np.asarray(X[members] @ km.cluster_centers_[c]).ravel()  # closest to the centre first
        examples = [str(originals[i]) for i in members[np.argsort(dist)[:n_examples]]]
        rows.append({"topic": c, "size": len(members), "top_terms": ", ".join(top), "examples": " | ".join(examples)})
    table = pd.DataFrame(rows).sort_values("size", ascending=False, kind="stable").reset_index(drop=True)
    return table, assignment
