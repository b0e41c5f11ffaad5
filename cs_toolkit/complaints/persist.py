"""Save and load complaint models safely: skops (loading never runs foreign code) plus a model card.

A model file is a zip with ``card.json`` (format, taxonomy version, training-data fingerprint, date,
metrics) and ``model.skops`` (the fitted scikit-learn objects). Loading refuses any type outside
scikit-learn, NumPy and SciPy before anything is constructed.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from cs_toolkit.complaints.model import ComplaintClassifier
from cs_toolkit.errors import ModelFileError

FORMAT = "cs_toolkit.complaint_model/1"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")


def fingerprint(texts: Iterable[object], labels: Iterable[object]) -> str:
    """SHA-256 of the training texts and labels, to tell later which data a model learned from."""
    h = hashlib.sha256()
    for t, y in zip(texts, labels, strict=True):
        h.update(str(t).encode("utf-8"))
        h.update(b"\x1f")
        h.update(("|".join(map(str, y)) if isinstance(y, list | tuple) else str(y)).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def save_model(model: ComplaintClassifier, path: str | Path, *, taxonomy_version: str | None = None,
               training_fingerprint: str | None = None, training_rows: int | None = None,
               metrics: dict | None = None, label_sep: str = "|") -> Path:
    """Write ``model`` and its card to ``path``. Returns the path."""
    import skops.io as sio

    from cs_toolkit import __version__

    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()}
    # skops writes a dict entry by entry, which makes a 100k-term vocabulary slow to load: keep each
    # vocabulary as one array of terms (ordered by column) and rebuild the dict on loading.
    pipeline = copy.deepcopy(model.pipeline_)
    vocabularies = {}
    for name, vectorizer in pipeline.named_steps["features"].named_transformers_.items():
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        vocabularies[name] = np.asarray(terms, dtype=str)
        vectorizer.vocabulary_ = {}
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_  # terms pruned by min_df/max_features: not needed to predict
    state = {
        "pipeline": pipeline,
        "vocabularies": vocabularies,
        "classes": np.asarray(model.classes_, dtype=str),
        "temperature": float(getattr(model, "temperature_", 1.0)),
        "platt": np.asarray(getattr(model, "platt_", np.zeros((0, 2)))),
        "review_threshold": float(model.review_threshold_),
        "blocks": list(model._blocks),
        "n_distinct": int(model._n_distinct),
    }
    card = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cs_toolkit_version": __version__,
        "taxonomy_version": taxonomy_version,
        "multi_label": bool(model.multi_label),
        "label_sep": label_sep,
        "classes": [str(c) for c in model.classes_],
        "params": params,
        "training": {"rows": training_rows, "fingerprint": training_fingerprint},
        "review": {"threshold": float(model.review_threshold_), "target_precision": model.review_precision,
                   "out_of_fold_precision": _num(model.oof_precision_), "coverage": _num(model.oof_coverage_)},
        "metrics": metrics or {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("card.json", json.dumps(card, ensure_ascii=False, indent=2))
        zf.writestr("model.skops", sio.dumps(state))
    tmp.replace(path)  # a half-written model never replaces a good one
    return path


def read_card(path: str | Path) -> dict:
    """The model card of a model file."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file; train one with `cs-toolkit complaints train`")
    try:
        with zipfile.ZipFile(path) as zf:
            card = json.loads(zf.read("card.json").decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: not a cs_toolkit complaint model (corrupted or foreign file: {exc})") from exc
    if card.get("format") != FORMAT:
        raise ModelFileError(f"{path}: unknown model format {card.get('format')!r}; expected {FORMAT!r}")
    return card


def load_model(path: str | Path, taxonomy_version: str | None = None) -> tuple[ComplaintClassifier, dict]:
    """Load a model file; refuse foreign types and, if given, another taxonomy version.

    Returns the classifier and its card.
    """
    import skops.io as sio

    path = Path(path)
    card = read_card(path)
    if taxonomy_version is not None and card.get("taxonomy_version") not in (None, taxonomy_version):
        raise ModelFileError(
            f"{path}: the model was trained for taxonomy version {card['taxonomy_version']!r}, not "
            f"{taxonomy_version!r}; retrain it on data labelled with the current taxonomy."
        )
    with zipfile.ZipFile(path) as zf:
        blob = zf.read("model.skops")
    try:
        # skops' defaults trust only scikit-learn/NumPy/SciPy building blocks; anything else raises here,
        # before it is constructed.
        state = sio.loads(blob)
    except Exception as exc:
        try:
            untrusted = sio.get_untrusted_types(data=blob)
        except Exception:
            untrusted = []
        foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if foreign:
            raise ModelFileError(f"{path}: refuses to load types outside scikit-learn/NumPy/SciPy: {foreign[:5]}") from exc
        if not untrusted:
            raise ModelFileError(f"{path}: the model payload is corrupted ({type(exc).__name__}: {exc})") from exc
        try:
            state = sio.loads(blob, trusted=untrusted)
        except Exception as exc2:
            raise ModelFileError(f"{path}: the model payload cannot be loaded ({type(exc2).__name__}: {exc2})") from exc2
    features = state["pipeline"].named_steps["features"].named_transformers_
    for name, terms in state["vocabularies"].items():
        features[name].vocabulary_ = dict(zip(terms.tolist(), range(len(terms)), strict=True))
    params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in card["params"].items()}
    model = ComplaintClassifier(**params)
    model.pipeline_ = state["pipeline"]
    model.classes_ = np.asarray(state["classes"], dtype=object)
    model.temperature_ = state["temperature"]
    model.platt_ = np.asarray(state["platt"])
    model.review_threshold_ = state["review_threshold"]
    model._blocks = tuple(state["blocks"])
    model._n_distinct = state.get("n_distinct", 0)  # only used when fitting; older files lack it
    model.oof_precision_ = card["review"]["out_of_fold_precision"]
    model.oof_coverage_ = card["review"]["coverage"]
    return model, card


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
