"""Benchmark: complaint categorisation quality and speed, baselines and cs_toolkit in the same run.

Quality (needs ../shared/data/complaints):
  * CFPB narratives, label ``Product``, 70/30 stratified split (seed 0; labels with fewer than two rows
    cannot be stratified and are left out): macro- and micro-F1.
  * 车质网, multi-label ``label``, temporal split (earliest 70% of rows train, the rest test).
  Baselines: plain TF-IDF + LinearSVC; "tuned": word (jieba for Chinese) + character TF-IDF, balanced.

Speed (generated data): whole-process ``cs-toolkit complaints predict`` on 100k short Chinese
complaints (start, model load, read, predict, write) vs the tuned baseline doing the same in its own
process; training time on 100k generated complaints.

    python bench/bench_complaints.py [--rows 100000] [--skip-quality] [--skip-speed]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "complaints"
BASELINE_SCRIPT = '''
import sys, time, pickle, re, pandas as pd, jieba
jieba.setLogLevel(60)
model_path, inp, out = sys.argv[1:4]
with open(model_path, "rb") as fh:
    model = pickle.load(fh)
frame = pd.read_csv(inp)
texts = frame["text"].fillna("").astype(str)
words = [" ".join(jieba.lcut(t)) for t in texts]
frame["category"] = model.predict(pd.DataFrame({"raw": texts, "words": words}))
frame.to_csv(out, index=False)
'''


def tuned_baseline(multi_label: bool = False):
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    features = ColumnTransformer([
        ("word", TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=2), "words"),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2), "raw"),
    ])
    svm = LinearSVC(class_weight="balanced")
    return Pipeline([("f", features), ("c", OneVsRestClassifier(svm) if multi_label else svm)])


def plain_baseline(multi_label: bool = False):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    svm = LinearSVC()
    return Pipeline([("f", TfidfVectorizer(token_pattern=r"\S+")), ("c", OneVsRestClassifier(svm) if multi_label else svm)])


def jieba_words(texts) -> list[str]:
    import jieba

    jieba.setLogLevel(60)
    return [" ".join(jieba.lcut(str(t))) for t in texts]


def quality() -> None:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MultiLabelBinarizer

    from cs_toolkit.complaints import ComplaintClassifier

    print("\nquality: baselines and cs_toolkit on the same splits")
    print(f"{'data set':<34} {'method':<26} {'macro-F1':>9} {'micro-F1':>9} {'fit s':>7}")
    cfpb = pd.read_csv(SHARED / "cfpb" / "narratives_dev.csv.gz")
    x, y = cfpb["Consumer complaint narrative"].fillna(""), cfpb["Product"]
    keep = y.map(y.value_counts()) >= 2
    xtr, xte, ytr, yte = train_test_split(x[keep], y[keep], test_size=0.3, stratify=y[keep], random_state=0)

    def report(name, method, pred, truth, seconds, multi=False):
        avg = {"zero_division": 0}
        print(f"{name:<34} {method:<26} {f1_score(truth, pred, average='macro', **avg):>9.3f} "
              f"{f1_score(truth, pred, average='micro', **avg):>9.3f} {seconds:>7.1f}")

    for method, make in (("plain TF-IDF + LinearSVC", plain_baseline), ("tuned word+char balanced", tuned_baseline)):
        start = time.perf_counter()
        model = make()
        if method.startswith("plain"):
            model.fit(xtr, ytr)
            pred = model.predict(xte)
        else:
            model.fit(pd.DataFrame({"raw": xtr, "words": xtr}), ytr)
            pred = model.predict(pd.DataFrame({"raw": xte, "words": xte}))
        report("CFPB Product (70/30 stratified)", method, pred, yte, time.perf_counter() - start)
    start = time.perf_counter()
    ours = ComplaintClassifier().fit(xtr, ytr)
    report("CFPB Product (70/30 stratified)", "cs_toolkit", ours.predict(xte), yte, time.perf_counter() - start)

    czw = pd.read_csv(SHARED / "chezhiwang" / "car_complaints_2020.csv").sort_values("date", kind="stable")
    cut = int(len(czw) * 0.7)
    tr, te = czw.iloc[:cut], czw.iloc[cut:]
    mlb = MultiLabelBinarizer().fit(czw["label"].str.split("|"))
    ytr_m, yte_m = mlb.transform(tr["label"].str.split("|")), mlb.transform(te["label"].str.split("|"))
    name = "车质网 label (temporal 70/30)"

    def at_least_one(scores):
        pred = (scores > 0).astype(int)
        pred[np.arange(len(pred)), scores.argmax(axis=1)] = 1
        return pred

    start = time.perf_counter()
    plain = plain_baseline(multi_label=True).fit(jieba_words(tr["text"]), ytr_m)
    report(name, "plain TF-IDF + LinearSVC", at_least_one(plain.decision_function(jieba_words(te["text"]))), yte_m,
           time.perf_counter() - start)
    start = time.perf_counter()
    tuned = tuned_baseline(multi_label=True).fit(pd.DataFrame({"raw": tr["text"], "words": jieba_words(tr["text"])}), ytr_m)
    scores = tuned.decision_function(pd.DataFrame({"raw": te["text"], "words": jieba_words(te["text"])}))
    report(name, "tuned word+char balanced", at_least_one(scores), yte_m, time.perf_counter() - start)
    for label, jieba in (("cs_toolkit", False), ("cs_toolkit --jieba", True)):
        start = time.perf_counter()
        ours = ComplaintClassifier(multi_label=True, use_jieba=jieba).fit(tr["text"], tr["label"].str.split("|").tolist())
        pred = MultiLabelBinarizer(classes=mlb.classes_).fit_transform(
            [p.split("|") for p in ours.predict_with_confidence(te["text"])["category"]])
        report(name, label, pred, yte_m, time.perf_counter() - start)


def speed(rows: int) -> None:
    import pickle

    from cs_toolkit.demo import make_complaints

    print(f"\nspeed: {rows:,} generated complaints (whole processes, median of 3)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train = make_complaints(rows, seed=11)
        test = make_complaints(rows, seed=12)[["complaint_id", "project", "channel", "created_at", "text"]]
        train[["text", "category"]].to_csv(tmp / "train.csv", index=False)
        test.to_csv(tmp / "test.csv", index=False)
        cli = [sys.executable, "-m", "cs_toolkit.cli"]
        start = time.perf_counter()
        subprocess.run([*cli, "complaints", "train", str(tmp / "train.csv"), "--text", "text", "--label", "category",
                        "--model", str(tmp / "ours.model")], check=True, capture_output=True)
        train_ours = time.perf_counter() - start
        start = time.perf_counter()
        base = tuned_baseline().fit(pd.DataFrame({"raw": train["text"], "words": jieba_words(train["text"])}),
                                    train["category"])
        train_base = time.perf_counter() - start
        with open(tmp / "base.pkl", "wb") as fh:
            pickle.dump(base, fh)
        (tmp / "baseline_predict.py").write_text(BASELINE_SCRIPT)

        def run(cmd):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                times.append(time.perf_counter() - start)
            return float(np.median(times))

        t_ours = run([*cli, "complaints", "predict", str(tmp / "test.csv"), "--text", "text", "--out",
                      str(tmp / "ours.csv"), "--model", str(tmp / "ours.model")])
        t_base = run([sys.executable, str(tmp / "baseline_predict.py"), str(tmp / "base.pkl"), str(tmp / "test.csv"),
                      str(tmp / "base.csv")])
        ours_out = pd.read_csv(tmp / "ours.csv")
        accuracy = (ours_out["category"] == make_complaints(rows, seed=12)["category"]).mean()
        print(f"{'what':<48} {'cs_toolkit':>11} {'tuned baseline':>15} {'ratio':>6}")
        print(f"{'predict, whole process (s)':<48} {t_ours:>11.2f} {t_base:>15.2f} {t_ours / t_base:>6.2f}")
        print(f"{'predict, rows per second':<48} {rows / t_ours:>11,.0f} {rows / t_base:>15,.0f}")
        print(f"{'train (s; ours incl. 5-fold calibration, process)':<48} {train_ours:>11.1f} {train_base:>15.1f} "
              f"{train_ours / train_base:>6.2f}")
        print(f"accuracy of cs_toolkit on the generated test set: {accuracy:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not args.skip_quality:
        if SHARED.exists():
            quality()
        else:
            print(f"quality: skipped, {SHARED} not found")
    if not args.skip_speed:
        speed(args.rows)


if __name__ == "__main__":
    main()
