"""The demo's forløb, through the forløb commands on the days they happened: the coordinator
proposes the pair from the waiting list (both enrolments ``matched``), sets the plan, the mentor
says yes two days later and the citizen on the start day (the forløb becomes ``active``, both
enrolments too); then the meetings on their days, an occasional afbud among them.

Every ``ready`` citizen of the tenant's plan gets the mentor :mod:`core.demo.people` made room
for (a citizen with any forløb gets none, so a used demo is left as it is). A few pairs have not
met for weeks or end within a month, so the coordinators' attention list has entries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from core.demo.base import Demo
from core.demo.data import (
    DEMO_ENROLMENTS,
    DEMO_MEETING_MINUTES,
    MENTOR_ACCEPTS_DAYS,
    STARTS_DAYS,
    demo_forloeb_plan,
    demo_names,
)
from core.forloeb import commands, meetings, proposals
from core.forloeb.attention import FREQUENCY_DAYS
from core.forloeb.models import ACTIVITIES, Forloeb
from core.forloeb.schemas import AcceptIn, MeetingIn, PairIn, PlanIn, ProposalsIn
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus
from core.tenancy.models import Programme


@dataclass(frozen=True)
class Pair:
    """The ``index``-th citizen (by name) of a programme and their mentor's enrolment."""

    index: int
    mentee: uuid.UUID
    mentor: uuid.UUID
    frequency: str
    #: Days before the first seeding: the start, and each meeting (newest first).
    started_days: int
    meeting_days: list[int]


def plan_of(programme: Programme, index: int) -> tuple[str, int, list[int]]:
    """The ``index``-th pair's meeting frequency (the programme's in turn), days since the
    start and since each meeting."""
    frequencies = (programme.policy or {}).get("meeting_frequencies") or ["weekly"]
    frequency = frequencies[index % len(frequencies)]
    started, meeting_days = demo_forloeb_plan(index, FREQUENCY_DAYS.get(frequency, 14))
    return frequency, started, meeting_days


def proposed_days(programme: Programme, index: int) -> int:
    """Days before the first seeding that the ``index``-th citizen's forløb was proposed."""
    return plan_of(programme, index)[1] + STARTS_DAYS


async def _pairs(demo: Demo, programme: Programme, names: set[str]) -> list[Pair]:
    rows = [(e, p) for e, p in await demo.enrolments(programme) if p.name in names]
    mentees = [e for e, _p in rows if e.role == EnrolmentRole.MENTEE]
    mentors = [e for e, _p in rows if e.role == EnrolmentRole.MENTOR]
    if not mentors:
        return []
    paired = set(
        await demo.session.scalars(
            select(Forloeb.mentee_enrolment_id).where(Forloeb.programme_id == programme.id)
        )
    )
    pairs = []
    for index, mentee in enumerate(mentees):
        if mentee.id in paired or mentee.status != EnrolmentStatus.READY.value:
            continue
        mentor: Enrolment = mentors[index % len(mentors)]
        frequency, started, meeting_days = plan_of(programme, index)
        pairs.append(Pair(index, mentee.id, mentor.id, frequency, started, meeting_days))
    return sorted(pairs, key=lambda p: (-p.started_days, p.index))


async def _start(demo: Demo, programme: Programme, pair: Pair) -> uuid.UUID:
    started = demo.days_ago(pair.started_days)
    proposed = started - dt.timedelta(days=STARTS_DAYS)
    with demo.on(proposed):
        wanted = ProposalsIn([PairIn(mentee=pair.mentee, mentor=pair.mentor)])
        (row,) = await proposals.propose(demo.ctx(), programme.slug, wanted)
        forloeb = row.forloeb
        if forloeb.frequency != pair.frequency:
            plan = PlanIn(frequency=pair.frequency, planned_months=forloeb.planned_months)
            await commands.set_plan(demo.ctx(), forloeb.id, plan)
    with demo.on(proposed + dt.timedelta(days=MENTOR_ACCEPTS_DAYS)):
        await commands.accept(demo.ctx(), forloeb.id, AcceptIn(party="mentor"))
    with demo.on(started):
        await commands.accept(demo.ctx(), forloeb.id, AcceptIn(party="mentee"))
    return forloeb.id


async def _meet(demo: Demo, forloeb_id: uuid.UUID, pair: Pair) -> None:
    """The pair's meetings, oldest first; every fifth pair's third newest is an afbud."""
    for k in reversed(range(len(pair.meeting_days))):
        turn = pair.index + k
        cancelled = k == 2 and pair.index % 5 == 0  # an afbud, never the last meeting
        day = demo.days_ago(pair.meeting_days[k])
        meeting = MeetingIn(
            day=day.isoformat(),
            activity=ACTIVITIES[turn % len(ACTIVITIES)],
            duration_minutes=(
                None if cancelled else DEMO_MEETING_MINUTES[turn % len(DEMO_MEETING_MINUTES)]
            ),
            cancelled=cancelled,
        )
        with demo.on(day, hour=16):
            await meetings.log_meeting(demo.ctx(), forloeb_id, meeting)


async def seed_forloeb(demo: Demo) -> None:
    """A forløb, active with its history and meetings, for every ``ready`` citizen of the
    tenant's plan that has none."""
    plan = DEMO_ENROLMENTS.get(demo.tenant.slug, {})
    names = demo_names(sum(a + b for a, b in plan.values()), demo.tenant.slug)
    position = 0
    for slug, (mentee_count, mentor_count) in plan.items():
        chunk = {n for n, _ in names[position : position + mentee_count + mentor_count]}
        position += mentee_count + mentor_count
        programme = await demo.programme(slug)
        if programme is None:
            continue
        for pair in await _pairs(demo, programme, chunk):
            await _meet(demo, await _start(demo, programme, pair), pair)
