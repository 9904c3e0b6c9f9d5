"""A sign-in linked to a person, and "Mit forløb" (issue 7): what a mentor and a mentee see."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy import select

from core import clock as app_clock
from core.activities.models import Activity, ActivityKind, ActivityMember, Recurrence
from core.audit.models import AuditEvent
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.tenant_scope import tenant_scope
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from tests.live import browser_sign_in, csrf_token

NOT_LINKED = "Din bruger er ikke knyttet til en deltager endnu. Kontakt din koordinator."
IN_USE = "Brugeren er allerede knyttet til en anden deltager."


def account_of(live, username: str) -> str:
    """What ``Principal.user_id`` is for a test user of the live server's issuer."""
    return f"{live.settings.oidc_issuer}#dev-{username}"


async def _world(sessionmaker, tenant) -> dict[str, uuid.UUID]:
    """A mentor on hold 3 (one session held and attended, one coming), a mentee, and one
    activity of each kind; the mentor is a member of the interest group."""
    today = app_clock.today()
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="btb", name="Borger til Borger", type="peer_mentor", areas=[], policy={}
            )
            mentor, mentee = Person(name="Mona Mentorsen"), Person(name="Bo Borgersen")
            session.add_all([programme, mentor, mentee])
            await session.flush()
            for person, role in ((mentor, EnrolmentRole.MENTOR), (mentee, EnrolmentRole.MENTEE)):
                session.add(
                    Enrolment(
                        person_id=person.id,
                        programme_id=programme.id,
                        role=role,
                        status="active",
                    )
                )
            course = Course(
                programme_id=programme.id,
                number=3,
                start_date=today - dt.timedelta(days=10),
                capacity=10,
            )
            session.add(course)
            await session.flush()
            held, coming = (
                CourseSession(
                    course_id=course.id,
                    position=i + 1,
                    day=day,
                    starts=dt.time(10),
                    ends=dt.time(15),
                    topic=topic,
                )
                for i, (day, topic) in enumerate(
                    (
                        (today - dt.timedelta(days=10), "Recovery"),
                        (today + dt.timedelta(days=20), "Samtalen"),
                    )
                )
            )
            session.add_all(
                [held, coming, CourseParticipant(course_id=course.id, person_id=mentor.id)]
            )
            await session.flush()
            session.add(CourseAttendance(session_id=held.id, person_id=mentor.id))
            ids = {"mentor": mentor.id, "mentee": mentee.id, "course": course.id}
            for kind in ActivityKind:
                activity = Activity(
                    kind=kind,
                    title=f"Aktivitet {kind.value}",
                    first_on=today + dt.timedelta(days=1),
                    starts=dt.time(17),
                    ends=dt.time(19),
                    recurrence=Recurrence.WEEKLY,
                )
                session.add(activity)
                await session.flush()
                ids[kind.value] = activity.id
            session.add(ActivityMember(activity_id=ids["interest_group"], person_id=mentor.id))
    return ids


async def _client(live, tenant, username, roles) -> httpx.AsyncClient:
    live.add_user(username, roles, (tenant.slug,))
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(username)}"},
    )


async def _accounts(sessionmaker, tenant) -> dict[str, str | None]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return {p.name: p.account for p in await session.scalars(select(Person))}


async def test_coordinator_links_and_unlinks_a_sign_in_audited_without_the_value(
    live, sessionmaker, tenants
):
    ids = await _world(sessionmaker, tenants.a)
    mentor_account = account_of(live, f"mine-mentor-{tenants.a.slug}")
    async with await _client(live, tenants.a, f"mine-k-{tenants.a.slug}", ("coordinator",)) as api:
        linked = await api.put(f"/people/{ids['mentor']}/account", json={"account": mentor_account})
        assert (linked.status_code, linked.json()) == (
            200,
            {"person_id": str(ids["mentor"]), "linked": True},
        )
        taken = await api.put(f"/people/{ids['mentee']}/account", json={"account": mentor_account})
        assert (taken.status_code, taken.json()) == (
            400,
            {"status_code": 400, "detail": IN_USE, "errors": {"account": IN_USE}},
        )
        blank = await api.put(f"/people/{ids['mentee']}/account", json={"account": "  "})
        assert blank.status_code == 400
        assert await _accounts(sessionmaker, tenants.a) == {
            "Mona Mentorsen": mentor_account,
            "Bo Borgersen": None,
        }
        cleared = await api.put(f"/people/{ids['mentor']}/account", json={"account": None})
        assert cleared.json() == {"person_id": str(ids["mentor"]), "linked": False}
        assert await _accounts(sessionmaker, tenants.a) == {
            "Mona Mentorsen": None,
            "Bo Borgersen": None,
        }
        # The same sign-in may be linked to a person in another tenant.
    async with await _client(live, tenants.b, f"mine-k-{tenants.b.slug}", ("coordinator",)) as api:
        other = await _world(sessionmaker, tenants.b)
        assert (
            await api.put(f"/people/{other['mentor']}/account", json={"account": mentor_account})
        ).status_code == 200
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_slug == tenants.a.slug)
                .order_by(AuditEvent.at)
            )
        )
    assert [(r.action, r.object_id, r.detail) for r in rows] == [
        ("person.account", str(ids["mentor"]), {"linked": True}),
        ("person.account", str(ids["mentor"]), {"linked": False}),
    ]
    assert all(mentor_account not in str(r.detail) for r in rows)


async def _link(live, sessionmaker, tenant, ids, who: str, username: str, roles) -> None:
    live.add_user(username, roles, (tenant.slug,))
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            person = await session.get_one(Person, ids[who])
            person.account = account_of(live, username)


async def test_mentor_sees_the_hold_and_supervision_mentee_does_not(live, sessionmaker, tenants):
    ids = await _world(sessionmaker, tenants.a)
    today = app_clock.today()
    mentor, mentee = f"mine-m-{tenants.a.slug}", f"mine-b-{tenants.a.slug}"
    await _link(live, sessionmaker, tenants.a, ids, "mentor", mentor, ("mentor",))
    await _link(live, sessionmaker, tenants.a, ids, "mentee", mentee, ("mentee",))
    async with await _client(live, tenants.a, mentor, ("mentor",)) as api:
        me = (await api.get("/me")).json()
    assert me["linked"] is True
    assert me["person"] == {"id": str(ids["mentor"]), "name": "Mona Mentorsen"}
    assert me["roles"] == ["mentor"]
    [course] = me["courses"]
    assert (course["id"], course["number"], course["state"], course["attended"]) == (
        str(ids["course"]),
        3,
        "running",
        1,
    )
    assert [(s["topic"], s["attended"]) for s in course["sessions"]] == [
        ("Recovery", True),
        ("Samtalen", None),
    ]
    assert sorted(a["kind"] for a in me["activities"]) == [
        "cafe",
        "event",
        "info_meeting",
        "interest_group",
        "supervision",
    ]
    first = (today + dt.timedelta(days=1)).isoformat()
    assert all(
        [o["day"] for o in a["next"]][0] == first and len(a["next"]) == 3 for a in me["activities"]
    )
    async with await _client(live, tenants.a, mentee, ("mentee",)) as api:
        me = (await api.get("/me")).json()
    assert (me["person"]["name"], me["roles"], me["courses"]) == ("Bo Borgersen", ["mentee"], [])
    assert sorted(a["kind"] for a in me["activities"]) == ["cafe", "event", "info_meeting"]

    async with httpx.AsyncClient() as browser:
        await browser_sign_in(browser, live, mentor)
        page = await browser.get(f"{live.url}/t/{tenants.a.slug}/mit/")
    assert page.status_code == 200
    assert "Mit forløb" in page.text
    assert "Hold 3" in page.text
    assert "Aktivitet supervision" in page.text
    assert f'href="/t/{tenants.a.slug}/mit/" class="nav-link" aria-current="page"' in page.text
    async with httpx.AsyncClient() as browser:
        await browser_sign_in(browser, live, mentee)
        page = await browser.get(f"{live.url}/t/{tenants.a.slug}/mit/")
    assert page.status_code == 200
    assert "Bo Borgersen" in page.text
    assert "Aktivitet supervision" not in page.text
    assert "Aktivitet cafe" in page.text


async def test_the_calendar_feed_holds_the_activities_mit_forloeb_shows(
    live, sessionmaker, tenants
):
    """One rule for both: a mentor's feed has supervision and information meetings too."""
    import icalendar

    ids = await _world(sessionmaker, tenants.a)
    for who, roles in (("mentor", ("mentor",)), ("mentee", ("mentee",))):
        user = f"feed-{who}-{tenants.a.slug}"
        await _link(live, sessionmaker, tenants.a, ids, who, user, roles)
        async with await _client(live, tenants.a, user, roles) as api:
            shown = {a["title"] for a in (await api.get("/me")).json()["activities"]}
            url = (await api.post("/me/calendar-link")).json()["url"]
        async with httpx.AsyncClient() as anonymous:
            feed = await anonymous.get(url.replace(live.settings.base_url, live.url))
        events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
        in_feed = {str(e["summary"]) for e in events if str(e["uid"]).startswith("activity-")}
        assert in_feed == shown
        expected = {"cafe", "event", "info_meeting"} | (
            {"interest_group", "supervision"} if who == "mentor" else set()
        )
        assert shown == {f"Aktivitet {kind}" for kind in expected}


async def test_unlinked_sign_in_gets_the_danish_text(live, sessionmaker, tenants):
    await _world(sessionmaker, tenants.a)
    name = f"mine-u-{tenants.a.slug}"
    async with await _client(live, tenants.a, name, ("mentor",)) as api:
        response = await api.get("/me")
    assert (response.status_code, response.json()) == (
        200,
        {
            "linked": False,
            "message": NOT_LINKED,
            "person": None,
            "roles": [],
            "courses": [],
            "activities": [],
            "forloeb": [],
        },
    )
    async with httpx.AsyncClient() as browser:
        await browser_sign_in(browser, live, name)
        page = await browser.get(f"{live.url}/t/{tenants.a.slug}/mit/")
    assert page.status_code == 200
    assert NOT_LINKED in page.text
    assert "Mona Mentorsen" not in page.text


async def test_another_tenants_user_gets_404(live, sessionmaker, tenants):
    ids = await _world(sessionmaker, tenants.a)
    name = f"mine-o-{tenants.b.slug}"
    await _link(live, sessionmaker, tenants.a, ids, "mentor", name, ("mentor",))
    # The sign-in is linked in A, but the user is a member of B only.
    live.add_user(name, ("mentor",), (tenants.b.slug,))
    async with httpx.AsyncClient(
        base_url=live.url,
        headers={"Authorization": f"Bearer {await live.access_token(name)}"},
    ) as api:
        response = await api.get(f"/api/v1/t/{tenants.a.slug}/me")
        assert (response.status_code, response.json()) == (
            404,
            {"status_code": 404, "detail": "Findes ikke."},
        )
        own = await api.get(f"/api/v1/t/{tenants.b.slug}/me")
        assert own.json()["linked"] is False
    async with httpx.AsyncClient() as browser:
        await browser_sign_in(browser, live, name)
        page = await browser.get(f"{live.url}/t/{tenants.a.slug}/mit/")
    assert page.status_code == 404
    assert "Mona Mentorsen" not in page.text


async def test_edit_page_shows_the_link_and_asks_for_no_user_id(live, sessionmaker, tenants):
    """Issue 17: nobody types a raw ``iss#sub`` on a page any more. The edit page says whether
    the person is linked and leads an unlinked one to an invitation (docs/access.md); saving it
    leaves the link alone. (The API's link: ``test_coordinator_links_and_unlinks_...``.)"""
    ids = await _world(sessionmaker, tenants.a)
    coordinator = f"mine-pk-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    taken = account_of(live, "someone-else")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            (await session.get_one(Person, ids["mentee"])).account = taken
    base = f"{live.url}/t/{tenants.a.slug}/deltagere"
    async with httpx.AsyncClient() as browser:
        await browser_sign_in(browser, live, coordinator)
        unlinked = await browser.get(f"{base}/{ids['mentor']}/rediger")
        assert unlinked.status_code == 200
        assert 'name="account"' not in unlinked.text
        assert "Ikke koblet." in unlinked.text
        invite = f'href="/t/{tenants.a.slug}/medlemmer/inviter?person={ids["mentor"]}"'
        assert invite in unlinked.text
        linked = await browser.get(f"{base}/{ids['mentee']}/rediger")
        assert "Koblet til personens eget login." in linked.text
        assert taken not in linked.text
        saved = await browser.post(
            f"{base}/{ids['mentee']}/rediger",
            data={"_csrf_token": csrf_token(linked.text), "name": "Bo Borgersen"},
        )
        assert saved.status_code == 303
    assert await _accounts(sessionmaker, tenants.a) == {
        "Mona Mentorsen": None,
        "Bo Borgersen": taken,
    }
