"""Survey scoring: design-based estimation, satisfaction scores, reliability, crosstabs."""

from cs_toolkit.survey.design import SurveyDesign

__all__ = ["SurveyDesign"]
