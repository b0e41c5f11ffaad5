"""An optional PDF of a report, printed by headless Chromium (Debian's ``chromium``) from the
self-contained HTML with its print styles. Without Chromium the PDF is skipped with a log line."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def chromium() -> str | None:
    """The Chromium executable on this machine, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def print_pdf(html: Path, pdf: Path, timeout: int = 120) -> Path | None:
    """Print ``html`` to ``pdf`` (A4); returns the PDF's path, or None when Chromium is missing or fails."""
    browser = chromium()
    if browser is None:
        log.warning("no Chromium on this machine: %s printed without a PDF", html.name)
        return None
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--proxy-server=http://127.0.0.1:9", f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            log.warning("Chromium did not print %s within %s s", html.name, timeout)
            return None
    if not pdf.exists() or pdf.read_bytes()[:4] != b"%PDF":
        log.warning("Chromium did not print %s", html.name)
        return None
    return pdf
