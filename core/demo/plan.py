"""The demo's story in dates, without the database: per programme of the plan, who joins when
and in which role, which of Kolding's hold each mentor completed (or is taking now), the pairs
in forløb now (active; a few paused) and the forløb that are over (completed, or ended early) -
all counted back from the day of the first seeding. The seeding modules carry it out through
the commands, each action on its day, so every history reads as it happened:

- a mentor registers, has the før-samtale, (Kolding) takes a hold and is ``ready`` a week after
  its last teaching day, before any citizen is proposed to them;
- a mentor's earlier forløb ended before their present citizens were proposed (never more
  citizens at once than the før-samtale's capacity);
- a citizen is registered three weeks before the proposal, the før-samtale a week later, where
  they tell what fits the mentor the coordinator then proposes (:func:`citizen_profile`: the
  area, an interest, often a challenge; the same municipality), so the proposal carries the
  matching strategy's score and reasons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from core.activities.recurrence import add_months, monthly_days
from core.demo.data import (
    DEMO_CHALLENGES,
    DEMO_COURSE,
    DEMO_COURSE_TOPICS,
    DEMO_DONE,
    DEMO_ENDED_EARLY_REASONS,
    DEMO_ENROLMENTS,
    DEMO_INTERESTS,
    DEMO_MENTOR_HOLDS,
    DEMO_PAUSE_REASONS,
    DEMO_PAUSES,
    DEMO_POSTAL_CODES,
    DEMO_TRAINEES,
    DEMO_WAITING_PEOPLE,
    FICTIONAL_SURNAMES,
    FIRST_NAME_GENDERS,
    FIRST_NAMES,
    MENTEE_ENROLLED_DAYS,
    MENTEE_INTAKE_DAYS,
    MENTOR_ENROLLED_DAYS,
    STARTS_DAYS,
    demo_course_starts,
    demo_forloeb_plan,
    demo_names,
)
from core.forloeb.attention import FREQUENCY_DAYS
from core.participants.models import EnrolmentRole
from core.tenancy.models import Programme

#: A Kolding mentor registers this many days (plus up to nine) before their hold's first
#: teaching day, has the før-samtale ten days later, and is ``ready`` a week after the last.
HOLD_ENROLLED_DAYS = 35
INTAKE_AFTER_DAYS = 10
READY_AFTER_HOLD_DAYS = 7
#: A mentor without a hold whose first forløb lies further back registers this long before it.
EARLIER_MENTOR_DAYS = 40


@dataclass(frozen=True)
class Member:
    """A person joining the programme in ``role``: registered on ``enrolled_on``, the
    før-samtale on ``intake_on``, ``ready`` for matching on ``ready_on`` (``None``: still on the
    mentor course, so the enrolment stays at ``intake``)."""

    name: str
    birth_year: int
    role: EnrolmentRole
    enrolled_on: dt.date
    intake_on: dt.date
    ready_on: dt.date | None
    #: The Kolding hold the mentor completed or takes (``None``: no hold in Makker).
    hold: int | None = None
    #: Mentors: citizens at a time (the før-samtale's capacity), the lived-experience area and
    #: a number that varies the rules' answers.
    capacity: int = 1
    area: str | None = None
    index: int = 0
    #: What the før-samtale records for matching (:func:`mentor_profile`,
    #: :func:`citizen_profile`); a citizen's ``area`` is the one they share with their mentor.
    gender: str | None = None
    postal_code: str | None = None
    interests: tuple[str, ...] = ()
    challenges: tuple[str, ...] = ()
    #: The citizen's wish for the mentor's gender (never a must in the demo).
    wish_gender: str | None = None


@dataclass(frozen=True)
class PausePlan:
    """A pause of a forløb: from ``starts_on``, planned to end on ``resume_on``."""

    starts_on: dt.date
    resume_on: dt.date
    reason: str


@dataclass(frozen=True)
class PairPlan:
    """One forløb: the citizen and mentor (names), the plan, the meetings (oldest first, with
    whether each was an afbud) and, for a forløb that is over, how and when it ended."""

    index: int
    mentee: str
    mentor: str
    frequency: str
    planned_months: int
    proposed_on: dt.date
    started_on: dt.date
    meetings: tuple[tuple[dt.date, bool], ...]
    pause: PausePlan | None = None
    ended_on: dt.date | None = None
    #: ``completed`` or ``ended_early`` (``None``: active or paused now).
    outcome: str | None = None
    reason: str | None = None


@dataclass
class ProgrammePlan:
    slug: str
    #: In forløb now (active or paused), each by name: the people Kolding's figures count.
    mentors: list[Member]
    mentees: list[Member]
    pairs: list[PairPlan]
    #: Citizens whose forløb is over, and those forløb (oldest first).
    done_mentees: list[Member]
    done: list[PairPlan]
    #: Mentors on the running hold, not yet ready (Kolding).
    trainees: list[Member]
    #: Hold number -> its participants (names).
    holds: dict[int, list[str]] = field(default_factory=dict)

    def members(self) -> list[Member]:
        """Everyone who joins, in the order they registered."""
        everyone = self.mentors + self.mentees + self.done_mentees + self.trainees
        return sorted(everyone, key=lambda m: (m.enrolled_on, m.role.value, m.name))


def hold_days(first: dt.date) -> list[dt.date]:
    """The teaching days of a demo hold that starts on ``first``."""
    return monthly_days(first, len(DEMO_COURSE_TOPICS))


def held_sessions(first: dt.date, today: dt.date) -> int:
    """How many teaching days of the hold that starts on ``first`` have been held by ``today``:
    those on or before it, as the course page counts them (a running hold 10 has had three or
    four, hold 11 one or two, depending on the day of the month)."""
    return sum(1 for day in hold_days(first) if day <= today)


def attendance(participants: int, held: int, sessions: int, threshold: int) -> list[list[int]]:
    """Who (by position among the hold's ``participants``) was present at each of the ``held``
    sessions: everyone but one, a different one each time, as long as nobody then misses more
    of the ``sessions`` than the course rule allows (``threshold`` attended); else everyone."""
    if participants == 0:
        return []
    someone_absent = sessions - threshold >= -(-held // participants)
    return [
        [i for i in range(participants) if not (someone_absent and i == k % participants)]
        for k in range(held)
    ]


def mentor_profile(tenant: str, name: str, index: int, area: str | None) -> dict[str, Any]:
    """What the ``index``-th mentor tells at the før-samtale besides the area: the gender, a
    postal code in the municipality, two interests and a challenge of the area."""
    codes = DEMO_POSTAL_CODES.get(tenant, ())
    count = len(DEMO_INTERESTS)
    first = index % count
    second = (first + 1 + (index * 5) % (count - 1)) % count  # never the first
    challenges = DEMO_CHALLENGES.get(area or "", ())
    return {
        "gender": FIRST_NAME_GENDERS[name.split(" ", 1)[0]],
        "postal_code": codes[(index * 5) % len(codes)] if codes else None,
        "interests": (DEMO_INTERESTS[first], DEMO_INTERESTS[second]),
        "challenges": (challenges[index % len(challenges)],) if challenges else (),
    }


def citizen_profile(tenant: str, name: str, index: int, mentor: Member) -> dict[str, Any]:
    """What the ``index``-th citizen of a programme tells at the før-samtale, fitting the mentor
    the coordinator then proposes: the mentor's area of lived experience, one of the mentor's
    interests (and one more), every other citizen the mentor's challenge too, a home in the
    same municipality; every third citizen of the mentor's gender wished for a mentor of it."""
    codes = DEMO_POSTAL_CODES.get(tenant, ())
    gender = FIRST_NAME_GENDERS[name.split(" ", 1)[0]]
    shared = mentor.interests[index % len(mentor.interests)] if mentor.interests else None
    other = DEMO_INTERESTS[(index * 7 + 3) % len(DEMO_INTERESTS)]
    known = DEMO_CHALLENGES.get(mentor.area or "", ())
    if index % 2 == 0 or not known:
        challenges = mentor.challenges
    else:
        challenges = (known[(index + 1) % len(known)],)
    return {
        "area": mentor.area,
        "gender": gender,
        "postal_code": codes[(index * 3 + 1) % len(codes)] if codes else None,
        "interests": tuple(dict.fromkeys(i for i in (shared, other) if i)),
        "challenges": challenges,
        "wish_gender": gender if index % 3 == 0 and gender == mentor.gender else None,
    }


def _has_hold(tenant: str, slug: str) -> bool:
    return (tenant, slug) == DEMO_COURSE


def _extra_counts(tenant: str, slug: str) -> int:
    """New names a programme needs besides its people in forløb: the citizens of its forløb
    that are over and the mentors on the running hold (one of them a former citizen)."""
    completed, ended = DEMO_DONE.get(tenant, {}).get(slug, (0, 0))
    trainees = 2 * DEMO_TRAINEES - 1 if _has_hold(tenant, slug) else 0
    return completed + ended + trainees


Names = list[tuple[str, int]]


def _names(tenant: str, skip: set[str]) -> dict[str, tuple[Names, Names]]:
    """Per programme: the names of its people in forløb (as Kolding's figures count them) and
    the extra names, all distinct within the tenant and none of ``skip``."""
    plan = DEMO_ENROLMENTS.get(tenant, {})
    total = sum(a + b for a, b in plan.values())
    extra = sum(_extra_counts(tenant, slug) for slug in plan)
    everyone = demo_names(len(FIRST_NAMES) * len(FICTIONAL_SURNAMES), tenant)
    in_forloeb, others = everyone[:total], [p for p in everyone[total:] if p[0] not in skip]
    if len(others) < extra:
        raise ValueError("not enough demo names")
    result: dict[str, tuple[Names, Names]] = {}
    position = extra_position = 0
    for slug, (mentees, mentors) in plan.items():
        count = _extra_counts(tenant, slug)
        result[slug] = (
            in_forloeb[position : position + mentees + mentors],
            others[extra_position : extra_position + count],
        )
        position += mentees + mentors
        extra_position += count
    return result


def _meetings(
    last: dt.date, step: int, count: int, since: dt.date, afbud: int | None
) -> tuple[tuple[dt.date, bool], ...]:
    """``count`` meetings ``step`` days apart back from ``last`` (none before ``since``),
    oldest first; the ``afbud``-th newest is an afbud."""
    days = [(last - dt.timedelta(days=k * step), k == afbud) for k in range(count)]
    return tuple(reversed([(d, c) for d, c in days if d >= since]))


def programme_plan(tenant: str, programme: Programme, today: dt.date) -> ProgrammePlan | None:
    """The plan of ``programme`` (``None`` when the demo has none for it)."""
    slug = programme.slug
    counts = DEMO_ENROLMENTS.get(tenant, {}).get(slug)
    if counts is None:
        return None
    mentee_count, mentor_count = counts
    # The waiting list's names are kept for it, in every tenant, to avoid confusion.
    chunk, extra = _names(tenant, {w.name for w in DEMO_WAITING_PEOPLE})[slug]
    policy = programme.policy or {}
    frequencies = list(policy.get("meeting_frequencies") or ["weekly"])
    months = policy.get("duration_months") or {"min": 6, "max": 6}
    areas = list(programme.areas or [])
    hold = _has_hold(tenant, slug)
    starts = demo_course_starts(today)

    mentors: list[Member] = []
    for index, (name, birth_year) in enumerate(sorted(chunk[mentee_count:])):
        load = len(range(index, mentee_count, mentor_count))
        area = areas[index % len(areas)] if areas else None
        if hold:
            number = DEMO_MENTOR_HOLDS[index % len(DEMO_MENTOR_HOLDS)]
            first = starts[number]
            enrolled = first - dt.timedelta(days=HOLD_ENROLLED_DAYS + index % 10)
            ready: dt.date = hold_days(first)[-1] + dt.timedelta(days=READY_AFTER_HOLD_DAYS)
        else:
            number = None
            enrolled = today - dt.timedelta(days=MENTOR_ENROLLED_DAYS + index % 20)
            ready = enrolled + dt.timedelta(days=INTAKE_AFTER_DAYS)
        mentors.append(
            Member(
                name,
                birth_year,
                EnrolmentRole.MENTOR,
                enrolled,
                enrolled + dt.timedelta(days=INTAKE_AFTER_DAYS),
                ready,
                number,
                max(load, 1),
                area,
                index,
                **mentor_profile(tenant, name, index, area),
            )
        )

    pauses = {p[0]: p for p in DEMO_PAUSES.get(slug, ())}
    mentees: list[Member] = []
    pairs: list[PairPlan] = []
    for index, (name, birth_year) in enumerate(sorted(chunk[:mentee_count])):
        frequency = frequencies[index % len(frequencies)]
        step = FREQUENCY_DAYS.get(frequency, 14)
        started_days, meeting_days = demo_forloeb_plan(index, step)
        pause = None
        if index in pauses:
            _index, paused_days, resume_in, reason = pauses[index]
            started_days = max(started_days, paused_days + 30)
            last = paused_days + 2 + index % 5
            count = 3 + index % 4
            meeting_days = [d for d in (last + k * step for k in range(count)) if d < started_days]
            pause = PausePlan(
                today - dt.timedelta(days=paused_days),
                today + dt.timedelta(days=resume_in),
                DEMO_PAUSE_REASONS[reason % len(DEMO_PAUSE_REASONS)],
            )
        started = today - dt.timedelta(days=started_days)
        proposed = started - dt.timedelta(days=STARTS_DAYS)
        meetings = tuple(
            (today - dt.timedelta(days=d), k == 2 and index % 5 == 0)
            for k, d in reversed(list(enumerate(meeting_days)))
        )
        mentor = mentors[index % mentor_count]
        profile = citizen_profile(tenant, name, index, mentor)
        pairs.append(
            PairPlan(
                index,
                name,
                mentor.name,
                frequency,
                int(months["min"]),
                proposed,
                started,
                meetings,
                pause,
            )
        )
        mentees.append(_citizen(name, birth_year, proposed, profile))

    done_mentees, done = _done(today, tenant, programme, mentors, pairs, extra, frequencies, months)
    for plan in done:  # a mentor without a hold registered before their first forløb
        m = next(m for m in mentors if m.name == plan.mentor)
        latest = plan.proposed_on - dt.timedelta(days=EARLIER_MENTOR_DAYS + m.index % 20)
        if m.hold is None and m.enrolled_on > latest:
            moved = dataclasses.replace(
                m,
                enrolled_on=latest,
                intake_on=latest + dt.timedelta(days=INTAKE_AFTER_DAYS),
                ready_on=latest + dt.timedelta(days=INTAKE_AFTER_DAYS),
            )
            mentors[m.index] = moved

    trainees: list[Member] = []
    holds: dict[int, list[str]] = {}
    if hold:
        for number in DEMO_MENTOR_HOLDS:
            holds[number] = sorted(m.name for m in mentors if m.hold == number)
        new = extra[len(done) :]
        former = _former_citizen(done, today)
        running = [(10, p) for p in new[:DEMO_TRAINEES]] + [(11, p) for p in new[DEMO_TRAINEES:]]
        if former is not None:
            citizen = next(m for m in done_mentees if m.name == former)
            running.append((11, (citizen.name, citizen.birth_year)))
        citizens = {m.name: m for m in done_mentees}
        for k, (number, (name, birth_year)) in enumerate(running):
            enrolled = starts[number] - dt.timedelta(days=HOLD_ENROLLED_DAYS + k % 10)
            area = areas[k % len(areas)] if areas else None
            profile = mentor_profile(tenant, name, mentor_count + k, area)
            if name in citizens:  # the former citizen: the same person, her own experience
                own = citizens[name]
                area = own.area
                profile = {
                    "gender": own.gender,
                    "postal_code": own.postal_code,
                    "interests": own.interests,
                    "challenges": own.challenges,
                }
            trainees.append(
                Member(
                    name,
                    birth_year,
                    EnrolmentRole.MENTOR,
                    enrolled,
                    enrolled + dt.timedelta(days=INTAKE_AFTER_DAYS),
                    None,
                    number,
                    1,
                    area,
                    mentor_count + k,
                    **profile,
                )
            )
            holds.setdefault(number, []).append(name)
        holds = {n: sorted(names) for n, names in holds.items()}
    return ProgrammePlan(slug, mentors, mentees, pairs, done_mentees, done, trainees, holds)


def _citizen(name: str, birth_year: int, proposed: dt.date, profile: dict[str, Any]) -> Member:
    return Member(
        name,
        birth_year,
        EnrolmentRole.MENTEE,
        proposed - dt.timedelta(days=MENTEE_ENROLLED_DAYS),
        proposed - dt.timedelta(days=MENTEE_INTAKE_DAYS),
        proposed - dt.timedelta(days=MENTEE_INTAKE_DAYS),
        **profile,
    )


def _ready_days(hold: int) -> float:
    """At least this many days before the first seeding a mentor of demo hold ``hold`` (1-9)
    became ready, whatever the day of the year (the last teaching day is 7 + 6 * (9 - hold)
    months before the 10th of this month; a week later, less the month's slack)."""
    return (7 + 6 * (9 - hold)) * 30.44 - READY_AFTER_HOLD_DAYS - 24


def _done(
    today: dt.date,
    tenant: str,
    programme: Programme,
    mentors: list[Member],
    pairs: list[PairPlan],
    names: list[tuple[str, int]],
    frequencies: list[str],
    months: dict[str, int],
) -> tuple[list[Member], list[PairPlan]]:
    """The forløb that are over: the j-th (of ``completed + ended``) is a mentor's earlier
    forløb, ended two to eight weeks before that mentor's first present citizen was proposed;
    a mentor has at most one, and (Kolding) only weeks after their hold. Which mentor is
    decided in days, the same whatever the day of the first seeding."""
    completed, ended = DEMO_DONE.get(tenant, {}).get(programme.slug, (0, 0))
    total = completed + ended
    #: Days before the first seeding that each mentor's first present citizen was proposed.
    first_days = {
        m.name: max((today - p.proposed_on).days for p in pairs if p.mentor == m.name)
        for m in mentors
    }
    count = len(mentors)
    order = sorted(range(count), key=lambda m: (m * 7) % count)
    used: set[int] = set()
    citizens: list[Member] = []
    done: list[PairPlan] = []
    span = months["max"] - months["min"] + 1
    for j in range(total):
        early = j * ended // total != (j + 1) * ended // total
        frequency = frequencies[j % len(frequencies)]
        step = FREQUENCY_DAYS.get(frequency, 14)
        planned = months["min"] + j % span
        length = 40 + (j * 17) % 80 if early else planned * 31
        for m in order:
            mentor = mentors[m]
            ended_days = first_days[mentor.name] + 14 + (j * 13) % 45
            proposed_days = ended_days + length + STARTS_DAYS
            if m in used or (
                mentor.hold is not None and _ready_days(mentor.hold) < proposed_days + 7 + 14
            ):
                continue
            used.add(m)
            break
        else:
            raise ValueError(f"no mentor for forløb {j} that is over")
        ended_on = today - dt.timedelta(days=ended_days)
        if early:
            started = ended_on - dt.timedelta(days=length)
        else:
            started = add_months(ended_on, -planned)
            ended_on = add_months(started, planned)
        proposed = started - dt.timedelta(days=STARTS_DAYS)
        ready = mentor.ready_on if mentor.hold is not None else None
        if ready is not None and ready > proposed - dt.timedelta(days=7):
            raise ValueError(f"{mentor.name} is not ready for forløb {j} that is over")
        name, birth_year = names[j]
        last = ended_on - dt.timedelta(days=(12 + j % 10) if early else (1 + j % 5))
        done.append(
            PairPlan(
                j,
                name,
                mentor.name,
                frequency,
                planned,
                proposed,
                started,
                _meetings(last, step, 4 + j % 3, started, 2 if j % 4 == 1 else None),
                None,
                ended_on,
                "ended_early" if early else "completed",
                DEMO_ENDED_EARLY_REASONS[j % len(DEMO_ENDED_EARLY_REASONS)] if early else None,
            )
        )
        profile = citizen_profile(tenant, name, len(pairs) + j, mentor)
        citizens.append(_citizen(name, birth_year, proposed, profile))
    done.sort(key=lambda p: (p.proposed_on, p.index))
    return citizens, done


def _former_citizen(done: list[PairPlan], today: dt.date) -> str | None:
    """A citizen whose forløb was completed months before hold 11 began (at most 51 days
    ago) and who now takes the mentor course ("one did, after her own forløb")."""
    for plan in sorted(done, key=lambda p: p.index):
        ended = plan.ended_on
        if plan.outcome == "completed" and ended and ended <= today - dt.timedelta(days=130):
            return plan.mentee
    return None
