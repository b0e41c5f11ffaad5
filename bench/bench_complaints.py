"""Benchmark: complaint categorisation quality and speed, cs_toolkit and a tuned baseline in the same run.

Quality (needs ../shared/data/complaints), every method on the same splits:
  * CFPB narratives (English), label ``Product``; its leaf level ``Product › Sub-product`` (a model
    trained on leaves, scored at both levels).
  * 车质网 (Chinese, multi-label ``label``, 16 categories); its parent level: product quality vs
    service (a complaint may be both), derived from the predicted labels.
  Splits: 5-fold cross-validation (shuffled, seed 0; predictions pooled over the folds, so a category
  with three examples still counts) and a temporal split (earlier rows train, later rows test); for CFPB
  also 5-fold with the legacy products (fewer than 5 examples) always in training and never tested, as
  on newer data where they no longer occur. Rare
  categories' per-class F1 are printed. The tuned baseline is TF-IDF word (jieba for Chinese) 1-2-grams
  + character ``char_wb`` 2-5-grams with a class-balanced LinearSVC (one-vs-rest for multi-label).
  cs_toolkit is run with the defaults that ``cs-toolkit complaints train`` uses.

Speed (generated data, whole processes): ``cs-toolkit complaints predict`` on 100k *distinct* short
Chinese complaints (project, building, room, one or two complaint templates, numbers and a closing
phrase; the distinct share is printed) — median of 3 runs, CPU time, peak memory, and the phases
(start-up and imports, model load, read, predict, escalation, write) from an instrumented run — against
the tuned baseline doing the same in its own process; ``complaints train`` on 100k.

    python bench/bench_complaints.py [--rows 100000] [--skip-quality] [--skip-speed] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import os
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
SERVICE = {"service_attitude", "repair_competence", "service_charges", "broken_promises", "sales_misrepresentation",
           "parts_disputes", "other_service_issues"}
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
# Times each phase of `cs-toolkit complaints predict` inside one process (wrapping the functions it calls).
PHASES_SCRIPT = '''
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
import cs_toolkit.cli as cli
import cs_toolkit.complaints.categorise_table as cat
import cs_toolkit.complaints.escalation as esc
import cs_toolkit.complaints.model as model
import cs_toolkit.complaints.persist as persist
import cs_toolkit.io.tables as tables
spent = {}
def timed(name, fn):
    def wrapper(*a, **k):
        s = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - s
    return wrapper
tables.read_table = timed("read", tables.read_table)
persist.load_model = timed("load model", persist.load_model)
model.ComplaintClassifier.predict_with_confidence = timed("predict", model.ComplaintClassifier.predict_with_confidence)
cat.flag_escalations = timed("escalation", cat.flag_escalations)
pd.DataFrame.to_csv = timed("write", pd.DataFrame.to_csv)
import cs_toolkit.complaints as pkg
pkg.load_model = persist.load_model
pkg.categorise = cat.categorise
spent["start-up + imports (until main)"] = time.perf_counter() - t0
s = time.perf_counter()
cli.main(sys.argv[1:])
spent["everything else in main"] = time.perf_counter() - s - sum(v for k, v in spent.items() if not k.startswith("start"))
print("PHASES " + json.dumps(spent))
'''


# ============================================================================ baselines
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


def jieba_words(texts) -> list[str]:
    import jieba

    jieba.setLogLevel(60)
    return [" ".join(jieba.lcut(str(t))) for t in texts]


def _baseline_frame(texts, chinese: bool) -> pd.DataFrame:
    texts = [str(t) for t in texts]
    return pd.DataFrame({"raw": texts, "words": jieba_words(texts) if chinese else texts})


def _at_least_one(scores: np.ndarray) -> np.ndarray:
    pred = (scores > 0).astype(int)
    pred[np.arange(len(pred)), scores.argmax(axis=1)] = 1
    return pred


# ============================================================================ quality
def _splits(n: int, folds: int, order: np.ndarray | None):
    """(name, [(train, test), ...]): k folds, or one temporal split on ``order`` (earliest 70% train)."""
    from sklearn.model_selection import KFold

    if order is None:
        return list(KFold(folds, shuffle=True, random_state=0).split(np.arange(n)))
    cut = int(n * 0.7)
    return [(order[:cut], order[cut:])]


def _predict_single(method: str, xtr, ytr, xte, chinese: bool) -> np.ndarray:
    from cs_toolkit.complaints import ComplaintClassifier

    if method == "baseline":
        return tuned_baseline().fit(_baseline_frame(xtr, chinese), ytr).predict(_baseline_frame(xte, chinese))
    return ComplaintClassifier().fit(xtr, ytr).predict(xte)


def _predict_multi(method: str, xtr, ytr: np.ndarray, xte, classes: np.ndarray, chinese: bool) -> np.ndarray:
    from cs_toolkit.complaints import ComplaintClassifier

    if method == "baseline":
        seen = ytr.sum(axis=0) > 0
        model = tuned_baseline(multi_label=True).fit(_baseline_frame(xtr, chinese), ytr[:, seen])
        scores = np.full((len(xte), len(classes)), -1.0)
        scores[:, seen] = model.decision_function(_baseline_frame(xte, chinese))
        return _at_least_one(scores)
    model = ComplaintClassifier(multi_label=True).fit(xtr, [list(classes[r.astype(bool)]) for r in ytr])
    out = np.zeros((len(xte), len(classes)), dtype=int)
    out[:, np.searchsorted(classes, model.classes_)] = model.predict(xte)
    return out


def _f1(truth, pred, labels=None, average="macro") -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, pred, labels=labels, average=average, zero_division=0))


def quality(folds: int) -> None:
    warnings.filterwarnings("ignore")
    rows, rare_rows = [], []

    def record(data, level, split, method, seconds, macro, micro, extra=""):
        rows.append((data, level, split, method, macro, micro, seconds, extra))
        print(f"  {data:<8} {level:<22} {split:<10} {method:<10} macro-F1 {macro:.3f}  micro-F1 {micro:.3f}  "
              f"{extra} ({seconds:.0f} s)", flush=True)

    # ---------------------------------------------------------------- CFPB (English, single label)
    cfpb = pd.read_csv(SHARED / "cfpb" / "narratives_dev.csv.gz")
    x = cfpb["Consumer complaint narrative"].fillna("").tolist()
    product = cfpb["Product"].astype(str).to_numpy(dtype=object)
    leaf = (cfpb["Product"].astype(str) + " › " + cfpb["Sub-product"].fillna("(none)").astype(str)).to_numpy(dtype=object)
    parent_of_leaf = {lf: lf.split(" › ")[0] for lf in set(leaf)}
    counts = pd.Series(product).value_counts()
    major = sorted(counts[counts >= 5].index)
    rare = sorted(counts[counts <= 40].index)
    when = pd.to_datetime(cfpb["date_received_iso"], errors="coerce")
    order = np.argsort(when.fillna(when.min()).to_numpy(), kind="stable")
    print(f"\nCFPB: {len(x)} narratives, {len(counts)} products ({len(major)} with 5+ examples), "
          f"{len(set(leaf))} product › sub-product leaves")
    # As on data the model never saw, where the legacy products are gone: the products with fewer than 5
    # examples are always in training, never tested (a model that predicts them anyway pays in macro-F1).
    few = np.flatnonzero(pd.Series(product).map(counts).to_numpy() < 5)
    common = np.setdiff1d(np.arange(len(x)), few)
    kept = [(np.concatenate([common[tr], few]), common[te]) for tr, te in _splits(len(common), folds, None)]
    for split_name, splits in ((f"{folds}-fold", _splits(len(x), folds, None)),
                               ("temporal", _splits(len(x), folds, order)), (f"{folds}-fold, rare kept in training", kept)):
        for method in ("baseline", "cs_toolkit"):
            for level in ("Product", "leaf → Product"):
                y = product if level == "Product" else leaf
                pred = np.empty(len(x), dtype=object)
                start = time.perf_counter()
                tested = np.zeros(len(x), dtype=bool)
                for train, test in splits:
                    pred[test] = _predict_single(method, [x[i] for i in train], y[train], [x[i] for i in test], False)
                    tested[test] = True
                seconds = time.perf_counter() - start
                truth = y[tested]
                p = pred[tested]
                if level != "Product":
                    leaf_macro = _f1(truth, p, labels=sorted(set(truth) | set(p)))
                    truth = np.array([parent_of_leaf[t] for t in truth], dtype=object)
                    p = np.array([parent_of_leaf.get(t, t) for t in p], dtype=object)
                labels = sorted(set(truth) | set(p))
                macro, micro = _f1(truth, p, labels), _f1(truth, p, average="micro")
                extra = f"macro-F1 (5+ examples) {_f1(truth, p, [m for m in major if m in labels]):.3f}"
                if level != "Product":
                    extra += f"; leaf macro-F1 {leaf_macro:.3f}"
                record("CFPB", level, split_name, method, seconds, macro, micro, extra)
                if level == "Product":
                    from sklearn.metrics import precision_recall_fscore_support

                    _, _, f, s = precision_recall_fscore_support(truth, p, labels=rare, zero_division=0)
                    for lab, fv, sv in zip(rare, f, s, strict=True):
                        rare_rows.append(("CFPB", split_name, method, lab, int(counts[lab]), int(sv), fv))

    # ---------------------------------------------------------------- 车质网 (Chinese, multi-label)
    czw = pd.read_csv(SHARED / "chezhiwang" / "car_complaints_2020.csv")
    x = czw["text"].astype(str).tolist()
    sets = [s.split("|") for s in czw["label"]]
    from sklearn.preprocessing import MultiLabelBinarizer

    mlb = MultiLabelBinarizer().fit(sets)
    classes = np.asarray(mlb.classes_, dtype=object)
    Y = mlb.transform(sets)
    service = np.array([c in SERVICE for c in classes])
    counts = pd.Series(Y.sum(axis=0), index=classes)
    rare = sorted(counts[counts <= 60].index)
    order = np.argsort(pd.to_datetime(czw["date"]).to_numpy(), kind="stable")
    print(f"\n车质网: {len(x)} complaints, {len(classes)} labels (parent level: product quality / service)")
    for split_name, split_order in ((f"{folds}-fold", None), ("temporal", order)):
        splits = _splits(len(x), folds, split_order)
        for method in ("baseline", "cs_toolkit"):
            pred = np.zeros_like(Y)
            tested = np.zeros(len(x), dtype=bool)
            start = time.perf_counter()
            for train, test in splits:
                pred[test] = _predict_multi(method, [x[i] for i in train], Y[train], [x[i] for i in test], classes, True)
                tested[test] = True
            seconds = time.perf_counter() - start
            t, p = Y[tested], pred[tested]
            record("车质网", "label (16)", split_name, method, seconds, _f1(t, p), _f1(t, p, average="micro"))
            tp = np.stack([t[:, ~service].any(axis=1), t[:, service].any(axis=1)], axis=1).astype(int)
            pp = np.stack([p[:, ~service].any(axis=1), p[:, service].any(axis=1)], axis=1).astype(int)
            record("车质网", "parent (quality/service)", split_name, method, seconds, _f1(tp, pp),
                   _f1(tp, pp, average="micro"))
            from sklearn.metrics import precision_recall_fscore_support

            _, _, f, s = precision_recall_fscore_support(t, p, zero_division=0)
            for j, lab in enumerate(classes):
                if lab in rare:
                    rare_rows.append(("车质网", split_name, method, lab, int(counts[lab]), int(s[j]), f[j]))

    print("\nquality: same splits, cs_toolkit against the tuned baseline")
    table = pd.DataFrame(rows, columns=["data", "level", "split", "method", "macro_f1", "micro_f1", "seconds", "note"])
    wide = table.pivot_table(index=["data", "level", "split"], columns="method", values=["macro_f1", "micro_f1"],
                             sort=False)
    wide[("macro_f1", "ratio")] = wide[("macro_f1", "cs_toolkit")] / wide[("macro_f1", "baseline")]
    print(wide.round(3).to_string())
    print("\nrare categories: per-class F1 (pooled over the folds, or on the temporal test part)")
    rare_table = pd.DataFrame(rare_rows, columns=["data", "split", "method", "category", "examples", "tested", "f1"])
    print(rare_table.pivot_table(index=["data", "category", "examples", "split"], columns="method", values="f1",
                                 sort=False).round(3).to_string())


# ============================================================================ speed
def distinct_complaints(n: int, seed: int) -> pd.DataFrame:
    """``n`` short Chinese complaints, nearly all distinct: project, building and room, one complaint
    template (numbers filled in), in a fifth of them a second issue, and a closing phrase."""
    from cs_toolkit.demo.complaints import TEMPLATES, _fill
    from cs_toolkit.demo.places import PROJECTS

    rng = np.random.default_rng(seed)
    cats = list(TEMPLATES)
    chinese = {c: [t for t in TEMPLATES[c] if not t.isascii()] for c in cats}
    tails = ["", "，请尽快处理", "，已经第二次了", "，希望物业重视", "，麻烦尽快安排", "！", "，谢谢", "，急"]
    rows = []
    for i in range(n):
        cat = cats[rng.integers(len(cats))]
        text = _fill(chinese[cat][rng.integers(len(chinese[cat]))], rng)
        if rng.random() < 0.2:
            other = cats[rng.integers(len(cats))]
            text += "，另外" + _fill(chinese[other][rng.integers(len(chinese[other]))], rng)
        project = PROJECTS[rng.integers(len(PROJECTS))][1]
        place = f"{project}{int(rng.integers(1, 30))}栋{int(rng.integers(1, 33))}0{int(rng.integers(1, 5))}室："
        rows.append((f"D{seed:02d}{i:07d}", place + text + tails[rng.integers(len(tails))], cat))
    return pd.DataFrame(rows, columns=["complaint_id", "text", "category"])


def _run(cmd: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system) and peak memory (MB) of one process, and its stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{cmd[:4]} failed: {err.read()[-2000:]}")
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read()


# A child's peak memory counts the pages of the process it was forked from: a small launcher measures it.
LAUNCHER = ("import resource, subprocess, sys\nrc = subprocess.call(sys.argv[1:])\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(rc)")


def _median_run(cmd: list[str], repeats: int = 3) -> tuple[float, float, float]:
    """Median wall and CPU seconds of ``repeats`` runs, and the peak memory (MB) of one more."""
    runs = [_run(cmd)[:3] for _ in range(repeats)]
    printed = _run([sys.executable, "-c", LAUNCHER, *cmd])[3]
    peak = int(printed.rsplit("MAXRSS", 1)[1].split()[0]) / 1024
    return float(np.median([r[0] for r in runs])), float(np.median([r[1] for r in runs])), peak


def speed(rows: int) -> None:
    import pickle

    print(f"\nspeed: {rows:,} generated complaints, whole processes (median of 3; CPU = user + system; the machine "
          f"has {os.cpu_count()} cores and load average {os.getloadavg()[0]:.1f} now)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train = distinct_complaints(rows, seed=11)
        test = distinct_complaints(rows, seed=12)
        print(f"distinct texts: {train['text'].nunique() / len(train):.1%} of the training rows, "
              f"{test['text'].nunique() / len(test):.1%} of the test rows; "
              f"{len(set(test['text']) & set(train['text']))} test texts also in training; "
              f"median length {test['text'].str.len().median():.0f} characters")
        train[["text", "category"]].to_csv(tmp / "train.csv", index=False)
        test[["complaint_id", "text"]].to_csv(tmp / "test.csv", index=False)
        cli = [sys.executable, "-m", "cs_toolkit.cli"]
        train_wall, train_cpu, _, _ = _run([*cli, "complaints", "train", str(tmp / "train.csv"), "--text",
                                           "text", "--label", "category", "--model", str(tmp / "ours.model")])
        start = time.perf_counter()
        base = tuned_baseline().fit(_baseline_frame(train["text"], True), train["category"])
        train_base = time.perf_counter() - start
        with open(tmp / "base.pkl", "wb") as fh:
            pickle.dump(base, fh)
        (tmp / "baseline_predict.py").write_text(BASELINE_SCRIPT)
        (tmp / "phases.py").write_text(PHASES_SCRIPT)
        predict = ["complaints", "predict", str(tmp / "test.csv"), "--text", "text", "--out", str(tmp / "ours.csv"),
                   "--model", str(tmp / "ours.model")]
        ours = _median_run([*cli, *predict])
        baseline = _median_run([sys.executable, str(tmp / "baseline_predict.py"), str(tmp / "base.pkl"),
                                str(tmp / "test.csv"), str(tmp / "base.csv")])
        _, _, _, printed = _run([sys.executable, str(tmp / "phases.py"), *predict])
        phases = json.loads(printed.split("PHASES ", 1)[1])
        out = pd.read_csv(tmp / "ours.csv")
        accuracy = (out["category"].to_numpy() == test["category"].to_numpy()).mean()
        print(f"{'what':<44} {'cs_toolkit':>11} {'tuned baseline':>15} {'ratio':>6}")
        print(f"{'predict, whole process: wall s':<44} {ours[0]:>11.2f} {baseline[0]:>15.2f} {ours[0] / baseline[0]:>6.2f}")
        print(f"{'predict, whole process: CPU s':<44} {ours[1]:>11.2f} {baseline[1]:>15.2f} {ours[1] / baseline[1]:>6.2f}")
        print(f"{'predict, rows per second (wall)':<44} {rows / ours[0]:>11,.0f} {rows / baseline[0]:>15,.0f}")
        print(f"{'predict, peak memory MB':<44} {ours[2]:>11.0f} {baseline[2]:>15.0f}")
        print(f"{'train (s; ours: process, with calibration)':<44} {train_wall:>11.1f} {train_base:>15.1f} "
              f"{train_wall / train_base:>6.2f}")
        print(f"{'train CPU s (ours)':<44} {train_cpu:>11.1f}")
        print("predict phases (one instrumented run, seconds):")
        for name, seconds in phases.items():
            print(f"  {name:<40} {seconds:>7.2f}")
        print(f"accuracy of cs_toolkit on the generated test set: {accuracy:.3f}; rows with a second category: "
              f"{out['category_2'].notna().mean():.1%}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not args.skip_quality:
        if SHARED.exists():
            quality(args.folds)
        else:
            print(f"quality: skipped, {SHARED} not found")
    if not args.skip_speed:
        speed(args.rows)


if __name__ == "__main__":
    main()
