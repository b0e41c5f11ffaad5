"""Part 7: crosstab letters from design-based tests (R ``svyby(..., covmat=TRUE)`` + ``svycontrast``).

Reference values from R 4.2.2, survey 4.1.1, printed with ``sprintf("%.10g")``:

    library(survey); data(api)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    d <- update(design, rate = ceiling(api00/100))
    pairs <- list(c(-1,1,0), c(-1,0,1), c(0,-1,1))          # H-E, M-E, M-H
    d2 <- update(d, ind = as.numeric(rate == k))             # or rate %in% top 2 / bottom 2 levels
    b <- svyby(~ind, ~stype, d2, svymean, covmat=TRUE)       # or svyby(~rate, ~stype, d, svymean, covmat=TRUE)
    s <- svycontrast(b, cc); t <- coef(s)/SE(s); c(coef(s), SE(s), 2*pt(-abs(t), degf(d2)))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.survey.crosstab import crosstab
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data


def rated(name: str) -> pd.DataFrame:
    data = pd.read_csv(shared_file(f"surveys/api/{name}.csv"))
    return data.assign(rate=np.ceil(data["api00"] / 100))


def near(actual, expected, rel: float = 1e-8) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.array(expected, dtype=float), rtol=rel, atol=1e-12)


# dstrat: (diff H-E, M-E, M-H), (se), (p) per row
DSTRAT = {
    9.0: ([-0.15, -0.11, 0.04], [0.04744636195, 0.05429225919, 0.04647624419], [0.00181781914, 0.044105939, 0.3904744711]),
    7.0: ([0.07, 0.17, 0.1], [0.07583084855, 0.08003634729, 0.0930552717], [0.3570805788, 0.03491443662, 0.2838547942]),
    "Top-2 box": ([-0.16, -0.22, -0.06], [0.08033821715, 0.07740771592, 0.08684186574],
                  [0.0477986229, 0.004953625189, 0.4904347729]),
    "Bottom-2 box": ([0.06, 0.06, 0], [0.05496395665, 0.05534506669, 0.06805054155], [0.2763314566, 0.2796421479, 1]),
    "Mean": ([-0.45, -0.43, 0.02], [0.1958140681, 0.1982366046, 0.216079875], [0.02260607704, 0.03127084949, 0.9263484792]),
}
DCLUS1 = {
    9.0: ([-0.07638888889, 0.003611111111, 0.08], [0.02981337999, 0.03159915881, 0.05210942658],
          [0.02257506879, 0.9106395994, 0.1470134876]),
    7.0: ([0.0009920634921, 0.1152777778, 0.1142857143], [0.08812921789, 0.09486615871, 0.06681633422],
          [0.9911773087, 0.2444005848, 0.1092414393]),
    "Top-2 box": ([-0.08333333333, -0.003333333333, 0.08], [0.03439694564, 0.02893802135, 0.05210942658],
                  [0.02955450817, 0.9099313745, 0.1470134876]),
    "Mean": ([-0.2926587302, -0.1669444444, 0.1257142857], [0.3255129047, 0.1751760763, 0.3719920795],
             [0.3838188515, 0.3567508193, 0.7404158745]),
}


@pytest.fixture(scope="module")
def tables():
    dstrat = cs.SurveyDesign(rated("apistrat"), weights="pw", strata="stype", fpc="fpc")
    dclus1 = cs.SurveyDesign(rated("apiclus1"), weights="pw", psu="dnum", fpc="fpc")
    return {"dstrat": dstrat.crosstab("rate", "stype"), "dclus1": dclus1.crosstab("rate", "stype")}


@pytest.mark.parametrize(("name", "expected"), [("dstrat", DSTRAT), ("dclus1", DCLUS1)])
def test_pairwise_tests_equal_svyby_and_svycontrast(tables, name, expected):
    tests = tables[name].tests
    for row, (diff, se, p) in expected.items():
        sub = tests[tests["row"] == row]
        assert sub[["column_a", "column_b"]].to_numpy().tolist() == [["E", "H"], ["E", "M"], ["H", "M"]]
        near(sub["difference"], diff)
        near(sub["se"], se)
        near(sub["p_value"], p)
        near(sub["p_adjusted"], np.minimum(1, 3 * np.array(p)))  # Bonferroni over the 3 pairs


def test_letters_upper_case_at_95_lower_case_at_90(tables):
    t = tables["dstrat"]
    # rate 9: E vs H p = 0.0018 * 3 < 0.05 -> E carries "B"; E vs M p = 0.044 * 3 = 0.13: nothing
    assert t.letters.loc[9.0, "E"] == "B" and t.weak_letters.loc[9.0, "E"] == ""
    # top-2 box: E vs M 0.005 * 3 < 0.05 -> "C"; E vs H 0.048 * 3 = 0.14: nothing
    assert t.net_letters.loc["Top-2 box", "E"] == "C"
    # mean: E vs H 0.0226 * 3 = 0.068 and E vs M 0.031 * 3 = 0.094: both only at 90% -> "bc"
    assert t.mean_letters.loc["Mean", "E"] == "bc"
    c = tables["dclus1"]
    # dclus1 rate 9: E vs H 0.0226 * 3 = 0.068 -> lower-case "b" only
    assert c.letters.loc[9.0, "E"] == "" and c.weak_letters.loc[9.0, "E"] == "b"
    assert c.net_letters.loc["Top-2 box", "E"] == "b"
    assert t.table().loc[9.0, "E (A)"] == "19.0% B"


def test_excel_crosstab_has_base_total_nets_and_means(tables, tmp_path):
    t = tables["dstrat"]
    path = t.to_excel(tmp_path / "ct.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, index_col=0)
    assert {"crosstab", "crosstab_values", "crosstab_tests", "notes"} <= set(sheets)
    table = sheets["crosstab"]
    assert list(table.columns) == ["E (A)", "H (B)", "M (C)", "Total"]
    assert {"Top-2 box", "Bottom-2 box", "Mean", "Base (n)", "Effective base"} <= set(table.index.astype(str))
    assert table.loc["Base (n)"].astype(int).tolist() == [100, 50, 50, 200]
    assert table.loc["Mean", "E (A)"] == "7.25 bc"
    # svymean(~rate, d): 7.124476909 (the Total column of the mean row)
    assert float(table.loc["Mean", "Total"]) == pytest.approx(7.12, abs=0.005)
    assert t.means.loc["Mean", "Total"] == pytest.approx(7.124476909, rel=1e-9)
    notes = pd.read_excel(path, sheet_name="notes")
    assert "svycontrast" in notes["note"].item()


def test_module_function_builds_a_design_from_strata_and_psu():
    data = rated("apiclus1")
    via_function = crosstab(data, "rate", "stype", weights="pw", psu="dnum")
    via_design = cs.SurveyDesign(data, weights="pw", psu="dnum").crosstab("rate", "stype")
    pd.testing.assert_frame_equal(via_function.tests, via_design.tests)
    # a simple random sample: the design-based SE of a difference of two independent shares
    df = pd.DataFrame({"ok": ["y"] * 60 + ["n"] * 40 + ["y"] * 45 + ["n"] * 55, "site": ["A"] * 100 + ["B"] * 100})
    tests = crosstab(df, "ok", "site").tests.set_index("row")
    n = 200
    se = np.sqrt((0.6 * 0.4 / 100 + 0.45 * 0.55 / 100) * n / (n - 1))
    assert tests.loc["y", "se"] == pytest.approx(se, rel=1e-12)
    assert tests.loc["y", "df"] == n - 1
