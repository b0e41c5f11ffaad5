"""Save and load complaint models safely: a skops payload that is data, never code, plus a model card.

A model file is a zip with ``card.json`` (format, taxonomy version, training-data fingerprint, date,
metrics) and ``model.skops`` (written by skops: the feature vocabularies as arrays of n-gram hashes, the
IDF weights and the linear model's coefficients, all plain arrays, numbers and strings). Loading validates
the card, then checks every object of the payload against an explicit list of the exact types a complaint
model is made of (:mod:`cs_toolkit.complaints.payload`) before anything is constructed; a payload of
plain data is then read directly (arrays with ``allow_pickle=False``), without importing skops or
scikit-learn, which keeps ``complaints predict`` quick to start.
"""

from __future__ import annotations

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

FORMAT = "cs_toolkit.complaint_model/3"  # 3: feature choice (cjk_uni block) and margin offsets
READABLE_FORMATS = {"cs_toolkit.complaint_model/2", FORMAT}  # 2 loads as ngrams features without offsets
OLD_FORMATS = {"cs_toolkit.complaint_model/1"}
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
    (:func:`labels_version`), so a model is never taken for one made with another taxonomy. The payload
    holds only arrays, numbers and strings (the feature vocabularies, IDF weights and the linear model),
    whatever feature blocks the corpus had: nothing in it is code or an object to construct.
    """
    import skops.io as sio

    from cs_toolkit import __version__

    if not hasattr(model, "coef_"):
        raise ModelFileError("the model is not fitted: call fit() before save_model()", path=str(path))
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()}
    state = {
        "features": model.features_.state(),
        "coef": np.asarray(model.coef_, dtype=np.float32),
        "intercept": np.asarray(model.intercept_, dtype=np.float32),
        "classes": np.asarray(model.classes_, dtype=str),
        "temperature": float(model.temperature_),
        "platt": np.asarray(model.platt_, dtype=np.float64),
        "review_threshold": float(model.review_threshold_),
        "n_distinct": int(model.n_distinct_),
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
        "training": {"rows": training_rows, "fingerprint": training_fingerprint,
                     "text_features": getattr(model, "text_features_", "ngrams"),
                     "selection": {k: float(v) for k, v in getattr(model, "selection_", {}).items()},
                     "biases": [float(v) for v in getattr(model, "biases_", np.zeros(len(model.classes_)))]},
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
    if card.get("format") in OLD_FORMATS:
        raise ModelFileError(f"{path}: the model was made by an older cs_toolkit ({card.get('format')}); retrain it "
                             f"with `cs-toolkit complaints train` (the old files hold another kind of model)",
                             path=str(path))
    if card.get("format") not in READABLE_FORMATS:
        newer = str(card.get("format", "")).startswith("cs_toolkit.complaint_model/")
        raise ModelFileError(f"{path}: unknown model format {card.get('format')!r}; expected {FORMAT!r}"
                             + (" (made by a newer cs_toolkit? upgrade it, or retrain with this one)" if newer else ""),
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
        trusted = check_payload(blob)  # before anything is constructed
        state = _read_plain(blob)
        if state is None:  # not plain data: let skops build it, trusting only what passed the check
            import skops.io as sio

            state = sio.loads(blob, trusted=trusted)
        _check_state(state)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}", path=str(path), **{k: v for k, v in exc.fields.items()
                                                                   if k != "path"}) from exc
    except Exception as exc:
        raise ModelFileError(f"{path}: the model payload cannot be loaded ({type(exc).__name__}: {exc})",
                             path=str(path)) from exc
    from cs_toolkit.complaints.features import HashedTfidf

    params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in card["params"].items()}
    model = ComplaintClassifier(**params)
    model.features_ = HashedTfidf.from_state(state["features"])
    model.coef_ = np.asarray(state["coef"], dtype=np.float32)
    model.intercept_ = np.asarray(state["intercept"], dtype=np.float32)
    model.classes_ = np.asarray(state["classes"], dtype=object)
    model.classes_index_ = {c: i for i, c in enumerate(model.classes_)}
    model.temperature_ = float(state["temperature"])
    model.platt_ = np.asarray(state["platt"], dtype=np.float64)
    model.review_threshold_ = float(state["review_threshold"])
    model.n_distinct_ = int(state.get("n_distinct", 0))
    training = card.get("training", {})
    model.text_features_ = str(training.get("text_features", "ngrams"))
    model.selection_ = dict(training.get("selection", {}))
    model.biases_ = np.asarray(training.get("biases", np.zeros(len(model.classes_))), dtype=np.float64)
    model.n_features_in_ = 1
    model.oof_precision_ = card["review"]["out_of_fold_precision"]
    model.oof_coverage_ = card["review"]["coverage"]
    if model.coef_.shape != (len(model.classes_), model.features_.n_features):
        raise ModelFileError(f"{path}: the model's parts do not fit together (coefficients {model.coef_.shape} for "
                             f"{len(model.classes_)} classes and {model.features_.n_features} features)",
                             path=str(path))
    return model, card


def _read_plain(blob: bytes):
    """A skops payload made only of dicts (string keys), lists, tuples, JSON scalars and NumPy arrays,
    read without skops: arrays with ``allow_pickle=False``, nothing constructed but those. ``None`` when
    the payload has anything else (then skops reads it, trusting only the allow-listed types)."""
    import io

    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        schema = json.loads(zf.read("schema.json").decode("utf-8"))

        def build(node):
            if not isinstance(node, dict):
                raise _NotPlain
            loader = node.get("__loader__")
            if loader == "DictNode":
                keys = node.get("key_types", {}).get("content", [])
                if any(k.get("__loader__") != "TypeNode" or k.get("__class__") != "str" for k in keys):
                    raise _NotPlain
                return {str(k): build(v) for k, v in node["content"].items()}
            if loader in ("ListNode", "TupleNode"):
                items = [build(v) for v in node["content"]]
                return items if loader == "ListNode" else tuple(items)
            if loader == "JsonNode" and node.get("__module__") == "builtins":
                return json.loads(node["content"])
            if loader == "NdArrayNode" and node.get("type") == "numpy" and node.get("__class__") == "ndarray":
                with zf.open(str(node["file"])) as fh:
                    return np.load(io.BytesIO(fh.read()), allow_pickle=False)
            raise _NotPlain

        try:
            return build(schema)
        except _NotPlain:
            return None


class _NotPlain(Exception):
    pass


def _check_state(state: object) -> None:
    keys = {"features", "coef", "intercept", "classes", "temperature", "platt", "review_threshold"}
    if not isinstance(state, dict) or not keys <= set(state):
        raise ModelFileError("the model payload does not hold a complaint model's parts")
    features = state["features"]
    if not isinstance(features, dict) or not {"names", "vocab", "idf", "offsets", "weights", "blocks"} <= set(features):
        raise ModelFileError("the model payload does not hold a complaint model's features")
    for key in ("coef", "intercept", "classes", "platt"):
        if not isinstance(state[key], np.ndarray) or state[key].dtype == object:
            raise ModelFileError(f"the model payload's {key!r} is not a plain array")


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
