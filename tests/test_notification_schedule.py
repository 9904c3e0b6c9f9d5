"""What time makes due (issue 16), on SQLite and PostgreSQL with a fixed clock: tomorrow's hold
session and activity reach their people the day before at 17:00, once; a questionnaire that
opens reaches its respondent once; a cancelled occurrence reaches nobody."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.activities.models import (
    Activity,
    ActivityCancellation,
    ActivityKind,
    ActivityMember,
    Recurrence,
)
from core.clock import COPENHAGEN
from core.courses.models import Course, CourseParticipant, CourseSession
from core.db.tenant_scope import tenant_scope
from core.jobs.tick import tick_tenant
from core.participants.models import Consent, ConsentText, Enrolment
from core.tenancy.models import Programme, Tenant
from tests.notification_world import make_pair, outbox, runtime_for

MONDAY = dt.date(2026, 11, 30)
TUESDAY = MONDAY + dt.timedelta(days=1)
DUE = dt.datetime(2026, 11, 30, 17, 0, tzinfo=COPENHAGEN)


async def test_tomorrows_session_and_activity_are_reminded_the_day_before_once(
    sessionmaker, tenants, clock
):
    clock.set(dt.datetime(2026, 11, 30, 8, 0, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            course = Course(programme_id=programme.id, number=1, start_date=MONDAY, capacity=8)
            session.add(course)
            await session.flush()
            session.add_all(
                [
                    CourseSession(
                        course_id=course.id,
                        position=1,
                        day=TUESDAY,
                        starts=dt.time(10),
                        ends=dt.time(15),
                        topic="Recovery",
                        place="Rådhuset",
                    ),
                    CourseParticipant(course_id=course.id, person_id=pair.mentor_id),
                ]
            )
            supervision, cafe = (
                Activity(
                    programme_id=programme.id,
                    kind=kind,
                    title=title,
                    first_on=TUESDAY,
                    starts=dt.time(17),
                    ends=dt.time(19),
                    recurrence=Recurrence.NONE,
                )
                for kind, title in (
                    (ActivityKind.SUPERVISION, "Gruppesparring"),
                    (ActivityKind.CAFE, "Cafédag"),
                )
            )
            session.add_all([supervision, cafe])
            await session.flush()
            session.add_all(
                [
                    ActivityMember(activity_id=supervision.id, person_id=pair.mentor_id),
                    ActivityMember(activity_id=cafe.id, person_id=pair.mentee_id),
                    ActivityCancellation(activity_id=cafe.id, day=TUESDAY),
                ]
            )
    runtime = runtime_for(sessionmaker)
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.kind, str(r.person_id), r.status, r.due_at) for r in rows) == sorted(
        (kind, str(pair.mentor_id), "pending", DUE.astimezone(dt.UTC))
        for kind in ("activity", "course_session")
    )
    for at in (DUE, DUE + dt.timedelta(minutes=1), DUE + dt.timedelta(hours=5)):
        clock.set(at)
        await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.kind, r.status) for r in rows) == [
        ("activity", "sent"),
        ("course_session", "sent"),
    ]
    session_reminder = next(r for r in rows if r.kind == "course_session")
    assert session_reminder.title == "Påmindelse: undervisning i morgen kl. 10.00"
    assert "Recovery" not in session_reminder.body and "Rådhuset" not in session_reminder.body
    assert "Gruppesparring" not in next(r for r in rows if r.kind == "activity").body


async def test_a_questionnaire_that_opens_reaches_its_respondent_once(sessionmaker, tenants, clock):
    clock.set(dt.datetime(2026, 11, 30, 9, 0, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 23))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            programme.outcomes = [{"instrument": "who5", "respondents": "mentee", "at_end": False}]
            text = ConsentText(programme_id=programme.id, version=1, body="T", created_by="t")
            session.add(text)
            await session.flush()
            for enrolment in await session.scalars(select(Enrolment)):
                session.add(
                    Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t")
                )
    runtime = runtime_for(sessionmaker)
    start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=COPENHAGEN)
    for later in (dt.timedelta(0), dt.timedelta(minutes=1), dt.timedelta(hours=1)):
        clock.set(start + later)
        await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert [(r.kind, str(r.person_id), r.channel, r.status) for r in rows] == [
        ("questionnaire_due", str(pair.mentee_id), "email", "sent")
    ]
    assert "/spoergeskema/who5:mentee:baseline:1" in rows[0].link
    assert "WHO" not in rows[0].body and "trivsel" not in rows[0].body.lower()


async def test_the_tenants_reminder_time_moves_the_day_before_reminders(
    sessionmaker, tenants, clock
):
    """``[notifications] reminder_time = "08:15"``: tomorrow's activity is reminded at 08:15."""
    settings = {"contact": "ring 01 23 45 67", "reminder_time": "08:15"}
    with tenant_scope(None):
        async with sessionmaker() as session, session.begin():
            (await session.get(Tenant, tenants.a.id)).notifications = settings
    tenants.a.notifications = settings
    clock.set(dt.datetime(2026, 11, 30, 7, 0, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            activity = Activity(
                programme_id=programme.id,
                kind=ActivityKind.SUPERVISION,
                title="Gruppesparring",
                first_on=TUESDAY,
                starts=dt.time(17),
                ends=dt.time(19),
                recurrence=Recurrence.NONE,
            )
            session.add(activity)
            await session.flush()
            session.add(ActivityMember(activity_id=activity.id, person_id=pair.mentor_id))
    runtime = runtime_for(sessionmaker)
    await tick_tenant(runtime, tenants.a)
    due = dt.datetime(2026, 11, 30, 8, 15, tzinfo=COPENHAGEN).astimezone(dt.UTC)
    assert [(r.kind, r.status, r.due_at) for r in await outbox(sessionmaker, tenants.a)] == [
        ("activity", "pending", due)
    ]
    clock.set(dt.datetime(2026, 11, 30, 8, 15, tzinfo=COPENHAGEN))
    await tick_tenant(runtime, tenants.a)
    assert [r.status for r in await outbox(sessionmaker, tenants.a)] == ["sent"]
