"""SurveyDesign reproduces R survey 4.x results on the API samples.

Reference values: ../shared/data/README.md, and the printed outputs of the R survey package's own test
files (tests/api.Rout.save, lonely.psu.Rout.save, rakecheck.Rout.save, kalton.Rout.save). Printed values
are rounded, so every comparison uses a relative tolerance of 1e-4 of the printed figure or better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import CalibrationError, LonelyPSUError, RakingConvergenceError
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data

STYPE_POP = {"E": 4421, "H": 755, "M": 1018}
SCHWIDE_POP = {"No": 1072, "Yes": 5122}


def api(name: str) -> pd.DataFrame:
    suffix = ".csv.gz" if name == "apipop" else ".csv"
    return pd.read_csv(shared_file(f"surveys/api/{name}{suffix}"))


def est_se(frame: pd.DataFrame) -> tuple[float, float]:
    assert len(frame) == 1
    return float(frame["estimate"].iloc[0]), float(frame["se"].iloc[0])


def close(actual: tuple[float, float], expected: tuple[float, float], rel: float = 1e-4) -> None:
    assert actual[0] == pytest.approx(expected[0], rel=rel)
    assert actual[1] == pytest.approx(expected[1], rel=rel)


@pytest.fixture(scope="module")
def dstrat():
    return cs.SurveyDesign(api("apistrat"), weights="pw", strata="stype", fpc="fpc")


@pytest.fixture(scope="module")
def dclus1():
    return cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum", fpc="fpc")


def test_stratified(dstrat):
    close(est_se(dstrat.mean("api00")), (662.29, 9.4089))
    close(est_se(dstrat.total("enroll")), (3_687_178, 114_642))


def test_one_stage_cluster(dclus1):
    close(est_se(dclus1.mean("api00")), (644.17, 23.542))
    close(est_se(dclus1.total("enroll")), (3_404_940, 932_235))


def test_raking_to_stype_and_sch_wide(dclus1):
    raked = dclus1.rake({"stype": STYPE_POP, "sch.wide": SCHWIDE_POP})
    close(est_se(raked.mean("api00")), (641.23, 23.704))
    close(est_se(raked.total("enroll")), (3_647_280, 400_603))
    # the raked weights meet both margins
    data = api("apiclus1")
    assert raked.weights.groupby(data["stype"]).sum().to_dict() == pytest.approx(STYPE_POP)
    assert raked.weights.groupby(data["sch.wide"]).sum().to_dict() == pytest.approx(SCHWIDE_POP)


def test_raking_with_r_rake_defaults_stops_where_r_stops(dclus1):
    # R's rake() stops when the joint table moves by < 1 between sweeps: total 3,647,300 (rakecheck.Rout.save)
    raked = dclus1.rake({"stype": STYPE_POP, "sch.wide": SCHWIDE_POP}, max_iter=10, epsilon=1)
    close(est_se(raked.total("enroll")), (3_647_300, 400_603), rel=2e-6)


def test_raking_with_a_joint_margin(dclus1):
    pop = api("apipop")
    joint = pop.groupby(["stype", "sch.wide"]).size().to_dict()
    imp = pop["comp.imp"].value_counts().to_dict()
    raked = dclus1.rake({("stype", "sch.wide"): joint, "comp.imp": imp}, max_iter=10, epsilon=1)
    close(est_se(raked.mean("api00")), (642.62, 22.732))


def test_census_design_gives_population_values_without_error():
    # every school sampled (fpc = N): estimates are the population values of the README, with SE 0
    pop = api("apipop").assign(N=lambda d: len(d))
    census = cs.SurveyDesign(pop, fpc="N")
    assert est_se(census.mean("api00")) == pytest.approx((664.7126, 0.0), rel=1e-6, abs=1e-9)
    assert est_se(census.total("enroll")) == pytest.approx((3_811_472, 0.0), rel=1e-6, abs=1e-6)


def test_two_stage_cluster_with_fpc_weights_from_fpc():
    design = cs.SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    close(est_se(design.mean("api00")), (670.81, 30.099))
    close(est_se(design.total("enroll")), (2_639_273, 799_638))


def test_two_stage_with_replacement_uses_ultimate_clusters():
    design = cs.SurveyDesign(api("apiclus2"), weights="pw", psu=["dnum", "snum"])
    close(est_se(design.mean("api00")), (670.81, 30.712))
    close(est_se(design.total("enroll")), (2_639_273, 820_261))


def test_poststratify(dclus1):
    ps = dclus1.poststratify("stype", STYPE_POP)
    close(est_se(ps.mean("api00")), (642.31, 23.921))
    close(est_se(ps.total("enroll")), (3_680_893, 406_293))


@pytest.mark.parametrize(
    ("option", "se"), [("remove", 5.8058), ("certainty", 5.8058), ("adjust", 5.8281), ("average", 6.0096)]
)
def test_lonely_psu_options(option, se):
    design = cs.SurveyDesign(api("apiclus1"), weights="pw", strata="dnum", lonely_psu=option)
    close(est_se(design.mean("api00")), (644.17, se))


def test_lonely_psu_fail_names_the_stratum():
    with pytest.raises(LonelyPSUError, match=r"413.*lonely_psu="):
        cs.SurveyDesign(api("apiclus1"), weights="pw", strata="dnum")


def test_lonely_psu_with_certainty_fpc_is_not_an_error():
    data = api("apiclus1").assign(f=lambda d: np.where(d["dnum"] == 413, 1, 1000))
    design = cs.SurveyDesign(data, weights="pw", strata="dnum", fpc="f")
    close(est_se(design.mean("api00")), (644.17, 5.7344))


def test_kalton_raking_table_b():
    cells = pd.read_csv(shared_file("surveys/api/kalton_cells.csv"))
    sample = cells.loc[cells.index.repeat(cells["n_sample"]), ["a", "b"]].reset_index(drop=True)
    margins = {
        "a": cells.groupby("a")["N_population"].sum().to_dict(),
        "b": cells.groupby("b")["N_population"].sum().to_dict(),
    }
    raked = cs.SurveyDesign(sample).rake(margins, epsilon=1e-4)
    ratio = (raked.weights.groupby([sample["a"], sample["b"]]).sum() / sample.groupby(["a", "b"]).size()).round(2)
    expected = {(1, 1): 1.81, (1, 2): 1.45, (1, 3): 2.02, (2, 1): 1.08, (2, 2): 0.87, (2, 3): 1.21,
                (3, 1): 2.20, (3, 2): 1.76, (3, 3): 2.45, (4, 1): 1.83, (4, 2): 1.47, (4, 3): 2.04}
    assert ratio.to_dict() == pytest.approx(expected)


def test_kalton_joint_poststratification_table_a():
    cells = pd.read_csv(shared_file("surveys/api/kalton_cells.csv"))
    sample = cells.loc[cells.index.repeat(cells["n_sample"]), ["a", "b"]].reset_index(drop=True)
    pop = {(r.a, r.b): r.N_population for r in cells.itertuples()}
    ps = cs.SurveyDesign(sample).poststratify(["a", "b"], pop)
    ratio = (ps.weights.groupby([sample["a"], sample["b"]]).sum() / sample.groupby(["a", "b"]).size()).round(2)
    assert ratio[(1, 1)] == 4.00 and ratio[(3, 3)] == 4.00 and ratio[(4, 2)] == 1.65


def test_domain_means_match_separate_designs(dstrat):
    # In a stratified design with strata = domains, the domain SE equals the one-stratum SE.
    by = dstrat.mean("api00", by="stype")
    data = api("apistrat")
    for stype, frame in data.groupby("stype"):
        alone = cs.SurveyDesign(frame, weights="pw", fpc="fpc")
        close(est_se(alone.mean("api00")), (by.loc[stype, "estimate"], by.loc[stype, "se"]), rel=1e-9)


def test_raking_errors(dclus1):
    with pytest.raises(CalibrationError, match="levels in the sample without a population count"):
        dclus1.rake({"stype": {"E": 4421, "H": 755}, "sch.wide": SCHWIDE_POP})
    with pytest.raises(CalibrationError, match="different population totals"):
        dclus1.rake({"stype": STYPE_POP, "sch.wide": {"No": 1, "Yes": 2}})
    with pytest.raises(RakingConvergenceError, match="did not converge"):
        dclus1.rake({"stype": STYPE_POP, "sch.wide": SCHWIDE_POP}, max_iter=1)


def test_domain_means_on_a_cluster_design():
    # R: svyby(~api00, ~stype, svydesign(id=~dnum, weights=~pw, data=apiclus1), svymean)
    design = cs.SurveyDesign(api("apiclus1"), weights="pw", psu="dnum")
    res = design.mean("api00", by="stype")
    expected = {"E": (648.8681, 22.58731), "H": (618.5714, 38.40263), "M": (631.4400, 31.92737)}
    for stype, (mean, se) in expected.items():
        close((res.loc[stype, "estimate"], res.loc[stype, "se"]), (mean, se))


def test_crosstab_exports_to_excel(tmp_path):
    from cs_toolkit.survey.crosstab import crosstab

    ct = crosstab(api("apistrat"), "awards", "stype", weights="pw")
    sheets = pd.read_excel(ct.to_excel(tmp_path / "ct.xlsx"), sheet_name=None)
    assert {"crosstab", "crosstab_values", "notes"} <= set(sheets)
    assert sheets["crosstab"].iloc[0, 1].startswith("27.0%")
