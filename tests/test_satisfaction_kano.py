"""KANO: the evaluation table, shares, Better-Worse, Q answers counted, answers outside the scale."""

from __future__ import annotations

import warnings
from io import BytesIO

import numpy as np
import pandas as pd
import pytest

from cs_toolkit.errors import ConfigError, DesignError
from cs_toolkit.satisfaction import better_worse_chart, kano_classify, kano_inconsistent, kano_table
from cs_toolkit.satisfaction.demo import KANO_FEATURES, make_kano_survey
from cs_toolkit.satisfaction.kano import EVALUATION_TABLE

# the standard table, written out by hand (functional answer -> dysfunctional answer -> category)
STANDARD = {
    "like": {"like": "Q", "must-be": "A", "neutral": "A", "live with": "A", "dislike": "O"},
    "must-be": {"like": "R", "must-be": "I", "neutral": "I", "live with": "I", "dislike": "M"},
    "neutral": {"like": "R", "must-be": "I", "neutral": "I", "live with": "I", "dislike": "M"},
    "live with": {"like": "R", "must-be": "I", "neutral": "I", "live with": "I", "dislike": "M"},
    "dislike": {"like": "R", "must-be": "R", "neutral": "R", "live with": "R", "dislike": "Q"},
}
ORDER = ["like", "must-be", "neutral", "live with", "dislike"]


def test_all_25_answer_pairs():
    pairs = [(f, d) for f in range(1, 6) for d in range(1, 6)]
    df = pd.DataFrame(pairs, columns=["f", "d"])
    got = kano_classify(df, {"x": ("f", "d")})["x"].tolist()
    assert got == [STANDARD[ORDER[f - 1]][ORDER[d - 1]] for f, d in pairs]
    assert [list(r) for r in EVALUATION_TABLE] == [[STANDARD[f][d] for d in ORDER] for f in ORDER]


def test_chinese_and_english_labels_and_custom_mapping():
    df = pd.DataFrame({"f": ["喜欢", "理所当然", "like", " Dislike "], "d": ["不喜欢", "不喜欢", "neutral", "能忍受"]})
    assert kano_classify(df, {"x": ("f", "d")})["x"].tolist() == ["O", "M", "A", "R"]
    reversed_codes = {5: "like", 4: "must-be", 3: "neutral", 2: "live with", 1: "dislike"}
    df2 = pd.DataFrame({"f": [5, 4], "d": [1, 1]})
    assert kano_classify(df2, {"x": ("f", "d")}, answers=reversed_codes)["x"].tolist() == ["O", "M"]
    text_codes = pd.DataFrame({"f": ["1", "2"], "d": ["5.0", None]})
    assert kano_classify(text_codes.assign(d=[5, None]), {"x": ("f", "d")})["x"].isna().tolist() == [False, True]


def test_answers_outside_the_scale_are_rejected_by_column():
    df = pd.DataFrame({"f": [1, 2, 6, 0], "d": [5, 5, 5, 5]})
    with pytest.raises(DesignError, match=r"column 'f': 2 answer\(s\) outside the KANO answer scale.*'6', '0'") as err:
        kano_classify(df, {"wifi": ("f", "d")})
    assert err.value.column == "f"
    with pytest.raises(DesignError, match="'d'.*'非常好'"):
        kano_table(pd.DataFrame({"f": [1], "d": ["非常好"]}), {"wifi": ("f", "d")})
    with pytest.raises(ConfigError, match="functional, dysfunctional"):
        kano_table(df, {"wifi": "f"})
    with pytest.raises(ConfigError, match="'g'.*not a column"):
        kano_table(df, {"wifi": ("g", "d")})


def test_table_shares_better_worse_and_q_counted():
    # 10 respondents: 4 O, 2 A, 2 M, 1 I, 1 Q
    f = [1, 1, 1, 1, 1, 1, 2, 3, 3, 1]
    d = [5, 5, 5, 5, 3, 4, 5, 5, 3, 1]
    table = kano_table(pd.DataFrame({"f": f, "d": d}), {"x": ("f", "d")}).iloc[0]
    assert (table["n_O"], table["n_A"], table["n_M"], table["n_I"], table["n_Q"], table["n_R"]) == (4, 2, 2, 1, 1, 0)
    assert table[["A", "O", "M", "I", "R", "Q"]].sum() == pytest.approx(100)
    assert table["category"] == "O" and table["category_zh"] == "期望型"
    assert table["better"] == pytest.approx(6 / 9) and table["worse"] == pytest.approx(-6 / 9)
    assert table["q_count"] == 1 and table["q_share"] == pytest.approx(10)
    # Fong: |4 - 2| < 1.65 sqrt(6 * 14 / 20) = 3.38 -> not significant
    assert not table["fong_significant"]


def test_ties_broken_m_o_a_i_and_weights():
    df = pd.DataFrame({"f": [1, 2, 1, 2], "d": [5, 5, 5, 5], "w": [1.0, 1.0, 1.0, 3.0]})
    assert kano_table(df, {"x": ("f", "d")})["category"].item() == "M"  # 2 O vs 2 M: M first
    weighted = kano_table(df, {"x": ("f", "d")}, weights="w").iloc[0]
    assert weighted["M"] == pytest.approx(100 * 4 / 6) and weighted["worse"] == pytest.approx(-1.0)


def test_demo_recovers_true_categories_and_inconsistent_respondents():
    survey = make_kano_survey(n=600, seed=5)
    table = kano_table(survey.data, survey.measurement)
    assert dict(zip(table["feature"], table["category"], strict=True)) == survey.truth["categories"]
    bad = kano_inconsistent(survey.data, survey.measurement)
    assert len(bad) > 0 and bad["q_count"].sum() == table["q_count"].sum()
    first = bad.index[0]
    feature = bad.loc[first, "q_features"][0]
    f, d = survey.measurement[feature]
    assert survey.data.loc[first, f] == survey.data.loc[first, d] and survey.data.loc[first, f] in (1, 5)


def test_better_worse_chart_chinese():
    survey = make_kano_survey(n=300, seed=0)
    table = kano_table(survey.data, survey.measurement, labels={k: v[0] for k, v in KANO_FEATURES.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = better_worse_chart(table)
        fig.savefig(BytesIO(), format="png")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"一次修好", "手机查看维修进度", "魅力型\nattractive", "必备型\nmust-be"} <= texts
    assert np.allclose(sorted(fig.axes[0].collections[0].get_offsets()[:, 0]), sorted(-table["worse"]))
    with pytest.raises(ConfigError, match="kano_table"):
        better_worse_chart(pd.DataFrame({"x": [1]}))
