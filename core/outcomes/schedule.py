"""When a questionnaire is due: the occasions of a forløb (pure rules, no database).

A programme's tenant file lists schedules (``[[programmes.outcomes]]``): which instrument, who
answers it (the citizen, the mentor or both) and at which occasions relative to the forløb:

- ``baseline`` (unless ``baseline = false``): when the forløb starts, open for
  ``baseline_within_days``;
- ``interim``: every ``every_months`` calendar months of *active* time - days spent paused move
  the occasion later, as they move the planned end - as long as it opens before the planned end
  (a forløb extended to more months gets more of them; one that ends early gets no more);
- ``end``: when the forløb is completed or ended early;
- ``follow_up``: ``follow_up_days`` after the end.

Each occasion is open from ``opens_on`` to ``closes_on`` (both included; ``window_days`` long,
or the baseline's own window). One that is not answered by then is *missed*; a missed occasion is
never filled in later or imputed. Month arithmetic is calendar months (``dateutil``), like the
forløb's planned end.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from core.forloeb.lifecycle import Pause, add_months, planned_end

Respondents = Literal["mentee", "mentor", "both"]
RoleName = Literal["mentee", "mentor"]


class OccasionKind(enum.StrEnum):
    BASELINE = "baseline"
    INTERIM = "interim"
    END = "end"
    FOLLOW_UP = "follow_up"


class OccasionStatus(enum.StrEnum):
    #: Opens later.
    UPCOMING = "upcoming"
    #: Open now and not answered: the questionnaire is due.
    DUE = "due"
    ANSWERED = "answered"
    #: The window closed without an answer.
    MISSED = "missed"


@dataclass(frozen=True)
class ScheduleRule:
    """One ``[[programmes.outcomes]]`` entry of a tenant file."""

    instrument: str
    respondents: Respondents
    #: A baseline when the forløb starts, open for ``baseline_within_days``.
    baseline: bool = True
    baseline_within_days: int = 14
    every_months: int | None = None
    at_end: bool = True
    follow_up_days: int | None = None
    window_days: int = 14

    @property
    def roles(self) -> tuple[RoleName, ...]:
        return ("mentee", "mentor") if self.respondents == "both" else (self.respondents,)


@dataclass(frozen=True)
class Occasion:
    instrument: str
    role: RoleName
    kind: OccasionKind
    #: 1 for baseline, end and follow-up; the interim occasion's number (1, 2, ...).
    number: int
    opens_on: dt.date
    closes_on: dt.date

    @property
    def key(self) -> str:
        """Stable within a forløb: what an answer is recorded against."""
        return f"{self.instrument}:{self.role}:{self.kind.value}:{self.number}"

    def status(self, today: dt.date, answered: Collection[str]) -> OccasionStatus:
        if self.key in answered:
            return OccasionStatus.ANSWERED
        if today < self.opens_on:
            return OccasionStatus.UPCOMING
        if today <= self.closes_on:
            return OccasionStatus.DUE
        return OccasionStatus.MISSED


@dataclass(frozen=True)
class ForloebDates:
    """What the schedule needs to know of a forløb."""

    started_on: dt.date | None
    planned_months: int
    pauses: tuple[Pause, ...] = ()
    #: Set when the forløb is completed or ended early.
    ended_on: dt.date | None = None


def _active_date(start: dt.date, months: int, pauses: Iterable[Pause], today: dt.date) -> dt.date:
    """``start`` plus ``months`` of active time: every pause that began before the date moves
    it by its length (an ongoing pause up to ``today``)."""
    nominal = add_months(start, months)
    day = nominal
    for _ in range(100):  # converges in at most one step per pause
        shift = sum(((p.end or today) - p.start).days for p in pauses if p.start < day)
        moved = nominal + dt.timedelta(days=shift)
        if moved == day:
            break
        day = moved
    return day


def occasions(
    rules: Iterable[ScheduleRule], forloeb: ForloebDates, today: dt.date
) -> list[Occasion]:
    """Every occasion of the forløb known ``today`` (past, open and coming), in date order.

    A forløb that never started has none. Interim occasions are listed up to the planned end (or
    the actual end); the end and follow-up occasions appear once the forløb has ended.
    """
    if forloeb.started_on is None:
        return []
    out = [
        occasion
        for rule in rules
        for role in rule.roles
        for occasion in _occasions_of(rule, role, forloeb.started_on, forloeb, today)
    ]
    out.sort(key=lambda o: (o.opens_on, o.instrument, o.role, o.kind.value, o.number))
    return out


def _occasions_of(
    rule: ScheduleRule, role: RoleName, start: dt.date, forloeb: ForloebDates, today: dt.date
) -> list[Occasion]:
    pauses = list(forloeb.pauses)
    end = forloeb.ended_on
    stop = end if end is not None else planned_end(start, forloeb.planned_months, pauses, today)
    window = dt.timedelta(days=rule.window_days - 1)

    def occasion(kind: OccasionKind, number: int, opens: dt.date, span: dt.timedelta) -> Occasion:
        return Occasion(rule.instrument, role, kind, number, opens, opens + span)

    out: list[Occasion] = []
    if rule.baseline:
        span = dt.timedelta(days=rule.baseline_within_days - 1)
        out.append(occasion(OccasionKind.BASELINE, 1, start, span))
    if rule.every_months:
        months, number = rule.every_months, 1
        while (opens := _active_date(start, number * months, pauses, end or today)) < stop:
            out.append(occasion(OccasionKind.INTERIM, number, opens, window))
            number += 1
    if end is not None and rule.at_end:
        out.append(occasion(OccasionKind.END, 1, end, window))
    if end is not None and rule.follow_up_days is not None:
        opens = end + dt.timedelta(days=rule.follow_up_days)
        out.append(occasion(OccasionKind.FOLLOW_UP, 1, opens, window))
    return out
