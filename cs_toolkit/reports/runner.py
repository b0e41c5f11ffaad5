"""Run a report template with papermill and publish it: executed notebook + HTML without code,
personal data redacted, run metadata, published atomically into ``reports/NAME/PERIOD/``.

A failed run (an exception in a cell, a dead kernel, a timeout) keeps its executed notebook under
``reports/NAME/failed/`` with the error at the top, raises :class:`ReportFailed`, and leaves the last
good report of that period untouched.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cs_toolkit.errors import ReportFailed
from cs_toolkit.reports.redact import Redactor

TEMPLATES = Path(__file__).resolve().parents[2] / "notebooks" / "reports"


@dataclass(frozen=True)
class ReportResult:
    name: str
    period: str
    folder: Path
    notebook: Path
    html: Path
    metadata: dict


def fingerprint_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the bytes of the given files (data a report was made from)."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def run_report(
    name: str,
    period: str,
    *,
    parameters: Mapping[str, object] | None = None,
    reports_dir: str | Path = "reports",
    templates_dir: str | Path | None = None,
    timeout: int = 600,
    redact_names: Iterable[str] = (),
    data_files: Iterable[Path] = (),
    kernel_name: str = "python3",
) -> ReportResult:
    """Execute ``notebooks/reports/NAME.ipynb`` for ``period`` and publish it.

    Parameters
    ----------
    name : str
        Template name (``weekly_satisfaction``, ``monthly_complaints``).
    period : str
        Period label the template understands (``2026-11-16`` for a week, ``2026-11`` for a month).
    parameters : dict
        Further template parameters (data paths, filters).
    reports_dir : path
        Where reports are published: ``reports_dir/NAME/PERIOD/``.
    timeout : int
        Seconds any one cell may run before the run is failed.
    redact_names : iterable of str
        Customer names to remove from the shared outputs (phones, IDs, e-mails, bank cards always go).
    data_files : iterable of Path
        Input files whose fingerprint goes into the run metadata.

    Returns
    -------
    ReportResult
    """
    import papermill as pm

    template = Path(templates_dir or TEMPLATES) / f"{name}.ipynb"
    if not template.exists():
        raise ReportFailed(f"no report template {template}; templates: {sorted(p.stem for p in template.parent.glob('*.ipynb'))}")
    root = Path(reports_dir).resolve() / name
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{period}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    notebook = staging / f"{name}.ipynb"
    params = {"period": period, "output_dir": str(staging.resolve()), **dict(parameters or {})}
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    try:
        # A fresh context per run: papermill's event loop must not see another run's (Prefect task threads
        # share a copied context, and two runs would find "this event loop is already running").
        contextvars.Context().run(
            pm.execute_notebook, str(template), str(notebook), parameters=params, kernel_name=kernel_name,
            execution_timeout=timeout, progress_bar=False, log_output=False,
        )  # no cwd=: papermill would chdir the whole process, which races between concurrent runs
    except Exception as exc:
        failed = _keep_failed(notebook, root, period, exc, Redactor(names=redact_names))
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportFailed(f"report {name} for {period} failed: {_first_line(exc)} "
                           f"(executed notebook kept at {failed}); the last good report is unchanged.",
                           failed) from exc
    html = staging / f"{name}.html"
    html.write_text(_to_html(notebook), encoding="utf-8")
    redactor = Redactor(names=redact_names)
    redactor.redact_notebook(notebook)
    for path in staging.rglob("*"):
        if path.suffix.lower() in {".html", ".md", ".csv", ".txt", ".json"} and path.is_file():
            redactor.redact_file(path)
    from cs_toolkit import __version__

    metadata = {
        "report": name,
        "period": period,
        "parameters": {k: str(v) for k, v in params.items() if k != "output_dir"},
        "data_fingerprint": fingerprint_files(data_files),
        "cs_toolkit_version": __version__,
        "started": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - t0, 2),
        "template": template.name,
    }
    (staging / "run.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8")
    final = root / period
    _publish(staging, final)
    return ReportResult(name, period, final, final / notebook.name, final / html.name, metadata)


def _to_html(notebook: Path) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


def _publish(staging: Path, final: Path) -> None:
    """Swap the new report in with renames, so readers see the old report or the new one, never half."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_failed(notebook: Path, root: Path, period: str, exc: Exception, redactor: Redactor) -> Path:
    import nbformat

    failed_dir = root / "failed"
    failed_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = failed_dir / f"{period}-{stamp}.ipynb"
    message = f"**This report run FAILED** ({stamp} UTC): `{_first_line(exc)}`"
    nb = nbformat.read(notebook, as_version=4) if notebook.exists() else nbformat.v4.new_notebook()
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(message))
    nbformat.write(nb, target)
    redactor.redact_notebook(target)
    return target


def _first_line(exc: Exception) -> str:
    if hasattr(exc, "ename") and hasattr(exc, "evalue"):  # papermill: the notebook's own exception
        return f"{exc.ename}: {exc.evalue} (cell {getattr(exc, 'exec_count', '?')})"[:300]
    text = str(exc).strip().splitlines()
    for line in text:
        if line.strip() and not line.startswith("-"):
            return line.strip()[:300]
    return type(exc).__name__
