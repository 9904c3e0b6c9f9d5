"""Vejle's misbrug waiting list (issue 6): six citizens (one paused) and four mentors ``ready``
for matching, each with a før-samtale (experiences, interests, wishes, postal codes around
Vejle; one mentor takes two citizens). The mentors record a mentor course taken before Makker
and years free of abuse, so the ``mentor_course`` and ``misbrug`` rules let them be matched.
The global assignment proposes five explained pairs; the ``vejle-mentor`` sign-in is Mette
Skitsesen, proposed as Karen Udkastrup's mentor.

Everyone joins through the participants' commands (:func:`core.demo.people.join`) two weeks
before the first seeding; names follow the demo scheme, distinct from the tenant's other people
(:data:`core.demo.data.DEMO_WAITING_PEOPLE`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.demo.base import Demo
from core.demo.data import (
    AREAS,
    COURSE_COMPLETED,
    DEMO_WAITING,
    DEMO_WAITING_PEOPLE,
    READY_TO_HOLD,
    SOBER_SINCE,
    WAITING_ENROLLED_DAYS,
    WAITING_INTAKE_DAYS,
    WaitingPerson,
)
from core.demo.people import Joining, join
from core.participants.models import EnrolmentRole

__all__ = ["DEMO_WAITING", "DEMO_WAITING_PEOPLE", "WaitingPerson", "seed_waiting_list"]


def _joining(spec: WaitingPerson, demo: Demo) -> Joining:
    low, high = spec.wish_age or (None, None)
    intake_on = demo.days_ago(WAITING_INTAKE_DAYS)
    intake: dict[str, Any] = {
        "staff": "Misbrugscentret (demo)",
        "motivation": spec.motivation,
        "lived_experience": ["misbrug"],
        "challenges": spec.challenges,
        "wish_gender": spec.wish_gender,
        "wish_gender_required": spec.wish_gender_required,
        "wish_age_min": low,
        "wish_age_max": high,
        "wish_activities": spec.wish_activities,
        "wish_area": "Vejle",
        "capacity": spec.capacity,
    }
    if spec.paused_days:
        intake["paused_until"] = (demo.today + dt.timedelta(days=spec.paused_days)).isoformat()
    answers: dict[str, Any] = {}
    if spec.role == EnrolmentRole.MENTOR:
        answers = {
            AREAS: ["misbrug"],
            READY_TO_HOLD: True,
            SOBER_SINCE: spec.sober_since,
            COURSE_COMPLETED: spec.course_completed,
        }
    details = {
        "gender": spec.gender,
        "birth_year": spec.birth_year,
        "postal_code": spec.postal_code,
        "interests": list(spec.interests),
    }
    return Joining(
        spec.name,
        spec.role,
        demo.days_ago(WAITING_ENROLLED_DAYS),
        intake_on,
        details,
        intake,
        answers,
    )


async def seed_waiting_list(demo: Demo) -> int:
    """The waiting-list people and enrolments that are missing; returns people added."""
    tenant_slug, slug = DEMO_WAITING
    programme = await demo.programme(slug) if demo.tenant.slug == tenant_slug else None
    if programme is None:
        return 0
    people = await demo.people([w.name for w in DEMO_WAITING_PEOPLE])
    enrolled = {p.name for _e, p in await demo.enrolments(programme)}
    added = 0
    for spec in DEMO_WAITING_PEOPLE:
        if spec.name not in enrolled:
            _person, new = await join(demo, programme, _joining(spec, demo), people.get(spec.name))
            added += new
    return added
