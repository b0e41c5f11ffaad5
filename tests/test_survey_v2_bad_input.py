"""Part 8: every bad input the issue lists gets a clear message (generated data: no shared data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import CalibrationError, DesignError


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    return pd.DataFrame({
        "region": rng.choice(["north", "south", "east"], n),
        "channel": rng.choice(["phone", "web"], n),
        "psu": rng.integers(0, 40, n),
        "stratum": rng.integers(0, 4, n),
        "w": rng.uniform(1, 3, n),
        "sat": rng.integers(1, 6, n).astype(float),
        "age": rng.normal(45, 12, n),
        "comment": rng.choice(["fine", "slow", "rude"], n),
    })


@pytest.fixture(scope="module")
def design(survey) -> cs.SurveyDesign:
    return cs.SurveyDesign(survey, weights="w", strata="stratum", psu="psu", lonely_psu="adjust")


def test_calibration_totals_naming_levels_the_data_lacks(design):
    with pytest.raises(CalibrationError, match=r"totals name level\(s\) \['west'\] that the data lacks"):
        design.calibrate({"region": {"north": 300, "south": 300, "east": 300, "west": 100}})


def test_totals_that_cannot_be_met_within_the_bounds(design, survey):
    n = survey["w"].sum()
    totals = {"region": {"north": 0.9 * n, "south": 0.05 * n, "east": 0.05 * n}}
    with pytest.raises(CalibrationError, match=r"cannot be met with g-weights within bounds \[0.8, 1.25\]"):
        design.calibrate(totals, calfun="raking", bounds=(0.8, 1.25))


def test_glm_with_a_constant_or_collinear_predictor(design, survey):
    data = survey.assign(one=1.0, age_months=survey["age"] * 12)
    d = cs.SurveyDesign(data, weights="w", strata="stratum", psu="psu", lonely_psu="adjust")
    with pytest.raises(DesignError, match="predictor 'one' is constant"):
        d.glm("sat", ["age", "one"])
    with pytest.raises(DesignError, match=r"collinear: \['age_months'\]"):
        d.glm("sat", ["age", "age_months"])


def test_quantile_of_a_text_column(design):
    with pytest.raises(DesignError, match="quantile\\(\\) needs a numeric column, but 'comment' holds text"):
        design.quantile("comment")


def test_replicate_weights_with_the_wrong_count(survey):
    data = survey.assign(r1=survey["w"], r2=survey["w"] * 1.1, r3=survey["w"] * 0.9)
    with pytest.raises(DesignError, match="rscales has 2 value.*3 replicate weight columns"):
        cs.SurveyDesign.from_replicate_weights(data, "w", ["r1", "r2", "r3"], "JKn", rscales=[0.5, 0.5])
    with pytest.raises(DesignError, match="at least 2 replicate weight columns"):
        cs.SurveyDesign.from_replicate_weights(data, "w", "^r1$", "BRR")


def test_a_design_with_one_psu_in_total(survey):
    data = survey.assign(psu=1)
    with pytest.raises(DesignError, match="single sampling unit .*0 degrees of freedom") as err:
        cs.SurveyDesign(data, weights="w", psu="psu", lonely_psu="remove")
    assert err.value.degf == 0
