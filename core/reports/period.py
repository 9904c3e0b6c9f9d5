"""The period a report covers, and reading it from a query (page, API and export alike).

A period is two calendar days in Europe/Copenhagen, both included. Without ``from`` and ``to``
it is the year up to today: ``to`` = today, ``from`` = the day after the same date a year
earlier (calendar arithmetic with :mod:`dateutil`, so 29 February is handled). A bad date or a
start after the end is refused with a Danish message naming the field (``from``/``to`` in the
API; the page maps them to its own field names).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from core.clock import COPENHAGEN
from core.errors import Invalid
from core.web.i18n import gettext as _

#: The earliest and latest day a report may name (a typo such as year 202 is refused).
EARLIEST = dt.date(2000, 1, 1)
LATEST_YEARS_AHEAD = 5


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included (Danish calendar days)."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants: from midnight Danish time at the start of ``start`` to
        (not including) midnight at the end of ``end`` - for timestamps such as events."""
        return utc_midnight(self.start), utc_midnight(self.end + dt.timedelta(days=1))


def utc_midnight(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in Danish time, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0), COPENHAGEN).astimezone(dt.UTC)


def local_day(at: dt.datetime) -> dt.date:
    """The Danish calendar day of a stored (UTC) instant."""
    if at.tzinfo is None:  # SQLite hands back naive UTC in raw SQL
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(COPENHAGEN).date()


def default_period(today: dt.date) -> Period:
    """The year up to ``today``: 365 or 366 days, ``today`` included."""
    return Period(today - relativedelta(years=1) + dt.timedelta(days=1), today)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(
    raw: str | dt.date | None, name: str, errors: dict[str, str], today: dt.date
) -> dt.date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.date):
        day = raw
    else:
        # Exactly YYYY-MM-DD: Python's fromisoformat also takes 20260101 and 2026-W01-1.
        try:
            if not _ISO_DAY.fullmatch(raw.strip()):
                raise ValueError(raw)
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            errors[name] = _("Write a date (YYYY-MM-DD).")
            return None
    latest = today + relativedelta(years=LATEST_YEARS_AHEAD)
    if day < EARLIEST or day > latest:
        errors[name] = _("The date must be from %(earliest)s to %(latest)s.") % {
            "earliest": EARLIEST.strftime("%d.%m.%Y"),
            "latest": latest.strftime("%d.%m.%Y"),
        }
        return None
    return day


def parse_period(
    start: str | dt.date | None,
    end: str | dt.date | None,
    today: dt.date,
    names: tuple[str, str] = ("from", "to"),
) -> Period:
    """The period a report's query names (``from``, ``to``: ``YYYY-MM-DD``, either may be left
    out). Only ``from``: up to today (or a year on, if that is earlier). Only ``to``: the year up
    to that day.

    :raises Invalid: a field is not a date, lies outside 2000 to five years ahead, or the start
        is after the end; the error names the field (``names``)."""
    errors: dict[str, str] = {}
    first = _day(start, names[0], errors, today)
    last = _day(end, names[1], errors, today)
    if errors:
        raise Invalid(errors, detail=next(iter(errors.values())) if len(errors) == 1 else "")
    if first is None and last is None:
        return default_period(today)
    if first is None:
        assert last is not None
        return default_period(last)
    if last is None:
        last = max(first, min(today, first + relativedelta(years=1) - dt.timedelta(days=1)))
    if first > last:
        message = _("The start of the period must be before its end.")
        raise Invalid({names[0]: message}, detail=message)
    return Period(first, last)
