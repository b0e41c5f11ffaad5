"""One settings object for the whole application: where things are, which store, timezone, language.

Read, highest priority first, from: values passed in (the command line's flags), environment variables
``CS_TOOLKIT_<NAME>`` (``CS_TOOLKIT_STORE``, ``CS_TOOLKIT_TIMEZONE``...), a ``cs_toolkit.toml`` in the
working folder, then the defaults below. Every path that is not absolute is relative to ``root``. The
command line, the flows, ``serve``, the report templates and ``prefect.yaml`` all read this object, so
no default is written twice.

A ``cs_toolkit.toml`` for a department might say::

    root = "/srv/cs"
    store = "postgresql://cs@db.internal/cs"
    timezone = "Asia/Shanghai"
    language = "zh"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cs_toolkit.errors import ConfigError

SETTINGS_FILE = "cs_toolkit.toml"


class Settings(BaseSettings):
    """Where the application keeps its data and how it reports.

    Attributes
    ----------
    root : Path
        The project folder (default: the working folder). Relative paths below are relative to it.
    inbox : Path
        Where exports arrive (``inbox/surveys``, ``inbox/complaints``); default ``data/inbox``.
    store : str
        Store URL: ``duckdb:///path/file.duckdb`` (embedded, the default ``data/cs_toolkit.duckdb``),
        a path to a DuckDB file, or ``postgresql://user@host/db`` for teams.
    reports : Path
        Where reports are published (``reports/NAME/PERIOD/``); default ``reports``.
    survey_config : Path
        The survey's scoring configuration (YAML); default ``survey_config.yaml``.
    model : Path or None
        A trained complaint model file; default: the registry's current model (``models/current.model``)
        when there is one, else the default taxonomy's rules.
    timezone : str
        IANA timezone of schedules and of "last complete week/month" (default Asia/Shanghai).
    language : {"zh", "en"}
        Report language (default zh).
    sla_hours : float
        First-response service level for complaints, in hours (default 24).
    cell_timeout : int
        Seconds any one cell of a report may run before the run fails (default 600).
    restricted : Path
        Where lists holding contact details are written (the detractors to call back): never inside
        ``reports``; default ``restricted``.
    targets : dict
        Targets the reports colour figures against (green met, amber close, red missed), in percent:
        ``nps``, ``csat_top2``, ``sla_rate``, ``closure_rate``, ``reopen_rate`` (lower is better).
    projects : dict
        Display names of project ids (``{"P01": "翠湖苑"}``); reports show the names.
    project_aliases : dict
        Other names a project goes by online (``{"P01": ["翠湖", "Emerald Lake Garden"]}``): forum
        monitoring finds posts about a project by its name and these.
    notify : list of str
        Where to announce published and failed reports: apprise URLs (WeCom, DingTalk, e-mail, ...).
    pdf : bool
        Also publish a PDF of each report, printed by headless Chromium (default False).

    Examples
    --------
    >>> s = Settings(root="/srv/cs", timezone="Asia/Shanghai")
    >>> str(s.inbox), s.store_url
    ('/srv/cs/data/inbox', 'duckdb:////srv/cs/data/cs_toolkit.duckdb')
    """

    model_config = SettingsConfigDict(env_prefix="CS_TOOLKIT_", extra="forbid", validate_default=True)

    root: Path = Path(".")
    inbox: Path = Path("data/inbox")
    store: str = "data/cs_toolkit.duckdb"
    reports: Path = Path("reports")
    survey_config: Path = Path("survey_config.yaml")
    model: Path | None = None
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    sla_hours: float = 24.0
    cell_timeout: int = 600
    restricted: Path = Path("restricted")
    targets: dict[str, float] = {"nps": 20.0, "csat_top2": 80.0, "sla_rate": 90.0, "closure_rate": 85.0,
                                 "reopen_rate": 5.0}
    projects: dict[str, str] = {}
    project_aliases: dict[str, list[str]] = {}
    notify: list[str] = []
    pdf: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Read the file where the command runs (not where the package is installed); a project folder
        # given as root may hold one too, which the working folder's file overrides.
        root = init_settings.init_kwargs.get("root") or os.environ.get("CS_TOOLKIT_ROOT")
        files = [Path(root).expanduser() / SETTINGS_FILE] if root else []
        files = [f for f in [*files, Path.cwd() / SETTINGS_FILE] if f.is_file()]
        files = list(dict.fromkeys(f.resolve() for f in files))
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=files or None)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'Asia/Shanghai'") from exc
        return value

    def model_post_init(self, _context) -> None:
        root = self.root.expanduser().resolve()
        object.__setattr__(self, "root", root)
        for name in ("inbox", "reports", "survey_config", "model", "restricted"):
            value = getattr(self, name)
            if value is not None and not value.expanduser().is_absolute():
                object.__setattr__(self, name, root / value)
        current = root / "models" / "current.model"  # promoted by `cs-toolkit complaints models promote`
        if self.model is None and current.is_file():
            object.__setattr__(self, "model", current)

    @property
    def store_url(self) -> str:
        """The store as a URL; a bare path (absolute, or relative to ``root``) means a DuckDB file."""
        if "://" in self.store:
            return self.store
        path = Path(self.store).expanduser()
        return f"duckdb:///{path if path.is_absolute() else self.root / path}"


def load_settings(**overrides) -> Settings:
    """The settings, with ``overrides`` (e.g. command-line flags) on top; None values are ignored.

    Raises :class:`~cs_toolkit.errors.ConfigError` naming the setting and where it came from.

    Examples
    --------
    >>> load_settings(language="en", store=None).language
    'en'
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"invalid settings ({problems}). Settings come from command-line flags, CS_TOOLKIT_* environment "
            f"variables and {Path.cwd() / SETTINGS_FILE}.",
            key=[".".join(map(str, e["loc"])) for e in exc.errors()],
        ) from exc
