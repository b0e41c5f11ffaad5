"""What a report template reads, and the record of it.

A template calls :func:`report_inputs` once; ``inputs.read(table)`` then returns only the rows of the
report's period (and the ``history`` periods before it), read with SQL, and records a fingerprint of
exactly those rows in the run folder. The runner puts the fingerprints into ``run.json``, so a report's
provenance names the data it was made from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cs_toolkit.periods import Period
from cs_toolkit.reports.builder import ReportBuilder
from cs_toolkit.reports.redact import NAME_COLUMNS, Redactor
from cs_toolkit.reports.registry import ReportSpec, get_report
from cs_toolkit.settings import Settings, load_settings
from cs_toolkit.store import Store

INPUTS_FILE = "_inputs.json"


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's column names and values, row order included.

    Examples
    --------
    >>> a = pd.DataFrame({"id": ["1", "2"], "x": [1.0, 2.0]})
    >>> fingerprint_frame(a) == fingerprint_frame(a.copy()), fingerprint_frame(a) == fingerprint_frame(a.iloc[:1])
    (True, False)
    """
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns], ensure_ascii=False).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


@dataclass
class ReportInputs:
    """The settings, store and period of one report run (see :func:`report_inputs`)."""

    spec: ReportSpec
    period: Period
    settings: Settings
    store: Store
    output_dir: Path | None
    read_log: list[dict] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def read(self, table: str, history: int | None = None) -> pd.DataFrame:
        """Rows of ``table`` from ``history`` periods before the report's period to its end."""
        back = self.spec.history if history is None else history
        window = (self.period.shift(-back).start, self.period.end)
        frame = self.store.read(table, period=window)
        for column in [c for c in NAME_COLUMNS if c in frame.columns]:
            self.names |= set(frame[column].dropna().astype(str))
        entry = {"table": table, "from": str(window[0]), "to": str(window[1]), "rows": len(frame),
                 "sha256": fingerprint_frame(frame)}
        self.read_log.append(entry)
        if self.output_dir is not None:
            (self.output_dir / INPUTS_FILE).write_text(json.dumps(self.read_log, ensure_ascii=False, indent=1),
                                                       encoding="utf-8")
        return frame

    def redactor(self) -> Redactor:
        """A redactor that knows the names in every name column of every table read so far."""
        return Redactor(names=self.names)

    def page(self) -> ReportBuilder:
        """The builder a template formats its content with: the report language, the redactor, the run folder."""
        return ReportBuilder(self.settings.language, self.redactor(), self.output_dir)

    def project_name(self, project: str) -> str:
        """The display name of a project id (from the settings' ``projects``), else the id."""
        return self.settings.projects.get(str(project), str(project))


def report_inputs(report: str, period: str | None = None, output_dir: str | Path | None = None,
                  **settings) -> ReportInputs:
    """Everything a report template needs to read its data.

    Parameters
    ----------
    report : str
        Registered report name (``weekly_satisfaction``...).
    period : str, optional
        The period to report; None means the last complete one in the configured timezone.
    output_dir : path, optional
        The run folder, where the record of what was read is written (set by the runner).
    **settings
        Overrides of :class:`~cs_toolkit.settings.Settings` (``store=``, ``survey_config=``...); None
        values are ignored, so a template passes its parameters through unchanged.

    Examples
    --------
    >>> inputs = report_inputs("monthly_complaints", "2026-11", store="duckdb:///:memory:")
    >>> inputs.period.label, str(inputs.period.end.date())
    ('2026-11', '2026-12-01')
    """
    spec = get_report(report)
    resolved = load_settings(**settings)
    return ReportInputs(spec, spec.resolve_period(period, resolved.timezone), resolved, Store(resolved.store_url),
                        Path(output_dir) if output_dir else None)
