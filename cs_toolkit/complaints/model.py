"""The learned complaint categoriser: a scikit-learn estimator for Chinese and English complaint text.

Features (:mod:`cs_toolkit.complaints.features`) are TF-IDF character n-grams inside runs of Chinese
characters (Chinese without a word segmenter, robust to typos), Latin-script words and word bigrams,
and character n-grams of the Latin words; each block only when the training corpus has that script.
They are hashed n-grams computed with NumPy for all texts at once, so prediction does not call Python
per text. The classifier is a class-balanced linear SVM (one-vs-rest per label for multi-label data,
averaged with an NB-SVM there, which measurably helps); the ensemble is itself one linear model.

Confidence is calibrated on out-of-fold scores (temperature-scaled softmax for one label, Platt scaling
per label for several), and the same out-of-fold predictions choose the review threshold that meets a
target precision. Above 20,000 distinct training texts, a model trained on 20,000 of them scores
20,000 others instead (see ``_out_of_fold_scores``).

**Second category.** Every prediction also names the most probable category it did not choose
(``category_2``, ``confidence_2``) when that one is *close*: its calibrated probability is at least
``second_ratio`` (default 0.4) times that of the chosen category — for two candidates sharing the
probability, a 70/30 split or closer — (for multi-label models, which give every label above its
threshold in ``category``, times that of the weakest chosen label). Otherwise ``category_2`` is ""
and ``confidence_2`` is NaN. A complaint that raises two issues ("电梯经常停运，卫生间顶棚漏水") then
often carries both: on generated two-issue complaints, both are named for about 45%. Out of fold on the
shared data (5-fold), this rule names a second category for 17% (CFPB) and 13% (车质网) of complaints;
it is right for 27-29% of those, where the first is right for half (CFPB), and recovers a quarter of
CFPB's errors.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cs_toolkit.complaints.features import HashedTfidf
from cs_toolkit.complaints.text import normalize_many
from cs_toolkit.errors import TrainingDataError

log = logging.getLogger(__name__)
LARGE = 20_000  # above this many distinct training texts, one 20k/20k split calibrates instead of cv folds
PREDICT_CHUNK = 25_000  # distinct texts featurised at once (about 100 MB for short complaints)
SVM_TOL = 1e-2  # liblinear tolerance: 1e-3 gave the same cross-validated F1, 1.6 times slower
MIN_BALANCED_COUNT = 5  # "balanced" class weights treat smaller classes as this large (see class_weight)


def clean_label(label: object) -> str:
    """A label as given, without stray or full-width spaces and with full-width letters made ordinary.

    Examples
    --------
    >>> clean_label("  Ｍortgage　 loan ")
    'Mortgage loan'
    """
    text = unicodedata.normalize("NFKC", str(label))
    return " ".join(text.split())


class ComplaintClassifier:
    """Categorise complaint texts (Chinese, English or mixed), single- or multi-label.

    Parameters
    ----------
    multi_label : bool, default False
        Each complaint may have several categories; ``fit`` then takes a list of label lists.
    C : float, default 0.5
        Inverse regularisation of the linear SVM.
    char_ngram : tuple, default (1, 3)
        Character n-gram range inside Chinese runs (the lower end is always 1).
    use_jieba : bool, default False
        Add Chinese words from jieba (slower to predict; it did not help on the shared data).
    word_weight : float, default 0.5
        Weight of the Latin word blocks against the Chinese character block in mixed texts.
    word_min_df : int, default 2
        Latin words and their n-grams seen in fewer training texts are ignored (typos, ids), when there
        are at least 300 distinct training texts.
    class_weight : "balanced" or None
        Weight classes inversely to their frequency (rare categories are not drowned), as scikit-learn's
        "balanced" (``n / (k * n_c)`` for ``n`` distinct texts in ``k`` classes), except that a category
        with fewer than ``MIN_BALANCED_COUNT`` (5) examples is weighted as if it had 5: a weight of 20 or
        more on one or two texts made the SVM fit them exactly and predict their category elsewhere. On
        CFPB, trained on Product › Sub-product leaves and scored at Product level, this raised macro-F1
        from 0.505 to 0.611 (5-fold, legacy products only in training, mean of 3 seeds); Product-level
        models were unchanged (0.679 vs 0.680).
    ensemble : {"auto", "svm", "svm+nbsvm"}, default "auto"
        Average an NB-SVM with the SVM of each label of a multi-label model ("auto" does, "svm" does
        not): it raised 车质网's cross-validated micro-F1 by about 0.01. Single-label models are the SVM
        alone (an NB-SVM or logistic regression beside it did not help on CFPB).
    text_features : {"auto", "ngrams", "short"}, default "auto"
        Features of Chinese text. "ngrams": character 1..``char_ngram[1]``-grams. "short": 1-2-grams, and
        single characters again as a block of their own (one-line complaints and titles, where 3-grams
        are mostly brand and place names; see :mod:`cs_toolkit.complaints.features`). "auto" tries both
        on the same out-of-fold split and keeps the better (``text_features_``, both scores in
        ``selection_``). Corpora without Chinese have one choice.
    tune_biases : bool, default True
        Single-label models: per-category offsets of the margins, chosen on the out-of-fold scores to
        maximise macro-F1 (categories with 10+ examples; halved against overfitting). They raised CFPB's
        cross-validated macro-F1 by 0.011 (mean of six 5-fold splits, higher in each).
    second_ratio : float, default 0.4
        How close a second category must be to be reported (see the module's docstring).
    review_precision : float, default 0.9
        Precision that confident predictions must reach; predictions below the threshold chosen on
        out-of-fold data go to the review queue.
    cv : int, default 5
        Folds for the out-of-fold scores that calibrate confidence and pick the review threshold.
    random_state : int, default 0

    Attributes
    ----------
    classes_ : ndarray
        Category labels.
    coef_, intercept_ : ndarray
        The linear model over the features (one row per category).
    features_ : HashedTfidf
        The fitted feature extractor.
    text_features_ : str
        The Chinese features used ("ngrams" or "short"; "ngrams" when the corpus has no Chinese).
    selection_ : dict
        Out-of-fold score of each feature choice tried (macro-F1; the mean of macro- and micro-F1 for
        multi-label models).
    biases_ : ndarray
        The per-category offsets added to ``intercept_`` (zeros unless ``tune_biases`` for one label).
    review_threshold_ : float
        Confidence below which ``needs_review`` is True.
    oof_precision_, oof_coverage_ : float
        Out-of-fold precision of the confident predictions and the share of them.

    Examples
    --------
    >>> from cs_toolkit.complaints.model import ComplaintClassifier
    >>> texts = ["卫生间漏水", "厨房顶棚渗水", "物业费太贵", "物业乱收费", "water leaking from ceiling", "fees too high"] * 5
    >>> labels = ["leak", "leak", "fees", "fees", "leak", "fees"] * 5
    >>> clf = ComplaintClassifier(cv=3).fit(texts, labels)
    >>> clf.predict(["阳台漏水严重", "the service fee is too high"]).tolist()
    ['leak', 'fees']
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        multi_label: bool = False,
        C: float = 0.5,
        char_ngram: tuple[int, int] = (1, 3),
        use_jieba: bool = False,
        word_weight: float = 0.5,
        word_min_df: int = 2,
        class_weight: str | None = "balanced",
        ensemble: str = "auto",
        text_features: str = "auto",
        tune_biases: bool = True,
        second_ratio: float = 0.4,
        review_precision: float = 0.9,
        cv: int = 5,
        random_state: int = 0,
    ) -> None:
        self.multi_label = multi_label
        self.C = C
        self.char_ngram = char_ngram
        self.use_jieba = use_jieba
        self.word_weight = word_weight
        self.word_min_df = word_min_df
        self.class_weight = class_weight
        self.ensemble = ensemble
        self.text_features = text_features
        self.tune_biases = tune_biases
        self.second_ratio = second_ratio
        self.review_precision = review_precision
        self.cv = cv
        self.random_state = random_state

    # ------------------------------------------------------------------ the scikit-learn estimator API
    # Implemented here rather than inherited from sklearn.base, so that predicting (and starting the
    # command line) does not import scikit-learn: it costs more than half a second per process.
    @classmethod
    def _param_names(cls) -> list[str]:
        import inspect

        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """Parameters of this estimator (as ``sklearn.base.BaseEstimator.get_params``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> ComplaintClassifier:
        """Set parameters (as ``sklearn.base.BaseEstimator.set_params``)."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for ComplaintClassifier; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        default = type(self)()
        changed = {k: v for k, v in self.get_params().items() if v != getattr(default, k)}
        return f"ComplaintClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(multi_label=bool(self.multi_label)),
                    input_tags=InputTags(one_d_array=True, two_d_array=False, string=True))

    def score(self, X, y) -> float:
        """Accuracy (single-label) or the share of exactly right label sets (multi-label)."""
        pred = self.predict(X)
        if self.multi_label:
            target = self._binarize([[clean_label(v) for v in row] for row in y])
            return float((pred == target).all(axis=1).mean())
        return float((pred == np.asarray([clean_label(v) for v in y], dtype=object)).mean())

    # ------------------------------------------------------------------ helpers
    def _binarize(self, label_lists) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_)}
        out = np.zeros((len(label_lists), len(self.classes_)), dtype=np.int8)
        for r, labels in enumerate(label_lists):
            for lab in labels:
                if lab in index:
                    out[r, index[lab]] = 1
        return out

    def _targets(self, y) -> tuple[np.ndarray, np.ndarray]:
        _report_cleaned_labels(y, self.multi_label)
        if self.multi_label:
            sets = []
            for v in y:
                if isinstance(v, str) or not hasattr(v, "__iter__"):
                    raise TrainingDataError("multi_label=True needs a list of labels for every text, e.g. "
                                            "[['noise'], ['noise', 'fees']]; split the label column first")
                sets.append(sorted({clean_label(lab) for lab in v if clean_label(lab)}))
            classes = np.array(sorted({lab for s in sets for lab in s}), dtype=object)
            self.classes_ = classes
            return self._binarize(sets), classes
        labels = np.asarray([clean_label(v) for v in y], dtype=object)
        return labels, np.array(sorted(set(labels)), dtype=object)

    def _features(self, texts: list[str], fit: bool = False):
        extra = None
        if self.use_jieba:
            from cs_toolkit.complaints.text import chinese_words

            extra = chinese_words(texts)
        if fit:
            return self.features_.fit_transform(texts, extra_words=extra)
        return self.features_.transform(texts, extra_words=extra)

    def _feature_extractor(self, kind: str) -> HashedTfidf:
        """The unfitted features of one choice; every block is tried, and the fitted extractor keeps
        those the corpus has (no Chinese: no Chinese block)."""
        min_df = self.word_min_df if self.n_distinct_ >= 300 else 1
        latin = {"word": self.word_weight, "latin_char": self.word_weight, "cjk_word": self.word_weight}
        if kind == "short":
            return HashedTfidf(("cjk", "cjk_uni", "word", "latin_char"),
                               {"cjk": 1.0, "cjk_uni": 1.0, **latin}, cjk_max_n=2,
                               min_df={"word": min_df, "latin_char": min_df, "cjk_word": min_df})
        return HashedTfidf(("cjk", "word", "latin_char"), {"cjk": 1.0, **latin}, cjk_max_n=tuple(self.char_ngram)[1],
                           min_df={"word": min_df, "latin_char": min_df, "cjk_word": min_df})

    def _uses_nbsvm(self) -> bool:
        return self.ensemble == "svm+nbsvm" or (self.ensemble == "auto" and bool(self.multi_label))

    def _class_weights(self, y: np.ndarray) -> dict | None:
        """``class_weight`` for one fit: "balanced" with small classes counted as ``MIN_BALANCED_COUNT``."""
        if self.class_weight is None:
            return None
        classes, counts = np.unique(y, return_counts=True)
        return {c: len(y) / (len(classes) * max(int(n), MIN_BALANCED_COUNT))
                for c, n in zip(classes, counts, strict=True)}

    def _linear(self, X, target: np.ndarray, weight: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (classes x features) and intercepts of the (ensemble) linear model."""
        from sklearn.svm import LinearSVC

        W = np.zeros((n_classes, X.shape[1]), dtype=np.float64)
        b = np.zeros(n_classes, dtype=np.float64)
        svm = dict(C=self.C, random_state=self.random_state, max_iter=1000, tol=SVM_TOL)
        if not self.multi_label:
            present = np.unique(target)
            if len(present) < 2:
                b[:] = -10.0
                b[self.classes_index_[present[0]]] = 10.0
                return W, b
            m = LinearSVC(class_weight=self._class_weights(target), **svm).fit(X, target, sample_weight=weight)
            rows = np.searchsorted(self.classes_, m.classes_)
            b[:] = -10.0  # a class absent from this fold: very unlikely
            if len(m.classes_) == 2:
                W[rows[1]], b[rows[1]] = m.coef_[0], m.intercept_[0]
                W[rows[0]], b[rows[0]] = -m.coef_[0], -m.intercept_[0]
            else:
                W[rows], b[rows] = m.coef_, m.intercept_
            return W, b
        nb = self._uses_nbsvm()
        if nb:
            binary = X.copy()
            binary.data[:] = 1.0
        for j in range(n_classes):
            yj = target[:, j]
            if yj.min() == yj.max():  # never (or always) seen here: score it absent (present)
                b[j] = 1.0 if yj[0] else -1.0
                continue
            m = LinearSVC(class_weight=self._class_weights(yj), **svm).fit(X, yj, sample_weight=weight)
            w_svm, b_svm = m.coef_[0], m.intercept_[0]
            if not nb:
                W[j], b[j] = w_svm, b_svm
                continue
            pos = yj == 1
            p = 1.0 + np.asarray(binary[pos].sum(axis=0)).ravel()
            q = 1.0 + np.asarray(binary[~pos].sum(axis=0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            m2 = LinearSVC(class_weight=self._class_weights(yj), **svm).fit(X.multiply(r).tocsr(), yj,
                                                                             sample_weight=weight)
            # the average of the two models' margins, each scaled to unit spread on the training texts
            s1 = X @ w_svm + b_svm
            s2 = X @ (m2.coef_[0] * r) + m2.intercept_[0]
            k1, k2 = 0.5 / (s1.std() + 1e-9), 0.5 / (s2.std() + 1e-9)
            W[j] = k1 * w_svm + k2 * m2.coef_[0] * r
            b[j] = k1 * b_svm + k2 * m2.intercept_[0]
        return W, b

    # ------------------------------------------------------------------ fit
    def fit(self, X: Sequence[object], y) -> ComplaintClassifier:
        """Learn categories from texts ``X`` and labels ``y`` (label lists when ``multi_label``)."""
        X = list(X)
        y = list(y)
        if len(X) != len(y):
            raise TrainingDataError(f"{len(X)} texts but {len(y)} labels")
        if self.ensemble not in ("auto", "svm", "svm+nbsvm"):
            raise TrainingDataError(f"ensemble must be 'auto', 'svm' or 'svm+nbsvm', not {self.ensemble!r}")
        if self.class_weight not in ("balanced", None):
            raise TrainingDataError(f"class_weight must be 'balanced' or None, not {self.class_weight!r}")
        if self.text_features not in ("auto", "ngrams", "short"):
            raise TrainingDataError(f"text_features must be 'auto', 'ngrams' or 'short', not {self.text_features!r}")
        if tuple(self.char_ngram)[0] != 1 or not 1 <= tuple(self.char_ngram)[1] <= 6:
            raise TrainingDataError(f"char_ngram must be (1, n) with n from 1 to 6, not {self.char_ngram!r}")
        target, classes = self._targets(y)
        if len(classes) < 2:
            raise TrainingDataError(f"need at least two categories to learn from, found {list(classes)}")
        self.classes_ = classes
        self.classes_index_ = {c: i for i, c in enumerate(classes)}
        texts = normalize_many(X)
        texts, target, weight = _collapse_duplicates(texts, target, self.multi_label)
        self.n_distinct_ = len(texts)
        # The vocabulary and IDF come from every training text (no labels involved); the folds below
        # refit only the classifier, on the same split for every feature choice.
        self.selection_ = {}
        best = None
        split_seed = int(np.random.default_rng(self.random_state).integers(2**32))  # one split for every choice
        for kind in ("ngrams", "short") if self.text_features == "auto" else (self.text_features,):
            self.features_ = self._feature_extractor(kind)
            features = self._features(texts, fit=True)
            if not features.shape[1]:
                raise TrainingDataError("every training text is empty (or has neither letters, digits nor Chinese "
                                        "characters): nothing to learn from")
            if kind == "short" and "cjk" not in self.features_.names_ and len(self.selection_):
                break  # no Chinese: the same features again
            oof, scored = self._out_of_fold_scores(features, target, weight, len(classes), split_seed)
            truth = target[scored] if self.multi_label else np.searchsorted(classes, target[scored])
            self.selection_[kind] = _oof_quality(oof[scored], truth, weight[scored], self.multi_label)
            if best is None or self.selection_[kind] > best[0]:
                best = (self.selection_[kind], kind, self.features_, features, oof, scored)
        _, self.text_features_, self.features_, features, oof, scored = best
        W, b = self._linear(features, target, weight, len(classes))
        self.biases_ = np.zeros(len(classes))
        if self.tune_biases and not self.multi_label:
            self.biases_ = _macro_f1_biases(oof[scored], np.searchsorted(classes, target[scored]), weight[scored])
            oof = oof + self.biases_
        self.coef_ = W.astype(np.float32)
        self.intercept_ = (b + self.biases_).astype(np.float32)
        # Calibration and the review threshold use the scored rows, each counted once per copy.
        reps = weight[scored].astype(int)
        oof, truth = np.repeat(oof[scored], reps, axis=0), np.repeat(target[scored], reps, axis=0)
        if self.multi_label:
            self.platt_ = _fit_platt(oof, truth)
            self.temperature_ = 1.0
            proba = self._multi_proba(oof)
            pred = _multi_decide(oof, proba)
            confidence = _multi_confidence(proba, pred)
            correct = (pred == truth).all(axis=1)
        else:
            from scipy.special import softmax

            self.temperature_ = _fit_temperature(oof, np.searchsorted(classes, truth))
            self.platt_ = np.zeros((0, 2))
            proba = softmax(oof / self.temperature_, axis=1)
            confidence = proba.max(axis=1)
            correct = classes[proba.argmax(axis=1)] == truth
        self.review_threshold_, self.oof_precision_, self.oof_coverage_ = _review_threshold(
            confidence, correct, self.review_precision)
        self.n_features_in_ = 1
        return self

    def _out_of_fold_scores(self, features, target, weight, n_classes, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores of texts by models that did not see them: ``cv`` folds; above ``LARGE`` distinct texts,
        one model trained on ``LARGE`` of them scores up to ``LARGE`` others (training stays within a
        minute for 100k texts; that model is a little weaker than the final one, so the calibrated
        confidence and the review threshold err on the careful side)."""
        from cs_toolkit.progress import track

        n = features.shape[0]
        folds = min(self.cv, n)
        if folds < 2:
            raise TrainingDataError("need at least two labelled texts")
        rng = np.random.default_rng(seed)
        scores = np.zeros((n, n_classes))
        scored = np.zeros(n, dtype=bool)
        if n > LARGE:
            order = rng.permutation(n)
            parts = [(order[:LARGE], order[LARGE:2 * LARGE])]
        else:
            fold_of = rng.permutation(np.arange(n) % folds)
            parts = [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in range(folds)]
        for train, test in track(parts, f"training: {len(parts)} calibration fold(s)", total=len(parts)):
            W, b = self._linear(features[train], target[train], weight[train], n_classes)
            scores[test] = features[test] @ W.T + b
            scored[test] = True
        return scores, scored

    # ------------------------------------------------------------------ predict
    def decision_function(self, X: Sequence[object]) -> np.ndarray:
        """Margins, one column per class."""
        return self._scores(X)[0]

    def _scores(self, X: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
        """Margins, and whether each text has any feature the model knows (if not, its margins are
        the intercepts alone: a guess)."""
        # Each distinct text is scored once: complaint logs repeat themselves (group complaints, resubmissions).
        codes, uniques = pd.factorize(pd.Series(normalize_many(X), dtype=object))
        uniques = list(uniques)
        scores = np.empty((len(uniques), len(self.classes_)), dtype=np.float64)
        known = np.zeros(len(uniques), dtype=bool)
        for start in range(0, len(uniques), PREDICT_CHUNK):  # bounded memory for any number of rows
            part = uniques[start:start + PREDICT_CHUNK]
            features = self._features(part)
            scores[start:start + len(part)] = np.asarray(features @ self.coef_.T) + self.intercept_
            known[start:start + len(part)] = np.diff(features.indptr) > 0
        return scores[codes], known[codes]

    def _multi_proba(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(scores * self.platt_[:, 0] + self.platt_[:, 1])))

    def _proba(self, scores: np.ndarray) -> np.ndarray:
        if self.multi_label:
            return self._multi_proba(scores)
        z = scores / self.temperature_
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict_proba(self, X: Sequence[object]) -> np.ndarray:
        """Calibrated probabilities: one column per class (per label when ``multi_label``)."""
        return self._proba(self.decision_function(X))

    def predict(self, X: Sequence[object]) -> np.ndarray:
        """Labels (single-label) or a 0/1 indicator matrix over ``classes_`` (multi-label)."""
        scores = self.decision_function(X)
        if self.multi_label:
            return _multi_decide(scores, self._multi_proba(scores))
        return self.classes_[scores.argmax(axis=1)]

    def predict_with_confidence(self, X: Sequence[object], sep: str = "|") -> pd.DataFrame:
        """``category`` (labels joined by ``sep`` when multi-label), ``confidence``, ``category_2``,
        ``confidence_2`` (a close second category, see the module's docstring) and ``needs_review``.

        A text with nothing the model knows (no n-gram of its vocabulary: an unknown script, only
        emoji) gets the most common category's guess with confidence 0, so it goes to review."""
        scores, known = self._scores(X)
        proba = self._proba(scores)
        n = len(scores)
        rows = np.arange(n)
        if self.multi_label:
            pred = _multi_decide(scores, proba).astype(bool)
            categories = _join_labels(pred, self.classes_, sep)
            confidence = _multi_confidence(proba, pred)
            reference = np.where(pred, proba, np.inf).min(axis=1)  # the weakest chosen label
            left = np.where(pred, -np.inf, proba)
        else:
            top = proba.argmax(axis=1)
            categories = self.classes_[top]
            confidence = proba[rows, top]
            reference = confidence
            left = proba.copy()
            left[rows, top] = -np.inf
        second = left.argmax(axis=1) if left.shape[1] else np.zeros(n, dtype=int)
        p2 = left[rows, second] if left.shape[1] else np.full(n, -np.inf)
        close = np.isfinite(p2) & (p2 >= self.second_ratio * reference) & known
        confidence = np.where(known, confidence, 0.0)
        category_2 = np.where(close, self.classes_[second].astype(str), "")
        return pd.DataFrame({"category": categories, "confidence": confidence,
                             "category_2": category_2, "confidence_2": np.where(close, p2, np.nan),
                             "needs_review": confidence < self.review_threshold_})


def _report_cleaned_labels(y, multi_label: bool) -> None:
    """Say which labels were written differently (stray or full-width spaces, full-width letters)."""
    raw = {str(v) for row in y for v in (row if multi_label and not isinstance(row, str) else [row])}
    changed = sorted((r, clean_label(r)) for r in raw if clean_label(r) != r)
    if changed:
        shown = ", ".join(f"{r!r} -> {c!r}" for r, c in changed[:5])
        log.warning("%d label spelling(s) cleaned (stray or full-width spaces, full-width characters): %s%s",
                    len(changed), shown, " ..." if len(changed) > 5 else "")


def _join_labels(pred: np.ndarray, classes: np.ndarray, sep: str) -> np.ndarray:
    # distinct label sets are few: join each once
    codes, patterns = pd.factorize(pd.Series([row.tobytes() for row in np.packbits(pred, axis=1)]))
    joined = [sep.join(classes[np.unpackbits(np.frombuffer(p, dtype=np.uint8))[: len(classes)].astype(bool)])
              for p in patterns]
    return np.asarray(joined, dtype=object)[codes]


def _collapse_duplicates(texts: list[str], target: np.ndarray, multi_label: bool):
    """Identical (text, labels) rows become one row weighted by its count: the same SVM problem, but
    repeated rows no longer stall liblinear's dual solver (complaint logs repeat themselves a lot)."""
    label_key = ["|".join(map(str, np.flatnonzero(row))) for row in target] if multi_label else list(target)
    codes, _ = pd.factorize(pd.Series(list(zip(texts, label_key, strict=True)), dtype=object))
    first = np.unique(codes, return_index=True)[1]
    weight = np.bincount(codes).astype(float)
    return [texts[i] for i in first], target[first], weight


def _f1_per_class(truth: np.ndarray, pred: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    tp = np.bincount(truth[truth == pred], weights=weight[truth == pred], minlength=k)
    denom = np.bincount(truth, weights=weight, minlength=k) + np.bincount(pred, weights=weight, minlength=k)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), np.nan)


def _oof_quality(scores: np.ndarray, target: np.ndarray, weight: np.ndarray, multi_label: bool) -> float:
    """Macro-F1 of out-of-fold scores (multi-label: the mean of macro- and micro-F1), rows weighted by copies.
    ``target`` is the 0/1 label matrix, or the column index of each row's class."""
    if multi_label:
        pred = _multi_decide(scores).astype(bool)
        truth = target.astype(bool)
        w = weight[:, None]
        tp, fp, fn = ((pred & truth) * w).sum(0), ((pred & ~truth) * w).sum(0), ((~pred & truth) * w).sum(0)
        per_label = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)
        micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1e-12)
        return float((per_label.mean() + micro) / 2)
    return float(np.nanmean(_f1_per_class(target, scores.argmax(axis=1), weight, scores.shape[1])))


def _macro_f1_biases(scores: np.ndarray, truth: np.ndarray, weight: np.ndarray, min_count: int = 10,
                     shrink: float = 0.5, passes: int = 3) -> np.ndarray:
    """Per-class offsets of the margins that maximise macro-F1 on out-of-fold ``scores``.

    Coordinate ascent over a grid from -1 to 1 (a class's offset is changed while the others are held),
    only for classes with at least ``min_count`` distinct examples (a rare class's offset would follow its
    few examples; copies of one text do not count), the smallest offset kept on ties, the result
    multiplied by ``shrink``.
    """
    n, k = scores.shape
    bias = np.zeros(k)
    grid = np.linspace(-1.0, 1.0, 41)
    counts = np.bincount(truth, minlength=k)
    rows = np.arange(n)
    current = np.nanmean(_f1_per_class(truth, scores.argmax(axis=1), weight, k))
    for _ in range(passes):
        changed = False
        for j in np.flatnonzero(counts >= min_count):
            shifted = scores + bias
            others = shifted.copy()
            others[:, j] = -np.inf
            rival = others.argmax(axis=1)
            rival_score = others[rows, rival]
            best, best_value = current, bias[j]
            for value in grid:
                pred = np.where(scores[:, j] + value > rival_score, j, rival)
                f = np.nanmean(_f1_per_class(truth, pred, weight, k))
                if f > best + 1e-9 or (abs(f - best) <= 1e-9 and abs(value) < abs(best_value)):
                    best, best_value = f, value
            if best_value != bias[j]:
                bias[j], current, changed = best_value, best, True
        if not changed:
            break
    return bias * shrink


def _fit_temperature(scores: np.ndarray, idx: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    def loss(log_t: float) -> float:
        return -log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(idx)), idx].mean()

    res = minimize_scalar(loss, bounds=(-5, 3), method="bounded")
    return float(np.exp(res.x))


def _fit_platt(scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    params = np.zeros((scores.shape[1], 2))
    for j in range(scores.shape[1]):
        yj = target[:, j]
        if yj.min() == yj.max():
            params[j] = (1.0, 0.0 if yj[0] else -5.0)
            continue
        lr = LogisticRegression(C=100.0).fit(scores[:, [j]], yj)
        params[j] = (lr.coef_[0, 0], lr.intercept_[0])
    return params


def _multi_decide(scores: np.ndarray, proba: np.ndarray | None = None) -> np.ndarray:
    """Labels on the positive side of their SVM margin; every complaint gets at least one (the most
    probable label, by calibrated probability when given)."""
    pred = (scores > 0).astype(int)
    pred[np.arange(len(pred)), (scores if proba is None else proba).argmax(axis=1)] = 1
    return pred


def _multi_confidence(proba: np.ndarray, pred: np.ndarray) -> np.ndarray:
    # probability that the whole label set is right, treating labels as independent
    p = np.where(pred == 1, proba, 1 - proba)
    return np.exp(np.log(np.clip(p, 1e-12, 1)).sum(axis=1))


def _review_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> tuple[float, float, float]:
    """Lowest confidence threshold whose accepted predictions reach ``target`` precision (out of fold)."""
    order = np.argsort(-confidence)
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= target)
    if len(ok) == 0:
        return 1.01, float("nan"), 0.0  # nothing is confident enough: everything is reviewed
    k = ok.max()
    return float(confidence[order][k]), float(precision[k]), float((k + 1) / len(order))
