"""Forum and web monitoring (舆情) on demo posts: exports in GB18030, UTF-16 and JSON ingested through the
inbox, posts matched to the demo projects by name and alias, negativity, the planted volume spike found by
the named rule and nothing else, the P1 post, the monthly section's tables, and alerts sent once. Bad input:
other encodings, missing required columns, bad rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from cs_toolkit.cli import main
from cs_toolkit.demo import PROJECT_ALIASES, PROJECTS, make_posts, write_demo_posts
from cs_toolkit.errors import ConfigError, MissingColumnError
from cs_toolkit.forum import (
    analyse_posts,
    check_forum,
    forum_alerts,
    match_projects,
    monthly_forum,
    negativity,
    project_terms,
    read_posts,
    volume_spikes,
)
from cs_toolkit.forum.spikes import SPIKE_RULE
from cs_toolkit.reports.excel import write_workbook
from cs_toolkit.store import Store

NAMES = {pid: zh for pid, zh, _ in PROJECTS}
ROWS = [
    {"post_id": "1", "posted_at": "2026-11-03 10:15", "source": "业主论坛", "title": "翠湖苑漏水",
     "text": "翠湖苑3栋地下室渗水严重", "url": "https://bbs.example.cn/t/1"},
    {"post_id": "2", "posted_at": "2026-11-03 11:00", "source": "Expat forum", "title": "",
     "text": "The lift at Future City is broken again", "url": "https://expat.example.com/2"},
]


# ------------------------------------------------------------------------------------------ reading
@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_post_exports_in_other_encodings_and_chinese_headers_are_read(tmp_path, encoding):
    frame = pd.DataFrame(ROWS).rename(columns={"post_id": "帖子ID", "posted_at": "发布时间", "source": "来源",
                                               "title": "标题", "text": "内容", "url": "链接"})
    path = tmp_path / "posts.csv"
    frame.to_csv(path, index=False, encoding=encoding, sep="\t" if encoding == "utf-16" else ",")
    log = read_posts(path)
    assert log.rows_read == 2 and log.rejected.empty
    assert log.data["post_key"].tolist() == ["业主论坛:1", "Expat forum:2"]
    assert log.data["text"].iloc[0] == "翠湖苑3栋地下室渗水严重"
    assert log.data["posted_at"].iloc[0] == pd.Timestamp("2026-11-03 10:15")


def test_json_exports_utf16_json_lines_offsets_and_epochs(tmp_path):
    records = [dict(ROWS[0], posted_at="2026-11-03T02:15:00Z"), dict(ROWS[1], posted_at="1793694000000")]
    (tmp_path / "a.json").write_bytes(json.dumps({"data": {"list": records}}, ensure_ascii=False).encode("utf-16"))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                                      encoding="utf-8")
    for name in ("a.json", "b.jsonl"):
        log = read_posts(tmp_path / name)
        assert log.rejected.empty, log.rejected
        # UTC 02:15 is 10:15 in Shanghai; 1793694000000 ms is 2026-11-03 08:20 UTC
        assert log.data["posted_at"].tolist() == [pd.Timestamp("2026-11-03 10:15"), pd.Timestamp("2026-11-03 16:20")]
        assert any("converted to Asia/Shanghai" in n for n in log.notes)


def test_missing_required_columns_and_bad_rows_get_clear_reasons(tmp_path):
    path = tmp_path / "no_time.csv"
    pd.DataFrame(ROWS).drop(columns="posted_at").to_csv(path, index=False)
    with pytest.raises(MissingColumnError, match=r"required column\(s\) \['posted_at'\].*发布时间"):
        read_posts(path)
    bad = pd.DataFrame([
        ROWS[0],
        dict(ROWS[1], post_id=""),                     # no id
        dict(ROWS[1], post_id="3", posted_at="soon"),   # unreadable time
        dict(ROWS[1], post_id="4", title="", text=""),  # nothing said
        dict(ROWS[0], text="corrected"),               # the same post again: the last one is kept
    ])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    log = read_posts(tmp_path / "bad.csv")
    assert log.rows_read == 5 and len(log.data) == 1 and log.data["text"].iloc[0] == "corrected"
    assert log.rejected["reason"].tolist() == ["duplicate post in the same file (last kept)", "missing post id",
                                               "unreadable posting time: not a date/time",
                                               "empty post (no title, no text)"]


@pytest.mark.slow
def test_the_inbox_ingests_posts_sets_bad_files_aside_and_adds_nothing_twice(tmp_path):
    inbox = tmp_path / "inbox"
    files = write_demo_posts(inbox, seed=0)
    (inbox / "posts" / "broken.csv").write_bytes("标题,内容\n漏水,翠湖苑漏水\n".encode("gb18030"))
    store = Store(tmp_path / "store.duckdb")
    summary = store.ingest(inbox, tmp_path / "no_survey_config.yaml", progress=False)
    status = {f["file"]: f["status"] for f in summary.files}
    assert status == {"posts_export.csv": "processed", "posts_export.json": "processed", "broken.csv": "rejected"}
    reason = (inbox / "rejected" / "broken.csv.reason.txt").read_text(encoding="utf-8")
    assert "required column(s) ['post_id', 'posted_at']" in reason
    posts = store.read("posts")
    assert len(posts) == len(make_posts(seed=0)) and posts["post_key"].is_unique
    assert posts["text"].str.contains("翠湖苑").any() and posts["text"].str.contains("Future City").any()
    # the same exports again: nothing added
    for f in files:
        (inbox / "processed" / f.name).replace(inbox / "posts" / f.name)
    again = store.ingest(inbox, tmp_path / "no_survey_config.yaml", progress=False)
    assert {f["status"] for f in again.files} == {"duplicate"} and len(store.read("posts")) == len(posts)
    assert len(store.read("posts", period="2026-11")) > 100


def test_post_times_with_an_offset_are_kept_in_the_settings_timezone(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "posts").mkdir(parents=True)
    (inbox / "posts" / "p.csv").write_text("post_id,posted_at,source,title,text,url\n"
                                           "a1,2026-11-03T10:15:00+08:00,论坛,标题,电梯困人,https://x.example/1\n",
                                           encoding="utf-8")
    store = Store(tmp_path / "store.duckdb")
    store.ingest(inbox, tmp_path / "no_survey_config.yaml", progress=False, timezone="Europe/London")
    assert store.read("posts")["posted_at"].iloc[0] == pd.Timestamp("2026-11-03 02:15:00")  # GMT in November


# ------------------------------------------------------------------------------------------ analysis
def test_projects_are_found_by_name_and_alias_and_ambiguous_aliases_refused():
    terms = project_terms(NAMES, PROJECT_ALIASES)
    posts = pd.DataFrame({"title": ["", "", "", "", ""],
                          "text": ["翠湖又漏水了", "Riverside No.1 lift broken", "Riverside No.15 is another estate",
                                   "万科城开盘", "滨江一号和翠湖苑哪个好？滨江一号近地铁"]})
    found = match_projects(posts, terms, names=NAMES)
    assert found["project"].tolist() == ["P01", "P03", "", "", "P03"]
    assert found.loc[4, "projects"] == "P03|P01" and found.loc[0, "project_name"] == "翠湖苑"
    with pytest.raises(ConfigError, match="belongs to both"):
        project_terms({"P01": "翠湖苑", "P02": "翠湖苑"})
    with pytest.raises(ConfigError, match="too short"):
        project_terms({"P01": "翠"})
    demo = make_posts(seed=3)
    assert (match_projects(demo, terms)["project"] == demo["project_true"]).mean() == 1.0


def test_negativity_reads_chinese_and_english_with_negation():
    scores = negativity(["物业很差，投诉无门", "维修很及时，点赞", "不满意", "not bad at all", "交房了",
                         "The lift is broken again, terrible service", "没有漏水"])
    assert scores.round(2).tolist() == [0.67, -0.71, 0.5, -0.5, 0.0, 0.67, -0.5]
    demo = make_posts(seed=1)
    analysed = analyse_posts(demo, projects=NAMES, aliases=PROJECT_ALIASES)
    agreement = (analysed["negative"] == demo["negative_true"]).mean()
    assert agreement > 0.95, agreement


def test_the_planted_spike_is_found_and_quiet_series_raise_no_alarm():
    demo = make_posts(seed=0)
    demo["project"] = match_projects(demo, project_terms(NAMES, PROJECT_ALIASES))["project"]
    chart = volume_spikes(demo)
    spikes = chart[chart["spike"]]
    assert spikes[["group", "date", "count"]].astype(str).values.tolist() == [["P03", "2026-11-15", "14"]]
    assert spikes["p_value"].iloc[0] < 1e-6 and (chart["rule"] == "poisson").all()
    # 400 days of Poisson(2) posts a day for 5 projects: about 2,000 project-days; the tail of 0.00135 allows
    # about 2.7 false alarms at most (fewer: counts are whole numbers)
    rng = np.random.default_rng(11)
    days = pd.date_range("2025-01-01", periods=400, freq="D")
    quiet = pd.DataFrame([(f"P{g}", d) for g in range(5) for d in days for _ in range(rng.poisson(2.0))],
                         columns=["project", "posted_at"])
    assert volume_spikes(quiet)["spike"].sum() <= 4
    # the EWMA 3-sigma rule by hand: warm-up mean 1, variance 0; day 8 limit = 1 + 3 * sqrt(max(0, 1)) = 4
    hand = pd.DataFrame({"project": "P01", "posted_at": [d for d, n in zip(
        pd.date_range("2026-01-01", periods=9), [1, 1, 1, 1, 1, 1, 1, 5, 1], strict=True) for _ in range(n)]})
    e = volume_spikes(hand, rule="ewma")
    assert e["upper_limit"].iloc[7] == pytest.approx(4.0) and e["spike"].tolist() == [False] * 7 + [True, False]
    # the spike enters the baseline capped at the limit: m = 1 + 0.1 * (4 - 1)
    assert e["baseline"].iloc[8] == pytest.approx(1.3)
    assert "P(X ≥ count) < 0.00135" in SPIKE_RULE["poisson"]


def test_the_monthly_section_has_volume_spikes_negative_and_p1_posts(tmp_path):
    demo = make_posts(seed=0)
    month = monthly_forum(demo, "2026-11", projects=NAMES, aliases=PROJECT_ALIASES, language="zh")
    assert month.volume.shape == (30, 6) and month.volume.index[0] == pd.Timestamp("2026-11-01")
    assert month.volume.loc["2026-11-15", "滨江一号"] >= 14
    assert month.spikes[["project", "count"]].values.tolist() == [["P03", 14]]
    assert len(month.p1) == 1 and "电梯困人" in month.p1["excerpt"].iloc[0]
    assert month.p1["project_name"].iloc[0] == "翠湖苑" and "安全隐患" in month.p1["escalation_reason"].iloc[0]
    assert month.negative["negativity"].is_monotonic_decreasing or month.negative["escalation_level"].iloc[0] == "P1"
    assert (month.negative["negativity"] >= 0.3).all() and len(month.negative) == 20
    s = month.summary
    assert s["p1"] == 1 and s["spikes"] == 1 and s["about_projects"] == month.by_project["posts"].sum()
    assert month.by_project.set_index("project").loc["P03", "spike_days"] == 1
    assert "泊松" in month.rule
    book = write_workbook(tmp_path / "forum.xlsx", month.tables())
    assert set(pd.read_excel(book, sheet_name=None)) == {"summary", "by_project", "volume", "spikes", "negative",
                                                        "p1", "categories", "rule"}


# ------------------------------------------------------------------------------------------ alerts
@pytest.mark.slow
def test_alerts_go_out_once_for_the_spike_and_the_p1_post(tmp_path, monkeypatch):
    sent = []
    delivered = {"ok": False}

    def fake_send(urls, title, body):
        sent.append((title, body))
        return delivered["ok"]

    monkeypatch.setattr("cs_toolkit.reports.notify.send", fake_send)
    inbox = tmp_path / "inbox"
    write_demo_posts(inbox, seed=0)
    store = Store(tmp_path / "store.duckdb")
    store.ingest(inbox, tmp_path / "none.yaml", progress=False)
    kw = {"projects": NAMES, "aliases": PROJECT_ALIASES, "urls": ["json://localhost"], "days": 7}
    # 2026-11-21 08:00: the last 7 days hold the spike (11-15) and the P1 post (11-20 20:12)
    alerts, status = check_forum(store, now="2026-11-21 08:00", **kw)
    assert [a.kind for a in alerts] == ["p1", "spike"] and status["status"].tolist() == ["not delivered"] * 2
    assert "翠湖苑" in alerts[0].title and "电梯困人" in alerts[0].body
    assert "滨江一号" in alerts[1].title and "14" in alerts[1].title and "0.00135" in alerts[1].body
    delivered["ok"] = True  # the next hourly check retries what was not delivered ...
    _, status = check_forum(store, now="2026-11-21 09:00", **kw)
    assert status["status"].tolist() == ["sent", "sent"] and len(sent) == 4
    _, status = check_forum(store, now="2026-11-21 10:00", **kw)  # ... and never repeats what was
    assert status["status"].tolist() == ["already sent", "already sent"] and len(sent) == 4
    assert set(store.read("forum_alerts")["key"]) == {a.key for a in alerts}
    # a quiet week: nothing to say, nothing sent
    alerts, status = check_forum(store, now="2026-10-20 08:00", **kw)
    assert alerts == [] and status.empty and len(sent) == 4


def test_alert_messages_name_the_rule_and_hide_nothing_personal(tmp_path):
    demo = make_posts(seed=0)
    demo.loc[demo.index[-1], "text"] = "翠湖苑电梯困人，联系我 13812345678"
    analysed = analyse_posts(demo, projects=NAMES, aliases=PROJECT_ALIASES)
    alerts = forum_alerts(analysed, volume_spikes(analysed), since="2026-11-01", names=NAMES, language="en")
    assert {a.kind for a in alerts} == {"spike", "p1"}
    spike = next(a for a in alerts if a.kind == "spike")
    assert spike.key == "spike:P03:2026-11-15" and "Poisson" in spike.body


@pytest.mark.slow
def test_the_forum_commands_on_demo_exports(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    write_demo_posts(inbox, seed=0)
    (tmp_path / "cs_toolkit.toml").write_text("[projects]\n" + "".join(f'{p} = "{n}"\n' for p, n in NAMES.items()),
                                              encoding="utf-8")
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text(yaml.safe_dump(PROJECT_ALIASES, allow_unicode=True), encoding="utf-8")
    flags = ["--root", str(tmp_path), "--store", str(tmp_path / "store.duckdb")]
    assert main(["ingest", "--inbox", str(inbox), *flags]) == 0
    out = tmp_path / "forum.xlsx"
    assert main(["forum", "report", "--period", "2026-11", "--out", str(out), "--aliases", str(aliases),
                 *flags]) == 0
    printed = capsys.readouterr().out
    assert "1 P1, 1 spike day(s)" in printed and out.exists()
    assert main(["forum", "check", "--now", "2026-11-21 08:00", "--days", "7", "--aliases", str(aliases),
                 *flags]) == 0
    printed = capsys.readouterr().out
    assert "P1" in printed and "滨江一号 2026-11-15" in printed and "nothing was sent" in printed
    assert main(["forum", "report", "--period", "2026-11", "--root", str(tmp_path / "nowhere"),
                 "--store", str(tmp_path / "store.duckdb")]) == 2
    assert "no project names to look for" in capsys.readouterr().err


def test_demo_posts_have_what_the_monitoring_needs():
    posts = make_posts(seed=0)
    assert posts["post_id"].is_unique and posts["posted_at"].is_monotonic_increasing
    assert (posts["project_true"] == "").mean() > 0.2  # posts about nothing of ours
    english = posts["text"].str.match(r"^[A-Za-z]")
    assert english.any() and (~english).any()
    assert posts["spike_true"].sum() == 14 and posts["p1_true"].sum() == 1
