"""Save and load complaint models safely: a skops payload that is data, never code, plus a model card.

A model file is a zip with ``card.json`` (format, taxonomy version, training-data fingerprint, date,
metrics) and ``model.skops`` (the fitted scikit-learn objects). Loading validates the card, then checks
every object of the payload against an explicit list of the exact classes a complaint model is made of
(:mod:`cs_toolkit.complaints.payload`) before anything is constructed.
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
from cs_toolkit.complaints.payload import check_payload
from cs_toolkit.errors import ModelFileError

FORMAT = "cs_toolkit.complaint_model/1"
MAX_PAYLOAD_BYTES = 2**30
# key -> the types its value may have (None: JSON null)
_CARD = {
    "format": (str,), "created": (str,), "cs_toolkit_version": (str,), "taxonomy_version": (str, type(None)),
    "multi_label": (bool,), "label_sep": (str,), "classes": (list,), "params": (dict,), "training": (dict,),
    "review": (dict,), "metrics": (dict,),
}
_REVIEW = {"threshold": (int, float), "target_precision": (int, float),
           "out_of_fold_precision": (int, float, type(None)), "coverage": (int, float, type(None))}


def labels_version(classes: Iterable[object]) -> str:
    """The version of a label set that follows no named taxonomy: a hash of its sorted labels.

    Examples
    --------
    >>> labels_version(["b", "a"]) == labels_version(["a", "b"])
    True
    """
    joined = "\x1f".join(sorted(str(c) for c in classes))
    return "labels-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]


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
    """Write ``model`` and its card to ``path``. Returns the path.

    ``taxonomy_version`` is always recorded: when not given, the version of the model's label set
    (:func:`labels_version`), so a model is never taken for one made with another taxonomy.
    """
    import skops.io as sio

    from cs_toolkit import __version__

    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()}
    # skops writes a dict entry by entry, which makes a 100k-term vocabulary slow to load: keep each
    # vocabulary as one array of terms (ordered by column) and rebuild the dict on loading.
    pipeline = copy.deepcopy(model.pipeline_)
    vocabularies = {}
    for name, vectorizer in pipeline.named_steps["features"].named_transformers_.items():
        if not hasattr(vectorizer, "vocabulary_"):
            continue  # "remainder": the columns a corpus without that script does not use (e.g. no Chinese)
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
        "taxonomy_version": taxonomy_version or labels_version(model.classes_),
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
    """The model card of a model file, validated (unknown keys and wrong types are refused)."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file; train one with `cs-toolkit complaints train`", path=str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            card = json.loads(zf.read("card.json").decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ModelFileError(f"{path}: not a cs_toolkit complaint model (corrupted or foreign file: {exc})",
                             path=str(path)) from exc
    _check_card(card, path)
    return card


def _check_card(card: object, path: Path) -> None:
    def refuse(problem: str):
        raise ModelFileError(f"{path}: invalid model card: {problem}; the file was not made by cs_toolkit or was "
                             f"edited. Retrain the model.", path=str(path))

    if not isinstance(card, dict):
        refuse("not a JSON object")
    if card.get("format") != FORMAT:
        raise ModelFileError(f"{path}: unknown model format {card.get('format')!r}; expected {FORMAT!r}",
                             path=str(path))
    unknown = sorted(set(card) - set(_CARD))
    missing = sorted(k for k in ("classes", "params", "review", "multi_label") if k not in card)
    if unknown or missing:
        refuse(f"unknown key(s) {unknown}" if unknown else f"missing key(s) {missing}")
    for key, types in _CARD.items():
        if key in card and not isinstance(card[key], types):
            refuse(f"{key!r} is a {type(card[key]).__name__}")
    if not all(isinstance(c, str) for c in card["classes"]) or not card["classes"]:
        refuse("'classes' must be a non-empty list of labels")
    allowed = set(ComplaintClassifier().get_params())
    bad_params = sorted(set(card["params"]) - allowed)
    if bad_params:
        refuse(f"unknown parameter(s) {bad_params}")
    if any(not isinstance(v, str | int | float | bool | list | type(None)) for v in card["params"].values()):
        refuse("parameters must be plain values")
    for key, types in _REVIEW.items():
        if not isinstance(card["review"].get(key), types):
            refuse(f"review.{key} is missing or a {type(card['review'].get(key)).__name__}")


def load_model(path: str | Path, taxonomy_version: str | None = None) -> tuple[ComplaintClassifier, dict]:
    """Load a model file; refuse anything but the objects a complaint model is made of and, if a
    ``taxonomy_version`` is required, a model made for any other version (or for none).

    Returns the classifier and its card.
    """
    import skops.io as sio

    path = Path(path)
    card = read_card(path)
    if taxonomy_version is not None and card.get("taxonomy_version") != taxonomy_version:
        raise ModelFileError(
            f"{path}: the model was trained for taxonomy version {card.get('taxonomy_version')!r}, not "
            f"{taxonomy_version!r}; retrain it on data labelled with the current taxonomy.", path=str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("model.skops")
            if info.file_size > MAX_PAYLOAD_BYTES:
                raise ModelFileError(f"{path}: the model payload is {info.file_size} bytes; refused", path=str(path))
            blob = zf.read(info)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelFileError(f"{path}: the model payload is missing or corrupted ({exc})", path=str(path)) from exc
    try:
        trusted = check_payload(blob)  # before skops constructs anything
        state = sio.loads(blob, trusted=trusted)
        _check_state(state)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}", path=str(path), **{k: v for k, v in exc.fields.items()
                                                                   if k != "path"}) from exc
    except Exception as exc:
        raise ModelFileError(f"{path}: the model payload cannot be loaded ({type(exc).__name__}: {exc})",
                             path=str(path)) from exc
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


def _check_state(state: object) -> None:
    keys = {"pipeline", "vocabularies", "classes", "temperature", "platt", "review_threshold", "blocks"}
    if not isinstance(state, dict) or not keys <= set(state):
        raise ModelFileError("the model payload does not hold a complaint model's parts")
    from sklearn.pipeline import Pipeline

    if not isinstance(state["pipeline"], Pipeline) or not isinstance(state["vocabularies"], dict):
        raise ModelFileError("the model payload does not hold a complaint model's pipeline")


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
