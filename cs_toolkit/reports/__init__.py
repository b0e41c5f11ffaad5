"""Reports: run templates with papermill, redact personal data, publish atomically; the embedded store."""

from cs_toolkit.reports.redact import Redactor, find_personal_data
from cs_toolkit.reports.runner import ReportFailed, ReportResult, run_report

__all__ = ["Redactor", "ReportFailed", "ReportResult", "find_personal_data", "run_report"]
