"""Prefect for the project's own processes: ephemeral mode inside the project folder, offline and
without telemetry, unless a Prefect server is configured (``PREFECT_API_URL``). Call before importing
prefect: it reads these variables when it loads."""

from __future__ import annotations

import os
from pathlib import Path


def use_local_prefect(root: str | Path) -> None:
    """Set Prefect's home inside ``root`` and turn off telemetry; values already set are kept."""
    os.environ.setdefault("PREFECT_HOME", str(Path(root).resolve() / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "cs_toolkit")  # our log records in the flow run logs
    # The default 20 s is too short for the ephemeral server's first start on a loaded 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
