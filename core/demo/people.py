"""The demo's people, each through the participants' commands as a coordinator would: registered
at first contact with their enrolment (``interested``), their consent, the details that need it,
the før-samtale with the rules' answers, then ``intake -> eligible -> ready`` - each on its own
day. The rules decide: a mentor without a mentor course, lived experience or (misbrug) a year
free of abuse does not become ``eligible``.

Kolding and Vejle's people in forløb (:data:`~core.demo.data.DEMO_ENROLMENTS`) are made
``ready`` here and paired by :mod:`core.demo.forloeb`; mentors weeks before their first citizen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.demo.base import Demo
from core.demo.data import (
    AREAS,
    COURSE_COMPLETED,
    DEMO_ENROLMENTS,
    MENTEE_ENROLLED_DAYS,
    MENTEE_INTAKE_DAYS,
    MENTOR_ENROLLED_DAYS,
    PARAGRAF_85,
    READY_TO_HOLD,
    SOBER_SINCE,
    demo_names,
)
from core.demo.forloeb import proposed_days
from core.participants import consent, enrolments, intake, people
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Person
from core.participants.schemas import EnrolIn, IntakeIn, PersonIn, PersonPatch, TransitionIn
from core.tenancy.models import Programme

#: The statuses a demo enrolment passes on its way to the waiting list, after ``interested``.
TO_READY = (EnrolmentStatus.INTAKE, EnrolmentStatus.ELIGIBLE, EnrolmentStatus.READY)


@dataclass
class Joining:
    """One person joining a programme: when, and what they tell at the før-samtale."""

    name: str
    role: EnrolmentRole
    enrolled_on: dt.date
    intake_on: dt.date
    details: dict[str, Any] = field(default_factory=dict)
    intake: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)


async def join(demo: Demo, programme: Programme, who: Joining, person: Person | None) -> bool:
    """Register (unless ``person`` exists), enrol, consent, add details and the før-samtale,
    and move the enrolment to ``ready``. :return: whether a person was added."""
    added = person is None
    with demo.on(who.enrolled_on):
        if person is None:
            data = PersonIn(name=who.name, programme=programme.slug, role=who.role.value)
            person = await people.create_person(demo.ctx(), data)
            enrolment_id = await demo.session.scalar(
                select(Enrolment.id).where(Enrolment.person_id == person.id)
            )
        else:
            enrol = EnrolIn(programme=programme.slug, role=who.role.value)
            enrolment_id = (await enrolments.enrol(demo.ctx(), person.id, enrol)).id
        assert enrolment_id is not None
        await consent.give_consent(demo.ctx(), enrolment_id)
        if who.details:
            await people.update_person(demo.ctx(), person.id, PersonPatch(**who.details))
    with demo.on(who.intake_on):
        held = IntakeIn(held_on=who.intake_on.isoformat(), **who.intake, values=who.answers)
        await intake.save_intake(demo.ctx(), enrolment_id, held)
        for status in TO_READY:
            await enrolments.transition(demo.ctx(), enrolment_id, TransitionIn(to=status.value))
    return added


def mentor_answers(
    demo: Demo, programme: Programme, index: int, on: dt.date, area: str
) -> dict[str, Any]:
    """A forløb mentor's answers to the rules the programme enables: lived experience in one of
    its areas, a mentor course taken before Makker, (misbrug) years free of abuse."""
    plugins = {**(demo.tenant.plugins or {}), **(programme.plugins or {})}
    answers: dict[str, Any] = {}
    if "lived_experience" in plugins:
        answers |= {AREAS: [area], READY_TO_HOLD: True}
    if "mentor_course" in plugins:
        answers[COURSE_COMPLETED] = (on - dt.timedelta(days=20 + (index * 29) % 300)).isoformat()
    if "misbrug" in plugins:
        answers[SOBER_SINCE] = (on - dt.timedelta(days=3 * 365 + (index * 97) % 1500)).isoformat()
    return answers


def mentee_answers(demo: Demo, programme: Programme) -> dict[str, Any]:
    plugins = {**(demo.tenant.plugins or {}), **(programme.plugins or {})}
    return {PARAGRAF_85: True} if "vejle_85" in plugins else {}


async def seed_people(demo: Demo) -> int:
    """Everyone of the tenant's forløb plan who is missing, up to ``ready``; returns how many
    people were added. Citizen ``i`` (by name) will have mentor ``i mod mentors``: a mentor's
    intake offers as many places as citizens, and comes weeks before the first proposal."""
    plan = DEMO_ENROLMENTS.get(demo.tenant.slug, {})
    names = demo_names(sum(a + b for a, b in plan.values()), demo.tenant.slug)
    existing = await demo.people([n for n, _ in names])
    added = 0
    position = 0
    for slug, (mentee_count, mentor_count) in plan.items():
        chunk = names[position : position + mentee_count + mentor_count]
        position += mentee_count + mentor_count
        programme = await demo.programme(slug)
        if programme is None:
            continue
        enrolled = {p.name for _e, p in await demo.enrolments(programme)}
        mentees = sorted(chunk[:mentee_count])
        mentors = sorted(chunk[mentee_count:])
        joining: list[Joining] = []
        for index, (name, birth_year) in enumerate(mentors):
            load = len(range(index, mentee_count, mentor_count))
            enrolled_on = demo.days_ago(MENTOR_ENROLLED_DAYS + index % 20)
            intake_on = enrolled_on + dt.timedelta(days=10)
            area = programme.areas[index % len(programme.areas)] if programme.areas else None
            joining.append(
                Joining(
                    name,
                    EnrolmentRole.MENTOR,
                    enrolled_on,
                    intake_on,
                    {"birth_year": birth_year},
                    {"capacity": max(load, 1), "lived_experience": [area] if area else []},
                    mentor_answers(demo, programme, index, enrolled_on, area or ""),
                )
            )
        for index, (name, birth_year) in enumerate(mentees):
            proposed = demo.days_ago(proposed_days(programme, index))
            joining.append(
                Joining(
                    name,
                    EnrolmentRole.MENTEE,
                    proposed - dt.timedelta(days=MENTEE_ENROLLED_DAYS),
                    proposed - dt.timedelta(days=MENTEE_INTAKE_DAYS),
                    {"birth_year": birth_year},
                    {},
                    mentee_answers(demo, programme),
                )
            )
        for who in joining:
            if who.name in enrolled:
                continue
            added += await join(demo, programme, who, existing.get(who.name))
    return added
