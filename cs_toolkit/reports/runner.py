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
import logging
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cs_toolkit.errors import PeriodError, ReportFailed
from cs_toolkit.periods import parse_period
from cs_toolkit.progress import interactive
from cs_toolkit.reports.inputs import INPUTS_FILE
from cs_toolkit.reports.redact import Redactor

log = logging.getLogger(__name__)
_SAFE_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


def templates_dir() -> Path:
    """The report templates shipped with the package (``notebooks/reports`` in the source tree)."""
    return Path(str(resources.files("cs_toolkit").joinpath("templates")))


@dataclass(frozen=True)
class ReportResult:
    name: str
    period: str
    folder: Path
    notebook: Path
    html: Path
    metadata: dict


def _checked_period(name: str, period: str) -> str:
    """The canonical label of ``period``: registered reports validate it against their frequency; any
    other template gets a label safe to use as a folder name (no ``..``, no slashes)."""
    from cs_toolkit.reports.registry import REPORTS

    if name in REPORTS:
        return parse_period(period, REPORTS[name].frequency).label
    if not _SAFE_LABEL.match(str(period)):
        raise PeriodError(f"period {period!r} may hold only letters, digits, '-' and '_'", period=period)
    return str(period)


def _inputs_record(staging: Path) -> tuple[list[dict], str | None]:
    """What the template read (written by :class:`~cs_toolkit.reports.inputs.ReportInputs`) and one
    fingerprint over it; None when the template recorded nothing (so nothing false is claimed)."""
    path = staging / INPUTS_FILE
    if not path.exists():
        return [], None
    reads = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    h = hashlib.sha256()
    for entry in reads:
        h.update(f"{entry['table']}|{entry['from']}|{entry['to']}|{entry['sha256']}".encode())
    return reads, h.hexdigest()


def run_report(
    name: str,
    period: str,
    *,
    parameters: Mapping[str, object] | None = None,
    reports_dir: str | Path = "reports",
    templates: str | Path | None = None,
    timeout: int | None = None,
    redact_names: Iterable[str] = (),
    kernel_name: str = "python3",
) -> ReportResult:
    """Execute the template ``NAME.ipynb`` for ``period`` and publish it.

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
    timeout : int, optional
        Seconds any one cell may run before the run is failed (default: the settings' ``cell_timeout``).
    templates : path, optional
        Folder of templates (default: those shipped with the package).
    redact_names : iterable of str
        Customer names to remove from the shared outputs (phones, IDs, e-mails, bank cards always go).

    ``run.json`` records the parameters, what the template read (table, window, rows, SHA-256 of the
    rows) and one ``data_fingerprint`` over it, the version and the duration.

    Returns
    -------
    ReportResult
    """
    import papermill as pm

    if timeout is None:
        from cs_toolkit.settings import load_settings

        timeout = load_settings().cell_timeout
    template = Path(templates or templates_dir()) / f"{name}.ipynb"
    if not template.exists():
        raise ReportFailed(f"no report template {template}; templates: "
                           f"{sorted(p.stem for p in template.parent.glob('*.ipynb'))}", report=name, period=period)
    period = _checked_period(name, period)
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
            execution_timeout=timeout, progress_bar=interactive(), log_output=False,
        )  # no cwd=: papermill would chdir the whole process, which races between concurrent runs
    except Exception as exc:
        failed = _keep_failed(notebook, root, period, exc, Redactor(names=redact_names))
        shutil.rmtree(staging, ignore_errors=True)
        reason = Redactor(names=redact_names).redact(_first_line(exc))  # messages reach logs and Prefect's database
        log.error("report %s for %s failed: %s", name, period, reason)
        raise ReportFailed(f"report {name} for {period} failed: {reason} (executed notebook kept at {failed}); "
                           f"the last good report is unchanged.", failed, report=name, period=period,
                           reason=reason) from exc
    try:
        metadata = _finish(staging, notebook, name, period, params, template, redact_names, started, t0)
        final = root / period
        _publish(staging, final)
    except Exception as exc:  # a full disk, a read-only folder: the old report stays, the failure is named
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportFailed(f"report {name} for {period} ran but could not be published ({type(exc).__name__}: "
                           f"{exc}); the last good report is unchanged.", None, report=name, period=period,
                           reason=str(exc)) from exc
    return ReportResult(name, period, final, final / notebook.name, final / f"{name}.html", metadata)


def _finish(staging: Path, notebook: Path, name: str, period: str, params: dict, template: Path,
            redact_names: Iterable[str], started: dt.datetime, t0: float) -> dict:
    """HTML, redaction of every shared file and ``run.json``, all inside the staging folder."""
    from cs_toolkit import __version__
    from cs_toolkit.store.backends import _safe

    reads, fingerprint = _inputs_record(staging)
    (staging / f"{name}.html").write_text(_to_html(notebook), encoding="utf-8")
    redactor = Redactor(names=redact_names)
    redactor.redact_notebook(notebook)
    for path in staging.rglob("*"):
        if path.suffix.lower() in {".html", ".md", ".csv", ".txt", ".json"} and path.is_file():
            redactor.redact_file(path)
    metadata = {
        "report": name,
        "period": period,
        "parameters": {k: _safe(str(v)) for k, v in params.items() if k != "output_dir"},
        "inputs": reads,
        "data_fingerprint": fingerprint,
        "cs_toolkit_version": __version__,
        "started": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - t0, 2),
        "template": template.name,
    }
    (staging / "run.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8")
    return metadata


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
    target = failed_dir / f"{period}-{stamp}-{uuid.uuid4().hex[:8]}.ipynb"  # concurrent failures never collide
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
