"""Forløb lifecycle, planned end and attention rules (pure functions)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core.forloeb.attention import ForloebFacts, attention
from core.forloeb.lifecycle import (
    ALLOWED,
    FINAL,
    ForloebState,
    Pause,
    TransitionError,
    add_months,
    check_planned_months,
    check_transition,
    planned_end,
)

S = ForloebState
EXPECTED_ALLOWED = {
    (S.PROPOSED, S.ACTIVE),
    (S.PROPOSED, S.DECLINED),
    (S.ACTIVE, S.PAUSED),
    (S.ACTIVE, S.COMPLETED),
    (S.ACTIVE, S.ENDED_EARLY),
    (S.PAUSED, S.ACTIVE),
    (S.PAUSED, S.COMPLETED),
    (S.PAUSED, S.ENDED_EARLY),
}


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_ALLOWED))
def test_allowed_transition(current, target):
    check_transition(current, target, reason="aftalt med begge")


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(itertools.product(S, S)) - EXPECTED_ALLOWED),
)
def test_forbidden_transition(current, target):
    with pytest.raises(TransitionError) as excinfo:
        check_transition(current, target, reason="x")
    assert str(excinfo.value) == f"a forløb cannot go from {current.value} to {target.value}"


def test_the_table_is_exactly_the_documented_lifecycle():
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == EXPECTED_ALLOWED
    assert {S.COMPLETED, S.ENDED_EARLY, S.DECLINED} == FINAL


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.PROPOSED, S.DECLINED), (S.ACTIVE, S.ENDED_EARLY), (S.ACTIVE, S.PAUSED)],
)
def test_declining_ending_early_and_pausing_need_a_reason(current, target):
    with pytest.raises(TransitionError) as excinfo:
        check_transition(current, target, reason="  ")
    assert str(excinfo.value) == f"going from {current.value} to {target.value} needs a reason"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2026, 5, 15), 9, dt.date(2027, 2, 15)),
    ],
)
def test_add_months_clamps_to_the_months_last_day(day, months, expected):
    assert add_months(day, months) == expected


def test_pause_moves_the_planned_end():
    start = dt.date(2026, 1, 10)
    assert planned_end(start, 6, [], dt.date(2026, 3, 1)) == dt.date(2026, 7, 10)
    pauses = [Pause(dt.date(2026, 2, 1), dt.date(2026, 2, 15))]
    assert planned_end(start, 6, pauses, dt.date(2026, 3, 1)) == dt.date(2026, 7, 24)
    ongoing = [*pauses, Pause(dt.date(2026, 3, 1))]
    assert planned_end(start, 6, ongoing, dt.date(2026, 3, 11)) == dt.date(2026, 8, 3)


def test_planned_length_must_follow_the_programme_policy():
    check_planned_months(9, 6, 9)
    with pytest.raises(ValueError) as excinfo:
        check_planned_months(10, 6, 9)
    assert str(excinfo.value) == "the planned length must be 6-9 months"


TODAY = dt.date(2026, 11, 23)


def _active(**changes):
    facts = dict(
        key="f",
        state=S.ACTIVE,
        frequency="weekly",
        proposed_on=dt.date(2026, 9, 1),
        started_on=dt.date(2026, 9, 10),
        planned_months=6,
    )
    facts.update(changes)
    return ForloebFacts(**facts)


def test_weekly_forloeb_quiet_beyond_frequency_plus_grace_needs_attention():
    # weekly = 7 days + 7 days grace: 14 quiet days are fine, 15 are not
    assert attention(_active(meetings=(TODAY - dt.timedelta(days=14),)), TODAY) == []
    (flag,) = attention(_active(meetings=(TODAY - dt.timedelta(days=15),)), TODAY)
    assert (flag.code, flag.days) == ("no_recent_meeting", 15)


def test_fortnightly_allows_three_weeks_and_no_meeting_counts_from_the_start():
    quiet = _active(frequency="fortnightly", started_on=TODAY - dt.timedelta(days=22))
    assert [(a.code, a.days) for a in attention(quiet, TODAY)] == [("no_recent_meeting", 22)]
    fine = _active(frequency="fortnightly", started_on=TODAY - dt.timedelta(days=21))
    assert attention(fine, TODAY) == []


def test_time_paused_is_not_counted_as_missed_meetings():
    facts = _active(
        meetings=(TODAY - dt.timedelta(days=30),),
        pauses=(Pause(TODAY - dt.timedelta(days=25), TODAY - dt.timedelta(days=9)),),
    )
    assert attention(facts, TODAY) == []  # 30 quiet days, 16 of them paused: 14 count


def test_ending_within_30_days():
    start = add_months(TODAY + dt.timedelta(days=30), -6)  # planned end: 30 days from today
    facts = _active(started_on=start, meetings=(TODAY,))
    assert [(a.code, a.days) for a in attention(facts, TODAY)] == [("ending_soon", 30)]
    later = _active(started_on=start + dt.timedelta(days=1), meetings=(TODAY,))
    assert attention(later, TODAY) == []


def test_proposal_waiting_more_than_14_days():
    waiting = ForloebFacts("p", S.PROPOSED, "weekly", proposed_on=TODAY - dt.timedelta(days=15))
    fresh = ForloebFacts("p", S.PROPOSED, "weekly", proposed_on=TODAY - dt.timedelta(days=14))
    assert [(a.code, a.days) for a in attention(waiting, TODAY)] == [("proposal_waiting", 15)]
    assert attention(fresh, TODAY) == []


def test_paused_past_planned_resume_date():
    facts = _active(
        state=S.PAUSED,
        meetings=(TODAY,),
        pauses=(Pause(TODAY - dt.timedelta(days=20), planned_resume=TODAY - dt.timedelta(days=3)),),
    )
    assert [(a.code, a.days) for a in attention(facts, TODAY)] == [("pause_overdue", 3)]


def test_finished_forloeb_need_no_attention():
    for state in (S.COMPLETED, S.ENDED_EARLY, S.DECLINED):
        assert attention(_active(state=state), TODAY) == []
