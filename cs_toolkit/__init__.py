"""cs_toolkit: customer-satisfaction research for customer-service and after-sales departments.

>>> import cs_toolkit as cs
>>> survey = cs.demo.make_survey(seed=0)
>>> design = cs.SurveyDesign(survey.data, weights="weight", strata="project", psu="building")
>>> design.nps("recommend")[["estimate", "se"]].round(1).to_dict("records")
[{'estimate': -9.8, 'se': 4.4}]
"""

from cs_toolkit import demo
from cs_toolkit.io import SurveyData, read_survey, validate_frame
from cs_toolkit.survey.config import ScoringConfig
from cs_toolkit.survey.design import SurveyDesign
from cs_toolkit.survey.scores import ScoreReport, cronbach_alpha, response_rate, score_survey

__version__ = "0.1.0"
__all__ = [
    "ScoreReport", "ScoringConfig", "SurveyData", "SurveyDesign", "__version__", "cronbach_alpha", "demo",
    "read_survey", "response_rate", "score_survey", "validate_frame",
]
