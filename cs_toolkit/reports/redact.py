"""Remove personal data from everything that is shared, without eating ordinary numbers.

Found and replaced by a typed placeholder (``[PHONE]``, ``[ID]``...), so readers still see that
something was there:

- mobile numbers (+86, spaces, dashes, full-width digits) and landlines (``010-62345678``,
  ``(0755)23456789``, ``（020）87654322``);
- ID-card numbers: 18 digits whose mod-11 check digit (GB 11643) is right, and 15-digit legacy numbers
  with a valid region and birth date;
- bank cards of any network: 13–19 digits (grouped or not) that pass the Luhn check, unless the text
  calls the number an order, ticket or complaint number;
- e-mail addresses, Chinese-domain ones included (``李四@公司.中国``);
- room addresses (``3栋2单元1502室``), licence plates (``粤B·12345``, new-energy ``京AD12345``) and WeChat ids
  (after 微信/WeChat/vx);
- customers' names taken from the data's name columns: names of three or more characters wherever they
  appear, two-character names where they stand alone or the text around them says they are a person
  (after 业主/客户/姓名/联系人, before 先生/女士/反映/来电...), so ``晚高峰`` stays when a customer is
  called 高峰.

Full-width forms (``＋８６ １３６…``, ``liu.yang＠163.com``) are matched as their ASCII equivalents.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# Full-width ASCII and ideographic space fold to ASCII, dash variants to "-": one character for one, so
# positions found in the folded text are positions in the original.
_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20} | {c: 0x2D for c in range(0x2010, 0x2016)}
_SEP = r"[ \-]?"
_ORDER_CONTEXT = re.compile(r"(订单|单号|编号|工单|流水|票号|快递|运单|投诉号|order|ticket|no\.?|#)\s*[:：]?\s*$", re.I)
_PERSON_BEFORE = re.compile(r"(业主|客户|住户|用户|姓名|联系人|投诉人|报修人|回访对象|受访者|户主|名字|叫)\s*[:：]?\s*$")
_PERSON_AFTER = re.compile(r"^\s*(先生|女士|小姐|老师|业主|阿姨|师傅|同志|本人|反映|投诉|来电|致电|报修|表示|要求|称|说|家)")
_REGIONS = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
            61, 62, 63, 64, 65, 71, 81, 82}
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
NAME_COLUMNS = ("customer_name", "name", "respondent_name", "contact_name", "owner_name", "姓名", "客户姓名",
                "业主姓名", "联系人", "受访者姓名", "投诉人")

log = logging.getLogger(__name__)


_DATA_URI = re.compile(r"data:[\w/+.\-]+;base64,[A-Za-z0-9+/=\s]+")


def _inside(span: tuple[int, int, str], starts: list[int], ends: list[int]) -> bool:
    import bisect

    k = bisect.bisect_right(starts, span[0]) - 1
    return k >= 0 and span[0] < ends[k]


def id_check_ok(digits: str) -> bool:
    """The GB 11643 mod-11 check digit of an 18-character ID number.

    Examples
    --------
    >>> id_check_ok("11010519491231002X"), id_check_ok("110105194912310021")
    (True, False)
    """
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(digits[:17], weights, strict=True))
    return "10X98765432"[total % 11] == digits[17].upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a card number.

    Examples
    --------
    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_date(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= (31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31)[m - 1]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _id18(m: re.Match, text: str) -> bool:
    d = re.sub(r"[ \-]", "", m.group())
    return (int(d[:2]) in _REGIONS and _valid_date(int(d[6:10]), int(d[10:12]), int(d[12:14]))
            and id_check_ok(d))


def _id15(m: re.Match, text: str) -> bool:
    d = _digits(m.group())
    return (int(d[:2]) in _REGIONS and _valid_date(1900 + int(d[6:8]), int(d[8:10]), int(d[10:12]))
            and not _ORDER_CONTEXT.search(text[max(0, m.start() - 12):m.start()]))


def _card(m: re.Match, text: str) -> bool:
    d = _digits(m.group())
    return 13 <= len(d) <= 19 and luhn_ok(d) and not _ORDER_CONTEXT.search(text[max(0, m.start() - 12):m.start()])


def _always(m: re.Match, text: str) -> bool:
    return True


_CJK = r"[\u4e00-\u9fff]"
# A number is a whole token: not the digits after a decimal point, not followed by more decimals.
_START = r"(?<![0-9A-Za-z.])"
_END = r"(?![0-9A-Za-z]|\.\d)"
_DOMAIN = r"(?:[A-Za-z0-9\-]+|" + _CJK + r"+)(?:\.(?:[A-Za-z0-9\-]+|" + _CJK + r"+))+"
# (label, pattern on the folded text, check on the match); overlapping matches: the longest wins.
_PATTERNS: list[tuple[str, re.Pattern, Callable[[re.Match, str], bool]]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+\-]+@" + _DOMAIN), _always),
    ("EMAIL", re.compile(_CJK + r"{1,4}@" + _DOMAIN), _always),
    ("ID", re.compile(_START + r"\d{6}" + _SEP + r"\d{8}" + _SEP + r"\d{3}[\dXx]" + _END), _id18),
    ("ID", re.compile(_START + r"\d{15}" + _END), _id15),
    ("BANK_CARD", re.compile(_START + r"\d{4}(?:" + _SEP + r"\d{4}){2,3}(?:" + _SEP + r"\d{1,3})?" + _END), _card),
    ("BANK_CARD", re.compile(_START + r"\d{13,19}" + _END), _card),
    ("PHONE", re.compile(r"(?<![0-9A-Za-z.])(?:\(?\+?86\)?[ \-]?)?1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?!\d|\.\d)"), _always),
    ("PHONE", re.compile(r"(?<![0-9A-Za-z])(?:0\d{2,3}[ \-]?|[(（]0\d{2,3}[)）][ \-]?)\d{7,8}(?:[ \-]\d{1,5})?(?!\d)"),
     _always),
    ("ADDRESS", re.compile(r"(?:\d+|[一二三四五六七八九十]+)(?:栋|幢|号楼|座|号院)[ \-]?(?:\d+单元[ \-]?)?(?:\d+层[ \-]?)?"
                           r"(?:\d{3,4}(?:室|号|房)?(?!\d)|\d{1,2}(?:室|号|房))"
                           r"|(?<!\d)\d{1,2}-\d{1,2}-\d{3,4}(?:室|号|房)?(?![\d-])|(?<!\d)\d{3,4}(?:室|房)(?!间)"), _always),
    ("PLATE", re.compile("[" + _PROVINCES + r"][A-HJ-NP-Z][·.\- ]?(?:[A-HJ-NP-Z0-9]{5,6})(?![A-Za-z0-9])"), _always),
    ("WECHAT", re.compile(r"(?:微信号?|v信|(?<![A-Za-z0-9])(?:wechat|weixin|vx|wx)(?![A-Za-z0-9]))\s*(?:id|号)?\s*[:：]?\s*"
                          r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])", re.I), _always),
]


@dataclass
class Redactor:
    """Replace personal data in text and tables with placeholders such as ``[PHONE]``.

    Parameters
    ----------
    names : iterable of str
        Customer names from the data's name columns. Names of three or more characters are removed
        wherever they appear; two-character names only where the text says they are a person; single
        characters never (they would hit ordinary words).

    Examples
    --------
    >>> r = Redactor(names=["王伟", "欧阳娜娜", "高峰"])
    >>> r.redact("业主王伟 13812345678, wang@example.com, 身份证 11010519491231002X")
    '业主[NAME] [PHONE], [EMAIL], 身份证 [ID]'
    >>> r.redact("晚高峰时段欧阳娜娜来电，订单号 6212345678901234，金额 1280.50 元")
    '晚高峰时段[NAME]来电，订单号 6212345678901234，金额 1280.50 元'
    """

    names: Iterable[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        clean = {str(n).strip() for n in self.names if n is not None and not pd.isna(n)}
        clean = {n for n in clean if len(n) >= 2 and n.lower() not in ("nan", "none", "null")}
        long_names = sorted((n for n in clean if len(n) >= 3), key=len, reverse=True)
        short_names = sorted(n for n in clean if len(n) == 2)
        self._long = re.compile("|".join(map(re.escape, long_names))) if long_names else None
        self._short = re.compile("|".join(map(re.escape, short_names))) if short_names else None

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where the personal data is: (start, end, label), not overlapping, in order."""
        folded = text.translate(_FOLD)
        # Embedded images (data URIs) are not text: a pattern must never cut into them.
        protected = [(m.start(), m.end()) for m in _DATA_URI.finditer(folded)]
        found: list[tuple[int, int, str]] = []
        for label, pattern, check in _PATTERNS:
            for m in pattern.finditer(folded):
                if check(m, folded):
                    start, end = (m.start(1), m.end(1)) if label == "WECHAT" else (m.start(), m.end())
                    found.append((start, end, label))
        if self._long is not None:
            found += [(m.start(), m.end(), "NAME") for m in self._long.finditer(folded)]
        if self._short is not None:
            for m in self._short.finditer(folded):
                before, after = folded[max(0, m.start() - 6):m.start()], folded[m.end():m.end() + 4]
                standalone = not re.match(_CJK, before[-1:]) and not re.match(_CJK, after[:1])
                if standalone or _PERSON_BEFORE.search(before) or _PERSON_AFTER.search(after):
                    found.append((m.start(), m.end(), "NAME"))
        if protected:
            starts = [p[0] for p in protected]
            ends = [p[1] for p in protected]
            found = [f for f in found if not _inside(f, starts, ends)]
        found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        kept: list[tuple[int, int, str]] = []
        for span in found:
            if kept and span[0] < kept[-1][1]:
                if span[1] - span[0] > kept[-1][1] - kept[-1][0]:
                    kept[-1] = span  # the longer match wins (an ID is not a phone number plus digits)
                continue
            kept.append(span)
        return kept

    def redact(self, text: str) -> str:
        if not isinstance(text, str) or not text:
            return text
        out, last = [], 0
        for start, end, label in self.spans(text):
            out.append(text[last:start])
            out.append(f"[{label}]")
            last = end
        out.append(text[last:])
        return "".join(out)

    def redact_frame(self, frame: pd.DataFrame, name_columns: Iterable[str] = NAME_COLUMNS) -> pd.DataFrame:
        """A copy of ``frame`` with every text cell redacted and name columns replaced outright.

        Run it on the data before any formatting: a display that cuts cells (pandas stops at 50
        characters) could otherwise cut an ID number in two and hide it from the patterns.
        """
        out = frame.copy()
        for column in out.columns:
            col = out[column]
            if column in name_columns:
                out[column] = col.where(col.isna(), "[NAME]")
            elif col.dtype == object or pd.api.types.is_string_dtype(col):
                out[column] = col.map(lambda v: self.redact(v) if isinstance(v, str) else v)
        return out

    def redact_notebook(self, path: Path) -> None:
        """Redact every cell source and every output of an ``.ipynb`` file in place."""
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            cell["source"] = self._redact_lines(cell.get("source", ""))
            for output in cell.get("outputs") or []:
                if "text" in output:
                    output["text"] = self._redact_lines(output["text"])
                for mime, value in (output.get("data") or {}).items():
                    if mime.startswith("text/") or mime == "application/json":
                        output["data"][mime] = self._redact_lines(value) if not isinstance(value, dict) else value
                if "traceback" in output:
                    output["traceback"] = [self.redact(line) for line in output["traceback"]]
                if "evalue" in output:
                    output["evalue"] = self.redact(output["evalue"])
        path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")

    def redact_file(self, path: Path) -> None:
        """Redact a text file (HTML, Markdown, CSV, JSON) in place."""
        path.write_text(self.redact(path.read_text(encoding="utf-8")), encoding="utf-8")

    def _redact_lines(self, value):
        if isinstance(value, list):
            return [self.redact(v) for v in value]
        return self.redact(value)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts messages (phones, IDs, cards, e-mails...) before any handler sees them."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redactor.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[str]:
    """Every piece of personal data a :class:`Redactor` with ``names`` would remove from ``text`` (for checks).

    Examples
    --------
    >>> find_personal_data("客户张伟来电 13912345678，工单 20261123001")
    ['13912345678']
    """
    redactor = Redactor(names=names)
    return [text[start:end] for start, end, _ in redactor.spans(text)]
