"""Reports: the registry, what templates read, running them with papermill, redacting personal data,
publishing atomically.

Loaded on first use, so that redacting an error line does not import papermill."""

from __future__ import annotations

import importlib

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
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cs_toolkit.reports' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cs_toolkit.reports.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
