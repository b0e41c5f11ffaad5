"""Embedded store (Parquet under the project's data folder) and idempotent ingest from an inbox.

Exports arrive in ``inbox/surveys/`` and ``inbox/complaints/``. Each file is validated, its good rows
are upserted by id (the same export twice adds nothing; a corrected export replaces what it corrects),
its rejected rows are written beside it under ``rejected/``, and the file moves to ``processed/`` — or,
when it cannot be read at all, to ``rejected/`` with the reason. Nothing received is ever lost.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_toolkit.errors import CSToolkitError
from cs_toolkit.survey.reader import read_survey
from cs_toolkit.io.tables import read_table
from cs_toolkit.survey.config import ScoringConfig

COMPLAINT_REQUIRED = ["complaint_id", "text", "created_at"]


@dataclass
class IngestSummary:
    files: list[dict] = field(default_factory=list)

    @property
    def rows_added(self) -> int:
        return sum(f.get("added", 0) for f in self.files)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.files)


def upsert(store: Path, rows: pd.DataFrame, key: str) -> tuple[int, int]:
    """Insert or replace ``rows`` in the Parquet table ``store`` by ``key``; returns (added, replaced)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    if store.exists():
        current = pd.read_parquet(store)
        known = set(current[key].astype(str))
        incoming = rows[key].astype(str)
        replaced = int(incoming.isin(known).sum())
        added = len(rows) - replaced
        merged = pd.concat([current[~current[key].astype(str).isin(set(incoming))], rows], ignore_index=True)
    else:
        merged, added, replaced = rows, len(rows), 0
    tmp = store.with_name(store.name + ".tmp")
    merged.to_parquet(tmp, index=False)
    tmp.replace(store)  # the store is replaced whole or not at all
    return added, replaced


def _unchanged(store: Path, rows: pd.DataFrame, key: str) -> bool:
    if not store.exists():
        return False
    current = pd.read_parquet(store)
    current = current.set_index(current[key].astype(str))
    ids = rows[key].astype(str)
    if not ids.isin(current.index).all():
        return False
    common = [c for c in rows.columns if c in current.columns and not c.startswith("_")]
    a = rows.set_index(ids)[common].astype(str)
    b = current.loc[ids, common].astype(str)
    return bool((a.values == b.values).all())


def ingest(inbox: str | Path, store_dir: str | Path, survey_config: ScoringConfig | dict | str | Path) -> IngestSummary:
    """Ingest every file waiting in ``inbox/surveys`` and ``inbox/complaints`` into ``store_dir``."""
    inbox, store_dir = Path(inbox), Path(store_dir)
    summary = IngestSummary()
    cfg = survey_config if isinstance(survey_config, ScoringConfig) else (
        ScoringConfig.from_dict(survey_config) if isinstance(survey_config, dict) else ScoringConfig.from_yaml(survey_config))
    for kind in ("surveys", "complaints"):
        folder = inbox / kind
        for path in sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []:
            record = {"file": path.name, "kind": kind}
            try:
                if kind == "surveys":
                    survey = read_survey(path, cfg)
                    good, rejected = survey.data.reset_index(), survey.rejected
                    key = cfg.id or "row"
                else:
                    good, rejected = _read_complaints(path)
                    key = "complaint_id"
            except CSToolkitError as exc:
                _move(path, inbox / "rejected")
                (inbox / "rejected" / f"{path.name}.reason.txt").write_text(str(exc), encoding="utf-8")
                record.update(status="rejected", reason=str(exc))
                summary.files.append(record)
                continue
            good = good.assign(_source_file=path.name, _ingested_at=dt.datetime.now(dt.UTC).isoformat())
            store = store_dir / f"{kind}.parquet"
            if _unchanged(store, good, key):
                added, replaced = 0, 0
            else:
                added, replaced = upsert(store, good, key)
            if len(rejected):
                (inbox / "rejected").mkdir(parents=True, exist_ok=True)
                rejected.to_csv(inbox / "rejected" / f"{path.name}.rejected_rows.csv", index=False, encoding="utf-8-sig")
            _move(path, inbox / "processed")
            record.update(status="processed", rows=len(good) + len(rejected["row"].unique()) if len(rejected) else len(good),
                          kept=len(good), rejected=int(rejected["row"].nunique()) if len(rejected) else 0,
                          added=added, replaced=replaced)
            summary.files.append(record)
    return summary


def _read_complaints(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    from cs_toolkit.errors import MissingColumnError

    table = read_table(path)
    frame = table.frame
    missing = [c for c in COMPLAINT_REQUIRED if c not in frame.columns]
    if missing:
        raise MissingColumnError(f"{path}: complaint export lacks column(s) {missing}; found {list(frame.columns)}")
    problems = []
    created = pd.to_datetime(frame["created_at"], errors="coerce", format="mixed")
    ids = frame["complaint_id"].fillna("").str.strip()
    for mask, column, reason in (
        (ids == "", "complaint_id", "missing complaint id"),
        (created.isna(), "created_at", "missing or unreadable creation time"),
        (ids.duplicated(keep="last") & (ids != ""), "complaint_id", "duplicate complaint id in the same file (last kept)"),
    ):
        if mask.any():
            problems.append(pd.DataFrame({"file": str(path), "row": frame.index[mask], "column": column,
                                          "value": frame.loc[mask, column].astype(str).to_numpy(), "reason": reason}))
    if len(table.malformed):
        problems.append(table.malformed_problems())
    rejected = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(
        columns=["file", "row", "column", "value", "reason"])
    good = frame.drop(index=frame.index.intersection(rejected["row"].unique())).copy()
    for col in ("created_at", "first_response_at", "resolved_at"):
        if col in good.columns:
            good[col] = pd.to_datetime(good[col], errors="coerce", format="mixed")
    if "reopened" in good.columns:
        good["reopened"] = good["reopened"].astype(str).str.lower().isin(["true", "1", "yes", "是"])
    return good.reset_index(drop=True), rejected


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}{path.suffix}"
    shutil.move(str(path), target)
    return target
