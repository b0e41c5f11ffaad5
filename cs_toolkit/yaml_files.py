"""Reading the project's YAML files (scoring configurations, taxonomies) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from cs_toolkit.errors import ConfigError


def load_yaml(path: str | Path, what: str) -> object:
    """Parse ``path`` (UTF-8, BOM allowed); a missing file or bad YAML raises :class:`ConfigError`."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such {what} file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
