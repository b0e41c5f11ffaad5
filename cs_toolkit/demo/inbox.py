"""A demo inbox: the exports a department would drop in for the main job (a GB18030 survey export with
a few damaged rows and its scoring configuration, and a UTF-8 complaint log)."""

from __future__ import annotations

from pathlib import Path

import yaml

from cs_toolkit.demo.complaints import make_complaints
from cs_toolkit.demo.places import PROJECTS
from cs_toolkit.demo.posts import PROJECT_ALIASES, write_demo_posts
from cs_toolkit.demo.survey import add_export_noise, make_survey


def write_demo_inbox(inbox: str | Path, survey_config: str | Path, seed: int = 0) -> Path:
    """Write demo exports into ``inbox/surveys`` and ``inbox/complaints`` and the survey's configuration.

    Returns the inbox folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> inbox = write_demo_inbox(root / "inbox", root / "survey.yaml")
    >>> sorted(p.name for p in inbox.rglob("*.csv"))[:2]
    ['complaint_log.csv', 'posts_export.csv']
    """
    inbox = Path(inbox)
    (inbox / "surveys").mkdir(parents=True, exist_ok=True)
    (inbox / "complaints").mkdir(parents=True, exist_ok=True)
    # a call system's export: every return-visit call with its outcome, the interviews among them
    survey = make_survey(seed=seed, start="2026-09-07", weeks=12, call_outcomes=True)
    export, _ = add_export_noise(survey.export(), survey.config, seed=seed)
    export.to_csv(inbox / "surveys" / "survey_export.csv", index=False, encoding="gb18030")  # as Excel on Chinese Windows
    config = Path(survey_config)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump(survey.config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    log = make_complaints(3000, seed=seed, start="2026-09-01", weeks=13)
    truth = ["category", "request_type", "dangerous", "threat", "incident_true"]
    log.drop(columns=truth).to_csv(inbox / "complaints" / "complaint_log.csv", index=False, encoding="utf-8-sig")
    write_demo_posts(inbox, seed=seed)  # forum and web posts (舆情), in inbox/posts/
    return inbox


def write_demo_settings(root: str | Path) -> Path:
    """A ``cs_toolkit.toml`` for the demo project folder (project names, report targets), unless one exists."""
    path = Path(root) / "cs_toolkit.toml"
    if not path.exists():
        lines = ["# Settings of the demo project (see the README's Settings section).", 'language = "zh"',
                 "", "[targets]  # percent; reports colour figures green (met), amber (close), red (missed)",
                 "nps = 20", "csat_top2 = 80", "sla_rate = 90", "closure_rate = 85", "reopen_rate = 5",
                 "", "[projects]  # display names of project ids"]
        lines += [f'{pid} = "{zh}"' for pid, zh, _ in PROJECTS]
        lines += ["", "[project_aliases]  # other names a project goes by online (forum monitoring)"]
        lines += [f"{pid} = [{', '.join(repr(a).replace(chr(39), chr(34)) for a in PROJECT_ALIASES[pid])}]"
                  for pid, _, _ in PROJECTS if pid in PROJECT_ALIASES]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
