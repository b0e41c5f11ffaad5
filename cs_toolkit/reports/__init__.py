"""Reports: the registry, what templates read, running them with papermill, redacting personal data,
publishing atomically.

Loaded on first use, so that redacting an error line does not import papermill."""

from __future__ import annotations

from cs_toolkit._lazy import lazy_names

_EXPORTS = {
    "Redactor": "redact",
    "find_personal_data": "redact",
    "ReportFailed": "runner",
    "ReportResult": "runner",
    "run_report": "runner",
    "published_report": "runner",
    "run_registered_report": "jobs",
    "report_inputs": "inputs",
    "REPORTS": "registry",
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _EXPORTS)
