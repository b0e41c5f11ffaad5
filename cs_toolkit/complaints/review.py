"""The review loop: the complaints a person should look at, their corrections back into the store's
labelled set, and that labelled set for retraining.

1. :func:`review_queue` picks the rows worth a person's time from a categorised table — those flagged
   ``needs_review`` and those whose stored label disagrees with the model — and orders them by their value
   to the model: the smallest **margin** first, where the margin is the probability of the model's
   category minus that of the runner-up (the model hesitates most between two categories there; for
   multi-label models and rule-based categories, the confidence). Safety cases (P1) are pinned on top
   whatever their margin: a person must see them today.
2. :func:`write_review_workbook` writes the queue as an Excel sheet with an empty ``corrected_category``
   column (a drop-down of the categories), the complaint id and a ``check`` code binding the id to the
   complaint's text, so an edited id is caught on import.
3. :func:`import_review` reads the corrections back into the store: table ``labels`` (one current label per
   complaint id, with who, when, the source file and a hash of the text it was given for) and
   ``label_events`` (every label ever imported). Rows with an unknown category, an unknown or edited id, or
   two different categories for one complaint are refused with their row number and reason; the others are
   accepted and counted.
4. :func:`labelled_set` joins the store's complaints with their labels for ``complaints train --from-store``.
   A label given for a text that has changed since (a corrected export replaced the complaint) is left out
   and counted.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cs_toolkit.errors import ConfigError, CSToolkitError, MissingColumnError, StoreError

REVIEW_SHEET = "review"
CATEGORY_SHEET = "categories"
ABOUT_SHEET = "about"
CORRECTED = "corrected_category"
CHECK = "check"
ID = "complaint_id"
LABELS = "labels"
LABEL_EVENTS = "label_events"
QUEUE_COLUMNS = ["rank", ID, "created_at", "project", "escalation_level", "text", "model_category",
                 "model_category_name", "confidence", "runner_up", "runner_up_name", "margin", "stored_label",
                 "review_reason", CORRECTED, "reviewer", "note", CHECK]


# ------------------------------------------------------------------------------------------ helpers
def _norm(value: object) -> str:
    """NFKC, trimmed: full-width letters, digits and spaces become ASCII."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _id_text(value: object) -> str:
    """A complaint id as text (Excel may turn ``1001`` into ``1001.0``)."""
    if isinstance(value, float) and not np.isnan(value) and value.is_integer():
        return str(int(value))
    return _norm(value)


def text_key(text: object) -> str:
    """A short hash of a complaint's normalised text (NFKC, lower case, whitespace removed)."""
    norm = "".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).lower().split())
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def row_check(complaint_id: object, text: object) -> str:
    """The check code of a review row: binds the complaint id to its text.

    Examples
    --------
    >>> row_check("T001", "漏水") == row_check("T001", " 漏水 "), row_check("T001", "漏水") == row_check("T002", "漏水")
    (True, False)
    """
    raw = f"{_id_text(complaint_id)}\x1f{text_key(text)}".encode()
    return hashlib.blake2b(raw, digest_size=5).hexdigest()


def allowed_categories(taxonomy=None, classes: Iterable[str] | None = None, language: str = "zh") -> dict[str, str]:
    """The categories a reviewer may choose: the taxonomy's leaves and the model's classes, id -> name.

    Examples
    --------
    >>> from cs_toolkit.complaints import load_taxonomy
    >>> cats = allowed_categories(load_taxonomy())
    >>> cats["quality.leak"], "quality" in cats
    ('渗漏', False)
    """
    out: dict[str, str] = {}
    if taxonomy is not None:
        for leaf in taxonomy.leaves():
            out[leaf.id] = leaf.name_zh if language == "zh" else leaf.name_en
    for c in ([] if classes is None else list(classes)):
        c = str(c)
        if c and c not in out:
            out[c] = taxonomy.label(c, language) if taxonomy is not None else c
    return out


def _choice(category_id: str, name: str) -> str:
    return category_id if name == category_id else f"{category_id} {name}"


def parse_category(value: object, allowed: Mapping[str, str]) -> str | None:
    """The category id a reviewer meant: an id, a drop-down entry (``"quality.leak 渗漏"``) or a category's
    name when only one category has it; None when it is none of these.

    Examples
    --------
    >>> allowed = {"quality.leak": "渗漏", "property.fees": "物业收费"}
    >>> [parse_category(v, allowed) for v in ["quality.leak", "ｑｕａｌｉｔｙ.ｌｅａｋ 渗漏", "物业收费", "leaks"]]
    ['quality.leak', 'quality.leak', 'property.fees', None]
    """
    text = _norm(value)
    if not text:
        return None
    if text in allowed:
        return text
    first = text.split()[0]
    if first in allowed:
        return first
    by_name = [cid for cid, name in allowed.items() if name == text]
    return by_name[0] if len(by_name) == 1 else None


# ------------------------------------------------------------------------------------------ the queue
def margins(frame: pd.DataFrame, text: str, model=None) -> pd.DataFrame:
    """``runner_up``, ``runner_up_confidence`` and ``margin`` (confidence of the category minus the runner-up's)
    for every row of a categorised ``frame``.

    With a single-label ``model`` the margin comes from its probabilities; otherwise from the columns
    ``confidence`` and ``confidence_2`` when the table has them, else the margin is the confidence itself.
    """
    out = pd.DataFrame(index=frame.index)
    out["runner_up"] = ""
    out["runner_up_confidence"] = np.nan
    confidence = pd.to_numeric(frame["confidence"], errors="coerce").fillna(0.0)
    if model is not None and not getattr(model, "multi_label", False) and hasattr(model, "predict_proba"):
        texts = frame[text].fillna("").astype(str).tolist()
        proba = np.asarray(model.predict_proba(texts)) if texts else np.zeros((0, 2))
        if proba.ndim == 2 and proba.shape[1] >= 2 and len(proba):
            order = np.argsort(-proba, axis=1)
            top = proba[np.arange(len(proba)), order[:, 0]]
            second = proba[np.arange(len(proba)), order[:, 1]]
            out["runner_up"] = np.asarray(model.classes_, dtype=object)[order[:, 1]]
            out["runner_up_confidence"] = second
            out["margin"] = top - second
            return out
    if "confidence_2" in frame.columns:
        second = pd.to_numeric(frame["confidence_2"], errors="coerce").fillna(0.0)
        out["runner_up"] = frame.get("category_2", pd.Series("", index=frame.index)).fillna("").astype(str)
        out["runner_up_confidence"] = second
        out["margin"] = confidence - second
    else:
        out["margin"] = confidence
    return out


def review_queue(categorised: pd.DataFrame, text: str = "text", *, id_column: str = ID, model=None,
                 stored_label: str | None = None, reviewed: Iterable[str] = (), pin: Sequence[str] = ("P1",),
                 limit: int | None = None, category_name=None) -> pd.DataFrame:
    """The rows a person should review, most valuable to the model first.

    Parameters
    ----------
    categorised : DataFrame
        Output of :func:`cs_toolkit.complaints.categorise` (or of ``complaints predict``): ``category``,
        ``confidence``, ``needs_review``, ``review_reason`` and the id and text columns.
    text, id_column : str
        Text and complaint id columns.
    model : ComplaintClassifier, optional
        The model that categorised the table: its probabilities give the margins (see :func:`margins`).
    stored_label : str, optional
        A column of labels the complaints already have (e.g. the department's manual filing): labelled rows
        join the queue only when their label disagrees with the model.
    reviewed : iterable of str
        Complaint ids a person has already reviewed: left out.
    pin : sequence of str
        Escalation levels placed first whatever their margin (default P1, safety).
    limit : int, optional
        At most this many rows.
    category_name : callable, optional
        ``id -> display name`` (e.g. ``taxonomy.label``).

    Returns
    -------
    DataFrame
        :data:`QUEUE_COLUMNS` (those the input allows), ranked from 1, with empty ``corrected_category``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"complaint_id": ["a", "b", "c"], "text": ["漏水", "物业费", "门窗"],
    ...                   "category": ["quality.leak", "property.fees", "quality.doors_windows"],
    ...                   "confidence": [0.55, 0.9, 0.4], "needs_review": [True, False, True],
    ...                   "review_reason": ["low", "", "low"], "escalation_level": ["", "", ""]})
    >>> review_queue(t)[["rank", "complaint_id", "margin"]].values.tolist()
    [[1, 'c', 0.4], [2, 'a', 0.55]]
    """
    for column in (id_column, text, "category", "confidence"):
        if column not in categorised.columns:
            raise MissingColumnError("<categorised table>", [column], list(categorised.columns),
                                     hint="Categorise the complaints first (cs_toolkit.complaints.categorise).")
    frame = categorised.copy()
    ids = frame[id_column].map(_id_text)
    texts = frame[text].fillna("").astype(str)
    needs = frame["needs_review"] if "needs_review" in frame else pd.Series(True, index=frame.index)
    needs = needs.map(lambda v: str(v).strip().lower() in ("true", "1", "yes") if not isinstance(v, bool | np.bool_)
                      else bool(v)).astype(bool)
    reasons = frame.get("review_reason", pd.Series("", index=frame.index)).fillna("").astype(str)
    category = frame["category"].fillna("").astype(str)
    keep = needs.copy()
    stored = pd.Series("", index=frame.index, dtype=object)
    if stored_label is not None and stored_label in frame.columns:
        stored = frame[stored_label].fillna("").astype(str).map(_norm)
        labelled = stored != ""
        disagree = labelled & (stored != category)
        keep = (keep & ~labelled) | disagree
        reasons = reasons.where(~disagree, "the stored label disagrees with the model")
    keep &= texts.str.strip() != ""  # an empty complaint cannot teach the model anything
    keep &= ids != ""
    keep &= ~ids.isin({_id_text(r) for r in reviewed})
    frame, ids, texts, reasons, stored, category = (x[keep] for x in (frame, ids, texts, reasons, stored, category))
    m = margins(frame, text, model)
    level = frame.get("escalation_level", pd.Series("", index=frame.index)).fillna("").astype(str)
    name = category_name or (lambda c: c)
    queue = pd.DataFrame({
        ID: ids,
        "created_at": frame.get("created_at", pd.NaT),
        "project": frame["project"].fillna("").astype(str) if "project" in frame else "",
        "escalation_level": level,
        "text": texts,
        "model_category": category,
        "model_category_name": category.map(lambda c: name(c) if c else ""),
        "confidence": pd.to_numeric(frame["confidence"], errors="coerce").round(4),
        "runner_up": m["runner_up"],
        "runner_up_name": m["runner_up"].map(lambda c: name(c) if c else ""),
        "margin": m["margin"].round(4),
        "stored_label": stored,
        "review_reason": reasons,
        CORRECTED: "",
        "reviewer": "",
        "note": "",
        CHECK: [row_check(i, t) for i, t in zip(ids, texts, strict=True)],
    }, index=frame.index)
    queue["_pinned"] = ~level.isin(list(pin))
    queue = queue.sort_values(["_pinned", "margin", ID], kind="stable").drop(columns="_pinned")
    if limit is not None:
        queue = queue.head(limit)
    queue.insert(0, "rank", np.arange(1, len(queue) + 1))
    if "created_at" not in categorised.columns:
        queue = queue.drop(columns="created_at")
    if "project" not in categorised.columns:
        queue = queue.drop(columns="project")
    if stored_label is None:
        queue = queue.drop(columns="stored_label")
    return queue.reset_index(drop=True)


_ABOUT = {
    "zh": [
        "复核说明",
        "1. 在“review”表的 corrected_category 列为每条投诉选择正确的类别（下拉列表，或照抄“categories”表中的类别 id）。",
        "2. 模型判断正确时，也请选择同一类别：确认同样能教会模型。",
        "3. 不确定的行请留空：留空的行不会导入。",
        "4. 不要修改 complaint_id 和 check 列；可以排序和筛选（整行一起移动）。",
        "5. 复核完成后保存，运行：cs-toolkit complaints review import 本文件",
        "排序：安全隐患（P1）置顶，其余按模型的犹豫程度（margin：最可能类别与第二可能类别的概率差，越小越靠前）。",
    ],
    "en": [
        "How to review",
        "1. In the 'review' sheet, choose each complaint's right category in corrected_category (the drop-down, "
        "or a category id from the 'categories' sheet).",
        "2. When the model is right, choose the same category: a confirmation teaches the model too.",
        "3. Leave a row empty when unsure: empty rows are not imported.",
        "4. Do not edit complaint_id or check; sorting and filtering are fine (whole rows move together).",
        "5. Save, then run: cs-toolkit complaints review import THIS_FILE",
        "Order: safety cases (P1) first, then by the model's hesitation (margin: probability of its category "
        "minus the runner-up's; smallest first).",
    ],
}


def write_review_workbook(queue: pd.DataFrame, path: str | Path, *, categories: Mapping[str, str],
                          about: Mapping[str, object] | None = None, language: str = "zh") -> Path:
    """Write the review queue to ``path`` (.xlsx): sheets ``review`` (the queue, ``corrected_category`` with a
    drop-down of ``categories``), ``categories`` (id, name, drop-down entry) and ``about`` (how to review,
    where the queue came from)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ConfigError(f"{path}: the review file must be an .xlsx workbook")
    path.parent.mkdir(parents=True, exist_ok=True)
    cats = pd.DataFrame({"id": list(categories), "name": list(categories.values())})
    cats["choice"] = [_choice(i, n) for i, n in zip(cats["id"], cats["name"], strict=True)]
    tmp = path.with_name(path.name + ".tmp.xlsx")
    frame = queue.copy()
    if "created_at" in frame:
        frame["created_at"] = pd.to_datetime(frame["created_at"], errors="coerce")
    with pd.ExcelWriter(tmp, engine="xlsxwriter") as writer:
        book = writer.book
        header = book.add_format({"bold": True, "bg_color": "#EEF3F9", "bottom": 2, "text_wrap": True})
        todo = book.add_format({"bold": True, "bg_color": "#FFF2CC", "bottom": 2, "text_wrap": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
        number = book.add_format({"num_format": "0.000", "valign": "top"})
        frame.to_excel(writer, sheet_name=REVIEW_SHEET, index=False)
        sheet = writer.sheets[REVIEW_SHEET]
        sheet.freeze_panes(1, 2)
        widths = {"rank": 6, ID: 14, "created_at": 17, "project": 10, "escalation_level": 8, "text": 50,
                  "model_category": 22, "model_category_name": 14, "confidence": 10, "runner_up": 22,
                  "runner_up_name": 14, "margin": 9, "stored_label": 20, "review_reason": 24, CORRECTED: 30,
                  "reviewer": 10, "note": 24, CHECK: 12}
        for j, column in enumerate(frame.columns):
            sheet.write(0, j, column, todo if column in (CORRECTED, "reviewer", "note") else header)
            fmt = when if column == "created_at" else number if column in ("confidence", "margin") else wrap
            options = {"hidden": True} if column == CHECK else {}
            sheet.set_column(j, j, widths.get(column, 14), fmt, options)
        if len(frame) and len(cats):
            j = list(frame.columns).index(CORRECTED)
            sheet.data_validation(1, j, len(frame), j, {
                "validate": "list", "source": f"='{CATEGORY_SHEET}'!$C$2:$C${len(cats) + 1}",
                "error_type": "warning", "error_title": "category",
                "error_message": "Not a category of the list: the import will refuse this row."})
        sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)
        cats.to_excel(writer, sheet_name=CATEGORY_SHEET, index=False)
        csheet = writer.sheets[CATEGORY_SHEET]
        for j, w in enumerate((26, 18, 40)):
            csheet.set_column(j, j, w)
        lines = list(_ABOUT["zh" if language == "zh" else "en"])
        lines += [""] + [f"{k}: {v}" for k, v in (about or {}).items()]
        pd.DataFrame({"about": lines}).to_excel(writer, sheet_name=ABOUT_SHEET, index=False)
        writer.sheets[ABOUT_SHEET].set_column(0, 0, 120)
    tmp.replace(path)
    return path


# ------------------------------------------------------------------------------------------ import
@dataclass
class ReviewImport:
    """What an import of a review file did.

    ``accepted`` holds the labels written (``complaint_id``, ``category``...), ``refused`` the refused rows
    (``row`` as Excel shows it, ``complaint_id``, ``value``, ``reason``); ``unreviewed`` counts rows left empty.
    """

    file: str
    rows_read: int
    accepted: pd.DataFrame
    refused: pd.DataFrame
    unreviewed: int
    added: int = 0
    replaced: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def confirmed(self) -> int:
        """Accepted labels equal to the model's category."""
        return int((self.accepted["category"] == self.accepted["model_category"]).sum()) if len(self.accepted) else 0

    @property
    def changed(self) -> int:
        return len(self.accepted) - self.confirmed

    def summary(self) -> str:
        return (f"{self.file}: {self.rows_read} rows read; {len(self.accepted)} accepted ({self.changed} corrected, "
                f"{self.confirmed} confirmed; {self.added} new labels, {self.replaced} replaced), "
                f"{len(self.refused)} refused, {self.unreviewed} left empty")


def _read_review_table(path: Path) -> tuple[pd.DataFrame, int]:
    from cs_toolkit.errors import UnreadableFileError
    from cs_toolkit.io.tables import read_table

    try:
        table = read_table(path, sheet=REVIEW_SHEET) if path.suffix.lower() in (".xlsx", ".xlsm") else read_table(path)
    except UnreadableFileError as exc:
        if "no worksheet" not in str(exc):
            raise
        table = read_table(path, sheet=0)
    required = [ID, CORRECTED, CHECK]
    missing = [c for c in required if c not in table.frame.columns]
    if missing:
        raise MissingColumnError(
            path, missing, list(table.frame.columns),
            message=(f"{path}: column(s) {missing} are not in the review sheet, so its rows cannot be matched to "
                     f"complaints safely; nothing was imported. Review a file written by `cs-toolkit complaints "
                     f"review export` without deleting or renaming its columns."))
    return table.frame, table.rows_read


def check_review(frame: pd.DataFrame, store_texts: Mapping[str, str], allowed: Mapping[str, str], *,
                 multi_label: bool = False, label_sep: str = "|", file: str = "<review>") -> tuple[pd.DataFrame,
                                                                                                 pd.DataFrame, int]:
    """Split the rows of a review sheet into accepted labels, refused rows (with reasons) and a count of
    rows left empty. ``store_texts`` maps complaint ids to their texts in the store."""
    accepted, refused = [], []
    unreviewed = 0
    for row, rec in frame.iterrows():
        value = _norm(rec.get(CORRECTED))
        cid = _id_text(rec.get(ID))
        if not value:
            unreviewed += 1
            continue

        def refuse(reason: str, cid=cid, row=row, value=value) -> None:
            refused.append({"row": int(row), ID: cid, "value": value, "reason": reason})

        if not cid:
            refuse("missing complaint id")
            continue
        if cid not in store_texts:
            refuse(f"unknown complaint id {cid!r}: not in the store's complaints (edited, or the complaint log "
                   f"was never ingested)")
            continue
        if _norm(rec.get(CHECK)) != row_check(cid, store_texts[cid]):
            refuse(f"complaint id {cid!r} does not match its check code: the id was edited, or the complaint's "
                   f"text changed in the store since the export; export the queue again")
            continue
        parts = [p for p in (value.split(label_sep) if multi_label else [value]) if _norm(p)]
        parsed = [parse_category(p, allowed) for p in parts]
        bad = [p for p, q in zip(parts, parsed, strict=True) if q is None]
        if bad or not parsed:
            close = difflib.get_close_matches(_norm(bad[0]) if bad else value, list(allowed), n=2, cutoff=0.5)
            refuse(f"unknown category {bad[0] if bad else value!r}" + (f" (did you mean {close}?)" if close else "")
                   + "; choose one from the 'categories' sheet")
            continue
        category = label_sep.join(sorted(dict.fromkeys(parsed))) if multi_label else parsed[0]
        accepted.append({"row": int(row), ID: cid, "category": category,
                         "model_category": _norm(rec.get("model_category")),
                         "reviewer": _norm(rec.get("reviewer")), "note": _norm(rec.get("note")),
                         "text_key": text_key(store_texts[cid])})
    acc = pd.DataFrame(accepted, columns=["row", ID, "category", "model_category", "reviewer", "note", "text_key"])
    ref = pd.DataFrame(refused, columns=["row", ID, "value", "reason"])
    if len(acc):
        conflicts = acc.groupby(ID)["category"].transform("nunique") > 1
        if conflicts.any():
            for _, r in acc[conflicts].iterrows():
                ref.loc[len(ref)] = {"row": r["row"], ID: r[ID], "value": r["category"],
                                     "reason": f"complaint {r[ID]!r} reviewed twice in this file with different "
                                               f"categories"}
            acc = acc[~conflicts]
        acc = acc.drop_duplicates(ID, keep="last")
    return acc.reset_index(drop=True), ref.sort_values("row").reset_index(drop=True), unreviewed


def import_review(store, path: str | Path, *, allowed: Mapping[str, str], who: str | None = None,
                  text: str = "text", multi_label: bool = False, label_sep: str = "|",
                  model_id: str | None = None) -> ReviewImport:
    """Read a reviewed file into the store's labelled set (tables ``labels`` and ``label_events``).

    Every accepted row becomes the complaint's current label (who: the row's ``reviewer`` or ``who``; when:
    now, UTC; source: the file's name and SHA-256). Refused rows are listed with their reasons and not
    written; the accepted ones are written in one transaction. Importing the same file again changes nothing
    (its rows replace themselves).

    Parameters
    ----------
    store : Store
    path : path
        The reviewed ``.xlsx`` (or the same table saved as CSV).
    allowed : mapping
        Category id -> name (:func:`allowed_categories`): anything else is refused.
    who : str, optional
        Reviewer recorded when a row's ``reviewer`` cell is empty (default: the user running the import).
    multi_label, label_sep
        Several categories per complaint, separated by ``label_sep``.
    model_id : str, optional
        The registry id of the model that made the queue, recorded with each label.
    """
    from cs_toolkit.complaints.registry import _who
    from cs_toolkit.store.ingest import sha256_of

    path = Path(path)
    complaints = _table_or_none(store, "complaints", columns=[ID, text])
    if complaints is None:
        raise StoreError(f"{store}: no complaints in the store, so the review cannot be matched to them; ingest "
                         f"the complaint log first (cs-toolkit ingest)", table="complaints")
    frame, rows_read = _read_review_table(path)
    store_texts = dict(zip(complaints[ID].map(_id_text), complaints[text].fillna("").astype(str), strict=True))
    accepted, refused, unreviewed = check_review(frame, store_texts, allowed, multi_label=multi_label,
                                                 label_sep=label_sep, file=path.name)
    result = ReviewImport(path.name, rows_read, accepted, refused, unreviewed)
    if accepted.empty:
        return result
    sha = sha256_of(path)
    now = _utcnow()
    default_who = _who(who)
    labels = pd.DataFrame({
        ID: accepted[ID].to_numpy(),
        "category": accepted["category"].to_numpy(),
        "model_category": accepted["model_category"].to_numpy(),
        "labelled_by": accepted["reviewer"].where(accepted["reviewer"] != "", default_who).to_numpy(),
        "labelled_at": now,
        "source": "review",
        "source_file": path.name,
        "source_sha256": sha,
        "source_row": accepted["row"].astype("int64").to_numpy(),
        "model_id": model_id or "",
        "note": accepted["note"].to_numpy(),
        "text_key": accepted["text_key"].to_numpy(),
    })
    events = labels.copy()
    events.insert(0, "event_id", labels[ID] + "@" + sha[:16])
    try:
        with store.backend.write() as con:
            result.added, result.replaced = store.upsert(LABELS, labels, ID, "labelled_at", con=con)
            store.upsert(LABEL_EVENTS, events, "event_id", "labelled_at", con=con)
    except CSToolkitError:
        raise
    except Exception as exc:
        raise StoreError(f"{store}: the labels could not be written ({type(exc).__name__}: {exc}); nothing was "
                         f"imported, the review file is unchanged", table=LABELS) from exc
    return result


# ------------------------------------------------------------------------------------------ labelled set
@dataclass
class LabelledSet:
    """Complaints with labels, ready to train on; ``notes`` says what was left out and why."""

    frame: pd.DataFrame  # complaint_id, text, label, label_source
    notes: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return self.frame["text"].tolist()

    def labels(self, multi_label: bool = False, label_sep: str = "|") -> list:
        if multi_label:
            return [[p.strip() for p in str(v).split(label_sep) if p.strip()] for v in self.frame["label"]]
        return self.frame["label"].tolist()

    @property
    def ids(self) -> list[str]:
        return self.frame[ID].tolist()


def _table_or_none(store, table: str, **kw) -> pd.DataFrame | None:
    if table not in store.tables():
        return None
    return store.read(table, **kw)


def labelled_set(store, *, text: str = "text", label_column: str | None = None) -> LabelledSet:
    """The store's complaints joined with their labels.

    A complaint's label is its row in ``labels`` (a reviewed correction) or else, when ``label_column`` is
    given, that column of the complaints table (e.g. the department's own filing). Complaints with an empty
    text or without a label are left out; so are reviewed labels given for a text that has changed since.
    """
    complaints = _table_or_none(store, "complaints")
    if complaints is None:
        raise StoreError(f"{store}: no complaints in the store; ingest a complaint log first (cs-toolkit ingest)",
                         table="complaints")
    for column in (text, label_column):
        if column is not None and column not in complaints.columns:
            raise MissingColumnError(f"{store} table complaints", [column], list(complaints.columns))
    frame = pd.DataFrame({ID: complaints[ID].map(_id_text), "text": complaints[text].fillna("").astype(str)})
    frame["label"] = complaints[label_column].fillna("").astype(str).map(_norm) if label_column else ""
    frame["label_source"] = np.where(frame["label"] != "", f"complaints.{label_column}", "")
    notes = []
    labels = _table_or_none(store, LABELS)
    if labels is not None and len(labels):
        labels = labels.assign(**{ID: labels[ID].map(_id_text)}).drop_duplicates(ID, keep="last").set_index(ID)
        joined = frame[ID].map(labels["category"]).fillna("")
        keys = frame[ID].map(labels["text_key"]).fillna("")
        current = frame["text"].map(text_key)
        stale = (joined != "") & (keys != current)
        if stale.any():
            notes.append(f"{int(stale.sum())} reviewed label(s) left out: the complaint's text changed since it was "
                         f"reviewed (review it again)")
        use = (joined != "") & ~stale
        frame.loc[use, "label"] = joined[use]
        frame.loc[use, "label_source"] = "labels." + frame[ID][use].map(labels["source"]).fillna("").astype(str)
        orphans = sorted(set(labels.index) - set(frame[ID]))
        if orphans:
            notes.append(f"{len(orphans)} label(s) for complaints no longer in the store left out")
    empty = frame["text"].str.strip() == ""
    unlabelled = frame["label"] == ""
    if (empty & ~unlabelled).any():
        notes.append(f"{int((empty & ~unlabelled).sum())} labelled complaint(s) with an empty text left out")
    out = frame[~empty & ~unlabelled].reset_index(drop=True)
    notes.insert(0, f"{len(out)} labelled complaints ({int(out['label_source'].str.startswith('labels.').sum())} "
                    f"from reviews) of {len(frame)} in the store")
    return LabelledSet(out, notes)


def reviewed_ids(store) -> set[str]:
    """Ids of complaints that already have a reviewed label."""
    labels = _table_or_none(store, LABELS, columns=[ID])
    return set() if labels is None else set(labels[ID].map(_id_text))


def _utcnow() -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))




# ------------------------------------------------------------------------------------------ sources of a queue
def queue_from_store(store, period=None, *, model=None, taxonomy=None, text: str = "text",
                     label_column: str | None = None, language: str = "zh", sla_hours: float | None = None,
                     limit: int | None = None, redact: bool = True) -> pd.DataFrame:
    """The review queue of the store's complaints created in ``period`` (all when None), categorised with
    ``model`` (or the ``taxonomy``'s rules); complaints reviewed before are left out. Texts are redacted
    (phone numbers, e-mails, ID numbers and the customers' names) after the check codes are made."""
    from cs_toolkit.complaints.categorise_table import categorise
    from cs_toolkit.complaints.taxonomy import load_taxonomy

    complaints = store.read("complaints", period=period)
    if complaints.empty:
        raise StoreError(f"{store}: no complaints created in {period}; nothing to review", table="complaints")
    frame = complaints.copy()
    stored = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise MissingColumnError(f"{store} table complaints", [label_column], list(frame.columns))
        frame = frame.rename(columns={label_column: "stored_label"})
        stored = "stored_label"
    escalation = {k: c for k, c in (("created", "created_at"), ("responded", "first_response_at"),
                                    ("customer", "customer_id")) if c in frame.columns}
    if sla_hours is not None:
        escalation["sla_hours"] = sla_hours
    kind = {"model": model} if model is not None else {"taxonomy": taxonomy or load_taxonomy()}
    categorised = categorise(frame, text, language=language, **escalation, **kind)
    name_source = taxonomy or load_taxonomy()
    queue = review_queue(categorised, text, model=model, stored_label=stored, reviewed=reviewed_ids(store),
                         limit=limit, category_name=lambda c: name_source.label(c, language))
    if redact and len(queue):
        from cs_toolkit.reports.redact import Redactor

        names = complaints["customer_name"].dropna().astype(str).unique() if "customer_name" in complaints else []
        queue["text"] = queue["text"].map(Redactor(names=names).redact)
    return queue


def queue_from_predictions(path: str | Path, *, text: str = "text", id_column: str = ID, model=None,
                           taxonomy=None, language: str = "zh", limit: int | None = None,
                           redact: bool = True) -> pd.DataFrame:
    """The review queue of a predictions file written by ``cs-toolkit complaints predict`` (it needs the id,
    text, ``category``, ``confidence`` and ``needs_review`` columns)."""
    from cs_toolkit.complaints.taxonomy import load_taxonomy
    from cs_toolkit.io.tables import read_table

    table = read_table(path)
    table.require([id_column, text, "category", "confidence", "needs_review"],
                  "needed for a review queue (the output of `cs-toolkit complaints predict`)")
    frame = table.frame
    name_source = taxonomy or load_taxonomy()
    queue = review_queue(frame, text, id_column=id_column, model=model, limit=limit,
                         category_name=lambda c: name_source.label(c, language))
    if id_column != ID:
        queue = queue.rename(columns={id_column: ID})
    if redact and len(queue):
        from cs_toolkit.reports.redact import Redactor

        queue["text"] = queue["text"].map(Redactor().redact)
    return queue


__all__ = ["CHECK", "CORRECTED", "LABELS", "LABEL_EVENTS", "QUEUE_COLUMNS", "LabelledSet", "ReviewImport",
           "allowed_categories", "check_review", "import_review", "labelled_set", "margins", "parse_category",
           "queue_from_predictions", "queue_from_store",
           "review_queue", "reviewed_ids", "row_check", "text_key", "write_review_workbook"]
