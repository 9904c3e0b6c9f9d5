"""GDPR (issue 15, part C): erasure (Art. 17) and legal hold.

* Every table about a person gets a row and every tagged column a canary
  (:func:`tests.test_gdpr_export._fill_everything`); after the erasure each tagged column holds
  its blank value, so a newly tagged column is covered without changing the test.
* The overview report counts the same before and after erasing people of a hand-built tenant
  (but for what erasure ends: an erased mentor no longer waits).
* A legal hold blocks erasure (409, Danish; the page shows the hold instead of the form); a
  partner (even ``coordinate``) gets 403; another tenant 404; a second erasure answers 200 with
  ``already_erased``.
* Erasure ends what is running; after it every write about the person is 409 and stores
  nothing, whether a command asks or only the flush-time check sees it.

SQLite and PostgreSQL (the ``live`` and ``sessionmaker`` fixtures run on both).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import func, select

from core.activities.models import Activity, ActivityKind, Recurrence
from core.audit.models import AuditEvent
from core.calendar.models import CalendarLink
from core.clock import now as app_now
from core.clock import today as app_today
from core.courses.models import Course
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, ForloebEvent, ForloebPause, Meeting, PlannedMeeting
from core.gdpr.erased_guard import GUARDED, Erased
from core.gdpr.erasure import ERASED_NAME, blank_value
from core.gdpr.models import LegalHold
from core.gdpr.queries import _attribute_keys, _model
from core.gdpr.tags import person_tables
from core.identity.models import WebSession
from core.notifications.models import Notification
from core.participants.models import Consent, Enrolment, EnrolmentEvent, Person
from core.plugin_api import create_plugin_manager
from core.reports.overview import overview
from core.reports.period import Period
from core.reports.schemas import figures_out
from core.tenancy.models import PartnershipScope, Programme, ProgrammePartnership
from tests.live import browser_sign_in, csrf_token
from tests.report_world import END, START, TODAY, build
from tests.test_gdpr_export import _api, _canary, _fill_everything
from tests.test_mine import account_of

ERASE = {"reason": "person_request", "confirm": "SLET"}


async def _rows(sessionmaker, tenant, ids: dict[str, str]) -> dict[str, Any]:
    found = {}
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            for spec in person_tables():
                model = _model(spec.name)
                found[spec.name] = await session.scalar(
                    select(model).where(model.id == uuid.UUID(ids[spec.name]))
                )
    return found


async def test_erasure_blanks_every_tagged_column_of_every_table_about_the_person(
    live, sessionmaker, tenants
):
    person_id, ids = await _fill_everything(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            person = await session.get(Person, person_id)
            assert person is not None
            session.add(
                WebSession(
                    token_hash=uuid.uuid4().hex * 2,
                    principal={},
                    user_id="kanariefugl person.account",
                    expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                )
            )
    async with await _api(live, tenants.a, f"erase-k-{tenants.a.slug}", ("coordinator",)) as api:
        wrong = await api.post(
            f"/people/{person_id}/erasure", json={"reason": "person_request", "confirm": "x"}
        )
        bad_reason = await api.post(
            f"/people/{person_id}/erasure", json={"reason": "fordi", "confirm": "SLET"}
        )
        first = await api.post(f"/people/{person_id}/erasure", json=ERASE)
        second = await api.post(f"/people/{person_id}/erasure", json=ERASE)
        missing = await api.post(f"/people/{uuid.uuid4()}/erasure", json=ERASE)
        shown = await api.get(f"/people/{person_id}")
        forloeb = await api.get(f"/forloeb/{ids['forloeb']}")
        assert forloeb.status_code == 200, forloeb.text
    assert wrong.status_code == 400, wrong.text
    assert wrong.json()["errors"] == {
        "confirm": "Skriv personens navn præcis som det står, eller ordet SLET."
    }
    assert bad_reason.status_code == 400
    assert bad_reason.json()["errors"] == {"reason": "Vælg, hvorfor personens oplysninger slettes."}
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["already_erased"] is False
    assert body["deleted"] == {"calendar_link": 1}
    assert body["blanked"]["person"] == 1 and body["blanked"]["meeting"] == 1
    assert body["sessions_ended"] == 1
    assert second.status_code == 200
    assert (second.json()["already_erased"], second.json()["erased_at"]) == (
        True,
        body["erased_at"],
    )
    assert missing.status_code == 404
    assert shown.status_code == 200 and shown.json()["name"] == ERASED_NAME
    # The other party's forløb shows an anonymised participant.
    pair = forloeb.json()["forloeb"]
    assert (pair["mentee"]["name"], pair["mentor"]["name"]) == (
        ERASED_NAME,
        "Mentor Mentorsen",
    )
    rows = await _rows(sessionmaker, tenants.a, ids)
    assert rows["calendar_link"] is None
    still = []
    for spec in person_tables():
        row = rows[spec.name]
        if row is None:
            continue
        keys = _attribute_keys(_model(spec.name))
        for column in spec.table.columns:
            if not column.info.get("personal_data"):
                continue
            value = getattr(row, keys[column.name])
            if value == _canary(column, spec.name) or value != blank_value(column, row, spec.name):
                still.append(f"{spec.name}.{column.name}={value!r}")
    assert still == []
    assert rows["person"].erased_at is not None
    assert rows["notification"].address is None
    assert rows["tenant_member"].removed_at is not None
    async with sessionmaker() as session:
        sessions = list(
            await session.scalars(
                select(WebSession).where(WebSession.user_id == "kanariefugl person.account")
            )
        )
        audit = list(
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.tenant_slug == tenants.a.slug,
                    AuditEvent.action == "person.erase",
                )
                .order_by(AuditEvent.at)
            )
        )
    assert sessions == []
    assert [(a.object_id, a.detail) for a in audit] == [
        (str(person_id), {"reason": "person_request", "tables": len(body["blanked"]) + 1}),
        (str(person_id), {"already_erased": True}),
    ]


async def test_erasing_people_leaves_the_overview_report_unchanged(sessionmaker, tenants, live):
    await build(sessionmaker, tenants.a)
    plugins = create_plugin_manager()

    async def figures() -> Any:
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session:
                found = await overview(
                    session, tenants.a, None, Period(START, END), plugins=plugins, today=TODAY
                )
        return [msgspec.to_builtins(figures_out(p.figures)) for p in found.programmes], (
            msgspec.to_builtins(figures_out(found.total))
        )

    before = await figures()
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            erased = list(
                await session.scalars(
                    select(Person.id)
                    .join(Enrolment, Enrolment.person_id == Person.id)
                    .where(Person.name.in_(["Rapport C1", "Rapport C2", "Rapport M1"]))
                    .distinct()
                )
            )
    assert len(erased) == 3
    async with await _api(live, tenants.a, f"erase-r-{tenants.a.slug}", ("tenant_admin",)) as api:
        for person_id in erased:
            response = await api.post(f"/people/{person_id}/erasure", json=ERASE)
            assert response.status_code == 200, response.text
    # Erasure ends what is running: the erased mentor who waited for a citizen (Rapport M1,
    # ready) is withdrawn, so one mentor fewer waits; every count of what happened stays.
    programmes, total = before
    assert total["waiting_mentors"] == 1
    waiting = [p for p in programmes if p["waiting_mentors"]]
    assert len(waiting) == 1
    for figures_before in (total, waiting[0]):
        figures_before["waiting_mentors"] -= 1
    assert await figures() == (programmes, total)


async def test_a_legal_hold_blocks_erasure_until_its_last_day(live, sessionmaker, tenants):
    person_id, _ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    slug = tenants.a.slug
    today = app_today()
    async with await _api(live, tenants.a, f"hold-a-{slug}", ("tenant_admin",)) as admin:
        past = await admin.post(
            f"/people/{person_id}/legal-hold",
            json={"reason": "Klagesag hos Ankestyrelsen", "ends_on": "2020-01-01"},
        )
        far = await admin.post(
            f"/people/{person_id}/legal-hold",
            json={"reason": "Klagesag hos Ankestyrelsen", "ends_on": "2099-01-01"},
        )
        short = await admin.post(
            f"/people/{person_id}/legal-hold", json={"reason": "kort", "ends_on": "2027-01-01"}
        )
        ends = (today + dt.timedelta(days=30)).isoformat()
        held = await admin.post(
            f"/people/{person_id}/legal-hold",
            json={"reason": "Klagesag hos Ankestyrelsen", "ends_on": ends},
        )
    assert (past.status_code, past.json()["errors"]) == (
        400,
        {"ends_on": "Den sidste dag for stoppet kan ikke ligge i fortiden."},
    )
    assert far.json()["errors"] == {"ends_on": "Et retligt stop for sletning kan højst vare ti år."}
    assert short.json()["errors"] == {"reason": "Skriv hvorfor, med 10 til 500 tegn."}
    assert held.status_code == 200, held.text
    assert held.json() == {
        "person_id": str(person_id),
        "active": True,
        "ends_on": ends,
        "reason": "Klagesag hos Ankestyrelsen",
    }
    async with await _api(live, tenants.a, f"hold-k-{slug}", ("coordinator",)) as api:
        refused = await api.post(f"/people/{person_id}/erasure", json=ERASE)
        set_by_coordinator = await api.post(
            f"/people/{person_id}/legal-hold",
            json={"reason": "Klagesag hos Ankestyrelsen", "ends_on": ends},
        )
        read = await api.get(f"/people/{person_id}/legal-hold")
    day = dt.date.fromisoformat(ends).strftime("%d.%m.%Y")
    assert (refused.status_code, refused.json()["detail"]) == (
        409,
        f"Personens oplysninger er omfattet af et retligt stop for sletning til og med {day} "
        "og kan ikke slettes eller anonymiseres før.",
    )
    assert set_by_coordinator.status_code == 403
    assert read.json()["active"] is True
    # Ended: the hold's last day has passed.
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            hold = await session.scalar(
                select(LegalHold).where(
                    LegalHold.person_id == person_id,
                    LegalHold.ends_on == dt.date.fromisoformat(ends),
                )
            )
            assert hold is not None
            hold.ends_on = today - dt.timedelta(days=1)
    async with await _api(live, tenants.a, f"hold-k-{slug}", ("coordinator",)) as api:
        assert (await api.get(f"/people/{person_id}/legal-hold")).json()["active"] is False
        assert (await api.post(f"/people/{person_id}/erasure", json=ERASE)).status_code == 200


async def test_a_partner_never_erases_and_another_tenant_gets_404(live, sessionmaker, tenants):
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
    staff = f"erase-partner-{tenants.partner.slug}"
    live.add_user(staff, ("partner_staff",), (tenants.partner.slug,))
    async with httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenants.a.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(staff)}"},
    ) as api:
        refused = await api.post(f"/people/{person_id}/erasure", json=ERASE)
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "Kun kommunens egne medarbejdere kan slette en persons oplysninger.",
    )
    async with httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenants.a.slug}",
        headers={
            "Authorization": "Bearer "
            + await _token(live, f"erase-b-{tenants.b.slug}", tenants.b.slug)
        },
    ) as api:
        other = await api.post(f"/people/{person_id}/erasure", json=ERASE)
    assert other.status_code == 404
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            person = await session.get(Person, person_id)
            assert person is not None and person.erased_at is None
            assert await session.scalar(select(CalendarLink.id)) is not None


async def _token(live, username: str, slug: str) -> str:
    live.add_user(username, ("coordinator",), (slug,))
    return str(await live.access_token(username))


async def test_the_pages_say_what_is_removed_and_kept_then_erase_under_a_hold_only_after(
    live, sessionmaker, tenants
):
    person_id, _ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    slug = tenants.a.slug
    admin = f"erase-page-{slug}"
    live.add_user(admin, ("tenant_admin",), (slug,))
    base = f"/t/{slug}/deltagere/{person_id}"
    ends = app_today() + dt.timedelta(days=10)
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, admin)
        person_page = await browser.get(base)
        page = await browser.get(f"{base}/sletning")
        token = csrf_token(page.text)
        wrong = await browser.post(
            f"{base}/sletning",
            data={"reason": "person_request", "confirm": "Mentor Mentorsen", "_csrf_token": token},
        )
        hold_page = await browser.get(f"{base}/retligt-stop")
        held = await browser.post(
            f"{base}/retligt-stop",
            data={
                "reason": "Klagesag hos Ankestyrelsen",
                "ends_on": ends.isoformat(),
                "_csrf_token": csrf_token(hold_page.text),
            },
        )
        hold_shown = await browser.get(f"{base}/retligt-stop")
        held_page = await browser.get(f"{base}/sletning")
        refused = await browser.post(
            f"{base}/sletning",
            data={"reason": "person_request", "confirm": "kanarie fuglsang", "_csrf_token": token},
        )
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session, session.begin():
                for hold in await session.scalars(
                    select(LegalHold).where(LegalHold.person_id == person_id)
                ):
                    hold.ends_on = app_today() - dt.timedelta(days=1)
        done = await browser.post(
            f"{base}/sletning",
            data={"reason": "person_request", "confirm": "Kanarie  Fuglsang", "_csrf_token": token},
        )
        after = await browser.get(f"{base}/sletning")
        hold_on_erased = await browser.post(
            f"{base}/retligt-stop",
            data={
                "reason": "Klagesag hos Ankestyrelsen",
                "ends_on": ends.isoformat(),
                "_csrf_token": csrf_token(hold_page.text),
            },
        )
    assert f'href="{base}/sletning"' in person_page.text
    assert f'href="{base}/retligt-stop"' in person_page.text
    assert page.status_code == 200
    for text in (
        "<h2>Det fjernes</h2>",
        "<h2>Det bevares</h2>",
        "<td>Møder</td>",
        "Anonymiseret deltager",
    ):
        assert text in page.text, text
    assert wrong.status_code == 400
    assert "Skriv personens navn præcis som det står, eller ordet SLET." in wrong.text
    assert held.status_code == 303
    assert "Der er et retligt stop for sletning" in hold_shown.text
    assert "Klagesag hos Ankestyrelsen" in hold_shown.text
    # While the hold is in force the page shows it and its end instead of the form.
    day, next_day = ends.strftime("%d.%m.%Y"), (ends + dt.timedelta(days=1)).strftime("%d.%m.%Y")
    assert held_page.status_code == 200
    assert (
        "Personens oplysninger er omfattet af et retligt stop for sletning til og med "
        f"{day} og kan ikke slettes eller anonymiseres før."
    ) in held_page.text
    assert (
        "Oplysningerne kan ikke slettes, mens det retlige stop gælder. Formularen til sletning "
        f"vises igen fra {next_day}, dagen efter at det retlige stop udløber."
    ) in held_page.text
    assert f'action="{base}/sletning"' not in held_page.text
    # A form sent anyway (an old tab): the page, in Danish - not the API's JSON.
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("text/html")
    assert '<h2 class="alert-heading">Oplysningerne blev ikke slettet</h2>' in refused.text
    assert (
        "<p>Personens oplysninger er omfattet af et retligt stop for sletning til og med "
        f"{day} og kan ikke slettes eller anonymiseres før.</p>"
    ) in refused.text
    assert f'action="{base}/sletning"' not in refused.text
    assert done.status_code == 303
    assert "Oplysningerne er slettet" in after.text
    assert hold_on_erased.status_code == 409
    assert hold_on_erased.headers["content-type"].startswith("text/html")
    assert '<h2 class="alert-heading">Det retlige stop blev ikke sat</h2>' in hold_on_erased.text
    assert "<p>Personens oplysninger er allerede slettet.</p>" in hold_on_erased.text
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            person = await session.get_one(Person, person_id)
    assert person.name == ERASED_NAME and person.erased_at is not None


ERASED_409 = "Personens oplysninger er slettet; der kan ikke registreres nyt om personen."


async def _snapshot(sessionmaker, tenant, person_id: uuid.UUID) -> Any:
    """The person's row and the number of rows of every table the erased-person check guards."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            person = await session.get(Person, person_id)
            assert person is not None
            counts = {
                table: await session.scalar(select(func.count()).select_from(_model(table)))
                for table in sorted(GUARDED)
            }
            return (person.name, person.email, person.phone, person.erased_at), counts


async def test_erasure_ends_what_runs_and_nothing_new_is_recorded_about_the_person_after(
    live, sessionmaker, tenants
):
    person_id, ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    slug = tenants.a.slug
    mentor = f"erased-mentor-{slug}"
    live.add_user(mentor, ("mentor",), (slug,))
    fid, eid = ids["forloeb"], ids["enrolment"]
    now = app_now()
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            mentor_person = await session.scalar(
                select(Person).where(Person.name == "Mentor Mentorsen")
            )
            assert mentor_person is not None
            mentor_person.account = account_of(live, mentor)
            planned = PlannedMeeting(
                forloeb_id=uuid.UUID(fid),
                starts_at=now + dt.timedelta(days=3),
                place="Biblioteket",
                planned_as="mentor",
                planned_by="k",
            )
            session.add(planned)
            await session.flush()
            reminder = Notification(
                idempotency_key=f"erased:{uuid.uuid4()}",
                kind="meeting_reminder",
                channel="page",
                person_id=mentor_person.id,
                subject_id=planned.id,
                due_at=now + dt.timedelta(days=2),
                title="Påmindelse",
                body="Møde",
                link="/",
            )
            session.add(reminder)
            programme_id = await session.scalar(select(Programme.id).where(Programme.slug == "btb"))
            assert programme_id is not None
            course = Course(programme_id=programme_id, number=2, start_date=TODAY, capacity=5)
            activity = Activity(
                kind=ActivityKind.CAFE,
                title="Café 2",
                first_on=TODAY,
                starts=dt.time(17),
                ends=dt.time(19),
                recurrence=Recurrence.WEEKLY,
            )
            session.add_all([course, activity])
            await session.flush()
            planned_id, reminder_id = planned.id, reminder.id
            course_id, activity_id = course.id, activity.id
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, mentor)
        before_page = await browser.get(f"/t/{slug}/forloeb/{fid}")
    assert "Registrér et møde" in before_page.text
    async with await _api(live, tenants.a, f"erased-admin-{slug}", ("tenant_admin",)) as api:
        assert (await api.post(f"/people/{person_id}/erasure", json=ERASE)).status_code == 200
    today = app_today()
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            enrolment = await session.get(Enrolment, uuid.UUID(eid))
            forloeb = await session.get(Forloeb, uuid.UUID(fid))
            consent = await session.get(Consent, uuid.UUID(ids["consent"]))
            planned_after = await session.get(PlannedMeeting, planned_id)
            reminder_after = await session.get(Notification, reminder_id)
            enrolment_events = list(
                await session.execute(
                    select(EnrolmentEvent.to_status, EnrolmentEvent.actor, EnrolmentEvent.reason)
                    .where(EnrolmentEvent.enrolment_id == uuid.UUID(eid))
                    .where(EnrolmentEvent.reason.is_not(None))
                )
            )
            forloeb_events = list(
                await session.execute(
                    select(ForloebEvent.to_state, ForloebEvent.actor, ForloebEvent.reason)
                    .where(ForloebEvent.forloeb_id == uuid.UUID(fid))
                    .where(ForloebEvent.reason.is_not(None))
                )
            )
    assert enrolment is not None and enrolment.status == "withdrawn"
    assert forloeb is not None and (forloeb.state, forloeb.ended_on) == ("ended_early", today)
    assert consent is not None and consent.withdrawn_at is not None
    assert consent.withdrawn_recorded_by == "gdpr.erasure"
    assert planned_after is not None and planned_after.cancelled_at is not None
    assert planned_after.cancelled_by == "gdpr.erasure"
    assert reminder_after is not None and reminder_after.status == "withdrawn"
    assert [tuple(e) for e in enrolment_events] == [
        ("withdrawn", "gdpr.erasure", "personens oplysninger er slettet")
    ]
    assert [tuple(e) for e in forloeb_events] == [
        ("ended_early", "gdpr.erasure", "personens oplysninger er slettet")
    ]
    before = await _snapshot(sessionmaker, tenants.a, person_id)
    writes = (
        ("PATCH", f"/people/{person_id}", {"name": "Ny Navn", "email": "ny@example.dk"}),
        ("PATCH", f"/people/{person_id}", {"phone": "12345678"}),
        ("POST", f"/people/{person_id}/enrolments", {"programme": "btb", "role": "mentee"}),
        ("POST", f"/enrolments/{eid}/transitions", {"to": "intake"}),
        ("POST", f"/enrolments/{eid}/consent", None),
        ("POST", f"/enrolments/{eid}/consent/withdraw", None),
        ("PUT", f"/enrolments/{eid}/intake", {"motivation": "Ny tekst"}),
        (
            "POST",
            f"/forloeb/{fid}/meetings",
            {"day": today.isoformat(), "activity": "cafe", "duration_minutes": 30},
        ),
        ("PUT", f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1", {"answers": {}}),
        ("POST", f"/courses/{course_id}/participants", {"person_id": str(person_id)}),
        ("POST", f"/activities/{activity_id}/members", {"person_id": str(person_id)}),
    )
    async with await _api(live, tenants.a, f"erased-k-{slug}", ("coordinator",)) as api:
        for method, url, body in writes:
            response = await api.request(method, url, json=body)
            assert (response.status_code, response.json()["detail"]) == (409, ERASED_409), url
    # The mentor, on the forløb with the erased citizen: no form, and a note is refused.
    async with await _api(live, tenants.a, mentor, ("mentor",)) as api:
        note = await api.post(
            f"/forloeb/{fid}/meetings",
            json={
                "day": today.isoformat(),
                "activity": "cafe",
                "duration_minutes": 30,
                "note": "Hun fortalte om sin nye lejlighed",
            },
        )
    assert (note.status_code, note.json()["detail"]) == (409, ERASED_409)
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, mentor)
        after_page = await browser.get(f"/t/{slug}/forloeb/{fid}")
    assert after_page.status_code == 200
    assert "Registrér et møde" not in after_page.text
    assert ERASED_NAME in after_page.text
    assert await _snapshot(sessionmaker, tenants.a, person_id) == before


async def test_a_flush_about_an_erased_person_is_refused_whatever_the_command(
    live, sessionmaker, tenants
):
    """The flush-time check: code that forgets to ask still cannot write about her."""
    person_id, ids = await _fill_everything(sessionmaker, tenants.a, canaries=False)
    async with await _api(live, tenants.a, f"erased-f-{tenants.a.slug}", ("tenant_admin",)) as api:
        assert (await api.post(f"/people/{person_id}/erasure", json=ERASE)).status_code == 200
    before = await _snapshot(sessionmaker, tenants.a, person_id)
    changes = (
        lambda s, p, f: setattr(p, "email", "ny@example.dk"),
        lambda s, p, f: setattr(p, "erased_at", None),
        lambda s, p, f: s.add(
            Meeting(
                forloeb_id=f.id,
                day=TODAY,
                activity="cafe",
                duration_minutes=30,
                note="ny",
                logged_as="mentor",
                logged_by="k",
            )
        ),
        lambda s, p, f: setattr(f, "frequency", "monthly"),
        lambda s, p, f: s.add(ForloebPause(forloeb_id=f.id, starts_on=TODAY)),
    )
    for change in changes:
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session:
                person = await session.get(Person, person_id)
                forloeb = await session.get(Forloeb, uuid.UUID(ids["forloeb"]))
                change(session, person, forloeb)
                with pytest.raises(Erased):
                    await session.commit()
                await session.rollback()
    assert await _snapshot(sessionmaker, tenants.a, person_id) == before
