"""Serve the scheduled deployments of the registry on this machine (Prefect ``serve``), in the
configured timezone. Teams with a Prefect server and workers use ``prefect.yaml`` instead, which is
generated from the same registry."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron
from prefect.utilities.importtools import import_object

from cs_toolkit.reports.registry import schedules
from cs_toolkit.settings import Settings


def deployments(settings: Settings) -> list:
    """One RunnerDeployment per registered schedule (no parameters: flows read the settings)."""
    return [import_object(entrypoint).to_deployment(name=name, schedules=[Cron(cron, timezone=settings.timezone)])
            for name, entrypoint, cron in schedules()]


def serve_all(settings: Settings) -> None:
    serve(*deployments(settings))
