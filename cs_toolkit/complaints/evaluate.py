"""Evaluation of a categoriser: per-class precision/recall/F1, macro and micro, confusion, cross-validation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer


def evaluation_table(y_true, y_pred, multi_label: bool = False) -> pd.DataFrame:
    """Per-class ``precision``, ``recall``, ``f1``, ``support``, then ``micro avg``, ``macro avg``, ``weighted avg``.

    ``y_true``/``y_pred`` are label sequences, or (``multi_label``) sequences of label lists.

    Examples
    --------
    >>> t = evaluation_table(["a", "a", "b", "c"], ["a", "b", "b", "c"])
    >>> t.loc["macro avg", "f1"].round(3)
    np.float64(0.778)
    """
    if multi_label:
        mlb = MultiLabelBinarizer()
        mlb.fit(list(y_true) + list(y_pred))
        yt, yp, labels = mlb.transform(y_true), mlb.transform(y_pred), list(mlb.classes_)
        kw = {}
    else:
        yt, yp = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
        labels = sorted(set(yt) | set(yp))
        kw = {"labels": labels}
    p, r, f, s = precision_recall_fscore_support(yt, yp, zero_division=0, **kw)
    table = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=labels)
    for avg in ("micro", "macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(yt, yp, average=avg, zero_division=0, **kw)
        table.loc[f"{avg} avg"] = [ap, ar, af, int(s.sum())]
    table["support"] = table["support"].astype(int)
    return table


def confusion(y_true: Sequence[str], y_pred: Sequence[str]) -> pd.DataFrame:
    """Confusion matrix (rows: true, columns: predicted) of single-label predictions."""
    labels = sorted(set(y_true) | set(y_pred))
    return pd.DataFrame(confusion_matrix(list(y_true), list(y_pred), labels=labels), index=labels, columns=labels)


def cross_validate(model, texts: Sequence[object], labels, cv: int = 5, random_state: int = 0) -> pd.DataFrame:
    """Macro and micro F1 of ``model`` (refitted) on each of ``cv`` folds, plus their mean."""
    from sklearn.base import clone

    texts = list(texts)
    labels = list(labels)
    rows = []
    for k, (train, test) in enumerate(KFold(cv, shuffle=True, random_state=random_state).split(texts), start=1):
        m = clone(model).fit([texts[i] for i in train], [labels[i] for i in train])
        pred = m.predict_with_confidence([texts[i] for i in test])["category"].tolist()
        if getattr(model, "multi_label", False):
            truth = [labels[i] for i in test]
            pred = [p.split("|") for p in pred]
        else:
            truth = [labels[i] for i in test]
        table = evaluation_table(truth, pred, multi_label=getattr(model, "multi_label", False))
        rows.append({"fold": k, "macro_f1": table.loc["macro avg", "f1"], "micro_f1": table.loc["micro avg", "f1"]})
    out = pd.DataFrame(rows)
    out.loc[len(out)] = {"fold": "mean", "macro_f1": out["macro_f1"].mean(), "micro_f1": out["micro_f1"].mean()}
    return out


def plot_evaluation(table: pd.DataFrame, title: str = "F1 by category"):
    """Horizontal bar chart of per-class F1 (with support), as a matplotlib Figure."""
    import matplotlib.pyplot as plt

    from cs_toolkit.fonts import use_cjk_font

    use_cjk_font()

    per_class = table.drop(index=[i for i in table.index if str(i).endswith(" avg")]).sort_values("f1")
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(per_class) + 1.2))
    ax.barh([f"{i} (n={s})" for i, s in zip(per_class.index, per_class["support"], strict=True)], per_class["f1"])
    ax.axvline(table.loc["macro avg", "f1"], color="grey", linestyle="--", label="macro F1")
    ax.set_xlim(0, 1)
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
