"""The coordinator's overview: what a tenant's programmes look like in figures.

The entry point (also what the partner aggregate builds on)::

    async def overview(
        session: AsyncSession,
        tenant: Tenant,
        programme_id: uuid.UUID | None,
        period: Period,
        *,
        plugins: MakkerPluginManager,
        today: dt.date,
    ) -> Overview

``session`` must be scoped to ``tenant`` (a request's session, or
:func:`core.db.tenant_scope.reading_another_tenant` for a partner reading a granted
programme): every query runs under the ORM guard and row-level security. ``programme_id``
``None`` means every active programme of the tenant. ``plugins`` answers the mentor-course
completion rule per programme; ``today`` is the day the "now" figures (the waiting list) are
read on. The answer holds only counts, medians and hold numbers - never a person.

:class:`Overview` has one :class:`Figures` per programme (``programmes``, by name) and
``total``. Counts of forløb, meetings, holds and events add up; counts of *people* are distinct
people, so a person in two programmes counts once in the total (the total can be less than the
sum). The median wait of the total is the median over all the programmes' matches.

Speed (docs/reports.md, "Speed"): five or six statements - the counts that add up in one
(:func:`_counts`, a row per programme), the people in forløb, the waits from ready to matched,
the holds (and their attendance) and the citizens who became mentors; the meetings come from
the summary table ``meeting_day_count``. The partner's aggregate runs this once over every
programme granted to it, inside :func:`core.db.tenant_scope.reading_tenants` (the granting
municipalities' scope).

Every figure is defined in ``docs/reports.md`` ("The overview"); :class:`Figures` repeats the
definitions field by field. :func:`outcome_changes` adds the questionnaire change per
instrument (:func:`core.outcomes.results.programme_result`), which needs a request context.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clock import COPENHAGEN
from core.context import Context
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.courses.queries import FINISHED, PLANNED, RUNNING, course_state, min_sessions_attended
from core.forloeb.models import Forloeb, ForloebPause
from core.outcomes.results import ProgrammeResult, programme_result
from core.participants.models import Enrolment, EnrolmentEvent, EnrolmentRole
from core.plugin_api import MakkerPluginManager
from core.reports.models import MeetingDayCount
from core.reports.period import Period, local_day
from core.tenancy.models import Programme, Tenant

#: Forløb states that have started (``proposed`` and ``declined`` never ran).
STARTED_STATES = ("active", "paused", "completed", "ended_early")


@dataclass
class Figures:
    """The overview's figures for one programme (or the total). See ``docs/reports.md``.

    *At the end of the period* means at the end of the day ``period.end``; *in the period*
    means on a day from ``period.start`` to ``period.end``, both included."""

    #: Distinct people (citizens and mentors) in a forløb at the end of the period: a forløb
    #: that has started on or before the last day and has not ended by then (active or paused).
    people_in_forloeb: int = 0
    #: Distinct citizens (mentees) / mentors of those forløb.
    citizens_in_forloeb: int = 0
    mentors_in_forloeb: int = 0
    #: Forløb running at the end of the period, and of them those paused then.
    forloeb_running: int = 0
    forloeb_paused_at_end: int = 0
    #: Now (on ``today``, whatever the period): enrolments with status ``ready``.
    waiting_citizens: int = 0
    waiting_mentors: int = 0
    #: Of the matches made in the period (an enrolment's change to ``matched``): the median
    #: number of days since the enrolment last became ``ready``; ``None`` without a match.
    median_days_ready_to_matched: float | None = None
    #: How many matches the median is taken over (citizens' and mentors' enrolments).
    matches: int = 0
    #: Forløb whose start day is in the period.
    forloeb_started: int = 0
    #: Forløb that ended in the period, completed / ended early (their end day in the period).
    forloeb_completed: int = 0
    forloeb_ended_early: int = 0
    #: Forløb with a pause that began in the period (a forløb paused twice counts once).
    forloeb_paused: int = 0
    #: Meetings in the period (their day): held, and cancelled ("afbud").
    meetings_held: int = 0
    meetings_cancelled: int = 0
    #: Minutes of the meetings held in the period whose length was logged.
    meeting_minutes: int = 0
    #: Mentor-course holds by their state at the end of the period, as the Hold page says it on
    #: that day (finished: the last teaching day is before it; running: from the first teaching
    #: day to the last).
    courses_finished: int = 0
    courses_running: int = 0
    courses_planned: int = 0
    #: The numbers of the running holds, e.g. ``[10, 11]``.
    running_course_numbers: list[int] = field(default_factory=list)
    #: Holds whose last teaching day is in the period and that are finished at its end.
    courses_finished_in_period: int = 0
    #: Distinct people who completed a finished hold (attended at least the programme's
    #: ``min_sessions_attended`` teaching days), up to the end of the period / on holds that
    #: finished in the period.
    mentors_trained: int = 0
    mentors_trained_in_period: int = 0
    #: Distinct people with a mentor enrolment created after they had started a forløb as a
    #: citizen (in any programme of the tenant): up to the end of the period / the mentor
    #: enrolment created in the period.
    citizens_became_mentors: int = 0
    citizens_became_mentors_in_period: int = 0

    @property
    def meetings_planned(self) -> int:
        return self.meetings_held + self.meetings_cancelled

    @property
    def cancellation_rate(self) -> float | None:
        """Afbud as a share of the meetings held and cancelled (``None`` without any)."""
        planned = self.meetings_planned
        return self.meetings_cancelled / planned if planned else None

    @property
    def forloeb_ended(self) -> int:
        return self.forloeb_completed + self.forloeb_ended_early


#: The :class:`Figures` fields in the order the report tables list them.
FIGURE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Figures))


@dataclass
class ProgrammeFigures:
    programme_id: uuid.UUID
    slug: str
    name: str
    figures: Figures


@dataclass
class Overview:
    period: Period
    #: The day the "now" figures were read on.
    today: dt.date
    programmes: list[ProgrammeFigures]
    total: Figures

    def by_slug(self, slug: str) -> Figures:
        return next(p.figures for p in self.programmes if p.slug == slug)


async def programmes_in(session: AsyncSession, programme_id: uuid.UUID | None) -> list[Programme]:
    """The tenant's active programmes by name, or just ``programme_id`` (archived or not)."""
    stmt = select(Programme).order_by(Programme.name)
    if programme_id is None:
        stmt = stmt.where(Programme.archived_at.is_(None))
    else:
        stmt = stmt.where(Programme.id == programme_id)
    return list(await session.scalars(stmt))


async def overview(
    session: AsyncSession,
    tenant: Tenant,
    programme_id: uuid.UUID | None,
    period: Period,
    *,
    plugins: MakkerPluginManager,
    today: dt.date,
    programmes: Sequence[Programme] | None = None,
    owners: Mapping[uuid.UUID, Tenant] | None = None,
) -> Overview:
    """The overview of ``tenant``'s programmes (or one) for ``period``; see the module's
    docstring and ``docs/reports.md``. ``programmes``: the programmes already read, instead of
    reading them by ``programme_id`` - the partner's aggregate passes every programme granted
    to it, of several municipalities at once, read inside
    :func:`core.db.tenant_scope.reading_tenants`, with ``owners`` (their tenants by id: a
    programme's mentor-course rule is its own tenant's).

    Five to six statements: the counts (:func:`_counts`), the people in forløb, the waits, the
    holds (and their attendance when one has finished), the citizens who became mentors."""
    if programmes is None:
        programmes = await programmes_in(session, programme_id)
    programmes = list(programmes)
    ids = [p.id for p in programmes]
    per: dict[uuid.UUID, Figures] = {p.id: Figures() for p in programmes}
    total = Figures()
    if ids:
        await _in_forloeb(session, ids, period.end, per, total)
        await _counts(session, ids, period, per, total)
        await _waits(session, ids, period, per, total)
        await _courses(
            session, owners or {tenant.id: tenant}, programmes, period, plugins, per, total
        )
        await _became_mentors(session, ids, period, per, total)
    return Overview(
        period,
        today,
        [ProgrammeFigures(p.id, p.slug, p.name, per[p.id]) for p in programmes],
        total,
    )


# -- people in forløb at the end of the period ------------------------------------------------


def _running_on(day: dt.date) -> list:
    return [
        Forloeb.state.in_(STARTED_STATES),
        Forloeb.started_on.is_not(None),
        Forloeb.started_on <= day,
        or_(Forloeb.ended_on.is_(None), Forloeb.ended_on > day),
    ]


async def _in_forloeb(
    session: AsyncSession,
    ids: list[uuid.UUID],
    day: dt.date,
    per: dict[uuid.UUID, Figures],
    total: Figures,
) -> None:
    mentee, mentor = aliased(Enrolment), aliased(Enrolment)
    running = [Forloeb.programme_id.in_(ids), *_running_on(day)]
    # One statement: the running forløb with both parties (a CTE the database reads once), and
    # per programme and in total the forløb, distinct citizens, mentors and people.
    pairs = (
        select(
            Forloeb.programme_id.label("programme_id"),
            mentee.person_id.label("citizen"),
            mentor.person_id.label("mentor"),
        )
        .join(mentee, mentee.id == Forloeb.mentee_enrolment_id)
        .join(mentor, mentor.id == Forloeb.mentor_enrolment_id)
        .where(*running)
        .cte("running_pairs")
    )
    parties = union_all(
        select(pairs.c.programme_id, pairs.c.citizen.label("person_id")),
        select(pairs.c.programme_id, pairs.c.mentor),
    ).cte("running_parties")
    zero = literal(0)
    counts = union_all(
        select(
            pairs.c.programme_id,
            literal("forloeb").label("kind"),
            func.count().label("n"),
            func.count(func.distinct(pairs.c.citizen)).label("citizens"),
            func.count(func.distinct(pairs.c.mentor)).label("mentors"),
        ).group_by(pairs.c.programme_id),
        select(
            literal(None, Forloeb.programme_id.type),
            literal("forloeb"),
            func.count(),
            func.count(func.distinct(pairs.c.citizen)),
            func.count(func.distinct(pairs.c.mentor)),
        ),
        select(
            parties.c.programme_id,
            literal("people"),
            func.count(func.distinct(parties.c.person_id)),
            zero,
            zero,
        ).group_by(parties.c.programme_id),
        select(
            literal(None, Forloeb.programme_id.type),
            literal("people"),
            func.count(func.distinct(parties.c.person_id)),
            zero,
            zero,
        ),
    )
    for programme_id, kind, n, citizens, mentors in (await session.execute(counts)).tuples():
        f = total if programme_id is None else per[programme_id]
        if kind == "people":
            f.people_in_forloeb = int(n)
        else:
            f.forloeb_running = int(n)
            f.citizens_in_forloeb, f.mentors_in_forloeb = int(citizens), int(mentors)


# -- the counts that add up: one statement ---------------------------------------------------


#: The columns of :func:`_counts`, in its order (fields of :class:`Figures`).
_COUNTED = (
    "forloeb_paused_at_end",
    "forloeb_started",
    "forloeb_completed",
    "forloeb_ended_early",
    "forloeb_paused",
    "meetings_held",
    "meeting_minutes",
    "meetings_cancelled",
    "waiting_citizens",
    "waiting_mentors",
)


async def _counts(
    session: AsyncSession,
    ids: list[uuid.UUID],
    period: Period,
    per: dict[uuid.UUID, Figures],
    total: Figures,
) -> None:
    """One row per programme, one statement: the forløb paused at the end of the period; the
    forløb started, completed, ended early and paused in it; the meetings held (and their
    minutes) and cancelled, from the summary kept by triggers on meeting
    (:class:`core.reports.models.MeetingDayCount`: a row per programme, day and afbud instead
    of every meeting, docs/reports.md "Speed"); and today's waiting list. Each adds up across
    programmes, so the total is their sum.

    Four grouped subqueries (forløb, pauses, meeting days, waiting enrolments), each read once
    for every programme asked for and joined to the programmes: a plan that does not depend on
    how many programmes or tenants are read (correlated subqueries per programme were planned
    from row estimates that the partner's many tenants made wrong - nested loops over every
    pause for every programme)."""
    start, end = period.start, period.end

    def counted(where: Any) -> Any:
        return func.count().filter(where)

    started = Forloeb.state.in_(STARTED_STATES)
    ended = and_(Forloeb.ended_on >= start, Forloeb.ended_on <= end)
    forloeb = (
        select(
            Forloeb.programme_id.label("programme_id"),
            counted(and_(started, Forloeb.started_on >= start, Forloeb.started_on <= end)).label(
                "forloeb_started"
            ),
            counted(and_(Forloeb.state == "completed", ended)).label("forloeb_completed"),
            counted(and_(Forloeb.state == "ended_early", ended)).label("forloeb_ended_early"),
        )
        .where(Forloeb.programme_id.in_(ids))
        .group_by(Forloeb.programme_id)
        .subquery("forloeb_counts")
    )
    paused_forloeb = func.count(func.distinct(ForloebPause.forloeb_id))
    pauses = (
        select(
            Forloeb.programme_id.label("programme_id"),
            paused_forloeb.filter(
                and_(
                    *_running_on(end),
                    ForloebPause.starts_on <= end,
                    or_(ForloebPause.ends_on.is_(None), ForloebPause.ends_on > end),
                )
            ).label("forloeb_paused_at_end"),
            paused_forloeb.filter(
                and_(ForloebPause.starts_on >= start, ForloebPause.starts_on <= end)
            ).label("forloeb_paused"),
        )
        .select_from(ForloebPause)
        .join(
            Forloeb,
            and_(
                Forloeb.id == ForloebPause.forloeb_id, Forloeb.tenant_id == ForloebPause.tenant_id
            ),
        )
        .where(Forloeb.programme_id.in_(ids))
        .group_by(Forloeb.programme_id)
        .subquery("pause_counts")
    )
    held, cancelled = MeetingDayCount.cancelled.is_(False), MeetingDayCount.cancelled.is_(True)
    meetings = (
        select(
            MeetingDayCount.programme_id.label("programme_id"),
            func.sum(MeetingDayCount.meetings).filter(held).label("meetings_held"),
            func.sum(MeetingDayCount.minutes).filter(held).label("meeting_minutes"),
            func.sum(MeetingDayCount.meetings).filter(cancelled).label("meetings_cancelled"),
        )
        .where(
            MeetingDayCount.programme_id.in_(ids),
            MeetingDayCount.day >= start,
            MeetingDayCount.day <= end,
        )
        .group_by(MeetingDayCount.programme_id)
        .subquery("meeting_counts")
    )
    waiting = (
        select(
            Enrolment.programme_id.label("programme_id"),
            counted(Enrolment.role == EnrolmentRole.MENTEE).label("waiting_citizens"),
            counted(Enrolment.role == EnrolmentRole.MENTOR).label("waiting_mentors"),
        )
        .where(Enrolment.programme_id.in_(ids), Enrolment.status == "ready")
        .group_by(Enrolment.programme_id)
        .subquery("waiting_counts")
    )
    parts = (forloeb, pauses, meetings, waiting)
    stmt = select(
        Programme.id, *(part.c[name] for name in _COUNTED for part in parts if name in part.c)
    ).where(Programme.id.in_(ids))
    for part in parts:
        stmt = stmt.outerjoin(part, part.c.programme_id == Programme.id)
    names = [name for name in _COUNTED for part in parts if name in part.c]
    for programme_id, *values in (await session.execute(stmt)).tuples():
        for name, value in zip(names, values, strict=True):
            n = int(value or 0)
            setattr(per[programme_id], name, n)
            setattr(total, name, getattr(total, name) + n)


# -- the wait from ready to matched ------------------------------------------------------------


async def _waits(
    session: AsyncSession,
    ids: list[uuid.UUID],
    period: Period,
    per: dict[uuid.UUID, Figures],
    total: Figures,
) -> None:
    """Median days from an enrolment's last change to ``ready`` to its change to ``matched``,
    over the changes to ``matched`` in the period."""
    first, last = period.utc_bounds()
    # Each event with the time of its enrolment's latest change to ready so far (a window over
    # the enrolment's history: one pass, no lookup per match); then the matches in the period.
    ready_so_far = (
        func.max(case((EnrolmentEvent.to_status == "ready", EnrolmentEvent.at)))
        .over(partition_by=EnrolmentEvent.enrolment_id, order_by=EnrolmentEvent.at)
        .label("ready_at")
    )
    events = (
        select(
            Enrolment.programme_id.label("programme_id"),
            EnrolmentEvent.to_status.label("to_status"),
            EnrolmentEvent.at.label("at"),
            ready_so_far,
        )
        .join(Enrolment, Enrolment.id == EnrolmentEvent.enrolment_id)
        .where(
            Enrolment.programme_id.in_(ids),
            EnrolmentEvent.to_status.in_(("ready", "matched")),
        )
        .subquery()
    )
    matches = (
        select(
            events.c.programme_id,
            events.c.at.label("matched_at"),
            events.c.ready_at,
        )
        .where(events.c.to_status == "matched", events.c.at >= first, events.c.at < last)
        .subquery()
    )
    if session.get_bind().dialect.name == "postgresql":
        await _waits_in_postgresql(session, matches, per, total)
        return
    waits: dict[uuid.UUID, list[int]] = defaultdict(list)
    for programme_id, matched_at, since in (await session.execute(select(matches))).tuples():
        if since is not None:
            waits[programme_id].append((local_day(matched_at) - local_day(since)).days)
    every: list[int] = []
    for programme_id, days in waits.items():
        per[programme_id].median_days_ready_to_matched = _median(days)
        per[programme_id].matches = len(days)
        every += days
    total.median_days_ready_to_matched = _median(every)
    total.matches = len(every)


async def _waits_in_postgresql(
    session: AsyncSession, matches: Any, per: dict[uuid.UUID, Figures], total: Figures
) -> None:
    """The same medians computed by PostgreSQL (Danish calendar days, ``percentile_cont``):
    one row per programme and one for the total instead of a row per match."""

    def day(column: Any) -> Any:
        return cast(func.timezone(COPENHAGEN.key, column), Date)

    days = (
        select(
            matches.c.programme_id,
            (day(matches.c.matched_at) - day(matches.c.ready_at)).label("days"),
        )
        .where(matches.c.ready_at.is_not(None))
        .cte("waits")
    )
    median = func.percentile_cont(0.5).within_group(days.c.days)
    rows = await session.execute(
        union_all(
            select(days.c.programme_id, median, func.count()).group_by(days.c.programme_id),
            select(literal(None, Enrolment.programme_id.type), median, func.count()),
        )
    )
    for programme_id, value, n in rows.tuples():
        f = total if programme_id is None else per[programme_id]
        f.median_days_ready_to_matched = float(value) if n else None
        f.matches = int(n)


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


# -- mentor courses ----------------------------------------------------------------------------


async def _courses(
    session: AsyncSession,
    owners: Mapping[uuid.UUID, Tenant],
    programmes: list[Programme],
    period: Period,
    plugins: MakkerPluginManager,
    per: dict[uuid.UUID, Figures],
    total: Figures,
) -> None:
    ids = [p.id for p in programmes]
    courses = (
        await session.execute(
            select(
                Course.id,
                Course.programme_id,
                Course.number,
                func.min(CourseSession.day),
                func.max(CourseSession.day),
            )
            .join(CourseSession, CourseSession.course_id == Course.id, isouter=True)
            .where(Course.programme_id.in_(ids))
            .group_by(Course.id, Course.programme_id, Course.number)
            .order_by(Course.programme_id, Course.number)
        )
    ).tuples()
    end = period.end
    finished: dict[uuid.UUID, bool] = {}  # course -> finished in the period
    programme_of: dict[uuid.UUID, uuid.UUID] = {}
    for course_id, programme_id, number, first_day, last_day in courses:
        days = [d for d in (first_day, last_day) if d is not None]
        state = course_state(days, end)
        f = per[programme_id]
        if state == FINISHED:
            f.courses_finished += 1
            total.courses_finished += 1
            in_period = period.start <= last_day
            finished[course_id] = in_period
            programme_of[course_id] = programme_id
            if in_period:
                f.courses_finished_in_period += 1
                total.courses_finished_in_period += 1
        elif state == RUNNING:
            f.courses_running += 1
            f.running_course_numbers.append(number)
            total.courses_running += 1
            total.running_course_numbers.append(number)
        elif state == PLANNED:
            f.courses_planned += 1
            total.courses_planned += 1
    total.running_course_numbers.sort()
    if not finished:
        return
    minimum = {p.id: min_sessions_attended(plugins, owners[p.tenant_id], p) for p in programmes}
    attended = await session.execute(
        select(CourseSession.course_id, CourseAttendance.person_id, func.count())
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .join(
            CourseParticipant,
            and_(
                CourseParticipant.course_id == CourseSession.course_id,
                CourseParticipant.person_id == CourseAttendance.person_id,
            ),
        )
        .where(CourseSession.course_id.in_(list(finished)))
        .group_by(CourseSession.course_id, CourseAttendance.person_id)
    )
    trained: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    trained_in_period: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for course_id, person_id, n in attended.tuples():
        programme_id = programme_of[course_id]
        needed = minimum[programme_id]
        if needed <= 0 or n < needed:
            continue
        trained[programme_id].add(person_id)
        if finished[course_id]:
            trained_in_period[programme_id].add(person_id)
    for programme_id, people in trained.items():
        per[programme_id].mentors_trained = len(people)
    for programme_id, people in trained_in_period.items():
        per[programme_id].mentors_trained_in_period = len(people)
    total.mentors_trained = len(set().union(*trained.values()))
    total.mentors_trained_in_period = len(set().union(*trained_in_period.values()))


# -- citizens who later became mentors ---------------------------------------------------------


async def _became_mentors(
    session: AsyncSession,
    ids: list[uuid.UUID],
    period: Period,
    per: dict[uuid.UUID, Figures],
    total: Figures,
) -> None:
    mentee = aliased(Enrolment)
    # Each person's first start as a citizen; the database joins it to the programmes' mentor
    # enrolments, so only the mentors who were citizens come back.
    first_as_citizen = (
        select(mentee.person_id.label("person_id"), func.min(Forloeb.started_on).label("first"))
        .join(mentee, mentee.id == Forloeb.mentee_enrolment_id)
        .where(Forloeb.state.in_(STARTED_STATES), Forloeb.started_on.is_not(None))
        .group_by(mentee.person_id)
        .subquery()
    )
    mentors = await session.execute(
        select(
            Enrolment.programme_id,
            Enrolment.person_id,
            Enrolment.created_at,
            first_as_citizen.c.first,
        )
        .join(first_as_citizen, first_as_citizen.c.person_id == Enrolment.person_id)
        .where(Enrolment.programme_id.in_(ids), Enrolment.role == EnrolmentRole.MENTOR)
    )
    became: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    became_in_period: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for programme_id, person_id, created_at, citizen_from in mentors.tuples():
        day = local_day(created_at)
        if day > period.end or citizen_from is None or day < citizen_from:
            continue
        became[programme_id].add(person_id)
        if day >= period.start:
            became_in_period[programme_id].add(person_id)
    for programme_id, people in became.items():
        per[programme_id].citizens_became_mentors = len(people)
    for programme_id, people in became_in_period.items():
        per[programme_id].citizens_became_mentors_in_period = len(people)
    total.citizens_became_mentors = len(_union(became.values()))
    total.citizens_became_mentors_in_period = len(_union(became_in_period.values()))


def _union(sets: Iterable[set[uuid.UUID]]) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for s in sets:
        out |= s
    return out


# -- questionnaire change ----------------------------------------------------------------------


async def outcome_changes(
    ctx: Context, programmes: Sequence[ProgrammeFigures], period: Period
) -> list[ProgrammeResult]:
    """Per programme with a questionnaire schedule, the paired change from the start to the
    end of the forløb that ended in the period (:func:`core.outcomes.results.programme_result`:
    the same figures as the Resultater page)."""
    wanted = {p.programme_id for p in programmes}
    out = []
    for programme in await programmes_in(ctx.session, None):
        if programme.id in wanted and programme.outcomes:
            out.append(await programme_result(ctx, programme.slug, period.start, period.end))
    return out
