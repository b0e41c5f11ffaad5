"""Progress bars and log output for long work: a rich progress bar on a terminal, quiet elsewhere
(papermill kernels, Prefect workers and CI logs get log lines instead)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def interactive() -> bool:
    """True when standard error is a terminal (a person is watching)."""
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def track(items: Iterable[T], description: str, total: int | None = None, enabled: bool | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar when ``enabled`` (default: on a terminal).

    Examples
    --------
    >>> list(track([1, 2, 3], "counting", enabled=False))
    [1, 2, 3]
    """
    if not (interactive() if enabled is None else enabled):
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, total=total, console=_console(), transient=True)


def _console():
    from rich.console import Console

    return Console(stderr=True)


def configure_logging(level: int = logging.INFO) -> None:
    """Send cs_toolkit's log records to standard error: rich on a terminal, plain lines elsewhere."""
    logger = logging.getLogger("cs_toolkit")
    if any(getattr(h, "_cs_toolkit", False) for h in logger.handlers):
        logger.setLevel(level)
        return
    if interactive():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(console=_console(), show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    from cs_toolkit.reports.redact import RedactingFilter

    handler.addFilter(RedactingFilter())  # log lines reach terminals and job logs: no personal data
    handler._cs_toolkit = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
