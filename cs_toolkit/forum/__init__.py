"""Forum and web monitoring (舆情): exported posts read and ingested (``inbox/posts``), matched to the
company's projects by name and alias, categorised with the complaint model or taxonomy, scored for negativity
and escalation, watched for volume spikes per project and day, summarised for the monthly report and
announced by alerts.

``read_posts`` (exports), ``match_projects``, ``negativity``, ``analyse_posts`` (all of it on one table),
``volume_spikes`` (EWMA control chart), ``monthly_forum`` (the monthly report's section), ``forum_alerts`` and
``send_forum_alerts`` (notifications for spikes and P1 posts), ``check_forum`` (the hourly check on the store).
"""

from __future__ import annotations

from cs_toolkit._lazy import lazy_names

_EXPORTS = {
    "read_posts": "reader",
    "PostLog": "reader",
    "match_projects": "projects",
    "project_terms": "projects",
    "negativity": "sentiment",
    "NEGATIVE_THRESHOLD": "sentiment",
    "analyse_posts": "analyse",
    "volume_spikes": "spikes",
    "SPIKE_RULE": "spikes",
    "monthly_forum": "monthly",
    "ForumMonth": "monthly",
    "forum_alerts": "alerts",
    "send_forum_alerts": "alerts",
    "Alert": "alerts",
    "check_forum": "alerts",
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _EXPORTS)
