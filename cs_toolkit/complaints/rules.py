"""Cold start: categorise complaints with the taxonomy's keywords and patterns, and say which words matched."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from cs_toolkit.complaints.taxonomy import Taxonomy
from cs_toolkit.complaints.text import normalize

OTHER = "other"


class RuleCategorizer:
    """Keyword and pattern categoriser built from a :class:`Taxonomy` — no training data needed.

    Each leaf category scores one point per distinct keyword and two per pattern that matches; the
    best-scoring leaf wins (ties go to the category listed first). ``confidence`` grows with the
    margin over the runner-up, and a complaint that matches nothing is ``"other"`` with confidence 0.

    Examples
    --------
    >>> from cs_toolkit.complaints.taxonomy import load_taxonomy
    >>> rules = RuleCategorizer(load_taxonomy())
    >>> out = rules.categorise(["卫生间顶棚漏水，报修一周没人来", "The lift is broken again"])
    >>> out["category"].to_list()
    ['quality.leak', 'quality.equipment']
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._leaves = [c for c in taxonomy.leaves() if c.keywords or c.patterns]
        self._keyword_owner: dict[str, list[int]] = {}
        for i, cat in enumerate(self._leaves):
            for kw in cat.keywords:
                self._keyword_owner.setdefault(kw, []).append(i)
        # One alternation for all keywords, longest first, so a text is scanned once.
        words = sorted(self._keyword_owner, key=len, reverse=True)
        # Latin keywords match whole words only ("lift" is not in "uplift"); Chinese has no word breaks.
        alternatives = [rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words]
        self._keyword_re = re.compile("|".join(alternatives)) if words else None
        self._types = list(taxonomy.request_types.values())

    def categorise(self, texts: Iterable[object]) -> pd.DataFrame:
        """One row per text: ``category``, ``category_path``, ``confidence``, ``matched``, ``request_type``."""
        rows = []
        for raw in texts:
            text = normalize(raw)
            scores = np.zeros(len(self._leaves))
            matched: dict[int, set[str]] = {}
            if self._keyword_re is not None and text:
                for m in self._keyword_re.finditer(text):
                    for i in self._keyword_owner[m.group(0)]:
                        if m.group(0) not in matched.setdefault(i, set()):
                            matched[i].add(m.group(0))
                            scores[i] += 1
            for i, cat in enumerate(self._leaves):
                for pat in cat.patterns:
                    m = pat.search(text)
                    if m:
                        scores[i] += 2
                        matched.setdefault(i, set()).add(m.group(0))
            if scores.max(initial=0) == 0:
                rows.append((OTHER, "其他", 0.0, "", self._request_type(text)))
                continue
            best = int(np.argmax(scores))
            runner_up = np.partition(scores, -2)[-2] if len(scores) > 1 else 0.0
            margin = scores[best] - runner_up
            confidence = float(min(0.95, 0.5 + 0.15 * margin + 0.05 * scores[best]))
            cat = self._leaves[best]
            rows.append((cat.id, self.taxonomy.path(cat.id), confidence, "|".join(sorted(matched[best])),
                         self._request_type(text)))
        return pd.DataFrame(rows, columns=["category", "category_path", "confidence", "matched", "request_type"])

    def _request_type(self, text: str) -> str:
        for rt in self._types:
            if any(k in text for k in rt.keywords):
                return rt.id
        return "complaint" if "complaint" in self.taxonomy.request_types else ""
