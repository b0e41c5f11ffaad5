"""Reading exports: encodings, delimiters, file types, validation with row accounting."""

from cs_toolkit.io.survey_reader import SurveyData, read_survey, validate_frame
from cs_toolkit.io.tables import RawTable, detect_encoding, read_table

__all__ = ["RawTable", "SurveyData", "detect_encoding", "read_survey", "read_table", "validate_frame"]
