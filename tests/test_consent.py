# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""Consent: nothing beyond name and contact without it; withdrawal ends the enrolment; the
versioned text; and the coordinator's override of a failing rule (with a reason, audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from tests.plugin_fixtures import api, shipped  # noqa: F401 - fixtures
from tests.test_participants_api import TODAY, _today, base, counts  # noqa: F401


async def _enrolled(api, tenant, role="mentor", programme="borger-til-borger") -> tuple[str, str]:
    response = await api.post(
        f"{base(tenant)}/people",
        json={"name": "Sam Samtykkesen", "programme": programme, "role": role},
    )
    assert response.status_code == 201
    return response.json()["id"], response.json()["enrolments"][0]["id"]


async def test_without_consent_only_name_and_contact_may_be_stored(api, shipped, sessionmaker):
    kolding = shipped["kolding"]
    person_id, enrolment_id = await _enrolled(api, kolding)
    message = "Kræver samtykke: uden samtykke må kun navn og kontaktoplysninger gemmes."
    before = await counts(sessionmaker, kolding)
    response = await api.patch(
        f"{base(kolding)}/people/{person_id}",
        json={"birth_year": 1980, "languages": ["dansk"], "phone": "12345678"},
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"birth_year": message, "languages": message},
    )
    response = await api.put(
        f"{base(kolding)}/enrolments/{enrolment_id}/intake",
        json={"motivation": "x", "values": {"lived_experience.areas": ["psykiatri"]}},
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"intake": "Registrér personens samtykke, før før-samtalen gemmes."},
    )
    assert await counts(sessionmaker, kolding) == before
    person = (await api.get(f"{base(kolding)}/people/{person_id}")).json()
    assert (person["birth_year"], person["languages"], person["phone"], person["has_consent"]) == (
        None,
        [],
        None,
        False,
    )
    # Contact details alone are fine.
    response = await api.patch(f"{base(kolding)}/people/{person_id}", json={"phone": "12345678"})
    assert (response.status_code, response.json()["phone"]) == (200, "12345678")


async def test_consent_is_given_to_the_current_version_and_then_data_may_be_stored(api, shipped):
    kolding = shipped["kolding"]
    person_id, enrolment_id = await _enrolled(api, kolding)
    text = (await api.get(f"{base(kolding)}/programmes/borger-til-borger/consent-text")).json()
    assert (text["version"], text["body"].startswith("Jeg giver samtykke til, at Kolding")) == (
        1,
        True,
    )
    response = await api.post(f"{base(kolding)}/enrolments/{enrolment_id}/consent")
    consent = response.json()["consent"]
    assert (consent["recorded_by"], consent["withdrawn_at"], consent["text_version"]) == (
        "test-coordinator",
        None,
        1,
    )
    response = await api.post(f"{base(kolding)}/enrolments/{enrolment_id}/consent")
    assert response.json()["errors"] == {"consent": "Der er allerede givet samtykke."}
    response = await api.patch(
        f"{base(kolding)}/people/{person_id}",
        json={
            "birth_year": 1980,
            "gender": "ønsker ikke at oplyse",
            "availability": ["mon_evening"],
        },
    )
    assert response.status_code == 200
    assert (response.json()["gender"], response.json()["availability"]) == (
        "ønsker ikke at oplyse",
        ["mon_evening"],
    )


async def test_withdrawing_consent_ends_the_enrolment_and_is_recorded(api, shipped, sessionmaker):
    kolding = shipped["kolding"]
    person_id, enrolment_id = await _enrolled(api, kolding)
    url = f"{base(kolding)}/enrolments/{enrolment_id}"
    await api.post(f"{url}/consent")
    await api.post(f"{url}/transitions", json={"to": "intake"})
    response = await api.post(f"{url}/consent/withdraw")
    body = response.json()
    assert (response.status_code, body["status"], body["allowed_next"]) == (200, "withdrawn", [])
    assert body["consent"]["withdrawn_recorded_by"] == "test-coordinator"
    assert body["consent"]["withdrawn_at"] is not None
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in body["history"]][-1] == (
        "intake",
        "withdrawn",
        "samtykke trukket tilbage",
    )
    # Nothing more may be stored, and the person no longer has a consent.
    response = await api.put(f"{url}/intake", json={"motivation": "x"})
    assert response.json()["errors"] == {
        "intake": "Tilmeldingen er afsluttet; opret en ny tilmelding."
    }
    response = await api.post(f"{url}/consent/withdraw")
    assert response.json()["errors"] == {"consent": "Der er intet samtykke at trække tilbage."}
    response = await api.patch(f"{base(kolding)}/people/{person_id}", json={"birth_year": 1980})
    assert response.status_code == 400
    async with sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.tenant_slug == kolding.slug)
                .order_by(AuditEvent.at)
            )
        )
    assert actions == ["person.create", "consent.give", "enrolment.transition", "consent.withdraw"]


async def test_a_new_consent_text_version_applies_to_new_consents_only(api, shipped):
    kolding = shipped["kolding"]
    _p, first = await _enrolled(api, kolding, role="mentee")
    await api.post(f"{base(kolding)}/enrolments/{first}/consent")
    url = f"{base(kolding)}/programmes/borger-til-borger/consent-text"
    body = {"body": "Ny og bedre samtykketekst, version to."}
    assert (await api.post(url, json=body)).status_code == 403  # coordinators may not
    claims = api.app.state.token_validator.claims
    claims["realm_access"] = {"roles": ["tenant_admin"]}
    response = await api.post(url, json=body)
    assert (response.status_code, response.json()["version"]) == (201, 2)
    _p, second = await _enrolled(api, kolding, role="mentor")
    await api.post(f"{base(kolding)}/enrolments/{second}/consent")
    versions = [
        (await api.get(f"{base(kolding)}/enrolments/{e}")).json()["consent"]["text_version"]
        for e in (first, second)
    ]
    assert versions == [1, 2]


@pytest.mark.parametrize("reason", ["", "for kort"])
async def test_override_needs_a_written_reason(api, shipped, reason):
    kolding = shipped["kolding"]
    _p, enrolment_id = await _enrolled(api, kolding)
    url = f"{base(kolding)}/enrolments/{enrolment_id}"
    await api.post(f"{url}/consent")
    await api.post(f"{url}/transitions", json={"to": "intake"})
    await api.put(f"{url}/intake", json={"values": {"lived_experience.areas": ["handicap"]}})
    response = await api.post(f"{url}/override", json={"reason": reason})
    assert response.json()["errors"] == {"reason": "Skriv en begrundelse på mindst 10 tegn."}


async def test_a_failing_rule_blocks_eligible_until_a_coordinator_overrides_it(
    api, shipped, sessionmaker
):
    kolding = shipped["kolding"]
    _p, enrolment_id = await _enrolled(api, kolding)
    url = f"{base(kolding)}/enrolments/{enrolment_id}"
    await api.post(f"{url}/consent")
    await api.post(f"{url}/transitions", json={"to": "intake"})
    response = await api.put(
        f"{url}/intake",
        json={
            "values": {
                "lived_experience.areas": ["psykiatri"],
                "lived_experience.ready_to_hold_others": True,
            }
        },
    )
    # The mentor course is missing: mentor_course fails.
    assert response.json()["eligibility"] == "fail"
    response = await api.post(f"{url}/transitions", json={"to": "eligible"})
    assert response.json()["errors"] == {
        "to": "En regel er ikke opfyldt. En koordinator kan dispensere med en begrundelse."
    }
    response = await api.post(
        f"{url}/override", json={"reason": "Har gennemført et tilsvarende kursus i Vejle."}
    )
    assert response.status_code == 200
    assert response.json()["override"]["reason"] == "Har gennemført et tilsvarende kursus i Vejle."
    response = await api.post(f"{url}/transitions", json={"to": "eligible"})
    assert (response.status_code, response.json()["status"]) == (200, "eligible")
    async with sessionmaker() as session:
        row = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.tenant_slug == kolding.slug, AuditEvent.action == "eligibility.override"
            )
        )
    assert row.detail == {"enrolment": enrolment_id, "rules": ["mentor_course"]}
    # Recomputed when data changes: answering the course question makes the rule pass.
    response = await api.put(
        f"{url}/intake", json={"values": {"mentor_course.completed_on": "2026-10-01"}}
    )
    assert response.json()["eligibility"] == "pass"


async def test_a_passing_person_cannot_be_overridden(api, shipped):
    kolding = shipped["kolding"]
    _p, enrolment_id = await _enrolled(api, kolding, role="mentee")  # no rules: pass
    url = f"{base(kolding)}/enrolments/{enrolment_id}"
    await api.post(f"{url}/consent")
    await api.post(f"{url}/transitions", json={"to": "intake"})
    response = await api.post(f"{url}/override", json={"reason": "En lang nok begrundelse"})
    assert response.json()["errors"] == {
        "reason": "Der kan kun dispenseres fra en regel, der ikke er opfyldt."
    }
