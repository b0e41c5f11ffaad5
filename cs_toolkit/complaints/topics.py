"""Topic discovery for complaints no category fits: clusters with top terms, sizes and examples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from cs_toolkit.complaints.text import normalize, word_tokens

_STOP = ("的 了 和 是 在 也 都 就 不 没 有 很 太 还 又 与 及 或 一 一下 一直 这个 那个 这 那 我 我们 你 您 他 "
         "他们 她 它 吧 呢 吗 啊 呀 哦 嗯 请 请问 已经 一样 可以 能 会 要 想 说 把 被 让 给 对 从 到 "
         "the a an and or of to in on at is are was were be been it this that for with my our your "
         "i we you they he she not no")
STOP_WORDS = set(_STOP.split())


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
    # Function words and numbers say nothing about a topic; a term must start with a letter or a CJK
    # character that is not a stop word.
    vec = TfidfVectorizer(token_pattern=r"(?u)\b[^\W\d_][\w\-]*\b", lowercase=False, sublinear_tf=True,
                          stop_words=sorted(STOP_WORDS))
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
        centre = km.cluster_centers_[c]
        top = [terms[i] for i in np.argsort(-centre)[:n_terms] if centre[i] > 0]
        dist = -np.asarray(X[members] @ km.cluster_centers_[c]).ravel()  # closest to the centre first
        examples = list(dict.fromkeys(str(originals[i]) for i in members[np.argsort(dist)]))[:n_examples]
        rows.append({"topic": c, "size": len(members), "top_terms": ", ".join(top), "examples": " | ".join(examples)})
    table = pd.DataFrame(rows).sort_values("size", ascending=False, kind="stable").reset_index(drop=True)
    return table, assignment
