"""Categorise a complaint table: category, confidence, review flag and escalation flags for every row."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cs_toolkit.complaints.escalation import flag_escalations
from cs_toolkit.complaints.text import normalize_many
from cs_toolkit.errors import ConfigError

if TYPE_CHECKING:
    from cs_toolkit.complaints.model import ComplaintClassifier
    from cs_toolkit.complaints.taxonomy import Taxonomy

RULE_REVIEW_BELOW = 0.6  # rules are explainable but coarse: weak matches go to a person


def categorise(
    frame: pd.DataFrame,
    text: str,
    *,
    model: ComplaintClassifier | None = None,
    taxonomy: Taxonomy | None = None,
    label_sep: str = "|",
    **escalation,
) -> pd.DataFrame:
    """Every input column plus ``category``, ``confidence``, ``category_2`` and ``confidence_2`` (a close
    second category, from a model: see :mod:`cs_toolkit.complaints.model`), ``needs_review``,
    ``review_reason``, ``request_type`` (rules), the escalation flags, ``escalation_level`` and
    ``escalation_reason``.

    Give a trained ``model`` or a ``taxonomy`` (cold start). Every input row is in the output: empty
    texts get no category and a review reason. Keyword arguments go to :func:`flag_escalations`
    (``customer=``, ``created=``, ``responded=``, ``sla_hours=``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from cs_toolkit.complaints import load_taxonomy
    >>> df = pd.DataFrame({"text": ["厨房燃气味很大", "", "物业费太贵"]})
    >>> out = categorise(df, "text", taxonomy=load_taxonomy())
    >>> out[["category", "needs_review", "escalate_safety"]].values.tolist()
    [['quality.equipment', False, True], ['', True, False], ['property.fees', False, False]]
    """
    if (model is None) == (taxonomy is None):
        raise ConfigError("categorise() needs exactly one of model= (a trained ComplaintClassifier) or "
                          "taxonomy= (keyword rules, e.g. load_taxonomy())")
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"categorise() takes a pandas DataFrame, not {type(frame).__name__}")
    if text not in frame.columns:
        from cs_toolkit.io.tables import RawTable

        RawTable(Path("<DataFrame>"), frame, pd.DataFrame()).require([text], "(the text column)")
    out = frame.copy()
    texts = out[text].tolist()
    empty = pd.Series([t == "" for t in normalize_many(texts)], index=out.index)
    reasons = pd.Series("", index=out.index, dtype=object)
    if model is not None:
        pred = model.predict_with_confidence(texts, sep=label_sep)
        for col in ("category", "confidence", "category_2", "confidence_2"):
            out[col] = pred[col].to_numpy()
        out["needs_review"] = pred["needs_review"].to_numpy()
        reasons[out["needs_review"].to_numpy()] = "confidence below the review threshold"
        reasons[(pred["confidence"] == 0).to_numpy()] = "no word or character the model knows"
        rules = None
    else:
        from cs_toolkit.complaints.rules import RuleCategorizer

        rules = RuleCategorizer(taxonomy).categorise(texts)
        out["category"] = rules["category"].to_numpy()
        out["confidence"] = rules["confidence"].to_numpy()
        weak = rules["confidence"].to_numpy() < RULE_REVIEW_BELOW
        out["needs_review"] = weak
        reasons[weak] = "no keyword matched"
        out["matched"] = rules["matched"].to_numpy()
    out.loc[empty.to_numpy(), ["category"]] = ""
    out.loc[empty.to_numpy(), "confidence"] = 0.0
    if "category_2" in out:
        out.loc[empty.to_numpy(), "category_2"] = ""
        out.loc[empty.to_numpy(), "confidence_2"] = float("nan")
    out.loc[empty.to_numpy(), "needs_review"] = True
    reasons[empty] = "empty text"
    out["review_reason"] = reasons.to_numpy()
    if rules is not None:
        out["request_type"] = rules["request_type"].to_numpy()
    flags = flag_escalations(out, text, **escalation)
    for col in flags.columns:
        out[col] = flags[col].to_numpy()
    return out
