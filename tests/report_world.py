"""A hand-built tenant for the report tests (issue 14): every figure of the overview and the
savings estimate for the period 1 January - 30 June 2026 is worked out by hand below.

Programme ``btb`` (mentor course: 2 sessions to complete) and programme ``vp``:

=====  ==================  ===========  ====================================================
forløb citizen + mentor    started      end / pauses
=====  ==================  ===========  ====================================================
F1     C1 + M1             2025-10-01   completed 2026-03-31
F2     C2 + M1             2026-02-01   active
F3     C3 + M2             2026-01-15   ended early 2026-05-10
F4     C4 + M2             2025-12-01   paused: 02-01..02-10 and from 04-01 (still paused)
F5     C5 + M3             2026-06-20   active; paused 06-25..06-28
F6     C6 + M4             2026-07-05   active (after the period)
F7     C6 + M3             -            declined (proposed 2026-03-01)
F8     C2 + M4             2025-06-01   completed 2025-12-15 (before the period)
F9     C2 + M2 (vp)        2026-03-01   active (programme vp)
=====  ==================  ===========  ====================================================

C1 had her own forløb (F1) and enrolled as a mentor on 2026-05-01: a citizen who became a
mentor. C7 (citizen) and C1 (mentor) are ``ready`` (the waiting list).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, ForloebPause, Meeting
from core.participants.models import Enrolment, EnrolmentEvent, EnrolmentRole, Person
from core.tenancy.models import Programme, Tenant

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
#: The app's "today" in the tests (the waiting list is read on it).
TODAY = dt.date(2026, 7, 15)
D = dt.date


def _at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


#: The overview of ``btb`` / ``vp`` / the total for START..END, worked out by hand.
BTB: dict[str, Any] = {
    "people_in_forloeb": 6,  # C2, C4, C5 + M1, M2, M3 (F4 is paused: still in forløb)
    "citizens_in_forloeb": 3,
    "mentors_in_forloeb": 3,
    "forloeb_running": 3,  # F2, F4, F5
    "forloeb_paused_at_end": 1,  # F4 (F5's pause ended 06-28)
    "waiting_citizens": 1,  # C7
    "waiting_mentors": 1,  # C1 as mentor
    "median_days_ready_to_matched": 10.0,  # 9, 10, 10, 15, 45
    "matches": 5,
    "forloeb_started": 3,  # F2, F3, F5
    "forloeb_completed": 1,  # F1
    "forloeb_ended_early": 1,  # F3
    "forloeb_paused": 2,  # F4 (twice: once), F5
    "meetings_held": 4,
    "meetings_cancelled": 2,
    "cancellation_percent": 33.3,
    "meeting_hours": 3.0,
    "courses_finished": 3,  # hold 1, 2, 5
    "courses_running": 1,  # hold 3 (its second day is the period's last)
    "running_course_numbers": [3],
    "courses_planned": 1,  # hold 4
    "courses_finished_in_period": 2,  # hold 2, 5
    "mentors_trained": 4,  # M1 (hold 1), M2, M3 (hold 2), M4 (hold 5)
    "mentors_trained_in_period": 3,
    "citizens_became_mentors": 1,  # C1
    "citizens_became_mentors_in_period": 1,
}
VP: dict[str, Any] = {
    **dict.fromkeys(BTB, 0),
    "people_in_forloeb": 2,
    "citizens_in_forloeb": 1,
    "mentors_in_forloeb": 1,
    "forloeb_running": 1,
    "median_days_ready_to_matched": 20.0,
    "matches": 1,
    "forloeb_started": 1,
    "meetings_held": 1,
    "cancellation_percent": 0.0,
    "meeting_hours": 1.0,
    "running_course_numbers": [],
}
TOTAL: dict[str, Any] = {
    **{k: BTB[k] + VP[k] for k in BTB if isinstance(BTB[k], int)},
    # C2 and M2 are in both programmes: counted once.
    "people_in_forloeb": 6,
    "citizens_in_forloeb": 3,
    "mentors_in_forloeb": 3,
    "median_days_ready_to_matched": 12.5,  # 9, 10, 10, 15, 20, 45
    "cancellation_percent": 28.6,  # 2 of 7
    "meeting_hours": 4.0,
    "running_course_numbers": [3],
}
VP["median_days_ready_to_matched"] = 20.0
VP["cancellation_percent"] = 0.0

#: btb's savings assumptions and estimate for START..END (181 days).
ASSUMPTIONS = {
    "support_hours_per_fortnight": 3.0,
    "hourly_cost": 500,
    "share_otherwise_supported_percent": 80,
    "coordinator_hours_per_week": 2.0,
    "coordinator_hourly_cost": 400,
}
#: F1 89 (01-01..03-30) + F2 150 + F3 115 + F4 81 (181 - 9 - 91 paused) + F5 8 (11 - 3 paused)
ESTIMATE = {
    "forloeb_days": 443,
    "forloeb_counted": 5,
    "forloeb_fortnights": 31.6,
    "support_hours_replaced": 76,  # 443 / 14 * 3 * 0.8 = 75.94
    "economic_consequences_dkk": 37971,  # 75.943 * 500
    "effort_cost_dkk": 20686,  # 2 * 181 / 7 * 400 = 20685.7
    "net_result_dkk": 17285,
}


async def build(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> dict[str, uuid.UUID]:
    """The world above in ``tenant``; returns the programmes' ids (``btb``, ``vp``)."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            return await _build(session)


async def _build(session: AsyncSession) -> dict[str, uuid.UUID]:
    btb = Programme(
        slug="btb",
        name="Borger til Borger",
        type="peer_mentor",
        areas=["psykiatri"],
        policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
        plugins={"mentor_course": {"min_sessions_attended": 2}},
    )
    vp = Programme(
        slug="vp",
        name="Peer-to-Peer",
        type="peer_mentor",
        areas=["psykiatri"],
        policy={"duration_months": {"min": 6, "max": 6}, "meeting_frequencies": ["weekly"]},
        plugins={},
    )
    session.add_all([btb, vp])
    await session.flush()
    people = {
        n: Person(name=f"Rapport {n}")
        for n in ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "M1", "M2", "M3", "M4"]
    }
    session.add_all(people.values())
    await session.flush()

    def enrol(
        who: str, programme: Programme, role: str, status: str, created: dt.date
    ) -> Enrolment:
        e = Enrolment(
            person_id=people[who].id,
            programme_id=programme.id,
            role=EnrolmentRole(role),
            status=status,
            created_at=_at(created, 8),
        )
        session.add(e)
        return e

    ce = {
        "C1": enrol("C1", btb, "mentee", "finished", D(2025, 9, 1)),
        "C2": enrol("C2", btb, "mentee", "active", D(2025, 5, 1)),
        "C3": enrol("C3", btb, "mentee", "finished", D(2025, 12, 1)),
        "C4": enrol("C4", btb, "mentee", "active", D(2025, 10, 1)),
        "C5": enrol("C5", btb, "mentee", "active", D(2026, 2, 1)),
        "C6": enrol("C6", btb, "mentee", "active", D(2026, 2, 1)),
        "C7": enrol("C7", btb, "mentee", "ready", D(2026, 6, 1)),
    }
    me = {m: enrol(m, btb, "mentor", "active", D(2025, 1, 1)) for m in ("M1", "M2", "M3", "M4")}
    c1_mentor = enrol("C1", btb, "mentor", "ready", D(2026, 5, 1))
    vp_c2 = enrol("C2", vp, "mentee", "active", D(2026, 1, 20))
    vp_m2 = enrol("M2", vp, "mentor", "active", D(2026, 1, 20))
    await session.flush()

    def events(e: Enrolment, *changes: tuple[str, dt.datetime]) -> None:
        session.add_all(
            EnrolmentEvent(enrolment_id=e.id, to_status=s, actor="t", at=at) for s, at in changes
        )

    events(ce["C2"], ("ready", _at(D(2026, 1, 10))), ("matched", _at(D(2026, 1, 25))))  # 15
    events(ce["C3"], ("ready", _at(D(2026, 1, 1))), ("matched", _at(D(2026, 1, 11))))  # 10
    events(
        ce["C5"],
        ("ready", _at(D(2026, 3, 1))),
        ("matched", _at(D(2026, 3, 10))),  # 9
        ("ready", _at(D(2026, 5, 1))),  # the match was undone
        ("matched", _at(D(2026, 6, 15))),  # 45, from the last ready
    )
    events(ce["C4"], ("ready", _at(D(2025, 11, 1))), ("matched", _at(D(2025, 11, 20))))  # before
    # 22:30 UTC on 30 June is 00:30 on 1 July in Copenhagen: after the period.
    events(ce["C6"], ("ready", _at(D(2026, 6, 1))), ("matched", _at(D(2026, 6, 30), 22, 30)))
    # 21:30 UTC on 30 June is 23:30 in Copenhagen: in the period (10 days).
    events(me["M1"], ("ready", _at(D(2026, 6, 20), 8)), ("matched", _at(D(2026, 6, 30), 21, 30)))
    events(vp_c2, ("ready", _at(D(2026, 2, 1))), ("matched", _at(D(2026, 2, 21))))  # 20
    events(ce["C7"], ("ready", _at(D(2026, 6, 1))))
    events(c1_mentor, ("ready", _at(D(2026, 5, 1))))

    def forloeb(
        programme: Programme,
        mentee: Enrolment,
        mentor: Enrolment,
        state: str,
        started: dt.date | None,
        ended: dt.date | None = None,
    ) -> Forloeb:
        f = Forloeb(
            programme_id=programme.id,
            mentee_enrolment_id=mentee.id,
            mentor_enrolment_id=mentor.id,
            state=state,
            strategy="manual",
            proposed_on=(started or D(2026, 3, 1)) - dt.timedelta(days=3),
            proposed_by="t",
            frequency="weekly",
            planned_months=6,
            started_on=started,
            ended_on=ended,
        )
        session.add(f)
        return f

    f1 = forloeb(btb, ce["C1"], me["M1"], "completed", D(2025, 10, 1), D(2026, 3, 31))
    f2 = forloeb(btb, ce["C2"], me["M1"], "active", D(2026, 2, 1))
    f3 = forloeb(btb, ce["C3"], me["M2"], "ended_early", D(2026, 1, 15), D(2026, 5, 10))
    f4 = forloeb(btb, ce["C4"], me["M2"], "paused", D(2025, 12, 1))
    f5 = forloeb(btb, ce["C5"], me["M3"], "active", D(2026, 6, 20))
    f6 = forloeb(btb, ce["C6"], me["M4"], "active", D(2026, 7, 5))
    await session.flush()  # F7 and F8 may not be open beside F6/F2 (one open forløb a citizen)
    forloeb(btb, ce["C6"], me["M3"], "declined", None)
    # F8: C2's earlier forløb, completed before the period (a finished enrolment of its own).
    c2_before = enrol("C2", btb, "mentee", "finished", D(2025, 4, 1))
    await session.flush()
    forloeb(btb, c2_before, me["M4"], "completed", D(2025, 6, 1), D(2025, 12, 15))
    f9 = forloeb(vp, vp_c2, vp_m2, "active", D(2026, 3, 1))
    await session.flush()
    session.add_all(
        [
            ForloebPause(forloeb_id=f4.id, starts_on=D(2026, 2, 1), ends_on=D(2026, 2, 10)),
            ForloebPause(forloeb_id=f4.id, starts_on=D(2026, 4, 1), ends_on=None),
            ForloebPause(forloeb_id=f5.id, starts_on=D(2026, 6, 25), ends_on=D(2026, 6, 28)),
        ]
    )

    def meeting(f: Forloeb, day: dt.date, minutes: int | None, cancelled: bool = False) -> Meeting:
        return Meeting(
            forloeb_id=f.id,
            day=day,
            activity="cafe",
            duration_minutes=minutes,
            cancelled=cancelled,
            logged_as="mentor",
            logged_by="t",
        )

    session.add_all(
        [
            meeting(f2, D(2026, 2, 5), 60),
            meeting(f2, D(2026, 2, 12), 90),
            meeting(f2, D(2026, 2, 19), None, cancelled=True),
            meeting(f3, D(2026, 1, 20), None),
            meeting(f3, D(2026, 4, 1), None, cancelled=True),
            meeting(f1, D(2025, 12, 20), 60),  # before the period
            meeting(f1, D(2026, 3, 30), 30),
            meeting(f5, D(2026, 7, 1), 60),  # after the period
            meeting(f6, D(2026, 7, 6), 60, cancelled=True),  # after the period
            meeting(f9, D(2026, 3, 5), 60),
        ]
    )

    async def hold(number: int, days: list[dt.date], present: dict[str, int]) -> None:
        course = Course(programme_id=btb.id, number=number, start_date=days[0], capacity=10)
        session.add(course)
        await session.flush()
        sessions = [
            CourseSession(
                course_id=course.id,
                position=i + 1,
                day=day,
                starts=dt.time(10),
                ends=dt.time(14),
                topic="Emne",
            )
            for i, day in enumerate(days)
        ]
        session.add_all(sessions)
        await session.flush()
        for who, attended in present.items():
            session.add(CourseParticipant(course_id=course.id, person_id=people[who].id))
            session.add_all(
                CourseAttendance(session_id=s.id, person_id=people[who].id)
                for s in sessions[:attended]
            )
        await session.flush()

    await hold(1, [D(2025, 9, 1), D(2025, 10, 1), D(2025, 11, 1)], {"M1": 3, "M2": 1})
    await hold(2, [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)], {"M2": 2, "M3": 2, "M4": 1})
    await hold(3, [D(2026, 6, 1), D(2026, 6, 30), D(2026, 7, 10)], {"C1": 2})
    await hold(4, [D(2026, 9, 1)], {})
    await hold(5, [D(2026, 5, 29), D(2026, 6, 29)], {"M4": 2})
    return {"btb": btb.id, "vp": vp.id}
