"""Seeded demo data made by the project's own generators: surveys with known population values,
complaint logs with true labels, forum and web posts with a spike and a safety post, and a whole demo inbox
of exports for the main job.

Examples
--------
>>> from cs_toolkit import demo
>>> demo.make_survey(seed=0).data.shape[0] > 500, len(demo.make_complaints(200, seed=0)) >= 200
(True, True)
"""

from cs_toolkit.demo.complaints import make_complaints
from cs_toolkit.demo.inbox import write_demo_inbox, write_demo_settings
from cs_toolkit.demo.places import CHANNELS, PROJECTS, TOUCHPOINTS
from cs_toolkit.demo.posts import PROJECT_ALIASES, make_posts, write_demo_posts
from cs_toolkit.demo.survey import (
    ZH_COLUMNS,
    DemoSurvey,
    add_export_noise,
    demo_config,
    draw_sample,
    make_large_survey,
    make_population,
    make_survey,
    population_truth,
)

__all__ = ["CHANNELS", "PROJECTS", "PROJECT_ALIASES", "TOUCHPOINTS", "ZH_COLUMNS", "DemoSurvey", "add_export_noise",
           "demo_config", "draw_sample", "make_complaints", "make_large_survey", "make_population", "make_posts",
           "make_survey", "population_truth", "write_demo_inbox", "write_demo_posts", "write_demo_settings"]
