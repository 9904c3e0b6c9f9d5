"""Vejle's misbrug waiting list (issue 6): six citizens (one paused) and four mentors ``ready``
for matching, each with a før-samtale (experiences, interests, wishes, postal codes around
Vejle; one mentor takes two citizens). The mentors record a mentor course taken before Makker
and years free of abuse, so the ``mentor_course`` and ``misbrug`` rules let them be matched.
The global assignment proposes five explained pairs; the ``vejle-mentor`` sign-in is Mette
Skitsesen, proposed as Karen Udkastrup's mentor.

Everyone joins through the participants' commands (:func:`core.demo.people.join`) two weeks
before the first seeding; names follow the demo scheme, distinct from the people in forløb.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.demo.base import Demo
from core.demo.data import AREAS, COURSE_COMPLETED, DEMO_WAITING_MENTOR, READY_TO_HOLD, SOBER_SINCE
from core.demo.people import Joining, join
from core.participants.models import EnrolmentRole

#: The tenant and programme of the waiting list.
DEMO_WAITING = ("vejle", "misbrug-mentor")
#: The waiting people registered this many days before the first seeding; the før-samtale
#: followed a week later.
ENROLLED_DAYS = 21
INTAKE_DAYS = 14


@dataclass(frozen=True)
class WaitingPerson:
    """A person on the demo waiting list and their før-samtale (names from the demo scheme,
    distinct from the people in forløb)."""

    name: str
    role: EnrolmentRole
    gender: str
    birth_year: int
    postal_code: str
    interests: tuple[str, ...]
    challenges: str
    motivation: str
    capacity: int = 1
    wish_gender: str | None = None
    wish_gender_required: bool = False
    wish_age: tuple[int, int] | None = None
    wish_activities: str | None = None
    #: Taking a break from the waiting list for this many days from the first seeding.
    paused_days: int = 0
    #: Mentors: free of abuse since (``misbrug.sober_since``), mentor course completed on
    #: (``mentor_course.completed_on``).
    sober_since: str | None = None
    course_completed: str | None = None


_MENTEE, _MENTOR = EnrolmentRole.MENTEE, EnrolmentRole.MENTOR
#: The waiting list.
DEMO_WAITING_PEOPLE = (
    WaitingPerson(
        DEMO_WAITING_MENTOR,
        _MENTOR,
        "kvinde",
        1979,
        "7100",
        ("gåture", "strik"),
        "alkohol, ensomhed",
        "Vil give det videre, som hjalp mig ud af druk og ensomhed.",
        sober_since="2018-04-01",
        course_completed="2025-03-20",
    ),
    WaitingPerson(
        "Hans Testrup",
        _MENTOR,
        "mand",
        1963,
        "7120",
        ("fiskeri", "fodbold"),
        "alkohol, familie",
        "Har selv været der og har tid, nu jeg er gået på efterløn.",
        capacity=2,
        sober_since="2014-09-15",
        course_completed="2024-11-14",
    ),
    WaitingPerson(
        "Rasmus Prøvesen",
        _MENTOR,
        "mand",
        1991,
        "7300",
        ("computerspil", "fitness"),
        "hash, ensomhed",
        "Vil vise, at man godt kan komme ud af hashen.",
        sober_since="2021-01-10",
        course_completed="2025-03-20",
    ),
    WaitingPerson(
        "Gitte Pladsholm",
        _MENTOR,
        "kvinde",
        1984,
        "7080",
        ("madlavning", "gåture"),
        "hash, familie",
        "Kender til at være mor midt i et misbrug og vil gerne støtte andre.",
        sober_since="2019-06-01",
        course_completed="2024-11-14",
    ),
    WaitingPerson(
        "Karen Udkastrup",
        _MENTEE,
        "kvinde",
        1987,
        "7100",
        ("gåture", "strik"),
        "alkohol, ensomhed",
        "Vil gerne have nogen at gå en tur med, der forstår det.",
        wish_gender="kvinde",
        wish_gender_required=True,
        wish_activities="Gåture, måske en kop kaffe.",
    ),
    WaitingPerson(
        "Jens Fiktivsen",
        _MENTEE,
        "mand",
        1969,
        "7120",
        ("fiskeri",),
        "alkohol, familie",
        "Vil have styr på drikkeriet og kontakten med børnene igen.",
        wish_age=(50, 70),
        wish_activities="Fiskeri ved fjorden.",
    ),
    WaitingPerson(
        "Torben Øvelsesen",
        _MENTEE,
        "mand",
        1958,
        "7100",
        ("fodbold",),
        "alkohol",
        "Savner nogen at tale med, der ikke dømmer.",
    ),
    WaitingPerson(
        "Frederik Demosen",
        _MENTEE,
        "mand",
        1999,
        "7300",
        ("computerspil", "fitness"),
        "hash",
        "Vil ud af hashen og i gang med en uddannelse.",
        wish_activities="Træning.",
    ),
    WaitingPerson(
        "Sofie Attrapsen",
        _MENTEE,
        "kvinde",
        1996,
        "7080",
        ("madlavning",),
        "hash, familie",
        "Vil gerne være en stabil mor for min søn.",
        wish_gender="kvinde",
    ),
    WaitingPerson(
        "Bo Prøvesen",
        _MENTEE,
        "mand",
        1975,
        "7183",
        ("fiskeri",),
        "alkohol, ensomhed",
        "Er i behandling og vil have en mentor bagefter.",
        paused_days=45,
    ),
)


def _joining(spec: WaitingPerson, demo: Demo) -> Joining:
    low, high = spec.wish_age or (None, None)
    intake_on = demo.days_ago(INTAKE_DAYS)
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
        demo.days_ago(ENROLLED_DAYS),
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
            added += await join(demo, programme, _joining(spec, demo), people.get(spec.name))
    return added
