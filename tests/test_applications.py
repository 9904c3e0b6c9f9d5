"""Applications on a programme's public page (issue 17): a citizen or volunteer applies without
signing in; one person and one enrolment ``applied`` with the consent to be contacted; a repeat
within minutes makes nothing new; a robot's honeypot and bad input store nothing; the form is
rate limited per address (429 in Danish); the coordinator sees the applications and starts the
før-samtale. Vejle's information meeting shows while it is coming. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core import clock as app_clock
from core.activities.models import Activity, ActivityKind, Recurrence
from core.applications.commands import APPLICANT, DUPLICATE_WINDOW
from core.applications.models import Application
from core.applications.pages import HONEYPOT, RATE_LIMIT
from core.audit.models import AuditEvent
from core.db.tenant_scope import tenant_scope
from core.participants.models import Consent, Enrolment, EnrolmentEvent, Person
from core.tenancy.models import Programme
from tests.live import browser_sign_in, client_for, csrf_token

PUBLIC = {
    "intro": "Frivillige mentorer støtter borgere på vej ud af et misbrug.",
    "offers": ["En mentor med egne erfaringer", "Møder 1-2 gange hver 14. dag"],
    "mentee": "Du kan få en mentor, hvis du er på vej ud af et misbrug.",
    "mentor": "Du kan blive mentor, hvis du har været ude af dit misbrug i mindst et år.",
    "contact": "Ring 70 00 00 00",
}
CONSENT = (
    "Jeg giver samtykke til, at {org} gemmer oplysningerne i denne ansøgning og kontakter mig "
    "på telefon eller e-mail om {programme}."
)


async def _programme(sessionmaker, tenant, slug="misbrug-mentor", public=PUBLIC) -> uuid.UUID:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug=slug,
                name="Mentorordning på misbrugsområdet",
                type="peer_mentor",
                areas=["misbrug"],
                policy={
                    "duration_months": {"min": 6, "max": 6},
                    "meeting_frequencies": ["one_to_two_per_fortnight"],
                },
                plugins={},
                public=public,
            )
            session.add(programme)
        return programme.id


def _url(tenant, slug="misbrug-mentor") -> str:
    return f"/offentlig/{tenant.slug}/tilbud/{slug}"


async def _form(http: httpx.AsyncClient, tenant, slug="misbrug-mentor") -> str:
    page = await http.get(_url(tenant, slug))
    assert page.status_code == 200
    return csrf_token(page.text)


def _values(**changes: str) -> dict[str, str]:
    values = {
        "role": "mentee",
        "name": "Anne Ansøger",
        "phone": "20 30 40 50",
        "email": "",
        "hope": "En at gå ture med.\r\nOg snakke med.",
        "consent": "on",
        HONEYPOT: "",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


async def _counts(sessionmaker, tenant) -> dict[str, int]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            out = {}
            for name, model in (
                ("people", Person),
                ("enrolments", Enrolment),
                ("events", EnrolmentEvent),
                ("applications", Application),
                ("consents", Consent),
            ):
                found = await session.scalar(select(func.count()).select_from(model))
                out[name] = int(found or 0)
            return out


NOTHING = {"people": 0, "enrolments": 0, "events": 0, "applications": 0, "consents": 0}


async def _audit(sessionmaker, tenant, prefix="application.") -> list[tuple[Any, ...]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.object_id, AuditEvent.detail)
            .where(AuditEvent.tenant_slug == tenant.slug, AuditEvent.action.like(f"{prefix}%"))
            .order_by(AuditEvent.at)
        )
        return [tuple(r) for r in rows]


async def test_an_application_makes_one_person_and_enrolment_and_a_repeat_makes_none(
    live, sessionmaker, tenants
):
    await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        sent = await http.post(_url(tenants.a), data={**_values(), "_csrf_token": token})
        assert (sent.status_code, sent.headers["location"]) == (303, f"{_url(tenants.a)}/tak")
        thanks = await http.get(sent.headers["location"])
        assert thanks.status_code == 200
        assert "Tak for din ansøgning" in thanks.text and "Ring 70 00 00 00" in thanks.text
        # The same again (a double click, or "did it work?"): the same answer, nothing new.
        again = await http.post(_url(tenants.a), data={**_values(), "_csrf_token": token})
        assert (again.status_code, again.headers["location"]) == (303, f"{_url(tenants.a)}/tak")
        # Case and spaces in the name and the phone number's spacing do not make it new.
        third = await http.post(
            _url(tenants.a),
            data={**_values(name="anne  ansøger", phone="20304050"), "_csrf_token": token},
        )
        assert third.status_code == 303
    assert await _counts(sessionmaker, tenants.a) == {
        "people": 1,
        "enrolments": 1,
        "events": 1,
        "applications": 1,
        "consents": 0,  # consent to be contacted is no Art. 9 consent: none is recorded
    }
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            person = await session.scalar(select(Person))
            enrolment = await session.scalar(select(Enrolment))
            event = await session.scalar(select(EnrolmentEvent))
            application = await session.scalar(select(Application))
    assert (person.name, person.phone, person.email, person.attributes) == (
        "Anne Ansøger",
        "20 30 40 50",
        None,
        {},
    )
    assert (enrolment.person_id, enrolment.role.value, enrolment.status) == (
        person.id,
        "mentee",
        "applied",
    )
    assert (event.from_status, event.to_status, event.actor) == (None, "applied", APPLICANT)
    assert (application.person_id, application.enrolment_id, application.hope) == (
        person.id,
        enrolment.id,
        "En at gå ture med.\nOg snakke med.",
    )
    assert application.contact_consent_text.startswith(
        CONSENT.format(org="Kommune A", programme="Mentorordning på misbrugsområdet")
    )
    assert len(application.fingerprint) == 64 and "Anne" not in application.fingerprint
    # Audited without the name, contact details or text: ids, programme and role.
    assert await _audit(sessionmaker, tenants.a) == [
        (
            "application.create",
            None,
            str(person.id),
            {
                "programme": "misbrug-mentor",
                "role": "mentee",
                "enrolment": str(enrolment.id),
                "application": str(application.id),
            },
        ),
        (
            "application.create",
            None,
            str(person.id),
            {"programme": "misbrug-mentor", "role": "mentee", "duplicate": True},
        ),
        (
            "application.create",
            None,
            str(person.id),
            {"programme": "misbrug-mentor", "role": "mentee", "duplicate": True},
        ),
    ]


async def test_a_repeat_after_the_window_or_for_the_other_role_is_a_new_application(
    live, sessionmaker, tenants, clock
):
    await _programme(sessionmaker, tenants.a)
    clock.set(dt.datetime(2026, 12, 1, 10, 0, tzinfo=app_clock.COPENHAGEN))
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        for role in ("mentee", "mentor"):
            r = await http.post(_url(tenants.a), data={**_values(role=role), "_csrf_token": token})
            assert r.status_code == 303
        clock.set(
            dt.datetime(2026, 12, 1, 10, 0, tzinfo=app_clock.COPENHAGEN)
            + DUPLICATE_WINDOW
            + dt.timedelta(minutes=1)
        )
        later = await http.post(_url(tenants.a), data={**_values(), "_csrf_token": token})
        assert later.status_code == 303
    counts = await _counts(sessionmaker, tenants.a)
    assert (counts["people"], counts["enrolments"], counts["applications"]) == (3, 3, 3)


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's lines: (the field it links to, the text)."""
    box = page[page.index('data-module="error-summary"') :]
    box = box[: box.index("</ul>")]
    lines = re.findall(r'<li><a class="function-link" href="#f-([^"]+)">([^<]*)</a></li>', box)
    return [(field, html.unescape(text)) for field, text in lines]


def _field_errors(page: str) -> dict[str, str]:
    """The message shown beside each field (by the field's name)."""
    found = re.findall(
        r'<span class="form-error-message" id="e-([a-z_-]+)"><span class="sr-only">[^<]*</span>'
        r"([^<]*)</span>",
        page,
    )
    return {field: html.unescape(text).strip() for field, text in found}


CONTROL = (
    "Teksten indeholder et kontroltegn, et linjeskift eller et tegn, der vender skriveretningen; "
    "skriv den på én linje med almindelige tegn."
)
NOT_ALLOWED = "Teksten indeholder et tegn, der ikke er tilladt."
NO_CONTACT = "Skriv et telefonnummer eller en e-mailadresse, så vi kan kontakte dig."
ROLE = "Vælg, om du vil have en mentor eller være mentor."


async def test_bad_input_gets_danish_field_errors_and_nothing_is_stored(
    live, sessionmaker, tenants
):
    """Each case: the exact lines of the error summary, each naming its field and linking to it."""
    await _programme(sessionmaker, tenants.a)
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        (
            {"role": "", "name": " ", "phone": "", "hope": "", "consent": None},
            [
                ("role", f"Hvad vil du?: {ROLE}"),
                ("name", "Dit navn: Skriv dit navn."),
                ("phone", f"Telefon: {NO_CONTACT}"),
                ("consent", "Samtykke: Sæt kryds for at give samtykke til, at vi må kontakte dig."),
            ],
        ),
        (
            {"phone": "12", "email": "ikke-en-adresse", "hope": "x" * 1001},
            [
                (
                    "phone",
                    "Telefon: Skriv et telefonnummer på mindst 8 cifre "
                    "(mellemrum og + er tilladt).",
                ),
                ("email", "E-mail: Skriv en gyldig e-mailadresse, fx navn@example.dk."),
                ("hope", "Hvad håber du på?: Teksten er for lang (højst 1000 tegn)."),
            ],
        ),
        (
            {"name": "An\x00ne", "hope": "Gå\x00ture"},
            [("name", f"Dit navn: {NOT_ALLOWED}"), ("hope", f"Hvad håber du på?: {NOT_ALLOWED}")],
        ),
        (
            {"name": "An\x07ne", "hope": "Gå\x07ture"},
            [
                ("name", f"Dit navn: {CONTROL}"),
                (
                    "hope",
                    "Hvad håber du på?: Teksten indeholder et kontroltegn eller et tegn, der "
                    "vender skriveretningen; kun almindelige tegn og linjeskift er tilladt.",
                ),
            ],
        ),
        ({"name": "A" * 10_000}, [("name", "Dit navn: Teksten er for lang (højst 200 tegn).")]),
        ({"phone": "   ", "email": "    "}, [("phone", f"Telefon: {NO_CONTACT}")]),
        (
            {"role": "admin", "name": "Anne\u202eA"},
            [("role", f"Hvad vil du?: {ROLE}"), ("name", f"Dit navn: {CONTROL}")],
        ),
    ]
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        for changes, expected in cases:
            r = await http.post(_url(tenants.a), data={**_values(**changes), "_csrf_token": token})
            assert r.status_code == 400
            assert "Nogle felter er ikke udfyldt korrekt; intet er gemt." in r.text
            assert _summary(r.text) == expected, changes
            # Beside each field, the message without the field's name.
            beside = {field: line.split(": ", 1)[1] for field, line in expected}
            assert _field_errors(r.text) == beside, changes
        # Without the CSRF token: refused before anything is read.
        refused = await http.post(_url(tenants.a), data=_values())
        assert refused.status_code == 403
    assert await _counts(sessionmaker, tenants.a) == NOTHING


async def test_a_filled_in_honeypot_is_answered_as_success_and_stores_nothing(
    live, sessionmaker, tenants
):
    await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        r = await http.post(
            _url(tenants.a),
            data={**_values(**{HONEYPOT: "http://spam.example"}), "_csrf_token": token},
        )
        assert (r.status_code, r.headers["location"]) == (303, f"{_url(tenants.a)}/tak")
    assert await _counts(sessionmaker, tenants.a) == NOTHING
    assert await _audit(sessionmaker, tenants.a) == [
        ("application.refused", None, None, {"programme": "misbrug-mentor", "why": "trap"})
    ]


async def test_accepted_applications_are_rate_limited_per_address_with_a_danish_429(
    live, sessionmaker, tenants, clock
):
    """Only accepted applications count (refused forms, repeats and the honeypot do not); the
    11th in a clock hour gets the form again with what was written, how long to wait and the
    contact line (429, Retry-After); in the next hour the address may apply again. The counter
    is the app's limiter (core/web/ratelimit.py: PostgreSQL's shared table, or memory)."""
    await _programme(sessionmaker, tenants.a)
    await _programme(sessionmaker, tenants.b)
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=app_clock.COPENHAGEN)
    clock.set(start)
    allowed = RATE_LIMIT
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        post = lambda **changes: http.post(  # noqa: E731
            _url(tenants.a), data={**_values(**changes), "_csrf_token": token}
        )
        # Twenty refused forms and a robot: not counted.
        for _i in range(20):
            assert (await post(phone="")).status_code == 400
        assert (await post(**{HONEYPOT: "x"})).status_code == 303
        statuses = []
        for i in range(allowed):
            clock.set(start + dt.timedelta(minutes=i))
            statuses.append((await post(name=f"Person {i}")).status_code)
        assert statuses == [303] * allowed
        # A repeat of an accepted one: the receipt, not counted.
        assert (await post(name="Person 9")).status_code == 303
        clock.set(start + dt.timedelta(minutes=20))
        limited = await post(name="En til", hope="Jeg vil gerne\r\nhave en mentor.")
        # 40 minutes until the first is an hour old (the test clock ticks on: a second more).
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) - 40 * 60 in (0, 1)
        assert (
            "Der er sendt mange ansøgninger fra din internetadresse inden for den seneste time. "
            "Prøv igen om 40 minutter; det, du har skrevet, står stadig i formularen. "
            "Du kan også kontakte os: Ring 70 00 00 00"
        ) in html.unescape(limited.text)
        assert 'id="f-name" name="name" type="text" value="En til"' in limited.text
        assert ">Jeg vil gerne\r\nhave en mentor.</textarea>" in limited.text
        assert "<h1>Mentorordning på misbrugsområdet</h1>" in limited.text
        # The page itself still answers, and another organisation's form is counted apart.
        assert (await http.get(_url(tenants.a))).status_code == 200
        other = await http.post(
            _url(tenants.b), data={**_values(), "_csrf_token": await _form(http, tenants.b)}
        )
        assert other.status_code == 303
        # In the next clock hour (the limit's fixed window) the address may apply again.
        clock.set(start + dt.timedelta(hours=1, seconds=1))
        assert (await post(name="En til")).status_code == 303
    counts = await _counts(sessionmaker, tenants.a)
    assert (counts["people"], counts["applications"]) == (allowed + 1, allowed + 1)


async def test_the_public_page_shows_the_programme_and_only_coming_info_meetings(
    live, sessionmaker, tenants, clock
):
    """Vejle's information meeting as announced: 14 December 15.00-17.00, Foreningernes Hus."""
    programme_id = await _programme(sessionmaker, tenants.a)
    other = await _programme(sessionmaker, tenants.a, "andet", {**PUBLIC, "mentee": None})
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            for title, programme, published in (
                ("Informationsmøde for interesserede mentorer", programme_id, True),
                ("Internt møde", programme_id, False),
                ("Et andet tilbuds møde", other, True),
            ):
                session.add(
                    Activity(
                        programme_id=programme,
                        kind=ActivityKind.INFO_MEETING,
                        title=title,
                        description="Det kræver ingen tilmelding - mød bare op.",
                        place="Foreningernes Hus Vejle, Vissingsgade 31",
                        room="1. sal, lokale 4",
                        first_on=dt.date(2026, 12, 14),
                        starts=dt.time(15, 0),
                        ends=dt.time(17, 0),
                        recurrence=Recurrence.NONE,
                        published=published,
                    )
                )
    async with client_for(live) as http:
        for moment, shown in (
            (dt.datetime(2026, 12, 1, 9, 0), True),
            (dt.datetime(2026, 12, 14, 16, 59), True),
            (dt.datetime(2026, 12, 14, 17, 0), False),
        ):
            clock.set(moment.replace(tzinfo=app_clock.COPENHAGEN))
            page = await http.get(_url(tenants.a))
            assert page.status_code == 200
            assert "Mentorordning på misbrugsområdet" in page.text
            assert (
                PUBLIC["intro"] in page.text
                and "<li>En mentor med egne erfaringer</li>" in page.text
            )
            assert ("Informationsmøde for interesserede mentorer" in page.text) is shown
            assert ("14.12.2026" in page.text and "15:00-17:00" in page.text) is shown
            assert ("Vissingsgade 31" in page.text and "1. sal, lokale 4" in page.text) is shown
            assert "Internt møde" not in page.text and "Et andet tilbuds møde" not in page.text
            assert ("Der er ingen informationsmøder planlagt lige nu." in page.text) is not shown
        # Both roles: the form asks which; ?rolle=mentor chooses it.
        page = await http.get(_url(tenants.a), params={"rolle": "mentor"})
        assert 'name="role" value="mentor" checked' in page.text
        assert "Få en mentor" in page.text and "Bliv mentor" in page.text
        assert 'class="makker-hp" aria-hidden="true"' in page.text
        # The trap's name is none a browser or password manager fills in by itself.
        assert (
            '<input id="f-makker_trap" name="makker_trap" type="text" tabindex="-1" '
            'autocomplete="off" value="">'
        ) in page.text
        assert "website" not in page.text
        # A programme for mentors only: no choice, "Bliv mentor".
        mentors_only = await http.get(_url(tenants.a, "andet"))
        assert '<input type="hidden" name="role" value="mentor">' in mentors_only.text
        assert '<h2 id="h-apply">Bliv mentor</h2>' in mentors_only.text
        # The organisation's list of public programmes.
        listing = await http.get(f"/offentlig/{tenants.a.slug}")
        assert listing.status_code == 200
        assert f'href="{_url(tenants.a)}"' in listing.text
        assert f'href="{_url(tenants.a, "andet")}"' in listing.text
        # Unknown organisation, unknown programme, a programme without a public page and
        # another organisation's programme: the same 404.
        await _programme(sessionmaker, tenants.a, "intern", None)
        await _programme(sessionmaker, tenants.b, "kun-b")
        assert (await http.get(_url(tenants.b, "kun-b"))).status_code == 200
        for url in (
            "/offentlig/findes-ikke",
            _url(tenants.a, "findes-ikke"),
            _url(tenants.a, "intern"),
            _url(tenants.a, "kun-b"),
            f"{_url(tenants.a, 'kun-b')}/tak",
            _url(tenants.b),
        ):
            assert (await http.get(url)).status_code == 404, url
        token = await _form(http, tenants.a)
        for url in (_url(tenants.a, "kun-b"), _url(tenants.a, "intern")):
            sent = await http.post(url, data={**_values(), "_csrf_token": token})
            assert sent.status_code == 404, url
    assert (await _counts(sessionmaker, tenants.a))["people"] == 0
    assert (await _counts(sessionmaker, tenants.b))["people"] == 0


async def test_the_coordinator_sees_new_applications_and_starts_the_forsamtale(
    live, sessionmaker, tenants
):
    await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        for name in ("Anne Ansøger", "Bo Borger"):
            r = await http.post(_url(tenants.a), data={**_values(name=name), "_csrf_token": token})
            assert r.status_code == 303
    coordinator, mentor, stranger = (f"{r}-{tenants.a.slug}" for r in ("k", "m", "x"))
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    live.add_user(mentor, ("mentor",), (tenants.a.slug,))
    live.add_user(stranger, ("coordinator",), (tenants.b.slug,))
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, coordinator)
        front = await browser.get(f"/t/{tenants.a.slug}/")
        assert "Nye ansøgninger, der venter på et opkald: 2" in front.text
        assert f'href="/t/{tenants.a.slug}/ansoegninger/"' in front.text
        assert "Anne Ansøger" not in front.text  # a number only: the list is audited
        listed = await browser.get(f"/t/{tenants.a.slug}/ansoegninger/")
        assert listed.status_code == 200
        assert listed.text.index("Bo Borger") < listed.text.index("Anne Ansøger")  # newest first
        assert "En at gå ture med.\nOg snakke med." in listed.text
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session:
                anne = await session.scalar(
                    select(Enrolment).join(Person).where(Person.name == "Anne Ansøger")
                )
        start = f"/t/{tenants.a.slug}/deltagere/tilmelding/{anne.id}"
        assert f'href="{start}#h-intake"' in listed.text
        enrolment_page = await browser.get(start)
        assert enrolment_page.status_code == 200
        assert "Ansøgt" in enrolment_page.text
        # The application is on the enrolment: what she hopes for, the consent to be contacted.
        assert "Ansøgning fra den offentlige side" in enrolment_page.text
        assert "En at gå ture med.\nOg snakke med." in enrolment_page.text
        assert "Jeg giver samtykke til, at Kommune A gemmer oplysningerne" in enrolment_page.text
        # The coordinator calls, records the consent and starts the før-samtale.
        token = csrf_token(enrolment_page.text)
        assert (
            await browser.post(f"{start}/samtykke", data={"_csrf_token": token})
        ).status_code == 303
        moved = await browser.post(f"{start}/status", data={"_csrf_token": token, "to": "intake"})
        assert moved.status_code == 303
        after = await browser.get(f"/t/{tenants.a.slug}/")
        assert "Nye ansøgninger, der venter på et opkald: 1" in after.text
        api = await browser.get(f"/t/{tenants.a.slug}/ansoegninger/")
        assert "Anne Ansøger" not in api.text and "Bo Borger" in api.text
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, mentor)
        front = await browser.get(f"/t/{tenants.a.slug}/")
        assert front.status_code == 200 and "ansøgning" not in front.text
        assert (await browser.get(f"/t/{tenants.a.slug}/ansoegninger/")).status_code == 403
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, stranger)
        assert (await browser.get(f"/t/{tenants.a.slug}/ansoegninger/")).status_code == 404
        own = await browser.get(f"/t/{tenants.b.slug}/ansoegninger/")
        assert own.status_code == 200 and "Bo Borger" not in own.text
    token = await live.access_token(coordinator)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        r = await api.get(f"/api/v1/t/{tenants.a.slug}/applications")
        assert r.status_code == 200
        assert [(a["name"], a["role"], a["programme"], a["phone"]) for a in r.json()] == [
            ("Bo Borger", "mentee", "misbrug-mentor", "20 30 40 50")
        ]
    assert [row[0] for row in await _audit(sessionmaker, tenants.a, "application.list")] == [
        "application.list",
        "application.list",
        "application.list",
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_applied_enrolment_moves_to_interested_without_consent(
    live, sessionmaker, tenants
):
    await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        assert (
            await http.post(_url(tenants.a), data={**_values(), "_csrf_token": token})
        ).status_code == 303
    coordinator = f"k2-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            enrolment_id = await session.scalar(select(Enrolment.id))
    token = await live.access_token(coordinator)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        base = f"/api/v1/t/{tenants.a.slug}/enrolments/{enrolment_id}/transitions"
        refused = await api.post(base, json={"to": "intake"})
        assert (refused.status_code, refused.json()["errors"]) == (
            400,
            {"to": "Registrér først personens samtykke."},
        )
        moved = await api.post(base, json={"to": "interested"})
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == "interested"


async def _apply(http: httpx.AsyncClient, tenant, **changes: str) -> httpx.Response:
    token = await _form(http, tenant)
    return await http.post(_url(tenant), data={**_values(**changes), "_csrf_token": token})


async def test_a_participants_partner_sees_no_applicant_and_a_co_runner_is_named_in_the_consent(
    live, sessionmaker, tenants
):
    """A `participants` partner lists only people who gave the programme's consent (counts
    stay); a `coordinate` partner co-runs the programme and the form's consent names it."""
    from core.participants.models import ConsentText

    programme_id = await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        for name in ("Anne Ansøger", "Bo Borger", "Cille Callesen"):
            assert (await _apply(http, tenants.a, name=name)).status_code == 303
    # Bo has been called and gave the programme's consent; Cille withdrew without giving one.
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            text = ConsentText(programme_id=programme_id, version=1, body="Tekst", created_by="t")
            session.add(text)
            await session.flush()
            for enrolment, person in await session.execute(select(Enrolment, Person).join(Person)):
                if person.name == "Bo Borger":
                    enrolment.status = "intake"
                    session.add(
                        Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t")
                    )
                if person.name == "Cille Callesen":
                    enrolment.status = "withdrawn"
            session.add(
                Enrolment(
                    person_id=(
                        await session.scalar(select(Person.id).where(Person.name == "Bo Borger"))
                    ),
                    programme_id=programme_id,
                    role="mentor",
                    status="interested",
                )
            )
    admin, staff = f"adm-{tenants.a.slug}", f"staff-{tenants.a.slug}"
    live.add_user(admin, ("tenant_admin",), (tenants.a.slug,))
    live.add_user(staff, ("partner_staff",), (tenants.partner.slug,))
    headers = {"Authorization": f"Bearer {await live.access_token(admin)}"}
    async with client_for(live, headers=headers) as owner:
        grant = await owner.post(
            f"/api/v1/t/{tenants.a.slug}/partnerships/",
            json={
                "programme": "misbrug-mentor",
                "partner": tenants.partner.slug,
                "scope": "participants",
            },
        )
        assert grant.status_code == 201, grant.text
    base = f"/api/v1/t/{tenants.partner.slug}/partnerships/{grant.json()['id']}"
    headers = {"Authorization": f"Bearer {await live.access_token(staff)}"}
    async with client_for(live, headers=headers) as partner:
        people = await partner.get(f"{base}/participants")
        assert [(p["name"], p["role"], p["status"]) for p in people.json()] == [
            ("Bo Borger", "mentee", "intake")
        ]
        summary = await partner.get(f"{base}/summary")
        assert summary.json() == {
            "mentees": 3,
            "mentors": 1,
            "by_status": {"applied": 1, "intake": 1, "interested": 1, "withdrawn": 1},
        }
    # Without a coordinate grant the consent names the owner only.
    async with client_for(live) as http:
        page = await http.get(_url(tenants.a))
        owner_only = CONSENT.format(org="Kommune A", programme="Mentorordning på misbrugsområdet")
        assert owner_only in page.text
    async with client_for(
        live, headers={"Authorization": f"Bearer {await live.access_token(admin)}"}
    ) as owner:
        again = await owner.post(
            f"/api/v1/t/{tenants.a.slug}/partnerships/",
            json={
                "programme": "misbrug-mentor",
                "partner": tenants.partner.slug,
                "scope": "coordinate",
            },
        )
        assert again.status_code == 200, again.text
    co_run = CONSENT.format(
        org="Kommune A og Partner, der driver tilbuddet sammen,",
        programme="Mentorordning på misbrugsområdet",
    )
    async with client_for(live) as http:
        page = await http.get(_url(tenants.a))
        assert co_run in page.text
        assert (await _apply(http, tenants.a, name="Dorte Demo")).status_code == 303
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            stored = await session.scalar(
                select(Application.contact_consent_text)
                .join(Person, Person.id == Application.person_id)
                .where(Person.name == "Dorte Demo")
            )
    assert stored.startswith(co_run)
    # The co-running partner sees everybody, applicants too (as the owner's coordinators).
    async with client_for(
        live, headers={"Authorization": f"Bearer {await live.access_token(staff)}"}
    ) as partner:
        people = await partner.get(f"{base}/participants")
        assert [(p["name"], p["status"]) for p in people.json()] == [
            ("Anne Ansøger", "applied"),
            ("Bo Borger", "intake"),
            ("Bo Borger", "interested"),
            ("Cille Callesen", "withdrawn"),
            ("Dorte Demo", "applied"),
        ]


async def _waiting_ids(sessionmaker, tenant, name: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            row = (
                await session.execute(
                    select(Application.id, Enrolment.id, Person.id)
                    .join(Enrolment, Enrolment.id == Application.enrolment_id)
                    .join(Person, Person.id == Application.person_id)
                    .where(Person.name == name)
                )
            ).one()
    return row[0], row[1], row[2]


async def test_withdrawing_an_application_clears_the_text_and_fingerprint(
    live, sessionmaker, tenants, clock
):
    await _programme(sessionmaker, tenants.a)
    clock.set(dt.datetime(2026, 12, 1, 10, 0, tzinfo=app_clock.COPENHAGEN))
    async with client_for(live) as http:
        assert (await _apply(http, tenants.a)).status_code == 303
        assert (await _apply(http, tenants.a, name="Bo Borger")).status_code == 303
    application_id, enrolment_id, _person = await _waiting_ids(
        sessionmaker, tenants.a, "Anne Ansøger"
    )
    coordinator = f"k-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(coordinator)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        moved = await api.post(
            f"/api/v1/t/{tenants.a.slug}/enrolments/{enrolment_id}/transitions",
            json={"to": "withdrawn", "reason": "Ringede og trak ansøgningen tilbage"},
        )
        assert moved.status_code == 200, moved.text
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            rows = {
                a.id: (a.hope, a.fingerprint) for a in await session.scalars(select(Application))
            }
            event = await session.scalar(
                select(EnrolmentEvent).where(
                    EnrolmentEvent.enrolment_id == enrolment_id,
                    EnrolmentEvent.to_status == "withdrawn",
                )
            )
    assert rows[application_id] == (None, "")
    assert [v[0] for k, v in rows.items() if k != application_id] == [
        "En at gå ture med.\nOg snakke med."
    ]
    assert (event.from_status, event.reason) == ("applied", "Ringede og trak ansøgningen tilbage")
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, coordinator)
        page = await browser.get(f"/t/{tenants.a.slug}/deltagere/tilmelding/{enrolment_id}")
        assert "Ansøgningen blev trukket tilbage 01.12.2026 10:00: samtykket til" in page.text
        assert "En at gå ture med." not in page.text
        # The history names the public page as who made the enrolment (issue 17, item 4).
        assert "<li>01.12.2026 10:00: Ansøgt (Ansøgning på den offentlige side)</li>" in page.text
    # The same application again: a new one (the withdrawn one's fingerprint is gone).
    async with client_for(live) as http:
        assert (await _apply(http, tenants.a)).status_code == 303
    counts = await _counts(sessionmaker, tenants.a)
    assert (counts["people"], counts["applications"]) == (3, 3)


async def test_fingerprints_older_than_the_window_are_cleared_on_the_next_application(
    live, sessionmaker, tenants, clock
):
    await _programme(sessionmaker, tenants.a)
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=app_clock.COPENHAGEN)
    clock.set(start)
    async with client_for(live) as http:
        assert (await _apply(http, tenants.a)).status_code == 303
        clock.set(start + dt.timedelta(minutes=10))
        assert (await _apply(http, tenants.a, name="Bo Borger")).status_code == 303
        clock.set(start + DUPLICATE_WINDOW + dt.timedelta(minutes=1))
        assert (await _apply(http, tenants.a, name="Cille Callesen")).status_code == 303
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Person.name, Application.fingerprint)
                    .join(Person, Person.id == Application.person_id)
                    .order_by(Person.name)
                )
            ).all()
    assert [(name, len(fp)) for name, fp in rows] == [
        ("Anne Ansøger", 0),
        ("Bo Borger", 64),
        ("Cille Callesen", 64),
    ]


async def test_a_coordinator_deletes_an_application_after_a_confirmation(
    live, sessionmaker, tenants
):
    """'Slet ansøgningen': the application, its enrolment and the person (if nothing else is
    theirs) go; audited without personal data. Once consent is recorded it is refused (409)."""
    programme_id = await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        for name in ("Anne Ansøger", "Bo Borger", "Cille Callesen"):
            assert (await _apply(http, tenants.a, name=name)).status_code == 303
    anne, anne_enrolment, _anne = await _waiting_ids(sessionmaker, tenants.a, "Anne Ansøger")
    bo, _bo_enrolment, bo_person = await _waiting_ids(sessionmaker, tenants.a, "Bo Borger")
    cille, cille_enrolment, _cille = await _waiting_ids(sessionmaker, tenants.a, "Cille Callesen")
    # Bo is also a mentor in the programme: he stays when his application goes.
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            session.add(
                Enrolment(
                    person_id=bo_person,
                    programme_id=programme_id,
                    role="mentor",
                    status="interested",
                )
            )
    coordinator, mentor = f"k-{tenants.a.slug}", f"m-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    live.add_user(mentor, ("mentor",), (tenants.a.slug,))
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, coordinator)
        listed = await browser.get(f"/t/{tenants.a.slug}/ansoegninger/")
        confirm = f"/t/{tenants.a.slug}/ansoegninger/{anne}/slet"
        assert f'href="{confirm}"' in listed.text
        enrolment_page = await browser.get(
            f"/t/{tenants.a.slug}/deltagere/tilmelding/{anne_enrolment}"
        )
        assert f'href="{confirm}"' in enrolment_page.text
        page = await browser.get(confirm)
        assert page.status_code == 200
        assert "Personen slettes også: vedkommende har ingen andre tilmeldinger." in page.text
        bo_page = await browser.get(f"/t/{tenants.a.slug}/ansoegninger/{bo}/slet")
        assert "Personen bliver: vedkommende har andre tilmeldinger." in bo_page.text
        token = csrf_token(page.text)
        for application in (anne, bo):
            gone = await browser.post(
                f"/t/{tenants.a.slug}/ansoegninger/{application}/slet", data={"_csrf_token": token}
            )
            assert (gone.status_code, gone.headers["location"]) == (
                303,
                f"/t/{tenants.a.slug}/ansoegninger/?vist=slettet",
            )
        after = await browser.get(f"/t/{tenants.a.slug}/ansoegninger/?vist=slettet")
        assert "Ansøgningen er slettet." in after.text
        assert "Anne Ansøger" not in after.text and "Cille Callesen" in after.text
        again = await browser.get(confirm)
        assert again.status_code == 404
        # Cille's consent is recorded: no longer deletable (withdraw the enrolment instead).
        start = f"/t/{tenants.a.slug}/deltagere/tilmelding/{cille_enrolment}"
        assert (
            await browser.post(f"{start}/samtykke", data={"_csrf_token": token})
        ).status_code == 303
        refused = await browser.post(
            f"/t/{tenants.a.slug}/ansoegninger/{cille}/slet", data={"_csrf_token": token}
        )
        # A page's refusal is a Danish page (core/errors.py), never a JSON error body.
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("text/html")
        assert "<h1>Noget er ikke rigtigt</h1>" in refused.text
        assert f'<a href="/t/{tenants.a.slug}/">Gå til forsiden</a>' in refused.text
        assert (
            "Kun en ansøgning, som ingen har handlet på, kan slettes: tilmeldingen har et "
            "samtykke eller er ikke længere Ansøgt. Meld tilmeldingen ud i stedet."
        ) in refused.text
    token = await live.access_token(coordinator)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        refused = await api.delete(f"/api/v1/t/{tenants.a.slug}/applications/{cille}")
        assert (refused.status_code, refused.json()["detail"]) == (
            409,
            "Kun en ansøgning, som ingen har handlet på, kan slettes: tilmeldingen har et "
            "samtykke eller er ikke længere Ansøgt. Meld tilmeldingen ud i stedet.",
        )
        assert (
            await api.delete(f"/api/v1/t/{tenants.a.slug}/applications/{anne}")
        ).status_code == 404
    token = await live.access_token(mentor)
    async with client_for(live, headers={"Authorization": f"Bearer {token}"}) as api:
        assert (
            await api.delete(f"/api/v1/t/{tenants.a.slug}/applications/{cille}")
        ).status_code == 403
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            people = sorted(await session.scalars(select(Person.name)))
            enrolments = (
                await session.execute(
                    select(Person.name, Enrolment.role, Enrolment.status)
                    .join(Person)
                    .order_by(Person.name)
                )
            ).all()
            applications = int(await session.scalar(select(func.count()).select_from(Application)))
    assert people == ["Bo Borger", "Cille Callesen"]
    assert [(n, str(getattr(r, "value", r)), s) for n, r, s in enrolments] == [
        ("Bo Borger", "mentor", "interested"),
        ("Cille Callesen", "mentee", "applied"),
    ]
    assert applications == 1
    deleted = [
        (row[2], row[3]) for row in await _audit(sessionmaker, tenants.a, "application.delete")
    ]
    assert deleted == [
        (str(anne), {"programme": "misbrug-mentor", "role": "mentee", "person_deleted": True}),
        (str(bo), {"programme": "misbrug-mentor", "role": "mentee", "person_deleted": False}),
    ]


async def test_saving_the_forsamtale_of_an_application_moves_it_to_intake(
    live, sessionmaker, tenants
):
    """'Start før-samtalen': after the consent, saving the før-samtale moves `applied ->
    intake` (one history event, the audit row says so) and the front page no longer counts it."""
    await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        assert (await _apply(http, tenants.a)).status_code == 303
    _application, enrolment_id, _person = await _waiting_ids(
        sessionmaker, tenants.a, "Anne Ansøger"
    )
    coordinator = f"k-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    async with client_for(live) as browser:
        await browser_sign_in(browser, live, coordinator)
        front = await browser.get(f"/t/{tenants.a.slug}/")
        assert "Nye ansøgninger, der venter på et opkald: 1" in front.text
        start = f"/t/{tenants.a.slug}/deltagere/tilmelding/{enrolment_id}"
        token = csrf_token((await browser.get(start)).text)
        assert (
            await browser.post(f"{start}/samtykke", data={"_csrf_token": token})
        ).status_code == 303
        saved = await browser.post(
            f"{start}/forsamtale",
            data={"_csrf_token": token, "held_on": "", "motivation": "Vil gerne ud af huset."},
        )
        assert saved.status_code == 303, saved.text[:2000]
        page = await browser.get(start)
        assert (
            '<span class="status-badge status-intake' in page.text or "status-intake" in page.text
        )
        after = await browser.get(f"/t/{tenants.a.slug}/")
        assert "Ingen ansøgninger venter." in after.text
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            enrolment = await session.get_one(Enrolment, enrolment_id)
            events = [
                (e.from_status, e.to_status)
                for e in await session.scalars(
                    select(EnrolmentEvent)
                    .where(EnrolmentEvent.enrolment_id == enrolment_id)
                    .order_by(EnrolmentEvent.at, EnrolmentEvent.created_at)
                )
            ]
    assert (enrolment.status, events) == ("intake", [(None, "applied"), ("applied", "intake")])
    rows = await _audit(sessionmaker, tenants.a, "intake.update")
    assert [(r[3]["from"], r[3]["to"]) for r in rows] == [("applied", "intake")]


async def test_two_identical_applications_at_once_make_one_person(live, sessionmaker, tenants):
    """A double click that sends two requests at the same moment: one person, one enrolment,
    one application; both get the receipt."""
    import asyncio

    await _programme(sessionmaker, tenants.a)
    async with client_for(live) as http:
        token = await _form(http, tenants.a)
        sent = await asyncio.gather(
            *(
                http.post(_url(tenants.a), data={**_values(), "_csrf_token": token})
                for _ in range(4)
            )
        )
    assert [r.status_code for r in sent] == [303] * 4
    counts = await _counts(sessionmaker, tenants.a)
    assert (counts["people"], counts["enrolments"], counts["applications"]) == (1, 1, 1)


def test_the_demo_applications_write_nothing_about_health():
    """The form asks people not to write about their health: the demo's texts do not either."""
    from core.demo.applications import DEMO_APPLICATIONS

    health = re.compile(
        r"angst|depression|diagnose|psykiatri|psykisk|misbrug|medicin|sygdom|helbred|"
        r"alkohol|stoffer|behandling|indlagt|adhd|autis",
        re.IGNORECASE,
    )
    hopes = [data.hope for specs in DEMO_APPLICATIONS.values() for _p, _d, data in specs]
    assert hopes and [h for h in hopes if health.search(h)] == []


async def test_the_public_page_lists_three_meetings_and_links_the_rest(
    live, sessionmaker, tenants, clock
):
    """Five coming meetings: the three soonest, and a link to all (the form stays near)."""
    programme_id = await _programme(sessionmaker, tenants.a)
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=app_clock.COPENHAGEN))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            for n in range(5):
                session.add(
                    Activity(
                        programme_id=programme_id,
                        kind=ActivityKind.INFO_MEETING,
                        title=f"Informationsmøde {n + 1}",
                        place="Foreningernes Hus Vejle, Vissingsgade 31",
                        first_on=dt.date(2026, 12, 7) + dt.timedelta(weeks=n),
                        starts=dt.time(15, 0),
                        ends=dt.time(17, 0),
                        recurrence=Recurrence.NONE,
                        published=True,
                    )
                )
    async with client_for(live) as http:
        page = await http.get(_url(tenants.a))
    titles = re.findall(r'<h3 class="card-heading">(Informationsmøde \d)</h3>', page.text)
    assert titles == ["Informationsmøde 1", "Informationsmøde 2", "Informationsmøde 3"]
    assert (
        f'<a href="/offentlig/{tenants.a.slug}/informationsmoeder">'
        "Se alle informationsmøder (2 flere)</a>"
    ) in page.text
