"""Issue 16, the reviewer's findings, on SQLite and PostgreSQL with a fixed clock: a reminder
names the right day; a changed channel gets its own row; quiet hours and stale reminders at
delivery; what is still so per kind."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.clock import COPENHAGEN
from core.db.tenant_scope import tenant_scope
from core.forloeb.planned import PlannedMeetingIn, plan_meeting
from core.jobs.tick import tick_tenant
from core.notifications.messages import MessageValues, render
from core.notifications.models import ContactPreference
from tests.notification_world import in_context, links, make_pair, outbox, runtime_for


def copenhagen(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=COPENHAGEN)


async def _plan(sessionmaker, pair, day: dt.date, time: str = "14:00"):
    data = PlannedMeetingIn(day=day.isoformat(), time=time, place="Caféen")
    return await in_context(
        sessionmaker,
        pair.tenant,
        lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(pair.tenant)),
    )


async def _choices(sessionmaker, tenant, person_id, **values) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == person_id)
                .values(**values)
            )


async def test_a_same_day_meetings_reminder_says_today(sessionmaker, tenants, clock):
    """Planned at 14:50 for 20:00 the same day: the reminder is due now and says "i dag"."""
    clock.set(copenhagen(2026, 12, 2, 14, 50))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _choices(sessionmaker, tenants.a, pair.mentee_id, channels={"meeting_reminder": "sms"})
    await _choices(sessionmaker, tenants.a, pair.mentor_id, language="en")
    await _plan(sessionmaker, pair, dt.date(2026, 12, 2), "20:00")
    rows = {r.person_id: r for r in await outbox(sessionmaker, tenants.a)}
    sms, english = rows[pair.mentee_id], rows[pair.mentor_id]
    # due now (the test clock runs on from 14:50)
    assert sms.due_at.replace(tzinfo=dt.UTC, second=0, microsecond=0) == dt.datetime(
        2026, 12, 2, 13, 50, tzinfo=dt.UTC
    )
    assert sms.title == "Påmindelse: møde i dag kl. 20.00"
    assert sms.body.startswith("Påmindelse: Du har et møde med din makker i dag kl. 20.00.")
    assert english.title == "Reminder: meeting today at 20:00"
    assert "partner today, Wednesday 2 December at 20:00." in english.body
    assert "morgen" not in sms.body + sms.title and "tomorrow" not in english.body


async def test_a_reminder_moved_by_quiet_hours_past_midnight_says_today(
    sessionmaker, tenants, clock
):
    """Quiet hours 16:00-09:00 move the day-before reminder to 09:00 on the meeting's day
    (Danish time): it says "i dag"; the page message, not moved, says "i morgen"."""
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _choices(
        sessionmaker, tenants.a, pair.mentee_id, quiet_from=dt.time(16), quiet_to=dt.time(9)
    )
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    mail = next(
        r
        for r in await outbox(sessionmaker, tenants.a)
        if r.person_id == pair.mentee_id and r.channel == "email"
    )
    assert mail.due_at.replace(tzinfo=dt.UTC) == dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC)
    assert mail.title == "Påmindelse: møde i dag kl. 14.00"
    assert "i dag, torsdag den 3. december kl. 14.00." in mail.body


def test_course_and_activity_reminders_name_the_day_from_the_day_they_go_out():
    values = MessageValues(
        "Kommune A", "ring", "https://x/l", "https://x/s", at=copenhagen(2026, 12, 3, 10)
    )
    for kind, word in (("course_session", "undervisning"), ("activity", "aktivitet")):
        assert render(kind, "sms", values, sent_on=dt.date(2026, 12, 3)).title == (
            f"Påmindelse: {word} i dag kl. 10.00"
        )
        assert render(kind, "sms", values, sent_on=dt.date(2026, 12, 2)).title == (
            f"Påmindelse: {word} i morgen kl. 10.00"
        )
        assert render(kind, "sms", values, sent_on=dt.date(2026, 12, 1)).title == (
            f"Påmindelse: {word} torsdag den 3. december kl. 10.00"
        )
        english = render(kind, "email", values, "en", sent_on=dt.date(2026, 12, 1))
        assert english.title.endswith("on Thursday 3 December at 10:00")


async def test_the_choices_page_is_linked_for_coordinators_only(live, sessionmaker, tenants, clock):
    """A coordinator reaches a person's consent and choices from the person page and, for both
    parties, from the forløb page; the pair (who cannot use that page) gets no such link."""
    from tests.live import browser_sign_in, client_for
    from tests.test_mine import account_of

    clock.set(copenhagen(2026, 11, 30, 10))
    slug = tenants.a.slug
    coordinator, mentor = f"link-coord-{slug}", f"link-mentor-{slug}"
    live.add_user(coordinator, ("coordinator",), (slug,))
    live.add_user(mentor, ("mentor",), (slug,))
    pair = await make_pair(
        sessionmaker, tenants.a, dt.date(2026, 11, 2), mentor_account=account_of(live, mentor)
    )
    forloeb_page = f"/t/{slug}/forloeb/{pair.forloeb_id}"
    mentee_link = f'href="/t/{slug}/beskeder/person/{pair.mentee_id}"'
    mentor_link = f'href="/t/{slug}/beskeder/person/{pair.mentor_id}"'
    async with client_for(live) as http:
        await browser_sign_in(http, live, coordinator, forloeb_page)
        page = await http.get(forloeb_page)
        assert page.status_code == 200
        assert page.text.count(mentee_link) == 1 and page.text.count(mentor_link) == 1
        person = await http.get(f"/t/{slug}/deltagere/{pair.mentee_id}")
        assert person.status_code == 200
        assert person.text.count(mentee_link) == 1
        assert "Beskeder: samtykke og valg" in person.text
        assert (await http.get(f"/t/{slug}/beskeder/person/{pair.mentee_id}")).status_code == 200
    async with client_for(live) as http:
        await browser_sign_in(http, live, mentor, forloeb_page)
        page = await http.get(forloeb_page)
        assert page.status_code == 200
        assert "/beskeder/person/" not in page.text
        assert (await http.get(f"/t/{slug}/beskeder/person/{pair.mentee_id}")).status_code == 403


def _rows(rows, person_id):
    return sorted((r.kind, r.channel, r.status) for r in rows if r.person_id == person_id)


async def test_a_changed_channel_gets_its_own_row_and_the_old_one_is_withdrawn(
    sessionmaker, tenants, clock
):
    """Planned with e-mail; the person switches meeting_reminder to SMS before 17:00: at the
    17:01 tick the e-mail row is withdrawn and an SMS is written and sent - once."""
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    await _choices(sessionmaker, tenants.a, pair.mentee_id, channels={"meeting_reminder": "sms"})
    runtime = runtime_for(sessionmaker)
    clock.set(copenhagen(2026, 12, 2, 17, 1))
    await tick_tenant(runtime, tenants.a)
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert _rows(rows, pair.mentee_id) == [
        ("meeting_reminder", "email", "withdrawn"),
        ("meeting_reminder", "sms", "sent"),
    ]
    assert _rows(rows, pair.mentor_id) == [("meeting_reminder", "email", "sent")]
    sms = next(r for r in rows if r.channel == "sms")
    assert sms.title == "Påmindelse: møde i morgen kl. 14.00"
    assert sms.body.startswith("Påmindelse: Du har et møde med din makker i morgen kl. 14.00.")


async def test_quiet_hours_chosen_after_writing_put_the_reminder_off_with_todays_word(
    sessionmaker, tenants, clock
):
    """Quiet hours 16:00-09:00 recorded after the reminder was written: at 17:00 it is put off
    to 09:00 (not dropped), its text now says "i dag", and it goes out at 09:00."""
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    await _choices(
        sessionmaker, tenants.a, pair.mentee_id, quiet_from=dt.time(16), quiet_to=dt.time(9)
    )
    runtime = runtime_for(sessionmaker)
    clock.set(copenhagen(2026, 12, 2, 17))
    await tick_tenant(runtime, tenants.a)
    mail = next(r for r in await outbox(sessionmaker, tenants.a) if r.person_id == pair.mentee_id)
    assert (mail.status, mail.attempts, mail.due_at.replace(tzinfo=dt.UTC)) == (
        "pending",
        0,
        dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC),
    )
    assert mail.title == "Påmindelse: møde i dag kl. 14.00"
    clock.set(copenhagen(2026, 12, 3, 9))
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert _rows(rows, pair.mentee_id) == [("meeting_reminder", "email", "sent")]


async def test_a_reminder_whose_meeting_has_started_is_not_sent_late(sessionmaker, tenants, clock):
    """No worker ran from before 17:00 until after the meeting began: the reminders are
    withdrawn as stale, not sent."""
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    clock.set(copenhagen(2026, 12, 3, 14, 5))
    await tick_tenant(runtime_for(sessionmaker), tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.kind, r.status, r.sent_at) for r in rows) == [
        ("meeting_reminder", "withdrawn", None),
        ("meeting_reminder", "withdrawn", None),
    ]


@pytest.mark.parametrize(
    ("state", "ended_on"), [("ended_early", dt.date(2026, 12, 1)), ("paused", None)]
)
async def test_a_reminder_of_an_ended_or_paused_forloeb_is_withdrawn(
    sessionmaker, tenants, clock, state, ended_on
):
    from core.forloeb.models import Forloeb

    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Forloeb)
                .where(Forloeb.id == pair.forloeb_id)
                .values(state=state, ended_on=ended_on)
            )
    clock.set(copenhagen(2026, 12, 2, 17))
    await tick_tenant(runtime_for(sessionmaker), tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.kind, r.status) for r in rows) == [
        ("meeting_reminder", "withdrawn"),
        ("meeting_reminder", "withdrawn"),
    ]


async def test_a_cancelled_occurrence_and_a_removed_participant_are_not_reminded(
    sessionmaker, tenants, clock
):
    """Written at 08:00 for tomorrow; before 17:00 the activity's occurrence is cancelled and
    the mentor leaves the hold: both reminders are withdrawn, not sent."""
    from sqlalchemy import delete, select

    from core.activities.models import (
        Activity,
        ActivityCancellation,
        ActivityKind,
        ActivityMember,
        Recurrence,
    )
    from core.courses.models import Course, CourseParticipant, CourseSession
    from core.tenancy.models import Programme

    monday, tuesday = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    clock.set(copenhagen(2026, 11, 30, 8))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            course = Course(programme_id=programme.id, number=1, start_date=monday, capacity=8)
            activity = Activity(
                programme_id=programme.id,
                kind=ActivityKind.SUPERVISION,
                title="Gruppesparring",
                first_on=tuesday,
                starts=dt.time(17),
                ends=dt.time(19),
                recurrence=Recurrence.NONE,
            )
            session.add_all([course, activity])
            await session.flush()
            session.add_all(
                [
                    CourseSession(
                        course_id=course.id,
                        position=1,
                        day=tuesday,
                        starts=dt.time(10),
                        ends=dt.time(15),
                        topic="Recovery",
                        place="Rådhuset",
                    ),
                    CourseParticipant(course_id=course.id, person_id=pair.mentor_id),
                    ActivityMember(activity_id=activity.id, person_id=pair.mentor_id),
                ]
            )
    runtime = runtime_for(sessionmaker)
    await tick_tenant(runtime, tenants.a)
    assert sorted((r.kind, r.status) for r in await outbox(sessionmaker, tenants.a)) == [
        ("activity", "pending"),
        ("course_session", "pending"),
    ]
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            session.add(ActivityCancellation(activity_id=activity.id, day=tuesday))
            await session.execute(
                delete(CourseParticipant).where(CourseParticipant.person_id == pair.mentor_id)
            )
    clock.set(copenhagen(2026, 11, 30, 17))
    await tick_tenant(runtime, tenants.a)
    assert sorted((r.kind, r.status) for r in await outbox(sessionmaker, tenants.a)) == [
        ("activity", "withdrawn"),
        ("course_session", "withdrawn"),
    ]


async def test_the_plan_form_shows_the_tenants_reminder_time(live, sessionmaker, tenants, clock):
    from core.tenancy.models import Tenant
    from tests.live import browser_sign_in, client_for

    clock.set(copenhagen(2026, 11, 30, 10))
    slug = tenants.a.slug
    coordinator = f"plan-time-{slug}"
    live.add_user(coordinator, ("coordinator",), (slug,))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 2))
    with tenant_scope(None):
        async with sessionmaker() as session, session.begin():
            row = await session.get(Tenant, tenants.a.id)
            row.notifications = {"contact": "Ring 70 10 20 30", "reminder_time": "08:15"}
    page = f"/t/{slug}/forloeb/{pair.forloeb_id}/planlaeg"
    async with client_for(live) as http:
        await browser_sign_in(http, live, coordinator, page)
        form = await http.get(page)
    assert form.status_code == 200
    assert "I får begge en påmindelse dagen før kl. 08:15, sådan som" in form.text


async def test_another_tenants_ids_in_the_page_posts_are_404_and_nothing_is_stored(
    live, sessionmaker, tenants, clock
):
    """A coordinator of B names A's forløb, planned meeting, person and failed message in B's
    page URLs: each POST is the 404 and A's data is as it was."""
    from sqlalchemy import func, select

    from core.forloeb.models import PlannedMeeting
    from core.notifications.models import Notification
    from tests.live import browser_sign_in, client_for, csrf_token

    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 2))
    planned = await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            failed = Notification(
                idempotency_key="test:cross-failed",
                kind="meeting_reminder",
                channel="email",
                person_id=pair.mentee_id,
                due_at=dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC),
                status="failed",
                attempts=8,
                last_error="SMTPConnectError",
                title="Påmindelse",
                body="Hej",
                link="https://x/",
            )
            session.add(failed)

    async def state():
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session:
                meetings = list(
                    await session.execute(
                        select(PlannedMeeting.id, PlannedMeeting.cancelled_at).order_by(
                            PlannedMeeting.id
                        )
                    )
                )
                rows = list(
                    await session.execute(
                        select(
                            Notification.id, Notification.status, Notification.attempts
                        ).order_by(Notification.id)
                    )
                )
                prefs = list(
                    await session.execute(
                        select(
                            ContactPreference.person_id,
                            ContactPreference.channels,
                            ContactPreference.consent_withdrawn_at,
                        ).order_by(ContactPreference.person_id)
                    )
                )
                count = await session.scalar(select(func.count(PlannedMeeting.id)))
                return meetings, rows, prefs, count

    before = await state()
    b = tenants.b.slug
    coordinator = f"cross-post-{b}"
    live.add_user(coordinator, ("coordinator",), (b,))
    async with client_for(live) as http:
        await browser_sign_in(http, live, coordinator, f"/t/{b}/beskeder/fejlede")
        token = csrf_token((await http.get(f"/t/{b}/beskeder/fejlede")).text)
        posts = {
            f"/t/{b}/forloeb/{pair.forloeb_id}/planlaeg": {
                "day": "2026-12-10",
                "time": "14:00",
                "place": "Caféen",
            },
            f"/t/{b}/forloeb/{pair.forloeb_id}/planlagt/{planned.id}/afbud": {},
            f"/t/{b}/beskeder/person/{pair.mentee_id}": {"channel_meeting_reminder": "off"},
            f"/t/{b}/beskeder/fejlede/{failed.id}/igen": {},
        }
        for url, form in posts.items():
            response = await http.post(url, data={"_csrf_token": token, **form})
            assert (url, response.status_code) == (url, 404)
    assert await state() == before


async def _api(live, tenant, username, roles):
    import httpx

    live.add_user(username, roles, (tenant.slug,))
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(username)}"},
    )


async def test_choices_round_trip_and_a_long_place_names_the_limit(
    live, sessionmaker, tenants, clock
):
    """GET's answer (``""`` for a kind not chosen: the default) can be PUT back as it is; a
    place over 200 characters gets a Danish message naming the limit, and nothing is stored."""
    from sqlalchemy import func, select

    from core.forloeb.models import PlannedMeeting

    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 2))
    path = f"/people/{pair.mentee_id}/notification-choices"
    async with await _api(live, tenants.a, f"rt-coord-{tenants.a.slug}", ("coordinator",)) as api:
        got = (await api.get(path)).json()
        assert got["channels"]["activity"] == ""
        got["channels"]["meeting_reminder"] = "sms"
        body = {k: got[k] for k in ("consent", "channels", "quiet_from", "quiet_to", "language")}
        saved = await api.put(path, json=body)
        assert saved.status_code == 200, saved.text
        assert (await api.get(path)).json()["channels"] == {**got["channels"]}
        long = await api.post(
            f"/forloeb/{pair.forloeb_id}/planned-meetings",
            json={"day": "2026-12-03", "time": "14:00", "place": "x" * 201},
        )
        assert (long.status_code, long.json()["errors"]) == (
            400,
            {"place": "Teksten er for lang (højst 200 tegn)."},
        )
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            assert await session.scalar(select(func.count(PlannedMeeting.id))) == 0
            pref = await session.scalar(
                select(ContactPreference).where(ContactPreference.person_id == pair.mentee_id)
            )
            assert pref.channels == {"meeting_reminder": "sms"}


async def test_a_retry_is_moved_out_of_the_quiet_hours(sessionmaker, tenants, clock):
    """The server refuses at 17:00; the retry (1 minute later) falls in the quiet hours
    17:01-08:00 the person chose after writing: it waits until 08:00 and then says "i dag"."""
    from core.jobs.tick import JobRuntime
    from core.notifications.delivery import Transports
    from core.notifications.transports import DeliveryRefused
    from core.plugin_api import create_plugin_manager
    from core.settings import Settings

    class Refusing:
        name = "refusing"

        async def deliver(self, message, handover) -> None:
            raise DeliveryRefused("SMTPConnectError")

    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    await _choices(
        sessionmaker, tenants.a, pair.mentee_id, quiet_from=dt.time(17, 1), quiet_to=dt.time(8)
    )
    base = runtime_for(sessionmaker)
    runtime = JobRuntime(
        sessionmaker,
        Settings(),
        create_plugin_manager(),
        Transports(email=Refusing(), page=base.transports.page, sms_for=lambda tenant: None),
    )
    clock.set(copenhagen(2026, 12, 2, 17))
    await tick_tenant(runtime, tenants.a)
    rows = {r.person_id: r for r in await outbox(sessionmaker, tenants.a)}
    mentee, mentor = rows[pair.mentee_id], rows[pair.mentor_id]
    assert (mentee.status, mentee.attempts, mentee.due_at.replace(tzinfo=dt.UTC)) == (
        "pending",
        1,
        dt.datetime(2026, 12, 3, 7, tzinfo=dt.UTC),
    )
    assert mentee.title == "Påmindelse: møde i dag kl. 14.00"
    # no quiet hours: the mentor's retry is a minute later, the text unchanged
    assert (mentor.status, mentor.title) == ("pending", "Påmindelse: møde i morgen kl. 14.00")
    assert mentor.due_at.replace(tzinfo=dt.UTC, microsecond=0, second=0) == dt.datetime(
        2026, 12, 2, 16, 1, tzinfo=dt.UTC
    )


async def test_a_channel_changed_after_sending_does_not_send_the_reminder_again(
    sessionmaker, tenants, clock
):
    """Tomorrow's session was reminded by e-mail at 17:00; the person switches to SMS at
    18:00: the tick (which writes tomorrow's reminders each minute) writes no SMS."""
    from sqlalchemy import select

    from core.courses.models import Course, CourseParticipant, CourseSession
    from core.tenancy.models import Programme

    clock.set(copenhagen(2026, 11, 30, 16))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            course = Course(
                programme_id=programme.id, number=1, start_date=dt.date(2026, 11, 30), capacity=8
            )
            session.add(course)
            await session.flush()
            session.add_all(
                [
                    CourseSession(
                        course_id=course.id,
                        position=1,
                        day=dt.date(2026, 12, 1),
                        starts=dt.time(10),
                        ends=dt.time(15),
                        topic="Recovery",
                        place="Rådhuset",
                    ),
                    CourseParticipant(course_id=course.id, person_id=pair.mentor_id),
                ]
            )
    runtime = runtime_for(sessionmaker)
    clock.set(copenhagen(2026, 11, 30, 17))
    await tick_tenant(runtime, tenants.a)
    await _choices(sessionmaker, tenants.a, pair.mentor_id, channels={"course_session": "sms"})
    clock.set(copenhagen(2026, 11, 30, 18, 1))
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert _rows(rows, pair.mentor_id) == [("course_session", "email", "sent")]
