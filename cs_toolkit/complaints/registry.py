"""The model registry: every trained complaint model kept with its card and evaluation, one current model,
promotion only when the new model is not worse, rollback in one step.

Layout under ``<root>/models`` (:data:`MODELS_DIR`)::

    index.json                       which model is current, the promotion stack, every event
    current.model                    a copy of the current model: what the reports load
    20261201T080000123456Z-3fa2c1/   one folder per trained model
        complaints.model             the model file (skops + model card, see cs_toolkit.complaints.persist)
        evaluation.json              cross-validated figures, per-class table, the promotion decision
        training_texts.npy           64-bit hashes of the normalised training texts (which rows it learned)

**The promotion rule.** A candidate is promoted when its macro-F1 is not lower than the current model's,
both measured on the same labelled rows, none of which either model learned from:

* the candidate's figure is cross-validated: ``cv`` folds of the labelled data (shuffled, seeded), the
  candidate's configuration refitted on the other folds, each row predicted once (out of fold);
* the current model, as it is, predicts the same rows; rows whose text it was trained on are left out of
  the comparison for both models (the ``training_texts.npy`` hashes say which);
* when fewer than :data:`MIN_COMPARISON_ROWS` rows remain (the current model learned almost all of the
  labelled data), the current model's configuration is refitted on the same folds instead, so both
  figures are cross-validated on the whole labelled set (the comparison then judges the configuration,
  not the data); ``evaluation.json`` names which comparison was made.

The first model is promoted without comparison. ``promote(id)`` makes a kept model current (``force``
overrides a refusal), ``rollback()`` returns to the model that was current before.

Examples
--------
>>> import tempfile
>>> from cs_toolkit.complaints.model import ComplaintClassifier
>>> texts = ["卫生间漏水", "厨房渗水", "阳台漏水", "外墙渗水", "物业费太贵", "乱收费", "停车费涨价", "收费不透明"] * 4
>>> labels = ["leak"] * 4 + ["fees"] * 4
>>> labels = labels * 4
>>> reg = ModelRegistry(tempfile.mkdtemp())
>>> entry = reg.register(ComplaintClassifier(cv=3).fit(texts, labels), texts, labels, cv=3)
>>> entry.promoted, reg.current_id == entry.id, reg.current_path().name
(True, True, 'current.model')
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import secrets
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cs_toolkit.errors import ConfigError, ModelFileError

MODELS_DIR = "models"
INDEX_FILE = "index.json"
CURRENT_FILE = "current.model"
MODEL_FILE = "complaints.model"
EVALUATION_FILE = "evaluation.json"
TRAINING_FILE = "training_texts.npy"
FORMAT = "cs_toolkit.model_registry/1"
#: Fewer held-out rows than this and the comparison refits the current model's configuration instead.
MIN_COMPARISON_ROWS = 30


def text_hashes(texts: Sequence[object]) -> np.ndarray:
    """64-bit hashes of the normalised texts (NFKC, lower case, whitespace removed), as uint64.

    Examples
    --------
    >>> h = text_hashes(["漏水 ", "漏水", "LEAK", "leak"])
    >>> bool(h[0] == h[1]), bool(h[2] == h[3]), h.dtype.name
    (True, True, 'uint64')
    """
    out = np.empty(len(texts), dtype=np.uint64)
    for i, t in enumerate(texts):
        norm = "".join(unicodedata.normalize("NFKC", "" if t is None else str(t)).lower().split())
        out[i] = int.from_bytes(hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest(), "little")
    return out


def current_model_path(root: str | Path) -> Path | None:
    """``<root>/models/current.model`` when a model has been promoted there, else None (what the settings'
    ``model`` can default to)."""
    path = Path(root) / MODELS_DIR / CURRENT_FILE
    return path if path.is_file() else None


@dataclass
class RegistryEntry:
    """A model kept in the registry and the decision taken when it was registered."""

    id: str
    path: Path
    evaluation: dict
    promoted: bool
    reason: str

    @property
    def cv_macro_f1(self) -> float | None:
        return self.evaluation.get("cross_validation", {}).get("macro_f1")


@dataclass
class _Labelled:
    texts: list
    labels: list
    multi_label: bool
    hashes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.hashes = text_hashes(self.texts)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _who(who: str | None) -> str:
    if who:
        return who
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return os.environ.get("USER", "unknown")


class ModelRegistry:
    """Every complaint model trained for a project, and which one is current.

    Parameters
    ----------
    folder : path
        The registry folder (``<root>/models``); created when the first model is registered.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def for_root(cls, root: str | Path) -> ModelRegistry:
        return cls(Path(root) / MODELS_DIR)

    def __repr__(self) -> str:
        return f"ModelRegistry({str(self.folder)!r}, current={self.current_id!r})"

    # ------------------------------------------------------------------ index
    def _lock(self):
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.folder / ".index.lock"), timeout=120)

    def _read_index(self) -> dict:
        path = self.folder / INDEX_FILE
        if not path.exists():
            return {"format": FORMAT, "current": None, "stack": [], "models": {}, "events": []}
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelFileError(f"{path}: the registry index is damaged ({exc}); the model folders beside it are "
                                 f"intact, restore index.json from a backup", path=str(path)) from exc
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            raise ModelFileError(f"{path}: not a cs_toolkit model registry index", path=str(path))
        return index

    def _write_index(self, index: dict) -> None:
        path = self.folder / INDEX_FILE
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(index, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        tmp.replace(path)

    @property
    def current_id(self) -> str | None:
        return self._read_index().get("current")

    def current_path(self) -> Path | None:
        """The current model's file (``current.model``), or None before any promotion."""
        path = self.folder / CURRENT_FILE
        return path if self.current_id and path.is_file() else None

    def path(self, model_id: str) -> Path:
        """The model file of a kept model."""
        index = self._read_index()
        if model_id not in index["models"]:
            raise ConfigError(f"{self.folder}: no model {model_id!r}; models: {sorted(index['models'])}",
                              key=model_id)
        return self.folder / model_id / MODEL_FILE

    def evaluation(self, model_id: str) -> dict:
        return json.loads((self.folder / model_id / EVALUATION_FILE).read_text(encoding="utf-8"))

    def load(self, model_id: str | None = None, taxonomy_version: str | None = None):
        """``(model, card)`` of a kept model (default: the current one)."""
        from cs_toolkit.complaints.persist import load_model

        if model_id is None:
            path = self.current_path()
            if path is None:
                raise ModelFileError(f"{self.folder}: no current model yet; train one with "
                                     f"`cs-toolkit complaints train --from-store`", path=str(self.folder))
            return load_model(path, taxonomy_version=taxonomy_version)
        return load_model(self.path(model_id), taxonomy_version=taxonomy_version)

    def list(self) -> pd.DataFrame:
        """One row per kept model, newest first: id, created, rows, classes, cross-validated macro/micro
        F1, the comparison made when it was registered, and its status (current, previous, kept, refused)."""
        index = self._read_index()
        stack = index.get("stack", [])
        rows = []
        for model_id, m in index["models"].items():
            status = ("current" if model_id == index.get("current") else
                      "previous" if model_id in stack else m.get("status", "kept"))
            rows.append({"id": model_id, "created": m.get("created"), "status": status, "rows": m.get("rows"),
                         "classes": m.get("classes"), "cv_macro_f1": m.get("cv_macro_f1"),
                         "cv_micro_f1": m.get("cv_micro_f1"), "compared_on": m.get("compared_on"),
                         "candidate_f1": m.get("candidate_f1"), "current_f1": m.get("current_f1"),
                         "decision": m.get("decision"), "source": m.get("source")})
        columns = ["id", "created", "status", "rows", "classes", "cv_macro_f1", "cv_micro_f1", "compared_on",
                   "candidate_f1", "current_f1", "decision", "source"]
        return pd.DataFrame(rows, columns=columns).sort_values("id", ascending=False).reset_index(drop=True)

    def events(self) -> pd.DataFrame:
        """Every registration, promotion, refusal and rollback, oldest first."""
        return pd.DataFrame(self._read_index().get("events", []))

    # ------------------------------------------------------------------ register
    def register(self, model, texts: Sequence[object], labels: Sequence, *, cv: int = 5,
                 promote: str = "auto", taxonomy_version: str | None = None, label_sep: str = "|",
                 source: str = "", who: str | None = None, metrics: dict | None = None,
                 random_state: int = 0) -> RegistryEntry:
        """Keep a fitted ``model`` trained on ``texts``/``labels``, evaluate it and promote it if it is not worse.

        Parameters
        ----------
        model : ComplaintClassifier
            The fitted model (its configuration is refitted on folds for the cross-validation).
        texts, labels : sequences
            The labelled data it was trained on (label lists when the model is multi-label); also the data
            both models are compared on.
        cv : int, default 5
            Folds of the cross-validation.
        promote : {"auto", "never", "always"}
            ``auto`` promotes when the comparison allows it (see the module notes); ``never`` only keeps the
            model; ``always`` promotes it whatever the comparison says (recorded as forced).
        taxonomy_version, label_sep, metrics
            Recorded in the model card (see :func:`cs_toolkit.complaints.persist.save_model`).
        source : str
            Where the training data came from (``store``, a file name), for the list.
        """
        from cs_toolkit.complaints.persist import fingerprint, save_model

        if promote not in ("auto", "never", "always"):
            raise ConfigError(f"promote must be 'auto', 'never' or 'always', not {promote!r}")
        texts, labels = list(texts), list(labels)
        data = _Labelled(texts, labels, bool(getattr(model, "multi_label", False)))
        evaluation, oof = self._evaluate(model, data, cv, random_state)
        created = _now()
        model_id = created.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)
        folder = self.folder / model_id
        folder.mkdir(parents=True, exist_ok=False)
        card_metrics = {**(metrics or {}), "registry_id": model_id,
                        "cv_macro_f1": evaluation["cross_validation"]["macro_f1"],
                        "cv_micro_f1": evaluation["cross_validation"]["micro_f1"], "cv_folds": cv}
        save_model(model, folder / MODEL_FILE, taxonomy_version=taxonomy_version,
                   training_fingerprint=fingerprint(texts, labels), training_rows=len(texts),
                   metrics=card_metrics, label_sep=label_sep)
        np.save(folder / TRAINING_FILE, np.unique(data.hashes), allow_pickle=False)
        with self._lock():
            index = self._read_index()
            comparison = self._compare(index, data, oof, evaluation, cv, random_state)
            evaluation["comparison"] = comparison
            if promote == "never":
                promoted, reason = False, "kept without promotion (promote='never')"
            elif promote == "always":
                promoted, reason = True, "promoted by request (promote='always'): " + comparison["summary"]
            else:
                promoted, reason = comparison["passes"], comparison["summary"]
            evaluation["decision"] = {"promoted": promoted, "reason": reason}
            (folder / EVALUATION_FILE).write_text(json.dumps(evaluation, ensure_ascii=False, indent=2),
                                                  encoding="utf-8")
            cvr = evaluation["cross_validation"]
            index["models"][model_id] = {
                "created": created.isoformat(timespec="seconds"), "rows": len(texts),
                "classes": len(getattr(model, "classes_", [])), "multi_label": data.multi_label,
                "cv_macro_f1": cvr["macro_f1"], "cv_micro_f1": cvr["micro_f1"],
                "compared_on": comparison["method"], "candidate_f1": comparison.get("candidate_f1"),
                "current_f1": comparison.get("current_f1"), "decision": "promoted" if promoted else "not promoted",
                "reason": reason, "source": source, "taxonomy_version": taxonomy_version,
                "status": "kept" if promoted or promote == "never" else "refused",
            }
            index["events"].append({"at": created.isoformat(timespec="seconds"), "event": "register",
                                    "id": model_id, "who": _who(who), "reason": reason})
            if promoted:
                self._make_current(index, model_id, who, reason)
            elif promote == "auto":
                index["events"].append({"at": created.isoformat(timespec="seconds"), "event": "refuse",
                                        "id": model_id, "who": _who(who), "reason": reason})
            self._write_index(index)
        return RegistryEntry(model_id, folder / MODEL_FILE, evaluation, promoted, reason)

    def _evaluate(self, model, data: _Labelled, cv: int, random_state: int) -> tuple[dict, list]:
        """Out-of-fold predictions of the model's configuration on its own labelled data."""
        from cs_toolkit.complaints.evaluate import evaluation_table

        oof, folds = _out_of_fold(model, data, cv, random_state)
        table = evaluation_table(_truth(data), oof, multi_label=data.multi_label)
        per_fold = []
        for k in range(folds.max() + 1):
            rows = np.flatnonzero(folds == k)
            t = evaluation_table([_truth(data)[i] for i in rows], [oof[i] for i in rows],
                                 multi_label=data.multi_label)
            per_fold.append({"fold": k + 1, "rows": len(rows), "macro_f1": float(t.loc["macro avg", "f1"]),
                             "micro_f1": float(t.loc["micro avg", "f1"])})
        return {
            "format": "cs_toolkit.model_evaluation/1",
            "rows": len(data.texts),
            "cross_validation": {"folds": cv, "random_state": random_state,
                                 "macro_f1": float(table.loc["macro avg", "f1"]),
                                 "micro_f1": float(table.loc["micro avg", "f1"]), "per_fold": per_fold},
            "per_class": _table_records(table),
        }, oof

    def _compare(self, index: dict, data: _Labelled, oof: list, evaluation: dict, cv: int,
                 random_state: int) -> dict:
        from cs_toolkit.complaints.evaluate import evaluation_table

        current = index.get("current")
        candidate_cv = evaluation["cross_validation"]["macro_f1"]
        if current is None:
            return {"method": "first model", "current_id": None, "passes": True, "candidate_f1": candidate_cv,
                    "current_f1": None, "summary": f"first model (cross-validated macro-F1 {candidate_cv:.3f})"}
        from cs_toolkit.complaints.persist import load_model

        current_model, _card = load_model(self.folder / current / MODEL_FILE)
        seen_path = self.folder / current / TRAINING_FILE
        seen = np.load(seen_path, allow_pickle=False) if seen_path.exists() else np.zeros(0, dtype=np.uint64)
        unseen = np.flatnonzero(~np.isin(data.hashes, seen))
        truth = _truth(data)
        if len(unseen) >= MIN_COMPARISON_ROWS:
            texts = [data.texts[i] for i in unseen]
            current_pred = _predict(current_model, texts)
            y = [truth[i] for i in unseen]
            cand = evaluation_table(y, [oof[i] for i in unseen], multi_label=data.multi_label)
            curr = evaluation_table(y, current_pred, multi_label=data.multi_label)
            method = "rows the current model never learned"
            rows = len(unseen)
        else:
            from sklearn.base import clone

            current_oof, _ = _out_of_fold(clone(current_model), data, cv, random_state)
            cand = evaluation_table(truth, oof, multi_label=data.multi_label)
            curr = evaluation_table(truth, current_oof, multi_label=data.multi_label)
            method = "both configurations cross-validated"
            rows = len(truth)
        c_f1, k_f1 = float(cand.loc["macro avg", "f1"]), float(curr.loc["macro avg", "f1"])
        passes = c_f1 >= k_f1 - 1e-12
        verdict = "not worse: promoted" if passes else "worse: not promoted"
        summary = (f"macro-F1 {c_f1:.3f} against the current model's {k_f1:.3f} on {rows} labelled rows "
                   f"({method}); {verdict}")
        return {"method": method, "current_id": current, "rows": rows, "passes": bool(passes),
                "candidate_f1": c_f1, "current_f1": k_f1,
                "candidate_micro_f1": float(cand.loc["micro avg", "f1"]),
                "current_micro_f1": float(curr.loc["micro avg", "f1"]), "summary": summary}

    # ------------------------------------------------------------------ promote / rollback
    def _make_current(self, index: dict, model_id: str, who: str | None, reason: str) -> None:
        source = self.folder / model_id / MODEL_FILE
        target = self.folder / CURRENT_FILE
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)  # readers see the old model or the new one, never half of one
        stack = [m for m in index.get("stack", []) if m != model_id]
        index["stack"] = [*stack, model_id]
        index["current"] = model_id
        index["models"][model_id]["status"] = "kept"
        index["events"].append({"at": _now().isoformat(timespec="seconds"), "event": "promote", "id": model_id,
                                "who": _who(who), "reason": reason})

    def promote(self, model_id: str, *, force: bool = False, who: str | None = None) -> str:
        """Make a kept model current. A model the comparison refused needs ``force=True``. Returns a message."""
        with self._lock():
            index = self._read_index()
            if model_id not in index["models"]:
                raise ConfigError(f"{self.folder}: no model {model_id!r}; models: {sorted(index['models'])}",
                                  key=model_id)
            entry = index["models"][model_id]
            if model_id == index.get("current"):
                return f"{model_id} is already the current model"
            if entry.get("status") == "refused" and not force:
                raise ConfigError(f"{model_id} was not promoted when it was registered ({entry.get('reason')}); "
                                  f"pass force=True (--force) to promote it anyway", key=model_id)
            reason = "promoted by hand" + (" (forced over the comparison)" if entry.get("status") == "refused" else "")
            self._make_current(index, model_id, who, reason)
            self._write_index(index)
        return f"{model_id} is now the current model ({reason})"

    def rollback(self, *, who: str | None = None) -> str:
        """Make the model that was current before the current one current again. Returns a message."""
        with self._lock():
            index = self._read_index()
            stack = index.get("stack", [])
            if len(stack) < 2:
                raise ConfigError(f"{self.folder}: nothing to roll back to (models promoted so far: {stack})")
            dropped = stack.pop()
            back = stack.pop()
            index["stack"] = stack
            index["models"][dropped]["status"] = "rolled back"
            self._make_current(index, back, who, f"rollback from {dropped}")
            index["events"][-1]["event"] = "rollback"
            self._write_index(index)
        return f"rolled back from {dropped} to {back}"


def _truth(data: _Labelled) -> list:
    if data.multi_label:
        return [list(y) for y in data.labels]
    return [str(y) for y in data.labels]


def _predict(model, texts: Sequence[object]) -> list:
    pred = model.predict_with_confidence(list(texts))["category"].tolist()
    if getattr(model, "multi_label", False):
        return [p.split("|") if p else [] for p in pred]
    return pred


def _out_of_fold(model, data: _Labelled, cv: int, random_state: int) -> tuple[list, np.ndarray]:
    """Each row predicted by the model's configuration refitted without the row's fold; identical texts
    share a fold (a duplicate in the training folds would leak its own label)."""
    from sklearn.base import clone

    from cs_toolkit.errors import TrainingDataError

    n = len(data.texts)
    _, groups = np.unique(data.hashes, return_inverse=True)
    n_groups = int(groups.max()) + 1 if n else 0
    k = min(cv, n_groups)
    if k < 2:
        raise TrainingDataError(f"cross-validation needs at least two distinct texts (found {n_groups})")
    folds = (np.random.default_rng(random_state).permutation(n_groups) % k)[groups]  # seeded, by text
    oof: list = [None] * n
    for fold in range(k):
        train, test = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        try:
            part = clone(model).fit([data.texts[i] for i in train], [data.labels[i] for i in train])
        except TrainingDataError as exc:
            raise TrainingDataError(f"cross-validation fold {fold + 1} of {k} cannot be trained ({exc}); the labelled "
                                    f"data is too small or too uneven for {k} folds: use fewer (--cv)") from exc
        for i, p in zip(test, _predict(part, [data.texts[i] for i in test]), strict=True):
            oof[i] = p
    return oof, folds


def _table_records(table: pd.DataFrame) -> list[dict]:
    out = []
    for label, row in table.iterrows():
        out.append({"label": str(label), "precision": float(row["precision"]), "recall": float(row["recall"]),
                    "f1": float(row["f1"]), "support": int(row["support"])})
    return out


__all__ = ["CURRENT_FILE", "MODELS_DIR", "MIN_COMPARISON_ROWS", "ModelRegistry", "RegistryEntry",
           "current_model_path", "text_hashes"]
