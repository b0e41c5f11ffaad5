"""Ingest an inbox of exports into the store, file by file, losing nothing.

For every file in ``inbox/surveys``, ``inbox/complaints`` and ``inbox/posts`` (forum and web posts, see
:mod:`cs_toolkit.forum`): read and validate it, then in ONE write
transaction upsert its good rows, store its rejected rows with their reasons and record the file in
``ingests`` (name, sha256, rows read/kept/rejected/added/replaced, time, status). Only after the commit
does the file move to ``processed/``. A file that fails for any reason is recorded, moves to
``rejected/`` with a ``.reason.txt``, and the rest of the inbox goes on. A process killed mid-ingest
leaves the store as it was and the file in the inbox; a file whose content was already ingested
(same sha256) adds nothing.

A survey with ``dispositions`` (a call system's export of every call) puts its interviews in ``surveys``
and the calls that gave none in ``survey_attempts``, in the same transaction; its record's ``kept``
counts both (so ``rows_read = kept + rejected`` still holds).

Rows of an export without an id column are keyed by the file's content hash and the row number, so
two different exports never overwrite each other while the same export twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_toolkit.errors import CSToolkitError
from cs_toolkit.progress import track
from cs_toolkit.store.store import INGESTS, REJECTED, Store

log = logging.getLogger(__name__)

KINDS = ("surveys", "complaints", "posts")
ROW_KEY = "_row_key"
ATTEMPTS = "survey_attempts"  # the calls of a survey with dispositions that gave no interview
SOURCE_COLUMNS = ["_source_file", "_source_sha256", "_source_row", "_ingested_at"]
_PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]


@dataclass
class IngestSummary:
    """What an ingest did: one record per file (``status`` is processed, duplicate or rejected)."""

    files: list[dict] = field(default_factory=list)

    @property
    def rows_added(self) -> int:
        return sum(int(f.get("added") or 0) for f in self.files)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.files)

    def __repr__(self) -> str:
        status = pd.Series([f["status"] for f in self.files]).value_counts().to_dict() if self.files else {}
        return f"IngestSummary({len(self.files)} files {status}, {self.rows_added} rows added)"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def inbox_files(inbox: Path) -> list[tuple[str, Path]]:
    """The exports waiting in the inbox, oldest name first; hidden files and Excel's ``~$`` lock files are skipped."""
    found = []
    for kind in KINDS:
        folder = inbox / kind
        if folder.is_dir():
            found += [(kind, p) for p in sorted(folder.iterdir())
                      if p.is_file() and not p.name.startswith((".", "~$"))]
    return found


def ingest_inbox(store: Store, inbox: str | Path, survey_config, progress: bool | None = None,
                 timezone: str = "Asia/Shanghai") -> IngestSummary:
    """Ingest every export in ``inbox`` into ``store`` (see the module docstring for the rules).

    Parameters
    ----------
    store : Store
    inbox : path
        Folder with ``surveys/``, ``complaints/`` and ``posts/`` subfolders.
    survey_config : ScoringConfig, dict or path of the survey's YAML configuration
        Only read when there are survey exports waiting.
    progress : bool, optional
        Show a progress bar (default: when the terminal is interactive).
    timezone : str, default "Asia/Shanghai"
        Post times given with a UTC offset are converted to this zone's local time (the settings' ``timezone``).

    Returns
    -------
    IngestSummary
    """
    from cs_toolkit.survey.reader import as_config

    inbox = Path(inbox)
    files = inbox_files(inbox)
    cfg = as_config(survey_config) if any(kind == "surveys" for kind, _ in files) else None
    summary = IngestSummary()
    for kind, path in track(files, "ingest", enabled=progress):
        record = ingest_file(store, inbox, kind, path, cfg, timezone)
        if record is not None:
            summary.files.append(record)
            log.info("%s: %s (%s kept, %s rejected, %s added, %s replaced)", path.name, record["status"],
                     record.get("kept"), record.get("rejected"), record.get("added"), record.get("replaced"))
    return summary


def ingest_file(store: Store, inbox: Path, kind: str, path: Path, cfg, timezone: str = "Asia/Shanghai") -> dict | None:
    """Ingest one file; returns its record, or None when another ingest took the file first."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    record = {"file": path.name, "kind": kind, "sha256": None, "status": None, "rows_read": None, "kept": None,
              "rejected": None, "added": None, "replaced": None, "reason": None, "ingested_at": now}
    try:
        record["sha256"] = sha256_of(path)
        if _seen_before(store, record["sha256"]):  # skip reading a file whose content is already in
            rows = problems = None
        else:
            rows, problems, key, time_column, rows_read, side = _read(kind, path, cfg, record["sha256"], now,
                                                                          timezone)
            record.update(rows_read=rows_read, kept=len(rows) + sum(len(f) for f in side.values()),
                          rejected=int(problems["row"].nunique()) if len(problems) else 0)
        with store.backend.write() as con:
            store._ensure_system_tables(con)
            if _already_ingested(store, con, record["sha256"]):  # checked again under the lock: races
                record.update(status="duplicate", added=0, replaced=0,
                              reason="the same content was ingested before; nothing added")
            else:
                if rows is None:  # recorded as seen, but no longer: read it after all
                    rows, problems, key, time_column, rows_read, side = _read(kind, path, cfg, record["sha256"],
                                                                              now, timezone)
                    record.update(rows_read=rows_read, kept=len(rows) + sum(len(f) for f in side.values()),
                                  rejected=int(problems["row"].nunique()) if len(problems) else 0)
                added, replaced = store.upsert(kind, rows, key, time_column, con=con) if len(rows) else (0, 0)
                for table, frame in side.items():  # e.g. the calls without an interview, beside the survey
                    more = store.upsert(table, frame, key, time_column, con=con) if len(frame) else (0, 0)
                    added, replaced = added + more[0], replaced + more[1]
                record.update(status="processed", added=added, replaced=replaced)
                store._append(con, REJECTED, _rejected_rows(problems, kind, record["sha256"], now))
            store._append(con, INGESTS, pd.DataFrame([record]))
    except FileNotFoundError:
        if not path.exists():
            return None  # another ingest moved it first
        raise
    except Exception as exc:  # any failure: record it, set the file aside, go on with the next one
        record.update(status="rejected", reason=_reason(exc))
        log.warning("%s: rejected (%s)", path, record["reason"])
        _record_failure(store, record)
        _move(path, inbox / "rejected", reason=record["reason"])
        return record
    if record["status"] == "processed" and record["rejected"]:
        problems.to_csv(_free_name(inbox / "rejected", f"{path.name}.rejected_rows.csv"), index=False,
                        encoding="utf-8-sig")
    _move(path, inbox / "processed")
    return record


def _read(kind: str, path: Path, cfg, sha: str, now, timezone: str = "Asia/Shanghai"):
    """Good rows (with source columns), problem rows, key column, time column, rows read, and good rows of
    other tables (``survey_attempts``: the calls without an interview, when the survey has dispositions)."""
    side = {}
    if kind == "surveys":
        from cs_toolkit.survey.reader import read_survey

        survey = read_survey(path, cfg)
        good, problems, rows_read = survey.data, survey.rejected, survey.rows_read
        key, time_column = cfg.id, cfg.period_column
        if cfg.dispositions is not None:
            side[ATTEMPTS] = survey.attempts
    elif kind == "posts":
        from cs_toolkit.forum.reader import KEY, TIME, read_posts

        posts = read_posts(path, timezone=timezone)
        good, problems, rows_read = posts.data, posts.rejected, posts.rows_read
        key, time_column = KEY, TIME
    else:
        from cs_toolkit.complaints.reader import read_complaint_log

        complaints = read_complaint_log(path)
        good, problems, rows_read = complaints.data, complaints.rejected, complaints.rows_read
        key, time_column = "complaint_id", "created_at"
    frames = {name: _with_source(frame, path, sha, now, key) for name, frame in {kind: good, **side}.items()}
    good = frames.pop(kind)
    return good, problems, key or ROW_KEY, time_column, rows_read, frames


def _with_source(good: pd.DataFrame, path: Path, sha: str, now, key: str | None) -> pd.DataFrame:
    """Rows with the file, content hash and row they came from; without an id column, a key made of the
    content hash and the row (it keeps two exports apart)."""
    good = good.copy()
    good["_source_file"] = path.name
    good["_source_sha256"] = sha
    good["_source_row"] = good.index.to_numpy(dtype="int64")
    good["_ingested_at"] = pd.Timestamp(now)
    if key is None:
        good[ROW_KEY] = sha[:16] + ":" + good.index.astype(str)
    return good.reset_index(drop=True)


def _seen_before(store: Store, sha: str) -> bool:
    with store.backend.read() as con:
        return store._exists(con, INGESTS) and _already_ingested(store, con, sha)


def _already_ingested(store: Store, con, sha: str) -> bool:
    ph = store.backend.placeholder
    found = store.backend.query(con, f"SELECT count(*) AS n FROM {INGESTS} WHERE sha256 = {ph} AND status = "
                                     f"'processed'", (sha,))
    return int(found["n"].iloc[0]) > 0


def _rejected_rows(problems: pd.DataFrame, kind: str, sha: str, now) -> pd.DataFrame:
    if problems.empty:
        return pd.DataFrame()
    out = problems.reindex(columns=_PROBLEM_COLUMNS).astype({"value": "string", "reason": "string",
                                                             "column": "string", "file": "string"})
    out["file"] = out["file"].map(lambda f: Path(f).name)
    out.insert(0, "kind", kind)
    out["sha256"] = sha
    out["row"] = pd.to_numeric(out["row"], errors="coerce").astype("Int64")
    out["ingested_at"] = pd.Timestamp(now)
    return out[["kind", "file", "sha256", "row", "column", "value", "reason", "ingested_at"]]


def _record_failure(store: Store, record: dict) -> None:
    try:
        with store.backend.write() as con:
            store._ensure_system_tables(con)
            store._append(con, INGESTS, pd.DataFrame([record]))
    except CSToolkitError as exc:  # the store itself is unreachable: the file still moves, with its reason
        log.error("could not record the failure of %s in the store: %s", record["file"], exc)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, CSToolkitError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _free_name(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        stem, dot, suffix = name.partition(".")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{stem}-{stamp}{dot}{suffix}"
    return target


def _move(path: Path, folder: Path, reason: str | None = None) -> Path | None:
    target = _free_name(folder, path.name)
    try:
        shutil.move(str(path), target)
    except FileNotFoundError:
        return None  # another ingest moved it
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
