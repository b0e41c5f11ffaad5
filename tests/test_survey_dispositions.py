"""Call outcomes: non-interviews are set apart (not scored, not rejected), every row is accounted for, and
the AAPOR rates equal hand-computed values."""

from __future__ import annotations

import pandas as pd
import pytest

import cs_toolkit as cs
from cs_toolkit.errors import ConfigError
from cs_toolkit.survey.dispositions import outcome_rates

CONFIG = {"id": "id", "items": {"q": {"scale": [1, 5]}}, "weights": "w", "period": "when",
          "dispositions": {"column": "result", "complete": ["完成"], "refused": ["拒访"],
                           "no_contact": ["无人接听", "关机"], "not_eligible": ["空号"], "unknown": ["待确认"]}}


def _export(tmp_path, rows: str):
    path = tmp_path / "calls.csv"
    path.write_text("id,q,w,when,result\n" + rows, encoding="gb18030")
    return cs.read_survey(path, CONFIG)


def test_non_interviews_are_set_apart_and_every_row_is_accounted_for(tmp_path):
    survey = _export(tmp_path, "1,5,2,2026-11-02,完成\n2,,,2026-11-02,拒访\n3,9,,2026-11-03,无人接听\n"
                               "4,4,1,2026-11-03,\n5,3,1,2026-11-04,完 成\n6,2,1,2026-11-04,已完成\n"
                               "7,9,1,2026-11-05,完成\n8,,,2026-11-05,空号\n9,,,2026-11-06,待确认\n")
    summary = survey.summary()
    assert (summary["rows_read"], summary["rows_kept"], summary["rows_not_interviewed"], summary["rows_rejected"]) \
        == (9, 1, 4, 4)
    assert survey.data["id"].tolist() == ["1"]
    # a call without an interview: blank answers and weight, or an answer off the scale, are no problem
    assert survey.attempts["disposition_group"].tolist() == ["refused", "no_contact", "not_eligible", "unknown"]
    reasons = dict(zip(survey.rejected["row"], survey.rejected["reason"], strict=True))
    assert reasons[5] == "missing call disposition"
    assert reasons[6].startswith("unknown disposition '完 成' (did you mean '完成'?)")
    assert reasons[7].startswith("unknown disposition '已完成'") and "the configuration lists" in reasons[7]
    assert reasons[8] == "9 is outside the scale 1-5"  # an interview's answers are still checked


def test_outcome_rates_equal_hand_computed_aapor_rates():
    # I=40, R=10, NC=25, O=5, U=20, NE=7 (AAPOR 2023, Standard Definitions: RR1, COOP1, REF1, CON1)
    groups = pd.Series(["complete"] * 40 + ["refused"] * 10 + ["no_contact"] * 25 + ["other"] * 5
                       + ["unknown"] * 20 + ["not_eligible"] * 7)
    row = outcome_rates(groups).iloc[0]
    assert row["cases"] == 107
    assert row["response_rate"] == pytest.approx(100 * 40 / 100)
    assert row["cooperation_rate"] == pytest.approx(100 * 40 / 55)
    assert row["refusal_rate"] == pytest.approx(100 * 10 / 100)
    assert row["contact_rate"] == pytest.approx(100 * 55 / 100)
    # Wilson interval of 40/100 at 95% (as R's prop.test(40, 100, correct = FALSE)$conf.int: 0.3094, 0.4980)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((30.94, 49.80), abs=0.01)
    by = outcome_rates(groups, pd.Series(["a", "b"] * 53 + ["a"]))
    assert by["level"].tolist() == ["a", "b", "all"] and by["cases"].tolist() == [54, 53, 107]
    with pytest.raises(ValueError, match="disposition groups"):
        outcome_rates(pd.Series(["complete", "maybe"]))


def test_score_survey_reports_the_call_outcomes_by_week_on_the_demo_calls():
    demo = cs.demo.make_survey(seed=2, call_outcomes=True, labels="zh")
    survey = cs.survey.reader.validate_frame(demo.export(), demo.config)
    assert survey.summary()["rows_rejected"] == 0 and len(survey.attempts) == len(demo.attempts)
    report = cs.score_survey(survey)
    expected = 100 * len(demo.data) / (len(demo.data) + (survey.attempts["disposition_group"] != "not_eligible").sum())
    assert report.response["response_rate"].iloc[0] == pytest.approx(expected)
    weekly = cs.call_outcomes(survey.data, survey.attempts, survey.config, by="提交时间")
    assert weekly["cases"].iloc[-1] == len(demo.data) + len(demo.attempts)
    assert weekly["level"].iloc[:-1].map(lambda d: pd.Timestamp(d).day_of_week).eq(0).all()  # weeks start Monday
    # the interviews score as without dispositions: the calls without one do not enter the estimates
    plain = cs.demo.make_survey(seed=2, labels="zh")
    nps = report.scores.query("measure == 'NPS' and segment == 'overall'")["estimate"].iloc[0]
    assert nps == pytest.approx(cs.score_survey(plain.data, plain.config).scores.query(
        "measure == 'NPS' and segment == 'overall'")["estimate"].iloc[0])


def test_disposition_configuration_errors_are_named():
    base = {"items": {"q": {"scale": [1, 5]}}}
    with pytest.raises(ConfigError, match="did you mean 'refused'"):
        cs.ScoringConfig.from_dict({**base, "dispositions": {"column": "r", "complete": ["ok"], "refusd": ["no"]}})
    with pytest.raises(ConfigError, match="under both"):
        cs.ScoringConfig.from_dict({**base, "dispositions": {"column": "r", "complete": ["ok"], "refused": ["ok"]}})
    with pytest.raises(ConfigError, match="'complete'"):
        cs.ScoringConfig.from_dict({**base, "dispositions": {"column": "r", "refused": ["no"]}})
    with pytest.raises(ConfigError, match="column"):
        cs.ScoringConfig.from_dict({**base, "dispositions": {"complete": ["ok"]}})


def test_weekly_call_card_compares_with_a_week_of_calls_and_no_interview():
    from cs_toolkit.periods import parse_period
    from cs_toolkit.reports.weekly import _call_headline

    cfg = cs.ScoringConfig.from_dict(CONFIG)
    interviews = pd.DataFrame({"when": pd.to_datetime(["2026-11-16 10:00"] * 3)})
    attempts = pd.DataFrame({"when": pd.to_datetime(["2026-11-16 11:00", "2026-11-10 09:00", "2026-11-11 09:00",
                                                     "2026-11-12 09:00"]),
                             "disposition_group": ["refused", "no_contact", "not_eligible", "refused"]})
    card = _call_headline(interviews, attempts, cfg, parse_period("2026-11-18", "week"), weeks=13)
    assert card.estimate == pytest.approx(75.0) and card.n == 4  # 3 of 4 eligible calls this week
    assert card.change_last == pytest.approx(75.0)  # last week: 2 eligible calls, no interview
    assert dict(card.details)["refusal_rate"] == pytest.approx(25.0)
