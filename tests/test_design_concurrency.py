"""A design (and a raked child of it) gives the same numbers when many threads use it at once."""

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


def call(design: SurveyDesign, index: int) -> pd.DataFrame:
    method, args, kwargs = CALLS[index]
    return getattr(design, method)(*args, **kwargs)


def test_concurrent_calls_on_a_design_and_its_raked_child_match_serial_results(designs, frequent_thread_switches):
    expected = {(name, i): call(design, i) for name, design in designs.items() for i in range(len(CALLS))}
    raked_se = expected[("raked", 1)]["se"].to_numpy()
    assert not (raked_se == expected[("parent", 1)]["se"].to_numpy()).all()  # the child really differs

    rng = random.Random(0)
    jobs = [[(rng.choice(list(designs)), rng.randrange(len(CALLS))) for _ in range(CALLS_PER_THREAD)]
            for _ in range(THREADS)]

    def run(batch):
        return [(key, call(designs[key[0]], key[1])) for key in batch]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [r for batch in pool.map(run, jobs) for r in batch]

    assert len(results) == THREADS * CALLS_PER_THREAD
    wrong = []
    for key, result in results:
        try:
            pd.testing.assert_frame_equal(result, expected[key], check_exact=True)
        except AssertionError:
            wrong.append(key)
    assert not wrong, f"{len(wrong)} of {len(results)} concurrent results differ from the serial ones: {wrong[:5]}"
