"""The new estimators share no mutable state: many threads on one design (and on its calibrated and
replicate children) give the serial results."""

from __future__ import annotations

import random
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from cs_toolkit import demo
from cs_toolkit.survey.design import SurveyDesign

THREADS = 6
CALLS_PER_THREAD = 40
CALLS = [
    ("quantile", ("sat_overall",), {"by": "touchpoint"}),
    ("ratio", ("sat_staff", "sat_overall"), {"by": "channel"}),
    ("proportion", ("channel",), {"by": "touchpoint", "ci": "beta"}),
    ("share", ("sat_speed", [4, 5]), {"by": "project"}),
    ("nps", ("recommend",), {"by": "touchpoint"}),
    ("compare", ("sat_overall",), {"by": "channel"}),
    ("glm", ("sat_overall", ["sat_staff", "channel"]), {}),
    ("vcov", (["sat_overall", "sat_staff"],), {"by": "channel"}),
]


@pytest.fixture(scope="module")
def designs() -> dict[str, SurveyDesign]:
    data = demo.make_survey(seed=1).data
    parent = SurveyDesign(data, weights="weight", strata="project", psu="building", lonely_psu="average",
                          adjust_domain_lonely=True)
    total = float(data["weight"].sum())
    channel = (data.groupby("channel")["weight"].sum() / total * total * 1.1).to_dict()
    calibrated = parent.calibrate({"channel": channel})
    jk = SurveyDesign(data, weights="weight", psu="building").replicate("JK1")
    return {"parent": parent, "calibrated": calibrated, "jk": jk}


def call(design: SurveyDesign, index: int) -> pd.DataFrame:
    method, args, kwargs = CALLS[index]
    return getattr(design, method)(*args, **kwargs)


def test_concurrent_calls_match_serial_results(designs):
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        expected = {(name, i): call(d, i) for name, d in designs.items() for i in range(len(CALLS))}
        rng = random.Random(0)
        jobs = [[(rng.choice(list(designs)), rng.randrange(len(CALLS))) for _ in range(CALLS_PER_THREAD)]
                for _ in range(THREADS)]

        def run(batch):
            return [(key, call(designs[key[0]], key[1])) for key in batch]

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = [r for batch in pool.map(run, jobs) for r in batch]
    finally:
        sys.setswitchinterval(before)
    wrong = []
    for key, result in results:
        try:
            pd.testing.assert_frame_equal(result, expected[key], check_exact=True)
        except AssertionError:
            wrong.append(key)
    assert not wrong, f"{len(wrong)} of {len(results)} concurrent results differ: {wrong[:5]}"
