"""The occasions a questionnaire schedule gives a forløb: started, paused, extended, ended early,
followed up (pure rules; the day is always given, so every case has a fixed clock)."""

from __future__ import annotations

import datetime as dt

from core.forloeb.lifecycle import Pause
from core.outcomes.schedule import (
    ForloebDates,
    OccasionKind,
    OccasionStatus,
    ScheduleRule,
    occasions,
)

D = dt.date
WHO5 = ScheduleRule(
    "who5", "mentee", baseline_within_days=14, every_months=3, at_end=True, follow_up_days=90
)


def _plan(rules, forloeb, today):
    return [
        (o.kind.value, o.number, o.role, o.opens_on, o.closes_on)
        for o in occasions(rules, forloeb, today)
    ]


def test_a_forloeb_that_never_started_has_no_occasions():
    assert occasions([WHO5], ForloebDates(started_on=None, planned_months=6), D(2026, 5, 1)) == []


def test_an_active_forloeb_has_its_baseline_and_interim_occasions_up_to_the_planned_end():
    forloeb = ForloebDates(started_on=D(2026, 1, 10), planned_months=6)
    assert _plan([WHO5], forloeb, D(2026, 2, 1)) == [
        ("baseline", 1, "mentee", D(2026, 1, 10), D(2026, 1, 23)),
        # 10 July is the planned end: no interim occasion on it; the end occasion comes at the end.
        ("interim", 1, "mentee", D(2026, 4, 10), D(2026, 4, 23)),
    ]


def test_time_paused_moves_the_interim_occasion_later():
    finished_pause = ForloebDates(
        started_on=D(2026, 1, 10), planned_months=6, pauses=(Pause(D(2026, 2, 1), D(2026, 2, 21)),)
    )
    assert _plan([WHO5], finished_pause, D(2026, 3, 1)) == [
        ("baseline", 1, "mentee", D(2026, 1, 10), D(2026, 1, 23)),
        ("interim", 1, "mentee", D(2026, 4, 30), D(2026, 5, 13)),
    ]


def test_an_ongoing_pause_keeps_the_occasion_ahead_and_never_due():
    paused = ForloebDates(
        started_on=D(2026, 1, 10), planned_months=6, pauses=(Pause(D(2026, 3, 1)),)
    )
    # 61 days paused by 1 May: the occasion of 10 April has moved to 10 June.
    (baseline, interim) = occasions([WHO5], paused, D(2026, 5, 1))
    assert (interim.opens_on, interim.status(D(2026, 5, 1), set())) == (
        D(2026, 6, 10),
        OccasionStatus.UPCOMING,
    )
    # A week later it has moved a week more.
    assert occasions([WHO5], paused, D(2026, 5, 8))[1].opens_on == D(2026, 6, 17)
    assert baseline.status(D(2026, 5, 1), set()) == OccasionStatus.MISSED


def test_a_pause_that_begins_after_an_occasion_opened_does_not_move_it():
    forloeb = ForloebDates(
        started_on=D(2026, 1, 10), planned_months=6, pauses=(Pause(D(2026, 4, 15)),)
    )
    interim = occasions([WHO5], forloeb, D(2026, 4, 20))[1]
    assert (interim.opens_on, interim.status(D(2026, 4, 20), set())) == (
        D(2026, 4, 10),
        OccasionStatus.DUE,
    )


def test_an_extended_forloeb_gets_the_extra_interim_occasions():
    extended = ForloebDates(started_on=D(2026, 1, 10), planned_months=9)
    assert [
        (o.kind.value, o.number, o.opens_on) for o in occasions([WHO5], extended, D(2026, 2, 1))
    ] == [
        ("baseline", 1, D(2026, 1, 10)),
        ("interim", 1, D(2026, 4, 10)),
        ("interim", 2, D(2026, 7, 10)),
    ]


def test_a_forloeb_ended_early_gets_its_end_and_follow_up_and_no_more_interim():
    ended = ForloebDates(started_on=D(2026, 1, 10), planned_months=6, ended_on=D(2026, 3, 15))
    assert _plan([WHO5], ended, D(2026, 3, 20)) == [
        ("baseline", 1, "mentee", D(2026, 1, 10), D(2026, 1, 23)),
        ("end", 1, "mentee", D(2026, 3, 15), D(2026, 3, 28)),
        ("follow_up", 1, "mentee", D(2026, 6, 13), D(2026, 6, 26)),
    ]


def test_a_completed_forloeb_keeps_the_interim_occasions_before_its_end():
    completed = ForloebDates(started_on=D(2026, 1, 10), planned_months=6, ended_on=D(2026, 7, 10))
    kinds = [(o.kind, o.opens_on) for o in occasions([WHO5], completed, D(2026, 7, 10))]
    assert kinds == [
        (OccasionKind.BASELINE, D(2026, 1, 10)),
        (OccasionKind.INTERIM, D(2026, 4, 10)),
        (OccasionKind.END, D(2026, 7, 10)),
        (OccasionKind.FOLLOW_UP, D(2026, 10, 8)),
    ]


def test_both_respondents_each_get_their_occasions_and_keys_are_stable():
    qpr = ScheduleRule("qpr15", "both", at_end=False, window_days=7)
    forloeb = ForloebDates(started_on=D(2026, 1, 10), planned_months=6)
    got = occasions([qpr], forloeb, D(2026, 1, 12))
    assert [o.key for o in got] == ["qpr15:mentee:baseline:1", "qpr15:mentor:baseline:1"]
    assert {o.closes_on for o in got} == {D(2026, 1, 23)}


def test_status_answered_due_missed_and_upcoming():
    forloeb = ForloebDates(started_on=D(2026, 1, 10), planned_months=6)
    baseline, interim = occasions([WHO5], forloeb, D(2026, 1, 10))
    assert baseline.status(D(2026, 1, 9), set()) == OccasionStatus.UPCOMING
    assert baseline.status(D(2026, 1, 10), set()) == OccasionStatus.DUE
    assert baseline.status(D(2026, 1, 23), set()) == OccasionStatus.DUE
    assert baseline.status(D(2026, 1, 24), set()) == OccasionStatus.MISSED
    assert baseline.status(D(2026, 1, 24), {baseline.key}) == OccasionStatus.ANSWERED
    assert interim.status(D(2026, 1, 24), {baseline.key}) == OccasionStatus.UPCOMING


def test_months_are_calendar_months():
    monthly = ScheduleRule("makker4", "mentee", baseline=False, every_months=1, at_end=False)
    forloeb = ForloebDates(started_on=D(2026, 1, 31), planned_months=3)
    assert [o.opens_on for o in occasions([monthly], forloeb, D(2026, 2, 1))] == [
        D(2026, 2, 28),
        D(2026, 3, 31),
    ]
