"""The ``cs-toolkit`` command line.

    cs-toolkit demo [--out DIR]                          the main job on generated demo data
    cs-toolkit survey score FILE --config CFG --out OUT.{csv,xlsx}
    cs-toolkit survey validate FILE --config CFG [--rejected REJECTED.csv]
    cs-toolkit survey crosstab FILE --config CFG --row COL --col COL --out OUT.xlsx
    cs-toolkit complaints train DATA --text COL --label COL [--label-sep "|"] --model MODEL [--register]
    cs-toolkit complaints train --from-store [--label COL]     retrain on the reviewed labels; registry promotes
    cs-toolkit complaints review export [--period 2026-11 | --predictions FILE] [--out QUEUE.xlsx]
    cs-toolkit complaints review import QUEUE.xlsx           corrections into the store's labelled set
    cs-toolkit complaints models list|promote ID|rollback    the model registry (<root>/models)
    cs-toolkit forum check [--days 2]                        alert on post volume spikes and P1 posts (舆情)
    cs-toolkit forum report [--period 2026-11] [--out F.xlsx]   the monthly forum tables
    cs-toolkit complaints predict INPUT --text COL --out OUT.csv (--model MODEL | --taxonomy default|FILE)
    cs-toolkit complaints evaluate DATA --text COL --label COL --model MODEL [--parent-sep .]
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
          f"{s['rows_kept']} kept, " + (f"{s['rows_not_interviewed']} calls without an interview (not scored), "
                                        if s["rows_not_interviewed"] else "") + f"{s['rows_rejected']} rejected")
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
    from cs_toolkit.survey.scores import design_from_config, prepare

    survey = _read(args)
    _print_accounting(survey)
    # letters from design-based tests: weights, strata and clusters as the configuration declares them
    design = design_from_config(prepare(survey.data, survey.config), survey.config)
    top = max(survey.config.top_box, 1)
    spec = survey.config.items.get(args.row)
    nets = None
    if spec is not None:
        nets = {f"top-{top}": list(range(spec.high - top + 1, spec.high + 1)),
                f"bottom-{top}": list(range(spec.low, spec.low + top))}
    ct = design.crosstab(args.row, args.col, nets=nets)
    print(ct.table().to_string())
    print(ct.test)
    if args.out:
        print(f"wrote {ct.to_excel(args.out)}")
    return 0


def _complaint_table(path, text: str, label: str | None = None):
    """The table, with ``text`` naming one column or several joined by "+" (``留言主题+留言详情``: a title and
    its body, read as one text with a line break between them; ``frame.attrs["joined_text"]`` is then set)."""
    from cs_toolkit.io.tables import read_table

    table = read_table(path)
    parts = _text_columns(list(table.frame.columns), text)
    table.require([*parts, label], "named on the command line")
    if len(parts) > 1:
        columns = [table.frame[p].fillna("").astype(str).str.strip() for p in parts]
        joined = columns[0]
        for column in columns[1:]:
            joined = joined.str.cat(column, sep="\n").str.strip()
        table.frame[text] = joined
        table.frame.attrs["joined_text"] = text
    return table


def _text_columns(present: list[str], text: str | None) -> list:
    """The columns ``text`` names: itself, or the parts between "+" (a column whose name has "+" in it
    still counts as one: the longest run of parts that names a column is taken first)."""
    if text is None or text in present:
        return [text]
    parts, out, i = text.split("+"), [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            if "+".join(parts[i:j]).strip() in present:
                out.append("+".join(parts[i:j]).strip())
                i = j
                break
        else:  # no column: named as missing by the caller
            out.append(parts[i].strip())
            i += 1
    return out


def _labels(series, multi_label: bool, sep: str):
    if multi_label:
        return [[p.strip() for p in str(v).split(sep) if p.strip()] for v in series]
    return [str(v).strip() for v in series]


def _multi_label_choice(args, raw_labels) -> bool:
    """``--multi-label`` or ``--single-label`` as given; otherwise multi-label when the separator joins
    labels in at least 1% of the rows (and two of them): "engine|brakes" is two labels, not one."""
    if args.multi_label is not None:
        return args.multi_label
    joined = sum(args.label_sep in str(v) for v in raw_labels)
    if joined >= max(2, 0.01 * len(raw_labels)):
        print(f"{joined} of {len(raw_labels)} labels hold {args.label_sep!r}: training a multi-label model "
              f"(give --single-label to keep them as whole labels)")
        return True
    return False


def _label_counts(labels, multi_label: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for y in labels:
        for lab in (y if multi_label else [y]):
            counts[lab] = counts.get(lab, 0) + 1
    return counts


def _registry(args):
    from cs_toolkit.complaints.registry import ModelRegistry

    return ModelRegistry.for_root(_settings(args).root)


def _register(args, model, texts, labels, taxonomy_version, counts, source: str) -> None:
    entry = _registry(args).register(model, texts, labels, cv=args.cv, promote="never" if args.no_promote else "auto",
                                     taxonomy_version=taxonomy_version, label_sep=args.label_sep, source=source,
                                     metrics={"label_counts": counts})
    cv = entry.evaluation["cross_validation"]
    print(f"registered model {entry.id}: cross-validated macro-F1 {cv['macro_f1']:.3f}, micro-F1 "
          f"{cv['micro_f1']:.3f} ({cv['folds']} folds)")
    print(("promoted: " if entry.promoted else "not promoted: ") + entry.reason)


def cmd_complaints_train(args) -> int:
    from cs_toolkit.complaints import ComplaintClassifier, load_taxonomy, save_model
    from cs_toolkit.complaints.persist import fingerprint
    from cs_toolkit.complaints.text import normalize

    if args.from_store:
        return _train_from_store(args)
    if not args.data or not args.text or not args.label:
        raise ConfigError("give a labelled file with DATA --text COL --label COL, or train on the store's labelled "
                          "complaints with --from-store")
    if not args.model and not args.register:
        raise ConfigError("give --model MODEL (the file to write) and/or --register (keep the model in the "
                          "project's model registry)")
    table = _complaint_table(args.data, args.text, args.label)
    frame = table.frame
    has_label = frame[args.label].fillna("").astype(str).str.strip() != ""
    has_text = frame[args.text].map(normalize) != ""
    usable = has_label & has_text
    texts = frame.loc[usable, args.text].tolist()
    args.multi_label = _multi_label_choice(args, frame.loc[usable, args.label].tolist())
    labels = _labels(frame.loc[usable, args.label], args.multi_label, args.label_sep)
    encoding = f" ({table.encoding})" if table.encoding else ""  # workbooks have none
    print(f"{args.data}: {table.rows_read} rows read{encoding}; training on {int(usable.sum())}; "
          f"left out: {int((~has_label).sum())} without a label, {int((has_label & ~has_text).sum())} with empty text, "
          f"{len(table.malformed)} malformed")
    model = ComplaintClassifier(multi_label=args.multi_label, use_jieba=args.jieba,
                                review_precision=args.review_precision).fit(texts, labels)
    taxonomy_version = load_taxonomy(args.taxonomy).version if args.taxonomy else None
    counts = _label_counts(labels, args.multi_label)
    rare = sorted(k for k, v in counts.items() if v < 3)
    path = None
    if args.model:
        path = save_model(model, args.model, taxonomy_version=taxonomy_version,
                          training_fingerprint=fingerprint(texts, labels), training_rows=len(texts),
                          metrics={"label_counts": counts}, label_sep=args.label_sep)
    print(f"{len(model.classes_)} categories; review threshold {model.review_threshold_:.3f} "
          f"(out-of-fold precision {model.oof_precision_:.3f} on {100 * model.oof_coverage_:.0f}% of texts)")
    if rare:
        print(f"categories with fewer than 3 examples (expect little from them): {rare}")
    if path is not None:
        print(f"model written to {path}")
    if args.register:
        _register(args, model, texts, labels, taxonomy_version, counts, source=Path(args.data).name)
    return 0


def _train_from_store(args) -> int:
    from cs_toolkit.complaints import ComplaintClassifier, load_taxonomy, save_model
    from cs_toolkit.complaints.persist import fingerprint
    from cs_toolkit.complaints.review import labelled_set
    from cs_toolkit.store import Store

    if args.data:
        raise ConfigError("--from-store trains on the store's labelled complaints: give no DATA file")
    settings = _settings(args)
    store = Store(settings.store_url)
    found = labelled_set(store, text=args.text or "text", label_column=args.label)
    for note in found.notes:
        print(note)
    args.multi_label = _multi_label_choice(args, found.frame["label"].tolist())
    texts, labels = found.texts, found.labels(args.multi_label, args.label_sep)
    if not texts:
        raise ConfigError(f"{store}: no labelled complaints to train on; import a reviewed queue "
                          f"(cs-toolkit complaints review import FILE) or name a label column with --label")
    model = ComplaintClassifier(multi_label=args.multi_label, use_jieba=args.jieba,
                                review_precision=args.review_precision).fit(texts, labels)
    taxonomy_version = load_taxonomy(args.taxonomy).version if args.taxonomy else None
    counts = _label_counts(labels, args.multi_label)
    print(f"{len(model.classes_)} categories from {len(texts)} labelled complaints")
    if args.model:
        path = save_model(model, args.model, taxonomy_version=taxonomy_version,
                          training_fingerprint=fingerprint(texts, labels), training_rows=len(texts),
                          metrics={"label_counts": counts}, label_sep=args.label_sep)
        print(f"model written to {path}")
    _register(args, model, texts, labels, taxonomy_version, counts, source="store")
    return 0


def _review_model(args, settings):
    """The model a review queue is made with: --model, else the settings' model, else the registry's current
    one; None means the taxonomy's rules."""
    from cs_toolkit.complaints import load_model
    from cs_toolkit.complaints.registry import current_model_path

    path = args.model_file or settings.model or current_model_path(settings.root)
    if path is None:
        return None, None
    model, card = load_model(path)
    return model, (card.get("metrics") or {}).get("registry_id") or str(path)


def cmd_complaints_review_export(args) -> int:
    import datetime as dt

    from cs_toolkit.complaints import load_taxonomy
    from cs_toolkit.complaints.review import (
        allowed_categories,
        queue_from_predictions,
        queue_from_store,
        write_review_workbook,
    )

    settings = _settings(args)
    taxonomy = load_taxonomy(args.taxonomy or "default")
    model, model_name = _review_model(args, settings)
    if args.predictions:
        queue = queue_from_predictions(args.predictions, text=args.text, id_column=args.id, taxonomy=taxonomy,
                                       language=settings.language, limit=args.limit)
        origin, label = f"predictions file {args.predictions}", Path(args.predictions).stem
    else:
        from cs_toolkit.periods import parse_period
        from cs_toolkit.store import Store

        period = parse_period(args.period, "month") if args.period else None
        store = Store(settings.store_url)
        queue = queue_from_store(store, period, model=model, taxonomy=taxonomy, text=args.text,
                                 label_column=args.label, language=settings.language,
                                 sla_hours=settings.sla_hours, limit=args.limit)
        origin, label = f"store {store} ({period.label if period else 'all complaints'})", \
            (period.label if period else "all")
    out = Path(args.out) if args.out else settings.restricted / "review" / f"complaints_review_{label}.xlsx"
    categories = allowed_categories(taxonomy, getattr(model, "classes_", None), settings.language)
    about = {"source": origin, "model": model_name or f"taxonomy rules ({taxonomy.version})",
             "taxonomy_version": taxonomy.version, "rows": len(queue),
             "written": dt.datetime.now().isoformat(timespec="seconds")}
    write_review_workbook(queue, out, categories=categories, about=about, language=settings.language)
    pinned = int((queue["escalation_level"] == "P1").sum()) if "escalation_level" in queue else 0
    print(f"{len(queue)} complaints to review ({pinned} safety cases first, then the smallest margins) from {origin}")
    print(f"wrote {out}")
    return 0


def cmd_complaints_review_import(args) -> int:
    from cs_toolkit.complaints import load_taxonomy
    from cs_toolkit.complaints.review import allowed_categories, import_review
    from cs_toolkit.store import Store

    settings = _settings(args)
    taxonomy = load_taxonomy(args.taxonomy or "default")
    model, model_name = _review_model(args, settings)
    allowed = allowed_categories(taxonomy, getattr(model, "classes_", None), settings.language)
    store = Store(settings.store_url)
    # a multi-label model's queue is corrected with several categories per row, without being told again
    multi_label = args.multi_label or bool(getattr(model, "multi_label", False))
    result = import_review(store, args.file, allowed=allowed, who=args.who, text=args.text,
                           multi_label=multi_label, label_sep=args.label_sep)
    print(result.summary())
    if len(result.refused):
        print("refused rows (nothing of them was imported; fix them and import the file again):")
        print(result.refused.to_string(index=False, max_rows=50, max_colwidth=120))
        target = Path(args.file).with_name(Path(args.file).stem + "_refused_rows.csv")
        result.refused.to_csv(target, index=False, encoding="utf-8-sig")
        print(f"refused rows and reasons: {target}")
    if len(result.accepted):
        print("retrain with: cs-toolkit complaints train --from-store")
    return 1 if len(result.refused) else 0


def cmd_complaints_models(args) -> int:
    import pandas as pd

    registry = _registry(args)
    if args.models_command == "list":
        table = registry.list()
        if table.empty:
            print(f"{registry.folder}: no models yet (cs-toolkit complaints train --from-store, or train --register)")
            return 0
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
            print(table.drop(columns=["source"]).round(3).to_string(index=False))
        print(f"current model file: {registry.current_path()}")
    elif args.models_command == "promote":
        print(registry.promote(args.id, force=args.force))
    else:
        print(registry.rollback())
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
    if table.frame.attrs.get("joined_text"):  # the joined text is not a column of the export
        out = out.drop(columns=[args.text], errors="ignore")
    if len(table.malformed):
        bad = pd.DataFrame(index=pd.Index(table.malformed["row"], name="row"), columns=out.columns)
        bad["needs_review"] = True
        bad["review_reason"] = ("malformed record: " + table.malformed["reason"]).to_numpy()
        bad["malformed_record"] = table.malformed["raw"].to_numpy()  # the id is in here, unsplit
        out = pd.concat([out, bad]).sort_index()
    out.insert(0, "source_row", out.index.to_numpy())  # the Excel row number of every output row
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
    if args.parent_sep:
        def parent(label: str) -> str:
            return label.split(args.parent_sep, 1)[0].strip()

        if model.multi_label:
            up = [sorted({parent(v) for v in y}) for y in truth], [sorted({parent(v) for v in y}) for y in pred]
        else:
            up = [parent(v) for v in truth], [parent(v) for v in pred]
        parents = evaluation_table(*up, multi_label=model.multi_label)
        print(f"\nparent level (labels cut at the first {args.parent_sep!r}):")
        print(parents.round(3).to_string())
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
    summary = store.ingest(settings.inbox, settings.survey_config, timezone=settings.timezone)
    if not summary.files:
        print(f"{settings.inbox}: no exports waiting in surveys/, complaints/ or posts/")
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
    prepare_local_prefect(settings.root, own_session=True)
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
    train = csub.add_parser("train", help="train a categoriser on labelled complaints (a file, or the store)")
    train.add_argument("data", nargs="?", help="labelled complaints (CSV/XLSX...); omit with --from-store")
    train.add_argument("--text", help="text column of DATA, or columns joined by + (title+body); with "
                                      "--from-store: the store's text column (default text)")
    train.add_argument("--label", help="label column (with --from-store: an optional column of the complaints "
                                       "table whose labels the reviewed ones override)")
    train.add_argument("--multi-label", action="store_true", default=None,
                       help="several categories per complaint, joined by --label-sep (default: so when the "
                            "separator joins labels in 1%% of the rows)")
    train.add_argument("--single-label", dest="multi_label", action="store_false",
                       help="one category per complaint, even when labels hold the separator")
    train.add_argument("--label-sep", default="|")
    train.add_argument("--model", help="model file to write")
    train.add_argument("--from-store", action="store_true",
                       help="train on the store's complaints joined with their reviewed labels; the model goes to "
                            "the registry and is promoted when it is not worse than the current one")
    train.add_argument("--register", action="store_true", help="keep the model in the project's registry too")
    train.add_argument("--no-promote", action="store_true", help="keep the model in the registry without promoting it")
    train.add_argument("--cv", type=int, default=5, help="folds of the registry's cross-validation (default 5)")
    where(train, "store")
    train.add_argument("--jieba", action="store_true", help="add jieba words for Chinese (slower to predict)")
    train.add_argument("--taxonomy", help="taxonomy whose version the labels follow (default|FILE)")
    train.add_argument("--review-precision", type=float, default=0.9)
    train.set_defaults(func=cmd_complaints_train)
    predict = csub.add_parser("predict", help="categorise complaints and flag escalations")
    predict.add_argument("input")
    predict.add_argument("--text", required=True, help="text column, or columns joined by + (title+body)")
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
    evaluate.add_argument("--text", required=True, help="text column, or columns joined by + (title+body)")
    evaluate.add_argument("--label", required=True)
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--label-sep")
    evaluate.add_argument("--parent-sep", help="also evaluate the parent level: a label's parent is its text before "
                                               "this separator (\".\" for the default taxonomy's quality.leak)")
    evaluate.set_defaults(func=cmd_complaints_evaluate)

    review = csub.add_parser("review", help="the review queue: export it to Excel, import the corrections")
    rvsub = review.add_subparsers(dest="review_command", required=True)
    rexport = rvsub.add_parser("export", help="write the review queue (most valuable to the model first) as .xlsx")
    rexport.add_argument("--period", help="month of the complaints to review (2026-11); default: all in the store")
    rexport.add_argument("--predictions", help="a predictions file of `complaints predict` instead of the store")
    rexport.add_argument("--out", help="workbook to write (default: RESTRICTED/review/complaints_review_PERIOD.xlsx)")
    rexport.add_argument("--text", default="text", help="text column (default text)")
    rexport.add_argument("--id", default="complaint_id", help="id column of a predictions file")
    rexport.add_argument("--label", help="a column of the complaints table with labels (rows whose label "
                                         "disagrees with the model join the queue)")
    rexport.add_argument("--limit", type=int, default=500, help="at most this many rows (default 500)")
    rexport.add_argument("--model", dest="model_file", help="model file (default: the settings' model, else the "
                                                             "registry's current model, else the taxonomy's rules)")
    rexport.add_argument("--taxonomy", help="default or a taxonomy YAML (the categories to choose from)")
    where(rexport, "store")
    rexport.set_defaults(func=cmd_complaints_review_export)
    rimport = rvsub.add_parser("import", help="read a reviewed queue into the store's labelled set")
    rimport.add_argument("file", help="the reviewed .xlsx")
    rimport.add_argument("--who", help="reviewer recorded where the sheet names none (default: your user name)")
    rimport.add_argument("--text", default="text")
    rimport.add_argument("--multi-label", action="store_true",
                         help="several categories per row (the default when the review model is multi-label)")
    rimport.add_argument("--label-sep", default="|")
    rimport.add_argument("--model", dest="model_file", help="model whose categories are also accepted")
    rimport.add_argument("--taxonomy", help="default or a taxonomy YAML (the categories accepted)")
    where(rimport, "store")
    rimport.set_defaults(func=cmd_complaints_review_import)

    models = csub.add_parser("models", help="the model registry: list, promote, rollback")
    msub = models.add_subparsers(dest="models_command", required=True)
    mlist = msub.add_parser("list", help="every kept model with its evaluation and status")
    where(mlist)
    mlist.set_defaults(func=cmd_complaints_models)
    mpromote = msub.add_parser("promote", help="make a kept model the current one")
    mpromote.add_argument("id")
    mpromote.add_argument("--force", action="store_true", help="promote a model the comparison refused")
    where(mpromote)
    mpromote.set_defaults(func=cmd_complaints_models)
    mrollback = msub.add_parser("rollback", help="return to the model that was current before")
    where(mrollback)
    mrollback.set_defaults(func=cmd_complaints_models)

    forum = sub.add_parser("forum", help="forum and web monitoring (舆情): alerts and the monthly tables")
    fsub = forum.add_subparsers(dest="forum_command", required=True)

    def forum_common(p):
        p.add_argument("--aliases", help="YAML file: project id -> other names (adds to the settings' project_aliases)")
        p.add_argument("--rule", choices=["poisson", "ewma"], default="poisson",
                       help="spike rule (default poisson: EWMA baseline, Poisson upper limit)")
        where(p, "store", "model")

    fcheck = fsub.add_parser("check", help="alert on spikes and P1 posts of the last days (each alert sent once)")
    fcheck.add_argument("--days", type=int, default=2, help="days looked at (default 2)")
    fcheck.add_argument("--now", help="the time to check at (default now)")
    forum_common(fcheck)
    fcheck.set_defaults(func=cmd_forum_check)
    freport = fsub.add_parser("report", help="the monthly forum tables as an Excel workbook")
    freport.add_argument("--period", help="month (2026-11); default: the last complete month")
    freport.add_argument("--out", help="workbook to write (default: REPORTS/forum/forum_PERIOD.xlsx)")
    forum_common(freport)
    freport.set_defaults(func=cmd_forum_report)
    return parser


def _forum_setup(args):
    """Settings, project names, aliases (settings' project_aliases, or --aliases FILE) and the categoriser."""
    from cs_toolkit.complaints import load_model
    from cs_toolkit.complaints.registry import current_model_path
    from cs_toolkit.yaml_files import load_yaml

    settings = _settings(args)
    aliases = dict(getattr(settings, "project_aliases", None) or {})
    if args.aliases:
        raw = load_yaml(args.aliases, "project aliases")
        if not isinstance(raw, dict):
            raise ConfigError(f"{args.aliases}: project aliases must map project ids to lists of names")
        aliases.update({str(k): ([v] if isinstance(v, str) else list(v or [])) for k, v in raw.items()})
    if not settings.projects and not aliases:
        raise ConfigError("no project names to look for in posts: set [projects] (and [project_aliases]) in "
                          "cs_toolkit.toml, or pass --aliases FILE")
    path = settings.model or current_model_path(settings.root)
    model = load_model(path)[0] if path else None
    return settings, aliases, model


def cmd_forum_check(args) -> int:
    from cs_toolkit.forum.alerts import check_forum
    from cs_toolkit.store import Store

    settings, aliases, model = _forum_setup(args)
    store = Store(settings.store_url)
    alerts, status = check_forum(store, projects=settings.projects, aliases=aliases, urls=settings.notify,
                                 model=model, days=args.days, now=args.now, language=settings.language,
                                 rule=args.rule)
    if not alerts:
        print(f"no spikes and no P1 posts in the last {args.days} day(s)")
    for alert, st in zip(alerts, status["status"], strict=True):
        print(f"[{st}] {alert.title}")
    if not settings.notify and alerts:
        print("no notification targets (notify in cs_toolkit.toml): nothing was sent")
    return 0


def cmd_forum_report(args) -> int:
    from cs_toolkit.forum.monthly import BASELINE_DAYS, monthly_forum
    from cs_toolkit.periods import last_complete, parse_period
    from cs_toolkit.reports.excel import write_workbook
    from cs_toolkit.store import Store

    settings, aliases, model = _forum_setup(args)
    period = parse_period(args.period, "month") if args.period else last_complete("month", settings.timezone)
    store = Store(settings.store_url)
    import pandas as pd

    posts = store.read("posts", period=(period.start - pd.Timedelta(days=BASELINE_DAYS), period.end))
    month = monthly_forum(posts, period, projects=settings.projects, aliases=aliases, model=model,
                          language=settings.language, rule=args.rule)
    out = Path(args.out) if args.out else settings.reports / "forum" / f"forum_{period.label}.xlsx"
    write_workbook(out, month.tables())
    s = month.summary
    print(f"{period.label}: {s['posts']} posts, {s['about_projects']} about the projects, {s['negative']} negative "
          f"({100 * s['negative_share']:.0f}%), {s['p1']} P1, {s['spikes']} spike day(s)")
    for note in month.notes:
        print(f"  note: {note}")
    print(f"wrote {out}")
    return 0


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
