"""The ``cs-toolkit`` command line.

    cs-toolkit demo [--out DIR]                          the main job on generated demo data
    cs-toolkit survey score FILE --config CFG --out OUT.{csv,xlsx}
    cs-toolkit survey validate FILE --config CFG [--rejected REJECTED.csv]
    cs-toolkit survey crosstab FILE --config CFG --row COL --col COL --out OUT.xlsx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cs_toolkit.errors import CSToolkitError


def _read(args):
    from cs_toolkit.io.survey_reader import read_survey

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


def cmd_demo(args) -> int:
    from cs_toolkit.main_job import run_demo

    run_demo(Path(args.out), seed=args.seed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cs-toolkit", description="Customer-satisfaction research toolkit.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the main job end to end on generated demo data")
    demo.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CSToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
