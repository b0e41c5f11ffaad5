"""cs_toolkit: customer-satisfaction research for customer-service and after-sales departments."""

from cs_toolkit.survey.design import SurveyDesign

__version__ = "0.1.0"
__all__ = ["SurveyDesign", "__version__"]
