"""Text preparation shared by every complaint tool: normalisation and word tokens, Chinese and English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*[a-z0-9]|[a-z0-9]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPACE = re.compile(r"\s+")
_MAX_CHARS = 5000  # very long texts: the opening carries the category; the rest only costs time


def normalize(text: object) -> str:
    """NFKC (full-width to half-width), lower case, collapsed whitespace; missing becomes ''.

    Examples
    --------
    >>> normalize("  ＡＢＣ１２３　漏水！ ")
    'abc123 漏水!'
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    out = unicodedata.normalize("NFKC", str(text)).lower()
    return _SPACE.sub(" ", out).strip()[:_MAX_CHARS]


def cjk_share(text: str) -> float:
    """Share of the non-space characters that are Chinese characters."""
    chars = [c for c in text if not c.isspace()]
    return sum(bool(_CJK.match(c)) for c in chars) / len(chars) if chars else 0.0


def word_tokens(texts: Iterable[str], use_jieba: bool = False) -> list[str]:
    """Space-joined word tokens of normalised texts: Latin words always; Chinese words with jieba.

    Without jieba, Chinese is left to character n-grams (the word field then carries the Latin words,
    digits and codes such as "p17f1").
    """
    if use_jieba:
        import jieba

        jieba.setLogLevel(60)
    out = []
    for text in texts:
        tokens = _LATIN_WORD.findall(text)
        if use_jieba:
            for run in _CJK_RUN.findall(text):
                tokens.extend(w for w in jieba.lcut(run, HMM=False) if w.strip())
        out.append(" ".join(tokens))
    return out


def cjk_runs(texts: Iterable[str]) -> list[str]:
    """Only the Chinese runs of each text, space-separated (the input of character n-grams)."""
    return [" ".join(_CJK_RUN.findall(t)) for t in texts]
