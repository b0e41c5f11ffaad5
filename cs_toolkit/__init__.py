"""cs_toolkit: customer-satisfaction research for customer-service and after-sales departments.

>>> import cs_toolkit as cs
>>> survey = cs.demo.make_survey(seed=0)
>>> design = cs.SurveyDesign(survey.data, weights="weight", strata="project", psu="building")
>>> design.nps("recommend")[["estimate", "se"]].round(1).to_dict("records")
[{'estimate': -9.8, 'se': 4.4}]
"""

from __future__ import annotations

from cs_toolkit._lazy import lazy_names

__version__ = "0.1.0"

# Loaded on first use, so that a command-line call pays only for the parts it uses (scipy.stats alone
# costs a second to import).
_EXPORTS = {
    "SurveyDesign": "cs_toolkit.survey.design",
    "ScoringConfig": "cs_toolkit.survey.config",
    "SurveyData": "cs_toolkit.survey.reader",
    "read_survey": "cs_toolkit.survey.reader",
    "validate_frame": "cs_toolkit.survey.reader",
    "ScoreReport": "cs_toolkit.survey.scores",
    "cronbach_alpha": "cs_toolkit.survey.scores",
    "response_rate": "cs_toolkit.survey.scores",
    "call_outcomes": "cs_toolkit.survey.scores",
    "score_survey": "cs_toolkit.survey.scores",
    "Store": "cs_toolkit.store",
    "key_drivers": "cs_toolkit.satisfaction.drivers",
    "PLSPathModel": "cs_toolkit.satisfaction.pls",
    "kano_table": "cs_toolkit.satisfaction.kano",
    "servqual_gaps": "cs_toolkit.satisfaction.servqual",
    "quadrant_chart": "cs_toolkit.satisfaction.charts",
    "Settings": "cs_toolkit.settings",
    "load_settings": "cs_toolkit.settings",
}
_SUBMODULES = {"demo", "io", "survey", "complaints", "reports", "store", "satisfaction"}
__getattr__, __dir__, __all__ = lazy_names(__name__, _EXPORTS, _SUBMODULES)
__all__ = [*__all__, "__version__"]
