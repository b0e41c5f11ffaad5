"""Model specifications in the survey's YAML configuration, so that scheduled reports can run them.

The models live under one key, ``satisfaction_models``, of the scoring configuration (or of a YAML
file of their own), one entry per model, each with a ``kind``::

    satisfaction_models:
      csi:                                  # PLS path model (ACSI/ECSI-style index)
        kind: pls
        scheme: path                        # path | centroid | factorial
        scaled: true
        index_scale: [1, 10]                # answer scale of the items, for the 0-100 index
        target: Loyalty                     # construct the importance-performance map explains
        constructs:
          Image: {items: [IMAG1, IMAG2, IMAG3], label: 企业形象}
          Satisfaction: {items: [CUSA1, CUSA2, CUSA3], label: 顾客满意度}
          Loyalty: {items: [CUSL1, CUSL3], mode: A, label: 顾客忠诚度}
        paths:
          - Image -> Satisfaction
          - [Satisfaction, Loyalty]
      drivers:                              # key drivers and the 四分图
        kind: key_drivers
        outcome: sat_overall
        drivers: [sat_staff, sat_speed, sat_quality]
        method: shapley                     # shapley | relative_weights
        scales: [1, 5]
        labels: {sat_staff: 人员态度, sat_speed: 处理速度, sat_quality: 维修质量}
      features:                             # KANO
        kind: kano
        features:
          app_progress: {functional: app_progress_f, dysfunctional: app_progress_d, label: 手机查看维修进度}
      gaps:                                 # SERVQUAL
        kind: servqual
        pairs: {expectation: E_, perception: P_}   # name prefixes; or {item: [E col, P col]}
        dimensions: {tangibles: [tan1, tan2], reliability: [rel1, rel2]}
        importance: {tangibles: imp_tangibles, reliability: imp_reliability}

Every problem raises :class:`~cs_toolkit.errors.ConfigError` with ``key`` set to the dotted path of the
entry at fault (``satisfaction_models.csi.paths[2]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cs_toolkit.errors import ConfigError
from cs_toolkit.yaml_files import load_yaml

KEY = "satisfaction_models"
KINDS = ("pls", "key_drivers", "kano", "servqual")


@dataclass(frozen=True)
class PLSSpec:
    """A PLS path model: constructs with their items (and mode, label) and the paths between them.

    Examples
    --------
    >>> spec = parse_model_specs({"m": {"kind": "pls", "constructs": {"Q": ["q1", "q2"], "S": ["s1", "s2"]},
    ...                                 "paths": ["Q -> S"]}})["m"]
    >>> spec.paths, spec.columns()
    ((('Q', 'S'),), ['q1', 'q2', 's1', 's2'])
    """

    name: str
    constructs: dict[str, tuple[str, ...]]
    paths: tuple[tuple[str, str], ...]
    modes: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    scheme: str = "path"
    scaled: bool = True
    index_scale: tuple[float, float] = (1, 10)
    target: str | None = None
    kind: str = "pls"

    def model(self):
        """A new, unfitted :class:`~cs_toolkit.satisfaction.PLSPathModel` of this specification."""
        from cs_toolkit.satisfaction.pls import PLSPathModel

        return PLSPathModel(list(self.paths), {c: list(i) for c, i in self.constructs.items()}, scheme=self.scheme,
                            scaled=self.scaled, modes=dict(self.modes) or None)

    def columns(self) -> list[str]:
        return [i for items in self.constructs.values() for i in items]


@dataclass(frozen=True)
class KeyDriverSpec:
    """A key-driver analysis: outcome, drivers and the options of :func:`key_drivers`.

    Examples
    --------
    >>> from cs_toolkit import demo
    >>> spec = parse_model_specs({"d": {"kind": "key_drivers", "outcome": "sat_overall", "scales": [1, 5],
    ...                                 "drivers": ["sat_staff", "sat_speed"], "labels": {"sat_staff": "人员态度"}}})["d"]
    >>> spec.run(demo.make_survey(seed=0).data)["label"].tolist()
    ['人员态度', 'sat_speed']
    """

    name: str
    outcome: str
    drivers: tuple[str, ...]
    method: str = "shapley"
    scales: tuple[float, float] | dict[str, tuple[float, float]] | None = None
    quadrant_lines: dict | None = None
    labels: dict[str, str] = field(default_factory=dict)
    n_boot: int = 0
    kind: str = "key_drivers"

    def run(self, data, **options):
        """:func:`key_drivers` on ``data`` (a DataFrame or a SurveyDesign); ``options`` override the spec.

        The ``label`` column holds the display names (``labels``), for the 四分图.
        """
        from cs_toolkit.satisfaction.drivers import key_drivers

        args = {"method": self.method, "scales": self.scales, "quadrant_lines": self.quadrant_lines,
                "n_boot": self.n_boot, **options}
        table = key_drivers(data, self.outcome, list(self.drivers), **args)
        table.insert(table.columns.get_loc("driver") + 1, "label", table["driver"].map(lambda d: self.labels.get(d, d)))
        return table

    def columns(self) -> list[str]:
        return [self.outcome, *self.drivers]


@dataclass(frozen=True)
class KanoSpec:
    """KANO features with their functional and dysfunctional question columns.

    Examples
    --------
    >>> spec = parse_model_specs({"k": {"kind": "kano", "features": {"wifi": ["wifi_f", "wifi_d"]}}})["k"]
    >>> spec.columns()
    ['wifi_f', 'wifi_d']
    """

    name: str
    features: dict[str, tuple[str, str]]
    labels: dict[str, str] = field(default_factory=dict)
    answers: dict | None = None
    kind: str = "kano"

    def run(self, data, **options):
        """:func:`kano_table` on ``data``."""
        from cs_toolkit.satisfaction.kano import kano_table

        return kano_table(data, self.features, answers=self.answers, labels=self.labels or None, **options)

    def columns(self) -> list[str]:
        return [c for pair in self.features.values() for c in pair]


@dataclass(frozen=True)
class ServqualSpec:
    """SERVQUAL items (expectation/perception pairs or name prefixes), dimensions and importance.

    Examples
    --------
    >>> spec = parse_model_specs({"g": {"kind": "servqual", "dimensions": {"reliability": ["rel1", "rel2"]}}})["g"]
    >>> spec.columns()
    ['E_rel1', 'P_rel1', 'E_rel2', 'P_rel2']
    """

    name: str
    dimensions: dict[str, tuple[str, ...]]
    pairs: dict[str, tuple[str, str]] | None = None
    prefixes: tuple[str, str] = ("E_", "P_")
    importance: dict | None = None
    kind: str = "servqual"

    def resolve_pairs(self, columns) -> dict[str, tuple[str, str]]:
        from cs_toolkit.satisfaction.servqual import servqual_pairs

        if self.pairs is not None:
            return dict(self.pairs)
        return servqual_pairs(list(columns), *self.prefixes)

    def run(self, data, **options):
        """:func:`servqual_gaps` on ``data`` (a DataFrame or a SurveyDesign)."""
        from cs_toolkit.satisfaction._common import is_design
        from cs_toolkit.satisfaction.servqual import servqual_gaps

        columns = data.data.columns if is_design(data) else data.columns
        return servqual_gaps(data, self.resolve_pairs(columns), {d: list(i) for d, i in self.dimensions.items()},
                             importance=self.importance, **options)

    def columns(self) -> list[str]:
        if self.pairs is not None:
            return [c for pair in self.pairs.values() for c in pair]
        e, p = self.prefixes
        return [f"{prefix}{item}" for items in self.dimensions.values() for item in items for prefix in (e, p)]


ModelSpec = PLSSpec | KeyDriverSpec | KanoSpec | ServqualSpec


def read_model_specs(path: str | Path) -> dict[str, ModelSpec]:
    """The model specifications of a YAML file (a scoring configuration with ``satisfaction_models``,
    or a file holding only that block); errors name the file and the key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... satisfaction_models:
    ...   drivers: {kind: key_drivers, outcome: sat_overall, drivers: [sat_staff, sat_speed]}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "survey.yaml")
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     specs = read_model_specs(path)
    >>> specs["drivers"].drivers
    ('sat_staff', 'sat_speed')
    """
    raw = load_yaml(path, "configuration")
    try:
        return parse_model_specs(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", path=str(path), key=getattr(exc, "key", None)) from exc


def parse_model_specs(raw) -> dict[str, ModelSpec]:
    """Validate model specifications given as a dict (a whole configuration or its ``satisfaction_models``).

    Examples
    --------
    >>> specs = parse_model_specs({"satisfaction_models": {"csi": {
    ...     "kind": "pls", "constructs": {"Q": {"items": ["q1", "q2"]}, "S": ["s1", "s2"]},
    ...     "paths": ["Q -> S"]}}})
    >>> specs["csi"].model()
    PLSPathModel(scheme='path', scaled=True, modes=None)
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{KEY} must be a mapping of model names to specifications", key=KEY)
    if KEY in raw:
        block = raw[KEY]
    elif any(isinstance(v, Mapping) and "kind" in v for v in raw.values()):
        block = raw  # the block itself
    else:
        return {}  # a configuration without models
    if block is None:
        return {}
    if not isinstance(block, Mapping):
        raise ConfigError(f"{KEY} must be a mapping of model names to specifications", key=KEY)
    out: dict[str, ModelSpec] = {}
    for name, entry in block.items():
        key = f"{KEY}.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{key}: a model specification must be a mapping with a 'kind'", key=key)
        kind = entry.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{key}.kind must be one of {KINDS}, not {kind!r}", key=f"{key}.kind")
        parser = {"pls": _pls, "key_drivers": _drivers, "kano": _kano, "servqual": _servqual}[kind]
        out[str(name)] = parser(str(name), entry, key)
    return out


# ---------------------------------------------------------------------------------------------- parsers
def _allowed(entry: Mapping, allowed: set[str], key: str) -> None:
    unknown = set(entry) - allowed - {"kind"}
    if unknown:
        raise ConfigError(f"{key}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
                          key=f"{key}.{sorted(unknown)[0]}")


def _str_list(value, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"{key} must be a non-empty list of column names, got {value!r}", key=key)
    return tuple(str(v) for v in value)


def _scale(value, key: str):
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(k): _scale(v, f"{key}.{k}") for k, v in value.items()}
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value)
            and value[0] < value[1]):
        raise ConfigError(f"{key} must be [low, high] with low < high, got {value!r}", key=key)
    return (value[0], value[1])


def _pls(name: str, entry: Mapping, key: str) -> PLSSpec:
    _allowed(entry, {"constructs", "paths", "scheme", "scaled", "index_scale", "target", "label"}, key)
    raw_constructs = entry.get("constructs")
    if not isinstance(raw_constructs, Mapping) or not raw_constructs:
        raise ConfigError(f"{key}.constructs must map each construct to its items", key=f"{key}.constructs")
    constructs, modes, labels = {}, {}, {}
    for cname, spec in raw_constructs.items():
        ckey = f"{key}.constructs.{cname}"
        if isinstance(spec, Mapping):
            _allowed(spec, {"items", "mode", "label"}, ckey)
            if "items" not in spec or not spec["items"]:
                raise ConfigError(f"{ckey}: construct {cname!r} has no items", key=f"{ckey}.items", construct=str(cname))
            constructs[str(cname)] = _str_list(spec["items"], f"{ckey}.items")
            if "mode" in spec:
                modes[str(cname)] = str(spec["mode"]).upper()
            if "label" in spec:
                labels[str(cname)] = str(spec["label"])
        elif spec:
            constructs[str(cname)] = _str_list(spec, ckey)
        else:
            raise ConfigError(f"{ckey}: construct {cname!r} has no items", key=ckey, construct=str(cname))
    paths = []
    for i, p in enumerate(entry.get("paths") or []):
        pkey = f"{key}.paths[{i}]"
        if isinstance(p, str):
            parts = [s.strip() for s in p.replace("→", "->").split("->")]
        elif isinstance(p, list | tuple):
            parts = [str(s) for s in p]
        else:
            parts = []
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"{pkey} must read 'From -> To' or [From, To], got {p!r}", key=pkey)
        paths.append((parts[0], parts[1]))
    if not paths:
        raise ConfigError(f"{key}.paths: the model needs at least one path", key=f"{key}.paths")
    spec = PLSSpec(name, constructs, tuple(paths), modes, labels, str(entry.get("scheme", "path")),
                   bool(entry.get("scaled", True)), _scale(entry.get("index_scale", [1, 10]), f"{key}.index_scale"),
                   entry.get("target"))
    try:
        spec.model()._specification()  # the same checks a fit makes, without data
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}", key=key, **{k: v for k, v in exc.fields.items() if k != "key"}) from exc
    if spec.target is not None and spec.target not in constructs:
        raise ConfigError(f"{key}.target {spec.target!r} is not one of the constructs {list(constructs)}",
                          key=f"{key}.target")
    return spec


def _drivers(name: str, entry: Mapping, key: str) -> KeyDriverSpec:
    _allowed(entry, {"outcome", "drivers", "method", "scales", "quadrant_lines", "labels", "n_boot", "label"}, key)
    if not isinstance(entry.get("outcome"), str):
        raise ConfigError(f"{key}.outcome must name the outcome column", key=f"{key}.outcome")
    drivers = _str_list(entry.get("drivers"), f"{key}.drivers")
    method = entry.get("method", "shapley")
    from cs_toolkit.satisfaction.drivers import METHODS

    if method not in METHODS:
        raise ConfigError(f"{key}.method must be one of {METHODS}, not {method!r}", key=f"{key}.method")
    labels = entry.get("labels") or {}
    unknown = [d for d in labels if d not in drivers]
    if unknown:
        raise ConfigError(f"{key}.labels names {unknown}, which are not drivers", key=f"{key}.labels")
    n_boot = entry.get("n_boot", 0)
    if not isinstance(n_boot, int) or n_boot < 0:
        raise ConfigError(f"{key}.n_boot must be a whole number >= 0", key=f"{key}.n_boot")
    return KeyDriverSpec(name, entry["outcome"], drivers, method, _scale(entry.get("scales"), f"{key}.scales"),
                         entry.get("quadrant_lines"), {str(k): str(v) for k, v in labels.items()}, n_boot)


def _kano(name: str, entry: Mapping, key: str) -> KanoSpec:
    _allowed(entry, {"features", "answers", "label"}, key)
    raw = entry.get("features")
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{key}.features must map each feature to its functional and dysfunctional columns",
                          key=f"{key}.features")
    features, labels = {}, {}
    for fname, spec in raw.items():
        fkey = f"{key}.features.{fname}"
        if isinstance(spec, Mapping):
            _allowed(spec, {"functional", "dysfunctional", "label"}, fkey)
            if not spec.get("functional") or not spec.get("dysfunctional"):
                raise ConfigError(f"{fkey} needs both 'functional' and 'dysfunctional' columns", key=fkey)
            features[str(fname)] = (str(spec["functional"]), str(spec["dysfunctional"]))
            if "label" in spec:
                labels[str(fname)] = str(spec["label"])
        elif isinstance(spec, list | tuple) and len(spec) == 2:
            features[str(fname)] = (str(spec[0]), str(spec[1]))
        else:
            raise ConfigError(f"{fkey} must be {{functional: col, dysfunctional: col}} or [col, col]", key=fkey)
    return KanoSpec(name, features, labels, entry.get("answers"))


def _servqual(name: str, entry: Mapping, key: str) -> ServqualSpec:
    _allowed(entry, {"pairs", "dimensions", "importance", "label"}, key)
    raw_dims = entry.get("dimensions")
    if not isinstance(raw_dims, Mapping) or not raw_dims:
        raise ConfigError(f"{key}.dimensions must map each dimension to its items", key=f"{key}.dimensions")
    dims = {str(d): _str_list(items, f"{key}.dimensions.{d}") for d, items in raw_dims.items()}
    raw_pairs = entry.get("pairs", {"expectation": "E_", "perception": "P_"})
    pairs, prefixes = None, ("E_", "P_")
    if isinstance(raw_pairs, Mapping) and set(raw_pairs) <= {"expectation", "perception"}:
        prefixes = (str(raw_pairs.get("expectation", "E_")), str(raw_pairs.get("perception", "P_")))
    elif isinstance(raw_pairs, Mapping):
        pairs = {}
        for item, pair in raw_pairs.items():
            if not (isinstance(pair, list | tuple) and len(pair) == 2):
                raise ConfigError(f"{key}.pairs.{item}: SERVQUAL item {item!r} has no [expectation, perception] pair",
                                  key=f"{key}.pairs.{item}", item=str(item))
            pairs[str(item)] = (str(pair[0]), str(pair[1]))
        missing = [i for items in dims.values() for i in items if i not in pairs]
        if missing:
            raise ConfigError(f"{key}: item(s) {missing} of the dimensions have no pair in {key}.pairs",
                              key=f"{key}.pairs", item=missing[0])
    else:
        raise ConfigError(f"{key}.pairs must be {{expectation: prefix, perception: prefix}} or {{item: [E, P]}}",
                          key=f"{key}.pairs")
    importance = entry.get("importance")
    if importance is not None and (not isinstance(importance, Mapping) or set(importance) != set(dims)):
        raise ConfigError(f"{key}.importance must give points (or a points column) for each dimension {list(dims)}",
                          key=f"{key}.importance")
    return ServqualSpec(name, dims, pairs, prefixes, dict(importance) if importance else None)


__all__ = ["KEY", "KINDS", "KanoSpec", "KeyDriverSpec", "ModelSpec", "PLSSpec", "ServqualSpec", "parse_model_specs",
           "read_model_specs"]
