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


# Python's str.isspace() characters, for RE2 (whose \\s is ASCII only)
_SPACE_RE2 = r"[\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+"


def normalize_many(texts: Iterable[object]) -> list[str]:
    """:func:`normalize` of many texts at once (Arrow's vectorised Unicode kernels; same results).

    Examples
    --------
    >>> normalize_many(["  ＡＢＣ１２３　漏水！ ", None, float("nan"), 12])
    ['abc123 漏水!', '', '', '12']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = [t if isinstance(t, str) else ("" if t is None or (isinstance(t, float) and t != t) else str(t))
              for t in texts]
    if not values:
        return []
    try:
        arr = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, UnicodeEncodeError):  # e.g. lone surrogates: the slow path copes
        return [normalize(t) for t in values]
    arr = pc.utf8_normalize(arr, form="NFKC")
    arr = pc.utf8_trim(pc.replace_substring_regex(arr, _SPACE_RE2, " "), " ")
    # lower-casing by Python's rules (Arrow's differ for a few letters such as "İ" and final sigma)
    return [s.lower()[:_MAX_CHARS] for s in arr.to_pylist()]


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


def chinese_words(texts: Iterable[str]) -> list[list[str]]:
    """jieba's words of the Chinese runs of each normalised text (the optional ``use_jieba`` block)."""
    import jieba

    jieba.setLogLevel(60)
    return [[w for run in _CJK_RUN.findall(t) for w in jieba.lcut(run, HMM=False) if w.strip()] for t in texts]
