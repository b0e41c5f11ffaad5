"""Satisfaction models: what drives satisfaction and where to act first.

- :func:`key_drivers`: Shapley value regression (LMG) or Johnson's relative weights, with the
  importance-performance map (四分图) and its quadrant chart (:func:`quadrant_chart`).
- :class:`PLSPathModel`: customer-satisfaction-index models (ACSI / ECSI / CCSI) by PLS path modelling,
  reported as 0-100 indices, with reliability, HTMT, GoF and bootstrap inference.
- :func:`kano_table`: KANO classification, Better-Worse coefficients and chart.
- :func:`servqual_gaps`: SERVQUAL expectation-perception gaps with paired (or design-based) tests.
- :func:`read_model_specs`: the model specifications of a survey's YAML configuration.

Parts are loaded on first use (matplotlib and scipy only when a chart or a test needs them).

Examples
--------
>>> from cs_toolkit import satisfaction
>>> sorted(satisfaction.QUADRANTS.values())[0]
('优先改进区', 'act first')
"""

from __future__ import annotations

from cs_toolkit._lazy import lazy_names

_EXPORTS = {
    "QUADRANTS": "cs_toolkit.satisfaction._common",
    "key_drivers": "cs_toolkit.satisfaction.drivers",
    "all_subset_r2": "cs_toolkit.satisfaction.drivers",
    "shapley_from_r2": "cs_toolkit.satisfaction.drivers",
    "relative_weights": "cs_toolkit.satisfaction.drivers",
    "PLSPathModel": "cs_toolkit.satisfaction.pls",
    "htmt": "cs_toolkit.satisfaction.pls_quality",
    "kano_classify": "cs_toolkit.satisfaction.kano",
    "kano_table": "cs_toolkit.satisfaction.kano",
    "kano_inconsistent": "cs_toolkit.satisfaction.kano",
    "servqual_gaps": "cs_toolkit.satisfaction.servqual",
    "servqual_pairs": "cs_toolkit.satisfaction.servqual",
    "quadrant_chart": "cs_toolkit.satisfaction.charts",
    "better_worse_chart": "cs_toolkit.satisfaction.charts",
    "gap_chart": "cs_toolkit.satisfaction.charts",
    "read_model_specs": "cs_toolkit.satisfaction.specs",
    "parse_model_specs": "cs_toolkit.satisfaction.specs",
}
_SUBMODULES = {"drivers", "pls", "pls_quality", "kano", "servqual", "charts", "specs", "demo"}
__getattr__, __dir__, __all__ = lazy_names(__name__, _EXPORTS, _SUBMODULES)
