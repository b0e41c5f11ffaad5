"""Complaint categorisation in Chinese and English.

``load_taxonomy`` and ``RuleCategorizer`` (cold start), ``ComplaintClassifier`` (learned), ``categorise``
(a whole table with review and escalation flags), ``save_model``/``load_model`` (skops + model card),
``flag_escalations``, ``find_incidents`` (群诉), ``discover_topics``, ``SimilarCases`` (案例库) and the
evaluation helpers.
"""

from cs_toolkit.complaints.categorise import categorise
from cs_toolkit.complaints.escalation import flag_escalations
from cs_toolkit.complaints.evaluate import confusion, cross_validate, evaluation_table, plot_evaluation
from cs_toolkit.complaints.incidents import find_incidents
from cs_toolkit.complaints.model import ComplaintClassifier, TrainingDataError
from cs_toolkit.complaints.persist import ModelFileError, load_model, read_card, save_model
from cs_toolkit.complaints.rules import RuleCategorizer
from cs_toolkit.complaints.similar import SimilarCases
from cs_toolkit.complaints.taxonomy import Taxonomy, load_taxonomy
from cs_toolkit.complaints.topics import discover_topics

__all__ = [
    "ComplaintClassifier", "ModelFileError", "RuleCategorizer", "SimilarCases", "Taxonomy", "TrainingDataError",
    "categorise", "confusion", "cross_validate", "discover_topics", "evaluation_table", "find_incidents",
    "flag_escalations", "load_model", "load_taxonomy", "plot_evaluation", "read_card", "save_model",
]
