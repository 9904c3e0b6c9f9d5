"""GDPR (issue 15, part A): a person's access log and the export of everything held (Art. 15).

* Every table that holds something about a person gets a row, every tagged column of it a
  canary value; the export (JSON) must carry each one, and a table of
  :func:`core.gdpr.tags.person_tables` without a row here fails the test (a new table needs a
  row in :func:`_fill_everything`).
* Reads of the person write audit rows that name the person or the person's objects; the log
  says who (name and role), when and what; the person reads their own on "Mit forløb".
* A partner's staff with a ``coordinate`` grant gets 403; another tenant's coordinator 404.

SQLite and PostgreSQL (the ``live`` and ``sessionmaker`` fixtures run on both).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    Time,
    select,
    text,
)
from sqlalchemy.types import TypeDecorator

from core.access.models import Invitation, Member
from core.activities.models import (
    Activity,
    ActivityAttendance,
    ActivityKind,
    ActivityMember,
    Recurrence,
)
from core.applications.models import Application
from core.audit.models import AuditEvent
from core.calendar.models import CalendarLink
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, ForloebEvent, ForloebPause, Meeting, PlannedMeeting
from core.gdpr.models import LegalHold
from core.gdpr.tags import person_tables
from core.notifications.models import ContactPreference, Notification
from core.outcomes.models import QuestionnaireResponse
from core.participants.models import (
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    Intake,
    Person,
)
from core.tenancy.models import PartnershipScope, Programme, ProgrammePartnership
from tests.live import browser_sign_in
from tests.test_mine import account_of

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 2)


def _canary(column: Any, table: str) -> Any:
    """A value of the column's type that says where it came from."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        inner = kind.impl if not isinstance(kind.impl, type) else kind.impl()
        if isinstance(inner, JSON) or "json" in type(kind).__name__.lower():
            return _json_canary(column, table)
        kind = inner
    if isinstance(kind, JSON):
        return _json_canary(column, table)
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 42
    if isinstance(kind, Float):
        return 17.5
    if isinstance(kind, DateTime):
        return NOW
    if isinstance(kind, Date):
        return TODAY
    if isinstance(kind, Time):
        return dt.time(21, 15)
    if isinstance(kind, String | Text):
        text = f"kanariefugl {table}.{column.name}"
        length = getattr(kind, "length", None)
        return text[:length] if length else text
    raise AssertionError(f"no canary for {table}.{column.name} of type {kind!r}")


def _json_canary(column: Any, table: str) -> Any:
    python = column.type.python_type if hasattr(column.type, "python_type") else dict
    try:
        python = column.type.python_type
    except NotImplementedError:
        python = dict
    value = f"kanariefugl {table}.{column.name}"
    return [value] if python is list else {"kanariefugl": value}


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _tag_everything(row: Any) -> None:
    table = row.__table__
    for column in table.columns:
        if column.info.get("personal_data"):
            setattr(row, column.name, _canary(column, table.name))


async def _fill_everything(
    sessionmaker, tenant, canaries: bool = True
) -> tuple[uuid.UUID, dict[str, Any]]:
    """The person with a row in every table about her; ``canaries``: every tagged column set
    (pages that read a structured column, the forløb's reasons, need it left as made)."""
    rows: dict[str, Any] = {}
    secret = uuid.uuid4().hex * 2
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="btb", name="Borger til Borger", type="peer_mentor", areas=[], policy={}
            )
            person, mentor = Person(name="Kanarie Fuglsang"), Person(name="Mentor Mentorsen")
            session.add_all([programme, person, mentor])
            await session.flush()
            consent_text = ConsentText(
                programme_id=programme.id, version=1, body="T", created_by="k"
            )
            enrolment = Enrolment(
                person_id=person.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTEE,
                status="active",
            )
            mentoring = Enrolment(
                person_id=mentor.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTOR,
                status="active",
            )
            course = Course(programme_id=programme.id, number=1, start_date=TODAY, capacity=5)
            activity = Activity(
                kind=ActivityKind.CAFE,
                title="Café",
                first_on=TODAY,
                starts=dt.time(17),
                ends=dt.time(19),
                recurrence=Recurrence.WEEKLY,
            )
            session.add_all([consent_text, enrolment, mentoring, course, activity])
            await session.flush()
            course_session = CourseSession(
                course_id=course.id,
                position=1,
                day=TODAY,
                starts=dt.time(10),
                ends=dt.time(12),
                topic="T",
            )
            forloeb = Forloeb(
                programme_id=programme.id,
                mentee_enrolment_id=enrolment.id,
                mentor_enrolment_id=mentoring.id,
                state="active",
                strategy="manual",
                proposed_on=TODAY,
                proposed_by="k",
                frequency="weekly",
                planned_months=6,
            )
            invitation = Invitation(
                email="x@example.dk",
                role="mentee",
                person_id=person.id,
                created_by="k",
                expires_at=NOW,
            )
            session.add_all([course_session, forloeb, invitation])
            await session.flush()
            rows = {
                "person": person,
                "calendar_link": CalendarLink(
                    token_hash=secret,
                    owner_tenant_id=tenant.id,
                    person_id=person.id,
                    created_by="k",
                ),
                "contact_preference": ContactPreference(person_id=person.id),
                "enrolment": enrolment,
                "invitation": invitation,
                "notification": Notification(
                    idempotency_key=f"k-{uuid.uuid4()}",
                    kind="activity",
                    channel="page",
                    person_id=person.id,
                    due_at=NOW,
                    title="t",
                    body="b",
                    link="/",
                ),
                "activity_attendance": ActivityAttendance(
                    activity_id=activity.id, day=TODAY, person_id=person.id
                ),
                "activity_member": ActivityMember(activity_id=activity.id, person_id=person.id),
                "application": Application(
                    person_id=person.id,
                    enrolment_id=enrolment.id,
                    contact_consent_text="Samtykke",
                    fingerprint=uuid.uuid4().hex * 2,
                ),
                "consent": Consent(
                    enrolment_id=enrolment.id, consent_text_id=consent_text.id, recorded_by="k"
                ),
                "course_participant": CourseParticipant(course_id=course.id, person_id=person.id),
                "enrolment_event": EnrolmentEvent(
                    enrolment_id=enrolment.id, to_status="active", actor="k"
                ),
                "forloeb": forloeb,
                # Ended: an erasure test erases this person (the hold is only a row here).
                "legal_hold": LegalHold(
                    person_id=person.id, reason="En klagesag", ends_on=TODAY, set_by="k"
                ),
                "intake": Intake(enrolment_id=enrolment.id),
                "tenant_member": Member(user_id="iss#kanarie", invitation_id=invitation.id),
                "course_attendance": CourseAttendance(
                    session_id=course_session.id, person_id=person.id
                ),
                "forloeb_event": ForloebEvent(forloeb_id=forloeb.id, to_state="active", actor="k"),
                "forloeb_pause": ForloebPause(forloeb_id=forloeb.id, starts_on=TODAY),
                "meeting": Meeting(
                    forloeb_id=forloeb.id,
                    day=TODAY,
                    activity="cafe",
                    duration_minutes=60,
                    logged_as="mentor",
                    logged_by="k",
                ),
                "planned_meeting": PlannedMeeting(
                    forloeb_id=forloeb.id,
                    starts_at=NOW,
                    place="p",
                    planned_as="mentor",
                    planned_by="k",
                ),
                "questionnaire_response": QuestionnaireResponse(
                    forloeb_id=forloeb.id,
                    person_id=person.id,
                    role="mentee",
                    instrument="makker4",
                    instrument_version="1",
                    occasion="start",
                    occasion_kind="baseline",
                    occasion_date=TODAY,
                    entered_by="k",
                ),
            }
            for row in rows.values() if canaries else ():
                _tag_everything(row)
            session.add_all(rows.values())
            await session.flush()
            ids = {name: str(row.id) for name, row in rows.items()}
            person_id = person.id
    return person_id, ids


async def _api(live, tenant, username: str, roles: tuple[str, ...]) -> httpx.AsyncClient:
    live.add_user(username, roles, (tenant.slug,))
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(username)}"},
    )


async def test_the_export_carries_every_tagged_column_of_every_table_about_the_person(
    live, sessionmaker, tenants
):
    person_id, ids = await _fill_everything(sessionmaker, tenants.a)
    # Every table the walk finds has a row here: a new table about a person fails until it
    # gets one (and with it, its tagged columns are checked below).
    assert sorted(ids) == sorted(t.name for t in person_tables())
    async with await _api(live, tenants.a, f"gdpr-k-{tenants.a.slug}", ("coordinator",)) as api:
        response = await api.get(f"/people/{person_id}/export")
    assert response.status_code == 200, response.text
    export = response.json()
    assert (export["person_id"], export["tenant"]) == (str(person_id), tenants.a.slug)
    tables = {t["table"]: t for t in export["tables"]}
    missing = []
    for spec in person_tables():
        exported = tables[spec.name]
        rows = {r["id"]: r for r in exported["rows"]}
        row = rows.get(ids[spec.name])
        assert row is not None, f"{spec.name}: the person's row is not exported"
        for column in spec.table.columns:
            if not column.info.get("personal_data"):
                continue
            expected = _json(_canary(column, spec.name))
            if column.name not in row or row[column.name] != expected:
                missing.append(f"{spec.name}.{column.name}")
        assert sorted(exported["personal_columns"]) == sorted(
            c.name for c in spec.table.columns if c.info.get("personal_data")
        )
        assert "tenant_id" not in row
    assert missing == []
    # Encrypted free text (core/db/encryption.py) is exported in clear: stored as ciphertext.
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            stored = await session.scalar(
                text("SELECT challenges FROM intake WHERE id = :id"),
                {
                    "id": uuid.UUID(ids["intake"]).hex
                    if "sqlite" in str(session.bind.url)
                    else ids["intake"]
                },
            )
    assert str(stored).startswith("enc1:")
    assert tables["intake"]["rows"][0]["challenges"] == "kanariefugl intake.challenges"
    # The other person of the forløb is not exported as a person; the secret hash never.
    assert [r["name"] for r in tables["person"]["rows"]] == [
        "kanariefugl person.name",
    ]
    async with sessionmaker() as session:
        secret = await session.scalar(
            select(CalendarLink.token_hash).where(CalendarLink.person_id == person_id)
        )
    assert secret and secret not in response.text
    # The export is audited, naming the person.
    async with sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.tenant_slug == tenants.a.slug,
                    AuditEvent.object_id == str(person_id),
                )
            )
        )
    assert actions == ["gdpr.export"]


async def test_the_export_page_prints_everything_in_danish(live, sessionmaker, tenants):
    person_id, _ids = await _fill_everything(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            # The staff member who recorded the consent etc. ("k" in every *_by column).
            session.add(Member(user_id="https://issuer#k", name="Karin Koordinator"))
    username = f"gdpr-side-{tenants.a.slug}"
    live.add_user(username, ("coordinator",), (tenants.a.slug,))
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, username)
        page = await browser.get(f"/t/{tenants.a.slug}/deltagere/{person_id}/indsigt")
        person_page = await browser.get(f"/t/{tenants.a.slug}/deltagere/{person_id}")
    assert page.status_code == 200
    assert "Alle oplysninger om kanariefugl person.name" in page.text
    for heading in (
        "Tilmeldinger",
        "Før-samtaler",
        "Samtykkehistorik",
        "Møder",
        "Hvem har set oplysningerne",
    ):
        assert f">{heading}</h2>" in page.text, heading
    assert "kanariefugl intake.challenges" in page.text
    # Columns by a Danish word, personal data marked with a star; a column without a word by
    # its name in the data model.
    assert '<th scope="row">Udfordringer *</th>' in page.text
    assert '<th scope="row">Status</th>' in page.text
    assert '<th scope="row"><code>programme_id</code></th>' in page.text
    # Who recorded something: the member's name, not the sign-in's id.
    assert '<th scope="row">Registreret af</th>' in page.text
    assert "<td>Karin Koordinator</td>" in page.text
    assert "<td>k</td>" not in page.text
    assert "kanariefugl meeting.note" in page.text
    # Structured values as text a person reads: "key: value", lists comma-separated - no JSON.
    assert "<td>kanariefugl: kanariefugl person.attributes</td>" in page.text
    assert "&#34;" not in page.text and "<code>{" not in page.text and "<code>[" not in page.text
    assert 'href="/static/gdpr.css"' in page.text
    assert f'href="/t/{tenants.a.slug}/deltagere/{person_id}/adgangslog"' in person_page.text
    assert f'href="/t/{tenants.a.slug}/deltagere/{person_id}/indsigt"' in person_page.text


async def test_the_access_log_says_who_in_which_role_did_what_and_when(live, sessionmaker, tenants):
    person_id, ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    slug = tenants.a.slug
    coordinator = f"gdpr-log-k-{slug}"
    admin = f"gdpr-log-a-{slug}"
    async with await _api(live, tenants.a, coordinator, ("coordinator",)) as api:
        assert (await api.get(f"/people/{person_id}")).status_code == 200
        assert (await api.get(f"/enrolments/{ids['enrolment']}")).status_code == 200
        assert (await api.get(f"/forloeb/{ids['forloeb']}")).status_code == 200
    async with await _api(live, tenants.a, admin, ("tenant_admin",)) as api:
        first = await api.get(f"/people/{person_id}/access-log")
        page = await api.get(f"/people/{person_id}/access-log", params={"limit": 1, "offset": 1})
        bad = await api.get(f"/people/{person_id}/access-log", params={"limit": 0})
        missing = await api.get(f"/people/{uuid.uuid4()}/access-log")
    assert first.status_code == 200, first.text
    log = first.json()
    assert (log["person_id"], log["total"]) == (str(person_id), 3)
    assert [
        (e["who"], e["role"], e["role_label"], e["action"], e["what"]) for e in log["entries"]
    ] == [
        ("Test " + coordinator, "coordinator", "Koordinator", "forloeb.read", "Åbnede forløbet"),
        (
            "Test " + coordinator,
            "coordinator",
            "Koordinator",
            "enrolment.read",
            "Åbnede en tilmelding (før-samtale og samtykke)",
        ),
        (
            "Test " + coordinator,
            "coordinator",
            "Koordinator",
            "person.read",
            "Åbnede personens side",
        ),
    ]
    # An enrolment's rows name the person (core/participants/lookup.py), a forløb's the forløb.
    assert [e["object_type"] for e in log["entries"]] == ["forloeb", "person", "person"]
    assert all(e["at"].startswith(str(dt.date.today().year)) or e["at"] for e in log["entries"])
    # Paged: the second row alone; the admin's own first read is on the log now.
    assert page.json()["total"] == 4
    assert [e["action"] for e in page.json()["entries"]] == ["forloeb.read"]
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"limit": "Vælg fra 1 til 500 rækker."}
    assert missing.status_code == 404
    # The page for coordinators and tenant admins, in Danish.
    live.add_user(f"gdpr-log-side-{slug}", ("coordinator",), (slug,))
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, f"gdpr-log-side-{slug}")
        html = (await browser.get(f"/t/{slug}/deltagere/{person_id}/adgangslog")).text
    assert "<h1>Hvem har set oplysningerne</h1>" in html
    assert f"Test {coordinator}" in html and "Åbnede forløbet" in html


async def test_the_person_reads_her_own_log_on_my_forloeb(live, sessionmaker, tenants):
    person_id, _ids = await _fill_everything(sessionmaker, tenants.a)
    slug = tenants.a.slug
    citizen = f"gdpr-egen-{slug}"
    live.add_user(citizen, ("mentee",), (slug,))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            person = await session.get_one(Person, person_id)
            person.account = account_of(live, citizen)
    async with await _api(live, tenants.a, f"gdpr-egen-k-{slug}", ("coordinator",)) as api:
        assert (await api.get(f"/people/{person_id}")).status_code == 200
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, citizen)
        mine = await browser.get(f"/t/{slug}/mit/")
        own = await browser.get(f"/t/{slug}/mit/adgangslog/")
    assert mine.status_code == 200
    assert f'href="/t/{slug}/mit/adgangslog/"' in mine.text
    assert own.status_code == 200
    assert "<h1>Hvem har set dine oplysninger</h1>" in own.text
    assert f"Test gdpr-egen-k-{slug}" in own.text and "Åbnede personens side" in own.text
    async with await _api(live, tenants.a, citizen, ("mentee",)) as api:
        data = (await api.get("/me/access-log")).json()
    assert data["person_id"] == str(person_id)
    # Her own reading of the log is on it, as "Dig" (you).
    assert [(e["who"], e["action"]) for e in data["entries"]][:1] == [("Dig", "gdpr.access_log")]
    assert ("Test gdpr-egen-k-" + slug, "person.read") in [
        (e["who"], e["action"]) for e in data["entries"]
    ]
    # A sign-in without a person: 404.
    async with await _api(live, tenants.a, f"gdpr-ingen-{slug}", ("mentor",)) as api:
        assert (await api.get("/me/access-log")).status_code == 404


async def test_another_tenant_gets_the_same_404_as_a_person_that_does_not_exist(
    live, sessionmaker, tenants
):
    person_id, _ids = await _fill_everything(sessionmaker, tenants.a)
    bodies = []
    async with await _api(live, tenants.b, f"gdpr-b-{tenants.b.slug}", ("tenant_admin",)) as api:
        for path in ("access-log", "export"):
            response = await api.get(f"/people/{person_id}/{path}")
            bodies.append((response.status_code, response.json()))
        for path in ("access-log", "export"):
            response = await api.get(f"/people/{uuid.uuid4()}/{path}")
            bodies.append((response.status_code, response.json()))
    assert len(set(map(str, bodies))) == 1
    assert bodies[0][0] == 404
    # Nothing about the person was written to the other tenant's log, nor to hers.
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_id == str(person_id))
            )
        )
    assert rows == []


async def test_a_coordinate_partner_gets_403_and_no_links_on_the_person_page(
    live, sessionmaker, tenants
):
    person_id, _ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == "btb"))
            assert programme is not None
            session.add(
                ProgrammePartnership(
                    owner_tenant_id=tenants.a.id,
                    programme_id=programme.id,
                    partner_tenant_id=tenants.partner.id,
                    scope=PartnershipScope.COORDINATE,
                    granted_by="k",
                )
            )
    staff = f"gdpr-partner-{tenants.partner.slug}"
    live.add_user(staff, ("partner_staff",), (tenants.partner.slug,))
    refused = (
        "Kun kommunens egne medarbejdere kan se, hvem der har set en persons oplysninger, "
        "og hente alle oplysninger om personen."
    )
    async with httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenants.a.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(staff)}"},
    ) as api:
        assert (await api.get(f"/people/{person_id}")).status_code == 200
        for path in ("access-log", "export"):
            response = await api.get(f"/people/{person_id}/{path}")
            assert (response.status_code, response.json()["detail"]) == (403, refused)
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, staff)
        page = await browser.get(f"/t/{tenants.a.slug}/deltagere/{person_id}")
        log = await browser.get(f"/t/{tenants.a.slug}/deltagere/{person_id}/adgangslog")
    assert page.status_code == 200
    assert "/adgangslog" not in page.text and "/indsigt" not in page.text
    assert log.status_code == 403 and refused in log.text


async def test_a_mentor_seeing_her_citizen_on_my_forloeb_is_on_the_citizens_log(
    live, sessionmaker, tenants
):
    person_id, ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    slug = tenants.a.slug
    mentor = f"gdpr-mentor-{slug}"
    live.add_user(mentor, ("mentor",), (slug,))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            mentor_person = await session.scalar(
                select(Person).where(Person.name == "Mentor Mentorsen")
            )
            assert mentor_person is not None
            mentor_person.account = account_of(live, mentor)
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, mentor)
        page = await browser.get(f"/t/{slug}/mit/")
    assert page.status_code == 200 and "Kanarie Fuglsang" in page.text
    async with await _api(live, tenants.a, mentor, ("mentor",)) as api:
        me = await api.get("/me")
    assert me.json()["forloeb"][0]["other_name"] == "Kanarie Fuglsang"
    async with await _api(live, tenants.a, f"gdpr-mentor-k-{slug}", ("coordinator",)) as api:
        log = (await api.get(f"/people/{person_id}/access-log")).json()
    assert [(e["who"], e["role"], e["action"], e["object_id"]) for e in log["entries"]] == [
        (f"Test {mentor}", "mentor", "forloeb.read", ids["forloeb"]),
        (f"Test {mentor}", "mentor", "forloeb.read", ids["forloeb"]),
    ]


async def test_adding_a_person_to_a_hold_or_an_activity_is_on_her_log(live, sessionmaker, tenants):
    _person_id, _ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            mentor = await session.scalar(select(Person).where(Person.name == "Mentor Mentorsen"))
            course = await session.scalar(select(Course))
            activity = await session.scalar(select(Activity))
    assert mentor is not None and course is not None and activity is not None
    username = f"gdpr-hold-{tenants.a.slug}"
    async with await _api(live, tenants.a, username, ("coordinator",)) as api:
        body = {"person_id": str(mentor.id)}
        assert (await api.post(f"/courses/{course.id}/participants", json=body)).status_code == 201
        assert (await api.post(f"/activities/{activity.id}/members", json=body)).status_code == 201
        log = (await api.get(f"/people/{mentor.id}/access-log")).json()
    assert [(e["action"], e["what"]) for e in log["entries"]] == [
        ("activity.member_add", "Satte personen på en aktivitet"),
        ("course.participant_add", "Satte personen på et mentorkursus"),
    ]
    async with sessionmaker() as session:
        details = list(
            await session.scalars(
                select(AuditEvent.detail)
                .where(
                    AuditEvent.object_id == str(mentor.id),
                    AuditEvent.action.in_(["course.participant_add", "activity.member_add"]),
                )
                .order_by(AuditEvent.action)
            )
        )
    assert details == [{"activity": str(activity.id)}, {"course": str(course.id)}]


async def test_every_read_that_shows_the_person_is_on_her_log(live, sessionmaker, tenants):
    """The reads a coordinator opens a person through - each adds exactly one entry."""
    person_id, ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    slug = tenants.a.slug
    username = f"gdpr-alle-{slug}"
    page = f"/t/{slug}"
    reads = [
        ("api", f"/people/{person_id}", {}),
        ("api", f"/people/{person_id}/intake", {"programme": "btb", "role": "mentee"}),
        ("api", f"/enrolments/{ids['enrolment']}", {}),
        ("api", f"/forloeb/{ids['forloeb']}", {}),
        ("api", f"/forloeb/{ids['forloeb']}/planned-meetings", {}),
        ("api", f"/people/{person_id}/outcomes", {}),
        ("api", f"/people/{person_id}/notification-choices", {}),
        ("page", f"{page}/deltagere/{person_id}", {}),
        ("page", f"{page}/deltagere/{person_id}/rediger", {}),
        ("page", f"{page}/deltagere/tilmelding/{ids['enrolment']}", {}),
        ("page", f"{page}/deltagere/tilmelding/{ids['enrolment']}/bekraeft", {"til": "withdrawn"}),
        ("page", f"{page}/forloeb/{ids['forloeb']}", {}),
        ("page", f"{page}/beskeder/person/{person_id}", {}),
    ]
    live.add_user(username, ("coordinator",), (slug,))
    counted = []
    async with (
        httpx.AsyncClient(
            base_url=f"{live.url}/api/v1/t/{slug}",
            headers={"Authorization": f"Bearer {await live.access_token(username)}"},
        ) as api,
        httpx.AsyncClient(base_url=live.url) as browser,
    ):
        await browser_sign_in(browser, live, username)
        for kind, path, params in reads:
            response = await (api if kind == "api" else browser).get(path, params=params)
            assert response.status_code == 200, (path, response.text[:200])
            async with sessionmaker() as session:
                with tenant_scope(tenants.a.id):
                    total = await _log_total(session, tenants.a, person_id)
            counted.append((path, total))
    assert [total for _path, total in counted] == list(range(1, len(reads) + 1)), counted


async def _log_total(session, tenant, person_id: uuid.UUID) -> int:
    from core.context import context_for
    from core.gdpr.queries import access_log
    from core.plugin_api import create_plugin_manager

    ctx = context_for(session, tenant, create_plugin_manager(), "test")
    return (await access_log(ctx, person_id, 1, 0)).total
