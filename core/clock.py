"""The one clock: "today" and "now" as Makker means them.

Dates that people see and reason about ("today", "ude af misbrug siden", a meeting's day) are
dates in Europe/Copenhagen, whatever the server's own time zone is (a container runs in UTC, so
``date.today()`` is wrong between midnight Danish time and 01:00/02:00 UTC). Timestamps are
stored in UTC and shown in Danish time (:func:`local`).

Code asks :func:`today` and :func:`now`; a request context carries the same :class:`Clock`.
Tests set the time in one place with :func:`frozen` (or :func:`set_clock`), which every caller
- services, pages, plugins' contexts and a live test server in the same process - then follows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

#: ``HH:MM:SS`` (seconds may have a fraction), no offset: what :data:`LocalTime` accepts.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?$"

#: A time of day on the Danish wall clock (an activity starts at 17:00 whatever the season), as
#: the API takes and gives it: ``"17:00:00"``. An offset (``Z``, ``+01:00``) is refused. The
#: OpenAPI document says so with a pattern: JSON Schema's ``format: time`` needs an offset, and
#: Litestar would call a ``datetime.time`` a ``duration``.
LocalTime = Annotated[
    dt.time,
    msgspec.Meta(
        tz=False,
        extra_json_schema={
            "description": "A time of day in Danish time, HH:MM:SS.",
            "extra": {"format": None, "pattern": LOCAL_TIME_PATTERN},
        },
    ),
]


@dataclass(frozen=True)
class Clock:
    """A clock. ``fixed`` (an aware datetime) stops it at that moment; ``None`` is real time."""

    fixed: dt.datetime | None = None

    def now(self) -> dt.datetime:
        """The current moment, timezone-aware, in UTC."""
        if self.fixed is not None:
            return self.fixed.astimezone(dt.UTC)
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        """Today's date in Europe/Copenhagen."""
        return self.now().astimezone(COPENHAGEN).date()


_clock = Clock()


def get_clock() -> Clock:
    """The clock in force (real time unless a test set one)."""
    return _clock


def set_clock(clock: Clock) -> None:
    """Replace the clock for the whole process (tests; prefer :func:`frozen`)."""
    global _clock
    _clock = clock


def now() -> dt.datetime:
    """The current moment in UTC (timezone-aware)."""
    return _clock.now()


def today() -> dt.date:
    """Today's date in Europe/Copenhagen."""
    return _clock.today()


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Danish time; a naive value is taken as UTC (as SQLite returns it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(COPENHAGEN)


def at_noon(day: dt.date) -> dt.datetime:
    """Noon in Copenhagen on ``day``, as an aware datetime (a safe moment to freeze a day at)."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=COPENHAGEN)


@contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[Clock]:
    """Stop the clock at ``at`` for the block (a date means noon in Copenhagen that day)."""
    moment = at if isinstance(at, dt.datetime) else at_noon(at)
    if moment.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime or a date")
    previous = get_clock()
    clock = Clock(moment)
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)
