"""Seeded demo data for the satisfaction models, with known true structure: a CSI survey (for PLS
path modelling), a KANO questionnaire and a SERVQUAL questionnaire of a real-estate after-sales
department, each with the project (stratum) / building (PSU) / weight columns of the survey demo.

Examples
--------
>>> from cs_toolkit.satisfaction import demo
>>> demo.make_csi_survey(n=100, seed=0).data.shape
(100, 17)
>>> sorted(demo.KANO_FEATURES)[:2]
['app_progress', 'fixed_appointment']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_toolkit.demo.places import PROJECTS

#: Demo CSI constructs and their Chinese names.
CSI_LABELS = {"quality": "感知质量", "value": "感知价值", "satisfaction": "满意度", "loyalty": "忠诚度"}

#: KANO features of the demo: name -> (Chinese label, true category).
KANO_FEATURES = {
    "repair_quality": ("一次修好", "M"),
    "response_24h": ("24小时响应", "O"),
    "fixed_appointment": ("预约准时上门", "O"),
    "app_progress": ("手机查看维修进度", "A"),
    "gift_after_repair": ("维修后赠送小礼品", "I"),
    "video_guidance": ("视频指导自助维修", "A"),
}

#: SERVQUAL dimensions of the demo: name -> (Chinese name, number of items, true mean gap on 1-7).
SERVQUAL_DIMENSIONS = {
    "tangibles": ("有形性", 4, 0.1),
    "reliability": ("可靠性", 5, -0.9),
    "responsiveness": ("响应性", 4, -0.6),
    "assurance": ("保证性", 4, -0.2),
    "empathy": ("移情性", 5, -0.4),
}


@dataclass
class DemoModel:
    """Generated answers and the model they were generated from."""

    data: pd.DataFrame
    structural: list[tuple[str, str]] = field(default_factory=list)
    measurement: dict[str, list[str]] = field(default_factory=dict)
    truth: dict = field(default_factory=dict)


def _design_columns(n: int, rng: np.random.Generator) -> pd.DataFrame:
    project = rng.choice([p for p, _, _ in PROJECTS], size=n)
    building = [f"{p}-B{b:02d}" for p, b in zip(project, rng.integers(1, 9, size=n), strict=True)]
    return pd.DataFrame({"project": project, "building": building, "weight": rng.uniform(20, 80, size=n).round(2)})


def _likert(latent: np.ndarray, rng: np.random.Generator, loading: float, points: int, centre: float) -> np.ndarray:
    noise = rng.normal(size=latent.shape)
    value = centre + 1.6 * (loading * latent + np.sqrt(1 - loading**2) * noise)
    return np.clip(np.round(value), 1, points).astype(np.int64)


def make_csi_survey(n: int = 400, seed: int = 0) -> DemoModel:
    """A customer-satisfaction-index survey on a 1-10 scale: perceived quality -> value -> satisfaction
    -> loyalty (quality also -> satisfaction), three or four items per construct.

    ``truth["paths"]`` holds the structural coefficients of the latent variables.

    Examples
    --------
    >>> s = make_csi_survey(n=50, seed=2)
    >>> s.structural[0], s.measurement["value"]
    (('quality', 'value'), ['valu_1', 'valu_2', 'valu_3'])
    """
    rng = np.random.default_rng(seed)
    paths = {("quality", "value"): 0.5, ("quality", "satisfaction"): 0.55, ("value", "satisfaction"): 0.3,
             ("satisfaction", "loyalty"): 0.7}
    quality = rng.normal(size=n)
    value = 0.5 * quality + np.sqrt(1 - 0.25) * rng.normal(size=n)
    explained = 0.55 * quality + 0.3 * value
    satisfaction = explained + np.sqrt(max(1 - explained.var(), 0.05)) * rng.normal(size=n)
    satisfaction /= satisfaction.std()
    loyalty = 0.7 * satisfaction + np.sqrt(1 - 0.49) * rng.normal(size=n)
    latent = {"quality": quality, "value": value, "satisfaction": satisfaction, "loyalty": loyalty}
    centres = {"quality": 7.5, "value": 7.0, "satisfaction": 7.3, "loyalty": 7.2}
    items_per = {"quality": 4, "value": 3, "satisfaction": 3, "loyalty": 3}
    frame = _design_columns(n, rng)
    measurement = {}
    for name, k in items_per.items():
        cols = [f"{name[:4]}_{i}" for i in range(1, k + 1)]
        for col, lam in zip(cols, np.linspace(0.85, 0.7, k), strict=True):
            frame[col] = _likert(latent[name], rng, float(lam), 10, centres[name])
        measurement[name] = cols
    frame.insert(0, "response_id", [f"C{seed:02d}{i:05d}" for i in range(1, n + 1)])
    return DemoModel(frame, list(paths), measurement, {"paths": paths, "labels": CSI_LABELS})


# KANO answers: 1 like (喜欢), 2 must-be (理所当然), 3 neutral (无所谓), 4 live with (能忍受), 5 dislike (不喜欢)
_KANO_PAIRS = {  # category -> typical (functional, dysfunctional) answers with probabilities
    "A": ([(1, 3), (1, 4), (2, 3), (1, 5)], [0.5, 0.25, 0.15, 0.1]),
    "O": ([(1, 5), (1, 4), (2, 5)], [0.7, 0.15, 0.15]),
    "M": ([(2, 5), (3, 5), (4, 5), (3, 4)], [0.45, 0.3, 0.15, 0.1]),
    "I": ([(3, 3), (2, 3), (3, 4), (4, 3)], [0.55, 0.15, 0.15, 0.15]),
}


def make_kano_survey(n: int = 300, seed: int = 0, inconsistent: float = 0.02) -> DemoModel:
    """A KANO questionnaire: for each feature a functional column ``<feature>_f`` ("if the service has
    it...") and a dysfunctional column ``<feature>_d`` ("if it does not..."), answers coded 1-5
    (like, must-be, neutral, live with, dislike). About ``inconsistent`` of the answer pairs are
    contradictory (like/like or dislike/dislike: category Q).

    ``measurement`` maps each feature to its (functional, dysfunctional) columns.

    Examples
    --------
    >>> k = make_kano_survey(n=50, seed=2)
    >>> k.measurement["app_progress"], k.truth["categories"]["app_progress"]
    (['app_progress_f', 'app_progress_d'], 'A')
    """
    rng = np.random.default_rng(seed)
    frame = _design_columns(n, rng)
    features = {}
    for name, (_, category) in KANO_FEATURES.items():
        options, probs = _KANO_PAIRS[category]
        # most respondents see the feature's true category; some another one
        cats = np.where(rng.random(n) < 0.75, category, rng.choice(list(_KANO_PAIRS), size=n))
        f = np.empty(n, dtype=np.int64)
        d = np.empty(n, dtype=np.int64)
        for i, cat in enumerate(cats):
            opts, pr = _KANO_PAIRS[cat] if cat != category else (options, probs)
            f[i], d[i] = opts[rng.choice(len(opts), p=pr)]
        bad = rng.random(n) < inconsistent
        f[bad] = np.where(rng.random(int(bad.sum())) < 0.5, 1, 5)
        d[bad] = f[bad]
        frame[f"{name}_f"] = f
        frame[f"{name}_d"] = d
        features[name] = [f"{name}_f", f"{name}_d"]
    frame.insert(0, "response_id", [f"K{seed:02d}{i:05d}" for i in range(1, n + 1)])
    truth = {name: cat for name, (_, cat) in KANO_FEATURES.items()}
    return DemoModel(frame, [], features, {"categories": truth, "labels": {k: v[0] for k, v in KANO_FEATURES.items()}})


def make_servqual_survey(n: int = 400, seed: int = 0) -> DemoModel:
    """A SERVQUAL questionnaire on 1-7: expectation ``E_<item>`` and perception ``P_<item>`` columns for
    22 items in the five dimensions, importance points ``imp_<dimension>`` (summing to 100 per
    respondent), and project / building / weight design columns.

    ``measurement`` maps each dimension to its items; ``truth["gaps"]`` the true mean gap per dimension.

    Examples
    --------
    >>> s = make_servqual_survey(n=50, seed=2)
    >>> s.measurement["tangibles"], int(s.data[[c for c in s.data if c.startswith("imp_")]].sum(axis=1).iloc[0])
    (['tan1', 'tan2', 'tan3', 'tan4'], 100)
    """
    rng = np.random.default_rng(seed)
    frame = _design_columns(n, rng)
    building_effect = {b: rng.normal(0, 0.3) for b in frame["building"].unique()}
    shift = frame["building"].map(building_effect).to_numpy()
    dimensions = {}
    for dim, (_, k, gap) in SERVQUAL_DIMENSIONS.items():
        items = [f"{dim[:3]}{i}" for i in range(1, k + 1)]
        person = rng.normal(0, 0.5, size=n)
        for item in items:
            expectation = np.clip(np.round(6.0 + 0.6 * rng.normal(size=n)), 1, 7)
            perception = np.clip(np.round(6.0 + gap + shift + person + 0.8 * rng.normal(size=n)), 1, 7)
            frame[f"E_{item}"] = expectation.astype(np.int64)
            frame[f"P_{item}"] = perception.astype(np.int64)
        dimensions[dim] = items
    points = rng.dirichlet([3, 6, 5, 4, 4], size=n) * 100
    rounded = np.round(points).astype(np.int64)
    rounded[:, 1] += 100 - rounded.sum(axis=1)
    for j, dim in enumerate(SERVQUAL_DIMENSIONS):
        frame[f"imp_{dim}"] = rounded[:, j]
    frame.insert(0, "response_id", [f"S{seed:02d}{i:05d}" for i in range(1, n + 1)])
    truth = {"gaps": {d: g for d, (_, _, g) in SERVQUAL_DIMENSIONS.items()},
             "labels": {d: z for d, (z, _, _) in SERVQUAL_DIMENSIONS.items()}}
    return DemoModel(frame, [], dimensions, truth)


__all__ = ["CSI_LABELS", "KANO_FEATURES", "SERVQUAL_DIMENSIONS", "DemoModel", "make_csi_survey", "make_kano_survey",
           "make_servqual_survey"]
