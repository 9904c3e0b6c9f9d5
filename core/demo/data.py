"""The demo's fictional people and plans: names, who is enrolled where, the forløb plan, the
hold, the activities, the sign-ins linked to persons and the partner grants. Data only; the
seeding (:mod:`core.demo.seed`) creates all of it through the domains' commands.

Surnames are invented (Demosen, Eksempelsen, ...) so nobody mistakes a demo person for a real
citizen; phone numbers begin with 0 (no Danish subscriber number does) and e-mail addresses are
on ``example.org`` (reserved, RFC 2606). Kolding's numbers follow what Kolding reported: 102
citizens and 69 mentors in forløb (active or paused) in Borger til Borger, 171 people; the
forløb that are over and the mentors still on the course come on top.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

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
_WOMEN = {"Anna", "Camilla", "Emma", "Gitte", "Ida", "Karen", "Mette", "Pia", "Sofie", "Ulla"}
#: The gender a demo person's first name suggests (what matching compares with a wish).
FIRST_NAME_GENDERS = {name: "kvinde" if name in _WOMEN else "mand" for name in FIRST_NAMES}
#: What the people in forløb told at the før-samtale, so matching has something to go on - as
#: the coordinator saw it when proposing each pair (:func:`core.demo.plan.profiles`): where they
#: live (postal codes within the municipality, the town most often), their interests and, per
#: area of lived experience, the challenges they know.
DEMO_POSTAL_CODES = {
    "kolding": ("6000", "6000", "6000", "6051", "6052", "6064", "6070", "6091", "6092", "6093")
    + ("6094", "6580", "6640"),
    "vejle": ("7100", "7100", "7100", "7120", "7080", "7300", "7182", "7183", "6040"),
}
DEMO_INTERESTS = (
    "gåture",
    "madlavning",
    "fiskeri",
    "strik",
    "fodbold",
    "musik",
    "havearbejde",
    "brætspil",
    "cykling",
    "film",
    "læsning",
    "fitness",
)
DEMO_CHALLENGES = {
    "psykiatri": ("angst", "depression", "ensomhed"),
    "handicap": ("hjerneskade", "gangbesvær", "ensomhed"),
    "misbrug": ("alkohol", "hash", "ensomhed"),
}
#: Per tenant: programme slug -> (mentees, mentors) in forløb. The people are made to fit.
DEMO_ENROLMENTS: dict[str, dict[str, tuple[int, int]]] = {
    "kolding": {"borger-til-borger": (102, 69)},
    "vejle": {"peer-to-peer": (18, 12), "misbrug-mentor": (12, 6)},
}
#: Partner grants: owner tenant, programme, partner tenant, scope.
DEMO_GRANTS = (
    # Co-run (issue 21): Psykiatrifonden's staff coordinate the misbrug programme with Vejle.
    ("vejle", "misbrug-mentor", "psykiatrifonden", "coordinate"),
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
#: The finished hold that Kolding's mentors in forløb completed: the i-th mentor (by name) hold
#: ``DEMO_MENTOR_HOLDS[i mod 9]``, registered weeks before its first teaching day and ready for
#: matching a week after its last. Every one of the nine finished hold ("ni hold har afsluttet
#: mentorkurset") has its mentors, 7 or 8 a hold; those of the oldest hold have been mentors
#: for years.
DEMO_MENTOR_HOLDS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
#: New mentors on each running hold (10 and 11), at ``intake`` until they complete it; one on
#: hold 11 is a former citizen whose own forløb was completed ("one did, after her own forløb").
DEMO_TRAINEES = 8
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


#: Kolding's interest group and supervision, Vejle's published information meetings - the
#: misbrug programme's as announced on Vejle's page (no sign-up) - and the programme (slug) each
#: belongs to.
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
        ),
        ActivityIn(
            kind="info_meeting",
            title="Informationsmøde for interesserede mentorer",
            description="Hør om mentorordningen på misbrugsområdet, og hvad du får ud af at være "
            "med. En mentor fra et tilsvarende projekt i Vejle Kommune fortæller, hvad det har "
            "betydet at være mentor. Det kræver ingen tilmelding - mød bare op.",
            place="Foreningernes Hus Vejle, Vissingsgade 31",
            room="1. sal, lokale 4",
            first_on=dt.date(2026, 12, 14),
            starts=dt.time(15, 0),
            ends=dt.time(17, 0),
            recurrence="none",
            programme="misbrug-mentor",
            published=True,
        ),
    ],
}


#: The forløb of the demo pairs in forløb now: the i-th citizen (by name) of a programme has the
#: (i mod mentors)-th mentor, so a mentor has one or two citizens (Kolding: 102 citizens, 69
#: mentors). Every ``DEMO_QUIET``-th pair (offset 7) has not met for weeks and every
#: ``DEMO_ENDING``-th (offset 20) ends within a month: the attention list (with Kolding's
#: overdue pause, :data:`DEMO_PAUSES`).
DEMO_QUIET = 34
DEMO_ENDING = 51
#: What a forløb pair logs as meetings, in turn.
DEMO_MEETING_MINUTES = (60, 90, 120, 75)
#: Forløb that are over, per tenant and programme: (completed, ended early). Each is an
#: earlier forløb of a mentor in forløb now, with a citizen of its own (no longer in forløb).
DEMO_DONE: dict[str, dict[str, tuple[int, int]]] = {
    "kolding": {"borger-til-borger": (24, 6)},
    "vejle": {"peer-to-peer": (4, 2), "misbrug-mentor": (2, 1)},
}
DEMO_ENDED_EARLY_REASONS = (
    "Borgeren er flyttet fra kommunen.",
    "Borgeren har fået arbejde og ønsker at stoppe.",
    "Borgeren ønskede ikke at fortsætte.",
    "Borgeren er startet i et andet tilbud.",
)
#: Paused forløb now, per programme: (index of the citizen by name, paused this many days
#: before the first seeding, planned to resume this many days after it - Kolding's first one
#: is overdue - and the reason, by number). They are still in forløb.
DEMO_PAUSES: dict[str, tuple[tuple[int, int, int, int], ...]] = {
    "borger-til-borger": ((13, 60, -4, 0), (30, 21, 18, 1), (47, 14, 24, 2), (64, 28, 10, 3)),
    "peer-to-peer": ((13, 18, 20, 2),),
    "misbrug-mentor": ((3, 25, 14, 4),),
}
DEMO_PAUSE_REASONS = (
    "Borgeren er indlagt i en periode.",
    "Borgeren er på højskole og kommer hjem igen.",
    "Borgeren har bedt om en pause.",
    "Mentoren er på ferie.",
    "Borgeren er i behandling og vil vente med at mødes.",
)


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


#: A Vejle mentor's history: enrolled this many days (plus a few by index) before the first
#: seeding - earlier when they had a forløb before - the før-samtale ten days later; a mentor
#: course taken before Makker. (Kolding's mentors follow their hold, :mod:`core.demo.plan`.)
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
#: the person's name - also the user's name at the development issuer
#: (:mod:`core.identity.dev_users`), so the header shows who is signed in. ``kolding-mentor``
#: completed hold 8, has one citizen in forløb and an earlier forløb that was completed;
#: ``vejle-mentor`` is a mentor on the misbrug waiting list, ``vejle-borger`` a Peer-to-Peer
#: citizen in an active forløb.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, EnrolmentRole, str], ...] = (
    ("kolding", "kolding-mentor", "borger-til-borger", EnrolmentRole.MENTOR, "Jens Demosen"),
    ("vejle", "vejle-mentor", "misbrug-mentor", EnrolmentRole.MENTOR, DEMO_WAITING_MENTOR),
    ("vejle", "vejle-borger", "peer-to-peer", EnrolmentRole.MENTEE, "Anna Demosen"),
)
#: The first two digits of a demo person's phone number per tenant: a Danish subscriber number
#: never begins with 0 (01-09 are reserved in the national numbering plan), so none reaches
#: anybody.
DEMO_PHONE_PREFIX = {"kolding": "01", "vejle": "02", "psykiatrifonden": "03"}
#: The reserved domain (RFC 2606) of every demo e-mail address.
DEMO_EMAIL_DOMAIN = "example.org"
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def demo_contact(tenant: str, name: str) -> tuple[str, str]:
    """A demo person's fictional (phone, e-mail): ``01 00 01 23``, ``anna.demosen@example.org``;
    the phone number is distinct for each name of the scheme within a tenant."""
    first, surname = name.split(" ", 1)
    k = FIRST_NAMES.index(first) * len(FICTIONAL_SURNAMES) + FICTIONAL_SURNAMES.index(surname)
    phone = f"{DEMO_PHONE_PREFIX.get(tenant, '09')} 00 {k // 100:02d} {k % 100:02d}"
    local = f"{first}.{surname}".lower().translate(_ASCII)
    return phone, f"{local}@{DEMO_EMAIL_DOMAIN}"


#: The tenant and programme of the waiting list.
DEMO_WAITING = ("vejle", "misbrug-mentor")
#: The waiting people registered this many days before the first seeding; the før-samtale
#: followed a week later.
WAITING_ENROLLED_DAYS = 21
WAITING_INTAKE_DAYS = 14


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


def demo_account(issuer: str, username: str) -> str:
    """The principal user id (``iss#sub``) the development issuer gives a demo user."""
    user = next(u for u in DEMO_USERS if u.username == username)
    return f"{issuer}#{user.subject}"
