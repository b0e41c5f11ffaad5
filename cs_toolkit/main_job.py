"""The main job on demo data, end to end in any folder: demo exports into the inbox, ingest into the
embedded store, both reports through Prefect's ephemeral mode, and the survey's score tables.

This is what ``cs-toolkit demo --out DIR`` (and ``./dev.sh demo``) runs.
"""

from __future__ import annotations

from pathlib import Path

from cs_toolkit.prefect_env import prepare_local_prefect, use_local_prefect


def run_demo(out: Path, seed: int = 0) -> dict[str, Path]:
    """Run the main job in ``out``; returns the files a user opens (the two HTML reports, the scores)."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    use_local_prefect(out)
    prepare_local_prefect(out)  # one process migrates Prefect's database, even when several start at once
    from cs_toolkit.flows.main_job import main_job
    from cs_toolkit.settings import load_settings
    from cs_toolkit.store import Store
    from cs_toolkit.survey.reader import as_config
    from cs_toolkit.survey.scores import score_survey

    reports = main_job(str(out), seed)
    settings = load_settings(root=out)
    store = Store(settings.store_url)
    for f in store.read("ingests").to_dict("records"):
        print(f"ingested {f['file']}: {f['rows_read']} rows read, {f['kept']} kept, {f['rejected']} rejected "
              f"(reasons in the store's rejected_rows table and {settings.inbox / 'rejected'})")
    cfg = as_config(settings.survey_config)
    report = score_survey(store.read("surveys"), cfg)
    files = {"weekly report": Path(reports["weekly"]), "monthly report": Path(reports["monthly"]),
             "scores": report.write(out / "scores.xlsx")[0]}
    overall = report.scores[report.scores["segment"] == "overall"].set_index("measure")
    nps, csat = overall.loc["NPS"], overall.loc["CSAT mean"]
    print(f"NPS {nps['estimate']:.1f} (95% CI {nps['ci_low']:.1f} to {nps['ci_high']:.1f}, n={nps['n']}); "
          f"CSAT {csat['estimate']:.2f} / 5 (SE {csat['se']:.3f})")
    for name, path in files.items():
        print(f"{name:>15}: {path}")
    return files
