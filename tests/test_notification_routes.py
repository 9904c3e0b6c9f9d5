"""Planned meetings and people's choices through the API (issue 16), on SQLite and PostgreSQL:
the pair plans a meeting (bad input is refused per field in Danish, nothing stored), the
meeting is in both people's calendar feeds with its place and without names, an afbud twice is
one; a person's choices are checked and kept; coordinators see failed deliveries and send
one again."""

from __future__ import annotations

import datetime as dt

import httpx
from icalendar import Calendar
from sqlalchemy import func, select, update

from core.clock import COPENHAGEN
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import PlannedMeeting
from core.notifications.models import ContactPreference, Notification
from core.settings import Settings
from tests.notification_world import make_pair, outbox
from tests.test_mine import account_of

NOW = dt.datetime(2026, 11, 30, 10, tzinfo=COPENHAGEN)


async def _client(live, tenant, username, roles) -> httpx.AsyncClient:
    live.add_user(username, roles, (tenant.slug,))
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(username)}"},
    )


async def _planned_count(sessionmaker, tenant) -> int:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return int(await session.scalar(select(func.count(PlannedMeeting.id))) or 0)


async def test_the_pair_plans_a_meeting_and_bad_input_is_refused_in_danish(
    live, sessionmaker, tenants, clock
):
    clock.set(NOW)
    slug = tenants.a.slug
    mentor = f"plan-mentor-{slug}"
    pair = await make_pair(
        sessionmaker, tenants.a, dt.date(2026, 11, 2), mentor_account=account_of(live, mentor)
    )
    path = f"/forloeb/{pair.forloeb_id}/planned-meetings"
    async with await _client(live, tenants.a, mentor, ("mentor",)) as api:
        bad = await api.post(path, json={"day": "2026-11-29", "time": "25:00", "place": "  "})
        assert (bad.status_code, bad.json()["errors"]) == (
            400,
            {
                "day": "Datoen er passeret; vælg i dag eller en senere dag.",
                "time": "Skriv klokkeslættet som TT:MM, fx 14:00.",
                "place": "Skriv, hvor I mødes.",
            },
        )
        earlier_today = await api.post(
            path, json={"day": "2026-11-30", "time": "09:00", "place": "Caféen"}
        )
        assert earlier_today.json()["errors"] == {
            "time": "Tidspunktet er passeret; vælg et senere tidspunkt."
        }
        missing = await api.post(path, json={})
        assert missing.json()["errors"] == {
            "day": "Skriv datoen for mødet.",
            "time": "Skriv klokkeslættet som TT:MM, fx 14:00.",
            "place": "Skriv, hvor I mødes.",
        }
        assert await _planned_count(sessionmaker, tenants.a) == 0
        assert await outbox(sessionmaker, tenants.a) == []
        made = await api.post(path, json={"day": "2026-12-03", "time": "14:00", "place": "Caféen"})
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["starts_at"], body["place"], body["planned_as"], body["cancelled"]) == (
            "2026-12-03T13:00:00Z",
            "Caféen",
            "mentor",
            False,
        )
        listed = await api.get(path)
        assert [m["id"] for m in listed.json()] == [body["id"]]
        for _ in range(2):  # an afbud twice is one afbud
            cancelled = await api.post(f"{path}/{body['id']}/cancel")
            assert (cancelled.status_code, cancelled.json()["cancelled"]) == (200, True)
    rows = await outbox(sessionmaker, tenants.a)
    # the reminders are withdrawn (the mentor's on the page too: she has a sign-in); the
    # citizen - not the mentor, who cancelled - is told once
    assert sorted((r.kind, str(r.person_id), r.channel, r.status) for r in rows) == sorted(
        [
            ("meeting_cancelled", str(pair.mentee_id), "email", "pending"),
            ("meeting_reminder", str(pair.mentee_id), "email", "withdrawn"),
            ("meeting_reminder", str(pair.mentor_id), "email", "withdrawn"),
            ("meeting_reminder", str(pair.mentor_id), "page", "withdrawn"),
        ]
    )


async def test_a_planned_meeting_is_in_both_calendar_feeds_with_its_place(
    live, sessionmaker, tenants, clock
):
    clock.set(NOW)
    coordinator = f"plan-coord-{tenants.a.slug}"
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 2))
    async with await _client(live, tenants.a, coordinator, ("coordinator",)) as api:
        made = await api.post(
            f"/forloeb/{pair.forloeb_id}/planned-meetings",
            json={"day": "2026-12-03", "time": "14:00", "place": "Caféen ved åen"},
        )
        assert made.status_code == 201
        feeds = [
            (await api.post(f"/people/{person}/calendar-link")).json()["url"]
            for person in (pair.mentee_id, pair.mentor_id)
        ]
    async with httpx.AsyncClient() as anonymous:
        for url in feeds:
            feed = await anonymous.get(url)
            events = [
                (str(e["summary"]), e.decoded("dtstart"), str(e["location"]), str(e["status"]))
                for e in Calendar.from_ical(feed.content).walk("VEVENT")
            ]
            assert events == [
                (
                    "Møde med din makker",
                    dt.datetime(2026, 12, 3, 14, tzinfo=COPENHAGEN),
                    "Caféen ved åen",
                    "CONFIRMED",
                )
            ]
            assert "Demosen" not in feed.text and "Mentorsen" not in feed.text


async def test_choices_are_checked_and_kept(live, sessionmaker, tenants, clock):
    clock.set(NOW)
    mentee = f"choice-mentee-{tenants.a.slug}"
    pair = await make_pair(
        sessionmaker,
        tenants.a,
        dt.date(2026, 11, 2),
        consent=False,
        mentee_account=account_of(live, mentee),
    )
    async with await _client(live, tenants.a, mentee, ("mentee",)) as api:
        first = await api.get("/notifications/choices")
        assert first.json() == {
            "consent": False,
            "channels": {},
            "quiet_from": None,
            "quiet_to": None,
            "language": "da",
            "available": ["email", "sms", "page", "off"],
        }
        bad = await api.put(
            "/notifications/choices",
            json={
                "consent": True,
                "channels": {"digest": "email"},
                "quiet_from": "22:00",
                "language": "fr",
            },
        )
        assert (bad.status_code, bad.json()["errors"]) == (
            400,
            {
                "channels.digest": "Vælg en af mulighederne på listen.",
                "quiet_to": "Angiv både start og slut på de stille timer, eller ingen af dem.",
                "language": "Vælg en af mulighederne på listen.",
            },
        )
        wrong_type = await api.put("/notifications/choices", json={"channels": {"x": "pigeon"}})
        assert wrong_type.status_code == 400
        assert (await api.get("/notifications/choices")).json()["consent"] is False
        saved = await api.put(
            "/notifications/choices",
            json={
                "consent": True,
                "channels": {"meeting_reminder": "sms", "activity": "off"},
                "quiet_from": "22:00",
                "quiet_to": "07:00",
                "language": "en",
            },
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["channels"]["meeting_reminder"] == "sms"
        assert (saved.json()["quiet_from"], saved.json()["quiet_to"]) == ("22:00", "07:00")
        assert (await api.get("/notifications/choices")).json()["language"] == "en"
        assert (await api.get("/notifications")).json() == []
        assert (await api.post("/notifications/read")).status_code == 204
    stored = await _preference(sessionmaker, tenants.a)
    assert (stored.person_id, stored.channels, stored.language) == (
        pair.mentee_id,
        {"meeting_reminder": "sms", "activity": "off"},
        "en",
    )


async def test_coordinators_see_failed_deliveries_and_send_one_again(
    live, sessionmaker, tenants, clock
):
    clock.set(NOW)
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 2))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            failed = Notification(
                idempotency_key="test:failed",
                kind="meeting_reminder",
                channel="email",
                person_id=pair.mentee_id,
                due_at=NOW,
                status="failed",
                attempts=8,
                last_error="SMTPConnectError",
                title="Påmindelse",
                body="Hej",
                link="https://x/",
            )
            session.add(failed)
    async with await _client(
        live, tenants.a, f"fail-coord-{tenants.a.slug}", ("coordinator",)
    ) as api:
        listed = (await api.get("/notifications/failed")).json()
        assert [(f["kind"], f["status"], f["error"], f["attempts"]) for f in listed] == [
            ("meeting_reminder", "failed", "SMTPConnectError", 8)
        ]
        assert (await api.post(f"/notifications/{failed.id}/retry")).status_code == 204
        assert (await api.post(f"/notifications/{failed.id}/retry")).status_code == 404
        assert (await api.get("/notifications/failed")).json() == []
    async with await _client(
        live, tenants.b, f"other-coord-{tenants.b.slug}", ("coordinator",)
    ) as other:
        assert (await other.post(f"/notifications/{failed.id}/retry")).status_code == 404
    rows = await outbox(sessionmaker, tenants.a)
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [("pending", 0, None)]
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(update(Notification).values(status="sent"))


def test_production_has_no_development_mailbox():
    """The mailbox is a development feature: production does not mount it (a 404)."""
    from core.app import create_app
    from core.settings import load_settings

    production = load_settings(
        {
            "MAKKER_ENV": "production",
            "MAKKER_DATABASE_URL": "postgresql+asyncpg://makker_app:pw@db.example.dk/makker",
            "MAKKER_SECRET_KEY": "p" * 40,
            "MAKKER_BASE_URL": "https://makker.example.dk",
            "MAKKER_OIDC_ISSUER": "https://login.example.dk/realms/makker",
            "MAKKER_OIDC_CLIENT_SECRET": "s3cret",
            "MAKKER_DATA_KEYS": "kTR1s-e0cFk0HJL3h7yFy4x8fE1cBa9jV9M0yX6Zg0M=",
        }
    )
    mailbox = "/t/{tenant_slug:str}/udvikling/postkasse"

    def paths(settings) -> set[str]:
        return {route.path for route in create_app(settings).routes}

    assert mailbox not in paths(production)
    assert "/t/{tenant_slug:str}/beskeder" in paths(production)
    assert mailbox in paths(Settings())


async def test_the_choices_page_refuses_in_danish_and_stores_nothing(
    live, sessionmaker, tenants, clock
):
    from tests.live import browser_sign_in, client_for, csrf_token

    clock.set(NOW)
    mentee = f"page-choice-{tenants.a.slug}"
    live.add_user(mentee, ("mentee",), (tenants.a.slug,))
    await make_pair(
        sessionmaker,
        tenants.a,
        dt.date(2026, 11, 2),
        consent=False,
        mentee_account=account_of(live, mentee),
    )
    page = f"/t/{tenants.a.slug}/beskeder/valg"
    async with client_for(live) as http:
        await browser_sign_in(http, live, mentee, page)
        form = await http.get(page)
        assert form.status_code == 200
        token = csrf_token(form.text)
        refused = await http.post(
            page,
            data={
                "_csrf_token": token,
                "consent": "on",
                "quiet_from": "22:00",
                "quiet_to": "",
                "language": "fr",
            },
        )
        assert refused.status_code == 400
        assert 'href="#f-language"' in refused.text
        assert "Angiv både start og slut på de stille timer, eller ingen af dem." in refused.text
        assert 'href="#f-quiet_to"' in refused.text
        assert await _preference(sessionmaker, tenants.a) is None  # nothing stored
        saved = await http.post(
            page,
            data={
                "_csrf_token": token,
                "consent": "on",
                "channel_meeting_reminder": "sms",
                "quiet_from": "22:00",
                "quiet_to": "07:00",
                "language": "en",
            },
        )
        assert (saved.status_code, saved.headers["location"]) == (303, f"{page}?gemt=1")
        shown = await http.get(f"{page}?gemt=1")
        assert "Dine valg er gemt." in shown.text
        assert 'value="22:00"' in shown.text and 'value="sms" selected' in shown.text
        assert 'value="en" checked' in shown.text
    pref = await _preference(sessionmaker, tenants.a)
    assert (pref.consented, pref.channels, pref.quiet_from, pref.language) == (
        True,
        {"meeting_reminder": "sms"},
        dt.time(22, 0),
        "en",
    )


async def _preference(sessionmaker, tenant) -> ContactPreference | None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return await session.scalar(select(ContactPreference))


async def test_a_coordinator_records_the_consent_of_a_person_without_a_sign_in(
    live, sessionmaker, tenants, clock
):
    """Most citizens have no sign-in: what they said at the før-samtale is recorded for them,
    and from then on their reminders go by e-mail."""
    clock.set(NOW)
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 2), consent=False)
    path = f"/people/{pair.mentee_id}/notification-choices"
    async with await _client(
        live, tenants.a, f"rec-coord-{tenants.a.slug}", ("coordinator",)
    ) as api:
        assert (await api.get(path)).json()["consent"] is False
        bad = await api.put(path, json={"consent": True, "quiet_to": "07:00"})
        assert bad.json()["errors"] == {
            "quiet_from": "Angiv både start og slut på de stille timer, eller ingen af dem."
        }
        saved = await api.put(path, json={"consent": True})
        assert (saved.status_code, saved.json()["consent"]) == (200, True)
        planned = await api.post(
            f"/forloeb/{pair.forloeb_id}/planned-meetings",
            json={"day": "2026-12-03", "time": "14:00", "place": "Caféen"},
        )
        assert planned.status_code == 201
    async with await _client(live, tenants.a, f"rec-mentor-{tenants.a.slug}", ("mentor",)) as api:
        assert (await api.get(path)).status_code == 403
    rows = await outbox(sessionmaker, tenants.a)
    assert [(str(r.person_id), r.channel) for r in rows] == [(str(pair.mentee_id), "email")]
