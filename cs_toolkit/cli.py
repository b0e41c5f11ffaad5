"""The ``cs-toolkit`` command line.

    cs-toolkit demo [--out DIR]                          the main job on generated demo data
    cs-toolkit survey score FILE --config CFG --out OUT.{csv,xlsx}
    cs-toolkit survey validate FILE --config CFG [--rejected REJECTED.csv]
    cs-toolkit survey crosstab FILE --config CFG --row COL --col COL --out OUT.xlsx
    cs-toolkit complaints train DATA --text COL --label COL [--multi-label --label-sep "|"] --model MODEL
    cs-toolkit complaints predict INPUT --text COL --out OUT.csv (--model MODEL | --taxonomy default|FILE)
    cs-toolkit complaints evaluate DATA --text COL --label COL --model MODEL
    cs-toolkit ingest [--inbox DIR] [--store URL] [--survey-config CFG]
    cs-toolkit report run NAME [--period PERIOD] [--store URL] [--reports DIR]
    cs-toolkit serve [--timezone Asia/Shanghai]      scheduled deployments, served locally
    cs-toolkit deployments [--write prefect.yaml]    deployments for a team's Prefect server
    cs-toolkit lab                                   JupyterLab on 127.0.0.1 with a token

Settings (paths, store, timezone, language) come from flags, CS_TOOLKIT_* variables, then cs_toolkit.toml.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cs_toolkit.errors import ConfigError, CSToolkitError


def _read(args):
    from cs_toolkit.survey.reader import read_survey

    return read_survey(args.file, args.config, encoding=args.encoding, delimiter=args.delimiter)


def _print_accounting(survey) -> None:
    s = survey.summary()
    print(f"{s['file']}: {s['rows_read']} rows read ({s['encoding'] or 'binary'}), "
          f"{s['rows_kept']} kept, {s['rows_rejected']} rejected")
    for note in survey.notes:
        print(f"  note: {note}")


def _write_rejected(survey, path: Path | None, default: Path) -> Path | None:
    if not len(survey.rejected_rows):
        return None
    target = path or default
    target.parent.mkdir(parents=True, exist_ok=True)
    survey.rejected_rows.to_csv(target, index=True, encoding="utf-8-sig")  # the rows as read, with reasons
    return target


def cmd_survey_score(args) -> int:
    from cs_toolkit.survey.scores import score_survey

    survey = _read(args)
    _print_accounting(survey)
    report = score_survey(survey)
    out = Path(args.out)
    written = report.write(out)
    rejected = _write_rejected(survey, args.rejected, out.with_name(f"{out.stem}_rejected_rows.csv"))
    for path in written:
        print(f"wrote {path}")
    if rejected:
        print(f"rejected rows as read, with reasons: {rejected}")
    return 0


def cmd_survey_validate(args) -> int:
    survey = _read(args)
    _print_accounting(survey)
    if len(survey.rejected):
        print(survey.rejected.to_string(index=False, max_rows=50))
    rejected = _write_rejected(survey, args.rejected, Path(f"{Path(args.file).stem}_rejected_rows.csv"))
    if rejected:
        print(f"rejected rows and reasons: {rejected}")
    return 0


def cmd_survey_crosstab(args) -> int:
    from cs_toolkit.survey.crosstab import crosstab

    survey = _read(args)
    _print_accounting(survey)
    ct = crosstab(survey.data, args.row, args.col, weights=survey.config.weights)
    print(ct.table().to_string())
    print(ct.test)
    if args.out:
        print(f"wrote {ct.to_excel(args.out)}")
    return 0


def _complaint_table(path, text: str, label: str | None = None):
    from cs_toolkit.io.tables import read_table

    table = read_table(path)
    table.require([text, label], "named on the command line")
    return table


def _labels(series, multi_label: bool, sep: str):
    if multi_label:
        return [[p.strip() for p in str(v).split(sep) if p.strip()] for v in series]
    return [str(v).strip() for v in series]


def cmd_complaints_train(args) -> int:
    from cs_toolkit.complaints import ComplaintClassifier, load_taxonomy, save_model
    from cs_toolkit.complaints.persist import fingerprint
    from cs_toolkit.complaints.text import normalize

    table = _complaint_table(args.data, args.text, args.label)
    frame = table.frame
    has_label = frame[args.label].fillna("").astype(str).str.strip() != ""
    has_text = frame[args.text].map(normalize) != ""
    usable = has_label & has_text
    texts = frame.loc[usable, args.text].tolist()
    labels = _labels(frame.loc[usable, args.label], args.multi_label, args.label_sep)
    print(f"{args.data}: {table.rows_read} rows read ({table.encoding}); training on {int(usable.sum())}; "
          f"left out: {int((~has_label).sum())} without a label, {int((has_label & ~has_text).sum())} with empty text, "
          f"{len(table.malformed)} malformed")
    model = ComplaintClassifier(multi_label=args.multi_label, use_jieba=args.jieba,
                                review_precision=args.review_precision).fit(texts, labels)
    taxonomy_version = load_taxonomy(args.taxonomy).version if args.taxonomy else None
    counts = {}
    for y in labels:
        for lab in (y if args.multi_label else [y]):
            counts[lab] = counts.get(lab, 0) + 1
    rare = sorted(k for k, v in counts.items() if v < 3)
    path = save_model(model, args.model, taxonomy_version=taxonomy_version,
                      training_fingerprint=fingerprint(texts, labels), training_rows=len(texts),
                      metrics={"label_counts": counts}, label_sep=args.label_sep)
    print(f"{len(model.classes_)} categories; review threshold {model.review_threshold_:.3f} "
          f"(out-of-fold precision {model.oof_precision_:.3f} on {100 * model.oof_coverage_:.0f}% of texts)")
    if rare:
        print(f"categories with fewer than 3 examples (expect little from them): {rare}")
    print(f"model written to {path}")
    return 0


def cmd_complaints_predict(args) -> int:
    import pandas as pd

    from cs_toolkit.complaints import categorise, load_model, load_taxonomy

    if (args.model is None) == (args.taxonomy is None) and not (args.model and args.taxonomy):
        raise ConfigError("give --model MODEL (a trained model) or --taxonomy default|FILE (keyword rules)")
    table = _complaint_table(args.input, args.text)
    escalation = {k: getattr(args, k) for k in ("customer", "created", "responded") if getattr(args, k)}
    if args.sla_hours is not None:
        escalation["sla_hours"] = args.sla_hours
    if args.model:
        taxonomy_version = load_taxonomy(args.taxonomy).version if args.taxonomy else None
        model, card = load_model(args.model, taxonomy_version=taxonomy_version)
        out = categorise(table.frame, args.text, model=model, label_sep=card.get("label_sep", "|"), **escalation)
    else:
        out = categorise(table.frame, args.text, taxonomy=load_taxonomy(args.taxonomy), **escalation)
    if len(table.malformed):
        bad = pd.DataFrame(index=pd.Index(table.malformed["row"], name="row"), columns=out.columns)
        bad["needs_review"] = True
        bad["review_reason"] = ("malformed record: " + table.malformed["reason"]).to_numpy()
        out = pd.concat([out, bad]).sort_index()
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    out.to_csv(tmp, index=False, encoding="utf-8-sig")
    tmp.replace(out_path)
    flags = [c for c in out.columns if c.startswith("escalate_")]
    print(f"{table.rows_read} rows in, {len(out)} rows out; {int(out['needs_review'].fillna(True).astype(bool).sum())} "
          f"to review; escalations: " + ", ".join(f"{c[9:]} {int(out[c].fillna(False).astype(bool).sum())}" for c in flags))
    print(f"wrote {out_path}")
    return 0


def cmd_complaints_evaluate(args) -> int:
    from cs_toolkit.complaints import evaluation_table, load_model

    model, card = load_model(args.model)
    sep = args.label_sep or card.get("label_sep", "|")
    table = _complaint_table(args.data, args.text, args.label)
    frame = table.frame
    has_label = frame[args.label].fillna("").astype(str).str.strip() != ""
    texts = frame.loc[has_label, args.text].fillna("").tolist()
    truth = _labels(frame.loc[has_label, args.label], model.multi_label, sep)
    pred = model.predict_with_confidence(texts)["category"].tolist()
    if model.multi_label:
        pred = [p.split("|") for p in pred]
        seen = {lab for y in truth for lab in y}
    else:
        seen = set(truth)
    unseen = sorted(seen - set(model.classes_))
    result = evaluation_table(truth, pred, multi_label=model.multi_label)
    print(f"{args.data}: {int(has_label.sum())} labelled rows evaluated ({int((~has_label).sum())} without a label skipped)")
    if unseen:
        print(f"labels the model never saw in training (always wrong): {unseen}")
    print(result.round(3).to_string())
    return 0


def _settings(args):
    from cs_toolkit.settings import load_settings

    fields = {"root": "root", "inbox": "inbox", "store": "store", "reports": "reports",
              "survey_config": "survey_config", "timezone": "timezone", "model": "model",
              "cell_timeout": "cell_timeout"}
    return load_settings(**{field: getattr(args, attr, None) for field, attr in fields.items()})


def cmd_ingest(args) -> int:
    from cs_toolkit.store import Store

    settings = _settings(args)
    store = Store(settings.store_url)
    summary = store.ingest(settings.inbox, settings.survey_config)
    if not summary.files:
        print(f"{settings.inbox}: no exports waiting in surveys/ or complaints/")
    for f in summary.files:
        print(f"{f['kind']:>10} {f['file']}: {f['status']}; read {f['rows_read']}, kept {f['kept']}, rejected "
              f"{f['rejected']}, added {f['added']}, replaced {f['replaced']}"
              + (f" ({f['reason']})" if f["status"] == "rejected" else ""))
    print(f"store: {store}")
    return 1 if any(f["status"] == "rejected" for f in summary.files) else 0


def cmd_report_run(args) -> int:
    from cs_toolkit.reports.jobs import run_registered_report

    result = run_registered_report(args.name, args.period, _settings(args))
    print(f"published {result.html} (period {result.period}; data fingerprint {result.metadata['data_fingerprint']})")
    return 0


def cmd_deployments(args) -> int:
    import yaml

    from cs_toolkit.reports.registry import PREFECT_YAML_HEADER, prefect_yaml

    text = PREFECT_YAML_HEADER + yaml.safe_dump(prefect_yaml(_settings(args).timezone), sort_keys=False,
                                                allow_unicode=True)
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
    else:
        print(text, end="")
    return 0


def cmd_serve(args) -> int:
    settings = _settings(args)
    from cs_toolkit.prefect_env import prepare_local_prefect, use_local_prefect

    use_local_prefect(settings.root)
    prepare_local_prefect(settings.root)
    from cs_toolkit.flows.serve import serve_all

    serve_all(settings)
    return 0


def cmd_lab(args) -> int:
    import os
    import secrets
    import subprocess

    root = _settings(args).root
    token = args.token or secrets.token_urlsafe(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(root / ".jupyter" / "runtime")}
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={args.port}", "--no-browser",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    print(f"JupyterLab: http://127.0.0.1:{args.port}/lab?token={token}")
    return subprocess.call(cmd, env=env)


def cmd_demo(args) -> int:
    from cs_toolkit.main_job import run_demo

    run_demo(Path(args.out), seed=args.seed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from cs_toolkit import __version__

    parser = argparse.ArgumentParser(prog="cs-toolkit", description="Customer-satisfaction research toolkit.")
    parser.add_argument("--version", action="version", version=f"cs-toolkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)

    def where(p, *names):
        """Settings flags (they override CS_TOOLKIT_* variables and cs_toolkit.toml)."""
        p.add_argument("--root", help="project folder (default: the working folder)")
        helps = {"inbox": "folder of waiting exports", "store": "store URL or DuckDB file",
                 "reports": "folder reports are published to", "survey_config": "survey scoring configuration (YAML)",
                 "timezone": "IANA timezone", "model": "complaint model file"}
        for name in names:
            flag = "--" + name.replace("_", "-")
            extra = ("--config",) if name == "survey_config" else ()
            p.add_argument(flag, *extra, dest=name, help=helps[name])

    demo = sub.add_parser("demo", help="run the main job end to end on generated demo data")
    demo.add_argument("--out", default="demo_output", help="project folder to create (default: demo_output)")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=cmd_demo)

    survey = sub.add_parser("survey", help="read, validate and score survey exports")
    survey_sub = survey.add_subparsers(dest="survey_command", required=True)

    def common(p):
        p.add_argument("file", help="survey export: CSV/TSV/XLSX/SAV/Parquet")
        p.add_argument("--config", required=True, help="scoring configuration (YAML)")
        p.add_argument("--encoding", help="text encoding (detected when omitted)")
        p.add_argument("--delimiter", help="field delimiter (sniffed when omitted)")

    score = survey_sub.add_parser("score", help="score an export as its configuration says")
    common(score)
    score.add_argument("--out", required=True, help="OUT.csv or OUT.xlsx")
    score.add_argument("--rejected", type=Path, help="where to write rejected rows (default: beside OUT)")
    score.set_defaults(func=cmd_survey_score)

    validate = survey_sub.add_parser("validate", help="check an export and list rejected rows")
    common(validate)
    validate.add_argument("--rejected", type=Path)
    validate.set_defaults(func=cmd_survey_validate)

    ct = survey_sub.add_parser("crosstab", help="crosstab with column-comparison letters")
    common(ct)
    ct.add_argument("--row", required=True)
    ct.add_argument("--col", required=True)
    ct.add_argument("--out", help="OUT.xlsx")
    ct.set_defaults(func=cmd_survey_crosstab)

    ingest = sub.add_parser("ingest", help="ingest waiting exports from the inbox into the store")
    where(ingest, "inbox", "store", "survey_config")
    ingest.set_defaults(func=cmd_ingest)

    serve_p = sub.add_parser("serve", help="serve the scheduled deployments (Prefect serve)")
    where(serve_p, "store", "reports", "timezone")
    serve_p.set_defaults(func=cmd_serve)
    deploy = sub.add_parser("deployments", help="print (or --write) prefect.yaml for a team's Prefect server")
    where(deploy, "timezone")
    deploy.add_argument("--write", help="file to write, e.g. prefect.yaml")
    deploy.set_defaults(func=cmd_deployments)
    lab = sub.add_parser("lab", help="open JupyterLab on 127.0.0.1 in the project folder, with a token")
    where(lab)
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--token", help="access token (random when omitted)")
    lab.set_defaults(func=cmd_lab)

    report = sub.add_parser("report", help="run report notebooks")
    rsub = report.add_subparsers(dest="report_command", required=True)
    run = rsub.add_parser("run", help="execute a registered report for a period and publish it")
    run.add_argument("name", help="weekly_satisfaction or monthly_complaints")
    run.add_argument("--period", help="a day of the week (2026-11-16) or a month (2026-11); default: the last "
                                      "complete one")
    where(run, "store", "reports", "survey_config", "model", "timezone")
    run.add_argument("--timeout", dest="cell_timeout", type=int, help="seconds any one cell may run")
    run.set_defaults(func=cmd_report_run)

    complaints = sub.add_parser("complaints", help="categorise complaints (train, predict, evaluate)")
    csub = complaints.add_subparsers(dest="complaints_command", required=True)
    train = csub.add_parser("train", help="train a categoriser on labelled complaints")
    train.add_argument("data")
    train.add_argument("--text", required=True)
    train.add_argument("--label", required=True)
    train.add_argument("--multi-label", action="store_true")
    train.add_argument("--label-sep", default="|")
    train.add_argument("--model", required=True, help="model file to write")
    train.add_argument("--jieba", action="store_true", help="add jieba words for Chinese (slower to predict)")
    train.add_argument("--taxonomy", help="taxonomy whose version the labels follow (default|FILE)")
    train.add_argument("--review-precision", type=float, default=0.9)
    train.set_defaults(func=cmd_complaints_train)
    predict = csub.add_parser("predict", help="categorise complaints and flag escalations")
    predict.add_argument("input")
    predict.add_argument("--text", required=True)
    predict.add_argument("--out", required=True)
    predict.add_argument("--model")
    predict.add_argument("--taxonomy", help="default or a taxonomy YAML (rules; with --model: version check)")
    predict.add_argument("--customer", help="customer id column (repeat complainants)")
    predict.add_argument("--created", help="creation time column (SLA, repeat window)")
    predict.add_argument("--responded", help="first response time column (SLA)")
    predict.add_argument("--sla-hours", type=float)
    predict.set_defaults(func=cmd_complaints_predict)
    evaluate = csub.add_parser("evaluate", help="evaluate a model on labelled complaints")
    evaluate.add_argument("data")
    evaluate.add_argument("--text", required=True)
    evaluate.add_argument("--label", required=True)
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--label-sep")
    evaluate.set_defaults(func=cmd_complaints_evaluate)
    return parser


def _redacted(exc: BaseException) -> str:
    """The error's message without personal data: it reaches terminals and job logs."""
    from cs_toolkit.reports.redact import Redactor

    return Redactor().redact(str(exc))


def main(argv: list[str] | None = None) -> int:
    from cs_toolkit.progress import configure_logging

    args = build_parser().parse_args(argv)
    if args.command not in ("demo", "serve"):  # under Prefect, Prefect's handlers print our records
        configure_logging()
    try:
        return args.func(args)
    except CSToolkitError as exc:
        if args.debug:
            raise
        print(f"error: {_redacted(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # not ours: still no traceback for the user, but a way to get one
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {_redacted(exc)} (run again with --debug for the "
              f"traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
