"""Dates of recurring things, in Danish local time (Europe/Copenhagen).

Occurrences are kept as *local* dates and wall-clock times, so a weekly Wednesday 17:00 stays at
17:00 across the change to and from daylight saving time; the UTC instant follows from the zone.
A monthly series keeps its day of the month and falls on the month's last day when the month is
shorter (31 January -> 28/29 February -> 31 March).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from core.activities.models import Recurrence

ZONE = ZoneInfo("Europe/Copenhagen")
#: The most occurrences one expansion returns (a guard against open-ended series).
MAX_OCCURRENCES = 1000


def add_months(day: dt.date, months: int, day_of_month: int | None = None) -> dt.date:
    """``day`` moved ``months`` months on, on ``day_of_month`` (default: ``day.day``), clamped to
    the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day_of_month or day.day, last))


def monthly_days(first: dt.date, count: int) -> list[dt.date]:
    """``count`` monthly dates from ``first`` (for a hold's teaching days)."""
    return [add_months(first, k, first.day) for k in range(count)]


def _month(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _series(first: dt.date, recurrence: Recurrence, start: dt.date) -> Iterator[dt.date]:
    """The series' dates from ``first`` on, beginning near ``start`` (earlier ones are skipped,
    not counted); it stops where the calendar does (9999-12-31): a date past it is never
    computed, Python's dates end there."""
    if recurrence == Recurrence.NONE:
        yield first
        return
    if recurrence == Recurrence.WEEKLY:
        room = (dt.date.max - first).days
        k = max(0, -(-(start - first).days // 7))
        while 7 * k <= room:
            yield first + dt.timedelta(weeks=k)
            k += 1
        return
    k = max(0, _month(start) - _month(first))
    while _month(first) + k <= _month(dt.date.max):
        yield add_months(first, k, first.day)
        k += 1


def occurrence_days(
    first: dt.date,
    recurrence: Recurrence,
    until: dt.date | None,
    start: dt.date,
    end: dt.date,
) -> list[dt.date]:
    """Local dates of the occurrences between ``start`` and ``end`` (both inclusive)."""
    last = min(end, until) if until else end
    days: list[dt.date] = []
    for day in _series(first, recurrence, start):
        if day > last or len(days) >= MAX_OCCURRENCES:
            break
        if day >= start:
            days.append(day)
    return days


def local(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware datetime of a local wall-clock time in Europe/Copenhagen."""
    return dt.datetime.combine(day, time, tzinfo=ZONE)
