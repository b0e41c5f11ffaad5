"""Read a raw export (CSV/TSV/TXT/XLSX/SPSS .sav/Parquet) into text-preserving rows, never losing a row.

What every file gets, whatever its type:

* **Encoding** (text files). A byte-order mark decides (UTF-8, UTF-16, UTF-32). Without one, NUL bytes on
  one side of every byte pair mean UTF-16 LE or BE (Excel's "Unicode text" export); bytes that are valid
  UTF-8 are UTF-8; anything else is read as GB18030 (the superset of the GBK that Excel writes on Chinese
  Windows) or as Big5 (Taiwan, Hong Kong), whichever reading is plausible Chinese — judged by the share of
  common characters each reading produces (see :func:`detect_encoding`). When neither reading is clearly
  the plausible one, :class:`~cs_toolkit.errors.UnreadableFileError` names the candidate encodings
  (``.candidates``) and the ``encoding=`` override (``--encoding`` on the command line).
* **Row numbers** are the ones a spreadsheet shows: the header is row 1 (or the row it is on), a record
  with a line break inside quotes is ONE row, a blank line still takes up a row. SPSS ``.sav`` rows are
  case numbers and Parquet rows record positions, both counted from 1.
* **Empty rows** — every cell empty or blank, however many delimiters (``,,,,``), or a blank line — are
  not data on any path (fast CSV, record-by-record CSV, XLSX, SAV, Parquet): they are neither kept nor
  rejected and do not count in ``rows_read``; their row numbers are in ``RawTable.empty_rows`` and a note
  in ``RawTable.notes`` says how many were skipped.
* Records that cannot be split into the header's columns are set aside in ``malformed`` with the reason.

Values are not interpreted here, with one shared helper: :func:`parse_datetimes` reads a date/time column
with one order (year-first, day-first or month-first) for the whole column, for the validators of surveys
and complaint logs.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_toolkit.errors import EmptyExportError, MissingColumnError, UnreadableFileError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
COMPRESSED_SUFFIXES = {".gz", ".bz2", ".xz", ".zip"}  # text exports only: x.csv.gz, a .zip of one CSV
_NOT_TEXT_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".sav", ".parquet", ".json", ".tar", ".zip", ".pdf"}
MAX_UNCOMPRESSED = 4 * 2**30
_DELIMITERS = [",", "\t", ";", "|"]
_MALFORMED_COLUMNS = ["row", "reason", "raw"]


@dataclass
class RawTable:
    """Rows of an export as read, before validation.

    ``frame`` holds the well-formed records, indexed by their row number in the file as a spreadsheet
    shows it (the header is row 1); ``malformed`` holds the records that could not be split into the
    header's columns, with the reason. ``empty_rows`` lists the row numbers of rows whose every cell is
    empty: they are not data, so they are in neither table and not in ``rows_read``.
    """

    path: Path
    frame: pd.DataFrame
    malformed: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    empty_rows: list[int] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Data rows read: well-formed plus malformed (empty rows are not data)."""
        return len(self.frame) + len(self.malformed)

    def require(self, columns: list[str | None], why: str = "") -> None:
        """Raise :class:`MissingColumnError` (with close-match suggestions) unless every column is present."""
        present = list(self.frame.columns)
        missing = [c for c in columns if c is not None and c not in present]
        if not missing:
            return
        suggestions = {}
        for c in missing:
            close = difflib.get_close_matches(c, present, n=1, cutoff=0.6)
            if close:
                suggestions[c] = close[0]
        hint = ""
        if self.notes:
            hint = "Note: " + "; ".join(self.notes) + " (pass delimiter=... to choose it). "
        hint += "Rename the columns in the export (or in the configuration or command) so they agree."
        message = (f"{self.path}: column(s) {missing} {why + ' ' if why else ''}are not in the file. "
                   f"Columns found: {present[:30]}.")
        message += "".join(f" {m!r} -> did you mean {s!r}?" for m, s in suggestions.items()) + " " + hint
        raise MissingColumnError(self.path, missing, present, suggestions, hint, message=message)

    def malformed_problems(self) -> pd.DataFrame:
        """The malformed records as problem rows: ``file``, ``row``, ``column`` ("(row)"), ``value``, ``reason``."""
        return pd.DataFrame({"file": str(self.path), "row": self.malformed["row"].to_numpy(), "column": "(row)",
                             "value": self.malformed["raw"].to_numpy(), "reason": self.malformed["reason"].to_numpy()})


# ================================================================================================
# Encodings
# ================================================================================================
_BOMS = [  # UTF-32 first: its little-endian mark starts with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
]
_SAMPLE_BYTES = 1 << 18  # bytes scored for plausibility (cut at a line end)
_BIG5_FAMILY = ("big5", "cp950", "big5hkscs")  # plain Big5, Windows' Big5, Hong Kong's Big5-HKSCS
_PLAUSIBLE = 0.6  # a reading needs at least this score to be accepted
_GB_MARGIN = 0.1  # GB18030 wins when this much more plausible than Big5 (this department's main case)
_BIG5_MARGIN = 0.2  # Big5 must be clearly more plausible than GB18030
_SMALL_SAMPLE = 0.5  # with n distinct Chinese characters, the lead must also be at least 0.5 / n
_LABELS = {"gb18030": "GB18030/GBK (simplified Chinese)", "big5": "Big5 (traditional Chinese)",
           "cp950": "Big5/cp950 (traditional Chinese)", "big5hkscs": "Big5-HKSCS (traditional Chinese)",
           "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE", "utf-32-le": "UTF-32 LE", "utf-32-be": "UTF-32 BE"}

#: The 1,000 most frequent simplified characters (character frequencies of jieba's dictionary).
_COMMON_SIMPLIFIED = (
    "一是人了不在有大中国和为这上他个地年来我会以到时要出的生学说道民家子也成行下们于后就发自之对得主长可过天作分方用多你着部能市等业全里工公经本都而高政法面门动日进区事代那去心小同北定开产前其军还然起种所"
    "如现理机体表力好外与文当两实重新三么只山水关明从化平建又制南内西没此将员名手最东头者月间无安看见各城十相但已些正口通想度加第她合院物性战由位常点海意场武使次二向治因立数样身情入原问把路被并利石老教万知"
    "级量任江及应省资委务元美特期世湖回系比气汉总展电科金先声提品设或义王社很统处四首共马形己儿司太目基领队直计别女权话少流命至报米给打变果书清活几州华解议更称程今决张导术府才保交放管结师便走达族反再题色五"
    "京河接条规式县白它改风光运信受什组听布百济党指论强做取技黄神选记斯真却职号界件花类何眼兵传带空干农边据集联古广完质阳难增历史专官每住商即步认车台林必死游举线言皇土团收考求德叫近备研争非具李众连调感转笑"
    "革该持始英克士尔让拉思根格造较际亲单朝红型价校约器字段周亚深候则功属积快图火千准究往极育装许参半令吃观鱼精办像帝八复影告远群包整构料随划算象容示投势热值夫网望源息语股铁断派速怎需片爱律纪支早况病境证编"
    "越局推满且列觉服双未居除乐企引标确织初青志率项飞球节察龙响药站施均消客失轻存低甚般击曾防请离落显罗营足素视护副食创余照兴占巴虽洲村费易试星木黑左宝置跟央识维采六底宫房音环案批切斗富乡另倒若按查故突责严"
    "桥模仅胜杀围席态破承招杨负层须父供续状域似依银范修找九致密终血旅钱赛独细效玉冲获习医演毛尽脸弹楼艺航陆右协七攻镇检写苏宗章注阿抗弟坐验封紧劳户优财养适陈喜卫排射哥油刻留急降念云微伤例景拿绝阶座刘刚害印"
    "亿沙母酒助闻超审待压升送监策略限竟香配藏敌呢差仍兰温园树征善波哪词岛止预怕继皮执味份角草男普答益谁船惊核街夏宣掌田久著画辑奇尼剑吧谈背免孩礼材愿洋春架筑括晚乱乎讲尚良友临激刀夜室既敢邦挥昌板胡欧福港叶"
    "简苦担句岁荆贵娘守辖威宜衣帮块堂额错剧充欢够孙班呼阵销坚练脚退读测吴希宁换版异某顾曲楚典朱毒菜判救宋茶洪含顺啊鲜败货矿端兄归冷忙买险康评肉吗厂永哈沉散遗停笔假输牛洞松渐顶训录否述毕督控丰献姑忽爷互亮纳"
    "襄登咱钟伯臣雄季脑介鄂召饭暗扩祖齐短烈赶牌恩诉移诗础露届蒙静喝盘卖植授伊湾博痛减穿逐秘庭陵固禁票灵杂姓泽吸侧庆妈遇追甲馆补唐炮沿殿刺怪彩俄旧警索岸轮妇载靠附毫怀软骨探雷旁罪枪牙迎序慢盛雨墙恶谷顿危稳熟"
)
#: Traditional forms of the common characters whose simplified form differs (and is not in Big5).
_TRADITIONAL_FORMS = (
    "國為這個來會時學說們發對長過著業經門動進區開產軍還現當兩實關從內沒將員東頭間無見戰點場數樣問級應資務漢總電聲設義統處馬領隊計別權話報給變書華議稱決張導術結師達題條規縣風運組濟論強黃選記卻職號類傳帶農邊"
    "聯廣質陽難歷專認車舉線團備爭眾連調轉該爾讓較際親單紅約亞則屬積圖裝許參觀魚辦遠隨勢熱語鐵斷愛紀況證編滿覺雙樂標織項飛節龍響藥輕擊請顯羅營視護創興雖費試寶識維宮環鄉責嚴橋僅殺圍態楊負層須續狀銀終錢賽獨細"
    "衝獲習醫盡臉彈樓藝陸協鎮檢寫蘇驗緊勞戶財養陳衛傷絕階劉剛億聞審壓監敵蘭溫園樹詞島預繼執誰畫輯劍談禮亂講臨揮歐葉簡擔歲荊貴轄幫塊額錯劇歡夠孫陣銷堅練腳讀測吳換顧順鮮敗貨礦歸買險評嗎遺筆輸漸頂訓錄畢獻爺納"
    "鐘腦飯擴齊訴詩礎屆靜盤賣灣減靈雜澤側慶媽館補舊輪婦載軟槍牆惡頓穩髮曆沖鬚儘鍾裡臺後幹乾隻於係繫準製範鬆麼與復複餘體並網氣週"
)
_PUNCTUATION = set("，。、；：？！“”‘’（）《》〈〉【】「」『』—…·～％＃＠＆＊＋－＝／　") | {
    chr(c) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}


@lru_cache(maxsize=1)
def _common_sets() -> tuple[frozenset, frozenset]:
    simplified = frozenset(_COMMON_SIMPLIFIED)
    shared = {ch for ch in _COMMON_SIMPLIFIED if _encodes(ch, "big5")}
    return simplified, frozenset(shared | set(_TRADITIONAL_FORMS))


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


@lru_cache(maxsize=65536)
def _weight_gb(ch: str) -> float:
    """How plausible ``ch`` is in a GB18030 export: 1 common (simplified, or traditional: GBK holds both),
    0.6/0.2 GB2312 level 1/2, 0.2 another character of Big5's frequent set, 0 else."""
    simplified, traditional = _common_sets()
    if ch in _PUNCTUATION or ch in simplified or ch in traditional:
        return 1.0
    try:
        code = ch.encode("gb2312")
    except UnicodeEncodeError:
        # 4-byte GB18030 sequences (emoji) cannot come from Big5 bytes: a sign of a real GB18030 file
        return 1.0 if ord(ch) > 0xFFFF else 0.2 if _big5_frequent(ch) else 0.0
    if len(code) == 2 and 0xB0 <= code[0] <= 0xD7:
        return 0.6
    if len(code) == 2 and 0xD8 <= code[0] <= 0xF7:
        return 0.2
    return 0.0  # kana, Greek, Cyrillic, box drawing, pinyin letters: what Big5 bytes turn into


def _big5_frequent(ch: str) -> bool:
    try:
        code = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xA440 <= (code[0] << 8 | code[1]) <= 0xC67E


@lru_cache(maxsize=65536)
def _weight_big5(ch: str) -> float:
    """How plausible ``ch`` is in a traditional-Chinese export: 1 common, 0.6/0.2 Big5 frequent/less, 0 else."""
    if ch in _PUNCTUATION or ch in _common_sets()[1]:
        return 1.0
    try:
        code = ch.encode("big5")
    except UnicodeEncodeError:
        return 0.0
    if len(code) != 2:
        return 0.0
    value = code[0] << 8 | code[1]
    if 0xA440 <= value <= 0xC67E:
        return 0.6
    if 0xC940 <= value <= 0xF9D5:
        return 0.2
    return 0.0  # symbols, bopomofo, kana, user-defined: what GB bytes turn into


def _plausibility(text: str, weight) -> tuple[float, int]:
    """Mean plausibility of the non-ASCII characters of ``text``, and how many distinct ones there are
    (a character repeated is no new evidence)."""
    counts = Counter(text)
    total = score = 0.0
    distinct = 0
    for ch, n in counts.items():
        if ord(ch) > 127:
            total += n
            score += n * weight(ch)
            distinct += 1
    return (score / total if total else 0.0), distinct


def _sample(raw: bytes) -> bytes:
    """Up to ``_SAMPLE_BYTES`` from the first line holding a non-ASCII byte, cut at a line end."""
    match = re.search(rb"[\x80-\xff]", raw)
    first = match.start() if match else 0
    start = raw.rfind(b"\n", 0, first) + 1
    if len(raw) - start <= _SAMPLE_BYTES:
        return raw[start:]
    end = raw.rfind(b"\n", start, start + _SAMPLE_BYTES)
    return raw[start:end + 1] if end > start else raw[start:]


def _preview(text: str) -> str:
    """The first line with non-ASCII characters, shortened: what a reading looks like to a person."""
    for line in text.splitlines():
        if any(ord(ch) > 127 for ch in line):
            return line.strip()[:40]
    return text[:40]


def _utf16_without_bom(raw: bytes, path) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit on one side of the byte pairs; None without NULs."""
    sample = raw[:_SAMPLE_BYTES]
    nul = sample.count(0)
    if nul < max(2, len(sample) // 100):  # a stray NUL or two in a text file is not UTF-16
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.9 * nul:
        return "utf-16-le"  # ASCII characters are (byte, 0)
    if even >= 0.9 * nul:
        return "utf-16-be"  # ASCII characters are (0, byte)
    for enc in ("utf-32-le", "utf-32-be"):
        try:
            text = sample[: len(sample) // 4 * 4].decode(enc)
        except UnicodeDecodeError:
            continue
        if "\n" in text and sum(ch.isprintable() or ch in "\t\r\n" for ch in text) >= 0.98 * len(text):
            return enc
    raise UnreadableFileError(
        f"{path}: the file contains NUL bytes ({nul} in the first {len(sample)} bytes) in no UTF-16 or UTF-32 "
        f"pattern: it is probably not a text export. If it is, pass encoding='utf-16-le' (or 'utf-16-be'; "
        f"--encoding on the command line), or save it from Excel as 'CSV UTF-8'.",
        path=str(path), candidates=["utf-16-le", "utf-16-be"])


def _chinese_encoding(raw: bytes, path) -> str:
    """GB18030 or Big5, by the plausibility of each reading; refuse (naming both) when unsure."""
    sample = _sample(raw)
    readings: dict[str, str] = {}
    with contextlib.suppress(UnicodeDecodeError):
        readings["gb18030"] = sample.decode("gb18030")
    for enc in _BIG5_FAMILY:
        try:
            readings[enc] = sample.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    big5 = next((e for e in readings if e in _BIG5_FAMILY), None)
    scored = {enc: _plausibility(text, _weight_big5 if enc in _BIG5_FAMILY else _weight_gb)
              for enc, text in readings.items()}
    scores = {enc: score for enc, (score, _n) in scored.items()}
    chars = max([n for _score, n in scored.values()] or [0])
    small = _SMALL_SAMPLE / max(chars, 1)  # a few characters prove little: ask for a wider lead
    gb, b5 = scores.get("gb18030"), scores.get(big5) if big5 else None
    if gb is not None and gb >= _PLAUSIBLE and (b5 is None or gb - b5 >= max(_GB_MARGIN, small)):
        return "gb18030"
    if b5 is not None and b5 >= _PLAUSIBLE and (gb is None or b5 - gb >= max(_BIG5_MARGIN, small)):
        return big5
    candidates = sorted(readings, key=lambda e: -scores[e])
    described = "; ".join(f"as {_LABELS.get(e, e)} it reads {_preview(readings[e])!r} (plausibility "
                          f"{scores[e]:.2f})" for e in candidates) or "it is neither UTF-8, GB18030/GBK nor Big5"
    if not any(s >= _PLAUSIBLE for s in scores.values()):  # perhaps no Chinese at all: ask charset-normalizer
        others = _other_guesses(sample)
        if others:
            described += f"; charset-normalizer suggests {', '.join(others)}"
            candidates = others + candidates
    first = candidates[0] if candidates else "utf-8"
    raise UnreadableFileError(
        f"{path}: cannot tell the text encoding for sure: {described}. Pass the right one, e.g. "
        f"encoding={first!r} (candidates: {candidates}; on the command line --encoding {first}), "
        f"or save the file as UTF-8 ('CSV UTF-8' in Excel) and try again.",
        path=str(path), candidates=candidates, scores=scores)


def _other_guesses(sample: bytes) -> list[str]:
    """charset-normalizer's guesses (other than the Chinese encodings already tried)."""
    from charset_normalizer import from_bytes

    out = []
    for match in list(from_bytes(sample))[:3]:
        enc = match.encoding
        if not enc.startswith(("gb", "hz", "big5", "cp950", "utf")) and enc not in out:
            out.append(enc)
    return out


def detect_encoding(raw: bytes, path: Path | str = "<bytes>") -> str:
    """Name the encoding of ``raw`` (see the module notes), or raise :class:`UnreadableFileError`.

    In order: a byte-order mark (``utf-8-sig``, ``utf-16``, ``utf-32``); NUL bytes on one side of the byte
    pairs (``utf-16-le``/``utf-16-be``, Excel's "Unicode text" without a mark); valid UTF-8 (``utf-8``);
    otherwise GB18030 or Big5, whichever reading gives plausible Chinese: each reading is scored by the
    share of its non-ASCII characters that are common characters of its script (simplified for GB18030,
    traditional for Big5), rarer characters counting less and the kana, symbols and private-use
    characters that a wrong reading produces counting nothing. A reading must score at least 0.6 and lead
    the other by 0.1 for GB18030 (GBK is the main case) or 0.2 for Big5 — and by 0.5/n when the sample
    has only n distinct Chinese characters. Otherwise the error's ``candidates`` lists the encodings to choose
    from with ``encoding=``.

    Examples
    --------
    >>> detect_encoding("编号,满意度,备注\\n1,5,师傅很专业\\n".encode("gbk"))
    'gb18030'
    >>> detect_encoding("編號,滿意度,備註\\n1,5,師傅很專業\\n".encode("big5"))
    'big5'
    >>> detect_encoding("id,项目\\n1,北京\\n".encode("utf-16-le"))
    'utf-16-le'
    """
    return _detect(raw, path)[0]


def _detect(raw: bytes, path) -> tuple[str, str | None]:
    """The encoding, and the decoded text when detection already had to decode all of it."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            return enc, None
    utf16 = _utf16_without_bom(raw, path)
    if utf16 is not None:
        return utf16, None
    try:
        return "utf-8", raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _chinese_encoding(raw, path), None


def _decode(raw: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    text = None
    if encoding is None:
        enc, text = _detect(raw, path)
        if text is not None:
            return text, enc
    else:
        enc = encoding
    # a Big5 file may need Windows' or Hong Kong's extensions further down than the sample reached
    variants = [enc, *(e for e in _BIG5_FAMILY if e != enc)] if encoding is None and enc in _BIG5_FAMILY else [enc]
    error = None
    for variant in variants:
        try:
            return raw.decode(variant), variant
        except UnicodeDecodeError as exc:
            error = error or exc
        except LookupError as exc:
            raise UnreadableFileError(f"{path}: unknown encoding {enc!r}", path=str(path)) from exc
    line = raw[: error.start].count(b"\n") + 1
    hint = ""
    if encoding is not None:
        try:
            guess = _detect(raw, path)[0]
            hint = f" It looks like {_LABELS.get(guess, guess)}: pass encoding={guess!r}."
        except UnreadableFileError as exc:
            hint = f" Candidates: {exc.candidates}."
    raise UnreadableFileError(
        f"{path}: cannot decode line {line} as {enc} (byte {error.start}).{hint} "
        f"Or leave encoding unset to detect it.", path=str(path), candidates=[enc]
    ) from error


# ================================================================================================
# Text files
# ================================================================================================
def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most, and most consistent, fields."""
    sample = text[:65536]
    best, best_score = ",", -1.0
    for delim in _DELIMITERS:
        if delim not in sample:
            continue
        counts: list[int] = []
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delim):
                if any(cell.strip() for cell in record):
                    counts.append(len(record))
                if len(counts) >= 20:
                    break
        except csv.Error:
            pass
        if not counts or counts[0] <= 1:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = consistent * 100 + counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


def _decompressed(path: Path) -> tuple[bytes, str]:
    """The bytes of a compressed text export (``.csv.gz``, ``.tsv.bz2``, ``.csv.xz``, a ``.zip`` holding one
    text file) and the suffix of the file inside; at most ``MAX_UNCOMPRESSED`` bytes."""
    import bz2
    import gzip
    import lzma
    import zipfile

    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")
                       and not Path(m.filename).name.startswith(".")]
            if len(members) != 1 or Path(members[0].filename).suffix.lower() not in TEXT_SUFFIXES:
                raise UnreadableFileError(
                    f"{path}: a .zip export must hold exactly one CSV/TSV/TXT file; it holds "
                    f"{[m.filename for m in members][:10]}", path=str(path))
            inner = Path(members[0].filename).suffix.lower()
            opened = zf.open(members[0])
            return _read_at_most(opened, path), inner
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix]
    inner = Path(path.stem).suffix.lower()  # ".20240101" in export.20240101.gz is not a type: read as text
    if inner in _NOT_TEXT_SUFFIXES:
        raise UnreadableFileError(f"{path}: only compressed CSV/TSV/TXT exports are read (not {inner}{suffix})",
                                  path=str(path))
    with opener(path, "rb") as fh:
        return _read_at_most(fh, path), inner


def _read_at_most(fh, path: Path) -> bytes:
    raw = fh.read(MAX_UNCOMPRESSED + 1)
    if len(raw) > MAX_UNCOMPRESSED:
        raise UnreadableFileError(f"{path}: more than {MAX_UNCOMPRESSED // 2**30} GiB once uncompressed; split the "
                                  f"export", path=str(path))
    return raw


def _read_text(path: Path, raw: bytes, encoding: str | None, delimiter: str | None,
               suffix: str | None = None) -> RawTable:
    text, enc = _decode(raw, encoding, path)
    if text.startswith("\ufeff"):  # a mark the chosen codec kept (e.g. encoding='utf-8' on a UTF-8-BOM file)
        text = text[1:]
    if not text.strip():
        raise EmptyExportError(f"{path}: the file is empty; export the survey again (it has no header and no rows).",
                               path=str(path))
    delim = delimiter or (("\t" if (suffix or path.suffix.lower()) == ".tsv" else None) or sniff_delimiter(text))
    fast = _fast_frame(text, delim)
    if fast is not None:
        frame, empty = fast
        if frame.empty:
            raise EmptyExportError(f"{path}: the file has a header (row 1) but no data rows; check the export's "
                                   f"date range.", path=str(path))
        return RawTable(path, frame, pd.DataFrame(columns=_MALFORMED_COLUMNS), enc, delim,
                        _notes(list(frame.columns), delim) + _empty_note(empty), empty)
    header, header_row, records, rows, bad, empty = _parse_records(text, delim)
    if header is None:
        raise EmptyExportError(f"{path}: the file is empty; export the survey again.", path=str(path))
    if not records and not bad:
        raise EmptyExportError(
            f"{path}: the file has a header (row {header_row}) but no data rows; check the export's date range.",
            path=str(path))
    frame = pd.DataFrame(records, columns=_dedupe(header), index=pd.Index(rows, name="row"), dtype="str")
    return RawTable(path, frame, pd.DataFrame(bad, columns=_MALFORMED_COLUMNS), enc, delim,
                    _notes(header, delim) + _empty_note(empty), empty)


def _parse_records(text: str, delim: str):
    """Record by record: each record is one spreadsheet row (whatever line breaks its quotes hold)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    header_row = 0
    records: list[list[str]] = []
    rows: list[int] = []
    bad: list[dict] = []
    empty: list[int] = []
    row = 0
    while True:
        row += 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append({"row": row, "reason": f"cannot be parsed: {exc}", "raw": ""})
            continue
        if not any(cell.strip() for cell in record):
            empty.append(row)  # a blank line or a row of empty cells: not a record
            continue
        if header is None:
            header, header_row = [h.strip() for h in record], row
            continue
        if len(record) != len(header):
            bad.append({"row": row, "reason": f"has {len(record)} fields but the header has {len(header)}",
                        "raw": delim.join(record)})
            continue
        records.append(record)
        rows.append(row)
    return header, header_row, records, rows, bad, empty


def _notes(header: list[str], delim: str = ",") -> list[str]:
    if len(header) == 1 and any(d in header[0] for d in _DELIMITERS[1:] + [","]):
        return [f"only one column found with delimiter {delim!r}; the file may use another delimiter"]
    return []


def _empty_note(empty: list[int]) -> list[str]:
    if not empty:
        return []
    shown = ", ".join(map(str, empty[:10])) + (", ..." if len(empty) > 10 else "")
    return [f"{len(empty)} empty row(s) skipped (every cell empty; not data, not counted as read): row(s) {shown}"]


def _fast_frame(text: str, delim: str) -> tuple[pd.DataFrame, list[int]] | None:
    """pandas' C parser, when every line is exactly one record (no quotes, the header's number of fields
    everywhere, no lone carriage returns), so that row numbers are line numbers. Rows of empty cells are
    then dropped, as on every path. Otherwise None: the record-by-record reader then finds and sets aside
    the malformed records."""
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or not lines[0].replace(delim, "").strip():
        return None
    fields = lines[0].count(delim)
    counts = set(map(str.count, lines, itertools.repeat(delim)))
    if counts != {fields}:
        return None
    header = _dedupe([h.strip() for h in lines[0].split(delim)])
    frame = pd.read_csv(io.StringIO(text), sep=delim, header=0, names=header, dtype=str, keep_default_na=False,
                        na_filter=False, engine="c", quoting=csv.QUOTE_NONE, skip_blank_lines=False)
    if len(frame) != len(lines) - 1:
        return None
    frame.index = pd.Index(range(2, len(frame) + 2), name="row")
    return _drop_empty(frame)


def _dedupe(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        name = name or "unnamed"
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


# ================================================================================================
# Empty rows, on every path
# ================================================================================================
_BLANK = r"^[\s\x{0b}\x{1c}-\x{1f}\x{85}\pZ]*$"  # what Python's str.strip() removes (RE2 syntax)


def _blank_cells(values: pd.Series) -> np.ndarray:
    """True where a cell is empty: missing, or text that is only whitespace."""
    if not (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)):
        return values.isna().to_numpy(dtype=bool)
    blank = pc.fill_null(pc.match_substring_regex(_arrow_text(values), _BLANK), True)
    return np.asarray(blank, dtype=bool)


def _drop_empty(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """The frame without its rows of empty cells, and their row numbers."""
    candidates = np.arange(len(frame))
    for position in range(frame.shape[1]):
        if not len(candidates):
            break
        column = frame.iloc[candidates, position]
        candidates = candidates[_blank_cells(column)]
    if not len(candidates) or not frame.shape[1]:
        return frame, []
    empty = frame.index[candidates]
    return frame.drop(index=empty), [int(r) for r in empty]


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _frame_from_rows(rows, path: Path) -> tuple[pd.DataFrame, list[int]]:
    """A frame from ``(row number, cells)`` of a worksheet: header = first non-empty row; empty rows and
    columns with neither a header nor a value dropped."""
    header: list | None = None
    data: list[list] = []
    numbers: list[int] = []
    empty: list[int] = []
    for number, cells in rows:
        cells = list(cells)
        if all(_is_blank(v) for v in cells):
            empty.append(number)
            continue
        if header is None:
            header = cells
            continue
        data.append(cells)
        numbers.append(number)
    if header is None:
        raise EmptyExportError(f"{path}: the worksheet is empty", path=str(path))
    width = max([len(header), *map(len, data)])
    header = header + [None] * (width - len(header))
    data = [r + [None] * (width - len(r)) for r in data]
    keep = [j for j in range(width) if not _is_blank(header[j]) or any(not _is_blank(r[j]) for r in data)]
    names = _dedupe(["" if _is_blank(header[j]) else str(header[j]).strip() for j in keep])
    frame = pd.DataFrame([[r[j] for j in keep] for r in data], columns=names,
                         index=pd.Index(numbers, name="row", dtype="int64"), dtype=object)
    return frame, empty


def _xlsx_rows(path: Path, sheet: str | int):
    import openpyxl

    # a file object: openpyxl would refuse an .xlsx saved under the name .xls by its name alone
    with open(path, "rb") as fh:
        book = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        try:
            if isinstance(sheet, int):
                if not -len(book.worksheets) <= sheet < len(book.worksheets):
                    raise UnreadableFileError(f"{path}: no worksheet number {sheet}; sheets: {book.sheetnames}",
                                              path=str(path))
                ws = book.worksheets[sheet]
            elif sheet in book.sheetnames:
                ws = book[sheet]
            else:
                raise UnreadableFileError(f"{path}: no worksheet {sheet!r}; sheets: {book.sheetnames}",
                                          path=str(path))
            # openpyxl fills the rows a file leaves out, so the enumeration is the Excel row number
            return list(enumerate(ws.iter_rows(min_row=1, values_only=True), start=1))
        finally:
            book.close()


def _xls_rows(path: Path, sheet: str | int):
    """Rows of an old binary ``.xls`` workbook (xlrd), numbered as Excel shows them: date cells become
    datetimes, whole numbers ints (as openpyxl gives them for ``.xlsx``), empty cells None."""
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        names = book.sheet_names()
        if isinstance(sheet, int):
            if not -len(names) <= sheet < len(names):
                raise UnreadableFileError(f"{path}: no worksheet number {sheet}; sheets: {names}", path=str(path))
            ws = book.sheet_by_index(sheet % len(names))
        elif sheet in names:
            ws = book.sheet_by_name(sheet)
        else:
            raise UnreadableFileError(f"{path}: no worksheet {sheet!r}; sheets: {names}", path=str(path))

        def value(cell):
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                return None
            if cell.ctype == xlrd.XL_CELL_DATE:
                stamp = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                return stamp.time() if 0 <= cell.value < 1 else stamp  # a time of day, as openpyxl gives it
            if cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
                return int(cell.value)
            if cell.ctype == xlrd.XL_CELL_BOOLEAN:
                return bool(cell.value)
            if cell.ctype == xlrd.XL_CELL_ERROR:
                return xlrd.error_text_from_code.get(cell.value, "#ERROR")
            return cell.value

        # xlrd keeps every row up to the last one used, blank ones included: the position is the row number
        return [(r + 1, tuple(value(c) for c in ws.row(r))) for r in range(ws.nrows)]
    finally:
        book.release_resources()


def read_table(
    path: str | Path, encoding: str | None = None, delimiter: str | None = None, sheet: str | int = 0
) -> RawTable:
    """Read an export into a :class:`RawTable` without interpreting any value.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt`` (also compressed: ``.csv.gz``, ``.bz2``, ``.xz``, or a ``.zip`` holding
        one of them), ``.xlsx``/``.xls``, ``.sav`` (SPSS) or ``.parquet``.
    encoding : str, optional
        Text encoding; detected when not given (see :func:`detect_encoding`).
    delimiter : str, optional
        Field delimiter of text files; sniffed when not given.
    sheet : str or int, default 0
        Worksheet of an Excel file.

    Raises
    ------
    UnreadableFileError
        Missing file, unsupported type, damaged file, or an encoding that cannot be told for sure
        (``candidates`` then lists the encodings to choose from).
    EmptyExportError
        No header, or a header and no data rows (empty rows are not data).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from cs_toolkit.io.tables import read_table
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_bytes("编号,满意度\\n1,5\\n2,4\\n,\\n".encode("gb18030"))
    >>> t = read_table(p)
    >>> t.encoding, list(t.frame.columns), t.frame.index.to_list(), t.empty_rows
    ('gb18030', ['编号', '满意度'], [2, 3], [4])
    """
    path = Path(path)
    if not path.exists():
        raise UnreadableFileError(f"{path}: no such file", path=str(path))
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, path.read_bytes(), encoding, delimiter)
    if suffix in COMPRESSED_SUFFIXES:
        if path.stat().st_size == 0:
            raise EmptyExportError(f"{path}: the file is empty", path=str(path))
        try:
            raw, inner = _decompressed(path)
        except (UnreadableFileError, EmptyExportError):
            raise
        except Exception as exc:  # a damaged archive: zipfile, gzip, bz2 and lzma raise different types
            raise UnreadableFileError(f"{path}: cannot be decompressed ({type(exc).__name__}: {exc})",
                                      path=str(path)) from exc
        return _read_text(path, raw, encoding, delimiter, suffix=inner)
    if path.stat().st_size == 0:
        raise EmptyExportError(f"{path}: the file is empty", path=str(path))
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame, empty = _frame_from_rows(_xlsx_rows(path, sheet), path)
        elif suffix == ".xls":  # Excel 97-2003, or what many CRM systems save under that name
            with open(path, "rb") as fh:
                magic = fh.read(8)
            if magic.startswith(b"PK\x03\x04"):  # an .xlsx workbook named .xls
                frame, empty = _frame_from_rows(_xlsx_rows(path, sheet), path)
            elif magic.startswith(b"\xd0\xcf\x11\xe0"):  # the binary format itself
                frame, empty = _frame_from_rows(_xls_rows(path, sheet), path)
            elif magic.lstrip().startswith(b"<"):
                raise UnreadableFileError(f"{path}: this .xls is a web page (HTML), not a workbook; open it in "
                                          f"Excel and save it as .xlsx or CSV", path=str(path))
            else:  # delimited text named .xls (tab-separated, as several systems export)
                return _read_text(path, path.read_bytes(), encoding, delimiter, suffix=".txt")
        elif suffix == ".sav":
            import pyreadstat

            frame, _meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
            frame.index = pd.Index(range(1, len(frame) + 1), name="row")  # SPSS case numbers
            frame, empty = _drop_empty(frame)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            frame.index = pd.Index(range(1, len(frame) + 1), name="row")  # record positions
            frame, empty = _drop_empty(frame)
        else:
            raise UnreadableFileError(
                f"{path}: unsupported file type {suffix!r}; use CSV, TSV (also .gz, .bz2, .xz or a .zip of one), "
                f"XLSX/XLS, SPSS .sav or Parquet.", path=str(path)
            )
    except (UnreadableFileError, EmptyExportError):
        raise
    except Exception as exc:  # the reading libraries raise many types for a damaged file
        raise UnreadableFileError(f"{path}: cannot be read as {suffix} ({type(exc).__name__}: {exc})",
                                  path=str(path)) from exc
    frame.columns = _dedupe([str(c).strip() for c in frame.columns])
    if frame.empty:
        raise EmptyExportError(f"{path}: the file has a header but no data rows", path=str(path))
    return RawTable(path, frame, pd.DataFrame(columns=_MALFORMED_COLUMNS), notes=_empty_note(empty), empty_rows=empty)


# ================================================================================================
# Dates: one order for a whole column
# ================================================================================================
DATE_ORDERS = {"YMD": "year-month-day", "DMY": "day/month/year", "MDY": "month/day/year"}
#: Order used when a column's day/month order cannot be told from its values (all fields <= 12):
#: day-first, as in Hong Kong, the UK and most exports that are not year-first (mainland China's are
#: year-first and never ambiguous). A note always says so.
AMBIGUOUS_DATE_ORDER = "DMY"
_DATE_RE = (r"^(?P<a>\d{1,4})(?:[-/.]|年)(?P<b>\d{1,2})(?:[-/.]|月)(?P<c>\d{1,4})日?"
            r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2})(?P<f>[.,]\d{1,9})?)?"
            r"(?:\s*(?P<p>[AaPp][Mm]))?)?$")


@dataclass
class DateColumn:
    """A date/time column read with one order: values, which cells are missing or invalid, and why."""

    values: pd.Series
    missing: pd.Series
    invalid: pd.Series
    reason: pd.Series
    order: str | None
    notes: list[str] = field(default_factory=list)


def _arrow_text(values: pd.Series) -> pa.Array:
    """The values as an Arrow string array (missing stays null); no copy for pandas' own strings."""
    return pa.array(values.astype("string[pyarrow]").array)


def normalize_text(values: pd.Series) -> pd.Series:
    """Values as stripped, NFKC-normalised text (full-width digits and punctuation become ASCII)."""
    arr = pc.utf8_trim_whitespace(pc.utf8_normalize(_arrow_text(values), "NFKC"))
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=values.index, name=values.name)


def parse_datetimes(values: pd.Series, column: str, fmt: str | None = None, how_to_set: str = "") -> DateColumn:
    """Read a date/time column with ONE order for all its values.

    ``fmt`` is a strptime format (``"%d/%m/%Y %H:%M"``: every value must match it) or an order, ``"DMY"``,
    ``"MDY"``, ``"YMD"`` (``"ISO"``), whatever the separators (``-``, ``/``, ``.``, 年月日) and with an
    optional time (``9:05``, ``09:05:00.123``, ``AM``/``PM``). Without ``fmt``, the order is inferred
    from all values: year-first values (``2026/11/03``) are unambiguous; among day/month values, a first
    field > 12 means day-first and a second field > 12 means month-first (when both occur the majority wins
    and the others are invalid); when every value has both fields <= 12 the order is
    :data:`AMBIGUOUS_DATE_ORDER` and a note names the column and ``how_to_set`` the format.

    Examples
    --------
    >>> d = parse_datetimes(pd.Series(["27/11/2026", "03/11/2026 9:05", "2026-11-04", "", "soon"]), "at")
    >>> d.values.dt.strftime("%Y-%m-%d %H:%M").to_list()
    ['2026-11-27 00:00', '2026-11-03 09:05', '2026-11-04 00:00', nan, nan]
    >>> d.order, d.invalid.to_list(), d.reason[d.invalid].to_list()
    ('DMY', [False, False, False, False, True], ['not a date/time'])
    """
    index = values.index
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        missing = values.isna()
        return DateColumn(values, missing, pd.Series(False, index=index), pd.Series("", index=index, dtype="string"),
                          None)
    text = normalize_text(values)
    missing = (text.isna() | (text == "")).fillna(True).astype(bool)
    codes, uniques = pd.factorize(text.where(~missing))
    uniques = pd.Index(uniques).astype("string")
    notes: list[str] = []
    order_key = fmt.strip().upper() if isinstance(fmt, str) else None
    order_key = "YMD" if order_key == "ISO" else order_key
    if fmt and order_key not in DATE_ORDERS:
        parsed = pd.to_datetime(pd.Series(uniques, dtype=object), format=fmt, errors="coerce")
        parsed_u = parsed.to_numpy(dtype="datetime64[us]")
        reason_u = np.where(np.isnat(parsed_u), f"does not match the date format {fmt!r}", "")
        order = fmt
    else:
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        parsed_u, reason_u, order, note = _parse_ordered(uniques, counts, order_key, column, how_to_set)
        notes += note
    take = np.where(codes >= 0, codes, 0)
    if len(uniques):
        out = np.where(codes >= 0, parsed_u[take], np.datetime64("NaT", "us"))
        why = np.where(codes >= 0, reason_u[take], "")
    else:
        out = np.full(len(codes), np.datetime64("NaT", "us"))
        why = np.full(len(codes), "", dtype=object)
    result = pd.Series(out, index=index, name=values.name)
    reason = pd.Series(why, index=index, dtype="string")
    invalid = (reason != "").astype(bool)
    return DateColumn(result, missing, invalid, reason, order, notes)


def _parse_ordered(uniques: pd.Index, counts: np.ndarray, forced: str | None, column: str, how_to_set: str):
    """Parse distinct values with one day/month order (forced or inferred)."""
    n = len(uniques)
    if not n:
        return np.array([], dtype="datetime64[us]"), np.array([], dtype=object), forced or "YMD", []
    parts = pc.extract_regex(pa.array(uniques.to_numpy(dtype=object), type=pa.string()), _DATE_RE)

    def field_of(name):  # a group that took no part in the match (or no match at all) is null
        arr = pc.struct_field(parts, name)
        return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)

    def part(name, numeric=True):
        arr = field_of(name)
        if numeric:
            return np.asarray(pc.cast(pc.cast(arr, pa.int64()), pa.float64()).fill_null(np.nan), dtype="float64")
        return pd.Series(arr.to_pylist(), dtype=object)

    def length(name):
        return np.asarray(pc.cast(pc.utf8_length(field_of(name)), pa.float64()).fill_null(np.nan), dtype="float64")

    lengths, c_len = length("a"), length("c")
    a, b, c = part("a"), part("b"), part("c")
    ymd = (lengths == 4) & (c_len <= 2)
    two = (lengths <= 2) & ((c_len == 4) | (c_len == 2))
    day_first = two & (a > 12) & (b <= 12)  # a value with both fields > 12 is no evidence: it is invalid
    month_first = two & (b > 12) & (a <= 12)
    notes = []
    if forced:
        order = forced
    elif not two.any():
        order = "YMD"
    else:
        rows_day, rows_month = int(counts[day_first].sum()), int(counts[month_first].sum())
        example = {k: uniques[np.flatnonzero(m)[0]] if m.any() else "" for k, m in
                   (("DMY", day_first), ("MDY", month_first), ("any", two))}
        if rows_day and not rows_month:
            order = "DMY"
            notes.append(f"column {column!r}: dates read as day/month/year, because some have a first field > 12 "
                         f"(e.g. {example['DMY']!r})")
        elif rows_month and not rows_day:
            order = "MDY"
            notes.append(f"column {column!r}: dates read as month/day/year, because some have a second field > 12 "
                         f"(e.g. {example['MDY']!r})")
        elif rows_day and rows_month:
            order = "DMY" if rows_day >= rows_month else "MDY"
            notes.append(f"column {column!r} mixes day-first dates ({rows_day} row(s), e.g. {example['DMY']!r}) and "
                         f"month-first dates ({rows_month} row(s), e.g. {example['MDY']!r}); read as "
                         f"{DATE_ORDERS[order]} (the majority) and the other rows rejected. {how_to_set}".strip())
        else:
            order = AMBIGUOUS_DATE_ORDER
            notes.append(f"column {column!r}: the day/month order of its dates is ambiguous (every value, e.g. "
                         f"{example['any']!r}, has both fields <= 12); read as {DATE_ORDERS[order]}. If that is "
                         f"wrong, {how_to_set or 'set the date format'}.")
    if order == "YMD":
        usable = ymd
        year, month, day = a, b, c
    else:
        usable = ymd | two
        first_day = order == "DMY"
        year = np.where(ymd, a, c)
        month = np.where(ymd, b, b if first_day else a)
        day = np.where(ymd, c, a if first_day else b)
        short = two & (c_len == 2)
        year = np.where(short, np.where(c < 69, 2000 + c, 1900 + c), year)  # as strptime's %y
    hour, minute, second = part("H"), part("M"), part("S")
    has_time = ~np.isnan(hour)
    hour, minute, second = (np.nan_to_num(x) for x in (hour, minute, second))
    digits = pc.utf8_slice_codeunits(pc.fill_null(field_of("f"), ".0"), 1, 7)  # ".5" -> "5" -> 500000 us
    micro = np.asarray(pc.cast(pc.utf8_rpad(digits, 6, "0"), pa.int64()), dtype="float64")
    ampm = np.asarray(pc.utf8_upper(pc.fill_null(field_of("p"), "")).to_numpy(zero_copy_only=False), dtype=object)
    twelve = ampm != ""
    ok_hour = np.where(twelve, (hour >= 1) & (hour <= 12), hour <= 23)
    hour = np.where(twelve & (ampm == "PM") & (hour < 12), hour + 12, hour)
    hour = np.where(twelve & (ampm == "AM") & (hour == 12), 0, hour)
    valid = (usable & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & ok_hour & (minute <= 59)
             & (second <= 59) & (year >= 1000))
    valid &= ~np.isnan(year) & ~np.isnan(month) & ~np.isnan(day)
    # numpy calendar arithmetic: the month, then its day (a day past the month's end shows as another month)
    months = (np.where(valid, year, 2000) - 1970) * 12 + np.where(valid, month, 1) - 1
    first = months.astype("int64").astype("datetime64[M]")
    days = first.astype("datetime64[D]") + (np.where(valid, day, 1) - 1).astype("int64").astype("timedelta64[D]")
    valid &= days.astype("datetime64[M]") == first  # 31 April, 29 February of a common year
    clock = np.where(valid & has_time, (hour * 3600 + minute * 60 + second) * 1_000_000 + micro, 0)
    stamps = days.astype("datetime64[us]") + clock.astype("int64").astype("timedelta64[us]")
    stamps = np.where(valid, stamps, np.datetime64("NaT", "us"))
    matched = ~np.isnan(a)
    label = np.where(ymd, DATE_ORDERS["YMD"], DATE_ORDERS[order])
    reason = np.where(valid, "", np.where(matched & (ymd | two), "not a valid date/time read as " + label.astype(object),
                                          "not a date/time"))
    return stamps, reason.astype(object), order, notes
