"""The demo's forløb, through the forløb commands on the days they happened (the plan's dates,
:mod:`core.demo.plan`): the coordinator proposes the pair from the waiting list (both enrolments
``matched``) with the proposal command, which stores the score and Danish reasons the
programme's matching strategy gives the pair (the people's før-samtale fits their mentor:
:func:`core.demo.plan.citizen_profile`), sets the plan, the mentor says yes two days later and
the citizen on the start day (the forløb becomes ``active``, both enrolments too); then the
meetings on their days, an occasional afbud among them. A few forløb are paused now (after their
last meeting, with a reason and the day the pair plans to meet again); the forløb that are over
ended as planned (``completed``) or early, with the reason - the citizen's enrolment is
``finished``, the mentor goes on with the citizens they have now. Each forløb's questionnaire
answers follow (:mod:`core.demo.outcomes`).

The forløb that are over come first (they are older), then the present ones, oldest first. A
citizen with any forløb gets none, so a used demo is left as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from core.demo.base import Demo
from core.demo.data import DEMO_ENROLMENTS, DEMO_MEETING_MINUTES, MENTOR_ACCEPTS_DAYS
from core.demo.outcomes import seed_answers
from core.demo.plan import PairPlan
from core.forloeb import commands, meetings, proposals
from core.forloeb.models import ACTIVITIES, Forloeb
from core.forloeb.schemas import AcceptIn, MeetingIn, PairIn, PlanIn, ProposalsIn, TransitionIn
from core.participants.models import EnrolmentRole, EnrolmentStatus
from core.tenancy.models import Programme


async def _start(
    demo: Demo, programme: Programme, pair: PairPlan, mentee: uuid.UUID, mentor: uuid.UUID
) -> uuid.UUID:
    with demo.on(pair.proposed_on):
        wanted = ProposalsIn([PairIn(mentee=mentee, mentor=mentor)])
        (row,) = await proposals.propose(demo.ctx(), programme.slug, wanted)
        forloeb = row.forloeb
        if (forloeb.frequency, forloeb.planned_months) != (pair.frequency, pair.planned_months):
            plan = PlanIn(frequency=pair.frequency, planned_months=pair.planned_months)
            await commands.set_plan(demo.ctx(), forloeb.id, plan)
    with demo.on(pair.proposed_on + dt.timedelta(days=MENTOR_ACCEPTS_DAYS)):
        await commands.accept(demo.ctx(), forloeb.id, AcceptIn(party="mentor"))
    with demo.on(pair.started_on):
        await commands.accept(demo.ctx(), forloeb.id, AcceptIn(party="mentee"))
    return forloeb.id


async def _meet(demo: Demo, forloeb_id: uuid.UUID, pair: PairPlan) -> None:
    """The pair's meetings and afbud, oldest first."""
    for k, (day, cancelled) in enumerate(pair.meetings):
        turn = pair.index + k
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


async def _after(demo: Demo, forloeb_id: uuid.UUID, pair: PairPlan) -> None:
    """A pause that goes on, or the end of a forløb that is over."""
    if pair.pause is not None:
        pause = TransitionIn(to="paused", reason=pair.pause.reason, resume_on=pair.pause.resume_on)
        with demo.on(pair.pause.starts_on, hour=11):
            await commands.change_state(demo.ctx(), forloeb_id, pause)
    if pair.outcome is not None and pair.ended_on is not None:
        with demo.on(pair.ended_on, hour=11):
            await commands.change_state(
                demo.ctx(), forloeb_id, TransitionIn(to=pair.outcome, reason=pair.reason)
            )


async def seed_forloeb(demo: Demo) -> None:
    """Every forløb of the tenant's plan whose citizen is ``ready`` and has none."""
    for slug in DEMO_ENROLMENTS.get(demo.tenant.slug, {}):
        programme = await demo.programme(slug)
        plan = demo.plan(programme) if programme is not None else None
        if programme is None or plan is None:
            continue
        rows = await demo.enrolments(programme)
        mentees = {p.name: e for e, p in rows if e.role == EnrolmentRole.MENTEE}
        mentors = {p.name: e for e, p in rows if e.role == EnrolmentRole.MENTOR}
        paired = set(
            await demo.session.scalars(
                select(Forloeb.mentee_enrolment_id).where(Forloeb.programme_id == programme.id)
            )
        )
        present = sorted(plan.pairs, key=lambda p: (p.proposed_on, p.index))
        for pair in plan.done + present:
            mentee, mentor = mentees.get(pair.mentee), mentors.get(pair.mentor)
            if mentee is None or mentor is None or mentee.id in paired:
                continue
            if mentee.status != EnrolmentStatus.READY.value:
                continue
            forloeb_id = await _start(demo, programme, pair, mentee.id, mentor.id)
            await _meet(demo, forloeb_id, pair)
            await _after(demo, forloeb_id, pair)
            await seed_answers(demo, programme, pair, forloeb_id)
