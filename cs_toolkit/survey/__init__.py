"""Survey scoring: design-based estimation, satisfaction scores, reliability, crosstabs."""

from cs_toolkit.survey.design import SurveyDesign
from cs_toolkit.survey.reader import SurveyData, read_survey, validate_frame

__all__ = ["SurveyData", "SurveyDesign", "read_survey", "validate_frame"]
