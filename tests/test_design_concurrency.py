"""A design (and its raked, calibrated and replicate children) gives the same numbers when many threads
use it at once: no mutable state is shared between designs, nor between threads."""

from __future__ import annotations

import random
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from cs_toolkit import demo
from cs_toolkit.survey.design import SurveyDesign

THREADS = 8
CALLS_PER_THREAD = 200
ITEMS = ["sat_overall", "sat_staff", "sat_speed", "sat_quality"]

# (method, args, kwargs): means, NPS, top-2-box shares and proportions, whole sample and by domain.
CALLS = [
    ("mean", (ITEMS,), {}),
    ("mean", ("sat_overall",), {"by": "touchpoint"}),
    ("mean", ("ces",), {"by": ["project", "channel"]}),
    ("nps", ("recommend",), {}),
    ("nps", ("recommend",), {"by": "project"}),
    ("share", ("sat_staff", [4, 5]), {}),
    ("share", ("sat_speed", [4, 5]), {"by": "channel"}),
    ("share", ("resolved", ["yes"]), {"by": "touchpoint"}),
    ("proportion", ("channel",), {}),
    ("proportion", ("sat_quality",), {"by": "touchpoint"}),
]


@pytest.fixture(scope="module")
def designs() -> dict[str, SurveyDesign]:
    data = demo.make_survey(seed=0).data
    parent = SurveyDesign(data, weights="weight", strata="project", psu="building", lonely_psu="adjust")
    parent.mean(ITEMS)  # scratch buffers and caches exist before the child is made, as in real use
    total = float(data["weight"].sum())
    channel = data.groupby("channel")["weight"].sum()
    touchpoint = data.groupby("touchpoint")["weight"].sum()
    tilt = pd.Series(range(1, len(touchpoint) + 1), index=touchpoint.index, dtype=float)
    margins = {
        "channel": (channel / channel.sum() * total).to_dict(),
        "touchpoint": (touchpoint * tilt / (touchpoint * tilt).sum() * total).to_dict(),
    }
    return {"parent": parent, "raked": parent.rake(margins)}


@pytest.fixture
def frequent_thread_switches():
    """Switch threads every microsecond instead of every 5 ms, so that calls really interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


# The estimators added with the second half of R survey's API, on a calibrated and a replicate design too.
V2_CALLS = [
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
def v2_designs() -> dict[str, SurveyDesign]:
    data = demo.make_survey(seed=1).data
    parent = SurveyDesign(data, weights="weight", strata="project", psu="building", lonely_psu="average",
                          adjust_domain_lonely=True)
    total = float(data["weight"].sum())
    channel = (data.groupby("channel")["weight"].sum() / total * total * 1.1).to_dict()
    calibrated = parent.calibrate({"channel": channel})
    jk = SurveyDesign(data, weights="weight", psu="building").replicate("JK1")
    return {"parent": parent, "calibrated": calibrated, "jk": jk}


def call(design: SurveyDesign, calls: list, index: int) -> pd.DataFrame:
    method, args, kwargs = calls[index]
    return getattr(design, method)(*args, **kwargs)


def concurrent_mismatches(designs: dict[str, SurveyDesign], calls: list, threads: int, per_thread: int):
    """Run random calls on the designs from many threads; return the expected results and the keys whose
    concurrent result differs from the serial one."""
    expected = {(name, i): call(design, calls, i) for name, design in designs.items() for i in range(len(calls))}
    rng = random.Random(0)
    jobs = [[(rng.choice(list(designs)), rng.randrange(len(calls))) for _ in range(per_thread)]
            for _ in range(threads)]

    def run(batch):
        return [(key, call(designs[key[0]], calls, key[1])) for key in batch]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = [r for batch in pool.map(run, jobs) for r in batch]
    assert len(results) == threads * per_thread
    wrong = []
    for key, result in results:
        try:
            pd.testing.assert_frame_equal(result, expected[key], check_exact=True)
        except AssertionError:
            wrong.append(key)
    return expected, wrong


def test_concurrent_calls_on_a_design_and_its_raked_child_match_serial_results(designs, frequent_thread_switches):
    expected, wrong = concurrent_mismatches(designs, CALLS, THREADS, CALLS_PER_THREAD)
    raked_se = expected[("raked", 1)]["se"].to_numpy()
    assert not (raked_se == expected[("parent", 1)]["se"].to_numpy()).all()  # the child really differs
    assert not wrong, f"{len(wrong)} of {THREADS * CALLS_PER_THREAD} concurrent results differ from the serial ones: {wrong[:5]}"


def test_concurrent_calls_of_the_new_estimators_match_serial_results(v2_designs, frequent_thread_switches):
    _, wrong = concurrent_mismatches(v2_designs, V2_CALLS, 6, 40)
    assert not wrong, f"{len(wrong)} of 240 concurrent results differ: {wrong[:5]}"
