# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""The participants API: from first contact to ``ready``, validation, search and the access log."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.tenant_scope import tenant_scope
from core.participants.models import Consent, Enrolment, EnrolmentEvent, Intake, Person
from tests.plugin_fixtures import api, shipped  # noqa: F401 - fixtures

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set(TODAY)


def base(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}"


async def counts(sessionmaker, tenant) -> tuple[int, ...]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return tuple(
                [
                    await session.scalar(select(func.count()).select_from(model)) or 0
                    for model in (Person, Enrolment, EnrolmentEvent, Intake, Consent)
                ]
            )


async def audit_rows(sessionmaker, tenant) -> list[AuditEvent]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.tenant_slug == tenant.slug)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return [r for r in rows if r.action not in ("access_denied",)]


async def create(api, tenant, **body) -> dict:
    response = await api.post(f"{base(tenant)}/people", json={"name": "Anna Demosen", **body})
    assert response.status_code == 201, response.text
    return response.json()


async def to_ready(api, tenant, enrolment_id: str, intake: dict) -> dict:
    url = f"{base(tenant)}/enrolments/{enrolment_id}"
    assert (await api.post(f"{url}/consent")).status_code == 200
    response = await api.post(f"{url}/transitions", json={"to": "intake"})
    assert response.status_code == 200, response.text
    response = await api.put(f"{url}/intake", json=intake)
    assert response.status_code == 200, response.text
    for status in ("eligible", "ready"):
        response = await api.post(f"{url}/transitions", json={"to": status})
        assert response.status_code == 200, response.text
    return response.json()


async def test_a_citizen_and_a_mentor_go_from_first_contact_to_ready(api, shipped):
    kolding = shipped["kolding"]
    citizen = await create(
        api,
        kolding,
        phone="+45 20 30 40 50",
        email="anna@example.dk",
        postal_code="6000",
        programme="borger-til-borger",
        role="mentee",
    )
    assert [(e["programme"], e["role"], e["status"]) for e in citizen["enrolments"]] == [
        ("borger-til-borger", "mentee", "interested")
    ]
    done = await to_ready(
        api,
        kolding,
        citizen["enrolments"][0]["id"],
        {"held_on": "2026-11-20", "motivation": "Vil gerne ud af huset", "wish_age_min": 30},
    )
    assert (done["status"], done["eligibility"], done["verdicts"]) == ("ready", "pass", [])
    assert [(h["from_status"], h["to_status"]) for h in done["history"]] == [
        (None, "interested"),
        ("interested", "intake"),
        ("intake", "eligible"),
        ("eligible", "ready"),
    ]
    assert done["history"][-1]["actor"] == "test-coordinator"

    mentor = await create(api, kolding, name="Bo Eksempelsen")
    response = await api.post(
        f"{base(kolding)}/people/{mentor['id']}/enrolments",
        json={"programme": "borger-til-borger", "role": "mentor"},
    )
    assert response.status_code == 201
    enrolment = response.json()
    assert [f["key"] for f in enrolment["intake_fields"]] == [
        "lived_experience.areas",
        "lived_experience.ready_to_hold_others",
        "mentor_course.completed_on",
    ] or sorted(f["key"] for f in enrolment["intake_fields"]) == [
        "lived_experience.areas",
        "lived_experience.ready_to_hold_others",
        "mentor_course.completed_on",
    ]
    done = await to_ready(
        api,
        kolding,
        enrolment["id"],
        {
            "lived_experience": ["psykiatri"],
            "values": {
                "lived_experience.areas": ["psykiatri"],
                "lived_experience.ready_to_hold_others": True,
                "mentor_course.completed_on": "2026-10-01",
            },
        },
    )
    assert (done["status"], done["eligibility"]) == ("ready", "pass")
    assert {v["rule"]: v["outcome"] for v in done["verdicts"]} == {
        "lived_experience": "pass",
        "mentor_course": "pass",
    }
    response = await api.get(f"{base(kolding)}/people?status=ready&role=mentor")
    assert [p["name"] for p in response.json()["items"]] == ["Bo Eksempelsen"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"birth_year": 2027}, "birth_year", "Fødselsåret kan ikke ligge i fremtiden."),
        ({"email": "anna@"}, "email", "Skriv en gyldig e-mailadresse, fx navn@example.dk."),
        ({"postal_code": "60"}, "postal_code", "Et postnummer har 4 cifre."),
        (
            {"phone": "12"},
            "phone",
            "Skriv et telefonnummer på mindst 8 cifre (mellemrum og + er tilladt).",
        ),
        ({"name": "  "}, "name", "Skriv personens navn."),
        (
            {"programme": "findes-ikke", "role": "mentee"},
            "programme",
            "Tilbuddet findes ikke i denne organisation.",
        ),
        (
            {"programme": "misbrug-mentor", "role": "mentor"},
            "programme",
            "Tilbuddet findes ikke i denne organisation.",
        ),
        ({"programme": "borger-til-borger", "role": "chef"}, "role", "Vælg mentee eller mentor."),
        (
            {"gender": "kvinde"},
            "gender",
            "Kræver samtykke: uden samtykke må kun navn og kontaktoplysninger gemmes.",
        ),
        (
            {"external_ref": "010190-1234"},
            "external_ref",
            "Et CPR-nummer må ikke gemmes; brug sagsnummeret.",
        ),
    ],
)
async def test_invalid_person_gets_its_message_and_nothing_is_stored(
    api, shipped, sessionmaker, body, field, message
):
    kolding = shipped["kolding"]
    before = await counts(sessionmaker, kolding)
    response = await api.post(f"{base(kolding)}/people", json={"name": "Anna Demosen", **body})
    assert (response.status_code, response.json()["errors"]) == (400, {field: message})
    assert await counts(sessionmaker, kolding) == before
    assert await audit_rows(sessionmaker, kolding) == []


async def test_enrolment_in_another_tenants_programme_is_refused(api, shipped, sessionmaker):
    kolding = shipped["kolding"]
    person = await create(api, kolding)
    before = await counts(sessionmaker, kolding)
    response = await api.post(
        f"{base(kolding)}/people/{person['id']}/enrolments",
        json={"programme": "peer-to-peer", "role": "mentee"},
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"programme": "Tilbuddet findes ikke i denne organisation."},
    )
    assert await counts(sessionmaker, kolding) == before


async def test_two_open_enrolments_of_the_same_kind_are_refused_but_a_second_role_is_not(
    api, shipped, sessionmaker
):
    kolding = shipped["kolding"]
    person = await create(api, kolding, programme="borger-til-borger", role="mentee")
    url = f"{base(kolding)}/people/{person['id']}/enrolments"
    response = await api.post(url, json={"programme": "borger-til-borger", "role": "mentee"})
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"programme": "Personen er allerede tilmeldt tilbuddet i denne rolle."},
    )
    # After the first ends, the person may become a mentor (or a mentee again): history kept.
    first = person["enrolments"][0]["id"]
    response = await api.post(
        f"{base(kolding)}/enrolments/{first}/transitions", json={"to": "withdrawn"}
    )
    assert response.status_code == 200
    for role in ("mentor", "mentee"):
        response = await api.post(url, json={"programme": "borger-til-borger", "role": role})
        assert response.status_code == 201
    response = await api.get(f"{base(kolding)}/people/{person['id']}")
    assert sorted((e["role"], e["status"]) for e in response.json()["enrolments"]) == [
        ("mentee", "interested"),
        ("mentee", "withdrawn"),
        ("mentor", "interested"),
    ]


async def test_another_tenants_person_and_enrolment_are_404(api, shipped):
    vejle_person = await create(api, shipped["vejle"], programme="peer-to-peer", role="mentee")
    kolding = base(shipped["kolding"])
    enrolment = vejle_person["enrolments"][0]["id"]
    for method, url, body in [
        ("GET", f"{kolding}/people/{vejle_person['id']}", None),
        ("PATCH", f"{kolding}/people/{vejle_person['id']}", {"name": "X"}),
        (
            "POST",
            f"{kolding}/people/{vejle_person['id']}/enrolments",
            {"programme": "borger-til-borger", "role": "mentee"},
        ),
        ("GET", f"{kolding}/enrolments/{enrolment}", None),
        ("POST", f"{kolding}/enrolments/{enrolment}/transitions", {"to": "withdrawn"}),
        ("POST", f"{kolding}/enrolments/{enrolment}/consent", None),
        ("POST", f"{kolding}/enrolments/{enrolment}/consent/withdraw", None),
        ("PUT", f"{kolding}/enrolments/{enrolment}/intake", {}),
        ("POST", f"{kolding}/enrolments/{enrolment}/override", {"reason": "en god grund her"}),
    ]:
        response = await api.request(method, url, json=body)
        assert (response.status_code, response.json()) == (
            404,
            {"status_code": 404, "detail": "Findes ikke."},
        ), url
    response = await api.get(f"{kolding}/people")
    assert vejle_person["id"] not in [p["id"] for p in response.json()["items"]]


async def test_search_filters_and_pages(api, shipped):
    kolding = shipped["kolding"]
    for i in range(23):
        await create(api, kolding, name=f"Søgeperson {i:02d} Testrup")
    await create(api, kolding, name="Gitte Skitsesen", programme="borger-til-borger", role="mentor")
    response = await api.get(f"{base(kolding)}/people?q=søgeperson")
    page1 = response.json()
    assert (page1["total"], page1["pages"], len(page1["items"])) == (23, 2, 20)
    response = await api.get(f"{base(kolding)}/people?q=SØGEPERSON&page=2")
    assert [p["name"] for p in response.json()["items"]] == [
        "Søgeperson 20 Testrup",
        "Søgeperson 21 Testrup",
        "Søgeperson 22 Testrup",
    ]
    response = await api.get(
        f"{base(kolding)}/people?programme=borger-til-borger&role=mentor&status=interested"
    )
    assert [p["name"] for p in response.json()["items"]] == ["Gitte Skitsesen"]
    response = await api.get(f"{base(kolding)}/people?status=nonsense&role=chef")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"role": "Vælg mentee eller mentor.", "status": "Ukendt status."},
    )


async def test_every_access_writes_one_audit_row_without_field_values(
    api, shipped, sessionmaker, caplog
):
    # INFO, as in production: aiosqlite logs SQL parameters at DEBUG (never enable it there).
    caplog.set_level(logging.INFO)
    kolding = shipped["kolding"]
    planted = f"Plantet{uuid.uuid4().hex[:10]}"
    person = await create(
        api,
        kolding,
        name=f"{planted} Demosen",
        email=f"{planted.lower()}@example.dk",
        programme="borger-til-borger",
        role="mentee",
    )  # 1 create
    enrolment = person["enrolments"][0]["id"]
    url = f"{base(kolding)}/enrolments/{enrolment}"
    await api.get(f"{base(kolding)}/people?q={planted}&role=mentee")  # 2 search
    await api.get(f"{base(kolding)}/people/{person['id']}")  # 3 read
    assert (await api.post(f"{url}/consent")).status_code == 200  # 4
    response = await api.patch(
        f"{base(kolding)}/people/{person['id']}",
        json={"gender": planted, "interests": [planted], "birth_year": 1980},
    )  # 5 update
    assert response.status_code == 200
    await api.post(f"{url}/transitions", json={"to": "intake", "reason": planted})  # 6
    await api.put(f"{url}/intake", json={"motivation": planted, "challenges": planted})  # 7
    await api.get(url)  # 8
    rows = await audit_rows(sessionmaker, kolding)
    assert [r.action for r in rows] == [
        "person.create",
        "person.search",
        "person.read",
        "consent.give",
        "person.update",
        "enrolment.transition",
        "intake.update",
        "enrolment.read",
    ]
    assert {r.actor for r in rows} == {"test-coordinator"}
    assert [r.object_id for r in rows if r.action != "person.search"] == [person["id"]] * 7
    assert rows[1].detail == {
        "text_search": True,
        "programme": None,
        "role": "mentee",
        "status": None,
        "page": 1,
        "limit": 20,
        "offset": 0,
    }
    assert rows[4].detail == {"fields": ["birth_year", "gender", "interests"]}
    dumped = repr([(r.action, r.route, r.object_id, r.detail) for r in rows])
    assert planted.lower() not in dumped.lower()
    assert planted.lower() not in caplog.text.lower()


async def test_intake_matching_fields_are_validated_and_stored(api, shipped, sessionmaker):
    """Must-have wishes, a mentor's capacity and a pause from matching (issue 6)."""
    kolding = shipped["kolding"]
    mentor = await create(api, kolding, programme="borger-til-borger", role="mentor")
    url = f"{base(kolding)}/enrolments/{mentor['enrolments'][0]['id']}"
    assert (await api.post(f"{url}/consent")).status_code == 200
    before = await counts(sessionmaker, kolding)
    bad = await api.put(
        f"{url}/intake",
        json={"capacity": 0, "paused_until": "01-01-2027", "wish_gender": "kvinde"},
    )
    assert (bad.status_code, bad.json()["errors"]) == (
        400,
        {
            "capacity": "Skriv et antal borgere mellem 1 og 10.",
            "paused_until": "Forventede en dato (ÅÅÅÅ-MM-DD).",
        },
    )
    assert await counts(sessionmaker, kolding) == before
    good = await api.put(
        f"{url}/intake",
        json={
            "capacity": 2,
            "paused_until": "2027-01-01",
            "wish_gender": "kvinde",
            "wish_gender_required": True,
        },
    )
    assert good.status_code == 200, good.text
    intake = (await api.get(url)).json()["intake"]
    assert (
        intake["capacity"],
        intake["paused_until"],
        intake["wish_gender_required"],
        intake["wish_age_required"],
    ) == (2, "2027-01-01", True, False)
