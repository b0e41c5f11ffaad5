"""The learned complaint categoriser: a scikit-learn estimator for Chinese and English complaint text.

Features are TF-IDF character n-grams of the normalised text (they carry Chinese without a word
segmenter, and survive typos) plus word n-grams (Latin words; Chinese words too with ``use_jieba``).
The classifier is a class-balanced linear SVM. Confidence is calibrated on out-of-fold scores
(temperature-scaled softmax for one label, Platt scaling per label for several), and the same
out-of-fold predictions choose the review threshold that meets a target precision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from cs_toolkit.complaints.text import cjk_runs, normalize, word_tokens
from cs_toolkit.errors import TrainingDataError
from cs_toolkit.progress import track


def _frame(texts: Iterable[object], use_jieba: bool) -> pd.DataFrame:
    norm = [normalize(t) for t in texts]
    return pd.DataFrame({"cjk": cjk_runs(norm), "words": word_tokens(norm, use_jieba=use_jieba)})


class ComplaintClassifier(ClassifierMixin, BaseEstimator):
    """Categorise complaint texts (Chinese, English or mixed), single- or multi-label.

    Parameters
    ----------
    multi_label : bool, default False
        Each complaint may have several categories; ``fit`` then takes a list of label lists.
    C : float, default 0.5
        Inverse regularisation of the linear SVM.
    char_ngram : tuple, default (1, 3)
        Character n-gram range (on the normalised text).
    word_ngram : tuple, default (1, 2)
        Word n-gram range.
    use_jieba : bool, default False
        Segment Chinese into words with jieba as well (slower to predict: jieba does about 12,000
        short texts per second).
    word_weight : float, default 0.5
        Weight of the word block against the Chinese character block in mixed texts.
    char_analyzer : str, default "char"
        Analyzer of the character block ("char" or "char_wb").
    word_min_df : int, default 2
        Words seen in fewer training texts are ignored (single typos and ids are noise).
    class_weight : "balanced" or None
        Weight classes inversely to their frequency (rare categories are not drowned).
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

    def __init__(
        self,
        multi_label: bool = False,
        C: float = 0.5,
        char_ngram: tuple[int, int] = (1, 3),
        word_ngram: tuple[int, int] = (1, 2),
        use_jieba: bool = False,
        word_weight: float = 0.5,
        char_analyzer: str = "char",
        word_min_df: int = 2,
        class_weight: str | None = "balanced",
        review_precision: float = 0.9,
        cv: int = 5,
        random_state: int = 0,
    ) -> None:
        self.multi_label = multi_label
        self.C = C
        self.char_ngram = char_ngram
        self.word_ngram = word_ngram
        self.use_jieba = use_jieba
        self.word_weight = word_weight
        self.char_analyzer = char_analyzer
        self.word_min_df = word_min_df
        self.class_weight = class_weight
        self.review_precision = review_precision
        self.cv = cv
        self.random_state = random_state

    # ------------------------------------------------------------------ building blocks
    def _pipeline(self) -> Pipeline:
        blocks = getattr(self, "_blocks", ("char", "word"))
        features = ColumnTransformer(
            [b for b in [
                ("char", TfidfVectorizer(analyzer=self.char_analyzer, ngram_range=tuple(self.char_ngram), sublinear_tf=True,
                                         min_df=1, max_features=300_000, dtype=np.float32), "cjk"),
                ("latin_char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                               min_df=self._min_df(), max_features=300_000,
                                               dtype=np.float32), "words"),
                ("word", TfidfVectorizer(token_pattern=r"\S+", ngram_range=tuple(self.word_ngram), sublinear_tf=True,
                                         lowercase=False, min_df=self._min_df(), max_features=300_000,
                                         dtype=np.float32), "words"),
            ] if b[0] in blocks],
            transformer_weights={"char": 1.0, "word": self.word_weight, "latin_char": self.word_weight},
        )
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state, max_iter=500)
        clf = OneVsRestClassifier(svm) if self.multi_label else svm
        return Pipeline([("features", features), ("classifier", clf)])

    def _min_df(self) -> int:
        # A few hundred distinct texts cannot afford to drop words seen once (the whole vocabulary may go).
        return self.word_min_df if getattr(self, "_n_distinct", 0) >= 300 else 1

    def _targets(self, y) -> tuple[np.ndarray, np.ndarray]:
        if self.multi_label:
            sets = [list(v) for v in y]
            mlb = MultiLabelBinarizer()
            return mlb.fit_transform(sets), mlb.classes_
        labels = np.asarray([str(v) for v in y], dtype=object)
        return labels, np.array(sorted(set(labels)), dtype=object)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Sequence[object], y) -> ComplaintClassifier:
        """Learn categories from texts ``X`` and labels ``y`` (label lists when ``multi_label``)."""
        X = list(X)
        y = list(y)
        if len(X) != len(y):
            raise TrainingDataError(f"{len(X)} texts but {len(y)} labels")
        target, classes = self._targets(y)
        if len(classes) < 2:
            raise TrainingDataError(f"need at least two categories to learn from, found {list(classes)}")
        frame, target, weight = _collapse_duplicates(_frame(X, self.use_jieba), target, self.multi_label)
        self._n_distinct = len(frame)
        # Only the feature blocks the corpus has: an all-English corpus has no Chinese runs, and vice versa.
        self._blocks = tuple(b for b, col in (("char", "cjk"), ("word", "words"), ("latin_char", "words"))
                             if (frame[col] != "").any())
        if not self._blocks:
            raise TrainingDataError("every training text is empty (or has neither letters nor Chinese characters)")
        oof = self._out_of_fold_scores(frame, target, classes, weight)
        self.classes_ = classes
        fit_params = {} if self.multi_label else {"classifier__sample_weight": weight}
        self.pipeline_ = self._pipeline().fit(frame, target, **fit_params)
        # Calibration and the review threshold are fitted on the collapsed rows, each counted once per copy.
        oof, target = np.repeat(oof, weight.astype(int), axis=0), np.repeat(target, weight.astype(int), axis=0)
        if self.multi_label:
            self.platt_ = self._fit_platt(oof, target)
            proba = self._multi_proba(oof)
            pred = self._multi_decide(oof)
            confidence = self._multi_confidence(proba, pred)
            correct = (pred == target).all(axis=1)
        else:
            self.temperature_ = self._fit_temperature(oof, target)
            proba = softmax(oof / self.temperature_, axis=1)
            confidence = proba.max(axis=1)
            correct = classes[proba.argmax(axis=1)] == target
        self.review_threshold_, self.oof_precision_, self.oof_coverage_ = _review_threshold(
            confidence, correct, self.review_precision)
        self.n_features_in_ = 1
        return self

    def _out_of_fold_scores(
        self, frame: pd.DataFrame, target: np.ndarray, classes: np.ndarray, weight: np.ndarray
    ) -> np.ndarray:
        n = len(frame)
        folds = min(self.cv, n)
        scores = np.full((n, len(classes)), np.nan)
        if folds < 2:
            raise TrainingDataError("need at least two labelled texts")
        splitter = KFold(folds, shuffle=True, random_state=self.random_state)
        for train, test in track(splitter.split(frame), f"training: {folds} calibration folds", total=folds):
            part = self._pipeline()
            t_train = target[train]
            if self.multi_label:
                present = t_train.sum(axis=0) > 0
                if present.sum() < 2:
                    continue
                # labels never (or always) seen in this fold cannot be fitted: score them as absent
                varied = present & (t_train.sum(axis=0) < len(train))
                part.fit(frame.iloc[train], t_train[:, varied])
                s = np.full((len(test), len(classes)), -1.0)
                s[:, varied] = part.decision_function(frame.iloc[test])
                scores[test] = s
            else:
                seen = np.unique(t_train)
                if len(seen) < 2:
                    continue
                part.fit(frame.iloc[train], t_train, classifier__sample_weight=weight[train])
                s = _two_columns(part.decision_function(frame.iloc[test]))
                full = np.full((len(test), len(classes)), -10.0)  # a class absent from the fold: very unlikely
                full[:, np.searchsorted(classes, seen)] = s
                scores[test] = full
        scores[np.isnan(scores)] = 0.0
        return scores

    @staticmethod
    def _fit_temperature(scores: np.ndarray, target: np.ndarray) -> float:
        classes = np.array(sorted(set(target)), dtype=object)
        idx = np.searchsorted(classes, target)

        def loss(log_t: float) -> float:
            return -log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(idx)), idx].mean()

        res = minimize_scalar(loss, bounds=(-5, 3), method="bounded")
        return float(np.exp(res.x))

    @staticmethod
    def _fit_platt(scores: np.ndarray, target: np.ndarray) -> np.ndarray:
        params = np.zeros((scores.shape[1], 2))
        for j in range(scores.shape[1]):
            yj = target[:, j]
            if yj.min() == yj.max():
                params[j] = (1.0, 0.0 if yj[0] else -5.0)
                continue
            lr = LogisticRegression(C=100.0).fit(scores[:, [j]], yj)
            params[j] = (lr.coef_[0, 0], lr.intercept_[0])
        return params

    def _multi_proba(self, scores: np.ndarray) -> np.ndarray:
        return expit(scores * self.platt_[:, 0] + self.platt_[:, 1])

    @staticmethod
    def _multi_decide(scores: np.ndarray) -> np.ndarray:
        """Labels on the positive side of their SVM margin; every complaint gets at least one."""
        pred = (scores > 0).astype(int)
        pred[np.arange(len(pred)), scores.argmax(axis=1)] = 1
        return pred

    @staticmethod
    def _multi_confidence(proba: np.ndarray, pred: np.ndarray) -> np.ndarray:
        # probability that the whole label set is right, treating labels as independent
        p = np.where(pred == 1, proba, 1 - proba)
        return np.exp(np.log(np.clip(p, 1e-12, 1)).sum(axis=1))

    # ------------------------------------------------------------------ predict
    def decision_function(self, X: Sequence[object]) -> np.ndarray:
        """Margins, one column per class (two columns for two classes)."""
        # Each distinct text is scored once: complaint logs repeat themselves (group complaints, resubmissions).
        texts = pd.Series([normalize(t) for t in X], dtype=object)
        codes, uniques = pd.factorize(texts)
        scores = self.pipeline_.decision_function(_frame(list(uniques), self.use_jieba))
        scores = scores if self.multi_label else _two_columns(scores)
        return scores[codes]

    def predict_proba(self, X: Sequence[object]) -> np.ndarray:
        """Calibrated probabilities: one column per class (per label when ``multi_label``)."""
        scores = self.decision_function(X)
        if self.multi_label:
            return self._multi_proba(scores)
        return softmax(scores / self.temperature_, axis=1)

    def predict(self, X: Sequence[object]) -> np.ndarray:
        """Labels (single-label) or a 0/1 indicator matrix over ``classes_`` (multi-label)."""
        scores = self.decision_function(X)
        if self.multi_label:
            return self._multi_decide(scores)
        return self.classes_[scores.argmax(axis=1)]

    def predict_with_confidence(self, X: Sequence[object]) -> pd.DataFrame:
        """``category`` (labels joined by ``|`` when multi-label), ``confidence`` and ``needs_review``."""
        scores = self.decision_function(X)
        if self.multi_label:
            proba = self._multi_proba(scores)
            pred = self._multi_decide(scores)
            categories = ["|".join(self.classes_[row.astype(bool)]) for row in pred]
            confidence = self._multi_confidence(proba, pred)
        else:
            proba = softmax(scores / self.temperature_, axis=1)
            categories = self.classes_[proba.argmax(axis=1)]
            confidence = proba.max(axis=1)
        return pd.DataFrame({"category": categories, "confidence": confidence,
                             "needs_review": confidence < self.review_threshold_})


def _collapse_duplicates(frame: pd.DataFrame, target: np.ndarray, multi_label: bool):
    """Identical (text, labels) rows become one row weighted by its count: the same SVM problem, but
    repeated rows no longer stall liblinear's dual solver (complaint logs repeat themselves a lot)."""
    label_key = ["|".join(map(str, np.flatnonzero(row))) for row in target] if multi_label else list(target)
    keys = pd.Series(list(zip(frame["cjk"], frame["words"], label_key, strict=True)))
    codes, uniques = pd.factorize(keys)
    first = np.unique(codes, return_index=True)[1]
    weight = np.bincount(codes).astype(float)
    if multi_label:
        # OneVsRestClassifier takes no sample weights: keep the repeats for it (rarely many in real logs)
        return frame, target, np.ones(len(frame))
    return frame.iloc[first].reset_index(drop=True), target[first], weight


def _two_columns(scores: np.ndarray) -> np.ndarray:
    """A binary SVM gives one margin (for the second class); make it one column per class."""
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


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
