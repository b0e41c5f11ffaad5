"""The review loop teaches the model: a model trained on partly wrong labels, its review queue corrected from
the demo's true labels and imported into the store, a model retrained from the store that is measurably
better on held-out complaints and promoted by the registry, and a one-command rollback. Also: review files
with unknown categories, edited or unknown ids, and a registry that refuses a worse model."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cs_toolkit.cli import main
from cs_toolkit.complaints import ComplaintClassifier, ModelRegistry, load_model, load_taxonomy
from cs_toolkit.complaints.review import (
    CHECK,
    CORRECTED,
    allowed_categories,
    import_review,
    labelled_set,
    review_queue,
    row_check,
)
from cs_toolkit.demo import make_complaints
from cs_toolkit.errors import ConfigError, MissingColumnError
from cs_toolkit.store import Store

TRUTH = ["category", "request_type", "dangerous", "threat", "incident_true"]


def _project(tmp_path: Path, log: pd.DataFrame, labels: pd.Series | None = None) -> list[str]:
    """A project folder whose store holds ``log`` (without its true labels; ``labels`` as the department's
    own ``category`` column). Returns the flags that point the CLI at it."""
    export = log.drop(columns=TRUTH)
    if labels is not None:
        export["category"] = labels.to_numpy()
    inbox = tmp_path / "inbox" / "complaints"
    inbox.mkdir(parents=True)
    export.to_csv(inbox / "complaint_log.csv", index=False, encoding="utf-8-sig")
    flags = ["--root", str(tmp_path), "--store", str(tmp_path / "store.duckdb")]
    assert main(["ingest", "--inbox", str(tmp_path / "inbox"), *flags]) == 0
    return flags


def _fill_corrections(path: Path, truth: dict[str, str], edit=None) -> None:
    """Type the true category of every row into the review sheet, as a reviewer would."""
    book = openpyxl.load_workbook(path)
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    cid, corrected = header.index("complaint_id"), header.index(CORRECTED)
    for row in sheet.iter_rows(min_row=2):
        row[corrected].value = truth[row[cid].value]
    if edit is not None:
        edit(sheet, header)
    book.save(path)


def _accuracy(model_path: Path, held_out: pd.DataFrame) -> float:
    model, _ = load_model(model_path)
    return float(np.mean(model.predict(held_out["text"].tolist()) == held_out["category"].to_numpy()))


@pytest.mark.slow
def test_corrections_move_the_model_and_the_registry_promotes_it_and_rolls_back(tmp_path, capsys):
    log = make_complaints(2000, seed=7, start="2026-09-01", weeks=13)
    truth = dict(zip(log["complaint_id"], log["category"], strict=True))
    rng = np.random.default_rng(7)
    # the department filed 250 complaints by hand, 30% of them in a wrong category
    filed = rng.choice(len(log), 250, replace=False)
    labels = pd.Series("", index=log.index, dtype=object)
    given = log["category"].to_numpy()[filed].copy()
    wrong = rng.random(len(given)) < 0.3
    given[wrong] = rng.choice(sorted(log["category"].unique()), int(wrong.sum()))
    labels.iloc[filed] = given
    flags = _project(tmp_path, log, labels)
    held_out = make_complaints(1000, seed=99)  # complaints no model trains on

    # 1. the first model, from the store's hand-filed labels: the registry promotes it (nothing to compare)
    assert main(["complaints", "train", "--from-store", "--label", "category", *flags]) == 0
    registry = ModelRegistry.for_root(tmp_path)
    first = registry.current_id
    assert first is not None and "first model" in capsys.readouterr().out

    # 2. the review queue: 300 complaints, safety cases first, then the smallest margins
    queue = tmp_path / "queue.xlsx"
    assert main(["complaints", "review", "export", "--label", "category", "--limit", "300", "--out", str(queue),
                 *flags]) == 0
    sheet = pd.read_excel(queue, sheet_name="review", dtype={"complaint_id": str})
    assert len(sheet) == 300 and sheet["rank"].tolist() == list(range(1, 301))
    pinned = sheet["escalation_level"].fillna("") == "P1"
    assert not pinned[pinned.sum():].any()  # every P1 row above every other
    rest = sheet.loc[~pinned, "margin"].to_numpy()
    assert (np.diff(rest) >= -1e-9).all()  # then by margin, smallest first
    assert sheet[CORRECTED].isna().all() and sheet[CHECK].notna().all()
    assert (sheet["review_reason"] == "the stored label disagrees with the model").any()
    assert not {"customer_name", "phone", "email"} & set(sheet.columns)  # no contact details in the file
    book = openpyxl.load_workbook(queue)
    assert book["review"].data_validations.dataValidation, "corrected_category has a drop-down"

    # 3. the reviewer types the true categories; the import accepts all 300
    _fill_corrections(queue, truth)
    assert main(["complaints", "review", "import", str(queue), "--who", "analyst", *flags]) == 0
    out = capsys.readouterr().out
    assert "300 accepted" in out and "0 refused" in out
    store = Store(tmp_path / "store.duckdb")
    stored = store.read("labels")
    assert len(stored) == 300 and set(stored["labelled_by"]) == {"analyst"}
    assert (stored["category"] == stored["complaint_id"].map(truth)).all()

    # 4. retrain from the store: the reviewed labels replace the wrong hand-filed ones
    found = labelled_set(store, label_column="category")
    assert (found.frame["label_source"] == "labels.review").sum() == 300
    assert main(["complaints", "train", "--from-store", "--label", "category", *flags]) == 0
    second = registry.current_id
    assert second != first, capsys.readouterr().out
    evaluation = registry.evaluation(second)
    comparison = evaluation["comparison"]
    assert comparison["method"] == "rows the current model never learned" and comparison["rows"] >= 100
    assert comparison["candidate_f1"] > comparison["current_f1"] + 0.2  # measured: 0.604 against 0.215
    assert evaluation["decision"]["promoted"]

    # 5. held-out accuracy rises (measured: 0.812 before, 0.928 after)
    before, after = _accuracy(registry.path(first), held_out), _accuracy(registry.path(second), held_out)
    assert before < 0.85 and after > 0.90 and after - before > 0.08, (before, after)
    assert _accuracy(registry.current_path(), held_out) == after  # the file the reports load

    # 6. rollback in one command restores the first model
    assert main(["complaints", "models", "list", *flags[:2]]) == 0
    listing = capsys.readouterr().out
    assert first in listing and second in listing and "current" in listing
    assert main(["complaints", "models", "rollback", *flags[:2]]) == 0
    assert registry.current_id == first
    with zipfile.ZipFile(registry.current_path()) as zf:
        assert json.loads(zf.read("card.json"))["metrics"]["registry_id"] == first
    assert _accuracy(registry.current_path(), held_out) == before
    assert main(["complaints", "models", "rollback", *flags[:2]]) == 2  # nothing older: a clear error
    assert "nothing to roll back to" in capsys.readouterr().err


@pytest.mark.slow
def test_a_multi_label_models_queue_takes_several_categories_per_row(tmp_path, capsys):
    log = make_complaints(300, seed=4)
    flags = _project(tmp_path, log)
    # a multi-label model: a quarter of the training labels carry a second category
    train = make_complaints(300, seed=14)
    second = np.where(np.arange(len(train)) % 4 == 0, "|service.attitude", "")
    train.assign(category=train["category"] + second).to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "multi.model"
    assert main(["complaints", "train", str(tmp_path / "train.csv"), "--text", "text", "--label", "category",
                 "--model", str(model)]) == 0
    queue = tmp_path / "queue.xlsx"
    assert main(["complaints", "review", "export", "--limit", "20", "--out", str(queue), "--model", str(model),
                 *flags]) == 0
    sheet = pd.read_excel(queue, sheet_name="review", dtype={"complaint_id": str})
    truth = {cid: f"{cat}|service.attitude" if cat != "service.attitude" else cat
             for cid, cat in zip(log["complaint_id"], log["category"], strict=True)}
    _fill_corrections(queue, truth)
    capsys.readouterr()
    # no --multi-label: the model says so
    assert main(["complaints", "review", "import", str(queue), "--who", "analyst", "--model", str(model),
                 *flags]) == 0
    assert f"{len(sheet)} rows read; {len(sheet)} accepted" in capsys.readouterr().out
    labels = Store(tmp_path / "store.duckdb").read("labels")
    wanted = {"|".join(sorted(truth[c].split("|"))) for c in sheet["complaint_id"]}  # stored sorted
    assert set(labels["category"]) == wanted and any("|" in c for c in wanted)


@pytest.mark.slow
def test_a_review_file_with_unknown_categories_and_edited_ids_is_refused_row_by_row(tmp_path, capsys):
    log = make_complaints(400, seed=3)
    truth = dict(zip(log["complaint_id"], log["category"], strict=True))
    flags = _project(tmp_path, log)
    queue = tmp_path / "queue.xlsx"
    # no model yet: the queue comes from the taxonomy's rules
    assert main(["complaints", "review", "export", "--limit", "30", "--out", str(queue), *flags]) == 0
    sheet = pd.read_excel(queue, sheet_name="review", dtype={"complaint_id": str})
    other_id = next(i for i in log["complaint_id"] if i not in set(sheet["complaint_id"]))

    def edit(ws, header):
        cid, cat, rev = header.index("complaint_id") + 1, header.index(CORRECTED) + 1, header.index("reviewer") + 1
        ws.cell(2, cat).value = "quality.leek"                       # a typo: unknown category
        ws.cell(3, cid).value = other_id                             # id edited to another complaint
        ws.cell(4, cid).value = "NOPE-1"                             # id edited to no complaint
        ws.cell(5, cat).value = None                                 # not reviewed
        ws.cell(6, cat).value = "ｑｕａｌｉｔｙ.ｌｅａｋ 渗漏"          # full-width drop-down entry: accepted
        ws.cell(7, cat).value = "物业收费"                            # a category's name: accepted
        ws.cell(8, rev).value = "王工"                                # the reviewer's own name
    _fill_corrections(queue, truth, edit)
    assert main(["complaints", "review", "import", str(queue), "--who", "analyst", *flags]) == 1
    out = capsys.readouterr().out
    assert len(sheet) == 30 and "30 rows read; 26 accepted" in out and "3 refused, 1 left empty" in out
    assert "unknown category 'quality.leek' (did you mean ['quality.leak'" in out
    assert f"complaint id {other_id!r} does not match its check code" in out
    assert "unknown complaint id 'NOPE-1'" in out
    refused = pd.read_csv(tmp_path / "queue_refused_rows.csv")
    assert refused["row"].tolist() == [2, 3, 4]
    labels = Store(tmp_path / "store.duckdb").read("labels")
    assert len(labels) == 26 and other_id not in set(labels["complaint_id"])
    assert "王工" in set(labels["labelled_by"])
    assert labels.set_index("complaint_id").loc[sheet["complaint_id"][4], "category"] == "quality.leak"
    assert labels.set_index("complaint_id").loc[sheet["complaint_id"][5], "category"] == "property.fees"

    # the same file again changes nothing (the rows replace themselves)
    assert main(["complaints", "review", "import", str(queue), *flags]) == 1
    assert "0 new labels, 26 replaced" in capsys.readouterr().out
    assert len(Store(tmp_path / "store.duckdb").read("labels")) == 26

    # a sheet whose check column was deleted cannot be matched safely: nothing is imported
    book = openpyxl.load_workbook(queue)
    ws = book["review"]
    ws.delete_cols([c.value for c in ws[1]].index(CHECK) + 1)
    book.save(tmp_path / "no_check.xlsx")
    assert main(["complaints", "review", "import", str(tmp_path / "no_check.xlsx"), *flags]) == 2
    assert "['check'] are not in the review sheet" in capsys.readouterr().err


def test_the_review_queue_pins_safety_orders_by_margin_and_skips_reviewed_rows():
    frame = pd.DataFrame({
        "complaint_id": ["a", "b", "c", "d", "e", "f"],
        "text": ["漏水", "电梯困人", "物业费", "", "门窗", "车位"],
        "category": ["quality.leak", "quality.equipment", "property.fees", "", "quality.doors_windows",
                     "property.parking"],
        "confidence": [0.5, 0.9, 0.3, 0.0, 0.95, 0.99],
        "confidence_2": [0.45, 0.05, 0.1, 0.0, 0.02, 0.0],
        "needs_review": [True, True, True, True, False, False],
        "escalation_level": ["", "P1", "", "", "", ""],
        "filed": ["", "", "", "", "", "property.fees"],
    })
    queue = review_queue(frame, stored_label="filed", reviewed=["c"])
    # b: safety, pinned; a: margin 0.05; f: filed label disagrees (margin 0.99); c reviewed; d empty; e confident
    assert queue["complaint_id"].tolist() == ["b", "a", "f"]
    assert queue["margin"].round(2).tolist() == [0.85, 0.05, 0.99]
    assert queue.loc[2, "review_reason"] == "the stored label disagrees with the model"
    assert queue[CHECK].tolist() == [row_check(i, t) for i, t in zip(["b", "a", "f"], ["电梯困人", "漏水", "车位"],
                                                                        strict=True)]
    with pytest.raises(MissingColumnError, match="confidence"):
        review_queue(frame.drop(columns="confidence"))


def test_the_registry_refuses_a_worse_model_until_forced(tmp_path):
    log = make_complaints(600, seed=5)
    texts, labels = log["text"].tolist(), log["category"].tolist()
    registry = ModelRegistry(tmp_path / "models")
    good = registry.register(ComplaintClassifier(cv=3).fit(texts, labels), texts, labels, cv=3)
    assert good.promoted and registry.current_id == good.id
    # a worse configuration (almost no fit: C tiny), trained on newer labelled complaints
    fresh = make_complaints(400, seed=6)
    weak = ComplaintClassifier(cv=3, C=1e-4).fit(fresh["text"].tolist(), fresh["category"].tolist())
    worse = registry.register(weak, fresh["text"].tolist(), fresh["category"].tolist(), cv=3)
    comparison = worse.evaluation["comparison"]
    assert comparison["method"] == "rows the current model never learned", comparison
    assert not worse.promoted and registry.current_id == good.id, comparison
    assert comparison["candidate_f1"] < comparison["current_f1"]
    table = registry.list().set_index("id")
    assert table.loc[worse.id, "status"] == "refused" and table.loc[good.id, "status"] == "current"
    with pytest.raises(ConfigError, match="was not promoted"):
        registry.promote(worse.id)
    assert "now the current model" in registry.promote(worse.id, force=True)
    assert registry.current_id == worse.id
    assert "rolled back" in registry.rollback() and registry.current_id == good.id
    events = registry.events()["event"].tolist()
    assert events.count("promote") == 2 and events.count("refuse") == 1 and events[-1] == "rollback"
    # the same labelled data as the current model's: both configurations are cross-validated on it
    again = registry.register(ComplaintClassifier(cv=3).fit(texts, labels), texts, labels, cv=3)
    assert again.evaluation["comparison"]["method"] == "both configurations cross-validated"
    assert again.promoted  # the same configuration on the same data is not worse


def test_train_from_store_without_labels_and_import_without_complaints_say_what_to_do(tmp_path, capsys):
    flags = _project(tmp_path, make_complaints(60, seed=1))
    assert main(["complaints", "train", "--from-store", *flags]) == 2
    assert "no labelled complaints to train on" in capsys.readouterr().err
    empty = Store(tmp_path / "empty.duckdb")
    with pytest.raises(Exception, match="ingest the complaint log first"):
        import_review(empty, tmp_path / "missing.xlsx", allowed=allowed_categories(load_taxonomy()))
    assert main(["complaints", "train", "--text", "text", *flags]) == 2
    assert "--from-store" in capsys.readouterr().err


@pytest.mark.slow
def test_a_predictions_file_makes_a_queue_and_a_file_trained_model_can_be_registered(tmp_path, capsys):
    log = make_complaints(600, seed=9)
    flags = _project(tmp_path, log)
    train = tmp_path / "train.csv"
    log.head(300)[["complaint_id", "text", "category"]].to_csv(train, index=False, encoding="utf-8-sig")
    assert main(["complaints", "train", str(train), "--text", "text", "--label", "category", "--register",
                 *flags]) == 0
    assert "first model" in capsys.readouterr().out
    current = ModelRegistry.for_root(tmp_path).current_path()
    new = tmp_path / "new.csv"
    log.tail(300).drop(columns=TRUTH).to_csv(new, index=False, encoding="utf-8-sig")
    predictions = tmp_path / "predictions.csv"
    assert main(["complaints", "predict", str(new), "--text", "text", "--model", str(current), "--out",
                 str(predictions)]) == 0
    queue = tmp_path / "queue.xlsx"
    assert main(["complaints", "review", "export", "--predictions", str(predictions), "--limit", "25", "--out",
                 str(queue), *flags]) == 0
    sheet = pd.read_excel(queue, sheet_name="review", dtype={"complaint_id": str})
    flagged = pd.read_csv(predictions)["needs_review"].astype(str).str.lower().eq("true").sum()
    assert 0 < len(sheet) == min(25, flagged) and set(sheet["complaint_id"]) <= set(log.tail(300)["complaint_id"])
    _fill_corrections(queue, dict(zip(log["complaint_id"], log["category"], strict=True)))
    assert main(["complaints", "review", "import", str(queue), *flags]) == 0
    assert f"{len(sheet)} accepted" in capsys.readouterr().out
