"""Clearly fictional demo data for the shipped tenants (``makker demo``).

Surnames are invented (Demosen, Eksempelsen, ...) so nobody mistakes a demo person for a real
citizen. Kolding's numbers follow what Kolding reported: 102 citizens and 69 mentors in forløb in
Borger til Borger. Vejle grants Psykiatrifonden ``participants`` on the misbrug programme and
``aggregate`` on Peer-to-Peer. Kolding's mentor course has nine finished hold and hold 10 and
11 running (monthly sessions, dated from the day of the first seeding), a weekly interest group
and a monthly group supervision; Vejle publishes a monthly information meeting.

Matching and forløb (issue 6): every ``active`` citizen has a real forløb with their mentor (a
mentor has one or two citizens; the intake's capacity says so), started 1-5 months before the
first seeding at the programme's first meeting frequency and shortest length, with its history
and a few meetings; a few pairs have not met for weeks or end within a month, so the
coordinators' attention list has entries. Vejle's misbrug programme has a waiting list: six
citizens (one paused) and four mentors ``ready`` with a før-samtale (experiences, interests,
wishes, postal codes around Vejle; one mentor takes two citizens), the mentors with a mentor
course taken before Makker and years free of abuse, so the ``mentor_course`` and ``misbrug``
rules let them be matched. The global assignment proposes five explained pairs; the
``vejle-mentor`` sign-in is Mette Skitsesen, proposed as Karen Udkastrup's mentor, so
after a coordinator has matched the list and both parties have said yes, vejle-mentor logs the
first meeting from "Mit forløb".

Seeding is idempotent: people are matched by name within their tenant, enrolments by person and
programme, grants by programme and partner, hold by programme and number, activities by title,
forløb by the citizen's enrolment (a citizen with any forløb gets none); a demo that has been
used (matched, accepted, met) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.activities.models import Activity, ActivityKind, ActivityMember, Recurrence
from core.activities.recurrence import add_months, monthly_days
from core.audit.service import notes_written_to
from core.context import context_for
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.tenant_scope import tenant_scope
from core.forloeb.attention import FREQUENCY_DAYS
from core.forloeb.lifecycle import ForloebState
from core.forloeb.models import ACTIVITIES, OPEN_STATES, Forloeb, ForloebEvent, Meeting
from core.identity.dev_users import DEMO_USERS
from core.participants.models import (
    Consent,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    EnrolmentStatus,
    Intake,
    Person,
)
from core.participants.service import current_consent_text
from core.plugin_api import create_plugin_manager
from core.tenancy.models import Programme, Tenant
from core.tenancy.partnerships import grant_partnership, grants_given
from core.tenancy.schemas import GrantIn

FIRST_NAMES = (
    "Anna",
    "Bo",
    "Camilla",
    "Dennis",
    "Emma",
    "Frederik",
    "Gitte",
    "Hans",
    "Ida",
    "Jens",
    "Karen",
    "Lars",
    "Mette",
    "Niels",
    "Oliver",
    "Pia",
    "Rasmus",
    "Sofie",
    "Torben",
    "Ulla",
)
FICTIONAL_SURNAMES = (
    "Demosen",
    "Eksempelsen",
    "Prøvesen",
    "Fiktivsen",
    "Opdigtsen",
    "Testrup",
    "Øvelsesen",
    "Skitsesen",
    "Modelgaard",
    "Pladsholm",
    "Attrapsen",
    "Udkastrup",
)
#: Per tenant: programme slug -> (mentees, mentors) in forløb. The people are made to fit.
DEMO_ENROLMENTS: dict[str, dict[str, tuple[int, int]]] = {
    "kolding": {"borger-til-borger": (102, 69)},
    "vejle": {"peer-to-peer": (18, 12), "misbrug-mentor": (12, 6)},
}
DEMO_GRANTS = (
    ("vejle", "misbrug-mentor", "psykiatrifonden", "participants"),
    ("vejle", "peer-to-peer", "psykiatrifonden", "aggregate"),
)
DEMO_ACTOR = "makker-demo"
#: Intake answers of the ``mentor_course`` and ``misbrug`` plugins (``Person.attributes``).
COURSE_COMPLETED = "mentor_course.completed_on"
SOBER_SINCE = "misbrug.sober_since"


def demo_names(count: int, seed: str) -> list[tuple[str, int]]:
    """``count`` distinct fictional (name, birth year) pairs, the same for the same seed."""
    pairs = [(f, s) for f in FIRST_NAMES for s in FICTIONAL_SURNAMES]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} demo names")
    return [(f"{f} {s}", rng.randint(1950, 2004)) for f, s in pairs[:count]]


async def _seed_tenant(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, plan: dict[str, tuple[int, int]]
) -> int:
    total = sum(mentees + mentors for mentees, mentors in plan.values())
    names = demo_names(total, tenant.slug)
    added = 0
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            people = {p.name: p for p in await session.scalars(select(Person))}
            programmes = {p.slug: p for p in await session.scalars(select(Programme))}
            enrolled = {
                (e.person_id, e.programme_id) for e in await session.scalars(select(Enrolment))
            }
            position = 0
            for slug, (mentees, mentors) in plan.items():
                programme = programmes.get(slug)
                roles = [EnrolmentRole.MENTEE] * mentees + [EnrolmentRole.MENTOR] * mentors
                for role in roles:
                    name, birth_year = names[position]
                    position += 1
                    person = people.get(name)
                    if person is None:
                        person = Person(name=name, birth_year=birth_year)
                        session.add(person)
                        await session.flush()
                        people[name] = person
                        added += 1
                    if programme and (person.id, programme.id) not in enrolled:
                        await _enrol_active(session, tenant, programme, person, role)
                        enrolled.add((person.id, programme.id))
    return added


#: The path a demo enrolment took to ``active`` (each step an event by the demo actor).
DEMO_PATH = ("interested", "intake", "eligible", "ready", "matched", "active")


async def _enrol_active(
    session: AsyncSession, tenant: Tenant, programme: Programme, person: Person, role: EnrolmentRole
) -> None:
    """An ``active`` enrolment with a plausible history and a consent to the default text."""
    await _enrol(session, tenant, programme, person, role, DEMO_PATH)


async def _enrol(
    session: AsyncSession,
    tenant: Tenant,
    programme: Programme,
    person: Person,
    role: EnrolmentRole,
    path: tuple[str, ...],
) -> Enrolment:
    """An enrolment that took ``path`` (its last step is the status), with a consent."""
    enrolment = Enrolment(
        person_id=person.id, programme_id=programme.id, role=role, status=path[-1]
    )
    session.add(enrolment)
    await session.flush()
    text = await current_consent_text(session, tenant, programme, DEMO_ACTOR)
    session.add(Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by=DEMO_ACTOR))
    previous: str | None = None
    for status in path:
        session.add(
            EnrolmentEvent(
                enrolment_id=enrolment.id, from_status=previous, to_status=status, actor=DEMO_ACTOR
            )
        )
        previous = status
    return enrolment


#: Vejle's misbrug waiting list (issue 6): citizens and mentors ``ready`` for matching, with a
#: før-samtale. The mentors record a mentor course taken before Makker and have been free of
#: abuse for years, so the ``mentor_course`` and ``misbrug`` rules let them be matched.
DEMO_WAITING = ("vejle", "misbrug-mentor")
#: The Vejle mentor on the waiting list that the ``vejle-mentor`` sign-in is linked to.
DEMO_WAITING_MENTOR = "Mette Skitsesen"


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
#: The path of a waiting-list enrolment (its history up to ``ready``).
DEMO_WAITING_PATH = DEMO_PATH[: DEMO_PATH.index("ready") + 1]


def _waiting_attributes(person: WaitingPerson) -> dict[str, object]:
    if person.role != EnrolmentRole.MENTOR:
        return {}
    return {
        "lived_experience.areas": ["misbrug"],
        "lived_experience.ready_to_hold_others": True,
        SOBER_SINCE: person.sober_since,
        COURSE_COMPLETED: person.course_completed,
    }


async def _seed_waiting_list(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, programme_slug: str
) -> int:
    """Add the waiting-list people and enrolments that are missing; returns people added."""
    today = clock.today()
    added = 0
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(
                select(Programme).where(Programme.slug == programme_slug)
            )
            if programme is None:
                return 0
            names = [w.name for w in DEMO_WAITING_PEOPLE]
            people = {
                p.name: p
                for p in await session.scalars(select(Person).where(Person.name.in_(names)))
            }
            enrolled = set(
                await session.scalars(
                    select(Enrolment.person_id).where(Enrolment.programme_id == programme.id)
                )
            )
            for spec in DEMO_WAITING_PEOPLE:
                person = people.get(spec.name)
                if person is None:
                    person = Person(
                        name=spec.name,
                        gender=spec.gender,
                        birth_year=spec.birth_year,
                        postal_code=spec.postal_code,
                        interests=list(spec.interests),
                        attributes=_waiting_attributes(spec),
                    )
                    session.add(person)
                    await session.flush()
                    added += 1
                if person.id in enrolled:
                    continue
                enrolment = await _enrol(
                    session, tenant, programme, person, spec.role, DEMO_WAITING_PATH
                )
                low, high = spec.wish_age or (None, None)
                session.add(
                    Intake(
                        enrolment_id=enrolment.id,
                        held_on=today - dt.timedelta(days=14),
                        staff="Misbrugscentret (demo)",
                        motivation=spec.motivation,
                        lived_experience=["misbrug"],
                        challenges=spec.challenges,
                        wish_gender=spec.wish_gender,
                        wish_gender_required=spec.wish_gender_required,
                        wish_age_min=low,
                        wish_age_max=high,
                        wish_activities=spec.wish_activities,
                        wish_area="Vejle",
                        capacity=spec.capacity,
                        paused_until=(
                            today + dt.timedelta(days=spec.paused_days)
                            if spec.paused_days
                            else None
                        ),
                    )
                )
    return added


#: Kolding's mentor course: hold 1-9 finished, 10 and 11 running; six monthly teaching days.
DEMO_COURSE = ("kolding", "borger-til-borger")
DEMO_COURSE_TOPICS = (
    "Velkommen, forventninger og rollen som mentor",
    "Recovery og din egen historie",
    "Grænser, og at sige nej",
    "Den gode samtale og aktiv lytning",
    "Tavshedspligt, netværk og hvor man får hjælp",
    "Afslutning af et forløb og næste skridt",
)
#: Mentors on each running hold (taken from Kolding's enrolled mentors, by name).
DEMO_COURSE_MENTORS = 8
#: Members of Kolding's interest group: mentors, citizens.
DEMO_GROUP_MEMBERS = (2, 5)


def demo_course_starts(today: dt.date) -> dict[int, dt.date]:
    """First teaching day of each demo hold: the 10th of a month; hold 9 a year ago and each
    earlier one six months before the next (all finished), hold 10 three months ago and hold 11
    a month ago (both running: the last of their six sessions lies ahead)."""
    anchor = dt.date(today.year, today.month, 10)
    starts = {n: add_months(anchor, -12 - 6 * (9 - n)) for n in range(1, 10)}
    starts[10] = add_months(anchor, -3)
    starts[11] = add_months(anchor, -1)
    return starts


#: Sessions of the running hold that lie in the past whatever the day of the month: their
#: attendance is seeded (every participant present but one, a different one each time).
DEMO_ATTENDED_SESSIONS = {10: 3, 11: 1}


def demo_activities(slug: str) -> list[Activity]:
    """The standing activities of a demo tenant (without programme; set by the caller)."""
    if slug == "kolding":
        return [
            Activity(
                kind=ActivityKind.INTEREST_GROUP,
                title="Kreativt værksted",
                description="Interessefællesskab: vi maler, syr og hækler sammen hver onsdag.",
                place="Aktivitetshuset",
                room="Værkstedet",
                first_on=dt.date(2025, 1, 8),  # a Wednesday
                starts=dt.time(13, 0),
                ends=dt.time(15, 0),
                recurrence=Recurrence.WEEKLY,
                published=False,
            ),
            Activity(
                kind=ActivityKind.SUPERVISION,
                title="Gruppesparring for mentorer",
                description="Mentorerne deler erfaringer med hinanden og en koordinator.",
                place="Socialpsykiatrien",
                room="Mødelokale 2",
                first_on=dt.date(2025, 1, 14),
                starts=dt.time(17, 0),
                ends=dt.time(19, 0),
                recurrence=Recurrence.MONTHLY,
                published=False,
            ),
        ]
    if slug == "vejle":
        return [
            Activity(
                kind=ActivityKind.INFO_MEETING,
                title="Informationsmøde: Bliv frivillig mentor",
                description="Hør om at være mentor i Peer-to-Peer. Ingen tilmelding.",
                place="Vejle Rådhus",
                room="Mødelokale 3",
                first_on=dt.date(2025, 1, 7),
                starts=dt.time(17, 0),
                ends=dt.time(18, 30),
                recurrence=Recurrence.MONTHLY,
                published=True,
            )
        ]
    return []


DEMO_ACTIVITY_PROGRAMMES = {"kolding": "borger-til-borger", "vejle": "peer-to-peer"}


async def _people_by_role(
    session: AsyncSession, programme: Programme, role: EnrolmentRole
) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(Enrolment, Enrolment.person_id == Person.id)
            .where(Enrolment.programme_id == programme.id, Enrolment.role == role)
            .order_by(Person.name)
        )
    )


async def _seed_courses(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, programme_slug: str
) -> None:
    today = clock.today()
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(
                select(Programme).where(Programme.slug == programme_slug)
            )
            if programme is None:
                return
            existing = set(
                await session.scalars(
                    select(Course.number).where(Course.programme_id == programme.id)
                )
            )
            mentors = await _people_by_role(session, programme, EnrolmentRole.MENTOR)
            for number, first in demo_course_starts(today).items():
                if number in existing:
                    continue
                course = Course(
                    programme_id=programme.id, number=number, start_date=first, capacity=15
                )
                session.add(course)
                await session.flush()
                sessions = []
                for position, (day, topic) in enumerate(
                    zip(
                        monthly_days(first, len(DEMO_COURSE_TOPICS)),
                        DEMO_COURSE_TOPICS,
                        strict=True,
                    ),
                    start=1,
                ):
                    row = CourseSession(
                        course_id=course.id,
                        position=position,
                        day=day,
                        starts=dt.time(10, 0),
                        ends=dt.time(14, 0),
                        topic=topic,
                        place="Socialpsykiatrien, Mødelokale 1",
                    )
                    session.add(row)
                    sessions.append(row)
                if number not in DEMO_ATTENDED_SESSIONS:
                    continue
                offset = (number - 10) * DEMO_COURSE_MENTORS
                people = mentors[offset : offset + DEMO_COURSE_MENTORS]
                for person in people:
                    session.add(CourseParticipant(course_id=course.id, person_id=person.id))
                await session.flush()
                for k, held in enumerate(sessions[: DEMO_ATTENDED_SESSIONS[number]]):
                    for i, person in enumerate(people):
                        if i != k % len(people):
                            session.add(CourseAttendance(session_id=held.id, person_id=person.id))


async def _seed_activities(sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            titles = set(await session.scalars(select(Activity.title)))
            programme = await session.scalar(
                select(Programme).where(
                    Programme.slug == DEMO_ACTIVITY_PROGRAMMES.get(tenant.slug, "")
                )
            )
            for activity in demo_activities(tenant.slug):
                if activity.title in titles:
                    continue
                activity.programme_id = programme.id if programme else None
                session.add(activity)
                await session.flush()
                if activity.kind != ActivityKind.INTEREST_GROUP or programme is None:
                    continue
                mentors, citizens = DEMO_GROUP_MEMBERS
                members = (await _people_by_role(session, programme, EnrolmentRole.MENTOR))[
                    -mentors:
                ] + (await _people_by_role(session, programme, EnrolmentRole.MENTEE))[:citizens]
                for person in members:
                    session.add(ActivityMember(activity_id=activity.id, person_id=person.id))


#: The forløb of the demo pairs in ``active`` enrolments: the i-th citizen (by name) of a
#: programme has the (i mod mentors)-th mentor, so a mentor has one or two citizens (Kolding:
#: 102 citizens, 69 mentors). Every ``DEMO_QUIET``-th pair (offset 7) has not met for weeks
#: and every ``DEMO_ENDING``-th (offset 20) ends within a month: the attention list.
DEMO_QUIET = 34
DEMO_ENDING = 51
#: What a forløb pair logs as meetings, in turn.
DEMO_MEETING_MINUTES = (60, 90, 120, 75)


def demo_forloeb_plan(index: int, frequency_days: int) -> tuple[int, list[int]]:
    """(days since the start, days since each logged meeting, newest first) of the
    ``index``-th demo pair: started 1-5 months ago; the last meeting within the frequency
    (a quiet pair's 5-7 weeks ago); an ending pair started about 5 1/2 months ago."""
    started = 30 + (index * 37) % 120
    quiet = index % DEMO_QUIET == 7
    if index % DEMO_ENDING == 20:
        started = 170
    if quiet:
        started = max(started, 90)
        last = 35 + index % 15
    else:
        last = 1 + index % frequency_days
    count = 3 + index % 4
    days = [last + k * frequency_days for k in range(count)]
    return started, [d for d in days if d < started]


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)


async def _seed_forloeb(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, programme_slug: str
) -> None:
    """A forløb (active, with history and meetings) for every ``active`` citizen of the
    programme that has none; mentors get an intake with the capacity their pairs need and,
    unless they are on a hold, a mentor course taken before Makker."""
    today = clock.today()
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(
                select(Programme).where(Programme.slug == programme_slug)
            )
            if programme is None:
                return
            rows = (
                await session.execute(
                    select(Enrolment, Person)
                    .join(Person, Person.id == Enrolment.person_id)
                    .where(
                        Enrolment.programme_id == programme.id,
                        Enrolment.status == EnrolmentStatus.ACTIVE.value,
                    )
                    .order_by(Person.name, Enrolment.id)
                )
            ).all()
            mentees = [e for e, _p in rows if e.role == EnrolmentRole.MENTEE]
            mentors = [(e, p) for e, p in rows if e.role == EnrolmentRole.MENTOR]
            if not mentors:
                return
            paired = set(
                await session.scalars(
                    select(Forloeb.mentee_enrolment_id).where(Forloeb.programme_id == programme.id)
                )
            )
            policy = programme.policy or {}
            frequencies = policy.get("meeting_frequencies") or ["weekly"]
            months = (policy.get("duration_months") or {"min": 6})["min"]
            for index, mentee in enumerate(mentees):
                if mentee.id in paired:
                    continue
                mentor = mentors[index % len(mentors)][0]
                frequency = frequencies[index % len(frequencies)]
                started_days, meeting_days = demo_forloeb_plan(
                    index, FREQUENCY_DAYS.get(frequency, 14)
                )
                started = today - dt.timedelta(days=started_days)
                proposed = started - dt.timedelta(days=7)
                forloeb = Forloeb(
                    programme_id=programme.id,
                    mentee_enrolment_id=mentee.id,
                    mentor_enrolment_id=mentor.id,
                    state=ForloebState.ACTIVE.value,
                    strategy="manual",
                    score=0.0,
                    reasons=[],
                    proposed_on=proposed,
                    proposed_by=DEMO_ACTOR,
                    mentee_accepted_at=_at(proposed + dt.timedelta(days=3)),
                    mentee_accepted_by=DEMO_ACTOR,
                    mentor_accepted_at=_at(proposed + dt.timedelta(days=2)),
                    mentor_accepted_by=DEMO_ACTOR,
                    frequency=frequency,
                    planned_months=months,
                    started_on=started,
                )
                session.add(forloeb)
                await session.flush()
                session.add_all(
                    [
                        ForloebEvent(
                            forloeb_id=forloeb.id,
                            from_state=None,
                            to_state=ForloebState.PROPOSED.value,
                            actor=DEMO_ACTOR,
                            at=_at(proposed),
                        ),
                        ForloebEvent(
                            forloeb_id=forloeb.id,
                            from_state=ForloebState.PROPOSED.value,
                            to_state=ForloebState.ACTIVE.value,
                            actor=DEMO_ACTOR,
                            at=_at(started),
                        ),
                    ]
                )
                for k, days in enumerate(meeting_days):
                    turn = index + k
                    cancelled = k == 2 and index % 5 == 0  # an afbud, never the last meeting
                    session.add(
                        Meeting(
                            forloeb_id=forloeb.id,
                            day=today - dt.timedelta(days=days),
                            activity=ACTIVITIES[turn % len(ACTIVITIES)],
                            duration_minutes=(
                                None
                                if cancelled
                                else DEMO_MEETING_MINUTES[turn % len(DEMO_MEETING_MINUTES)]
                            ),
                            cancelled=cancelled,
                            logged_as="mentee" if turn % 3 == 2 else "mentor",
                            logged_by=DEMO_ACTOR,
                        )
                    )
            await session.flush()
            await _fit_mentors(session, tenant, programme, mentors, today)


async def _fit_mentors(
    session: AsyncSession,
    tenant: Tenant,
    programme: Programme,
    mentors: list[tuple[Enrolment, Person]],
    today: dt.date,
) -> None:
    """Intake capacity at least the mentor's open forløb; a mentor course taken before Makker
    (and, for misbrug, years free of abuse) for mentors who are not on a hold."""
    load = dict(
        (
            await session.execute(
                select(Forloeb.mentor_enrolment_id, func.count())
                .where(
                    Forloeb.programme_id == programme.id,
                    Forloeb.state.in_([s.value for s in OPEN_STATES]),
                )
                .group_by(Forloeb.mentor_enrolment_id)
            )
        )
        .tuples()
        .all()
    )
    intakes = {
        i.enrolment_id: i
        for i in await session.scalars(
            select(Intake).where(Intake.enrolment_id.in_([e.id for e, _p in mentors]))
        )
    }
    on_hold = set(await session.scalars(select(CourseParticipant.person_id)))
    plugins = {**(tenant.plugins or {}), **(programme.plugins or {})}
    course, sober = "mentor_course" in plugins, "misbrug" in plugins
    for index, (enrolment, person) in enumerate(mentors):
        needed = load.get(enrolment.id, 0)
        intake = intakes.get(enrolment.id)
        if intake is None:
            session.add(
                Intake(
                    enrolment_id=enrolment.id,
                    held_on=today - dt.timedelta(days=200),
                    lived_experience=[programme.areas[index % len(programme.areas)]]
                    if programme.areas
                    else [],
                    capacity=max(needed, 1),
                )
            )
        elif intake.capacity < needed:
            intake.capacity = needed
        attributes = dict(person.attributes or {})
        if course and person.id not in on_hold and COURSE_COMPLETED not in attributes:
            attributes[COURSE_COMPLETED] = (
                today - dt.timedelta(days=240 + (index * 29) % 300)
            ).isoformat()
        if sober and SOBER_SINCE not in attributes:
            attributes[SOBER_SINCE] = (
                today - dt.timedelta(days=3 * 365 + (index * 97) % 1500)
            ).isoformat()
        if attributes != (person.attributes or {}):
            person.attributes = attributes


#: Demo sign-ins linked to a demo person ("Mit forløb"): tenant, username, programme, role and
#: the person's name, or ``None`` for the programme's first person by name in that role
#: (Kolding's mentor is on hold 10). ``vejle-mentor`` is a mentor on the misbrug waiting list.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, EnrolmentRole, str | None], ...] = (
    ("kolding", "kolding-mentor", "borger-til-borger", EnrolmentRole.MENTOR, None),
    ("vejle", "vejle-mentor", "misbrug-mentor", EnrolmentRole.MENTOR, DEMO_WAITING_MENTOR),
    ("vejle", "vejle-borger", "peer-to-peer", EnrolmentRole.MENTEE, None),
)


def demo_account(issuer: str, username: str) -> str:
    """The principal user id (``iss#sub``) the development issuer gives a demo user."""
    user = next(u for u in DEMO_USERS if u.username == username)
    return f"{issuer}#{user.subject}"


async def _link_accounts(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: dict[str, Tenant], issuer: str
) -> None:
    """Link the demo sign-ins to their persons. The issuer URL follows the demo's address, so
    a run on another port re-links the same person with the new user id; a link the sign-in
    has to another person (an earlier demo's choice) is removed first."""
    for slug, username, programme_slug, role, name in DEMO_ACCOUNTS:
        tenant = tenants.get(slug)
        if tenant is None:
            continue
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                programme = await session.scalar(
                    select(Programme).where(Programme.slug == programme_slug)
                )
                if programme is None:
                    continue
                people = [
                    p
                    for p in await _people_by_role(session, programme, role)
                    if name is None or p.name == name
                ]
                if not people:
                    continue
                account = demo_account(issuer, username)
                subject = account.rsplit("#", 1)[1]
                for other in await session.scalars(
                    select(Person).where(Person.account.is_not(None), Person.id != people[0].id)
                ):
                    if other.account and other.account.rsplit("#", 1)[-1] == subject:
                        other.account = None
                await session.flush()
                people[0].account = account


async def seed_demo(
    sessionmaker: async_sessionmaker[AsyncSession], issuer: str | None = None
) -> dict[str, int]:
    """Add what is missing of the demo data; returns how many people were added per tenant.
    With ``issuer`` (the development issuer's URL) the demo sign-ins are linked to persons."""
    async with sessionmaker() as session:
        tenants = {t.slug: t for t in await session.scalars(select(Tenant))}
    added = {
        slug: await _seed_tenant(sessionmaker, tenants[slug], plan)
        for slug, plan in DEMO_ENROLMENTS.items()
        if slug in tenants
    }
    waiting_tenant, waiting_programme = DEMO_WAITING
    if waiting_tenant in tenants:
        added[waiting_tenant] = added.get(waiting_tenant, 0) + await _seed_waiting_list(
            sessionmaker, tenants[waiting_tenant], waiting_programme
        )
    course_tenant, course_programme = DEMO_COURSE
    if course_tenant in tenants:
        await _seed_courses(sessionmaker, tenants[course_tenant], course_programme)
    for slug in DEMO_ACTIVITY_PROGRAMMES:
        if slug in tenants:
            await _seed_activities(sessionmaker, tenants[slug])
    for slug, plan in DEMO_ENROLMENTS.items():
        if slug in tenants:
            for programme_slug in plan:
                await _seed_forloeb(sessionmaker, tenants[slug], programme_slug)
    if issuer is not None:
        await _link_accounts(sessionmaker, tenants, issuer)
    for owner_slug, programme, partner_slug, scope in DEMO_GRANTS:
        owner = tenants.get(owner_slug)
        if owner is None or partner_slug not in tenants:
            continue
        with tenant_scope(owner.id):
            async with (
                sessionmaker() as session,
                session.begin(),
                notes_written_to(session, actor=DEMO_ACTOR, tenant_slug=owner.slug),
            ):
                existing = {
                    (g.programme_slug, g.partner_slug, g.scope.value)
                    for g in await grants_given(session, owner)
                }
                if (programme, partner_slug, scope) not in existing:
                    ctx = context_for(session, owner, create_plugin_manager(), DEMO_ACTOR)
                    await grant_partnership(ctx, GrantIn(programme, partner_slug, scope))
    return added
