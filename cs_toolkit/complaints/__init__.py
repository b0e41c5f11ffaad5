"""Complaint categorisation in Chinese and English.

``load_taxonomy`` and ``RuleCategorizer`` (cold start), ``ComplaintClassifier`` (learned), ``categorise``
(a whole table with review and escalation flags), ``save_model``/``load_model`` (skops + model card),
``flag_escalations``, ``find_incidents`` (群诉), ``discover_topics``, ``SimilarCases`` (案例库), the
evaluation helpers, the review loop (``review_queue``, ``write_review_workbook``, ``import_review``,
``labelled_set``) and the model registry (``ModelRegistry``, ``current_model_path``).
"""

from __future__ import annotations

import importlib

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
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cs_toolkit.complaints' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cs_toolkit.complaints.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
