"""Similar past cases (案例库): the k resolved complaints most like a new one, for the hotline agent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors

from cs_toolkit.complaints.text import cjk_runs, normalize, word_tokens


def _docs(texts: Sequence[object]) -> list[str]:
    norm = [normalize(t) for t in texts]
    # Chinese characters as single tokens plus words: one bag, so both languages compare on one scale.
    return [" ".join(list(c.replace(" ", ""))) + " " + w for c, w in zip(cjk_runs(norm), word_tokens(norm), strict=True)]


class SimilarCases:
    """Nearest past complaints by cosine similarity of TF-IDF vectors (character bigrams + words).

    Examples
    --------
    >>> import pandas as pd
    >>> past = pd.DataFrame({"text": ["卫生间漏水已维修", "物业费争议已解释", "电梯故障已修复"], "id": [1, 2, 3]})
    >>> cases = SimilarCases().fit(past, "text")
    >>> cases.query("卫生间又开始漏水了", k=1)["id"].tolist()
    [1]
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2)) -> None:
        self.ngram_range = ngram_range

    def fit(self, cases: pd.DataFrame, text: str) -> SimilarCases:
        self.cases_ = cases.reset_index(drop=True)
        self.text_ = text
        self.vectorizer_ = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=self.ngram_range,
                                           sublinear_tf=True)
        matrix = self.vectorizer_.fit_transform(_docs(self.cases_[text].tolist()))
        self.index_ = NearestNeighbors(metric="cosine").fit(matrix)
        return self

    def query(self, text: object, k: int = 5) -> pd.DataFrame:
        """The ``k`` most similar past cases, with a ``similarity`` column (1 = identical)."""
        k = min(k, len(self.cases_))
        vec = self.vectorizer_.transform(_docs([text]))
        dist, idx = self.index_.kneighbors(vec, n_neighbors=k)
        out = self.cases_.iloc[idx[0]].copy()
        out.insert(0, "similarity", np.round(1 - dist[0], 4))
        return out.reset_index(drop=True)
