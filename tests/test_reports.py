"""Reports end to end: ingest, papermill runs, redaction, atomic publish, failures, Prefect flows.

Real kernels, real flow runs (Prefect's ephemeral mode), real files: nothing is mocked.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from cs_toolkit import demo
from cs_toolkit.errors import PeriodError
from cs_toolkit.reports import Redactor, ReportFailed, find_personal_data, run_report
from cs_toolkit.reports.inputs import fingerprint_frame
from cs_toolkit.store import Store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_redactor_removes_every_kind_of_personal_data():
    r = Redactor(names=["欧阳娜娜", "王伟", "李"])
    text = ("业主欧阳娜娜(13912345678, +86 139-1234-5678)邮箱 a.b@x.cn，身份证 11010519491231002X，"
            "座机 010-62345678，卡号 6222 0212 3456 7890 128；王伟 also; 李 stays")
    out = r.redact(text)
    assert find_personal_data(out, ["欧阳娜娜", "王伟"]) == []
    assert out.count("[PHONE]") == 3 and "[ID]" in out and "[EMAIL]" in out and "[BANK_CARD]" in out
    assert "李 stays" in out  # one-character names are not redacted (they would hit ordinary words)
    assert r.redact("2026-11-23") == "2026-11-23" and r.redact("NPS 12.5") == "NPS 12.5"


def write_inbox(root: Path, seed: int = 0) -> tuple[Path, Path]:
    inbox = root / "inbox"
    (inbox / "surveys").mkdir(parents=True)
    (inbox / "complaints").mkdir(parents=True)
    survey = demo.make_survey(seed=seed, start="2026-09-07", weeks=4)
    survey.data.to_csv(inbox / "surveys" / "s1.csv", index=False)
    cfg = inbox / "survey_config.yaml"
    cfg.write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
    log = demo.make_complaints(600, seed=seed, start="2026-09-01", weeks=5)
    log.to_csv(inbox / "complaints" / "c1.csv", index=False)
    return inbox, cfg


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    inbox, cfg = write_inbox(root)
    url = f"duckdb:///{root / 'store.duckdb'}"
    Store(url).ingest(inbox, cfg)
    return root, url, cfg


def test_report_runs_publishes_html_without_code_and_without_personal_data(store, tmp_path):
    root, store_dir, cfg = store
    names = Store(store_dir).read("complaints")["customer_name"].unique().tolist()
    result = run_report("monthly_complaints", "2026-09", parameters={"store": store_dir},
                        reports_dir=tmp_path, redact_names=names)
    assert result.folder == tmp_path / "monthly_complaints" / "2026-09"
    html = result.html.read_text(encoding="utf-8")
    assert "monthly_content(" not in html and "report_inputs(" not in html  # no code in what managers read
    assert "<table" in html and "data:image/png" in html
    published = html + result.notebook.read_text(encoding="utf-8")
    phones = Store(store_dir).read("complaints")["phone"].tolist()
    assert not any(p in published for p in phones)
    assert find_personal_data(published, names) == []
    meta = json.loads((result.folder / "run.json").read_text())
    assert meta["period"] == "2026-09" and meta["duration_seconds"] > 0 and meta["cs_toolkit_version"]
    weekly = run_report("weekly_satisfaction", "2026-09-14", parameters={"store": store_dir, "survey_config": str(cfg)},
                        reports_dir=tmp_path)
    assert "本期要点" in weekly.html.read_text(encoding="utf-8")  # Chinese by default


def test_weekly_report_shows_the_call_response_rate_of_a_call_systems_export(tmp_path):
    from cs_toolkit.demo.survey import CALL_RESULTS
    from cs_toolkit.reports import i18n

    survey = demo.make_survey(seed=4, start="2026-09-07", weeks=4, call_outcomes=True)
    inbox = tmp_path / "inbox"
    (inbox / "surveys").mkdir(parents=True)
    survey.export().to_csv(inbox / "surveys" / "calls.csv", index=False, encoding="gb18030")
    cfg = tmp_path / "survey.yaml"
    cfg.write_text(yaml.safe_dump(survey.config, allow_unicode=True), encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    summary = Store(url).ingest(inbox, cfg)
    assert summary.files[0]["kept"] == len(survey.data) + len(survey.attempts)
    assert len(Store(url).read("survey_attempts")) == len(survey.attempts)
    assert len(Store(url).read("surveys")) == len(survey.data)
    weekly = run_report("weekly_satisfaction", "2026-09-16", parameters={"store": url, "survey_config": str(cfg)},
                        reports_dir=tmp_path / "reports")
    html = weekly.html.read_text(encoding="utf-8")
    # RR1 of the week of 14 September, counted from the generated calls
    def in_week(frame):
        when = pd.to_datetime(frame["submitted_at"])
        return frame[(when >= "2026-09-14") & (when < "2026-09-21")]

    groups = in_week(survey.attempts)["call_result"].map(lambda v: CALL_RESULTS[v][0])
    interviews = len(in_week(survey.data))
    rate = 100 * interviews / (interviews + int((groups != "not_eligible").sum()))
    assert "回访成功率" in html and i18n.percent(rate) in html and "接通率" in html and "拒访率" in html


def test_failed_run_keeps_its_notebook_and_the_last_good_report(store, tmp_path):
    root, store_dir, cfg = store
    good = run_report("monthly_complaints", "2026-09", parameters={"store": store_dir}, reports_dir=tmp_path)
    before = good.html.read_bytes()
    with pytest.raises(ReportFailed, match="the last good report is unchanged") as info:
        run_report("monthly_complaints", "2026-09", parameters={"store": str(tmp_path / "no-such-store")},
                   reports_dir=tmp_path)
    assert good.html.read_bytes() == before
    failed = nbformat.read(info.value.failed_notebook, as_version=4)
    assert "FAILED" in failed.cells[0].source and "StoreError" in failed.cells[0].source
    assert info.value.report == "monthly_complaints" and info.value.period == "2026-09"
    assert not list((tmp_path / "monthly_complaints").glob(".staging-*"))


def test_timeout_and_dead_kernel_fail_cleanly(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    for name, code in (("slow", "import time\ntime.sleep(30)"), ("dies", "import os\nos._exit(1)")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("period = 'x'\noutput_dir = '.'"),
                                             nbformat.v4.new_code_cell(code)])
        nb.cells[0].metadata["tags"] = ["parameters"]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, templates / f"{name}.ipynb")
    with pytest.raises(ReportFailed) as slow:
        run_report("slow", "p1", reports_dir=tmp_path / "r", templates=templates, timeout=3)
    assert slow.value.failed_notebook.exists()
    with pytest.raises(ReportFailed) as dead:
        run_report("dies", "p1", reports_dir=tmp_path / "r", templates=templates, timeout=60)
    assert dead.value.failed_notebook.exists()
    assert not (tmp_path / "r" / "slow" / "p1").exists()


def test_two_reports_run_concurrently_in_threads(store, tmp_path):
    root, store_dir, cfg = store
    results, errors = {}, []

    def go(period):
        try:
            results[period] = run_report("monthly_complaints", period, parameters={"store": store_dir},
                                         reports_dir=tmp_path)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(p,)) for p in ("2026-09", "2026-10")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert "2026年9月" in results["2026-09"].html.read_text(encoding="utf-8")
    assert "2026年10月" in results["2026-10"].html.read_text(encoding="utf-8")


def test_main_job_through_prefect_in_an_empty_folder(tmp_path):
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    for name in ("PREFECT_API_URL", "PREFECT_HOME"):
        env.pop(name, None)
    import subprocess

    work = tmp_path / "empty"
    work.mkdir()
    cli = str(Path(sys.executable).with_name("cs-toolkit"))
    result = subprocess.run([cli, "demo", "--out", "job"], cwd=work, capture_output=True, text=True, env=env,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    job = work / "job"
    weekly = list((job / "reports" / "weekly_satisfaction").glob("*/weekly_satisfaction.html"))
    monthly = list((job / "reports" / "monthly_complaints").glob("*/monthly_complaints.html"))
    assert len(weekly) == 1 and len(monthly) == 1
    assert (job / ".prefect").is_dir()  # Prefect's home inside the job folder, not the user's
    log = Store(job / "data" / "cs_toolkit.duckdb").read("complaints")
    shared = weekly[0].read_text(encoding="utf-8") + monthly[0].read_text(encoding="utf-8")
    assert find_personal_data(shared, log["customer_name"].unique().tolist()) == []
    assert "weekly-satisfaction-" + weekly[0].parent.name in result.stdout + result.stderr  # run name shows the period


def test_report_run_command(store, tmp_path, capsys):
    from cs_toolkit.cli import main

    root, store_dir, cfg = store
    assert main(["report", "run", "weekly_satisfaction", "--period", "2026-09-23", "--store", store_dir,
                 "--survey-config", str(cfg), "--reports", str(tmp_path)]) == 0
    assert (tmp_path / "weekly_satisfaction" / "2026-09-21" / "weekly_satisfaction.html").exists()  # its Monday
    assert main(["report", "run", "monthly_complaints", "--period", "2026-09", "--store", str(tmp_path / "nothing"),
                 "--reports", str(tmp_path)]) == 2
    assert "failed" in capsys.readouterr().err
    assert main(["report", "run", "monthly_complaints", "--period", "../../escape", "--store", store_dir,
                 "--reports", str(tmp_path)]) == 2
    assert "is not a month" in capsys.readouterr().err and not (tmp_path.parent / "escape").exists()


def test_report_runs_leave_no_open_event_loop(store, tmp_path):
    import gc
    import warnings

    from cs_toolkit.cli import main

    root, store_dir, cfg = store
    args = ["report", "run", "weekly_satisfaction", "--period", "2026-09-23", "--store", store_dir,
            "--survey-config", str(cfg), "--reports", str(tmp_path)]
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert main(args) == 0
        in_thread = threading.Thread(target=main, args=(args,))  # as a Prefect task runs it
        in_thread.start()
        in_thread.join()
        # a run whose notebook fails closes its loop too
        assert main(["report", "run", "monthly_complaints", "--period", "2026-09", "--store", str(tmp_path / "none"),
                     "--reports", str(tmp_path)]) == 2
        gc.collect()
    unclosed = [str(w.message) for w in caught if "unclosed event loop" in str(w.message)]
    assert not unclosed, unclosed


def test_run_json_fingerprints_the_rows_the_report_read(store, tmp_path):
    root, url, cfg = store
    first = run_report("monthly_complaints", "2026-10", parameters={"store": url}, reports_dir=tmp_path)
    reads = first.metadata["inputs"]
    assert [r["table"] for r in reads] == ["complaints"]
    window = Store(url).read("complaints", period=(pd.Timestamp("2026-09-01"), pd.Timestamp("2026-11-01")))
    assert reads[0]["rows"] == len(window) and reads[0]["sha256"] == fingerprint_frame(window)
    assert json.loads((first.folder / "run.json").read_text())["data_fingerprint"] == first.metadata["data_fingerprint"]
    # a row outside the window changes nothing; a row inside changes the fingerprint
    store = Store(url)
    later = window.head(1).assign(complaint_id="LATER-1", created_at=pd.Timestamp("2026-12-05 10:00"))
    store.upsert("complaints", later, key="complaint_id")
    same = run_report("monthly_complaints", "2026-10", parameters={"store": url}, reports_dir=tmp_path)
    assert same.metadata["data_fingerprint"] == first.metadata["data_fingerprint"]
    store.upsert("complaints", window.head(1).assign(text="changed inside the window"), key="complaint_id")
    changed = run_report("monthly_complaints", "2026-10", parameters={"store": url}, reports_dir=tmp_path)
    assert changed.metadata["data_fingerprint"] != first.metadata["data_fingerprint"]


def test_periods_are_validated_before_they_touch_a_path(store, tmp_path):
    root, url, cfg = store
    for bad in ("../../escape", "2026-13", "2026/10", "2026-10-01"):
        with pytest.raises(PeriodError):
            run_report("monthly_complaints", bad, parameters={"store": url}, reports_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").rglob("*.ipynb"))


def test_every_notebook_in_notebooks_is_covered_and_research_runs(tmp_path):
    notebooks = sorted(p.relative_to(ROOT / "notebooks").as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb"))
    assert notebooks == ["reports/monthly_complaints.ipynb", "reports/weekly_satisfaction.ipynb",
                         "research/cfpb_complaint_handling.ipynb",
                         "research/ecsi_satisfaction_index.ipynb"]  # a new notebook needs a test that runs it
    data = ROOT.parent / "shared" / "data" / "complaints" / "cfpb" / "all_rows.csv.gz"
    if not data.exists():
        with pytest.raises(ReportFailed, match="CFPB data not found"):
            run_report("cfpb_complaint_handling", "study", reports_dir=tmp_path, templates=ROOT / "notebooks" / "research",
                       parameters={"data_path": str(data)})
        return
    result = run_report("cfpb_complaint_handling", "study", reports_dir=tmp_path,
                        templates=ROOT / "notebooks" / "research", parameters={"data_path": str(data)})
    html = result.html.read_text(encoding="utf-8")
    assert "Experian" in html and "Conclusions" in html
    with pytest.raises(ReportFailed, match="CFPB data not found"):
        run_report("cfpb_complaint_handling", "missing", reports_dir=tmp_path,
                   templates=ROOT / "notebooks" / "research", parameters={"data_path": str(tmp_path / "none.csv")})


def test_charts_draw_chinese_labels_without_missing_glyphs(tmp_path):
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from cs_toolkit.reports import charts

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for boxes
        fig = charts.bars(["翠湖苑", "锦江华府"], [12.0, -3.5], "各项目净推荐值 NPS", "分",
                          errors=([10.0, 6.5], [10.0, 6.5]))
        fig.savefig(tmp_path / "chart.png")
        charts.trend(["11/2", "11/9"], [1.0, 2.0], [0.0, 1.0], [2.0, 3.0], "趋势", "净推荐值").savefig(tmp_path / "t.png")
        charts.pareto(["渗漏", "噪音"], [5, 3], "投诉类别", "件数", "累计占比").savefig(tmp_path / "p.png")
    assert (tmp_path / "chart.png").stat().st_size > 1000
