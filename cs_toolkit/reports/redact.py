"""Remove personal data from everything that is shared: Chinese mobile and landline numbers, ID-card
numbers, e-mails, bank-card numbers and customers' names taken from the data.

Patterns are applied longest-first (an 18-digit ID number is not left as a "phone number" plus
digits), and a redaction leaves a typed placeholder so that readers still see that something was there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Order matters: longer digit runs first.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("ID", re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")),
    ("BANK_CARD", re.compile(r"(?<!\d)(?:62|4\d|5[1-5])\d{2}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?(?!\d)")),
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("PHONE", re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    ("PHONE", re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")),
]


@dataclass
class Redactor:
    """Replace personal data in text with placeholders such as ``[PHONE]``.

    Parameters
    ----------
    names : iterable of str
        Customer names from the data (e.g. the ``customer_name`` column); each is replaced by ``[NAME]``.
        Names of one character are ignored (they would hit ordinary words).

    Examples
    --------
    >>> r = Redactor(names=["王伟"])
    >>> r.redact("王伟 13812345678, wang@example.com, 身份证 110101199003074578")
    '[NAME] [PHONE], [EMAIL], 身份证 [ID]'
    """

    names: Iterable[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        clean = sorted({str(n).strip() for n in self.names if n is not None and len(str(n).strip()) >= 2},
                       key=len, reverse=True)
        self._names = re.compile("|".join(re.escape(n) for n in clean)) if clean else None

    def redact(self, text: str) -> str:
        for label, pattern in _PATTERNS:
            text = pattern.sub(f"[{label}]", text)
        if self._names is not None:
            text = self._names.sub("[NAME]", text)
        return text

    def redact_notebook(self, path: Path) -> None:
        """Redact every cell source and every text output of an ``.ipynb`` file in place."""
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            cell["source"] = self._redact_lines(cell.get("source", ""))
            for output in cell.get("outputs", []):
                if "text" in output:
                    output["text"] = self._redact_lines(output["text"])
                for mime, value in (output.get("data") or {}).items():
                    if mime.startswith("text/") or mime in ("application/json",):
                        output["data"][mime] = self._redact_lines(value) if not isinstance(value, dict) else value
                if "traceback" in output:
                    output["traceback"] = [self.redact(line) for line in output["traceback"]]
                if "evalue" in output:
                    output["evalue"] = self.redact(output["evalue"])
        path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")

    def redact_file(self, path: Path) -> None:
        """Redact a text file (HTML, Markdown, CSV) in place."""
        path.write_text(self.redact(path.read_text(encoding="utf-8")), encoding="utf-8")

    def _redact_lines(self, value):
        if isinstance(value, list):
            return [self.redact(v) for v in value]
        return self.redact(value)


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[str]:
    """Every piece of personal data a :class:`Redactor` would remove from ``text`` (for checks)."""
    found = []
    for _, pattern in _PATTERNS:
        found += pattern.findall(text)
    found += [n for n in names if n and len(str(n)) >= 2 and str(n) in text]
    return found
