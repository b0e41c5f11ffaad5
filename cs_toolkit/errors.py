"""Exception classes. Every message says what is wrong, where, and what the user can do about it."""

from __future__ import annotations


class CSToolkitError(Exception):
    """Base class of every error cs_toolkit raises on purpose."""


# --- reading exports ---------------------------------------------------------------------------
class ExportError(CSToolkitError):
    """A survey or complaint export cannot be read as a whole (structural problem)."""


class UnreadableFileError(ExportError):
    """The file is missing, of an unsupported type, or cannot be decoded."""


class EmptyExportError(ExportError):
    """The file has no data rows (empty, or a header only)."""


class MissingColumnError(ExportError):
    """A column the configuration requires is not in the file."""


# --- configuration -----------------------------------------------------------------------------
class ConfigError(CSToolkitError):
    """A scoring configuration (YAML or dict) is invalid."""


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
