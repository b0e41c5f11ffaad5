"""Complaint categorisation in Chinese and English.

``load_taxonomy`` and ``RuleCategorizer`` (cold start), ``ComplaintClassifier`` (learned), ``categorise``
(a whole table with review and escalation flags), ``save_model``/``load_model`` (skops + model card),
``flag_escalations``, ``find_incidents`` (群诉), ``discover_topics``, ``SimilarCases`` (案例库), the
evaluation helpers, the review loop (``review_queue``, ``write_review_workbook``, ``import_review``,
``labelled_set``) and the model registry (``ModelRegistry``, ``current_model_path``).
"""

from __future__ import annotations

from cs_toolkit._lazy import lazy_names

# Loaded on first use: `cs-toolkit complaints predict` should not pay for clustering or metrics imports.
_EXPORTS = {
    "categorise": "categorise_table",  # not a module named like the function: importing it would shadow it
    "flag_escalations": "escalation",
    "confusion": "evaluate",
    "cross_validate": "evaluate",
    "evaluation_table": "evaluate",
    "plot_evaluation": "evaluate",
    "find_incidents": "incidents",
    "incident_timelines": "incidents",
    "escalation_level": "escalation",
    "read_complaint_log": "reader",
    "ComplaintClassifier": "model",
    "TrainingDataError": "model",
    "ModelFileError": "persist",
    "load_model": "persist",
    "read_card": "persist",
    "save_model": "persist",
    "RuleCategorizer": "rules",
    "SimilarCases": "similar",
    "Taxonomy": "taxonomy",
    "load_taxonomy": "taxonomy",
    "discover_topics": "topics",
    "ModelRegistry": "registry",
    "current_model_path": "registry",
    "allowed_categories": "review",
    "import_review": "review",
    "labelled_set": "review",
    "review_queue": "review",
    "write_review_workbook": "review",
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _EXPORTS)
