"""The store never loses a row: id-less exports, the same export twice, corrected exports, concurrent
ingests from separate processes, a process killed mid-ingest, bad files among good ones, and column
types that differ between files. Real DuckDB files and a real PostgreSQL server, real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cs_toolkit import demo
from cs_toolkit.errors import StoreError
from cs_toolkit.periods import parse_period
from cs_toolkit.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(params=["duckdb", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'db' / 'cs_toolkit.duckdb'}"
    from tests.conftest import new_database

    return new_database(request.getfixturevalue("postgres_url"), f"store_{os.getpid()}_{id(tmp_path) % 10**8}")


def survey_config(path: Path, with_id: bool = True) -> Path:
    config = demo.make_survey(seed=0).config
    if not with_id:
        config.pop("id")
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def drop(inbox: Path, kind: str, name: str, frame: pd.DataFrame, **to_csv) -> Path:
    folder = inbox / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, **to_csv)
    return path


def test_two_id_less_exports_and_the_same_export_twice_keep_every_row_once(tmp_path, store_url):
    cfg = survey_config(tmp_path / "cfg.yaml", with_id=False)
    inbox = tmp_path / "inbox"
    first = demo.make_survey(seed=0).data.drop(columns="response_id")
    second = demo.make_survey(seed=1).data.drop(columns="response_id")
    assert len(first) != len(second)  # two different exports, keyed by file row they would collide
    drop(inbox, "surveys", "a.csv", first)
    drop(inbox, "surveys", "b.csv", second)
    store = Store(store_url)
    summary = store.ingest(inbox, cfg)
    assert [f["status"] for f in summary.files] == ["processed", "processed"]
    stored = store.read("surveys")
    assert len(stored) == len(first) + len(second)
    assert stored["_row_key"].is_unique
    assert stored.groupby("_source_file").size().to_dict() == {"a.csv": len(first), "b.csv": len(second)}
    # the same export again (a new name, the same bytes): nothing added, nothing replaced
    drop(inbox, "surveys", "a_again.csv", first)
    again = store.ingest(inbox, cfg)
    assert again.files[0]["status"] == "duplicate" and again.rows_added == 0
    assert len(store.read("surveys")) == len(first) + len(second)
    ingests = store.read("ingests")
    assert ingests["file"].tolist() == ["a.csv", "b.csv", "a_again.csv"]
    assert ingests["sha256"].iloc[0] == ingests["sha256"].iloc[2]
    assert (inbox / "processed" / "a_again.csv").exists() and not list((inbox / "surveys").iterdir())


def test_corrected_export_replaces_rows_and_rejected_rows_are_stored(tmp_path, store_url):
    cfg = survey_config(tmp_path / "cfg.yaml")
    inbox = tmp_path / "inbox"
    survey = demo.make_survey(seed=0)
    noisy, bad_positions = demo.add_export_noise(survey.data, survey.config, seed=0)
    drop(inbox, "surveys", "s.csv", noisy)
    log = demo.make_complaints(400, seed=3)
    drop(inbox, "complaints", "c.csv", log)
    store = Store(store_url)
    first = {f["file"]: f for f in store.ingest(inbox, cfg).files}
    assert first["s.csv"]["rows_read"] == len(noisy) == first["s.csv"]["kept"] + first["s.csv"]["rejected"]
    assert first["s.csv"]["rejected"] == len(bad_positions)
    rejected = store.read("rejected_rows")
    assert sorted(rejected["row"].unique()) == sorted(p + 2 for p in bad_positions)  # Excel row numbers
    assert rejected["reason"].str.len().gt(0).all() and set(rejected["file"]) == {"s.csv"}
    assert (inbox / "rejected" / "s.csv.rejected_rows.csv").exists()
    corrected = log.head(5).assign(text="已更正的投诉内容")
    drop(inbox, "complaints", "c_fix.csv", corrected)
    fix = store.ingest(inbox, cfg).files[0]
    assert (fix["added"], fix["replaced"]) == (0, 5)
    stored = store.read("complaints")
    assert len(stored) == len(log) and (stored["text"] == "已更正的投诉内容").sum() == 5


def test_bad_files_are_set_aside_and_the_rest_of_the_inbox_goes_on(tmp_path, store_url):
    cfg = survey_config(tmp_path / "cfg.yaml")
    inbox = tmp_path / "inbox"
    log = demo.make_complaints(300, seed=4)
    # an XLSX log with integer ids and a numeric customer id, then a CSV with text ids: types must mix
    xlsx = log.head(100).assign(complaint_id=range(1001, 1101), customer_id=range(5001, 5101))
    xlsx["created_at"] = xlsx["created_at"].dt.strftime("%Y-%m-%d %H:%M")
    drop(inbox, "complaints", "01_log.xlsx", xlsx)
    drop(inbox, "complaints", "02_broken.csv", pd.DataFrame())  # empty file
    drop(inbox, "complaints", "03_no_text.csv", log.drop(columns="text").head(10))
    (inbox / "complaints" / "04_notes.pdf").write_bytes(b"%PDF-1.4 not an export")
    drop(inbox, "complaints", "05_log.csv", log.iloc[100:])
    store = Store(store_url)
    files = {f["file"]: f for f in store.ingest(inbox, cfg).files}
    assert {k: v["status"] for k, v in files.items()} == {
        "01_log.xlsx": "processed", "02_broken.csv": "rejected", "03_no_text.csv": "rejected",
        "04_notes.pdf": "rejected", "05_log.csv": "processed"}
    assert "text" in files["03_no_text.csv"]["reason"] and "unsupported" in files["04_notes.pdf"]["reason"]
    for name in ("02_broken.csv", "03_no_text.csv", "04_notes.pdf"):
        assert (inbox / "rejected" / name).exists() and (inbox / "rejected" / f"{name}.reason.txt").exists()
    stored = store.read("complaints")
    assert len(stored) == 300 and stored["complaint_id"].is_unique
    assert {"1001", "1100"} <= set(stored["complaint_id"]) and "5001" in set(stored["customer_id"])
    assert str(stored["complaint_id"].dtype) == "str"
    failures = store.read("ingests").set_index("file")
    assert failures.loc["04_notes.pdf", "status"] == "rejected" and failures.loc["04_notes.pdf", "reason"]


def test_reads_are_filtered_in_sql(tmp_path, store_url):
    cfg = survey_config(tmp_path / "cfg.yaml")
    inbox = tmp_path / "inbox"
    log = demo.make_complaints(500, seed=5, start="2026-09-01", weeks=12)
    drop(inbox, "complaints", "c.csv", log)
    store = Store(store_url)
    store.ingest(inbox, cfg)
    assert store.tables() == ["complaints", "ingests", "rejected_rows"]
    october = store.read("complaints", period=parse_period("2026-10", "month"))
    expected = log[(log["created_at"] >= "2026-10-01") & (log["created_at"] < "2026-11-01")]
    assert sorted(october["complaint_id"]) == sorted(expected["complaint_id"])
    p01 = store.read("complaints", period=parse_period("2026-10", "month"), where="project = 'P01'",
                     columns=["complaint_id", "project"])
    assert list(p01.columns) == ["complaint_id", "project"] and set(p01["project"]) == {"P01"}
    assert len(p01) == (expected["project"] == "P01").sum()
    counts = store.sql("SELECT channel, count(*) AS n FROM complaints GROUP BY channel ORDER BY channel")
    assert counts.set_index("channel")["n"].to_dict() == log["channel"].value_counts().sort_index().to_dict()
    with pytest.raises(StoreError, match="no table 'surveys'"):
        store.read("surveys")


def _ingest_script(url: str, inbox: Path, cfg: Path, kill_after_upsert: bool = False) -> str:
    kill = ""
    if kill_after_upsert:  # die inside the write transaction, after the rows went in, before the commit
        kill = textwrap.dedent("""
            import os, signal
            from cs_toolkit.store.store import Store as S
            original = S._append
            def dying(self, con, table, rows):
                if table == "ingests":
                    os.kill(os.getpid(), signal.SIGKILL)
                return original(self, con, table, rows)
            S._append = dying
        """)
    return kill + f"from cs_toolkit.store import Store\nStore({url!r}).ingest({str(inbox)!r}, {str(cfg)!r})\n"


def test_concurrent_ingests_from_two_processes_lose_nothing(tmp_path, store_url):
    cfg = survey_config(tmp_path / "cfg.yaml")
    expected = 0
    inboxes = []
    for p in range(2):
        inbox = tmp_path / f"inbox{p}"
        for k in range(3):
            log = demo.make_complaints(300, seed=10 * p + k)
            log["complaint_id"] = [f"P{p}K{k}-{i}" for i in range(len(log))]
            drop(inbox, "complaints", f"c{k}.csv", log)
            expected += len(log)
        inboxes.append(inbox)
    shared = tmp_path / "shared_inbox"  # and both processes on one inbox: each file once
    drop(shared, "complaints", "s.csv", demo.make_complaints(200, seed=99).assign(
        complaint_id=lambda f: "S-" + f.index.astype(str)))
    expected += 200
    procs = [subprocess.Popen([sys.executable, "-c", _ingest_script(store_url, inbox, cfg)], stderr=subprocess.PIPE,
                              text=True) for inbox in [*inboxes, shared, shared]]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    store = Store(store_url)
    stored = store.read("complaints")
    assert len(stored) == expected and stored["complaint_id"].is_unique
    ingests = store.read("ingests")
    assert (ingests["status"] == "processed").sum() == 7  # six files plus the shared one, once
    assert set(ingests["status"]) <= {"processed", "duplicate"}


def test_a_process_killed_mid_ingest_leaves_the_store_consistent_and_the_file_in_the_inbox(tmp_path, store_url):
    cfg = survey_config(tmp_path / "cfg.yaml")
    inbox = tmp_path / "inbox"
    log = demo.make_complaints(300, seed=6)
    drop(inbox, "complaints", "first.csv", log.head(100))
    store = Store(store_url)
    store.ingest(inbox, cfg)
    drop(inbox, "complaints", "second.csv", log.iloc[100:])
    proc = subprocess.run([sys.executable, "-c", _ingest_script(store_url, inbox, cfg, kill_after_upsert=True)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert len(store.read("complaints")) == 100  # the killed transaction left nothing behind
    assert store.read("ingests")["file"].tolist() == ["first.csv"]
    assert (inbox / "complaints" / "second.csv").exists()
    store.ingest(inbox, cfg)  # the next run picks the file up again
    assert len(store.read("complaints")) == 300 and store.read("complaints")["complaint_id"].is_unique


def test_type_conflicts_reject_the_file_not_the_inbox(tmp_path):
    store = Store(f"duckdb:///{tmp_path / 's.duckdb'}")
    rows = pd.DataFrame({"id": ["a", "b"], "score": [1.0, 2.0], "when": pd.to_datetime(["2026-11-02", "2026-11-03"])})
    assert store.upsert("t", rows, key="id", time_column="when") == (2, 0)
    # text into a numeric column is a conflict; numbers into a text column widen to text
    with pytest.raises(StoreError, match="column 'score'"):
        store.upsert("t", rows.assign(score=["x", "y"]), key="id")
    assert store.upsert("t", pd.DataFrame({"id": ["3"], "note": ["seven"]}), key="id") == (1, 0)
    assert store.upsert("t", pd.DataFrame({"id": [4], "note": [7.5]}), key="id") == (1, 0)
    assert store.read("t").set_index("id")["note"].loc[["3", "4"]].tolist() == ["seven", "7.5"]
    assert len(store.read("t")) == 4


def test_store_urls_and_paths(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    assert Store(folder).url == f"duckdb:///{folder / 'cs_toolkit.duckdb'}"
    assert Store(tmp_path / "x.duckdb").backend.path == tmp_path / "x.duckdb"
    with pytest.raises(StoreError, match="unsupported store URL"):
        Store("mysql://somewhere/db")
    bad = Store("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="cannot connect") as info:
        bad.tables()
    assert "secret" not in str(info.value)
