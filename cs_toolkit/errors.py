"""Every exception cs_toolkit raises on purpose, in one place.

Each carries a message a user can act on (what is wrong, where, what to do) and the same facts as
fields, so code can react without parsing text (``MissingColumnError.missing``, ``.suggestions``;
``ReportFailed.failed_notebook``). Errors pickle with their fields, so they survive Prefect's result
storage and process pools.

Examples
--------
>>> err = MissingColumnError("export.csv", missing=["满意度"], found=["满意"], suggestions={"满意度": "满意"})
>>> err.missing, err.suggestions
(['满意度'], {'满意度': '满意'})
>>> print(err)
export.csv: column(s) ['满意度'] not in the file. Columns found: ['满意']. '满意度' -> did you mean '满意'?
"""

from __future__ import annotations

from pathlib import Path


def _rebuild(cls, message, fields):
    err = Exception.__new__(cls)
    CSToolkitError.__init__(err, message, **fields)
    return err


class CSToolkitError(Exception):
    """Base class of every error cs_toolkit raises on purpose.

    Parameters
    ----------
    message : str
        What is wrong, where, and what the user can do.
    **fields
        The facts behind the message, kept as attributes (``path``, ``row``, ``column``...).
    """

    def __init__(self, message: str, **fields) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)

    def __reduce__(self):
        return _rebuild, (type(self), self.message, self.fields)

    def __str__(self) -> str:
        return self.message


# --- reading exports ---------------------------------------------------------------------------
class ExportError(CSToolkitError):
    """A survey or complaint export cannot be read as a whole (structural problem)."""


class UnreadableFileError(ExportError):
    """The file is missing, of an unsupported type, or cannot be decoded (``path``)."""


class EmptyExportError(ExportError):
    """The file has no data rows: empty, or a header only (``path``)."""


class MissingColumnError(ExportError):
    """Columns the configuration (or the command) requires are not in the file.

    Fields: ``path``, ``missing`` (the absent columns), ``found`` (the columns present), ``suggestions``
    (``{missing: closest present column}``), ``hint`` (e.g. a delimiter that looks wrong).
    """

    def __init__(self, path: str | Path, missing: list[str], found: list[str] | None = None,
                 suggestions: dict[str, str] | None = None, hint: str = "", message: str | None = None) -> None:
        found = list(found or [])
        suggestions = dict(suggestions or {})
        if message is None:
            message = f"{path}: column(s) {list(missing)} not in the file. Columns found: {found[:30]}."
            message += "".join(f" {m!r} -> did you mean {s!r}?" for m, s in suggestions.items())
            if hint:
                message += f" {hint}"
        super().__init__(message, path=str(path), missing=list(missing), found=found, suggestions=suggestions,
                         hint=hint)


# --- configuration and settings ----------------------------------------------------------------
class ConfigError(CSToolkitError):
    """A scoring configuration, taxonomy or settings file is invalid (``path``, ``key`` when known)."""


# --- survey design and estimation --------------------------------------------------------------
class DesignError(CSToolkitError):
    """A survey design cannot be built from the data as given."""


class InvalidWeightError(DesignError):
    """Weights are missing, zero, negative or not numeric."""


class LonelyPSUError(DesignError):
    """A stratum has a single sampling unit, so its variance cannot be estimated."""


class CalibrationError(DesignError):
    """Post-stratification or raking cannot be carried out with the margins given."""


class RakingConvergenceError(CalibrationError):
    """Raking did not reach the population margins within the allowed iterations."""


# --- complaints ----------------------------------------------------------------------------------
class TrainingDataError(CSToolkitError):
    """Labelled data cannot be used for training as given."""


class ModelFileError(CSToolkitError):
    """A model file is missing, corrupted, foreign, or made for another taxonomy version (``path``)."""


# --- store and reports ---------------------------------------------------------------------------
class StoreError(CSToolkitError):
    """The store cannot be opened, read or written (``url``; ``table`` when known)."""


class PeriodError(CSToolkitError):
    """A report period is not a valid period of the report's frequency (``period``, ``frequency``)."""


class ReportFailed(CSToolkitError):
    """A report run failed.

    Fields: ``report``, ``period``, ``reason`` (the notebook's own exception when it raised one) and
    ``failed_notebook`` (the executed notebook kept for inspection, or None).
    """

    def __init__(self, message: str, failed_notebook: Path | None = None, report: str | None = None,
                 period: str | None = None, reason: str | None = None) -> None:
        super().__init__(message, failed_notebook=failed_notebook, report=report, period=period, reason=reason)
