"""The demo's people, each through the participants' commands as a coordinator would: registered
at first contact with their contact details and enrolment (``interested``), their consent, the
details that need it (gender, birth year, postal code, interests), the før-samtale with what
matching reads (area of lived experience, challenges, a wish) and the rules' answers, then
``intake -> eligible -> ready`` - each on its own day. The rules decide: a mentor without a
mentor course, lived experience or (misbrug) a year free of abuse does not become ``eligible``.

Who joins when is the plan's (:mod:`core.demo.plan`), in the order people registered. Kolding's
mentors stay at ``intake`` here: they take a hold (:mod:`core.demo.courses`), which makes them
ready. The pairs are made by :mod:`core.demo.forloeb`.
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
    PARAGRAF_85,
    READY_TO_HOLD,
    SOBER_SINCE,
    demo_contact,
)
from core.demo.plan import Member
from core.participants import consent, enrolments, intake, people
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Person
from core.participants.schemas import EnrolIn, IntakeIn, PersonIn, PersonPatch, TransitionIn
from core.tenancy.models import Programme

#: The statuses a demo enrolment passes on its way to the waiting list, after ``interested``.
TO_READY = (EnrolmentStatus.INTAKE, EnrolmentStatus.ELIGIBLE, EnrolmentStatus.READY)


@dataclass
class Joining:
    """One person joining a programme: when, what they tell at the før-samtale, and how far
    their enrolment goes on the day of the før-samtale (``ready``, or ``intake`` for a mentor
    who is to take the mentor course first)."""

    name: str
    role: EnrolmentRole
    enrolled_on: dt.date
    intake_on: dt.date
    details: dict[str, Any] = field(default_factory=dict)
    intake: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    until: EnrolmentStatus = EnrolmentStatus.READY


async def join(
    demo: Demo, programme: Programme, who: Joining, person: Person | None
) -> tuple[Person, bool]:
    """Register (unless ``person`` exists) with fictional contact details, enrol, consent, add
    details and the før-samtale, and move the enrolment on to ``who.until``.
    :return: the person, and whether they were added."""
    added = person is None
    with demo.on(who.enrolled_on):
        if person is None:
            phone, email = demo_contact(demo.tenant.slug, who.name)
            data = PersonIn(
                name=who.name,
                phone=phone,
                email=email,
                programme=programme.slug,
                role=who.role.value,
            )
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
        for status in TO_READY[: TO_READY.index(who.until) + 1]:
            await enrolments.transition(demo.ctx(), enrolment_id, TransitionIn(to=status.value))
    return person, added


def _plugins(demo: Demo, programme: Programme) -> dict[str, Any]:
    return {**(demo.tenant.plugins or {}), **(programme.plugins or {})}


def mentor_answers(demo: Demo, programme: Programme, member: Member) -> dict[str, Any]:
    """A mentor's answers to the rules the programme enables: lived experience in one of its
    areas; a mentor course taken before Makker, unless they take a hold in Makker (Kolding);
    (misbrug) years free of abuse."""
    plugins = _plugins(demo, programme)
    answers: dict[str, Any] = {}
    on, index = member.enrolled_on, member.index
    if "lived_experience" in plugins:
        answers |= {AREAS: [member.area or ""], READY_TO_HOLD: True}
    if "mentor_course" in plugins and member.hold is None:
        answers[COURSE_COMPLETED] = (on - dt.timedelta(days=20 + (index * 29) % 300)).isoformat()
    if "misbrug" in plugins:
        answers[SOBER_SINCE] = (on - dt.timedelta(days=3 * 365 + (index * 97) % 1500)).isoformat()
    return answers


def mentee_answers(demo: Demo, programme: Programme) -> dict[str, Any]:
    return {PARAGRAF_85: True} if "vejle_85" in _plugins(demo, programme) else {}


def joining(demo: Demo, programme: Programme, member: Member) -> Joining:
    """How ``member`` of the plan joins: the details and the før-samtale matching reads (the
    area of lived experience, challenges, interests, gender, postal code, a citizen's wish); a
    mentor offers as many places as their citizens."""
    details: dict[str, Any] = {"birth_year": member.birth_year}
    if member.gender is not None:
        details["gender"] = member.gender
    if member.postal_code is not None:
        details["postal_code"] = member.postal_code
    if member.interests:
        details["interests"] = list(member.interests)
    told: dict[str, Any] = {"lived_experience": [member.area] if member.area else []}
    if member.challenges:
        told["challenges"] = ", ".join(member.challenges)
    if member.role == EnrolmentRole.MENTEE:
        if member.wish_gender is not None:
            told["wish_gender"] = member.wish_gender
        answers = mentee_answers(demo, programme)
        return Joining(
            member.name, member.role, member.enrolled_on, member.intake_on, details, told, answers
        )
    return Joining(
        member.name,
        member.role,
        member.enrolled_on,
        member.intake_on,
        details,
        {"capacity": member.capacity, **told},
        mentor_answers(demo, programme, member),
        EnrolmentStatus.INTAKE if member.hold is not None else EnrolmentStatus.READY,
    )


async def seed_people(demo: Demo) -> int:
    """Everyone of the tenant's plan who is missing, in the order they registered; returns how
    many people were added (a person is matched by name, an enrolment by name and role)."""
    added = 0
    for slug in DEMO_ENROLMENTS.get(demo.tenant.slug, {}):
        programme = await demo.programme(slug)
        plan = demo.plan(programme) if programme is not None else None
        if programme is None or plan is None:
            continue
        enrolled = {(p.name, e.role) for e, p in await demo.enrolments(programme)}
        members = plan.members()
        known = await demo.people([m.name for m in members])
        for member in members:
            if (member.name, member.role) in enrolled:
                continue
            who = joining(demo, programme, member)
            known[member.name], new = await join(demo, programme, who, known.get(member.name))
            added += new
    return added
