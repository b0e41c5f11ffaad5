"""Read exported forum and web posts (舆情 exports): CSV/TSV/XLSX or JSON/JSON Lines, any encoding the readers
handle (UTF-8 with or without BOM, GB18030/GBK, Big5, UTF-16 with or without BOM).

A post export has, under these names or a known alias (``帖子ID``, ``发布时间``, ``来源``, ``标题``, ``内容``,
``链接``, ``content``, ``link``...): ``post_id``, ``posted_at`` and ``text`` (required), ``source``, ``title``,
``url`` and ``author`` (optional). Every data row is kept or set aside with its reason: a missing post id, a
missing or unreadable time, an empty post (no title, no text), or a later row of the same file with the same
post (the last one is kept, as a corrected entry).

Times with an offset (``2026-11-03T10:15:00+08:00``, ``...Z``) and Unix epochs (10 digits: seconds, 13:
milliseconds) are converted to the local time of ``timezone`` (default Asia/Shanghai) and kept without a zone,
like the complaint log's times; other times are read as local times with one date order per column
(:func:`cs_toolkit.io.tables.parse_datetimes`).

Posts are keyed by ``post_key`` = ``source:post_id`` (two sites may use the same ids), or the post id alone
when the export names no source.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cs_toolkit.errors import EmptyExportError, MissingColumnError, UnreadableFileError
from cs_toolkit.io.tables import detect_encoding, normalize_text, parse_datetimes, read_table

KEY = "post_key"
TIME = "posted_at"
REQUIRED = ["post_id", TIME, "text"]
OPTIONAL = ["source", "title", "url", "author"]
PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]
#: Names exports use for each column (compared case-insensitively, spaces and underscores ignored).
ALIASES: dict[str, list[str]] = {
    "post_id": ["id", "postid", "帖子id", "帖子编号", "编号", "文章id", "微博id", "mid", "信息id", "序号"],
    TIME: ["time", "时间", "发帖时间", "发布时间", "publishedat", "publishtime", "createdat", "date", "datetime",
           "日期", "pubtime", "timestamp"],
    "source": ["来源", "站点", "平台", "网站", "site", "platform", "channel", "媒体", "媒体名称"],
    "title": ["标题", "subject", "headline", "帖子标题"],
    "text": ["内容", "正文", "content", "body", "message", "摘要", "帖子内容", "全文"],
    "url": ["链接", "网址", "link", "href", "原文链接", "地址"],
    "author": ["作者", "发帖人", "用户", "用户名", "user", "username", "nickname", "昵称"],
}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?(?:\.\d+)?$")


@dataclass
class PostLog:
    """Validated posts (``data``, indexed by file row) and problems (``rejected``), like a complaint log."""

    data: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    source: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def canonical_columns(columns) -> dict[str, str]:
    """``{column as exported: canonical name}`` for the columns that have one (the first match wins).

    Examples
    --------
    >>> canonical_columns(["帖子ID", "发布时间", "标题", "内容", "Link", "其他"])
    {'帖子ID': 'post_id', '发布时间': 'posted_at', '标题': 'title', '内容': 'text', 'Link': 'url'}
    """
    lookup = {}
    for canonical, names in ALIASES.items():
        for name in [canonical, *names]:
            lookup.setdefault(_squash(name), canonical)
    out, taken = {}, set()
    for column in columns:
        canonical = lookup.get(_squash(column))
        if canonical and canonical not in taken:
            out[column] = canonical
            taken.add(canonical)
    return out


def _read_json(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    if not raw.strip():
        raise EmptyExportError(f"{path}: the file is empty", path=str(path))
    enc = encoding or detect_encoding(raw, path)
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFileError(f"{path}: cannot decode as {enc} ({exc}); pass encoding=...", path=str(path)) from exc
    text = text.lstrip("\ufeff")
    records = None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as whole:
        # JSON Lines: one object per line
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UnreadableFileError(
                    f"{path}: neither JSON nor JSON Lines (line {number}: {exc.msg}; as one document: {whole.msg} at "
                    f"line {whole.lineno})", path=str(path)) from exc
    if records is None:
        if isinstance(parsed, dict):  # {"posts": [...]}, {"data": [...]}, {"data": {"list": [...]}}...
            lists = [v for v in parsed.values() if isinstance(v, list)]
            nested = [v for d in parsed.values() if isinstance(d, dict) for v in d.values() if isinstance(v, list)]
            records = (lists or nested or [[parsed]])[0]
        elif isinstance(parsed, list):
            records = parsed
        else:
            raise UnreadableFileError(f"{path}: the JSON holds a {type(parsed).__name__}, not a list of posts",
                                      path=str(path))
    if not records:
        raise EmptyExportError(f"{path}: the JSON holds no posts", path=str(path))
    if not all(isinstance(r, dict) for r in records):
        raise UnreadableFileError(f"{path}: the JSON's posts must be objects with named fields", path=str(path))

    def cell(v):
        if v is None:
            return None
        if isinstance(v, dict | list):
            return json.dumps(v, ensure_ascii=False)
        return str(v)

    frame = pd.DataFrame([{str(k).strip(): cell(v) for k, v in r.items()} for r in records], dtype=object)
    frame.index = pd.Index(range(1, len(frame) + 1), name="row")  # record positions
    return frame, enc


def _times(values: pd.Series, column: str, timezone: str):
    """Times as naive local times of ``timezone``; returns (values, missing, invalid, reason, notes)."""
    text = normalize_text(values.astype("string")).fillna("")
    missing = text == ""
    offset = text.str.contains(_OFFSET.pattern, regex=True, flags=re.IGNORECASE) & \
        text.str.contains(r"\d{1,2}:\d{2}", regex=True)
    epoch = text.str.fullmatch(_EPOCH.pattern)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    reason = pd.Series("", index=values.index, dtype=object)
    notes = []
    if epoch.any():
        numbers = pd.to_numeric(text[epoch], errors="coerce")
        ms = text[epoch].str.split(".").str[0].str.len() == 13
        stamp = pd.to_datetime(np.where(ms, numbers / 1000.0, numbers), unit="s", utc=True)
        out[epoch] = pd.Series(stamp, index=text[epoch].index).dt.tz_convert(timezone).dt.tz_localize(None)
        notes.append(f"{column}: {int(epoch.sum())} Unix time(s) converted to {timezone} local time")
    if offset.any():
        stamp = pd.to_datetime(text[offset], utc=True, errors="coerce", format="ISO8601")
        out[offset] = stamp.dt.tz_convert(timezone).dt.tz_localize(None)
        reason[offset & out.isna()] = "not a date/time"
        notes.append(f"{column}: {int(offset.sum())} time(s) with a UTC offset converted to {timezone} local time")
    rest = ~missing & ~epoch & ~offset
    if rest.any():
        dates = parse_datetimes(text[rest], column, how_to_set="reformat the export's times as 2026-11-03 10:15")
        out[rest] = dates.values
        reason[rest] = dates.reason.fillna("").astype(object)
        notes += dates.notes
    invalid = ~missing & (reason != "")
    return out, missing, invalid, reason, notes


def read_posts(path: str | Path, encoding: str | None = None, timezone: str = "Asia/Shanghai") -> PostLog:
    """Read and validate a post export (see the module notes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "posts.csv"
    >>> _ = p.write_bytes("帖子ID,发布时间,来源,标题,内容\\n1,2026-11-03 10:00,业主论坛,漏水,翠湖苑漏水\\n2,,微博,,\\n"
    ...                   .encode("gb18030"))
    >>> log = read_posts(p)
    >>> log.data[["post_key", "source", "text"]].values.tolist(), log.rejected["reason"].to_list()
    ([['业主论坛:1', '业主论坛', '翠湖苑漏水']], ['missing posting time', 'empty post (no title, no text)'])
    """
    path = Path(path)
    if path.suffix.lower() in JSON_SUFFIXES:
        if not path.exists():
            raise UnreadableFileError(f"{path}: no such file", path=str(path))
        frame, enc = _read_json(path, encoding)
        malformed = None
        notes: list[str] = []
    else:
        table = read_table(path, encoding=encoding)
        frame, enc, notes = table.frame, table.encoding, list(table.notes)
        malformed = table.malformed_problems() if len(table.malformed) else None
    renamed = canonical_columns(frame.columns)
    frame = frame.rename(columns=renamed)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        found = list(frame.columns)
        accepted = "; ".join(f"{c}: {', '.join(ALIASES[c][:6])}" for c in missing)
        raise MissingColumnError(
            path, missing, found,
            message=(f"{path}: required column(s) {missing} are not in the post export. Columns found: {found[:30]}. "
                     f"Names accepted for them — {accepted}. Rename the columns in the export; nothing was "
                     f"ingested."))
    source = str(path)
    text = frame.astype("string").apply(lambda col: col.str.strip())
    for column in OPTIONAL:
        if column not in text.columns:
            text[column] = pd.Series("", index=text.index, dtype="string")
    problems = []

    def problem(mask: pd.Series, column: str, reason) -> None:
        if mask.any():
            reasons = reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason
            problems.append(pd.DataFrame({"file": source, "row": text.index[mask.to_numpy(dtype=bool)],
                                          "column": column, "value": text.loc[mask, column].fillna("").to_numpy(),
                                          "reason": reasons}))

    ids = text["post_id"].fillna("")
    problem(ids == "", "post_id", "missing post id")
    when, no_time, bad_time, why, time_notes = _times(text[TIME], TIME, timezone)
    notes += time_notes
    problem(no_time & (ids != ""), TIME, "missing posting time")
    problem(bad_time & (ids != ""), TIME, "unreadable posting time: " + why.astype(str))
    body = (text["title"].fillna("") + text["text"].fillna("")).str.strip()
    problem((body == "") & (ids != ""), "text", "empty post (no title, no text)")
    src = text["source"].fillna("")
    key = (src + ":" + ids).where(src != "", ids)
    problem(key.duplicated(keep="last") & (ids != ""), "post_id", "duplicate post in the same file (last kept)")
    if malformed is not None:
        problems.append(malformed)
    rejected = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    good = text.drop(index=text.index.intersection(rejected["row"].unique()))
    good[TIME] = when.reindex(good.index)
    good.insert(0, KEY, key.reindex(good.index))
    good = good.fillna({"title": "", "text": "", "source": "", "url": "", "author": ""})
    rows_read = len(frame) + (len(malformed) if malformed is not None else 0)
    log = PostLog(good, rejected.sort_values("row", kind="stable").reset_index(drop=True), rows_read, source, enc,
                  notes)
    assert len(log.data) + log.rows_rejected == log.rows_read, "every post must be kept or rejected"
    return log


__all__ = ["ALIASES", "KEY", "REQUIRED", "TIME", "PostLog", "canonical_columns", "read_posts"]
