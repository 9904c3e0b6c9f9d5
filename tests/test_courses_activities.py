"""Mentor courses (hold), activities and calendars (issue 7)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import icalendar
import pytest

from core import clock as app_clock
from core.activities.models import Recurrence
from core.activities.recurrence import ZONE, add_months, monthly_days, occurrence_days
from core.courses.queries import FINISHED, PLANNED, RUNNING, course_state, programme_summary
from core.db.tenant_scope import tenant_scope
from core.participants.consent import current_consent_text
from core.participants.models import Consent, Enrolment, EnrolmentEvent, EnrolmentRole, Person
from core.plugin_api import CourseRecord, PersonContext
from core.tenancy.models import Programme
from core.testing import PluginHarness
from plugins import mentor_course
from tests.live import browser_sign_in, csrf_token

TODAY = dt.date(2026, 11, 23)
W = Recurrence.WEEKLY
M = Recurrence.MONTHLY


# -- recurrence (Europe/Copenhagen) ----------------------------------------------------------
def test_monthly_recurrence_keeps_the_day_and_clamps_at_month_ends():
    days = occurrence_days(dt.date(2027, 1, 31), M, None, dt.date(2027, 1, 1), dt.date(2027, 5, 31))
    assert days == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 31),
    ]
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)  # leap year
    assert monthly_days(dt.date(2026, 12, 15), 3) == [
        dt.date(2026, 12, 15),
        dt.date(2027, 1, 15),
        dt.date(2027, 2, 15),
    ]


def test_weekly_recurrence_keeps_local_time_across_daylight_saving_changes():
    # Wednesdays 17:00 around 28 March 2027 (summer time starts) and 31 October 2027 (ends).
    spring = occurrence_days(
        dt.date(2027, 3, 24), W, None, dt.date(2027, 3, 1), dt.date(2027, 3, 31)
    )
    assert spring == [dt.date(2027, 3, 24), dt.date(2027, 3, 31)]
    autumn = occurrence_days(
        dt.date(2027, 10, 27), W, dt.date(2027, 11, 3), TODAY, dt.date(2028, 1, 1)
    )
    assert autumn == [dt.date(2027, 10, 27), dt.date(2027, 11, 3)]
    at = [dt.datetime.combine(d, dt.time(17, 0), tzinfo=ZONE) for d in spring + autumn]
    assert [a.utcoffset() for a in at] == [
        dt.timedelta(hours=1),
        dt.timedelta(hours=2),
        dt.timedelta(hours=2),
        dt.timedelta(hours=1),
    ]
    assert [a.astimezone(dt.UTC).hour for a in at] == [16, 15, 15, 16]


def test_one_off_activity_has_one_occurrence():
    assert occurrence_days(
        dt.date(2027, 2, 1), Recurrence.NONE, None, dt.date(2027, 1, 1), dt.date(2027, 12, 31)
    ) == [dt.date(2027, 2, 1)]


def test_course_state_and_programme_summary():
    days = [dt.date(2026, 10, 1), dt.date(2026, 12, 1)]
    assert [course_state(days, d) for d in (dt.date(2026, 9, 30), TODAY, dt.date(2026, 12, 2))] == [
        PLANNED,
        RUNNING,
        FINISHED,
    ]

    class V:
        def __init__(self, number, state):
            self.course, self.state = type("C", (), {"number": number})(), state

    views = [V(n, FINISHED) for n in range(1, 10)] + [V(10, RUNNING), V(11, RUNNING)]
    assert programme_summary(views) == "9 hold afsluttet, hold 10 og 11 i gang"


# -- the completion rule at its boundary (plugin) --------------------------------------------
def _person(*records: CourseRecord) -> PersonContext:
    return PersonContext(id=uuid.uuid4(), courses=records)


def test_completion_rule_boundary_and_only_for_that_programme():
    harness = PluginHarness(mentor_course, config={"min_sessions_attended": 5})
    programme = harness.programme
    own = CourseRecord(programme=programme.slug, number=10, sessions=6, attended=5)
    short = CourseRecord(programme=programme.slug, number=10, sessions=6, attended=4)
    other = CourseRecord(programme="another-programme", number=3, sessions=6, attended=6)
    verdict = mentor_course.eligibility_verdicts(programme, _person(own), "mentor", TODAY)
    assert (verdict.outcome, verdict.explanation) == (
        "pass",
        "Gennemførte mentorkurset på hold 10 (5 af 6 undervisningsgange).",
    )
    verdict = mentor_course.eligibility_verdicts(programme, _person(short), "mentor", TODAY)
    assert (verdict.outcome, verdict.explanation) == (
        "fail",
        "Mentoren har deltaget i 4 af mindst 5 undervisningsgange på hold 10.",
    )
    verdict = mentor_course.eligibility_verdicts(programme, _person(other), "mentor", TODAY)
    assert (verdict.outcome, verdict.explanation) == (
        "fail",
        "Mentoren har endnu ikke gennemført mentorkurset.",
    )


def test_completion_minimum_is_validated_in_tenant_files(tmp_path):
    from core.tenancy.config import TenantFileError, load_tenant_file

    path = tmp_path / "kolding.toml"
    text = (
        'slug = "kolding"\nname = "Kolding Kommune"\nkind = "municipality"\n'
        'municipality_code = "621"\n\n[plugins.mentor_course]\nmin_sessions_attended = 0\n'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TenantFileError) as error:
        load_tenant_file(path)
    assert str(error.value) == (
        f"{path}:7: plugins.mentor_course.min_sessions_attended: Expected `int` >= 1"
    )


# -- through the API, on both databases ------------------------------------------------------
async def _world(sessionmaker, tenant, min_sessions: int = 5, without_consent: tuple = ()):
    """Programmes btb and andet; mentors 0-2 eligible in btb, mentor 0 also in andet, person 4
    an eligible citizen in btb. Every enrolment has a consent unless its person's index is in
    ``without_consent`` (the status service requires one to move to ``ready``)."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programmes = [
                Programme(
                    slug=slug,
                    name=name,
                    type="peer_mentor",
                    areas=["psykiatri"],
                    policy={
                        "duration_months": {"min": 6, "max": 9},
                        "meeting_frequencies": ["weekly"],
                    },
                    plugins={"mentor_course": {"min_sessions_attended": min_sessions}},
                )
                for slug, name in (("btb", "Borger til Borger"), ("andet", "Andet program"))
            ]
            people = [Person(name=f"Mentor {i} Demosen") for i in range(4)] + [
                Person(name="Borger Eksempelsen")
            ]
            session.add_all([*programmes, *people])
            await session.flush()
            enrol = [
                Enrolment(
                    person_id=people[i].id,
                    programme_id=programmes[0].id,
                    role=EnrolmentRole.MENTOR,
                    status="eligible",
                )
                for i in range(3)
            ]
            enrol.append(
                Enrolment(
                    person_id=people[0].id,
                    programme_id=programmes[1].id,
                    role=EnrolmentRole.MENTOR,
                    status="eligible",
                )
            )
            enrol.append(
                Enrolment(
                    person_id=people[4].id,
                    programme_id=programmes[0].id,
                    role=EnrolmentRole.MENTEE,
                    status="eligible",
                )
            )
            session.add_all(enrol)
            await session.flush()
            index = {p.id: i for i, p in enumerate(people)}
            for e in enrol:
                if index[e.person_id] in without_consent:
                    continue
                programme = next(p for p in programmes if p.id == e.programme_id)
                text = await current_consent_text(session, tenant, programme, "test")
                session.add(Consent(enrolment_id=e.id, consent_text_id=text.id, recorded_by="t"))
    return [p.id for p in people]


def _sessions(first: dt.date, n: int) -> list[dict]:
    return [
        {"day": d.isoformat(), "starts": "10:00:00", "ends": "15:00:00", "topic": f"Emne {i + 1}"}
        for i, d in enumerate(monthly_days(first, n))
    ]


async def _api(live, tenant, roles=("coordinator",)) -> httpx.AsyncClient:
    name = f"c7-{roles[0]}-{tenant.slug}"
    live.add_user(name, roles, (tenant.slug,))
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(name)}"},
    )


async def _statuses(sessionmaker, tenant, person_id) -> dict[str, str]:
    from sqlalchemy import select

    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            rows = await session.execute(
                select(Programme.slug, Enrolment.status)
                .join(Programme, Programme.id == Enrolment.programme_id)
                .where(Enrolment.person_id == person_id)
            )
            return dict(rows.all())


async def test_course_completion_makes_the_mentor_ready_only_in_that_programme(
    live, sessionmaker, tenants
):
    ids = await _world(sessionmaker, tenants.a, min_sessions=5)
    async with await _api(live, tenants.a) as api:
        created = await api.post(
            "/courses/",
            json={"programme": "btb", "capacity": 2, "sessions": _sessions(dt.date(2026, 6, 3), 6)},
        )
        assert created.status_code == 201, created.text
        course = created.json()
        assert (course["number"], course["state"], len(course["sessions"])) == (1, "finished", 6)
        cid = course["id"]
        for person in ids[:2]:
            added = await api.post(f"/courses/{cid}/participants", json={"person_id": str(person)})
            assert added.status_code == 201
        again = await api.post(f"/courses/{cid}/participants", json={"person_id": str(ids[0])})
        assert again.status_code == 200
        full = await api.post(f"/courses/{cid}/participants", json={"person_id": str(ids[2])})
        full_text = "Holdet er fuldt (2 pladser)."
        assert full.json() == {
            "status_code": 400,
            "detail": full_text,
            "errors": {"person_id": full_text},
        }
        mentee = await api.post(f"/courses/{cid}/participants", json={"person_id": str(ids[4])})
        assert (mentee.status_code, mentee.json()["detail"]) == (
            400,
            "Kun mentorer, der er tilmeldt programmet, kan tage dets kursus.",
        )
        sessions = [s["id"] for s in course["sessions"]]
        # Mentor 0 at sessions 1-5 (exactly the minimum), mentor 1 at 1-4 (one less).
        for i, sid in enumerate(sessions):
            present = [str(ids[0])] * (i < 5) + [str(ids[1])] * (i < 4)
            response = await api.put(
                f"/courses/{cid}/sessions/{sid}/attendance", json={"present": present}
            )
            assert response.status_code == 200
            assert response.json()["became_ready"] == ([str(ids[0])] if i == 4 else [])
        detail = (await api.get(f"/courses/{cid}")).json()
        assert [
            (p["attended"], p["completed"], p["enrolment_status"], p["missing_sessions"])
            for p in sorted(detail["participants"], key=lambda p: p["attended"], reverse=True)
        ] == [(5, True, "ready", [6]), (4, False, "eligible", [5, 6])]
        assert detail["min_sessions_attended"] == 5
        stranger = await api.put(
            f"/courses/{cid}/sessions/{sessions[0]}/attendance", json={"present": [str(ids[2])]}
        )
        assert list(stranger.json()["errors"]) == ["present"]
    assert await _statuses(sessionmaker, tenants.a, ids[0]) == {"btb": "ready", "andet": "eligible"}
    assert await _statuses(sessionmaker, tenants.a, ids[1]) == {"btb": "eligible"}
    # The change went through the participants' status service: one history event, by the
    # coordinator who registered the attendance.
    assert await _history(sessionmaker, tenants.a, ids[0]) == [
        (
            "btb",
            "eligible",
            "ready",
            f"dev-c7-coordinator-{tenants.a.slug}",
            "mentorkursus gennemført (hold 1)",
        )
    ]
    assert await _history(sessionmaker, tenants.a, ids[1]) == []


async def _history(sessionmaker, tenant, person_id) -> list[tuple]:
    from sqlalchemy import select

    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            rows = await session.execute(
                select(
                    Programme.slug,
                    EnrolmentEvent.from_status,
                    EnrolmentEvent.to_status,
                    EnrolmentEvent.actor,
                    EnrolmentEvent.reason,
                )
                .join(Enrolment, Enrolment.id == EnrolmentEvent.enrolment_id)
                .join(Programme, Programme.id == Enrolment.programme_id)
                .where(Enrolment.person_id == person_id)
                .order_by(EnrolmentEvent.at)
            )
            return [tuple(r) for r in rows.all()]


async def test_completion_without_consent_leaves_the_mentor_eligible(sessionmaker, tenants):

    from core.audit.service import notes_written_to
    from core.context import context_for
    from core.courses import commands
    from core.courses.schemas import CourseIn, PersonIdIn, PresentIn, SessionIn
    from core.plugin_api import create_plugin_manager

    ids = await _world(sessionmaker, tenants.a, min_sessions=1, without_consent=(1,))
    pm = create_plugin_manager()
    with tenant_scope(tenants.a.id):
        # Commands do not commit; the caller's transaction does (the pipeline's in a request).
        async with (
            sessionmaker() as session,
            session.begin(),
            notes_written_to(session, actor="koord", tenant_slug=tenants.a.slug),
        ):
            ctx = context_for(
                session, tenants.a, pm, "koord", app_clock.Clock(app_clock.at_noon(TODAY))
            )
            view = await commands.create_course(
                ctx,
                CourseIn(
                    "btb",
                    10,
                    [SessionIn(dt.date(2026, 6, 3), dt.time(10), dt.time(15), "Recovery")],
                ),
            )
            for person in ids[:2]:
                await commands.add_participant(ctx, view.course.id, PersonIdIn(person))
            ready = await commands.set_attendance(
                ctx, view.course.id, view.sessions[0].id, PresentIn(ids[:2])
            )
    assert ready == [ids[0]]
    assert await _statuses(sessionmaker, tenants.a, ids[0]) == {"btb": "ready", "andet": "eligible"}
    assert await _statuses(sessionmaker, tenants.a, ids[1]) == {"btb": "eligible"}
    assert await _history(sessionmaker, tenants.a, ids[0]) == [
        ("btb", "eligible", "ready", "koord", "mentorkursus gennemført (hold 1)")
    ]
    assert await _history(sessionmaker, tenants.a, ids[1]) == []


async def course_sessions(session, course):
    from sqlalchemy import select

    from core.courses.models import CourseSession

    return list(
        await session.scalars(
            select(CourseSession)
            .where(CourseSession.course_id == course.id)
            .order_by(CourseSession.position)
        )
    )


async def test_bad_course_input_is_400_in_danish_and_stores_nothing(live, sessionmaker, tenants):
    await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a) as api:
        cases = [
            (
                {"programme": "nope", "capacity": 10, "sessions": _sessions(TODAY, 1)},
                "programme",
                "Tilbuddet findes ikke i denne organisation.",
            ),
            (
                {"programme": "btb", "capacity": 0, "sessions": _sessions(TODAY, 1)},
                "capacity",
                "Antallet af pladser skal være mellem 1 og 100.",
            ),
            (
                {"programme": "btb", "capacity": 10, "sessions": []},
                "sessions",
                "Et hold har mellem 1 og 24 undervisningsgange.",
            ),
        ]
        for body, field, message in cases:
            response = await api.post("/courses/", json=body)
            assert response.json() == {
                "status_code": 400,
                "detail": message,
                "errors": {field: message},
            }
        assert (await api.get("/courses/")).json() == []


async def test_activities_membership_recurrence_cancel_and_attendance(
    live, sessionmaker, tenants, clock
):
    clock.set(dt.date(2027, 3, 1))  # attendance is registered from the day on
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a) as api:
        supervision = await api.post(
            "/activities/",
            json={
                "kind": "supervision",
                "title": "Gruppesparring",
                "first_on": "2027-01-31",
                "starts": "17:00:00",
                "ends": "19:00:00",
                "recurrence": "monthly",
                "programme": "btb",
            },
        )
        assert supervision.status_code == 201
        sid = supervision.json()["id"]
        assert (
            await api.post(f"/activities/{sid}/members", json={"person_id": str(ids[0])})
        ).status_code == 201
        citizen = await api.post(f"/activities/{sid}/members", json={"person_id": str(ids[4])})
        only_mentors = "Gruppesparring er kun for mentorer."
        assert citizen.json() == {
            "status_code": 400,
            "detail": only_mentors,
            "errors": {"person_id": only_mentors},
        }
        detail = (
            await api.get(f"/activities/{sid}", params={"start": "2027-01-01", "days": 120})
        ).json()
        assert [o["day"] for o in detail["occurrences"]] == [
            "2027-01-31",
            "2027-02-28",
            "2027-03-31",
            "2027-04-30",
        ]
        assert [o["starts_at"] for o in detail["occurrences"][2:]] == [
            "2027-03-31T17:00:00+02:00",
            "2027-04-30T17:00:00+02:00",
        ]
        assert (
            await api.post(f"/activities/{sid}/occurrences/2027-02-28/cancel")
        ).status_code == 200
        assert (
            await api.post(f"/activities/{sid}/occurrences/2027-02-27/cancel")
        ).status_code == 404
        detail = (
            await api.get(f"/activities/{sid}", params={"start": "2027-01-01", "days": 60})
        ).json()
        assert [o["cancelled"] for o in detail["occurrences"]] == [False, True]
        ok = await api.put(
            f"/activities/{sid}/occurrences/2027-01-31/attendance", json={"present": [str(ids[0])]}
        )
        assert ok.status_code == 200
        cancelled = await api.put(
            f"/activities/{sid}/occurrences/2027-02-28/attendance", json={"present": []}
        )
        assert cancelled.json()["detail"] == "Denne gang er aflyst."
        not_mentor = await api.put(
            f"/activities/{sid}/occurrences/2027-01-31/attendance", json={"present": [str(ids[4])]}
        )
        assert not_mentor.json()["detail"] == "Gruppesparring er kun for mentorer."
        info = await api.post(
            "/activities/",
            json={
                "kind": "info_meeting",
                "title": "Informationsmøde",
                "first_on": "2027-02-02",
                "starts": "17:00:00",
                "ends": "18:30:00",
                "place": "Rådhuset",
                "room": "Lokale 2",
            },
        )
        no_signup = await api.post(
            f"/activities/{info.json()['id']}/members", json={"person_id": str(ids[1])}
        )
        assert no_signup.json()["detail"] == "Informationsmøder kræver ingen tilmelding."
        bad = await api.post(
            "/activities/",
            json={
                "kind": "cafe",
                "title": "Café",
                "first_on": "2027-02-02",
                "starts": "17:00:00",
                "ends": "16:00:00",
                "published": False,
            },
        )
        ends_text = "Aktiviteten skal slutte, efter den begynder."
        assert bad.json() == {
            "status_code": 400,
            "detail": ends_text,
            "errors": {"ends": ends_text},
        }
        assert len((await api.get("/activities/")).json()) == 2


def _events(body: bytes) -> list[tuple[str, dt.datetime]]:
    cal = icalendar.Calendar.from_ical(body)
    return sorted((str(e["summary"]), e.decoded("dtstart")) for e in cal.walk("VEVENT"))


async def test_person_calendar_feed_parses_holds_the_events_and_revoked_link_is_404(
    live, sessionmaker, tenants
):
    ids = await _world(sessionmaker, tenants.a)
    today = app_clock.today()
    first = today + dt.timedelta(days=7)
    async with await _api(live, tenants.a) as api:
        course = (
            await api.post(
                "/courses/",
                json={"programme": "btb", "capacity": 10, "sessions": _sessions(first, 2)},
            )
        ).json()
        await api.post(f"/courses/{course['id']}/participants", json={"person_id": str(ids[0])})
        group = (
            await api.post(
                "/activities/",
                json={
                    "kind": "interest_group",
                    "title": "Kreativt værksted",
                    "first_on": first.isoformat(),
                    "starts": "13:00:00",
                    "ends": "15:00:00",
                    "recurrence": "weekly",
                    "until": (first + dt.timedelta(days=14)).isoformat(),
                },
            )
        ).json()
        await api.post(f"/activities/{group['id']}/members", json={"person_id": str(ids[0])})
        link = await api.post(f"/people/{ids[0]}/calendar-link")
        assert link.status_code == 201
        url = link.json()["url"]
        assert url.startswith(f"{live.url}/kalender/") and url.endswith(".ics")
        other = await _api(live, tenants.b)
        async with other:
            assert (await other.post(f"/people/{ids[0]}/calendar-link")).status_code == 404
    async with httpx.AsyncClient() as anonymous:
        feed = await anonymous.get(url)
        assert (feed.status_code, feed.headers["content-type"]) == (
            200,
            "text/calendar; charset=utf-8",
        )
        events = _events(feed.content)
        second = monthly_days(first, 2)[1]
        expected = [
            (
                "Kreativt værksted",
                dt.datetime.combine(first + dt.timedelta(days=d), dt.time(13), tzinfo=ZONE),
            )
            for d in (0, 7, 14)
        ] + [
            ("Mentorkursus, hold 1: Emne 1", dt.datetime.combine(first, dt.time(10), tzinfo=ZONE)),
            ("Mentorkursus, hold 1: Emne 2", dt.datetime.combine(second, dt.time(10), tzinfo=ZONE)),
        ]
        assert events == sorted(expected)
        assert "Mentor 0" not in feed.text  # no names in the feed
        assert (await anonymous.get(url.replace(".ics", "x.ics"))).status_code == 404
    async with await _api(live, tenants.a) as api:
        assert (await api.delete(f"/people/{ids[0]}/calendar-link")).status_code == 204
        assert (await api.delete(f"/people/{ids[0]}/calendar-link")).status_code == 204
        assert (await api.delete(f"/people/{uuid.uuid4()}/calendar-link")).status_code == 404
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(url)).status_code == 404


async def test_published_info_meetings_page_and_feed(live, sessionmaker, tenants):
    await _world(sessionmaker, tenants.a)
    day = app_clock.today() + dt.timedelta(days=10)
    async with await _api(live, tenants.a) as api:
        for title, published in (
            ("Informationsmøde om at blive mentor", True),
            ("Internt møde", False),
        ):
            r = await api.post(
                "/activities/",
                json={
                    "kind": "info_meeting",
                    "title": title,
                    "first_on": day.isoformat(),
                    "starts": "17:00:00",
                    "ends": "18:30:00",
                    "place": "Vejle Rådhus",
                    "room": "Mødelokale 3",
                    "published": published,
                },
            )
            assert r.status_code == 201
        wrong = await api.post(
            "/activities/",
            json={
                "kind": "cafe",
                "title": "Café",
                "first_on": day.isoformat(),
                "starts": "17:00:00",
                "ends": "18:00:00",
                "published": True,
            },
        )
        assert list(wrong.json()["errors"]) == ["published"]
    async with httpx.AsyncClient(base_url=live.url) as anonymous:
        page = await anonymous.get(f"/offentlig/{tenants.a.slug}/informationsmoeder")
        assert page.status_code == 200
        assert "Informationsmøde om at blive mentor" in page.text and "Mødelokale 3" in page.text
        assert "Internt møde" not in page.text
        feed = await anonymous.get(f"/offentlig/{tenants.a.slug}/informationsmoeder.ics")
        assert _events(feed.content) == [
            (
                "Informationsmøde om at blive mentor",
                dt.datetime.combine(day, dt.time(17), tzinfo=ZONE),
            )
        ]
        cal = icalendar.Calendar.from_ical(feed.content)
        assert [str(e["location"]) for e in cal.walk("VEVENT")] == ["Vejle Rådhus, Mødelokale 3"]
        assert (await anonymous.get("/offentlig/findes-ikke/informationsmoeder")).status_code == 404
        assert (
            await anonymous.get(f"/offentlig/{tenants.partner.slug}/informationsmoeder.ics")
        ).status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_pages_create_a_hold_and_register_attendance(live, sessionmaker, tenants):
    ids = await _world(sessionmaker, tenants.a, min_sessions=1)
    name = f"page7-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, name)
        page = await http.get(f"/t/{tenants.a.slug}/hold/")
        assert page.status_code == 200
        form = {
            "_csrf_token": csrf_token(page.text),
            "programme": "btb",
            "start": "2027-01-31",
            "count": "6",
            "starts": "10:00",
            "ends": "15:00",
            "capacity": "12",
            "place": "",
            "topics": "Recovery\nAt sige nej",
        }
        bad = await http.post(f"/t/{tenants.a.slug}/hold/", data={**form, "count": "0"})
        assert (
            bad.status_code == 400
            and "Angiv et antal undervisningsgange mellem 1 og 24." in bad.text
        )
        created = await http.post(f"/t/{tenants.a.slug}/hold/", data=form)
        assert created.status_code == 303
        detail = await http.get(created.headers["location"])
        assert (
            "Recovery" in detail.text
            and "28.02.2027" in detail.text
            and "Undervisningsgang 6" in detail.text
        )
        token = csrf_token(detail.text)
        added = await http.post(
            f"{created.headers['location']}/deltagere",
            data={"_csrf_token": token, "person_id": str(ids[0])},
        )
        assert added.status_code == 303
