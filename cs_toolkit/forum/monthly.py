"""The monthly report's forum and web section (舆情月报): volume by project and day, spikes with the rule
that found them, negative posts and safety (P1) posts of the month.

Examples
--------
>>> from cs_toolkit.demo import PROJECTS, PROJECT_ALIASES, make_posts
>>> month = monthly_forum(make_posts(seed=0), "2026-11", projects={p: zh for p, zh, _ in PROJECTS},
...                       aliases=PROJECT_ALIASES)
>>> month.spikes[["date", "project_name", "count"]].astype(str).values.tolist()
[['2026-11-15', '滨江一号', '14']]
>>> len(month.p1), month.summary["posts"] > 100
(1, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from cs_toolkit.forum.spikes import SPIKE_RULE, SPIKE_RULE_ZH, volume_spikes

#: Days before the month the spike baseline is built from (the posts given should reach back this far).
BASELINE_DAYS = 56
EXCERPT_CHARS = 80
LEVEL_ORDER = {"P1": 0, "P2": 1, "P3": 2, "": 3}


@dataclass
class ForumMonth:
    """The forum section of a month.

    Attributes
    ----------
    period : Period
    summary : dict
        ``posts`` (in the month), ``about_projects`` (matched to a project), ``negative``, ``negative_share``
        (of the matched), ``p1``, ``p2``, ``spikes``, ``previous_posts`` (the month before, matched).
    by_project : DataFrame
        project, project_name, posts, negative, negative_share, p1, p2, spike_days, top_category.
    volume : DataFrame
        Posts per day (rows) and project (columns, display names), every day of the month.
    spikes : DataFrame
        date, project, project_name, count, baseline, upper_limit, p_value: the spike days of the month.
    negative : DataFrame
        The most negative posts (at most ``top``): posted_at, source, project_name, title, excerpt, negativity,
        category, escalation_level, url.
    p1 : DataFrame
        Every safety post of the month: posted_at, source, project_name, title, excerpt, escalation_reason, url.
    categories : DataFrame
        category, name, posts, negative: categories of the posts about projects.
    rule : str
        The spike rule in words (in the report's language).
    """

    period: object
    summary: dict
    by_project: pd.DataFrame
    volume: pd.DataFrame
    spikes: pd.DataFrame
    negative: pd.DataFrame
    p1: pd.DataFrame
    categories: pd.DataFrame
    rule: str
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, for :func:`cs_toolkit.reports.excel.write_workbook`."""
        summary = pd.DataFrame({"measure": list(self.summary), "value": list(self.summary.values())})
        return {"summary": summary, "by_project": self.by_project, "volume": self.volume.reset_index(),
                "spikes": self.spikes, "negative": self.negative, "p1": self.p1, "categories": self.categories,
                "rule": pd.DataFrame({"rule": [self.rule]})}


def _excerpt(text: str, n: int = EXCERPT_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def monthly_forum(posts: pd.DataFrame, period, *, projects: Mapping[str, str] | None = None,
                  aliases: Mapping[str, Iterable[str] | str] | None = None, model=None, taxonomy=None,
                  language: str = "zh", rule: str = "poisson", top: int = 20,
                  category_name=None, redact: bool = True) -> ForumMonth:
    """The forum section for ``period`` (a month, ``"2026-11"``).

    Parameters
    ----------
    posts : DataFrame
        Posts of the month and of at least :data:`BASELINE_DAYS` days before it (the spike baseline), as read
        or from the store's ``posts`` table; already analysed ones (:func:`analyse_posts`) are used as they are.
    projects, aliases : mapping
        The settings' ``projects`` and ``project_aliases``.
    model, taxonomy
        What categorises the posts (default: the default taxonomy's rules).
    language : {"zh", "en"}
    rule : {"poisson", "ewma"}
        The spike rule (:mod:`cs_toolkit.forum.spikes`).
    top : int
        Negative posts listed.
    category_name : callable, optional
        ``id -> name`` for the categories (default: the taxonomy's names).
    redact : bool
        Remove phone numbers, e-mails and ID numbers from titles and excerpts (reports never show them).
    """
    from cs_toolkit.complaints.taxonomy import load_taxonomy
    from cs_toolkit.forum.analyse import analyse_posts
    from cs_toolkit.periods import Period, parse_period

    period = period if isinstance(period, Period) else parse_period(str(period), "month")
    analysed = posts if "negativity" in posts.columns and "project" in posts.columns else analyse_posts(
        posts, projects=projects, aliases=aliases, model=model, taxonomy=taxonomy, language=language)
    names = dict(projects or {})
    tax = taxonomy or load_taxonomy()
    name_of = category_name or (lambda c: tax.label(c, language))
    when = pd.to_datetime(analysed["posted_at"])
    in_month = (when >= period.start) & (when < period.end)
    month = analysed[in_month].copy()
    about = month[month["project"].fillna("") != ""]
    previous = analysed[(when >= period.shift(-1).start) & (when < period.start) &
                        (analysed["project"].fillna("") != "")]
    notes = []
    first = when.min()
    if pd.isna(first):
        notes.append("no posts")
    elif first > period.start - pd.Timedelta(days=28):
        notes.append(f"the posts start {first:%Y-%m-%d}: the spike baseline has less than four weeks before the "
                     f"month, so early spikes may be missed or over-flagged")
    chart = volume_spikes(analysed, start=period.start - pd.Timedelta(days=BASELINE_DAYS), end=period.end,
                          rule=rule)
    chart = chart[(chart["date"] >= period.start) & (chart["date"] < period.end)]
    if "group" not in chart.columns or "spike" not in chart.columns:  # no post matched a project
        chart = pd.DataFrame(columns=["date", "group", "count", "baseline", "upper_limit", "p_value", "spike"])
    spikes = chart[chart["spike"].astype(bool)].rename(columns={"group": "project"})
    spikes = spikes.assign(project_name=spikes["project"].map(lambda p: names.get(p, p)))
    spikes = spikes[["date", "project", "project_name", "count", "baseline", "upper_limit", "p_value"]].round(
        {"baseline": 2, "upper_limit": 2}).reset_index(drop=True)

    # volume: every day of the month, one column per project (display names)
    days = pd.date_range(period.start, period.end - pd.Timedelta(days=1), freq="D")
    volume = (about.assign(day=pd.to_datetime(about["posted_at"]).dt.normalize(),
                           name=about["project"].map(lambda p: names.get(p, p)))
              .groupby(["day", "name"]).size().unstack("name", fill_value=0)
              .reindex(days, fill_value=0))
    volume.index.name = "date"
    volume.columns.name = None

    level = about["escalation_level"].fillna("")
    spike_days = spikes.groupby("project").size()
    by_project = pd.DataFrame({
        "posts": about.groupby("project").size(),
        "negative": about.groupby("project")["negative"].sum(),
        "p1": (level == "P1").groupby(about["project"]).sum(),
        "p2": (level == "P2").groupby(about["project"]).sum(),
    }).fillna(0).astype(int)
    by_project["negative_share"] = (by_project["negative"] / by_project["posts"]).round(3)
    by_project["spike_days"] = spike_days.reindex(by_project.index).fillna(0).astype(int)
    top_category = about.groupby("project")["category"].agg(
        lambda s: s[s != ""].value_counts().index[0] if (s != "").any() else "")
    by_project["top_category"] = top_category.reindex(by_project.index).map(lambda c: name_of(c) if c else "")
    by_project = by_project.reset_index().rename(columns={"index": "project"})
    by_project.insert(1, "project_name", by_project["project"].map(lambda p: names.get(p, p)))
    by_project = by_project[["project", "project_name", "posts", "negative", "negative_share", "p1", "p2",
                             "spike_days", "top_category"]].sort_values(["posts", "project"], ascending=[False, True])

    redactor = None
    if redact:
        from cs_toolkit.reports.redact import Redactor

        redactor = Redactor()

    def clean(text: str) -> str:
        return redactor.redact(text) if redactor is not None else text

    def listing(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
        return pd.DataFrame({
            "posted_at": pd.to_datetime(frame["posted_at"]),
            "source": frame["source"].fillna("").astype(str) if "source" in frame else "",
            "project_name": frame["project_name"].fillna(""),
            "title": frame["title"].fillna("").astype(str).map(clean) if "title" in frame else "",
            "excerpt": frame["text"].fillna("").astype(str).map(lambda t: clean(_excerpt(t))),
            **{c: frame[c] for c in extra},
            "url": frame["url"].fillna("").astype(str) if "url" in frame else "",
        }).reset_index(drop=True)

    negative = about[about["negative"]].assign(_lvl=level[about["negative"]].map(LEVEL_ORDER).fillna(3))
    negative = negative.sort_values(["_lvl", "negativity", "posted_at"], ascending=[True, False, True]).head(top)
    negative_table = listing(negative, ["negativity", "category", "escalation_level"])
    negative_table["negativity"] = negative_table["negativity"].round(2)
    negative_table["category"] = negative_table["category"].map(lambda c: name_of(c) if c else "")
    p1 = month[month["escalation_level"].fillna("") == "P1"].sort_values("posted_at")
    p1_table = listing(p1, ["escalation_reason"])

    categories = (about[about["category"].fillna("") != ""].groupby("category")
                  .agg(posts=("category", "size"), negative=("negative", "sum")).reset_index()
                  .sort_values(["posts", "category"], ascending=[False, True]))
    categories.insert(1, "name", categories["category"].map(name_of))
    categories["negative"] = categories["negative"].astype(int)

    summary = {
        "posts": len(month),
        "about_projects": len(about),
        "negative": int(about["negative"].sum()),
        "negative_share": round(float(about["negative"].mean()), 3) if len(about) else 0.0,
        "p1": int((month["escalation_level"].fillna("") == "P1").sum()),
        "p2": int((level == "P2").sum()),
        "spikes": len(spikes),
        "previous_posts": len(previous),
    }
    text = (SPIKE_RULE_ZH if language == "zh" else SPIKE_RULE)[rule]
    return ForumMonth(period, summary, by_project.reset_index(drop=True), volume, spikes, negative_table, p1_table,
                      categories.reset_index(drop=True), text, notes)


__all__ = ["BASELINE_DAYS", "ForumMonth", "monthly_forum"]
