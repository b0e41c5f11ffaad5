"""Read and validate a survey export against its scoring configuration.

Every data row ends up either in ``data`` (kept) or in ``rejected_rows`` (set aside, with every reason
in ``rejected``). Rows whose every cell is empty are not data: they are skipped on every file type and
reported in ``notes`` (see :mod:`cs_toolkit.io.tables`). Structural problems — an unreadable file, a
required column missing — raise an exception that names the file and what to do.

Numbers must be finite: ``inf``, ``Infinity``, ``-inf``, ``nan`` and overflowing values such as
``1e400`` are rejected in items, weights and fpc with a reason of their own. The period column is read
with ONE date order for the whole column (``period.format`` in the configuration, or inferred from all
its values; see :func:`cs_toolkit.io.tables.parse_datetimes`).
"""

from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_toolkit.io.tables import RawTable, normalize_text, parse_datetimes, read_table
from cs_toolkit.survey.config import ScoringConfig
from cs_toolkit.survey.dispositions import GROUP_COLUMN

PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]


@dataclass
class SurveyData:
    """A validated survey: kept rows, rejected rows and their reasons, and the row accounting.

    Attributes
    ----------
    data : DataFrame
        Kept rows, indexed by their row number in the file; items are numeric (NaN = missing).
    rejected : DataFrame
        One line per problem that set a row aside: ``file``, ``row``, ``column``, ``value``, ``reason``.
    rejected_rows : DataFrame
        The rejected rows as read (text), indexed by row number, with a ``reasons`` column.
    blanked : DataFrame
        Values turned into missing (``on_invalid: missing``), same columns as ``rejected``.
    notes : list of str
        What the reader decided that a person should know: empty rows skipped, the date order read
        (and whether it was ambiguous), a delimiter that looks wrong.
    empty_rows : list of int
        Row numbers of the rows whose every cell is empty (not data: neither kept nor rejected).
    attempts : DataFrame
        With ``dispositions`` in the configuration: the calls that gave no interview (refused, no contact,
        not eligible...), with their AAPOR group in ``disposition_group``. They are not scored; they are
        the rest of the outcome rates' denominators (:func:`cs_toolkit.survey.dispositions.outcome_rates`).
    """

    data: pd.DataFrame
    rejected: pd.DataFrame
    rejected_rows: pd.DataFrame
    blanked: pd.DataFrame
    config: ScoringConfig
    source: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    empty_rows: list[int] = field(default_factory=list)
    attempts: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def rows_read(self) -> int:
        """Data rows read (empty rows are not data)."""
        return len(self.data) + len(self.attempts) + len(self.rejected_rows)

    def summary(self) -> dict:
        """Row accounting: read = kept + not interviewed + rejected, always (empty rows skipped are counted
        apart)."""
        return {
            "file": self.source,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows_read": self.rows_read,
            "rows_kept": len(self.data),
            "rows_not_interviewed": len(self.attempts),
            "rows_rejected": len(self.rejected_rows),
            "values_blanked": len(self.blanked),
            "empty_rows_skipped": len(self.empty_rows),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"SurveyData({s['file']}: {s['rows_read']} rows read, {s['rows_kept']} kept, "
                f"{s['rows_rejected']} rejected)")


def read_survey(
    path: str | Path,
    config: ScoringConfig | dict | str | Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> SurveyData:
    """Read a survey export and validate it against its scoring configuration.

    Parameters
    ----------
    path : str or Path
        CSV/TSV (UTF-8, UTF-8 with BOM, GB18030/GBK, Big5, UTF-16 with or without BOM — detected), XLSX,
        SPSS ``.sav`` or Parquet.
    config : ScoringConfig, dict, or path of a YAML file
        Declares the id column, items and their scales, missing codes, segments, period, weights, design.
    encoding, delimiter : str, optional
        Override detection for text files.
    sheet : str or int
        Worksheet of an Excel file.

    Returns
    -------
    SurveyData

    Raises
    ------
    UnreadableFileError, EmptyExportError, MissingColumnError

    Examples
    --------
    >>> import tempfile, pathlib, cs_toolkit as cs
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = p.write_text("id,q1\\n1,5\\n2,７\\n3,不适用\\n", encoding="utf-8-sig")
    >>> cfg = {"id": "id", "items": {"q1": {"scale": [1, 5]}}, "missing_codes": ["不适用"]}
    >>> s = cs.read_survey(p, cfg)
    >>> s.summary()["rows_kept"], s.rejected["reason"].to_list()
    (2, ['7 is outside the scale 1-5'])
    """
    cfg = as_config(config)
    raw = read_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    return validate(raw, cfg)


def validate_frame(frame: pd.DataFrame, config: ScoringConfig | dict | str | Path, source: str = "<DataFrame>") -> SurveyData:
    """Validate a DataFrame already in memory, as :func:`read_survey` validates a file.

    Row numbers in the result are the frame's positions plus 1.
    """
    cfg = as_config(config)
    frame = frame.copy()
    frame.index = pd.Index(range(1, len(frame) + 1), name="row")
    raw = RawTable(Path(source), frame, pd.DataFrame(columns=["row", "reason", "raw"]))
    return validate(raw, cfg)


def as_config(config) -> ScoringConfig:
    """A :class:`ScoringConfig` from a config object, a dict, or the path of a YAML file."""
    if isinstance(config, ScoringConfig):
        return config
    if isinstance(config, dict):
        return ScoringConfig.from_dict(config)
    return ScoringConfig.from_yaml(config)


def _text(series: pd.Series) -> pd.Series:
    """Values as stripped, NFKC-normalised text (full-width digits become ASCII); missing stays missing."""
    return normalize_text(series)


def _mask(mask) -> np.ndarray:
    """A boolean mask as numpy booleans (NA = False): ``.loc`` with it skips pandas' slow key lookup."""
    if isinstance(mask, pd.Series):
        return mask.fillna(False).to_numpy(dtype=bool) if mask.dtype != bool else mask.to_numpy()
    return np.asarray(mask, dtype=bool)


def _nan_text(text: pd.Series, candidates: pd.Series) -> pd.Series:
    """Where ``candidates`` holds, whether the text spells NaN (``nan``, ``NaN``, ``-nan``)."""
    out = pd.Series(False, index=text.index)
    candidates = _mask(candidates)
    if candidates.any():
        out.loc[candidates] = text[candidates].str.fullmatch(r"[+-]?nan", case=False).fillna(False).astype(bool)
    return out


NOT_FINITE = "not a finite number (infinite or NaN)"


def _numbers(text: pd.Series) -> pd.Series:
    """Text as floats, NaN where not a number: ``pd.to_numeric(errors="coerce")``, through Arrow's faster
    parser when every value is a plain number (Arrow reads those exactly as pandas does, and refuses the
    rest, which then go to pandas)."""
    arr = pa.array(text.astype("string[pyarrow]").array)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    try:
        values = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").astype(float)
    return pd.Series(np.asarray(values.fill_null(np.nan), dtype=float), index=text.index, name=text.name)


def _problems(source: str, mask: pd.Series, column: str, values: pd.Series, reason) -> pd.DataFrame:
    rows = mask[mask].index
    reasons = reason[mask].to_list() if isinstance(reason, pd.Series) else [reason] * len(rows)
    return pd.DataFrame(
        {"file": source, "row": rows.to_numpy(), "column": column,
         "value": values[mask].astype("string").to_list(), "reason": reasons}
    )


def validate(raw: RawTable, cfg: ScoringConfig) -> SurveyData:
    """Validate a :class:`~cs_toolkit.io.tables.RawTable` (see :func:`read_survey`)."""
    source = str(raw.path)
    frame = raw.frame
    _check_columns(raw, cfg)
    out = pd.DataFrame(index=frame.index)
    problems: list[pd.DataFrame] = []
    blanked: list[pd.DataFrame] = []
    missing_text = set(cfg.missing_codes)
    missing_numbers = set()
    for code in cfg.missing_codes:
        with contextlib.suppress(ValueError):
            missing_numbers.add(float(code))

    for name, spec in cfg.items.items():
        col = frame[name]
        text = _text(col)
        is_missing = text.isna() | (text == "") | text.isin(missing_text)
        number = _numbers(text.where(~is_missing))
        is_missing |= number.isin(missing_numbers)
        number = number.where(~is_missing)
        not_number = ~is_missing & number.isna()
        nonfinite = (~is_missing & np.isinf(number)) | _nan_text(text, not_number)
        not_number &= ~nonfinite
        outside = ~is_missing & ~not_number & ~nonfinite & ((number < spec.low) | (number > spec.high))
        fractional = ~is_missing & ~not_number & ~nonfinite & ~outside & (number != np.round(number))
        reason = pd.Series("", index=frame.index, dtype="string")
        reason.loc[_mask(not_number)] = f"not a number on the {spec.low}-{spec.high} scale"
        reason.loc[_mask(nonfinite)] = f"{NOT_FINITE}, not a point of the {spec.low}-{spec.high} scale"
        reason.loc[_mask(outside)] = number[outside].map("{:g}".format).astype("string") + f" is outside the scale {spec.low}-{spec.high}"
        reason.loc[_mask(fractional)] = number[fractional].map("{:g}".format).astype("string") + f" is not a point of the scale {spec.low}-{spec.high}"
        bad = not_number | nonfinite | outside | fractional
        if bad.any():
            target = problems if cfg.on_invalid == "reject" else blanked
            target.append(_problems(source, bad, name, col, reason))
        out[name] = number.where(~bad)

    for name, allowed in cfg.categorical.items():
        text = _text(frame[name])
        present = text.notna() & (text != "") & ~text.isin(missing_text)
        bad = present & ~text.isin(allowed)
        if bad.any():
            target = problems if cfg.on_invalid == "reject" else blanked
            target.append(_problems(source, bad, name, frame[name], f"not one of {list(allowed)}"))
        out[name] = text.where(present & ~bad).astype("str")

    for name in [*cfg.segments, cfg.strata, *cfg.psu, cfg.invitations_by]:
        if name is None or name in out.columns:
            continue
        text = _text(frame[name])
        out[name] = text.where(text != "").astype("str")
        if name == cfg.strata or name in cfg.psu:
            empty = text.isna() | (text == "")
            if empty.any():
                problems.append(_problems(source, empty, name, frame[name], "missing design value (stratum or PSU)"))

    for name in cfg.fpc:
        text = _text(frame[name])
        value = _numbers(text)
        reason = pd.Series("", index=frame.index, dtype="string")
        reason.loc[_mask(value.isna() | (value <= 0))] = "missing or non-positive fpc"
        reason.loc[_mask(np.isinf(value) | _nan_text(text, value.isna()))] = f"fpc is {NOT_FINITE}"
        bad = reason != ""
        if bad.any():
            problems.append(_problems(source, bad, name, frame[name], reason))
        out[name] = value

    if cfg.weights is not None:
        text = _text(frame[cfg.weights])
        weight = _numbers(text)
        empty = text.isna() | (text == "")
        reason = pd.Series("", index=frame.index, dtype="string")
        reason.loc[_mask(~empty & weight.isna())] = "weight is not a number"
        reason.loc[_mask(empty)] = "missing weight"
        reason.loc[_mask(weight <= 0)] = "zero or negative weight"
        reason.loc[_mask(np.isinf(weight) | _nan_text(text, weight.isna() & ~empty))] = f"weight is {NOT_FINITE}"
        bad = reason != ""
        if bad.any():
            problems.append(_problems(source, bad, cfg.weights, frame[cfg.weights], reason))
        out[cfg.weights] = weight

    notes = list(raw.notes)
    if cfg.period_column is not None:
        column = cfg.period_column
        how = (f"set period: {{column: {column}, format: MDY}} (or DMY, or a strptime format such as "
               f"'%m/%d/%Y %H:%M') in the configuration")
        dates = parse_datetimes(frame[column], column, cfg.period_format, how_to_set=how)
        reason = dates.reason.copy()
        reason.loc[_mask(dates.missing)] = "missing date/time"
        if cfg.period_format is not None:
            reason.loc[_mask(dates.invalid)] = reason[dates.invalid] + " (period.format)"
        bad = dates.missing | dates.invalid
        if bad.any():
            problems.append(_problems(source, bad, column, frame[column], reason))
        out[column] = dates.values
        notes += dates.notes

    if cfg.id is not None:
        ids = _text(frame[cfg.id])
        empty = ids.isna() | (ids == "")
        if empty.any():
            problems.append(_problems(source, empty, cfg.id, frame[cfg.id], "missing response id"))
        dup = ids.duplicated(keep="first") & ~empty
        if dup.any():
            first_row = pd.Series(frame.index, index=frame.index).groupby(ids.to_numpy()).transform("first")
            reason = ids[dup].astype(str) + " is a duplicate response id (first seen at row " + first_row[dup].astype(str) + ")"
            problems.append(_problems(source, dup, cfg.id, frame[cfg.id], reason))
        out[cfg.id] = ids.astype("str")

    attempt_rows = pd.Index([], name="row")
    if cfg.dispositions is not None:
        spec = cfg.dispositions
        text = _text(frame[spec.column])
        group = spec.group_of(text.fillna(""))
        blank = text.isna() | (text == "")
        listed = sorted(spec.groups)
        reason = pd.Series("", index=frame.index, dtype="string")
        reason.loc[_mask(blank)] = "missing call disposition"
        unknown = ~blank & group.isna()
        for value in text[unknown].unique():
            close = difflib.get_close_matches(value, listed, n=1)
            reason.loc[_mask(unknown & (text == value))] = (
                f"unknown disposition {value!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; the configuration lists {listed}")
        if (reason != "").any():
            problems.append(_problems(source, reason != "", spec.column, frame[spec.column], reason))
        out[spec.column] = text.astype("str")
        out["_group"] = group
        attempt_rows = frame.index[_mask(group.notna() & (group != "complete"))]
        # A call without an interview has no answers (nor a weight) to check: their problems are not problems.
        answers = set(cfg.items) | set(cfg.categorical) | {cfg.weights, *cfg.fpc}
        problems = [p[~(p["row"].isin(attempt_rows) & p["column"].isin(answers))] for p in problems]
        blanked = [b[~(b["row"].isin(attempt_rows) & b["column"].isin(answers))] for b in blanked]

    # Pass through every other column unchanged, so nothing the export carried is lost.
    for name in frame.columns:
        if name not in out.columns:
            out[name] = frame[name]
    groups = out.pop("_group") if "_group" in out.columns else None
    out = out[[c for c in frame.columns]]

    problem_table = (pd.concat(problems, ignore_index=True) if problems
                     else pd.DataFrame(columns=PROBLEM_COLUMNS))
    if len(raw.malformed):
        problem_table = pd.concat([problem_table, raw.malformed_problems()], ignore_index=True)
    problem_table = problem_table.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    rejected_index = pd.Index(problem_table["row"].unique(), name="row")
    kept = out.drop(index=rejected_index.intersection(out.index))
    attempts = pd.DataFrame()
    if groups is not None:
        is_attempt = kept.index.isin(attempt_rows)
        attempts = kept[is_attempt].assign(**{GROUP_COLUMN: groups[kept.index[is_attempt]].to_numpy()})
        kept = kept[~is_attempt]
    reasons = problem_table.groupby("row")["reason"].agg("; ".join)
    rejected_rows = frame.reindex(rejected_index.intersection(frame.index)).astype("string")
    if len(raw.malformed):
        malformed = raw.malformed.set_index("row")[["raw"]].astype("string")
        rejected_rows = pd.concat([rejected_rows, malformed])
    rejected_rows = rejected_rows.sort_index()
    rejected_rows["reasons"] = reasons.reindex(rejected_rows.index).to_numpy()
    blanked_table = pd.concat(blanked, ignore_index=True) if blanked else pd.DataFrame(columns=PROBLEM_COLUMNS)
    result = SurveyData(
        data=kept,
        rejected=problem_table,
        rejected_rows=rejected_rows,
        blanked=blanked_table,
        config=cfg,
        source=source,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        notes=notes,
        empty_rows=list(raw.empty_rows),
        attempts=attempts,
    )
    assert result.rows_read == raw.rows_read, "row accounting broken: every input row must be kept, set apart or rejected"
    return result


def _check_columns(raw: RawTable, cfg: ScoringConfig) -> None:
    raw.require(cfg.required_columns(), "required by the configuration")
