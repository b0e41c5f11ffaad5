"""Declarative scoring configuration of a survey (YAML or dict).

Example YAML::

    survey: After-sales satisfaction 2026
    id: response_id
    items:
      recommend: {scale: [0, 10]}
      sat_overall: {scale: [1, 5]}
      wait_too_long: {scale: [1, 5], reverse: true}
    missing_codes: ["不适用", "N/A", 99]
    nps: recommend
    csat: [sat_overall]
    ces: ces
    top_box: 2
    composites:
      service_quality: {items: [sat_overall, wait_too_long], min_items: 2}
    segments: [project, touchpoint]
    period: {column: submitted_at, freq: W}   # optional format: "%d/%m/%Y %H:%M", or DMY / MDY / YMD
    weights: weight
    design: {strata: project, psu: building, lonely_psu: adjust}
    invitations: {by: project, counts: {P01: 240, P02: 240}}
    dispositions: {column: call_result, complete: [完成], refused: [拒访], no_contact: [无人接听]}
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cs_toolkit.errors import ConfigError
from cs_toolkit.survey.design import LONELY_PSU_OPTIONS
from cs_toolkit.survey.dispositions import DispositionSpec
from cs_toolkit.yaml_files import load_yaml

_TOP_KEYS = {
    "survey", "id", "items", "missing_codes", "nps", "csat", "ces", "top_box", "composites", "segments",
    "period", "weights", "design", "invitations", "categorical", "on_invalid", "satisfaction_models",
    "dispositions",
}
_PERIOD_FREQS = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}


@dataclass(frozen=True)
class ItemSpec:
    """A rated item: its scale end points and whether it is reverse-worded."""

    name: str
    low: int
    high: int
    reverse: bool = False
    label: str | None = None

    @property
    def points(self) -> int:
        return self.high - self.low + 1


@dataclass(frozen=True)
class CompositeSpec:
    name: str
    items: tuple[str, ...]
    min_items: int


@dataclass(frozen=True)
class ScoringConfig:
    """A survey's scoring configuration; build it with :meth:`from_yaml` or :meth:`from_dict`."""

    items: dict[str, ItemSpec]
    survey: str = "survey"
    id: str | None = None
    missing_codes: tuple[str, ...] = ()
    nps: str | None = None
    csat: tuple[str, ...] = ()
    ces: str | None = None
    top_box: int = 2
    composites: dict[str, CompositeSpec] = field(default_factory=dict)
    segments: tuple[str, ...] = ()
    period_column: str | None = None
    period_freq: str = "W"
    period_format: str | None = None
    weights: str | None = None
    strata: str | None = None
    psu: tuple[str, ...] = ()
    fpc: tuple[str, ...] = ()
    lonely_psu: str = "fail"
    invitations_by: str | None = None
    invitations: dict[str, int] | int | None = None
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    on_invalid: str = "reject"
    satisfaction_models: dict = field(default_factory=dict)  # name -> ModelSpec (key drivers, CSI/PLS models)
    dispositions: DispositionSpec | None = None  # call outcomes: non-interviews are kept apart, not scored

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_yaml(cls, path: str | Path) -> ScoringConfig:
        """Read a YAML scoring configuration; errors name the file and the key at fault."""
        path = Path(path)
        raw = load_yaml(path, "configuration")
        try:
            return cls.from_dict(raw)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    @classmethod
    def from_dict(cls, raw: dict) -> ScoringConfig:
        """Validate a configuration given as a dict (as parsed from YAML)."""
        if not isinstance(raw, dict):
            raise ConfigError("the configuration must be a mapping of keys to values")
        unknown = set(raw) - _TOP_KEYS
        if unknown:
            hints = {k: difflib.get_close_matches(k, _TOP_KEYS, n=1) for k in unknown}
            text = ", ".join(f"{k!r}" + (f" (did you mean {h[0]!r}?)" if h else "") for k, h in hints.items())
            raise ConfigError(f"unknown key(s) {text}; allowed keys: {sorted(_TOP_KEYS)}")
        items_raw = raw.get("items") or {}
        if not isinstance(items_raw, dict) or not items_raw:
            raise ConfigError("'items' must map each rated item to its scale, e.g. items: {q1: {scale: [1, 5]}}")
        items = {}
        for name, spec in items_raw.items():
            spec = spec or {}
            scale = spec.get("scale")
            if not (isinstance(scale, list | tuple) and len(scale) == 2 and all(isinstance(v, int) for v in scale)):
                raise ConfigError(f"item {name!r}: 'scale' must be two integers [low, high], got {scale!r}")
            if scale[0] >= scale[1]:
                raise ConfigError(f"item {name!r}: scale low {scale[0]} must be below high {scale[1]}")
            items[str(name)] = ItemSpec(str(name), int(scale[0]), int(scale[1]), bool(spec.get("reverse", False)),
                                        spec.get("label"))

        def item_ref(value, key):
            if value is None:
                return None
            if value not in items:
                raise ConfigError(f"{key!r} names {value!r}, which is not among the items {list(items)}")
            return value

        nps = item_ref(raw.get("nps"), "nps")
        if nps is not None and (items[nps].low, items[nps].high) != (0, 10):
            raise ConfigError(f"the NPS item {nps!r} must be on a 0-10 scale, not {items[nps].low}-{items[nps].high}")
        csat = tuple(item_ref(v, "csat") for v in _as_tuple(raw.get("csat")))
        ces = item_ref(raw.get("ces"), "ces")
        composites = {}
        for cname, cspec in (raw.get("composites") or {}).items():
            members = tuple(item_ref(v, f"composites.{cname}") for v in _as_tuple((cspec or {}).get("items")))
            if len(members) < 2:
                raise ConfigError(f"composite {cname!r} needs at least two items")
            min_items = int((cspec or {}).get("min_items", len(members)))
            if not 1 <= min_items <= len(members):
                raise ConfigError(f"composite {cname!r}: min_items must be between 1 and {len(members)}")
            composites[str(cname)] = CompositeSpec(str(cname), members, min_items)
        period = raw.get("period")
        period_column, period_freq, period_format = None, "W", None
        if period is not None:
            if isinstance(period, str):
                period = {"column": period}
            if not isinstance(period, dict):
                raise ConfigError("period must be a column name or {column: ..., freq: W, format: ...}")
            unknown_period = set(period) - {"column", "freq", "format"}
            if unknown_period:
                raise ConfigError(f"unknown period key(s) {sorted(unknown_period)}; allowed: column, freq, format")
            period_column = period.get("column")
            period_freq = str(period.get("freq", "W")).upper()
            if period_freq not in _PERIOD_FREQS:
                raise ConfigError(f"period.freq must be one of {sorted(_PERIOD_FREQS)}, not {period_freq!r}")
            period_format = _date_format(period.get("format"))
        design = raw.get("design") or {}
        unknown_design = set(design) - {"strata", "psu", "fpc", "lonely_psu"}
        if unknown_design:
            raise ConfigError(f"unknown design key(s) {sorted(unknown_design)}; allowed: strata, psu, fpc, lonely_psu")
        lonely = design.get("lonely_psu", "fail")
        if lonely not in LONELY_PSU_OPTIONS:
            raise ConfigError(f"design.lonely_psu must be one of {LONELY_PSU_OPTIONS}, not {lonely!r}")
        inv = raw.get("invitations")
        inv_by, inv_counts = None, None
        if isinstance(inv, int):
            inv_counts = inv
        elif isinstance(inv, dict):
            inv_by = inv.get("by")
            inv_counts = {str(k): int(v) for k, v in (inv.get("counts") or {}).items()}
        elif inv is not None:
            raise ConfigError("invitations must be a number or {by: column, counts: {level: number}}")
        on_invalid = raw.get("on_invalid", "reject")
        if on_invalid not in ("reject", "missing"):
            raise ConfigError("on_invalid must be 'reject' (set the row aside) or 'missing' (blank the value)")
        top_box = int(raw.get("top_box", 2))
        if top_box < 1:
            raise ConfigError("top_box must be at least 1")
        return cls(
            items=items,
            survey=str(raw.get("survey", "survey")),
            id=raw.get("id"),
            missing_codes=tuple(str(v) for v in _as_tuple(raw.get("missing_codes"))),
            nps=nps,
            csat=csat,
            ces=ces,
            top_box=top_box,
            composites=composites,
            segments=tuple(str(v) for v in _as_tuple(raw.get("segments"))),
            period_column=period_column,
            period_freq=period_freq,
            period_format=period_format,
            weights=raw.get("weights"),
            strata=design.get("strata"),
            psu=tuple(_as_tuple(design.get("psu"))),
            fpc=tuple(_as_tuple(design.get("fpc"))),
            lonely_psu=lonely,
            invitations_by=inv_by,
            invitations=inv_counts,
            categorical={str(k): tuple(str(x) for x in _as_tuple(v)) for k, v in (raw.get("categorical") or {}).items()},
            on_invalid=on_invalid,
            satisfaction_models=_model_specs(raw),
            dispositions=DispositionSpec.from_dict(raw["dispositions"]) if raw.get("dispositions") else None,
        )

    # ------------------------------------------------------------------ derived
    @property
    def pandas_period_freq(self) -> str:
        return _PERIOD_FREQS[self.period_freq]

    def required_columns(self) -> list[str]:
        """Every column the export must have."""
        cols = [self.id, *self.items, *self.segments, self.period_column, self.weights, self.strata,
                *self.psu, *self.fpc, self.invitations_by, *self.categorical,
                self.dispositions.column if self.dispositions else None]
        out = []
        for c in cols:
            if c is not None and c not in out:
                out.append(c)
        return out

    def likert_items(self) -> list[str]:
        """Rated items other than the NPS item."""
        return [name for name in self.items if name != self.nps]


#: Orders accepted as ``period.format`` besides strptime formats (any separators, optional time).
DATE_ORDER_FORMATS = ("DMY", "MDY", "YMD", "ISO")


def _date_format(value) -> str | None:
    """Validate ``period.format``: an order (DMY, MDY, YMD/ISO) or a strptime format with year, month, day.

    >>> _date_format("%d/%m/%Y %H:%M"), _date_format("dmy")
    ('%d/%m/%Y %H:%M', 'DMY')
    >>> _date_format("%d/%m")
    Traceback (most recent call last):
    ...
    cs_toolkit.errors.ConfigError: period.format '%d/%m' does not give year, month and day ...
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"period.format must be a text such as '%d/%m/%Y %H:%M' or one of "
                          f"{list(DATE_ORDER_FORMATS)}, not {value!r}")
    if value.strip().upper() in DATE_ORDER_FORMATS:
        return value.strip().upper()
    if "%" not in value:
        raise ConfigError(f"period.format {value!r} is neither a strptime format (e.g. '%d/%m/%Y %H:%M') nor one "
                          f"of {list(DATE_ORDER_FORMATS)}")
    probe = datetime(2026, 11, 3, 21, 5, 7)  # day != month, both != hour: a format that loses any is caught
    try:
        back = datetime.strptime(probe.strftime(value), value)
    except ValueError as exc:
        raise ConfigError(f"period.format {value!r} is not a usable strptime format ({exc})") from exc
    if back.date() != probe.date():
        raise ConfigError(f"period.format {value!r} does not give year, month and day (it reads "
                          f"{probe:%Y-%m-%d} as {back:%Y-%m-%d}); use e.g. '%d/%m/%Y' or '%m/%d/%Y %H:%M'")
    return value


def _model_specs(raw: dict) -> dict:
    """Key-driver and CSI model specifications (``satisfaction_models:``), validated where they are read."""
    if not raw.get("satisfaction_models"):
        return {}
    from cs_toolkit.satisfaction.specs import parse_model_specs  # only configurations that declare models pay

    return parse_model_specs({"satisfaction_models": raw["satisfaction_models"]})


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)
