"""The coordinator's attention list: forløb that need a look (pure rules, no database).

- no meeting for longer than the programme's frequency allows plus a grace period;
- ending within 30 days;
- a proposal waiting more than 14 days;
- paused past the planned resume date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.forloeb.lifecycle import ForloebState, Pause, planned_end

#: Days a frequency allows between meetings ("1-2 times per 14 days" allows 14).
FREQUENCY_DAYS = {"weekly": 7, "fortnightly": 14, "one_to_two_per_fortnight": 14}
GRACE_DAYS = 7
ENDING_WITHIN_DAYS = 30
PROPOSAL_WAIT_DAYS = 14


@dataclass(frozen=True)
class ForloebFacts:
    key: str
    state: ForloebState
    frequency: str
    proposed_on: dt.date
    started_on: dt.date | None = None
    planned_months: int = 6
    #: Dates of held meetings (cancelled ones - "afbud" - are not meetings).
    meetings: tuple[dt.date, ...] = ()
    pauses: tuple[Pause, ...] = field(default=())


@dataclass(frozen=True)
class Attention:
    key: str
    code: str
    days: int


def attention(facts: ForloebFacts, today: dt.date, grace_days: int = GRACE_DAYS) -> list[Attention]:
    """Why this forløb needs a coordinator's look today (empty: it does not)."""
    found: list[Attention] = []
    if facts.state == ForloebState.PROPOSED:
        waiting = (today - facts.proposed_on).days
        if waiting > PROPOSAL_WAIT_DAYS:
            found.append(Attention(facts.key, "proposal_waiting", waiting))
        return found
    if facts.state == ForloebState.PAUSED:
        current = next((p for p in facts.pauses if p.end is None), None)
        if current and current.planned_resume and today > current.planned_resume:
            found.append(
                Attention(facts.key, "pause_overdue", (today - current.planned_resume).days)
            )
    if facts.state not in (ForloebState.ACTIVE, ForloebState.PAUSED) or facts.started_on is None:
        return found
    if facts.state == ForloebState.ACTIVE:
        last = max((d for d in facts.meetings if d <= today), default=facts.started_on)
        # Time paused since the last meeting does not count as missed meetings.
        paused_since = sum(
            ((p.end or today) - max(p.start, last)).days
            for p in facts.pauses
            if (p.end or today) > last
        )
        quiet = (today - last).days - paused_since
        if quiet > FREQUENCY_DAYS[facts.frequency] + grace_days:
            found.append(Attention(facts.key, "no_recent_meeting", quiet))
    end = planned_end(facts.started_on, facts.planned_months, list(facts.pauses), today)
    left = (end - today).days
    if 0 <= left <= ENDING_WITHIN_DAYS:
        found.append(Attention(facts.key, "ending_soon", left))
    return found
