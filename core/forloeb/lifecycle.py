"""Forløb states and transitions, and the planned end date (pure rules, no database).

``proposed -> active <-> paused -> completed | ended_early``, and ``declined`` from proposed.
A forløb can also be completed or ended early straight from ``active``. The planned end is the
start plus the planned length (within the programme's policy, e.g. Kolding 6-9 months, Vejle 6),
moved later by every day spent paused.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta


class ForloebState(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    DECLINED = "declined"


S = ForloebState
ALLOWED: dict[ForloebState, frozenset[ForloebState]] = {
    S.PROPOSED: frozenset({S.ACTIVE, S.DECLINED}),
    S.ACTIVE: frozenset({S.PAUSED, S.COMPLETED, S.ENDED_EARLY}),
    S.PAUSED: frozenset({S.ACTIVE, S.COMPLETED, S.ENDED_EARLY}),
    S.COMPLETED: frozenset(),
    S.ENDED_EARLY: frozenset(),
    S.DECLINED: frozenset(),
}
FINAL = frozenset(state for state, targets in ALLOWED.items() if not targets)
#: Transitions that need a reason from the person making them.
NEEDS_REASON = frozenset(
    {
        (S.PROPOSED, S.DECLINED),
        (S.ACTIVE, S.ENDED_EARLY),
        (S.PAUSED, S.ENDED_EARLY),
        (S.ACTIVE, S.PAUSED),
    }
)


class TransitionError(ValueError):
    """A transition that the lifecycle does not allow, or that lacks its reason."""


def check_transition(current: ForloebState, target: ForloebState, reason: str | None) -> None:
    if target not in ALLOWED[current]:
        raise TransitionError(f"a forløb cannot go from {current.value} to {target.value}")
    if (current, target) in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(f"going from {current.value} to {target.value} needs a reason")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (``dateutil``'s ``relativedelta``); the 31st
    becomes the month's last day, 29 February the 28th in a year without it."""
    result: dt.date = day + relativedelta(months=months)
    return result


@dataclass(frozen=True)
class Pause:
    start: dt.date
    #: ``None`` while the pause goes on.
    end: dt.date | None = None
    #: When the pair plans to meet again (for the attention list).
    planned_resume: dt.date | None = None


def paused_days(pauses: list[Pause], today: dt.date) -> int:
    """Days spent paused so far (an ongoing pause counts up to ``today``)."""
    return sum(((p.end or today) - p.start).days for p in pauses)


def planned_end(
    start: dt.date, planned_months: int, pauses: list[Pause], today: dt.date
) -> dt.date:
    """The date the forløb is planned to end: start + months, moved by the time paused."""
    return add_months(start, planned_months) + dt.timedelta(days=paused_days(pauses, today))


def check_planned_months(planned_months: int, minimum: int, maximum: int) -> None:
    if not minimum <= planned_months <= maximum:
        raise ValueError(f"the planned length must be {minimum}-{maximum} months")
