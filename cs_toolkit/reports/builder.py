"""What a report template shows, built the same way in every report: headline cards, tables and charts
in the report language, redacted before anything is formatted, and collected into an Excel workbook.

A template makes one :class:`ReportBuilder` and passes each table or figure through it::

    page = ReportBuilder("zh", redactor, output_dir)
    display(page.style())
    display(page.cards([...]))
    display(page.table("items", frame, {"item": ("item", "text"), "mean": ("mean", "number2")}))
    display(page.figure(fig, alt="..."))
    page.write_excel("weekly_satisfaction.xlsx")

Tables are plain HTML (no index column, no booleans, numbers right-aligned and formatted, text never
cut), so what the manager reads is exactly the data after redaction.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_toolkit.reports import i18n
from cs_toolkit.reports.redact import Redactor

PALETTE = {"primary": "#1f5aa6", "good": "#2e9d5b", "neutral": "#a9b1bd", "bad": "#d64541", "warn": "#e6a100",
           "light": "#dce6f2", "text": "#1c2430"}
RAG_COLOURS = {"green": "#dff3e6", "amber": "#fff1cc", "red": "#fbdcdc"}
NUMERIC_KINDS = {"int", "count", "number", "number2", "percent", "share", "change"}

CSS = """
<style>
.cs-report { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
  color: #1c2430; }
.cs-cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 16px; }
.cs-card { border: 1px solid #dce6f2; border-left: 6px solid #1f5aa6; border-radius: 6px; padding: 10px 14px;
  min-width: 190px; background: #fbfcfe; }
.cs-card .label { font-size: 13px; color: #4a5566; }
.cs-card .value { font-size: 26px; font-weight: 700; margin: 2px 0; }
.cs-card .detail { font-size: 12px; color: #4a5566; line-height: 1.5; }
.cs-card.green { border-left-color: #2e9d5b; } .cs-card.amber { border-left-color: #e6a100; }
.cs-card.red { border-left-color: #d64541; }
table.cs-table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
table.cs-table th { background: #eef3f9; text-align: left !important; padding: 5px 8px;
  border-bottom: 2px solid #c5d3e6; }
table.cs-table td { padding: 4px 8px; border-bottom: 1px solid #e4e9f0; vertical-align: top; white-space: pre-wrap;
  text-align: left !important; max-width: 560px; }
table.cs-table td.num, table.cs-table th.num { text-align: right !important; white-space: nowrap; }
table.cs-table td.rag-green { background: #dff3e6; } table.cs-table td.rag-amber { background: #fff1cc; }
table.cs-table td.rag-red { background: #fbdcdc; }
.cs-note { font-size: 12px; color: #4a5566; }
figure.cs-figure { margin: 8px 0 18px; } figure.cs-figure img { max-width: 100%; }
@media print { .cs-card { break-inside: avoid; } table.cs-table, figure.cs-figure { break-inside: avoid; }
  a[href]:after { content: ""; } }
</style>
"""


@dataclass
class Card:
    """A headline figure: its label, value, and the lines under it (CI, changes)."""

    label: str
    value: str
    details: Sequence[str] = ()
    status: str | None = None  # green | amber | red


@dataclass
class ReportBuilder:
    """Formats and collects a report's content in one language.

    Parameters
    ----------
    language : {"zh", "en"}
    redactor : Redactor
        Applied to every table before formatting and to every text.
    output_dir : path, optional
        The run folder, where :meth:`write_excel` writes the workbook.

    Examples
    --------
    >>> page = ReportBuilder("zh", Redactor())
    >>> html_table = page.table("items", pd.DataFrame({"item": ["速度"], "mean": [3.456]}),
    ...                         {"item": ("item", "text"), "mean": ("mean", "number2")}).data
    >>> "<td class=\\"num\\">3.46</td>" in html_table and "题项" in html_table and "<th></th>" not in html_table
    True
    """

    language: str = "zh"
    redactor: Redactor = field(default_factory=Redactor)
    output_dir: Path | None = None
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    _headline_written: bool = field(default=False, repr=False)

    def t(self, key: str) -> str:
        return i18n.t(key, self.language)

    def style(self):
        from IPython.display import HTML

        return HTML(CSS)

    # ------------------------------------------------------------------ text
    def text(self, value: str) -> str:
        return self.redactor.redact(value)

    def note(self, value: str):
        from IPython.display import HTML

        return HTML(f'<p class="cs-note">{html.escape(self.text(value))}</p>')

    # ------------------------------------------------------------------ cards
    def cards(self, cards: Sequence[Card], headline: bool = True):
        """Headline cards; the first set shown is also the report's headline (``headline.json`` in the run
        folder), which notifications quote."""
        from IPython.display import HTML

        if headline and self.output_dir is not None and not self._headline_written:
            import json

            from cs_toolkit.reports.notify import HEADLINE_FILE, headline_cards

            (Path(self.output_dir) / HEADLINE_FILE).write_text(
                json.dumps(headline_cards(cards), ensure_ascii=False, indent=1), encoding="utf-8")
            self._headline_written = True

        parts = ['<div class="cs-report cs-cards">']
        for card in cards:
            status = f" {card.status}" if card.status else ""
            details = "".join(f'<div class="detail">{html.escape(d)}</div>' for d in card.details if d)
            parts.append(f'<div class="cs-card{status}"><div class="label">{html.escape(card.label)}</div>'
                         f'<div class="value">{html.escape(card.value)}</div>{details}</div>')
        parts.append("</div>")
        return HTML("".join(parts))

    # ------------------------------------------------------------------ tables
    def format_value(self, value, kind: str) -> str:
        lang = self.language
        if kind == "int" or kind == "count":
            return i18n.count(value, lang) if kind == "count" else i18n.number(value, lang, 0)
        if kind == "number":
            return i18n.number(value, lang, 1)
        if kind == "number2":
            return i18n.number(value, lang, 2)
        if kind == "percent":
            return i18n.percent(value, lang)
        if kind == "share":
            return i18n.percent(None if pd.isna(value) else 100 * value, lang)
        if kind == "date":
            return i18n.day(value, lang)
        if kind == "datetime":
            return i18n.timestamp(value, lang)
        if kind == "bool":
            return i18n.yes_no(value, lang)
        if kind == "change":
            return "" if pd.isna(value) else str(value)
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    def table(self, name: str, frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]],
              rag: Mapping[str, Sequence[str | None]] | None = None, sheet: str | None = None):
        """An HTML table of ``frame``'s ``columns`` (``{column: (label key, kind)}``), kept for Excel.

        ``kind`` is text, int, count, number (1 decimal), number2, percent (values in %), share (0–1),
        date, datetime, bool or change (preformatted). ``rag`` colours cells (``green``/``amber``/
        ``red``) per column.
        """
        from IPython.display import HTML

        data = self.redactor.redact_frame(frame[list(columns)].reset_index(drop=True))
        headers = [self.t(label) for label, _ in columns.values()]
        rows = []
        for i in range(len(data)):
            cells = []
            for c, (column, (_, kind)) in enumerate(columns.items()):
                text = html.escape(self.format_value(data.iat[i, c], kind))
                classes = ["num"] if kind in NUMERIC_KINDS else []
                colour = (rag or {}).get(column)
                if colour is not None and colour[i]:
                    classes.append(f"rag-{colour[i]}")
                attr = f' class="{" ".join(classes)}"' if classes else ""
                cells.append(f"<td{attr}>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        head = "".join(f'<th class="num">{html.escape(h)}</th>' if kind in NUMERIC_KINDS else f"<th>{html.escape(h)}</th>"
                       for h, (_, kind) in zip(headers, columns.values(), strict=True))
        body = "".join(rows) if rows else f'<tr><td colspan="{len(columns)}">{html.escape(self.t("no_data"))}</td></tr>'
        excel = data.copy()
        for column, (_, kind) in columns.items():
            if kind == "bool":
                excel[column] = excel[column].map(lambda v: i18n.yes_no(v, self.language))
        excel.columns = headers
        self.sheets[sheet or self.t(name)] = excel
        return HTML(f'<table class="cs-table cs-report"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')

    # ------------------------------------------------------------------ charts
    def figure(self, fig, alt: str):
        """The figure as an embedded PNG with alternative text (one figure per chart, closed after)."""
        import matplotlib.pyplot as plt
        from IPython.display import HTML

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        alt = html.escape(self.text(alt), quote=True)
        return HTML(f'<figure class="cs-figure"><img src="data:image/png;base64,{data}" alt="{alt}" '
                    f'title="{alt}"/></figure>')

    # ------------------------------------------------------------------ workbook
    def write_excel(self, filename: str) -> Path | None:
        """Every table shown, one sheet each (Chinese sheet names), with number formats, column widths
        and frozen headers. Written into the run folder; None without one."""
        if self.output_dir is None or not self.sheets:
            return None
        from cs_toolkit.reports.excel import write_workbook

        return write_workbook(Path(self.output_dir) / filename, self.sheets)
