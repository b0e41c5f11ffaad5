"""Report periods: parse and validate them, name them, and find the last complete one in a timezone.

A week runs Monday 00:00 to the next Monday (labelled by its Monday, ``2026-11-16``; any day of the
week or ``2026-W47`` names it too); a month is labelled ``2026-11``. Periods are validated before they
touch a path, so ``../../escape`` never becomes a folder name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from cs_toolkit.errors import PeriodError

FREQUENCIES = ("week", "month")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Period:
    """A half-open time window ``[start, end)`` of a frequency, with its canonical ``label``."""

    frequency: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m-%d") if self.frequency == "week" else self.start.strftime("%Y-%m")

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (negative: earlier)."""
        if self.frequency == "week":
            return week(self.start + pd.Timedelta(weeks=n))
        return month(self.start + pd.DateOffset(months=n))

    def __str__(self) -> str:
        return self.label


def week(day: pd.Timestamp | str) -> Period:
    start = pd.Timestamp(day).normalize().to_period("W-SUN").start_time
    return Period("week", start, start + pd.Timedelta(days=7))


def month(day: pd.Timestamp | str) -> Period:
    start = pd.Timestamp(day).to_period("M").start_time
    return Period("month", start, start + pd.DateOffset(months=1))


def parse_period(text: str, frequency: str) -> Period:
    """The ``frequency`` ("week" or "month") period that ``text`` names.

    Examples
    --------
    >>> parse_period("2026-11-18", "week").label, parse_period("2026-W47", "week").label
    ('2026-11-16', '2026-11-16')
    >>> parse_period("2026-11", "month").end
    Timestamp('2026-12-01 00:00:00')
    >>> parse_period("../../escape", "month")
    Traceback (most recent call last):
    ...
    cs_toolkit.errors.PeriodError: period '../../escape' is not a month: write it as YYYY-MM (e.g. 2026-11)
    """
    if frequency not in FREQUENCIES:
        raise PeriodError(f"unknown frequency {frequency!r}; one of {FREQUENCIES}", period=text, frequency=frequency)
    text = str(text).strip()
    try:
        if frequency == "month" and _MONTH.match(text):
            return month(text + "-01")
        if frequency == "week" and _DAY.match(text):
            return week(text)
        if frequency == "week" and (m := _ISO_WEEK.match(text)):
            return week(pd.Timestamp.fromisocalendar(int(m[1]), int(m[2]), 1))
    except ValueError:
        pass
    form = "YYYY-MM (e.g. 2026-11)" if frequency == "month" else "a day of the week, YYYY-MM-DD, or YYYY-Www"
    raise PeriodError(f"period {text!r} is not a {frequency}: write it as {form}", period=text, frequency=frequency)


def last_complete(frequency: str, timezone: str, now: pd.Timestamp | None = None) -> Period:
    """The last period of ``frequency`` that has ended by ``now`` (default: the current time) in ``timezone``.

    Examples
    --------
    >>> last_complete("week", "Asia/Shanghai", pd.Timestamp("2026-11-23 08:00", tz="Asia/Shanghai")).label
    '2026-11-16'
    >>> last_complete("month", "Asia/Shanghai", pd.Timestamp("2026-12-01 00:30", tz="Asia/Shanghai")).label
    '2026-11'
    """
    now = pd.Timestamp.now(tz=timezone) if now is None else pd.Timestamp(now)
    local = (now.tz_convert(timezone) if now.tzinfo else now).tz_localize(None)
    current = week(local) if frequency == "week" else month(local)
    return current.shift(-1)
