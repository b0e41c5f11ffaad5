"""The main job on demo data: generate an export, read and validate it, score it, write the tables.

This is what ``./dev.sh demo`` (``cs-toolkit demo``) runs on a fresh machine.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cs_toolkit import demo
from cs_toolkit.survey.reader import read_survey
from cs_toolkit.survey.scores import score_survey


def run_demo(out: Path, seed: int = 0) -> dict[str, Path]:
    """Write a demo export (GB18030, Chinese headers, a few damaged rows), score it, return the files."""
    out = Path(out)
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    survey = demo.make_survey(seed=seed, labels="zh")
    export, _ = demo.add_export_noise(survey.data, survey.config, seed=seed)
    export_path = inbox / "售后满意度调查_export.csv"
    export.to_csv(export_path, index=False, encoding="gb18030")  # as Excel on Chinese Windows saves it
    config_path = inbox / "survey_config.yaml"
    config_path.write_text(yaml.safe_dump(survey.config, allow_unicode=True, sort_keys=False), encoding="utf-8")

    data = read_survey(export_path, config_path)
    s = data.summary()
    print(f"read {export_path}: {s['rows_read']} rows ({s['encoding']}), {s['rows_kept']} kept, "
          f"{s['rows_rejected']} rejected")
    report = score_survey(data)
    files = {"xlsx": report.write(out / "scores.xlsx")[0]}
    files["csv"] = report.write(out / "scores.csv")[0]
    rejected_path = out / "rejected_rows.csv"
    data.rejected_rows.to_csv(rejected_path, index=True, encoding="utf-8-sig")
    files["rejected"] = rejected_path

    overall = report.scores[report.scores["segment"] == "overall"].set_index("measure")
    nps = overall.loc["NPS"]
    csat = overall.loc["CSAT mean"]
    print(f"NPS {nps['estimate']:.1f} (95% CI {nps['ci_low']:.1f} to {nps['ci_high']:.1f}, n={nps['n']}); "
          f"CSAT {csat['estimate']:.2f} / 5 (SE {csat['se']:.3f})")
    significant = int(report.differences["significant"].sum()) if len(report.differences) else 0
    print(f"{significant} significant differences between segments/periods (design-based tests, Holm-adjusted)")
    for name, path in files.items():
        print(f"{name:>9}: {path.resolve()}")
    return files
