"""The demo's fictional people and plans: names, who is enrolled where, the forløb plan, the
hold, the activities, the sign-ins linked to persons and the partner grants. Data only; the
seeding (:mod:`core.demo.seed`) creates all of it through the domains' commands.

Surnames are invented (Demosen, Eksempelsen, ...) so nobody mistakes a demo person for a real
citizen. Kolding's numbers follow what Kolding reported: 102 citizens and 69 mentors in forløb in
Borger til Borger.
"""

from __future__ import annotations

import datetime as dt
import random

from core.activities.recurrence import add_months
from core.activities.schemas import ActivityIn
from core.identity.dev_users import DEMO_USERS
from core.participants.models import EnrolmentRole

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
#: Partner grants: owner tenant, programme, partner tenant, scope.
DEMO_GRANTS = (
    ("vejle", "misbrug-mentor", "psykiatrifonden", "participants"),
    ("vejle", "peer-to-peer", "psykiatrifonden", "aggregate"),
)
#: Who the demo acts as in histories and audit rows.
DEMO_ACTOR = "makker-demo"
#: Intake answers of the ``lived_experience``, ``mentor_course``, ``misbrug`` and ``vejle_85``
#: plugins (stored in ``Person.attributes`` by the før-samtale).
AREAS = "lived_experience.areas"
READY_TO_HOLD = "lived_experience.ready_to_hold_others"
COURSE_COMPLETED = "mentor_course.completed_on"
SOBER_SINCE = "misbrug.sober_since"
PARAGRAF_85 = "vejle_85.paragraf_85"


def demo_names(count: int, seed: str) -> list[tuple[str, int]]:
    """``count`` distinct fictional (name, birth year) pairs, the same for the same seed."""
    pairs = [(f, s) for f in FIRST_NAMES for s in FICTIONAL_SURNAMES]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} demo names")
    return [(f"{f} {s}", rng.randint(1950, 2004)) for f, s in pairs[:count]]


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

#: Kolding's interest group and supervision, Vejle's published information meeting; the
#: programme (slug) each belongs to.
DEMO_ACTIVITIES: dict[str, list[ActivityIn]] = {
    "kolding": [
        ActivityIn(
            kind="interest_group",
            title="Kreativt værksted",
            description="Interessefællesskab: vi maler, syr og hækler sammen hver onsdag.",
            place="Aktivitetshuset",
            room="Værkstedet",
            first_on=dt.date(2025, 1, 8),  # a Wednesday
            starts=dt.time(13, 0),
            ends=dt.time(15, 0),
            recurrence="weekly",
            programme="borger-til-borger",
        ),
        ActivityIn(
            kind="supervision",
            title="Gruppesparring for mentorer",
            description="Mentorerne deler erfaringer med hinanden og en koordinator.",
            place="Socialpsykiatrien",
            room="Mødelokale 2",
            first_on=dt.date(2025, 1, 14),
            starts=dt.time(17, 0),
            ends=dt.time(19, 0),
            recurrence="monthly",
            programme="borger-til-borger",
        ),
    ],
    "vejle": [
        ActivityIn(
            kind="info_meeting",
            title="Informationsmøde: Bliv frivillig mentor",
            description="Hør om at være mentor i Peer-to-Peer. Ingen tilmelding.",
            place="Vejle Rådhus",
            room="Mødelokale 3",
            first_on=dt.date(2025, 1, 7),
            starts=dt.time(17, 0),
            ends=dt.time(18, 30),
            recurrence="monthly",
            programme="peer-to-peer",
            published=True,
        )
    ],
}


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


#: A demo mentor's history: enrolled this many days (plus a few by index) before the first
#: seeding, the før-samtale ten days later; a mentor course taken before Makker.
MENTOR_ENROLLED_DAYS = 280
#: A citizen's history before the proposal: enrolled three weeks before, the før-samtale a
#: week later; the mentor says yes after two days, the citizen on the start day a week after.
MENTEE_ENROLLED_DAYS = 21
MENTEE_INTAKE_DAYS = 14
MENTOR_ACCEPTS_DAYS = 2
STARTS_DAYS = 7


#: The Vejle mentor on the misbrug waiting list that the ``vejle-mentor`` sign-in is linked to.
DEMO_WAITING_MENTOR = "Mette Skitsesen"
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
