"""Which of the company's projects (楼盘) a post is about, from the project names and their aliases.

Terms come from the settings: ``projects`` (id -> display name) and ``project_aliases`` (id -> other names:
the English name, a short name, the old sales name...). Matching is on normalised text (NFKC, lower case):
a Chinese term matches anywhere in the text, a Latin term only as whole words (``Future City`` does not
match ``futurecityscape``, ``No.1`` does not match ``No.16``; ``Future City13栋`` still matches). Longer terms win over the shorter terms they contain. A post naming several
projects gets the most mentioned one in ``project`` (ties: the first mentioned) and all of them in
``projects``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import pandas as pd

from cs_toolkit.errors import ConfigError

#: Terms shorter than this (after normalising) are refused: they would match ordinary words.
MIN_TERM_CHARS = 2


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", "" if text is None or (isinstance(text, float) and text != text)
                                 else str(text)).lower()


def project_terms(projects: Mapping[str, str] | None = None,
                  aliases: Mapping[str, Iterable[str] | str] | None = None) -> dict[str, str]:
    """``{normalised term: project id}`` from display names and aliases.

    A term claimed by two projects is refused with a :class:`ConfigError` naming both (a post saying it
    could not be told apart).

    Examples
    --------
    >>> project_terms({"P01": "翠湖苑"}, {"P01": ["翠湖", "Emerald Lake Garden"]})
    {'翠湖苑': 'P01', '翠湖': 'P01', 'emerald lake garden': 'P01'}
    """
    out: dict[str, str] = {}
    pairs: list[tuple[str, str]] = [(pid, name) for pid, name in (projects or {}).items()]
    for pid, names in (aliases or {}).items():
        pairs += [(pid, n) for n in ([names] if isinstance(names, str) else list(names))]
    for pid, term in pairs:
        t = " ".join(_norm(term).split())
        if not t:
            continue
        if len(t) < MIN_TERM_CHARS:
            raise ConfigError(f"project {pid}: the name or alias {term!r} is too short to find in posts "
                              f"(at least {MIN_TERM_CHARS} characters)", key=str(pid))
        if t in out and out[t] != str(pid):
            raise ConfigError(f"the project name or alias {term!r} belongs to both {out[t]} and {pid}; give each "
                              f"project its own names", key=str(pid))
        out[t] = str(pid)
    return out


def _pattern(terms: Iterable[str]) -> re.Pattern | None:
    words = sorted(set(terms), key=len, reverse=True)
    if not words:
        return None
    parts = []
    for w in words:
        body = r"\s+".join(re.escape(p) for p in w.split())
        if w.isascii():  # whole words: no letter (digit) right before a term starting with a letter (digit)...
            before = "(?<![0-9])" if w[0].isdigit() else "(?<![a-z])" if w[0].isalpha() else ""
            after = "(?![0-9])" if w[-1].isdigit() else "(?![a-z])" if w[-1].isalpha() else ""
            body = before + body + after
        parts.append(body)
    return re.compile("|".join(parts))


def match_projects(posts: pd.DataFrame, terms: Mapping[str, str], *, columns: Iterable[str] = ("title", "text"),
                   names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``project`` (id, "" when none), ``project_name``, ``projects`` (all ids, "|"-joined) and ``matched``
    (the terms found) for every post.

    Parameters
    ----------
    posts : DataFrame
    terms : mapping
        :func:`project_terms`.
    columns : iterable of str
        Text columns searched (those present).
    names : mapping, optional
        Project id -> display name for ``project_name`` (default: the id).

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"title": ["翠湖又漏水", "", "Future City lift"], "text": ["", "万科城不错", "so slow"]})
    >>> terms = project_terms({"P01": "翠湖苑", "P05": "未来城"}, {"P01": ["翠湖"], "P05": ["Future City"]})
    >>> match_projects(posts, terms)[["project", "matched"]].values.tolist()
    [['P01', '翠湖'], ['', ''], ['P05', 'future city']]
    """
    pattern = _pattern(terms)
    present = [c for c in columns if c in posts.columns]
    if not present:
        raise ConfigError(f"none of the text columns {list(columns)} is in the posts table")
    text = posts[present[0]].fillna("").astype(str)
    for c in present[1:]:
        text = text + "\n" + posts[c].fillna("").astype(str)
    project, every, matched = [], [], []
    for t in text.map(_norm):
        hits = pattern.findall(t) if pattern is not None else []
        hits = [" ".join(h.split()) for h in hits]
        ids = [terms[h] for h in hits]
        if not ids:
            project.append("")
            every.append("")
            matched.append("")
            continue
        counts = pd.Series(ids).value_counts(sort=False)
        best = max(dict.fromkeys(ids), key=lambda p: counts[p])  # most mentioned; ties: first mentioned
        project.append(best)
        every.append("|".join(dict.fromkeys(ids)))
        matched.append("|".join(dict.fromkeys(hits)))
    out = pd.DataFrame({"project": project, "projects": every, "matched": matched}, index=posts.index)
    out.insert(1, "project_name", out["project"].map(lambda p: (names or {}).get(p, p) if p else ""))
    return out


__all__ = ["MIN_TERM_CHARS", "match_projects", "project_terms"]
