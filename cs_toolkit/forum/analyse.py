"""Everything the forum watch needs on one table: project, category, negativity and escalation for each post."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from cs_toolkit.errors import ConfigError
from cs_toolkit.forum.projects import match_projects, project_terms
from cs_toolkit.forum.sentiment import NEGATIVE_THRESHOLD, score_text

ANALYSIS_COLUMNS = ["content", "project", "project_name", "projects", "matched", "category", "confidence",
                    "negativity", "negative", "sentiment_hits", "escalate_safety", "escalate_media_legal",
                    "escalate_group", "escalation_level", "escalation_reason"]


def analyse_posts(posts: pd.DataFrame, *, projects: Mapping[str, str] | None = None,
                  aliases: Mapping[str, Iterable[str] | str] | None = None, model=None, taxonomy=None,
                  language: str = "zh", negative_threshold: float = NEGATIVE_THRESHOLD,
                  extra_negative: Sequence[str] = (), extra_positive: Sequence[str] = ()) -> pd.DataFrame:
    """The posts with ``content`` (title and text), the project columns of :func:`match_projects`, the
    ``category`` and ``confidence`` of the complaint ``model`` (or the ``taxonomy``'s rules, default the
    default taxonomy), ``negativity`` and ``negative`` (:mod:`cs_toolkit.forum.sentiment`), and the escalation
    flags, ``escalation_level`` (P1 safety; P2 media, regulator, legal, group) and ``escalation_reason`` of
    :func:`cs_toolkit.complaints.flag_escalations`.

    Parameters
    ----------
    posts : DataFrame
        Posts as read (:func:`cs_toolkit.forum.read_posts`) or from the store's ``posts`` table.
    projects, aliases : mapping
        The settings' ``projects`` (id -> display name) and ``project_aliases`` (id -> other names).
    model : ComplaintClassifier, optional
    taxonomy : Taxonomy, optional
    language : {"zh", "en"}
        Language of ``escalation_reason``.
    """
    from cs_toolkit.complaints.categorise_table import categorise
    from cs_toolkit.complaints.escalation import flag_escalations
    from cs_toolkit.complaints.taxonomy import load_taxonomy

    if "text" not in posts.columns and "title" not in posts.columns:
        raise ConfigError(f"the posts have neither 'text' nor 'title' (columns: {list(posts.columns)[:20]})")
    out = posts.copy()
    title = out["title"].fillna("").astype(str).str.strip() if "title" in out else pd.Series("", index=out.index)
    body = out["text"].fillna("").astype(str).str.strip() if "text" in out else pd.Series("", index=out.index)
    out["content"] = (title + "\n" + body).str.strip()
    matched = match_projects(out, project_terms(projects, aliases), columns=("content",), names=projects)
    for column in matched.columns:
        out[column] = matched[column].to_numpy()
    kind = {"model": model} if model is not None else {"taxonomy": taxonomy or load_taxonomy()}
    categorised = categorise(out[["content"]], "content", language=language, **kind)
    out["category"] = categorised["category"].to_numpy()
    out["confidence"] = categorised["confidence"].to_numpy()
    scores = [score_text(t, extra_negative, extra_positive) for t in out["content"]]
    out["negativity"] = [s for s, _ in scores]
    out["negative"] = out["negativity"] >= negative_threshold
    out["sentiment_hits"] = ["、".join(h) for _, h in scores]
    flags = flag_escalations(out, "content", language=language)  # no customer or SLA for posts: P1 and P2 only
    for column in ("escalate_safety", "escalate_media_legal", "escalate_group", "escalation_level",
                   "escalation_reason"):
        out[column] = flags[column].to_numpy()
    return out


__all__ = ["ANALYSIS_COLUMNS", "analyse_posts"]
