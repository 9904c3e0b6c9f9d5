"""A mentor's own availability on "Mit forløb" (issue 17): how many citizens at once and a pause,
set on the page and through the API by the same command; matching follows it (a paused mentor is
not proposed before the date, a full one not at all). Danish messages, nothing stored when
refused; only the caller's own enrolment. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from core import clock as app_clock
from core.audit.models import AuditEvent
from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.matching.waiting_list import waiting_list
from core.participants.models import (
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentRole,
    Intake,
    Person,
)
from core.plugin_api import create_plugin_manager
from core.tenancy.models import Programme
from tests.live import browser_sign_in, client_for, csrf_token
from tests.test_applications import _field_errors, _summary
from tests.test_mine import account_of

TODAY = dt.date(2026, 12, 1)


async def _world(sessionmaker, tenant, live, mentor_user: str, intake: bool = True) -> dict:
    """Programme ``p`` with a ready mentor (linked to ``mentor_user``) and a ready citizen."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="p",
                name="Borger til Borger",
                type="peer_mentor",
                areas=["psykiatri"],
                policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
                plugins={},
            )
            mentor = Person(name="Mona Mentorsen", account=account_of(live, mentor_user))
            citizen = Person(name="Bo Borgersen")
            session.add_all([programme, mentor, citizen])
            await session.flush()
            text = ConsentText(programme_id=programme.id, version=1, body="T", created_by="t")
            enrolments = {
                role: Enrolment(
                    person_id=person.id, programme_id=programme.id, role=role, status="ready"
                )
                for role, person in (
                    (EnrolmentRole.MENTOR, mentor),
                    (EnrolmentRole.MENTEE, citizen),
                )
            }
            session.add_all([text, *enrolments.values()])
            await session.flush()
            for enrolment in enrolments.values():
                session.add(
                    Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t")
                )
                if intake:
                    session.add(Intake(enrolment_id=enrolment.id, lived_experience=["psykiatri"]))
    return {"mentor": enrolments[EnrolmentRole.MENTOR].id, "programme": programme.id}


async def _pool(sessionmaker, tenant, today: dt.date) -> dict[str, tuple[int, list[str]]]:
    """The programme's mentors in matching: name -> (free places, why excluded)."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            programme = await session.scalar(select(Programme))
            ctx = context_for(
                session,
                tenant,
                create_plugin_manager(),
                "t",
                app_clock.Clock(app_clock.at_noon(today)),
            )
            found = await waiting_list(ctx, programme)
            return {c.person.name: (c.free, list(c.excluded)) for c in found.mentors}


async def _intake(sessionmaker, tenant, enrolment_id: uuid.UUID) -> tuple[int, dt.date | None]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            intake = await session.scalar(select(Intake).where(Intake.enrolment_id == enrolment_id))
            return intake.capacity, intake.paused_until


async def test_a_mentor_sets_her_availability_and_matching_follows_it(
    live, sessionmaker, tenants, clock
):
    clock.set(TODAY)
    user = f"avail-{tenants.a.slug}"
    live.add_user(user, ("mentor",), (tenants.a.slug,))
    ids = await _world(sessionmaker, tenants.a, live, user)
    assert await _pool(sessionmaker, tenants.a, TODAY) == {"Mona Mentorsen": (1, [])}
    mine = f"/t/{tenants.a.slug}/mit"
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, user)
        page = await browser.get(f"{mine}/")
        assert "Din tilgængelighed" in page.text
        assert 'name="capacity-p"' in page.text and 'name="paused_until-p"' in page.text
        token = csrf_token(page.text)
        # A pause until 15 December and room for two citizens.
        saved = await browser.post(
            f"{mine}/tilgaengelighed/p",
            data={"_csrf_token": token, "capacity-p": "2", "paused_until-p": "2026-12-15"},
        )
        assert (saved.status_code, saved.headers["location"]) == (
            303,
            f"{mine}/?tilgaengelighed=gemt#tilgaengelighed",
        )
        after = await browser.get(saved.headers["location"])
        assert "Din tilgængelighed er gemt." in after.text
        assert "Pause: ingen ny borger før 15.12.2026." in after.text
        assert await _intake(sessionmaker, tenants.a, ids["mentor"]) == (2, dt.date(2026, 12, 15))
        # Matching: not proposed before the date, then with two places.
        assert await _pool(sessionmaker, tenants.a, TODAY) == {
            "Mona Mentorsen": (2, ["Sat på pause til 15.12.2026."])
        }
        assert await _pool(sessionmaker, tenants.a, dt.date(2026, 12, 15)) == {
            "Mona Mentorsen": (2, [])
        }
        # Refused input: Danish messages at the fields, nothing stored.
        capacity = "Skriv et antal borgere mellem 1 og 10."
        how_many, pause = "Hvor mange borgere kan du have ad gangen?", "Pause: ingen ny borger før"
        for sent, messages in (
            (("0", ""), {"capacity-p": capacity}),
            (
                ("11", "2026-11-30"),
                {"capacity-p": capacity, "paused_until-p": "Pausen kan ikke slutte i fortiden."},
            ),
            (
                ("to", "2028-01-01"),
                {
                    "capacity-p": capacity,
                    "paused_until-p": "En pause kan højst vare et år (til 01.12.2027).",
                },
            ),
        ):
            refused = await browser.post(
                f"{mine}/tilgaengelighed/p",
                data={"_csrf_token": token, "capacity-p": sent[0], "paused_until-p": sent[1]},
            )
            assert refused.status_code == 400
            # The summary's lines name their field; beside each field, the message alone.
            labels = {"capacity-p": how_many, "paused_until-p": pause}
            assert _summary(refused.text) == [
                (field, f"{labels[field]}: {message}") for field, message in messages.items()
            ]
            assert _field_errors(refused.text) == messages
            assert f'value="{sent[0]}"' in refused.text  # the form keeps what was written
        # Another programme, or one she is no mentor in: 404.
        other = await browser.post(
            f"{mine}/tilgaengelighed/findes-ikke",
            data={"_csrf_token": token, "capacity-findes-ikke": "1"},
        )
        assert other.status_code == 404
    # The API: the same command. The pause ends (null), one place again.
    token = await live.access_token(user)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        base = f"/api/v1/t/{tenants.a.slug}/me/availability"
        listed = await api.get(base)
        assert listed.status_code == 200
        assert listed.json() == [
            {
                "programme": "p",
                "programme_name": "Borger til Borger",
                "editable": True,
                "capacity": 2,
                "paused_until": "2026-12-15",
                "forloeb": 0,
            }
        ]
        bad = await api.put(f"{base}/p", json={"capacity": 0, "paused_until": "2026-11-01"})
        assert bad.status_code == 400
        assert set(bad.json()["errors"]) == {"capacity", "paused_until"}
        ok = await api.put(f"{base}/p", json={"capacity": 1, "paused_until": None})
        assert ok.status_code == 200, ok.text
        assert (ok.json()["capacity"], ok.json()["paused_until"]) == (1, None)
        assert (await api.put(f"{base}/x", json={"capacity": 1})).status_code == 404
        # Another tenant's URL: the same 404 as for a stranger.
        assert (await api.get(f"/api/v1/t/{tenants.b.slug}/me/availability")).status_code == 404
    assert await _intake(sessionmaker, tenants.a, ids["mentor"]) == (1, None)
    assert await _pool(sessionmaker, tenants.a, TODAY) == {"Mona Mentorsen": (1, [])}
    async with sessionmaker() as session:
        rows = list(
            await session.execute(
                select(AuditEvent.action, AuditEvent.object_id, AuditEvent.detail)
                .where(AuditEvent.tenant_slug == tenants.a.slug)
                .where(AuditEvent.action == "mine.availability")
                .order_by(AuditEvent.at)
            )
        )
    assert [tuple(r) for r in rows] == [
        ("mine.availability", str(ids["mentor"]), {"changed": ["capacity", "paused_until"]}),
        ("mine.availability", str(ids["mentor"]), {"changed": ["capacity", "paused_until"]}),
    ]


async def test_capacity_is_respected_and_no_availability_before_the_forsamtale(
    live, sessionmaker, tenants, clock
):
    clock.set(TODAY)
    user = f"avail2-{tenants.a.slug}"
    live.add_user(user, ("mentor",), (tenants.a.slug,))
    await _world(sessionmaker, tenants.a, live, user, intake=False)
    token = await live.access_token(user)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        base = f"/api/v1/t/{tenants.a.slug}/me/availability"
        listed = await api.get(base)
        assert [(a["editable"], a["capacity"]) for a in listed.json()] == [(False, 1)]
        early = await api.put(f"{base}/p", json={"capacity": 2})
        assert early.status_code == 409
        assert early.json()["detail"] == (
            "Din koordinator registrerer først din før-samtale; så kan du sætte det her."
        )
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, user)
        page = await browser.get(f"/t/{tenants.a.slug}/mit/")
        assert "Din koordinator registrerer først din før-samtale" in page.text
        assert 'name="capacity-p"' not in page.text


async def test_a_mentor_at_her_capacity_is_not_proposed_until_she_takes_more(
    live, sessionmaker, tenants, clock
):
    """Capacity 1 and one open forløb: matching shows her as full and proposes her to nobody;
    when she sets 2 on Mit forløb she is proposed again (one free place)."""
    from core.forloeb.models import Forloeb

    clock.set(TODAY)
    user = f"avail3-{tenants.a.slug}"
    live.add_user(user, ("mentor",), (tenants.a.slug,))
    ids = await _world(sessionmaker, tenants.a, live, user)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            partner = Person(name="Carl Makkersen")
            session.add(partner)
            await session.flush()
            enrolment = Enrolment(
                person_id=partner.id,
                programme_id=ids["programme"],
                role=EnrolmentRole.MENTEE,
                status="active",
            )
            session.add(enrolment)
            await session.flush()
            session.add(
                Forloeb(
                    programme_id=ids["programme"],
                    mentee_enrolment_id=enrolment.id,
                    mentor_enrolment_id=ids["mentor"],
                    state="active",
                    strategy="shared_experience",
                    proposed_on=TODAY - dt.timedelta(days=12),
                    proposed_by="t",
                    frequency="weekly",
                    planned_months=6,
                    started_on=TODAY - dt.timedelta(days=10),
                )
            )
            waiting = await session.scalar(
                select(Enrolment.id)
                .join(Person)
                .where(Person.name == "Bo Borgersen", Enrolment.role == EnrolmentRole.MENTEE)
            )
    assert await _pool(sessionmaker, tenants.a, TODAY) == {
        "Mona Mentorsen": (0, ["Ingen ledige pladser (tager 1 ad gangen)."])
    }
    coordinator = f"k3-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    staff = {"Authorization": f"Bearer {await live.access_token(coordinator)}"}
    suggestions = f"/api/v1/t/{tenants.a.slug}/programmes/p/matching/suggestions"
    async with client_for(live, headers=staff) as api:
        full = await api.get(suggestions, params={"mentee": str(waiting)})
        assert full.status_code == 200, full.text
        assert [(s["mentor_name"], s["free_places"]) for s in full.json()] == []
    mine = {"Authorization": f"Bearer {await live.access_token(user)}"}
    async with client_for(live, headers=mine) as api:
        more = await api.put(f"/api/v1/t/{tenants.a.slug}/me/availability/p", json={"capacity": 2})
        assert more.status_code == 200, more.text
    assert await _pool(sessionmaker, tenants.a, TODAY) == {"Mona Mentorsen": (1, [])}
    async with client_for(live, headers=staff) as api:
        free = await api.get(suggestions, params={"mentee": str(waiting)})
        assert [(s["mentor_name"], s["free_places"]) for s in free.json()] == [
            ("Mona Mentorsen", 1)
        ]
