"""Run a report template with papermill and publish it: executed notebook + HTML without code,
personal data redacted, run metadata, published atomically into ``reports/NAME/PERIOD/``.

A failed run (an exception in a cell, a dead kernel, a timeout) keeps its executed notebook under
``reports/NAME/failed/`` with the error at the top, raises :class:`ReportFailed`, and leaves the last
good report of that period untouched. Every failure, including one while publishing, appends a line
to ``reports/NAME/failures.jsonl`` (time, period, stage, redacted reason, failed notebook or null).

Publishing swaps the new folder in under a lock (``reports/NAME/.publish.lock``). On Linux the swap is
one atomic ``renameat2(RENAME_EXCHANGE)``, so the period folder is never missing, even when the process
is killed; elsewhere it is two renames, and a process killed between them leaves ``.old-PERIOD-*``
without ``PERIOD``: the next run of the report, and :func:`published_report`, put it back.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import threading
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
FAILURES_LOG = "failures.jsonl"
_LOCK_FILE = ".publish.lock"
_LIVE_STAGING: set[Path] = set()  # staging folders of runs in progress in this process
_LIVE_GUARD = threading.Lock()


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
    pdf: bool = False,
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
    pdf : bool
        Also print a PDF of the HTML with headless Chromium (skipped with a log line without it).

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
    redactor = Redactor(names=redact_names)
    staging = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        _repair_quietly(root, period)  # a publish interrupted by a crash: readers get the old report back now
        staging = root / f".staging-{period}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        with _LIVE_GUARD:  # before it exists: another thread's _repair must never take it for a dead run's
            _LIVE_STAGING.add(staging)
        staging.mkdir()
    except OSError as exc:  # a read-only or full reports folder
        with _LIVE_GUARD:
            _LIVE_STAGING.discard(staging)
        reason = redactor.redact(_first_line(exc))
        _record_failure(root, period, "start", reason, None)
        raise ReportFailed(f"report {name} for {period} could not start: cannot write to {root} ({reason}); "
                           f"the last good report is unchanged.", None, report=name, period=period,
                           reason=reason) from exc
    try:
        return _run_and_publish(pm, template, staging, root, name, period, parameters, timeout, redactor,
                                redact_names, kernel_name, pdf)
    finally:
        with _LIVE_GUARD:
            _LIVE_STAGING.discard(staging)


def _execute_closing_its_loop(pm, *args, **kwargs) -> None:
    """papermill's run, then the event loop that jupyter_core made for it closed: it keeps one per context
    and never closes it, so every run left an open loop and its sockets to the garbage collector (a
    ResourceWarning per report, and file descriptors held meanwhile in a long-lived ``serve``)."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    try:
        pm.execute_notebook(*args, **kwargs)
    finally:
        loop = ensure_event_loop()  # this context's loop (a caller's running loop is left alone)
        if not loop.is_running():
            loop.close()
            asyncio.set_event_loop(None)


def _run_and_publish(pm, template: Path, staging: Path, root: Path, name: str, period: str,
                     parameters: Mapping[str, object] | None, timeout: int, redactor: Redactor,
                     redact_names: Iterable[str], kernel_name: str, pdf: bool = False) -> ReportResult:
    notebook = staging / f"{name}.ipynb"
    params = {"period": period, "output_dir": str(staging.resolve()), **dict(parameters or {})}
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    try:
        # A fresh context per run: papermill's event loop must not see another run's (Prefect task threads
        # share a copied context, and two runs would find "this event loop is already running").
        contextvars.Context().run(
            _execute_closing_its_loop, pm, str(template), str(notebook), parameters=params, kernel_name=kernel_name,
            execution_timeout=timeout, progress_bar=interactive(), log_output=False,
        )  # no cwd=: papermill would chdir the whole process, which races between concurrent runs
    except Exception as exc:
        reason = redactor.redact(_first_line(exc))  # messages reach logs and Prefect's database
        try:
            failed = _keep_failed(notebook, root, period, exc, redactor)
        except Exception as keep_exc:  # noqa: BLE001 - the run's own failure is the one to report
            log.error("report %s for %s: could not keep the failed notebook: %s", name, period,
                      redactor.redact(f"{type(keep_exc).__name__}: {keep_exc}"))
            failed = None
        shutil.rmtree(staging, ignore_errors=True)
        _record_failure(root, period, "run", reason, failed)
        log.error("report %s for %s failed: %s", name, period, reason)
        kept = f"executed notebook kept at {failed}" if failed else "the executed notebook could not be kept"
        raise ReportFailed(f"report {name} for {period} failed: {reason} ({kept}); "
                           f"the last good report is unchanged.", failed, report=name, period=period,
                           reason=reason) from exc
    final = root / period
    try:
        metadata = _finish(staging, notebook, name, period, params, template, redact_names, started, t0)
        if pdf:  # printed from the redacted, self-contained HTML, inside the staging folder
            from cs_toolkit.reports.pdf import print_pdf

            print_pdf(staging / f"{name}.html", staging / f"{name}.pdf")
        _publish(staging, final)
    except Exception as exc:  # a full disk, a read-only folder: the old report stays, the failure is named
        shutil.rmtree(staging, ignore_errors=True)
        reason = redactor.redact(_first_line(exc))
        _record_failure(root, period, "publish", reason, None)
        log.error("report %s for %s ran but could not be published: %s", name, period, reason)
        raise ReportFailed(f"report {name} for {period} ran but could not be published ({reason}); "
                           f"the last good report is unchanged.", None, report=name, period=period,
                           reason=reason) from exc
    return ReportResult(name, period, final, final / notebook.name, final / f"{name}.html", metadata)


def _finish(staging: Path, notebook: Path, name: str, period: str, params: dict, template: Path,
            redact_names: Iterable[str], started: dt.datetime, t0: float) -> dict:
    """HTML, redaction of every shared file and ``run.json``, all inside the staging folder."""
    from cs_toolkit import __version__
    from cs_toolkit.store.backends import _safe

    reads, fingerprint = _inputs_record(staging)
    language = str(params.get("language") or "zh")
    (staging / f"{name}.html").write_text(_to_html(notebook, language), encoding="utf-8")
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


def _to_html(notebook: Path, language: str = "zh") -> str:
    """The notebook as HTML without code, self-contained and offline (see :mod:`cs_toolkit.reports.html`)."""
    import nbformat
    from nbconvert import HTMLExporter

    from cs_toolkit.reports.html import self_contained

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return self_contained(body, language)


def published_report(reports_dir: str | Path, name: str, period: str) -> Path | None:
    """The folder of the published report ``reports_dir/NAME/PERIOD``, or None when there is none.

    Readers (a file share, a web server, a flow that mails the HTML) should find reports through this:
    it first repairs what a process killed while publishing left behind, so the last good report is
    back in place (see the module's notes on publishing)."""
    period = _checked_period(name, period)
    root = Path(reports_dir).resolve() / name
    if root.is_dir():
        _repair_quietly(root, period)
    final = root / period
    return final if final.is_dir() else None


@contextlib.contextmanager
def _publish_lock(root: Path):
    """One publisher (or repairer) of this report at a time, across threads and processes."""
    from filelock import FileLock

    with FileLock(str(root / _LOCK_FILE), timeout=300):
        yield


def _publish(staging: Path, final: Path) -> None:
    """Swap the new report in, so readers see the old report or the new one, never half, never none.

    Linux: one atomic exchange of the two folders, then the old one (now under the staging name) goes.
    Elsewhere (or on a file system without it): two renames; :func:`_repair` undoes a crash between them."""
    with _publish_lock(final.parent):
        _repair(final.parent, final.name)
        if not final.exists():
            staging.rename(final)
            return
        if _exchange(staging, final):
            _remove(staging)  # the old report now; a crash here leaves it to _repair
            return
        old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        final.rename(old)
        staging.rename(final)  # killed before this line: .old-PERIOD-* and no PERIOD, until _repair
        _remove(old)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2_fn = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False when the
    system or the file system cannot, so the caller falls back to two renames."""
    global _renameat2_fn
    if _renameat2_fn is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
        except (AttributeError, OSError, TypeError):  # not glibc >= 2.28 / not Linux
            fn = False
        _renameat2_fn = fn
    if not _renameat2_fn:
        return False
    if _renameat2_fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):  # e.g. NFS, old kernels
        return False
    raise OSError(err, os.strerror(err), str(b))


def _repair_quietly(root: Path, period: str) -> None:
    try:
        with _publish_lock(root):
            _repair(root, period)
    except Exception as exc:  # noqa: BLE001 - a read-only folder: nothing can be repaired, the run will say so
        log.warning("could not check %s for leftovers of interrupted runs: %s", root / period, exc)


def _repair(root: Path, period: str) -> None:
    """Undo what killed processes left for ``period`` (call under :func:`_publish_lock`): put back an
    ``.old-PERIOD-*`` when ``PERIOD`` is missing, remove other ``.old-PERIOD-*`` and the staging folders of
    runs that are no longer running, and note each in the failures log."""
    final = root / period
    olds, dead = [], []
    old_name = re.compile(rf"^\.old-{re.escape(period)}-[0-9a-f]{{8}}$")
    staging_name = re.compile(rf"^\.staging-{re.escape(period)}-(\d+)-[0-9a-f]{{8}}$")
    with os.scandir(root) as entries:
        for entry in entries:
            if old_name.match(entry.name):
                olds.append(Path(entry.path))
            elif (m := staging_name.match(entry.name)) and not _running(int(m.group(1)), Path(entry.path)):
                dead.append((Path(entry.path), int(m.group(1))))
    if olds and not final.exists():
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        newest.rename(final)
        olds.remove(newest)
        _record_failure(root, period, "interrupted", "a run was killed while publishing; the previous report "
                        "was put back", None)
        log.warning("%s: a run was killed while publishing; put the previous report back", final)
    for path in olds:
        _remove(path)
    for path, pid in dead:
        _remove(path)
        _record_failure(root, period, "interrupted", f"removed what a run of process {pid} left behind (it was "
                        f"killed, or could not clean up in a read-only folder)", None)


def _remove(path: Path) -> None:
    """Remove a folder (or what a swap left in its place: a file), quietly."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _running(pid: int, staging: Path) -> bool:
    """Whether the run owning ``staging`` may still be running (its process exists; in this process: the
    run is in progress)."""
    if pid == os.getpid():
        with _LIVE_GUARD:
            return staging in _LIVE_STAGING
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _record_failure(root: Path, period: str, stage: str, reason: str, failed: Path | None) -> None:
    """Append one line to ``root/failures.jsonl`` (one ``write`` on an ``O_APPEND`` file: concurrent runs'
    lines never interleave). When even that cannot be written, the failure goes to the log."""
    line = json.dumps({"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "period": period,
                       "stage": stage, "reason": reason, "failed_notebook": str(failed) if failed else None},
                      ensure_ascii=False) + "\n"
    try:
        fd = os.open(root / FAILURES_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        log.error("could not record a failure of %s in %s (%s): %s", root.name, root / FAILURES_LOG, exc,
                  line.strip())


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
            return f"{type(exc).__name__}: {line.strip()}"[:300]  # "DeadKernelError: Kernel died"
    return type(exc).__name__
